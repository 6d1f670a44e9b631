/*
 * table.c — builds the report_table (table.h) from the store: metrics of
 * the newest run per (model, task, filter, metric), the newest rating
 * computation per method, the newest bench result per (model, test), and
 * the arena statistics of battles.c. Rows are ordered best first: by BT
 * rating when a group has one, then by Elo, then by mean accuracy; rows of
 * one model name stay together, highest precision first.
 * Called by reports/render.c (the `tianti report` command) and tests.
 */
#include "reports/table.h"
#include "core/util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------- */

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? tt_strdup((const char *)t) : NULL;
}

static double col_num(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int col_int_or(sqlite3_stmt *st, int i, int dflt)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int(st, i);
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static void add_missing(report_table *t, const char *fmt, const char *arg)
{
    t->missing = tt_realloc(t->missing, sizeof(char *) * (size_t)(t->n_missing + 1));
    t->missing[t->n_missing++] = tt_asprintf(fmt, arg ? arg : "");
}

static int filter_model(const report_filter *f, const char *name, const char *spec)
{
    if (!f || f->n_models == 0) return 1;
    for (int i = 0; i < f->n_models; i++)
        if (str_eq(f->models[i], name) || (spec && str_eq(f->models[i], spec))) return 1;
    return 0;
}

static int filter_task(const report_filter *f, const char *task)
{
    if (!f || f->n_tasks == 0) return 1;
    for (int i = 0; i < f->n_tasks; i++)
        if (str_eq(f->tasks[i], task)) return 1;
    return 0;
}

static int filter_run(const report_filter *f, int64_t run)
{
    if (!f || f->n_runs == 0) return 1;
    for (int i = 0; i < f->n_runs; i++)
        if (f->runs[i] == run) return 1;
    return 0;
}

int report_precision_bits(const char *p)
{
    if (!p || !*p) return 0;
    char low[32];
    size_t i = 0;
    for (; p[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)p[i]);
    low[i] = 0;
    if (!strcmp(low, "f32") || !strcmp(low, "fp32") || !strcmp(low, "float32")) return 32;
    if (!strcmp(low, "f16") || !strcmp(low, "fp16") || !strcmp(low, "bf16") || !strcmp(low, "float16")) return 16;
    const char *d = low;
    while (*d && !isdigit((unsigned char)*d)) d++;
    return *d ? atoi(d) : 0;
}

char *report_row_label(const report_row *r)
{
    if (r->precision && *r->precision) return tt_asprintf("%s (%s)", r->name, r->precision);
    return tt_strdup(r->name);
}

char *report_arena_label(const report_table *t, int i)
{
    const char *m = t->arena.models[i];
    for (int r = 0; r < t->n_rows; r++)
        if (str_eq(t->rows[r].spec, m) && strcmp(t->rows[r].name, m)) return report_row_label(&t->rows[r]);
    return tt_strdup(m);
}

static int add_row(report_table *t, const char *name, const char *spec, const char *engine, const char *precision)
{
    t->rows = tt_realloc(t->rows, sizeof(report_row) * (size_t)(t->n_rows + 1));
    report_row *r = &t->rows[t->n_rows];
    memset(r, 0, sizeof *r);
    r->name = tt_strdup(name ? name : spec ? spec : "?");
    r->spec = tt_strdup(spec);
    r->engine = tt_strdup(engine);
    r->precision = tt_strdup(precision);
    r->bt = r->bt_lower = r->bt_upper = r->elo = NAN;
    r->peak_rss_bytes = r->gpu_bytes = r->file_bytes = NAN;
    r->tg_tps = r->tg_sd = r->pp_tps = r->pp_sd = r->ttft_s = r->load_s = NAN;
    r->mean_acc = NAN;
    return t->n_rows++;
}

static int find_row_spec(const report_table *t, const char *spec)
{
    for (int i = 0; spec && i < t->n_rows; i++)
        if (str_eq(t->rows[i].spec, spec)) return i;
    return -1;
}

/* Row for an arena model name: the row whose spec is that name, else the
 * only row with that display name; -1 otherwise. */
static int find_row_arena(const report_table *t, const char *model)
{
    int r = find_row_spec(t, model);
    if (r >= 0) return r;
    int found = -1;
    for (int i = 0; i < t->n_rows; i++) {
        if (!str_eq(t->rows[i].name, model)) continue;
        if (found >= 0) return -1;
        found = i;
    }
    return found;
}

/* ---- metrics ------------------------------------------------------------------ */

static int metric_pref(const char *m)
{
    static const char *const pref[] = {"acc", "exact_match", "acc_norm", "pass@1", "f1", "mc2", "bleu", "rougeL", NULL};
    for (int i = 0; pref[i]; i++)
        if (!strcmp(m, pref[i])) return i;
    return 100;
}

/* Is (filter, metric) a better primary choice than the task's current one? */
static int better_primary(const report_task *cur, const char *filter, const char *metric)
{
    int fa = strcmp(filter, "none") == 0, fb = strcmp(cur->filter, "none") == 0;
    if (fa != fb) return fa;
    int c = strcmp(filter, cur->filter);
    if (c) return c < 0;
    int pa = metric_pref(metric), pb = metric_pref(cur->metric);
    if (pa != pb) return pa < pb;
    return strcmp(metric, cur->metric) < 0;
}

static int task_index(report_table *t, const char *name, int is_group, int add)
{
    for (int i = 0; i < t->n_tasks; i++)
        if (t->tasks[i].is_group == is_group && !strcmp(t->tasks[i].name, name)) return i;
    if (!add) return -1;
    t->tasks = tt_realloc(t->tasks, sizeof(report_task) * (size_t)(t->n_tasks + 1));
    report_task *k = &t->tasks[t->n_tasks];
    memset(k, 0, sizeof *k);
    k->name = tt_strdup(name);
    k->is_group = is_group;
    k->higher_is_better = -1;
    return t->n_tasks++;
}

static int load_metrics(store *s, report_table *t, const report_filter *f, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "SELECT m.run_id, mo.spec, mo.name, mo.engine, mo.precision, m.task_name, m.is_group, m.filter, "
        "m.metric, m.value, m.stderr, m.n, m.n_shot, m.higher_is_better "
        "FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "ORDER BY m.run_id DESC, mo.spec, m.task_name, m.filter, m.metric", &st, err);
    if (rc) return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t run = sqlite3_column_int64(st, 0);
        const char *spec = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *task = (const char *)sqlite3_column_text(st, 5);
        const char *filter = (const char *)sqlite3_column_text(st, 7);
        const char *metric = (const char *)sqlite3_column_text(st, 8);
        if (!spec || !name || !task || !metric) continue;
        if (!filter) filter = "none";
        if (!filter_run(f, run) || !filter_model(f, name, spec) || !filter_task(f, task)) continue;
        int r = find_row_spec(t, spec);
        if (r < 0) r = add_row(t, name, spec, (const char *)sqlite3_column_text(st, 3),
                               (const char *)sqlite3_column_text(st, 4));
        t->metrics = tt_realloc(t->metrics, sizeof(report_metric) * (size_t)(t->n_metrics + 1));
        report_metric *m = &t->metrics[t->n_metrics++];
        m->run_id = run;
        m->row = r;
        m->task = tt_strdup(task);
        m->filter = tt_strdup(filter);
        m->metric = tt_strdup(metric);
        m->is_group = sqlite3_column_int(st, 6) != 0;
        m->value = col_num(st, 9);
        m->se = col_num(st, 10);
        m->n = sqlite3_column_int(st, 11);
        m->n_shot = col_int_or(st, 12, -1);
        m->higher_is_better = col_int_or(st, 13, -1);
        int k = task_index(t, task, m->is_group, 1);
        report_task *kt = &t->tasks[k];
        if (!kt->metric || better_primary(kt, filter, metric)) {
            free(kt->metric);
            free(kt->filter);
            kt->metric = tt_strdup(metric);
            kt->filter = tt_strdup(filter);
            kt->higher_is_better = m->higher_is_better;
        }
    }
    rc = step == SQLITE_DONE ? TT_OK
                             : tt_fail(err, TT_ERR_STORE, "cannot read metrics: %s", sqlite3_errmsg(store_db(s)));
    sqlite3_finalize(st);
    return rc;
}

