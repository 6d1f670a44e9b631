/*
 * cmd_results.c — `tianti results`: shows the metrics the store holds, one
 * row per (run, model, task or suite, filter, metric), as a table, JSON or
 * CSV. Read-only.
 */
#include "cli/cli.h"
#include "store/store.h"
#include "core/utf8.h"
#include "core/escape.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti results [--db FILE] [--run ID] [--format table|json|csv]",
    "tianti results --compare [--db FILE] [--run ID]",
    NULL,
};

/* One table with a column per model (of one run: --run, else the newest):
 * the "which model is better, by how much" view the quick start prints. */
static int print_comparison(store *s, int run, const char *path)
{
    char err[TT_ERR_SIZE];
    sqlite3_stmt *st;
    if (run == 0) {
        if (store_prepare(s, "SELECT coalesce(max(run_id), 0) FROM metrics", &st, err) != TT_OK) return 1;
        if (sqlite3_step(st) == SQLITE_ROW) run = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (run == 0) {
        printf("(no results stored in '%s')\n", path);
        return 0;
    }
    if (store_prepare(s, "SELECT DISTINCT mo.id, mo.name FROM metrics m JOIN models mo ON mo.id = m.model_id "
                         "WHERE m.run_id = ? ORDER BY mo.id", &st, err) != TT_OK)
        return 1;
    sqlite3_bind_int(st, 1, run);
    int n_models = 0;
    int ids[64];
    char *names[64];
    while (sqlite3_step(st) == SQLITE_ROW && n_models < 64) {
        ids[n_models] = sqlite3_column_int(st, 0);
        names[n_models++] = tt_strdup((const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    int width[64];
    for (int i = 0; i < n_models; i++) {
        width[i] = (int)tt_utf8_codepoints(names[i], strlen(names[i]));
        if (width[i] < 20) width[i] = 20;
    }
    /* The label column fits the longest "task metric (filter)". */
    int label_w = 30;
    if (store_prepare(s, "SELECT max(length(task_name) + length(metric) + CASE WHEN filter = 'none' THEN 0 "
                         "ELSE length(filter) + 3 END + 9 * is_group + 1) FROM metrics WHERE run_id = ?", &st, err) == TT_OK) {
        sqlite3_bind_int(st, 1, run);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > label_w) label_w = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    printf("run %d: value ± stderr per model\n\n| %-*s |", run, label_w, "task / metric (filter)");
    for (int i = 0; i < n_models; i++) printf(" %-*s |", width[i], names[i]);
    printf("\n|");
    for (int k = 0; k < label_w + 2; k++) putchar('-');
    putchar('|');
    for (int i = 0; i < n_models; i++) {
        for (int k = 0; k < width[i] + 2; k++) putchar('-');
        putchar('|');
    }
    printf("\n");
    if (store_prepare(s, "SELECT DISTINCT task_name, metric, filter, is_group FROM metrics WHERE run_id = ? "
                         "ORDER BY is_group, task_name, metric, filter", &st, err) != TT_OK)
        return 1;
    sqlite3_bind_int(st, 1, run);
    sqlite3_stmt *cell;
    if (store_prepare(s, "SELECT value, stderr FROM metrics WHERE run_id = ? AND model_id = ? AND task_name = ? "
                         "AND metric = ? AND filter = ?", &cell, err) != TT_OK) {
        sqlite3_finalize(st);
        return 1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *task = (const char *)sqlite3_column_text(st, 0);
        const char *metric = (const char *)sqlite3_column_text(st, 1);
        const char *filter = (const char *)sqlite3_column_text(st, 2);
        char label[160];
        snprintf(label, sizeof label, "%s%s %s%s%s%s", sqlite3_column_int(st, 3) ? "[suite] " : "", task, metric,
                 strcmp(filter, "none") ? " (" : "", strcmp(filter, "none") ? filter : "", strcmp(filter, "none") ? ")" : "");
        int lpad = label_w - (int)tt_utf8_codepoints(label, strlen(label));
        printf("| %s%*s |", label, lpad > 0 ? lpad : 0, "");
        for (int i = 0; i < n_models; i++) {
            sqlite3_reset(cell);
            sqlite3_bind_int(cell, 1, run);
            sqlite3_bind_int(cell, 2, ids[i]);
            sqlite3_bind_text(cell, 3, task, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(cell, 4, metric, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(cell, 5, filter, -1, SQLITE_TRANSIENT);
            char text[48] = "";
            if (sqlite3_step(cell) == SQLITE_ROW && sqlite3_column_type(cell, 0) != SQLITE_NULL) {
                if (sqlite3_column_type(cell, 1) != SQLITE_NULL)
                    snprintf(text, sizeof text, "%.4f ± %.4f", sqlite3_column_double(cell, 0), sqlite3_column_double(cell, 1));
                else
                    snprintf(text, sizeof text, "%.4f", sqlite3_column_double(cell, 0));
            }
            int pad = width[i] - (int)tt_utf8_codepoints(text, strlen(text));
            printf(" %s%*s |", text, pad > 0 ? pad : 0, "");
        }
        printf("\n");
    }
    sqlite3_finalize(cell);
    sqlite3_finalize(st);
    for (int i = 0; i < n_models; i++) free(names[i]);
    return 0;
}

int cmd_results(int argc, char **argv)
{
    const char *db = NULL, *format = "table";
    int run = 0, compare = 0;
    const cli_option opts[] = {
        {OPT_FLAG, 0, "compare", &compare, NULL, "one column per model, for one run (default: the newest)"},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)"},
        {OPT_INT, 0, "run", &run, "ID", "only this run"},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default), json or csv"},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, NULL);
    if (prc) return prc == 1 ? 0 : 2;
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv")) {
        cli_error("results: unknown format '%s' (table, json or csv)", format);
        return 2;
    }
    const char *path = cli_db_path(db);
    if (!tt_file_exists(path)) {
        cli_error("results: no database '%s' (run 'tianti run' first, or give --db)", path);
        return 1;
    }
    char err[TT_ERR_SIZE];
    store *s;
    int rc = store_open(path, &s, err);
    if (rc) {
        cli_error("results: %s", err);
        return cli_exit_status(rc);
    }
    if (compare) {
        int status = print_comparison(s, run, path);
        store_close(s);
        return status;
    }
    sqlite3_stmt *st;
    rc = store_prepare(s,
        "SELECT m.run_id, mo.name, mo.spec, m.task_name, m.is_group, m.filter, m.metric, m.value, m.stderr, m.n, "
        "m.n_shot, m.higher_is_better, r.started_at FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "JOIN runs r ON r.id = m.run_id WHERE (?1 = 0 OR m.run_id = ?1) "
        "ORDER BY m.run_id, mo.name, m.is_group DESC, m.task_name, m.filter, m.metric", &st, err);
    if (rc) {
        cli_error("results: %s", err);
        store_close(s);
        return 1;
    }
    sqlite3_bind_int(st, 1, run);
    json_t *rows = json_array();
    if (!strcmp(format, "table"))
        printf("| %-4s | %-28s | %-26s | %-14s | %-5s | %-12s | %9s | %8s | %6s |\n", "run", "model", "task",
               "filter", "shots", "metric", "value", "stderr", "n");
    else if (!strcmp(format, "csv"))
        printf("run,model,spec,task,is_group,filter,n_shot,metric,value,stderr,n,higher_is_better,started_at\n");
    if (!strcmp(format, "table"))
        printf("|------|------------------------------|----------------------------|----------------|-------|--------------|-----------|----------|--------|\n");
    int count = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        count++;
        int run_id = sqlite3_column_int(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *spec = (const char *)sqlite3_column_text(st, 2);
        const char *task = (const char *)sqlite3_column_text(st, 3);
        int is_group = sqlite3_column_int(st, 4);
        const char *filter = (const char *)sqlite3_column_text(st, 5);
        const char *metric = (const char *)sqlite3_column_text(st, 6);
        int has_value = sqlite3_column_type(st, 7) != SQLITE_NULL;
        int has_se = sqlite3_column_type(st, 8) != SQLITE_NULL;
        double value = sqlite3_column_double(st, 7), se = sqlite3_column_double(st, 8);
        int n = sqlite3_column_int(st, 9);
        int has_shot = sqlite3_column_type(st, 10) != SQLITE_NULL;
        int shots = sqlite3_column_int(st, 10);
        int hib = sqlite3_column_int(st, 11);
        const char *started = (const char *)sqlite3_column_text(st, 12);
        if (!strcmp(format, "table")) {
            char task_col[64], shot_col[8], val[32], sec[32];
            snprintf(task_col, sizeof task_col, "%s%s", is_group ? "" : (is_group ? "" : " - "), task);
            if (is_group) snprintf(task_col, sizeof task_col, "%s", task);
            snprintf(shot_col, sizeof shot_col, "%s", has_shot ? "" : "");
            if (has_shot) snprintf(shot_col, sizeof shot_col, "%d", shots);
            snprintf(val, sizeof val, has_value ? "%.4f" : "N/A", value);
            snprintf(sec, sizeof sec, has_se ? "%.4f" : "N/A", se);
            printf("| %-4d | %-28s | %-26s | %-14s | %5s | %-10s %s | %9s | %8s | %6d |\n", run_id, name, task_col,
                   filter, shot_col, metric, hib ? "↑" : "↓", val, sec, n);
        } else if (!strcmp(format, "csv")) {
            printf("%d,", run_id);
            tt_csv_field_fput(stdout, name); fputc(',', stdout);
            tt_csv_field_fput(stdout, spec); fputc(',', stdout);
            tt_csv_field_fput(stdout, task);
            printf(",%d,", is_group);
            tt_csv_field_fput(stdout, filter);
            if (has_shot) printf(",%d,", shots); else printf(",,");
            tt_csv_field_fput(stdout, metric);
            if (has_value) printf(",%.17g", value); else printf(",");
            if (has_se) printf(",%.17g", se); else printf(",");
            printf(",%d,%d,%s\n", n, hib, started ? started : "");
        } else {
            json_t *o = json_object();
            json_object_set_new(o, "run", json_integer(run_id));
            json_object_set_new(o, "model", json_string(name));
            json_object_set_new(o, "spec", json_string(spec));
            json_object_set_new(o, "task", json_string(task));
            json_object_set_new(o, "is_group", json_boolean(is_group));
            json_object_set_new(o, "filter", json_string(filter));
            json_object_set_new(o, "n_shot", has_shot ? json_integer(shots) : json_null());
            json_object_set_new(o, "metric", json_string(metric));
            json_object_set_new(o, "value", has_value && isfinite(value) ? json_real(value) : json_null());
            json_object_set_new(o, "stderr", has_se && isfinite(se) ? json_real(se) : json_null());
            json_object_set_new(o, "n", json_integer(n));
            json_object_set_new(o, "higher_is_better", json_boolean(hib));
            json_object_set_new(o, "started_at", json_string(started ? started : ""));
            json_array_append_new(rows, o);
        }
    }
    sqlite3_finalize(st);
    if (!strcmp(format, "json")) {
        json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', stdout);
    } else if (!strcmp(format, "table") && count == 0) {
        printf("(no results stored in '%s')\n", path);
    }
    json_decref(rows);
    store_close(s);
    return 0;
}
