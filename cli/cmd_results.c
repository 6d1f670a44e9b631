/*
 * cmd_results.c — `tianti results`: shows the metrics the store holds, one
 * row per (run, model, task or suite, filter, metric), as a table, JSON or
 * CSV. Read-only. The rows come from store_results_each (store/results.h);
 * every store error is reported and exits with status 1.
 */
#include "cli/cli.h"
#include "engines/registry.h"
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
    "tianti results --usage [--db FILE] [--run ID] [--format table|json|csv]",
    "",
    "--usage shows, per run, model and task, the documents, prompt, completion and reasoning tokens",
    "(completion includes reasoning) and the cost in USD at the model's price in models.json",
    "(\"price\": {\"input_per_mtok\", \"output_per_mtok\"}; blank without one).",
    "--compare shows a column per model: without --run, each model's newest result for each",
    "task across all runs; with --run, that run's.",
    NULL,
};

/* ---- --compare ------------------------------------------------------------ */

/* One metric of the run, copied out of the store. */
typedef struct cmp_row {
    int64_t run_id, model_id;
    char *model_name, *task, *metric, *filter;
    int is_group;
    double value, se;           /* NaN when NULL */
} cmp_row;

typedef struct cmp_rows {
    cmp_row *v;
    size_t n, cap;
} cmp_rows;

static int collect(void *ctx, const store_metric_row *m, char *err)
{
    (void)err;
    cmp_rows *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = tt_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (cmp_row){m->run_id, m->model_id, tt_strdup(m->model_name), tt_strdup(m->task_name), tt_strdup(m->metric),
                             tt_strdup(m->filter), m->is_group, m->value, m->stderr_value};
    return TT_OK;
}

static void cmp_rows_free(cmp_rows *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].model_name);
        free(l->v[i].task);
        free(l->v[i].metric);
        free(l->v[i].filter);
    }
    free(l->v);
}

static int by_model_id(const void *x, const void *y)
{
    const cmp_row *a = *(const cmp_row *const *)x, *b = *(const cmp_row *const *)y;
    return a->model_id < b->model_id ? -1 : a->model_id > b->model_id;
}

/* Row order of the table: tasks before suites, then task, metric, filter
 * (byte order, as the store compares text). */
static int by_label(const void *x, const void *y)
{
    const cmp_row *a = *(const cmp_row *const *)x, *b = *(const cmp_row *const *)y;
    if (a->is_group != b->is_group) return a->is_group - b->is_group;
    int c = strcmp(a->task, b->task);
    if (!c) c = strcmp(a->metric, b->metric);
    return c ? c : strcmp(a->filter, b->filter);
}

/* Cell lookup order: model, task, metric, filter. A cell is found by these
 * four alone, so a task and a suite of the same name share their cells. */
static int by_cell(const void *x, const void *y)
{
    const cmp_row *a = *(const cmp_row *const *)x, *b = *(const cmp_row *const *)y;
    if (a->model_id != b->model_id) return a->model_id < b->model_id ? -1 : 1;
    int c = strcmp(a->task, b->task);
    if (!c) c = strcmp(a->metric, b->metric);
    return c ? c : strcmp(a->filter, b->filter);
}

static int has_filter(const cmp_row *r) { return strcmp(r->filter, "none") != 0; }

static size_t codepoints(const char *s) { return tt_utf8_codepoints(s, strlen(s)); }

/* One table with a column per model (of one run with --run, else each
 * model's newest result per task across runs): the "which model is
 * better, by how much" view the quick start prints. Returns the exit
 * status. */
