/*
 * cmd_arena.c — `tianti arena SUBCOMMAND`: moves arena battles in and out
 * of the store. Sub-subcommands are rows of one table (name, function,
 * summary), so the web arena's `serve` and the judge-driven `auto` can be
 * added as rows: write `static int arena_<name>(int argc, char **argv)`
 * (argv[0] is the sub-subcommand name) and append it to arena_commands[].
 *   import FILE  — Chatbot Arena battles (JSON Lines or array) into the store
 *   export FILE  — the store's rated battles to JSON Lines ('-' = stdout)
 *   serve        — the blind voting web page (arena/web.h)
 *   auto         — battles decided by a judge (arena/auto.h, judges/judge.h)
 */
#include "arena/auto.h"
#include "arena/battles.h"
#include "arena/tag.h"
#include "arena/web.h"
#include "cli/cli.h"
#include "store/store.h"
#include "core/suggest.h"
#include "core/util.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The --model and --models rows every battling sub-subcommand offers. */
#define ARENA_MODEL_OPTIONS(models, registry_path) \
    {OPT_LIST, 'm', "model", (models), "SPEC", "a model to battle: spec or registry name (repeat; NAME=SPEC names it)", 0}, \
    {OPT_STRING, 0, "models", (registry_path), "FILE", "model registry (default models.json if present)", 0}

/* cli_parse for one sub-subcommand: -1 to go on, else the exit status
 * (0 after help, 2 after a usage error) with owned freed. */
static int arena_parse(int argc, char **argv, const char *const *usage, const cli_option *opts, cli_list *positional,
                       cli_list *owned)
{
    int prc = cli_parse(argc, argv, usage, opts, positional);
    if (!prc) return -1;
    cli_list_free(owned);
    return prc == 1 ? 0 : 2;
}

/* Reports a usage error (the whole message, "arena SUB: ..."), prints the
 * usage, frees owned and returns 2. */
__attribute__((format(printf, 3, 4)))
static int arena_usage_error(const char *const *usage, cli_list *owned, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_error("%s", msg);
    cli_usage_short(usage, stderr);
    cli_list_free(owned);
    return 2;
}

static int arena_import(int argc, char **argv)
{
    static const char *const usage[] = {"tianti arena import FILE [--db FILE] [--source SOURCE]", NULL};
    const char *db = NULL, *source = NULL;
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "source", &source, "SOURCE",
         "source for battles that name none (default 'import'; e.g. human, judge:SPEC)", 0},
        CLI_OPT_END,
    };
    cli_list pos = {0};
    int prc = arena_parse(argc, argv, usage, opts, &pos, &pos);
    if (prc >= 0) return prc;
    if (pos.n != 1) return arena_usage_error(usage, &pos, "arena import: expected one battle file");
    char err[TT_ERR_SIZE];
    arena_battles l;
    arena_battles_init(&l);
    store *s = NULL;
    int rc = arena_battles_read_file(&l, pos.items[0], err);
    if (rc == TT_OK && source) arena_battles_set_default_source(&l, source);
    if (rc == TT_OK) rc = store_open(cli_db_path(db), &s, err);
    if (rc == TT_OK) rc = arena_battles_insert_db(s, &l, err);
    if (rc == TT_OK) printf("imported %zu battles into %s\n", l.n, cli_db_shown(cli_db_path(db)));
    else cli_error("arena import: %s", err);
    arena_battles_free(&l);
    store_close(s);
    cli_list_free(&pos);
    return cli_exit_status(rc);
}

static int arena_export(int argc, char **argv)
{
    static const char *const usage[] = {"tianti arena export FILE [--db FILE] [--source all|human|judge]", NULL};
    const char *db = NULL, *source = "all";
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "source", &source, "SRC", "all (default), human or judge battles", 0},
        CLI_OPT_END,
    };
    cli_list pos = {0};
    int prc = arena_parse(argc, argv, usage, opts, &pos, &pos);
    if (prc >= 0) return prc;
    char err[TT_ERR_SIZE];
    arena_source src;
    if (pos.n != 1 || arena_source_parse(source, &src, err) != TT_OK) {
        cli_error("arena export: %s", pos.n != 1 ? "expected one output file ('-' for stdout)" : err);
        cli_list_free(&pos);
        return 2;
    }
    const char *path = cli_db_path(db);
    if (!store_target_exists(path)) {
        cli_error("arena export: no database '%s'", path);
        cli_list_free(&pos);
        return 1;
    }
    arena_battles l;
    arena_battles_init(&l);
    store *s = NULL;
    int rc = store_open(path, &s, err);
    if (rc == TT_OK) rc = arena_battles_load_db(s, src, &l, err);
    if (rc == TT_OK) {
        if (!strcmp(pos.items[0], "-")) rc = arena_battles_write(&l, stdout, err);
        else rc = arena_battles_write_file(&l, pos.items[0], err);
    }
    if (rc == TT_OK && strcmp(pos.items[0], "-")) fprintf(stderr, "exported %zu battles to %s\n", l.n, pos.items[0]);
    if (rc != TT_OK) cli_error("arena export: %s", err);
    arena_battles_free(&l);
    store_close(s);
    cli_list_free(&pos);
    return cli_exit_status(rc);
}

