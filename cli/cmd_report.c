/*
 * cmd_report.c — `tianti report`: renders the leaderboard the store holds
 * as Markdown, HTML, CSV and JSON with gnuplot charts (reports/report.h).
 * Changes nothing in the store (opening it may migrate an old schema). Prints
 * what was written and what was missing.
 */
#include "cli/cli.h"
#include "store/store.h"
#include "core/util.h"
#include "reports/report.h"
#include "reports/table.h"
#include "engines/registry.h"
#include "harness/suite.h"
#include "harness/task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti report [--db FILE] [--output DIR] [--format html,md,csv,json] [--run ID ...] [--model NAME,...] "
    "[--tasks NAME,...]",
    "",
    "--tasks takes task and suite names (a suite stands for itself and its tasks); --model",
    "takes model names or specs (with --models FILE, a models.json name also matches its spec).",
    NULL,
};

/* Adds to out each --tasks name, and for a suite under tasks_dir also the
 * names of its tasks: the store knows tasks by name, and a suite's row is
 * its own name. */
static void expand_tasks(const cli_list *in, const char *tasks_dir, cli_list *out)
{
    for (int i = 0; i < in->n; i++) {
        cli_list_push(out, in->items[i]);
        char err[TT_ERR_SIZE], *path = NULL;
        int is_suite = 0;
        suite *su = NULL;
        if (suite_find(tasks_dir, in->items[i], &path, &is_suite, err) == TT_OK && is_suite &&
            suite_load(path, tasks_dir, &su, err) == TT_OK)
            for (int k = 0; k < su->n_tasks; k++) {
                task *t = NULL;
                if (task_load(su->task_paths[k], &t, err) == TT_OK) cli_list_push(out, t->name);
                task_free(t);
            }
        suite_free(su);
        free(path);
    }
}

/* Adds each --model name, and with a registry also its spec. */
static int expand_models(const cli_list *in, const char *registry_path, cli_list *out)
{
    for (int i = 0; i < in->n; i++) {
        cli_list_push(out, in->items[i]);
        if (!registry_path) continue;
        registry_model m;
        int rc = cli_model("report", registry_path, in->items[i], &m);
        if (rc == 0) {
            cli_list_push(out, m.spec);
            registry_model_clear(&m);
        }
    }
    return 0;
}

static int parse_formats(const cli_list *l, int *out)
{
    if (l->n == 0) {
        *out = REPORT_ALL;
        return 0;
    }
    *out = 0;
    for (int i = 0; i < l->n; i++) {
        const char *f = l->items[i];
        if (!strcmp(f, "html")) *out |= REPORT_HTML;
        else if (!strcmp(f, "md") || !strcmp(f, "markdown")) *out |= REPORT_MD;
        else if (!strcmp(f, "csv")) *out |= REPORT_CSV;
        else if (!strcmp(f, "json")) *out |= REPORT_JSON;
        else if (!strcmp(f, "all")) *out |= REPORT_ALL;
        else {
            cli_error("report: unknown format '%s' (html, md, csv, json or all)", f);
            return 2;
        }
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = "report", *registry_path = NULL, *tasks_dir = NULL;
    cli_list formats = {0}, runs = {0}, models = {0}, tasks = {0}, model_names = {0}, task_names = {0};
    const cli_option opts[] = {
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_STRING, 'o', "output", &out, "DIR", "output directory (default ./report)", 0},
        {OPT_STRING, 0, "out", &out, "DIR", NULL, CLI_HIDDEN},
        {OPT_LIST, 'f', "format", &formats, "LIST", "html, md, csv, json (default: all)", 0},
        {OPT_LIST, 0, "run", &runs, "ID", "only these runs (repeatable)", 0},
        {OPT_LIST, 'm', "model", &models, "NAME", "only these models (names or specs; repeatable, or NAME,NAME)", 0},
        {OPT_STRING, 0, "models", &registry_path, "FILE", "model registry, for --model names (default models.json if present)", 0},
        {OPT_LIST, 't', "task", &tasks, "NAME", "only these tasks or suites (repeatable, or NAME,NAME)", 0},
        {OPT_LIST, 0, "tasks", &tasks, "LIST", NULL, CLI_HIDDEN | CLI_GREEDY},
        {OPT_STRING, 0, "tasks-dir", &tasks_dir, "DIR", "where suite names are looked up (default tasks/)", 0},
        CLI_OPT_END,
    };
    int status = cli_parse(argc, argv, usage, opts, NULL);
    int64_t *run_ids = NULL;
    int fmt = 0;
    store *s = NULL;
    report_table *t = NULL;
    if (status) {
        status = status == 1 ? 0 : 2;
        goto done;
    }
    if ((status = parse_formats(&formats, &fmt))) goto done;
    if (registry_path && !tt_file_exists(registry_path)) {
        cli_error("report: --models names the models file (models.json), and there is no '%s'; pick models with "
                  "--model NAME", registry_path);
        status = 2;
        goto done;
    }
    expand_models(&models, registry_path, &model_names);
    expand_tasks(&tasks, tasks_dir, &task_names);
    run_ids = tt_calloc((size_t)runs.n + 1, sizeof(int64_t));
    for (int i = 0; i < runs.n; i++) {
        char *end;
        errno = 0;
        long long v = strtoll(runs.items[i], &end, 10);
        if (errno || end == runs.items[i] || *end || v <= 0) {
            cli_error("report: --run wants a positive run id, not '%s'", runs.items[i]);
            status = 2;
            goto done;
        }
        run_ids[i] = v;
    }
    const char *path = cli_db_path(db);
    if (!store_target_exists(path)) {
        cli_error("report: no database '%s' (run 'tianti run' first, or give --db)", path);
        status = 1;
        goto done;
    }
    char err[TT_ERR_SIZE];
    int rc = store_open(path, &s, err);
    report_filter f = {run_ids, runs.n, model_names.items, model_names.n, task_names.items, task_names.n};
    if (!rc) rc = report_table_build(s, path, &f, &t, err);
    tt_buf notes;
    tt_buf_init(&notes);
    if (!rc) rc = report_render(t, out, fmt, &notes, err);
    if (rc) {
        cli_error("report: %s", err);
        /* a --run that is not in the store is a mistake on the command line */
        status = rc == TT_ERR_NOTFOUND ? 2 : cli_exit_status(rc);
        tt_buf_free(&notes);
        goto done;
    }
    printf("report: %d models, %d tasks, %d runs, %lld battles -> %s/", t->n_rows, t->n_tasks, t->n_runs,
           t->arena.rated, out);
    if (fmt & REPORT_HTML) printf(" index.html");
    if (fmt & REPORT_MD) printf(" leaderboard.md");
    if (fmt & REPORT_JSON) printf(" leaderboard.json");
    if (fmt & REPORT_CSV) printf(" *.csv");
    printf("\n");
    /* Missing pieces are worth saying but are not errors. */
    const char *line = tt_buf_str(&notes);
    while (*line) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        printf("  note: %.*s\n", len, line);
        line += len + (nl != NULL);
    }
    tt_buf_free(&notes);
done:
    report_table_free(t);
    store_close(s);
    free(run_ids);
    cli_list_free(&formats);
    cli_list_free(&runs);
    cli_list_free(&models);
    cli_list_free(&tasks);
    cli_list_free(&model_names);
    cli_list_free(&task_names);
    return status;
}