static int print_comparison(store *s, int64_t run, const char *path)
{
    char err[TT_ERR_SIZE];
    cmp_rows rows = {0};
    int rc = run ? store_results_each(s, run, collect, &rows, err) : store_results_latest_each(s, collect, &rows, err);
    if (rc != TT_OK) {
        cli_error("results: %s", err);
        cmp_rows_free(&rows);
        return 1;
    }
    if (rows.n == 0) {
        if (run) printf("(no results of run %lld in '%s')\n", (long long)run, cli_db_shown(path));
        else printf("(no results stored in '%s')\n", cli_db_shown(path));
        cmp_rows_free(&rows);
        return 0;
    }
    int64_t first_run = rows.v[0].run_id, last_run = rows.v[0].run_id;
    for (size_t i = 0; i < rows.n; i++) {
        if (rows.v[i].run_id < first_run) first_run = rows.v[i].run_id;
        if (rows.v[i].run_id > last_run) last_run = rows.v[i].run_id;
    }
    size_t n = rows.n;
    const cmp_row **models = tt_calloc(n + 1, sizeof *models), **labels = tt_calloc(n + 1, sizeof *labels),
                  **cells = tt_calloc(n + 1, sizeof *cells);
    for (size_t i = 0; i < n; i++) models[i] = labels[i] = cells[i] = &rows.v[i];
    qsort(models, n, sizeof *models, by_model_id);
    qsort(labels, n, sizeof *labels, by_label);
    qsort(cells, n, sizeof *cells, by_cell);
    size_t n_models = 0, n_labels = 0;
    for (size_t i = 0; i < n; i++) {
        if (n_models == 0 || models[n_models - 1]->model_id != models[i]->model_id) models[n_models++] = models[i];
        if (n_labels == 0 || by_label(&labels[n_labels - 1], &labels[i]) != 0) labels[n_labels++] = labels[i];
    }
    int *width = tt_calloc(n_models + 1, sizeof *width);
    for (size_t i = 0; i < n_models; i++) {
        width[i] = (int)codepoints(models[i]->model_name);
        if (width[i] < 20) width[i] = 20;
    }
    /* The label column fits the longest "task metric (filter)"; a suite's
     * "[suite] " counts one more than it prints, as it always has. */
    int label_w = 30;
    for (size_t i = 0; i < n; i++) {
        const cmp_row *r = &rows.v[i];
        int w = (int)(codepoints(r->task) + codepoints(r->metric) + (has_filter(r) ? codepoints(r->filter) + 3 : 0)) +
                9 * r->is_group + 1;
        if (w > label_w) label_w = w;
    }
    if (first_run == last_run) printf("run %lld: value ± stderr per model\n\n", (long long)first_run);
    else printf("runs %lld-%lld: value ± stderr per model, each model's newest result per task\n\n",
                (long long)first_run, (long long)last_run);
    printf("| %-*s |", label_w, "task / metric (filter)");
    for (size_t i = 0; i < n_models; i++) printf(" %-*s |", width[i], models[i]->model_name);
    printf("\n|");
    for (int k = 0; k < label_w + 2; k++) putchar('-');
    putchar('|');
    for (size_t i = 0; i < n_models; i++) {
        for (int k = 0; k < width[i] + 2; k++) putchar('-');
        putchar('|');
    }
    printf("\n");
    for (size_t k = 0; k < n_labels; k++) {
        const cmp_row *l = labels[k];
        char *label = tt_asprintf("%s%s %s%s%s%s", l->is_group ? "[suite] " : "", l->task, l->metric,
                                  has_filter(l) ? " (" : "", has_filter(l) ? l->filter : "", has_filter(l) ? ")" : "");
        int lpad = label_w - (int)codepoints(label);
        printf("| %s%*s |", label, lpad > 0 ? lpad : 0, "");
        free(label);
        for (size_t i = 0; i < n_models; i++) {
            cmp_row key = {.model_id = models[i]->model_id, .task = l->task, .metric = l->metric, .filter = l->filter};
            const cmp_row *kp = &key, **hit = bsearch(&kp, cells, n, sizeof *cells, by_cell);
            char *text = NULL;
            if (hit && !isnan((*hit)->value))
                text = isnan((*hit)->se) ? tt_asprintf("%.4f", (*hit)->value)
                                         : tt_asprintf("%.4f ± %.4f", (*hit)->value, (*hit)->se);
            int pad = width[i] - (int)(text ? codepoints(text) : 0);
            printf(" %s%*s |", text ? text : "", pad > 0 ? pad : 0, "");
            free(text);
        }
        printf("\n");
    }
    free(width);
    free(models);
    free(labels);
    free(cells);
    cmp_rows_free(&rows);
    return 0;
}

/* ---- the listing ------------------------------------------------------------- */

typedef struct listing_ctx {
    const char *format;
    json_t *rows;           /* --format json: collected, printed at the end */
    int count;
    int header_done;
} listing_ctx;

/* The table or CSV header, printed once the store has answered, so that a
 * store error leaves no half table behind. */
static void print_header(listing_ctx *lc)
{
    if (lc->header_done) return;
    lc->header_done = 1;
    if (!strcmp(lc->format, "table"))
        printf("| %-4s | %-28s | %-26s | %-14s | %-5s | %-12s | %9s | %8s | %6s |\n", "run", "model", "task",
               "filter", "shots", "metric", "value", "stderr", "n");
    else if (!strcmp(lc->format, "csv"))
        printf("run,model,spec,task,is_group,filter,n_shot,metric,value,stderr,n,higher_is_better,started_at\n");
    if (!strcmp(lc->format, "table"))
        printf("|------|------------------------------|----------------------------|----------------|-------|--------------|-----------|----------|--------|\n");
}

