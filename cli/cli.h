/*
 * cli.h — the `tianti` command-line tool: the subcommand table, the
 * declaration of every cmd_<name>(), and the option parser they share.
 *
 * The tool is a client of libtianti like any other (curl's tool/lib split):
 * it includes only the library's public headers and turns status codes into
 * exit statuses (0 ok, 1 runtime failure, 2 usage error).
 *
 * Adding a subcommand:
 *   1. write cli/cmd_<name>.c with `int cmd_<name>(int argc, char **argv)`
 *      (argv[0] is the subcommand name), options declared as a cli_option
 *      array and usage lines as a NULL-terminated array;
 *   2. declare it below and add a row to the table in cli/main.c;
 *   3. add tests (tests/integration/), and regenerate the manual
 *      docs/tianti.md from the --help texts: scripts/gen_manual.py build/tianti
 *      (ctest docs/manual_up_to_date fails until it is).
 */
#ifndef TIANTI_CLI_H
#define TIANTI_CLI_H

#include <stdio.h>

typedef enum cli_opt_type {
    OPT_END = 0,
    OPT_FLAG,    /* value: int*, set to 1 */
    OPT_STRING,  /* value: const char** (points into argv) */
    OPT_INT,     /* value: int* */
    OPT_DOUBLE,  /* value: double* */
    OPT_LIST     /* value: cli_list*; repeatable, each value also split on ',' */
} cli_opt_type;

typedef struct cli_list {
    const char **items;   /* owned array; strings owned by the list */
    int n;
} cli_list;

/* cli_option.flags */
enum {
    CLI_HIDDEN = 1,   /* an alias: accepted, not listed by --help */
    CLI_GREEDY = 2,   /* OPT_LIST: also takes the arguments after the value up to
                         the next option (lm-eval's "--tasks a b") */
    CLI_NOSPLIT = 4   /* OPT_LIST: values are not split on ',' */
};

typedef struct cli_option {
    cli_opt_type type;
    char short_name;        /* 0 for none; one meaning across all commands
                               (tests/integration/test_cli_errors.sh checks) */
    const char *long_name;  /* without the leading "--" */
    void *value;
    const char *arg_name;   /* shown in help, e.g. "FILE" */
    const char *help;
    int flags;              /* CLI_* */
} cli_option;

#define CLI_OPT_END {OPT_END, 0, NULL, NULL, NULL, NULL, 0}

/* Parses argv[1..argc-1] against opts. Arguments that are not options go to
 * positional (may be NULL if none are allowed). "--" ends options. A long
 * option matches with '_' for '-' (lm-eval's --num_fewshot is
 * --num-fewshot). Returns 0 ok, 1 when --help/-h was given (usage printed
 * to stdout), 2 on a usage error: the message, a "did you mean" for a
 * near miss, and where to read more, on stderr. */
int cli_parse(int argc, char **argv, const char *const *usage,
              const cli_option *opts, cli_list *positional);
/* The whole help: synopses, description, options (hidden ones left out). */
void cli_usage(const char *const *usage, const cli_option *opts, FILE *out);
/* After a usage error: the synopsis lines and "see 'tianti CMD --help'". */
void cli_usage_short(const char *const *usage, FILE *out);

/* The gen / judge / show / run steps of a judged benchmark command (mtbench,
 * arena-hard): checks argv[1] against them, prints the usage with one line
 * per step for -h, --help and help. Returns argv[1] when it is a step; else
 * NULL with *status the exit status (0 after help, 2 for a mistake).
 * helps[4]: what gen, judge, show and run do. */
const char *cli_judged_step(const char *cmd, int argc, char **argv, const char *const *usage,
                            const char *const helps[4], int *status);
/* The command words of a usage ("tianti arena serve"), from its first line. */
void cli_command_name(const char *const *usage, char *out, size_t n);

/* Reports a usage error about a name not found among candidates (a task,
 * a format...): "tianti: WHAT 'name' ...; did you mean 'x'?" and returns 2. */
int cli_unknown(const char *what, const char *name, const char *const *candidates, size_t n);
void cli_list_free(cli_list *l);
/* --allow-host's names as the NULL-terminated list core/httpd.h takes
 * (NULL when none was given: the server's default). Free the array (not
 * the strings, which l owns). */
const char **cli_allow_hosts(const cli_list *l);
void cli_list_push(cli_list *l, const char *s);   /* copies s */

/* Prints "tianti: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Routes libtianti's messages (core/log.h) to stderr: verbosity < 0 (-q)
 * warnings and errors only, 0 adds information, > 0 (-v) adds debug lines.
 * main() calls it with 0; a command with -q/-v calls it again. */
void cli_log_init(int verbosity);

/* Exit status for a libtianti status code: 0 ok, 2 a usage error
 * (TT_ERR_USAGE: an unknown task, suite, model or option, a bad value), 1
 * any other failure. */
int cli_exit_status(int rc);

/* Resolved default database path: --db, else $TIANTI_DB, else tianti.db. */
const char *cli_db_path(const char *opt_db);
/* path as it may be printed (a PostgreSQL URI's password masked); the
 * buffer is reused by the next call. */
const char *cli_db_shown(const char *path);

/* The file of a task named on the command line (cli/names.c): NAME under
 * tasks_dir (NULL: $TIANTI_TASKS or tasks/), as `tianti run --task` finds
 * it, or a file path as it is. Returns 0 with *path owned by the caller, or
 * prints "tianti: CMD: why" and returns the exit status (2 for a name that
 * is not a task: unknown, or a suite). */
int cli_task_file(const char *cmd, const char *name, const char *tasks_dir, char **path);

/* A model named on the command line: a models.json name (registry_path,
 * NULL: ./models.json if present) or a spec, into *m (free with
 * registry_model_clear). Returns 0, or prints "tianti: CMD: why" and
 * returns the exit status (2 for a name that is neither). */
struct registry_model;
int cli_model(const char *cmd, const char *registry_path, const char *name, struct registry_model *m);

int cmd_run(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_tasks(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ratings(int argc, char **argv);
int cmd_arena(int argc, char **argv);
int cmd_mtbench(int argc, char **argv);
int cmd_arena_hard(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