static int arena_serve(int argc, char **argv)
{
    static const char *const usage[] = {
        "tianti arena serve --model SPEC --model SPEC [...] [--models FILE] [--host 127.0.0.1] [--port 8080] [--db FILE]\n"
        "                   [--prompts TASK|FILE] [--max-prompt BYTES] [--rate-limit N] [--max-tokens N]\n"
        "                   [--max-turns N] [--moderation SPEC]",
        NULL};
    arena_web_opts o;
    arena_web_opts_default(&o);
    cli_list models = {0}, hosts = {0};
    const char *db = NULL, *tasks_dir = NULL;
    int max_prompt = (int)o.max_prompt_bytes, quiet = 0, seed = 0, max_held = (int)o.max_held;
    const cli_option opts[] = {
        ARENA_MODEL_OPTIONS(&models, &o.registry_path),
        {OPT_STRING, 0, "host", &o.host, "ADDR", "address to listen on (default 127.0.0.1)", 0},
        {OPT_INT, 0, "port", &o.port, "PORT", "port (default 8080; 0 = any free port)", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database for the votes (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "prompts", &o.prompts_path, "TASK|FILE", "task name, task file or prompt file for the 'random prompt' button", 0},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "where --prompts task names are looked up (default tasks/)", 0},
        {OPT_INT, 0, "max-prompt", &max_prompt, "BYTES", "longest prompt accepted (default 30000)", 0},
        {OPT_DOUBLE, 0, "rate-limit", &o.rate_per_min, "N", "battles+votes per client address per minute (default 60; 0 = off)", 0},
        {OPT_INT, 0, "burst", &o.rate_burst, "N", "requests a client may make at once before the rate applies (default 20)", 0},
        {OPT_INT, 0, "max-tokens", &o.max_tokens, "N", "longest answer in tokens (default 512)", 0},
        {OPT_DOUBLE, 0, "temperature", &o.temperature, "T", "sampling temperature (default 0.7)", 0},
        {OPT_INT, 0, "max-active", &o.max_active, "N", "battles generating at once (default 8)", 0},
        {OPT_INT, 0, "max-turns", &o.max_turns, "N", "turns one battle may have (default 50)", 0},
        {OPT_STRING, 0, "moderation", &o.moderation, "SPEC",
         "check every prompt with this engine's moderation first (e.g. openai:omni-moderation-latest)", 0},
        {OPT_INT, 0, "max-held", &max_held, "N", "finished battles awaiting a vote kept in memory (default 10000; older ones are voted through the store)", 0},
        {OPT_INT, 0, "bootstrap", &o.lb_rounds, "N", "bootstrap rounds for /leaderboard (default 100)", 0},
        {OPT_INT, 0, "min-battles", &o.min_battles, "N", "/leaderboard hides models with fewer battles (default 0)", 0},
        {OPT_INT, 0, "seed", &seed, "S", "seed for pairing (default: random)", 0},
        {OPT_LIST, 0, "allow-host", &hosts, "NAME", "also answer requests for this Host name (default: localhost, 127.0.0.1 and ::1 when listening on loopback; '*' any); repeatable", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no request log", 0},
        CLI_OPT_END,
    };
    int prc = arena_parse(argc, argv, usage, opts, NULL, &models);
    if (prc >= 0) return prc;
    if (models.n < 2 || max_prompt < 1 || o.max_active < 1 || o.max_turns < 1 || o.lb_rounds < 0 || o.rate_per_min < 0 ||
        max_held < 1)
        return arena_usage_error(usage, &models, "arena serve: %s",
                                 models.n < 2 ? "give at least two models with --model" : "option values must be positive");
    char *prompts = NULL;
    if (o.prompts_path && (prc = cli_task_file("arena serve", o.prompts_path, tasks_dir, &prompts)) != 0) {
        cli_list_free(&models);
        return prc;
    }
    o.prompts_path = prompts;
    o.models = models.items;
    o.n_models = models.n;
    o.db_path = cli_db_path(db);
    o.max_prompt_bytes = (size_t)max_prompt;
    o.seed = (uint64_t)(unsigned)seed;
    o.quiet = quiet;
    o.max_held = (size_t)max_held;
    const char **allow = cli_allow_hosts(&hosts);
    o.allow_hosts = allow;

    /* Signals go to this thread only: block them before the server's threads start. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char err[TT_ERR_SIZE];
    arena_web *w = NULL;
    int rc = arena_web_start(&o, &w, err);
    if (rc != TT_OK) {
        cli_error("arena serve: %s", err);
        cli_list_free(&models);
        cli_list_free(&hosts);
        free(allow);
        free(prompts);
        return cli_exit_status(rc);
    }
    const char *h = o.host ? o.host : "127.0.0.1";
    printf("arena: listening on http://%s%s%s:%d/ with %d models; votes go to %s\n", strchr(h, ':') ? "[" : "", h,
           strchr(h, ':') ? "]" : "", arena_web_port(w), models.n, cli_db_shown(o.db_path));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "arena: stopping\n");
    arena_web_stop(w);
    cli_list_free(&models);
    cli_list_free(&hosts);
    free(allow);
    free(prompts);
    return 0;
}

static int arena_auto(int argc, char **argv)
{
    static const char *const usage[] = {
        "tianti arena auto --model SPEC --model SPEC [...] --judge SPEC --prompts TASK|FILE [--rounds N]\n"
        "                  [--models FILE] [--references FILE] [--db FILE] [--seed S] [--max-tokens N]\n"
        "                  [--baseline NAME] [--temperature T] [--completion] [--save-judge-requests FILE]",
        NULL};
    arena_auto_opts o;
    arena_auto_opts_default(&o);
    cli_list models = {0};
    const char *db = NULL, *tasks_dir = NULL;
    int seed = 1, quiet = 0;
    const cli_option opts[] = {
        ARENA_MODEL_OPTIONS(&models, &o.registry_path),
        {OPT_STRING, 0, "judge", &o.judge, "SPEC", "reference[:METRIC], llm:ENGINE_SPEC or grade:ENGINE_SPEC", 0},
        {OPT_STRING, 0, "prompts", &o.prompts_path, "TASK|FILE", "task name or file, or prompts as JSON Lines / text", 0},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "where --prompts task names are looked up (default tasks/)", 0},
        {OPT_STRING, 0, "references", &o.references_path, "FILE",
         "reference answers by question id (e.g. MT-bench reference_answer/gpt-4.jsonl)", 0},
        {OPT_INT, 0, "rounds", &o.rounds, "N", "battles to run (default: one per prompt)", 0},
        {OPT_STRING, 0, "baseline", &o.baseline, "NAME",
         "every battle is a model against this one (Arena-Hard's design; default: all pairs)", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_INT, 0, "seed", &seed, "S", "seed for prompt order, pairing and sampling (default 1)", 0},
        {OPT_INT, 0, "max-tokens", &o.max_tokens, "N", "longest answer in tokens (default 512)", 0},
        {OPT_DOUBLE, 0, "temperature", &o.temperature, "T", "sampling temperature for the models (default 0)", 0},
        {OPT_FLAG, 0, "completion", &o.completion, NULL, "send prompts as raw completions cut at a newline (base models)", 0},
        {OPT_STRING, 0, "save-judge-requests", &o.save_judge_requests, "FILE",
         "also write every request sent to the judge as JSON Lines (replay format)", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no line per battle", 0},
        CLI_OPT_END,
    };
    int prc = arena_parse(argc, argv, usage, opts, NULL, &models);
    if (prc >= 0) return prc;
    if (models.n < 2 || !o.judge || !o.prompts_path || o.rounds < 0)
        return arena_usage_error(usage, &models, "arena auto: %s",
                                 models.n < 2        ? "give at least two models with --model"
                                 : !o.judge          ? "give a judge with --judge"
                                 : !o.prompts_path   ? "give prompts with --prompts"
                                                     : "--rounds must be positive");
    char *prompts = NULL;
    if ((prc = cli_task_file("arena auto", o.prompts_path, tasks_dir, &prompts)) != 0) {
        cli_list_free(&models);
        return prc;
    }
    o.prompts_path = prompts;
    o.models = models.items;
    o.n_models = models.n;
    o.db_path = cli_db_path(db);
    o.seed = (uint64_t)(unsigned)seed;
    o.log = quiet ? NULL : stdout;
    char err[TT_ERR_SIZE];
    arena_auto_summary sum;
    int rc = arena_auto_run(&o, &sum, err);
    if (rc == TT_OK)
        printf("stored %d battles in %s: %d won by A, %d by B, %d ties; %d judge errors, %d engine errors, "
               "%d identity leaks\n",
               sum.battles, cli_db_shown(o.db_path), sum.wins_a, sum.wins_b, sum.ties, sum.judge_errors, sum.engine_errors,
               sum.identity_leaks);
    else
        cli_error("arena auto: %s", err);
    cli_list_free(&models);
    free(prompts);
    return cli_exit_status(rc);
}

static int arena_tag(int argc, char **argv)
{
    static const char *const usage[] = {
        "tianti arena tag --judge SPEC [--db FILE] [--source all|human|judge] [--models FILE] [--jobs N]\n"
        "                 [--save-judge-requests FILE]",
        NULL};
    arena_tag_opts o;
    arena_tag_opts_default(&o);
    const char *db = NULL, *source = "all";
    int quiet = 0;
    const cli_option opts[] = {
        {OPT_STRING, 0, "judge", &o.judge, "SPEC", "the judge: engine spec or registry name", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 0, "source", &source, "SRC", "all (default), human or judge battles", 0},
        {OPT_STRING, 0, "models", &o.registry_path, "FILE", "model registry (default models.json if present)", 0},
        {OPT_INT, 'j', "jobs", &o.jobs, "N", "requests in flight (default 4)", 0},
        {OPT_STRING, 0, "save-judge-requests", &o.save_judge_requests, "FILE",
         "also write every judge request as JSON Lines (replay format)", 0},
        {OPT_FLAG, 'q', "quiet", &quiet, NULL, "no progress line", 0},
        CLI_OPT_END,
    };
    int prc = arena_parse(argc, argv, usage, opts, NULL, NULL);
    if (prc >= 0) return prc;
    char err[TT_ERR_SIZE];
    if (!o.judge || o.jobs < 1 || arena_source_parse(source, &o.source, err) != TT_OK)
        return arena_usage_error(usage, NULL, "arena tag: %s",
                                 !o.judge ? "give a judge with --judge" : o.jobs < 1 ? "--jobs must be positive" : err);
    const char *path = cli_db_path(db);
    if (!store_target_exists(path)) {
        cli_error("arena tag: no database '%s'", path);
        return 1;
    }
    o.log = quiet ? NULL : stderr;
    arena_tag_summary sum;
    int rc = arena_tag_run(path, &o, &sum, err);
    if (rc == TT_OK)
        printf("tagged %d battles: %d hard prompts, %d not, %d replies without a criteria list\n", sum.asked, sum.hard,
               sum.not_hard, sum.unreadable);
    else
        cli_error("arena tag: %s", err);
    return cli_exit_status(rc);
}

typedef struct arena_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} arena_command;

static const arena_command arena_commands[] = {
    {"import", arena_import, "add battles from a Chatbot Arena JSON Lines or JSON array file"},
    {"export", arena_export, "write the store's rated battles as JSON Lines"},
    {"serve", arena_serve, "the blind voting web page (two anonymous models, one vote)"},
    {"auto", arena_auto, "battles between models decided by a judge"},
    {"tag", arena_tag, "a judge labels the stored battles' prompts as hard prompts (the 'hard' category)"},
};

static void arena_help(FILE *out)
{
    fprintf(out, "usage: tianti arena SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (size_t i = 0; i < sizeof arena_commands / sizeof arena_commands[0]; i++)
        fprintf(out, "    %-8s %s\n", arena_commands[i].name, arena_commands[i].summary);
}

int cmd_arena(int argc, char **argv)
{
    if (argc < 2) {
        arena_help(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || (!strcmp(argv[1], "help") && argc == 2)) {
        arena_help(stdout);
        return 0;
    }
    /* "tianti arena help SUB" is "tianti arena SUB --help" */
    char *help_argv[4] = {argv[0], argv[1], "--help", NULL};
    if (!strcmp(argv[1], "help")) {
        help_argv[1] = argv[2];
        argc = 3;
        argv = help_argv;
    }
    for (size_t i = 0; i < sizeof arena_commands / sizeof arena_commands[0]; i++)
        if (!strcmp(argv[1], arena_commands[i].name)) return arena_commands[i].fn(argc - 1, argv + 1);
    const char *names[sizeof arena_commands / sizeof arena_commands[0]];
    for (size_t i = 0; i < sizeof arena_commands / sizeof arena_commands[0]; i++) names[i] = arena_commands[i].name;
    const char *near = tt_suggest(argv[1], names, sizeof names / sizeof names[0]);
    if (near) cli_error("arena: '%s' is not an arena subcommand; did you mean '%s'?", argv[1], near);
    else cli_error("arena: '%s' is not an arena subcommand; see 'tianti arena --help'", argv[1]);
    return 2;
}