/* Prints (or, for JSON, collects) one metric row of the listing. */
static int print_row(void *ctx, const store_metric_row *m, char *err)
{
    (void)err;
    listing_ctx *lc = ctx;
    print_header(lc);
    lc->count++;
    long long run_id = (long long)m->run_id;
    const char *name = m->model_name, *spec = m->model_spec, *task = m->task_name, *filter = m->filter,
               *metric = m->metric, *started = m->started_at;
    int is_group = m->is_group;
    int has_value = !isnan(m->value), has_se = !isnan(m->stderr_value);
    double value = m->value, se = m->stderr_value;
    long long n = (long long)m->n;
    int has_shot = m->n_shot.has;
    long long shots = (long long)m->n_shot.v;
    int hib = m->higher_is_better.has ? (int)m->higher_is_better.v : 0;
    if (!strcmp(lc->format, "table")) {
        char *task_col = tt_asprintf("%s%s", is_group ? "" : " - ", task);
        char *shot_col = has_shot ? tt_asprintf("%lld", shots) : tt_strdup("");
        char *val = has_value ? tt_asprintf("%.4f", value) : tt_strdup("N/A");
        char *sec = has_se ? tt_asprintf("%.4f", se) : tt_strdup("N/A");
        printf("| %-4lld | %-28s | %-26s | %-14s | %5s | %-10s %s | %9s | %8s | %6lld |\n", run_id, name, task_col,
               filter, shot_col, metric, hib ? "↑" : "↓", val, sec, n);
        free(task_col);
        free(shot_col);
        free(val);
        free(sec);
    } else if (!strcmp(lc->format, "csv")) {
        printf("%lld,", run_id);
        tt_csv_field_fput(stdout, name); fputc(',', stdout);
        tt_csv_field_fput(stdout, spec); fputc(',', stdout);
        tt_csv_field_fput(stdout, task);
        printf(",%d,", is_group);
        tt_csv_field_fput(stdout, filter);
        if (has_shot) printf(",%lld,", shots); else printf(",,");
        tt_csv_field_fput(stdout, metric);
        if (has_value) printf(",%.17g", value); else printf(",");
        if (has_se) printf(",%.17g", se); else printf(",");
        printf(",%lld,%d,%s\n", n, hib, started ? started : "");
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "run", json_integer((json_int_t)run_id));
        json_object_set_new(o, "model", json_string(name));
        json_object_set_new(o, "spec", json_string(spec));
        json_object_set_new(o, "task", json_string(task));
        json_object_set_new(o, "is_group", json_boolean(is_group));
        json_object_set_new(o, "filter", json_string(filter));
        json_object_set_new(o, "n_shot", has_shot ? json_integer((json_int_t)shots) : json_null());
        json_object_set_new(o, "metric", json_string(metric));
        json_object_set_new(o, "value", has_value && isfinite(value) ? json_real(value) : json_null());
        json_object_set_new(o, "stderr", has_se && isfinite(se) ? json_real(se) : json_null());
        json_object_set_new(o, "n", json_integer((json_int_t)n));
        json_object_set_new(o, "higher_is_better", json_boolean(hib));
        json_object_set_new(o, "started_at", json_string(started ? started : ""));
        json_array_append_new(lc->rows, o);
    }
    return TT_OK;
}

/* ---- --usage -------------------------------------------------------------------- */

