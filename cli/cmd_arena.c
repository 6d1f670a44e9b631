/*
 * cmd_arena.c — `tianti arena SUBCOMMAND`: moves arena battles in and out
 * of the store. Sub-subcommands are rows of one table (name, function,
 * summary), so the web arena's `serve` and the judge-driven `auto` can be
 * added as rows: write `static int arena_<name>(int argc, char **argv)`
 * (argv[0] is the sub-subcommand name) and append it to arena_commands[].
 *   import FILE  — Chatbot Arena battles (JSON Lines or array) into the store
 *   export FILE  — the store's rated battles to JSON Lines ('-' = stdout)
 */
#include "arena/battles.h"
#include "cli/cli.h"
#include "harness/store.h"
#include "harness/util.h"

#include <stdlib.h>
#include <string.h>

static int arena_import(int argc, char **argv)
{
    static const char *const usage[] = {"tianti arena import FILE [--db FILE] [--source SOURCE]", NULL};
    const char *db = NULL, *source = NULL;
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)"},
        {OPT_STRING, 0, "source", &source, "SOURCE",
         "source for battles that name none (default 'import'; e.g. human, judge:SPEC)"},
        CLI_OPT_END,
    };
    cli_list pos = {0};
    int prc = cli_parse(argc, argv, usage, opts, &pos);
    if (prc) { cli_list_free(&pos); return prc == 1 ? 0 : 2; }
    if (pos.n != 1) {
        cli_error("arena import: expected one battle file");
        cli_usage(usage, opts, stderr);
        cli_list_free(&pos);
        return 2;
    }
    char err[TT_ERR_SIZE];
    arena_battles l;
    arena_battles_init(&l);
    store *s = NULL;
    int rc = arena_battles_read_file(&l, pos.items[0], err);
    if (rc == TT_OK && source)
        for (size_t i = 0; i < l.n; i++)
            if (!l.v[i].source) l.v[i].source = tt_strdup(source);
    if (rc == TT_OK) rc = store_open(cli_db_path(db), &s, err);
    if (rc == TT_OK) rc = arena_battles_insert_db(store_db(s), &l, err);
    if (rc == TT_OK) printf("imported %zu battles into %s\n", l.n, cli_db_path(db));
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
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)"},
        {OPT_STRING, 0, "source", &source, "SRC", "all (default), human or judge battles"},
        CLI_OPT_END,
    };
    cli_list pos = {0};
    int prc = cli_parse(argc, argv, usage, opts, &pos);
    if (prc) { cli_list_free(&pos); return prc == 1 ? 0 : 2; }
    char err[TT_ERR_SIZE];
    arena_source src;
    if (pos.n != 1 || arena_source_parse(source, &src, err) != TT_OK) {
        cli_error("arena export: %s", pos.n != 1 ? "expected one output file ('-' for stdout)" : err);
        cli_list_free(&pos);
        return 2;
    }
    const char *path = cli_db_path(db);
    if (!tt_file_exists(path)) {
        cli_error("arena export: no database '%s'", path);
        cli_list_free(&pos);
        return 1;
    }
    arena_battles l;
    arena_battles_init(&l);
    store *s = NULL;
    int rc = store_open(path, &s, err);
    if (rc == TT_OK) rc = arena_battles_load_db(store_db(s), src, &l, err);
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

typedef struct arena_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} arena_command;

static const arena_command arena_commands[] = {
    {"import", arena_import, "add battles from a Chatbot Arena JSON Lines or JSON array file"},
    {"export", arena_export, "write the store's rated battles as JSON Lines"},
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
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        arena_help(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof arena_commands / sizeof arena_commands[0]; i++)
        if (!strcmp(argv[1], arena_commands[i].name)) return arena_commands[i].fn(argc - 1, argv + 1);
    cli_error("arena: '%s' is not an arena subcommand; see 'tianti arena --help'", argv[1]);
    return 2;
}
