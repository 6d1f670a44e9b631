/*
 * cmd_store.c — `tianti store info` (what a store is and holds: backend,
 * schema version, rows per table) and `tianti store copy FROM TO` (every
 * table into another store, SQLite or PostgreSQL either way; store/copy.h
 * does the work). A store is an SQLite file or a postgresql:// URI
 * (docs/scale.md).
 */
#include "cli/cli.h"
#include "store/store.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

static const char *const info_usage[] = {
    "tianti store info [--db DB]",
    "The store's backend (sqlite or postgresql), its schema version, and the rows of every table.",
    NULL};

static int store_info_cmd(int argc, char **argv)
{
    const char *db = NULL;
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "DB", "the store: an SQLite file or a postgresql:// URI (default $TIANTI_DB, else tianti.db)", 0},
        CLI_OPT_END};
    int rc = cli_parse(argc, argv, info_usage, opts, NULL);
    if (rc) return rc == 1 ? 0 : 2;
    const char *path = cli_db_path(db);
    if (!store_target_exists(path)) {
        cli_error("store info: no database '%s'", path);
        return 1;
    }
    char err[TT_ERR_SIZE];
    store *s;
    rc = store_open(path, &s, err);
    store_info info;
    if (rc == TT_OK) rc = store_info_get(s, &info, err);
    if (rc == TT_OK) {
        printf("store:          %s\nbackend:        %s\nschema version: %d\n", cli_db_shown(path), info.backend,
               info.schema_version);
        for (int i = 0; i < store_n_tables; i++) printf("%-15s %lld\n", store_tables[i], (long long)info.rows[i]);
    }
    store_close(s);
    if (rc) cli_error("store info: %s", err);
    return cli_exit_status(rc);
}

static const char *const copy_usage[] = {
    "tianti store copy FROM TO [--append]",
    "Copies every table of the store FROM into the store TO, in one transaction (all or nothing). Either may be",
    "an SQLite file or a postgresql:// URI. TO must be empty (ids are kept, so SQLite -> PostgreSQL -> SQLite gives",
    "back the same rows), unless --append: then rows get new ids, references follow them, and models, tasks,",
    "cached answers and votes TO already holds are not added twice.",
    NULL};

static int store_copy_cmd(int argc, char **argv)
{
    int append = 0;
    const cli_option opts[] = {
        {OPT_FLAG, 0, "append", &append, NULL, "add to a store that has rows (new ids, references remapped)", 0},
        CLI_OPT_END};
    cli_list pos = {0};
    int rc = cli_parse(argc, argv, copy_usage, opts, &pos);
    if (rc) {
        cli_list_free(&pos);
        return rc == 1 ? 0 : 2;
    }
    if (pos.n != 2) {
        cli_error("store copy needs FROM and TO");
        cli_usage(copy_usage, opts, stderr);
        cli_list_free(&pos);
        return 2;
    }
    if (!store_target_exists(pos.items[0])) {
        cli_error("store copy: no database '%s'", pos.items[0]);
        cli_list_free(&pos);
        return 1;
    }
    char err[TT_ERR_SIZE];
    store *from = NULL, *to = NULL;
    int64_t rows[16] = {0};
    double t0 = tt_now_s();
    rc = store_open(pos.items[0], &from, err);
    if (rc == TT_OK) rc = store_open(pos.items[1], &to, err);
    if (rc == TT_OK) rc = store_copy(from, to, append ? STORE_COPY_APPEND : STORE_COPY_EXACT, rows, err);
    if (rc == TT_OK) {
        int64_t total = 0;
        for (int i = 0; i < store_n_tables; i++) total += rows[i];
        char shown_from[1024];
        snprintf(shown_from, sizeof shown_from, "%s", cli_db_shown(pos.items[0]));
        printf("copied %lld rows from '%s' (%s) to '%s' (%s) in %.2f s\n", (long long)total, shown_from,
               store_backend(from), cli_db_shown(pos.items[1]), store_backend(to), tt_now_s() - t0);
        for (int i = 0; i < store_n_tables; i++)
            if (rows[i]) printf("    %-15s %lld\n", store_tables[i], (long long)rows[i]);
    }
    store_close(from);
    store_close(to);
    cli_list_free(&pos);
    if (rc) cli_error("store copy: %s", err);
    return cli_exit_status(rc);
}

typedef struct store_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} store_command;

static const store_command store_commands[] = {
    {"info", store_info_cmd, "backend, schema version and rows per table"},
    {"copy", store_copy_cmd, "copy every table into another store (SQLite or PostgreSQL, either way)"},
};

static void store_help(FILE *out)
{
    fprintf(out, "usage: tianti store SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (size_t i = 0; i < sizeof store_commands / sizeof store_commands[0]; i++)
        fprintf(out, "    %-8s %s\n", store_commands[i].name, store_commands[i].summary);
}

int cmd_store(int argc, char **argv)
{
    if (argc < 2) {
        store_help(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        store_help(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof store_commands / sizeof store_commands[0]; i++)
        if (!strcmp(argv[1], store_commands[i].name)) return store_commands[i].fn(argc - 1, argv + 1);
    cli_error("store: '%s' is not a store subcommand; see 'tianti store --help'", argv[1]);
    return 2;
}