static int print_usage_row(void *ctx, const store_usage_row *u, char *err)
{
    (void)err;
    listing_ctx *lc = ctx;
    double pin, pout;
    registry_price_from_params(u->params_json, &pin, &pout);
    double cost = registry_cost_usd(pin, pout, (long)u->prompt_tokens, (long)u->completion_tokens);
    if (!lc->header_done) {
        lc->header_done = 1;
        if (!strcmp(lc->format, "table"))
            printf("| %-4s | %-28s | %-26s | %6s | %6s | %10s | %10s | %10s | %10s |\n"
                   "|------|------------------------------|----------------------------|--------|--------|------------|"
                   "------------|------------|------------|\n",
                   "run", "model", "task", "docs", "failed", "prompt", "completion", "reasoning", "cost_usd");
        else if (!strcmp(lc->format, "csv"))
            printf("run,model,spec,task,docs,failed,prompt_tokens,completion_tokens,reasoning_tokens,cost_usd,latency_s\n");
    }
    lc->count++;
    if (!strcmp(lc->format, "table")) {
        char c[32] = "";
        if (!isnan(cost)) snprintf(c, sizeof c, "%.6f", cost);
        printf("| %-4lld | %-28s | %-26s | %6lld | %6lld | %10lld | %10lld | %10lld | %10s |\n", (long long)u->run_id,
               u->model_name, u->task_name, (long long)u->samples, (long long)u->failed, (long long)u->prompt_tokens,
               (long long)u->completion_tokens, (long long)u->reasoning_tokens, c);
    } else if (!strcmp(lc->format, "csv")) {
        printf("%lld,", (long long)u->run_id);
        tt_csv_field_fput(stdout, u->model_name); fputc(',', stdout);
        tt_csv_field_fput(stdout, u->model_spec); fputc(',', stdout);
        tt_csv_field_fput(stdout, u->task_name);
        printf(",%lld,%lld,%lld,%lld,%lld,", (long long)u->samples, (long long)u->failed, (long long)u->prompt_tokens,
               (long long)u->completion_tokens, (long long)u->reasoning_tokens);
        if (!isnan(cost)) printf("%.17g", cost);
        printf(",%.17g\n", u->latency_s);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "run", json_integer((json_int_t)u->run_id));
        json_object_set_new(o, "model", json_string(u->model_name));
        json_object_set_new(o, "spec", json_string(u->model_spec));
        json_object_set_new(o, "task", json_string(u->task_name));
        json_object_set_new(o, "docs", json_integer((json_int_t)u->samples));
        json_object_set_new(o, "failed", json_integer((json_int_t)u->failed));
        json_object_set_new(o, "prompt_tokens", json_integer((json_int_t)u->prompt_tokens));
        json_object_set_new(o, "completion_tokens", json_integer((json_int_t)u->completion_tokens));
        json_object_set_new(o, "reasoning_tokens", json_integer((json_int_t)u->reasoning_tokens));
        json_object_set_new(o, "cost_usd", isnan(cost) ? json_null() : json_real(cost));
        json_object_set_new(o, "latency_s", json_real(u->latency_s));
        json_array_append_new(lc->rows, o);
    }
    return TT_OK;
}

int cmd_results(int argc, char **argv)
{
    const char *db = NULL, *format = "table";
    int run = 0, compare = 0, show_usage = 0;
    const cli_option opts[] = {
        {OPT_FLAG, 0, "compare", &compare, NULL, "one column per model: each one's newest result per task (or --run's)", 0},
        {OPT_STRING, 0, "db", &db, "FILE", "database (default tianti.db or $TIANTI_DB)", 0},
        {OPT_INT, 0, "run", &run, "ID", "only this run", 0},
        {OPT_STRING, 'f', "format", &format, "FMT", "table (default), json or csv", 0},
        {OPT_FLAG, 0, "usage", &show_usage, NULL, "tokens and cost per run, model and task instead of metrics", 0},
        CLI_OPT_END,
    };
    int prc = cli_parse(argc, argv, usage, opts, NULL);
    if (prc) return prc == 1 ? 0 : 2;
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv")) {
        const char *formats[] = {"table", "json", "csv"};
        return cli_unknown("results: unknown format", format, formats, 3);
    }
    const char *path = cli_db_path(db);
    if (!store_target_exists(path)) {
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
    if (run != 0) {
        /* a --run that is not in the store is a mistake on the command line */
        store_run_row row;
        rc = store_run_get(s, run, &row, err);
        if (rc == TT_OK) store_run_row_free(&row);
        if (rc != TT_OK) {
            cli_error("results: %s", err);
            store_close(s);
            return rc == TT_ERR_NOTFOUND ? 2 : 1;
        }
    }
    if (compare) {
        int status = print_comparison(s, (int64_t)run, path);
        store_close(s);
        return status;
    }
    json_t *rows = json_array();
    listing_ctx lc = {format, rows, 0, 0};
    rc = show_usage ? store_usage_each(s, run, print_usage_row, &lc, err) : store_results_each(s, run, print_row, &lc, err);
    if (rc != TT_OK) {
        cli_error("results: %s", err);
        json_decref(rows);
        store_close(s);
        return 1;
    }
    if (!show_usage) print_header(&lc);   /* the header of an empty listing */
    if (!strcmp(format, "json")) {
        json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', stdout);
    } else if (!strcmp(format, "table") && lc.count == 0) {
        printf("(no results stored in '%s')\n", cli_db_shown(path));
    }
    json_decref(rows);
    store_close(s);
    return 0;
}
