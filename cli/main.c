/*
 * main.c — entry point of the `tianti` tool: looks the subcommand up in the
 * one command table and runs it. Shared setup (locale, stdout checks) lives
 * here so that every cmd_<name>() stays about its own job. See cli.h for the
 * checklist to add a subcommand.
 */
#include "cli/cli.h"
#include "core/redact.h"
#include "core/suggest.h"
#include "core/util.h"
#include "core/version.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"run", cmd_run, "evaluate models on tasks and suites, keeping every sample"},
    {"merge", cmd_merge, "join the shards of a run (tianti run --shard K/N) into the unsharded run"},
    {"results", cmd_results, "show stored results"},
    {"tasks", cmd_tasks, "list tasks and suites (--check: verify their data), show a prompt"},
    {"ratings", cmd_ratings, "rate arena models (Bradley-Terry or Elo) with bootstrap intervals"},
    {"arena", cmd_arena, "the arena: blind voting page (serve), judged battles (auto), import and export"},
    {"mtbench", cmd_mtbench, "MT-bench: two-turn answers graded by an LLM judge, scores per turn and category"},
    {"arena-hard", cmd_arena_hard, "Arena-Hard-Auto: hard prompts judged against a baseline, win rate with 95% CI"},
    {"quantize", cmd_quantize, "convert a GLM GGUF model to f32, f16, q8_0 or q4_0"},
    {"synth", cmd_synth, "write a random-weight GLM GGUF of ChatGLM2/3-6B or GLM-4-9B shape"},
    {"serve", cmd_serve, "serve a model over HTTP (OpenAI-compatible and ChatGLM api.py)"},
    {"bench", cmd_bench, "memory and speed per precision (llama-bench style), with optional accuracy"},
    {"report", cmd_report, "write the leaderboard report (HTML, Markdown, CSV, JSON, charts)"},
    {"store", cmd_store, "the store: info (backend, rows), copy between SQLite and PostgreSQL"},
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: tianti COMMAND [OPTIONS]\n\n"
                 "Tianti (天梯) evaluates language models and ranks them.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "    %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'tianti COMMAND --help' (or 'tianti help COMMAND') describes each command.\n"
                 "Exit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

/* "'x' is not a tianti command; did you mean 'y'?" */
static int unknown_command(const char *name)
{
    const char *names[sizeof commands / sizeof commands[0]];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) names[i] = commands[i].name;
    const char *near = tt_suggest(name, names, sizeof commands / sizeof commands[0]);
    if (near) cli_error("'%s' is not a tianti command; did you mean '%s'?", name, near);
    else cli_error("'%s' is not a tianti command; see 'tianti --help'", name);
    return 2;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    cli_log_init(0);
    /* every *_API_KEY value is redacted from what is printed and stored
     * (core/redact.h); models.json's api_key_env names add theirs */
    tt_redact_add_env_keys();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tianti %s (%s)\n", tt_version(), tt_source_commit());
        return 0;
    }
    /* "tianti help CMD [SUB]" is "tianti CMD [SUB] --help" */
    char *help_argv[5];
    if (strcmp(argv[1], "help") == 0) {
        if (argc > 4) {
            cli_error("help: give one command, e.g. 'tianti help run'");
            return 2;
        }
        int n = 0;
        help_argv[n++] = argv[0];
        for (int i = 2; i < argc; i++) help_argv[n++] = argv[i];
        help_argv[n++] = "--help";
        help_argv[n] = NULL;
        if (!find_command(help_argv[1])) return unknown_command(help_argv[1]);
        argc = n;
        argv = help_argv;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c) return unknown_command(argv[1]);
    int status = c->fn(argc - 1, argv + 1);
    /* A full disk or closed pipe must not pass as success (git run_builtin). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (status == 0) {
            cli_error("write to standard output failed: %s", strerror(errno));
            status = 1;
        }
    }
    return status;
}