static int cmp_task(const void *x, const void *y)
{
    const report_task *a = x, *b = y;
    if (a->is_group != b->is_group) return b->is_group - a->is_group;   /* suites first */
    return strcmp(a->name, b->name);
}

/* Fills the cells from the newest run of each (row, task, primary metric). */
static void fill_cells(report_table *t)
{
    if (t->n_tasks > 1) qsort(t->tasks, (size_t)t->n_tasks, sizeof(report_task), cmp_task);
    for (int r = 0; r < t->n_rows; r++)
        if (!t->rows[r].cells) t->rows[r].cells = tt_calloc((size_t)t->n_tasks + 1, sizeof(report_cell));
    for (int i = 0; i < t->n_metrics; i++) {   /* newest run first: the first match wins */
        report_metric *m = &t->metrics[i];
        int k = task_index(t, m->task, m->is_group, 0);
        if (k < 0 || strcmp(m->metric, t->tasks[k].metric) || strcmp(m->filter, t->tasks[k].filter)) continue;
        report_cell *c = &t->rows[m->row].cells[k];
        if (c->has) continue;
        c->has = 1;
        c->value = m->value;
        c->se = m->se;
        c->n = m->n;
        c->n_shot = m->n_shot;
        c->run_id = m->run_id;
    }
    for (int r = 0; r < t->n_rows; r++) {
        report_row *row = &t->rows[r];
        double sum = 0;
        int n = 0;
        for (int k = 0; k < t->n_tasks; k++) {
            report_cell *c = &row->cells[k];
            if (t->tasks[k].is_group || !c->has || !isfinite(c->value) || t->tasks[k].higher_is_better == 0) continue;
            sum += c->value;
            n++;
        }
        row->n_acc = n;
        row->mean_acc = n ? sum / n : NAN;
    }
}

/* ---- ratings --------------------------------------------------------------------- */

static int load_ratings(store *s, report_table *t, const report_filter *f, const char *method,
                        report_rating_info *info, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT computed_at, source FROM ratings WHERE method = ?1 "
                              "ORDER BY computed_at DESC, (source = 'all') DESC, id DESC LIMIT 1", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, method, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        info->present = 1;
        info->computed_at = col_text(st, 0);
        info->source = col_text(st, 1);
    }
    sqlite3_finalize(st);
    if (!info->present) return TT_OK;
    rc = store_prepare(s, "SELECT model, rating, lower, upper, rank, battles, bootstrap_rounds, seed FROM ratings "
                          "WHERE method = ?1 AND computed_at = ?2 AND source = ?3 ORDER BY rating DESC, id", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, method, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, info->computed_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, info->source, -1, SQLITE_STATIC);
    int is_bt = strcmp(method, "bt") == 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *model = (const char *)sqlite3_column_text(st, 0);
        if (!model || !filter_model(f, model, model)) continue;
        info->models++;
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) info->bootstrap_rounds = sqlite3_column_int(st, 6);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            info->has_seed = 1;
            info->seed = sqlite3_column_int64(st, 7);
        }
        int r = find_row_arena(t, model);
        if (r < 0) r = add_row(t, model, NULL, NULL, NULL);
        report_row *row = &t->rows[r];
        if (is_bt) {
            row->has_bt = 1;
            row->bt = sqlite3_column_double(st, 1);
            row->bt_lower = col_num(st, 2);
            row->bt_upper = col_num(st, 3);
            row->rank = col_int_or(st, 4, 0);
        } else {
            row->has_elo = 1;
            row->elo = sqlite3_column_double(st, 1);
            if (!row->rank) row->rank = col_int_or(st, 4, 0);
        }
        int b = sqlite3_column_int(st, 5);
        if (b > row->battles) row->battles = b;
    }
    sqlite3_finalize(st);
    return TT_OK;
}

/* ---- bench --------------------------------------------------------------------------- */

static int load_bench(store *s, report_table *t, const report_filter *f, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "SELECT created_at, model_spec, model_name, precision, test, unit, mean, stddev, n_tokens, repetitions, "
        "file_bytes, n_params, peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes, gpu_bytes, threads "
        "FROM bench_results ORDER BY created_at DESC, id DESC", &st, err);
    if (rc) return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *spec = (const char *)sqlite3_column_text(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *prec = (const char *)sqlite3_column_text(st, 3);
        const char *test = (const char *)sqlite3_column_text(st, 4);
        if (!spec || !name || !test || !filter_model(f, name, spec)) continue;
        t->bench = tt_realloc(t->bench, sizeof(report_bench) * (size_t)(t->n_bench + 1));
        report_bench *b = &t->bench[t->n_bench++];
        b->created_at = col_text(st, 0);
        b->model_spec = tt_strdup(spec);
        b->model_name = tt_strdup(name);
        b->precision = tt_strdup(prec);
        b->test = tt_strdup(test);
        b->unit = col_text(st, 5);
        b->mean = col_num(st, 6);
        b->stddev = col_num(st, 7);
        double *nums[] = {&b->n_tokens, &b->repetitions, &b->file_bytes, &b->n_params, &b->peak_rss_bytes,
                          &b->weights_bytes, &b->kv_bytes, &b->scratch_bytes, &b->gpu_bytes, &b->threads};
        for (int i = 0; i < 10; i++) *nums[i] = col_num(st, 8 + i);

        int r = find_row_spec(t, spec);
        if (r < 0)
            for (int i = 0; i < t->n_rows && r < 0; i++)
                if (str_eq(t->rows[i].name, name) && str_eq(t->rows[i].precision, prec) && !t->rows[i].spec) r = i;
        if (r < 0) r = add_row(t, name, spec, NULL, prec);
        report_row *row = &t->rows[r];
        row->has_bench = 1;
        /* Newest first: keep the first value seen of each quantity. */
        if (isnan(row->peak_rss_bytes)) row->peak_rss_bytes = b->peak_rss_bytes;
        if (isnan(row->gpu_bytes)) row->gpu_bytes = b->gpu_bytes;
        if (isnan(row->file_bytes)) row->file_bytes = b->file_bytes;
        if (!strncmp(test, "tg", 2) && isnan(row->tg_tps) && !isnan(b->mean)) {
            row->tg_tps = b->mean;
            row->tg_sd = b->stddev;
            row->tg_test = tt_strdup(test);
        } else if (!strncmp(test, "pp", 2) && isnan(row->pp_tps) && !isnan(b->mean)) {
            row->pp_tps = b->mean;
            row->pp_sd = b->stddev;
            row->pp_test = tt_strdup(test);
        } else if (!strcmp(test, "ttft") && isnan(row->ttft_s)) {
            row->ttft_s = b->mean;
        } else if (!strcmp(test, "load") && isnan(row->load_s)) {
            row->load_s = b->mean;
        }
    }
    sqlite3_finalize(st);
    return TT_OK;
}

/* ---- runs ----------------------------------------------------------------------------------- */

static int load_runs(store *s, report_table *t, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "SELECT id, started_at, finished_at, tool_version, git_rev, status, config_json, seed, "
        "(SELECT count(*) FROM samples WHERE run_id = runs.id) FROM runs WHERE id = ?1", &st, err);
    if (rc) return rc;
    for (int i = 0; i < t->n_metrics; i++) {
        int64_t id = t->metrics[i].run_id;
        int seen = 0;
        for (int j = 0; j < t->n_runs && !seen; j++) seen = t->runs[j].id == id;
        if (seen) {
            for (int j = 0; j < t->n_runs; j++)
                if (t->runs[j].id == id) t->runs[j].metric_rows++;
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        t->runs = tt_realloc(t->runs, sizeof(report_run) * (size_t)(t->n_runs + 1));
        report_run *r = &t->runs[t->n_runs++];
        memset(r, 0, sizeof *r);
        r->id = id;
        r->metric_rows = 1;
        if (sqlite3_step(st) == SQLITE_ROW) {
            r->started_at = col_text(st, 1);
            r->finished_at = col_text(st, 2);
            r->tool_version = col_text(st, 3);
            r->git_rev = col_text(st, 4);
            r->status = col_text(st, 5);
            r->config_json = col_text(st, 6);
            r->seed = (uint64_t)sqlite3_column_int64(st, 7);
            r->samples = sqlite3_column_int64(st, 8);
        }
    }
    sqlite3_finalize(st);
    return TT_OK;
}

static int check_runs_exist(store *s, const report_filter *f, char *err)
{
    if (!f || f->n_runs == 0) return TT_OK;
    sqlite3_stmt *st;
    int rc = store_prepare(s, "SELECT 1 FROM runs WHERE id = ?1", &st, err);
    if (rc) return rc;
    for (int i = 0; i < f->n_runs && !rc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, f->runs[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            rc = tt_fail(err, TT_ERR_NOTFOUND, "run %lld is not in the store", (long long)f->runs[i]);
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- ordering ------------------------------------------------------------------------------- */

typedef struct group_key {
    int tier;          /* 0: has BT, 1: has Elo, 2: accuracy only, 3: nothing */
    double score;
} group_key;

static const report_table *g_t;
static group_key *g_keys;

static int cmp_rows(const void *x, const void *y)
{
    const report_row *a = &g_t->rows[*(const int *)x], *b = &g_t->rows[*(const int *)y];
    if (a->group != b->group) {
        const group_key *ka = &g_keys[a->group], *kb = &g_keys[b->group];
        if (ka->tier != kb->tier) return ka->tier - kb->tier;
        if (ka->score != kb->score) return ka->score > kb->score ? -1 : 1;
        int c = strcmp(a->name, b->name);
        return c ? c : a->group - b->group;
    }
    int pa = report_precision_bits(a->precision), pb = report_precision_bits(b->precision);
    if (!a->precision != !b->precision) return a->precision ? -1 : 1;
    if (pa != pb) return pb - pa;
    int c = strcmp(a->precision ? a->precision : "", b->precision ? b->precision : "");
    return c ? c : strcmp(a->spec ? a->spec : "", b->spec ? b->spec : "");
}

static void order_rows(report_table *t)
{
    /* Groups by display name, in first-seen order. */
    t->n_groups = 0;
    for (int i = 0; i < t->n_rows; i++) {
        t->rows[i].group = -1;
        for (int j = 0; j < i; j++)
            if (!strcmp(t->rows[j].name, t->rows[i].name)) {
                t->rows[i].group = t->rows[j].group;
                break;
            }
        if (t->rows[i].group < 0) t->rows[i].group = t->n_groups++;
    }
    group_key *keys = tt_calloc((size_t)t->n_groups + 1, sizeof(group_key));
    for (int g = 0; g < t->n_groups; g++) {
        keys[g].tier = 3;
        keys[g].score = -INFINITY;
    }
    for (int i = 0; i < t->n_rows; i++) {
        report_row *r = &t->rows[i];
        group_key *k = &keys[r->group];
        int tier = r->has_bt ? 0 : r->has_elo ? 1 : !isnan(r->mean_acc) ? 2 : 3;
        double score = r->has_bt ? r->bt : r->has_elo ? r->elo : !isnan(r->mean_acc) ? r->mean_acc : -INFINITY;
        if (tier < k->tier || (tier == k->tier && score > k->score)) {
            k->tier = tier;
            k->score = score;
        }
    }
    int *perm = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    for (int i = 0; i < t->n_rows; i++) perm[i] = i;
    g_t = t;
    g_keys = keys;
    if (t->n_rows > 1) qsort(perm, (size_t)t->n_rows, sizeof(int), cmp_rows);
    report_row *sorted = tt_malloc(sizeof(report_row) * (size_t)(t->n_rows + 1));
    int *inv = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1));
    for (int i = 0; i < t->n_rows; i++) {
        sorted[i] = t->rows[perm[i]];
        inv[perm[i]] = i;
    }
    free(t->rows);
    t->rows = sorted;
    for (int i = 0; i < t->n_metrics; i++) t->metrics[i].row = inv[t->metrics[i].row];
    /* Renumber groups in display order. */
    int *gmap = tt_malloc(sizeof(int) * (size_t)(t->n_groups + 1));
    for (int g = 0; g < t->n_groups; g++) gmap[g] = -1;
    int next = 0;
    for (int i = 0; i < t->n_rows; i++) {
        int g = t->rows[i].group;
        if (gmap[g] < 0) gmap[g] = next++;
        t->rows[i].group = gmap[g];
    }
    free(gmap);
    free(inv);
    free(perm);
    free(keys);
}

/* ---- build ----------------------------------------------------------------------------------- */

int report_table_build(store *s, const char *db_path, const report_filter *f, report_table **out, char *err)
{
    *out = NULL;
    int rc = check_runs_exist(s, f, err);
    if (rc) return rc;
    report_table *t = tt_calloc(1, sizeof *t);
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    t->generated_at = tt_strdup(now);
    t->db_path = tt_strdup(db_path);

    rc = load_metrics(s, t, f, err);
    if (!rc) rc = load_ratings(s, t, f, "bt", &t->bt_info, err);
    if (!rc) rc = load_ratings(s, t, f, "elo", &t->elo_info, err);
    if (!rc) rc = load_bench(s, t, f, err);
    if (!rc) {   /* unreadable battles must not cost the rest of the report */
        char aerr[TT_ERR_SIZE];
        if (report_arena_load(s, f ? f->models : NULL, f ? f->n_models : 0, &t->arena, aerr) != TT_OK)
            add_missing(t, "arena battles could not be read: %s", aerr);
    }
    if (!rc) rc = load_runs(s, t, err);
    if (rc) {
        report_table_free(t);
        return rc;
    }
    /* Online Elo and battle counts for rows the ratings table did not cover;
     * arena models with neither ratings nor results still get a row. */
    for (int i = 0; i < t->arena.n_models; i++) {
        const char *m = t->arena.models[i];
        int r = find_row_arena(t, m);
        if (r < 0) r = add_row(t, m, NULL, NULL, NULL);
        report_row *row = &t->rows[r];
        if (!row->has_elo) {
            row->has_elo = 1;
            row->elo_online = 1;
            row->elo = t->arena.final_elo[i];
        }
        if (!row->battles) row->battles = t->arena.appearances[i];
    }
    fill_cells(t);
    order_rows(t);

    int filtered = f && (f->n_runs || f->n_models || f->n_tasks);
    const char *which = filtered ? " matching the filter" : "";
    if (t->n_metrics == 0) add_missing(t, "no accuracy results%s in the store (run 'tianti run')", which);
    if (t->arena.rated == 0)
        add_missing(t, "no rated arena battles%s in the store: no win-fraction, battle-count or Elo-over-time charts",
                    t->arena.unvoted + t->arena.flagged ? " (only unvoted or flagged ones)" : "");
    if (!t->bt_info.present)
        add_missing(t, "no Bradley-Terry ratings in the store%s",
                    t->arena.rated ? "; the Elo column is online Elo computed from the battles" : "");
    if (t->n_bench == 0) add_missing(t, "no memory or speed measurements%s in the store (run 'tianti bench')", which);
    *out = t;
    return TT_OK;
}

void report_table_free(report_table *t)
{
    if (!t) return;
    free(t->generated_at);
    free(t->db_path);
    for (int i = 0; i < t->n_tasks; i++) {
        free(t->tasks[i].name);
        free(t->tasks[i].metric);
        free(t->tasks[i].filter);
    }
    free(t->tasks);
    for (int i = 0; i < t->n_rows; i++) {
        report_row *r = &t->rows[i];
        free(r->name);
        free(r->spec);
        free(r->engine);
        free(r->precision);
        free(r->cells);
        free(r->tg_test);
        free(r->pp_test);
    }
    free(t->rows);
    for (int i = 0; i < t->n_runs; i++) {
        report_run *r = &t->runs[i];
        free(r->started_at);
        free(r->finished_at);
        free(r->tool_version);
        free(r->git_rev);
        free(r->status);
        free(r->config_json);
    }
    free(t->runs);
    for (int i = 0; i < t->n_metrics; i++) {
        free(t->metrics[i].task);
        free(t->metrics[i].filter);
        free(t->metrics[i].metric);
    }
    free(t->metrics);
    for (int i = 0; i < t->n_bench; i++) {
        report_bench *b = &t->bench[i];
        free(b->created_at);
        free(b->model_spec);
        free(b->model_name);
        free(b->precision);
        free(b->test);
        free(b->unit);
    }
    free(t->bench);
    free(t->bt_info.computed_at);
    free(t->bt_info.source);
    free(t->elo_info.computed_at);
    free(t->elo_info.source);
    report_arena_free(&t->arena);
    for (int i = 0; i < t->n_missing; i++) free(t->missing[i]);
    free(t->missing);
    free(t);
}
