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

/* A nullable count as the report keeps it: dflt when NULL. */
static int opt_or(store_opt_int v, int dflt) { return v.has ? (int)v.v : dflt; }

/* A nullable quantity as the report keeps it: NaN when NULL. */
static double opt_num(store_opt_int v) { return v.has ? (double)v.v : NAN; }

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

typedef struct metrics_ctx {
    report_table *t;
    const report_filter *f;
} metrics_ctx;

static int add_metric(void *ctx, const store_metric_row *sm, char *err)
{
    (void)err;
    report_table *t = ((metrics_ctx *)ctx)->t;
    const report_filter *f = ((metrics_ctx *)ctx)->f;
    const char *spec = sm->model_spec, *name = sm->model_name, *task = sm->task_name, *metric = sm->metric;
    const char *filter = sm->filter;
    if (!spec || !name || !task || !metric) return TT_OK;
    if (!filter_run(f, sm->run_id) || !filter_model(f, name, spec) || !filter_task(f, task)) return TT_OK;
    int r = find_row_spec(t, spec);
    if (r < 0) r = add_row(t, name, spec, sm->engine, sm->precision);
    t->metrics = tt_realloc(t->metrics, sizeof(report_metric) * (size_t)(t->n_metrics + 1));
    report_metric *m = &t->metrics[t->n_metrics++];
    m->run_id = sm->run_id;
    m->row = r;
    m->task = tt_strdup(task);
    m->filter = tt_strdup(filter);
    m->metric = tt_strdup(metric);
    m->is_group = sm->is_group;
    m->value = sm->value;
    m->se = sm->stderr_value;
    m->n = (int)sm->n;
    m->n_shot = opt_or(sm->n_shot, -1);
    m->higher_is_better = opt_or(sm->higher_is_better, -1);
    int k = task_index(t, task, m->is_group, 1);
    report_task *kt = &t->tasks[k];
    if (!kt->metric || better_primary(kt, filter, metric)) {
        free(kt->metric);
        free(kt->filter);
        kt->metric = tt_strdup(metric);
        kt->filter = tt_strdup(filter);
        kt->higher_is_better = m->higher_is_better;
    }
    return TT_OK;
}

static int load_metrics(store *s, report_table *t, const report_filter *f, char *err)
{
    metrics_ctx c = {t, f};
    return store_report_metrics_each(s, add_metric, &c, err);
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

typedef struct ratings_ctx {
    report_table *t;
    const report_filter *f;
    report_rating_info *info;
    int is_bt;
} ratings_ctx;

static int add_rating(void *ctx, const store_rating *sr, char *err)
{
    (void)err;
    ratings_ctx *c = ctx;
    report_rating_info *info = c->info;
    if (!info->present) {
        info->present = 1;
        info->computed_at = tt_strdup(sr->computed_at);
        info->source = tt_strdup(sr->source);
    }
    const char *model = sr->model;
    if (!model || !filter_model(c->f, model, model)) return TT_OK;
    info->models++;
    if (sr->bootstrap_rounds.has) info->bootstrap_rounds = (int)sr->bootstrap_rounds.v;
    if (sr->seed.has) {
        info->has_seed = 1;
        info->seed = sr->seed.v;
    }
    int r = find_row_arena(c->t, model);
    if (r < 0) r = add_row(c->t, model, NULL, NULL, NULL);
    report_row *row = &c->t->rows[r];
    if (c->is_bt) {
        row->has_bt = 1;
        row->bt = sr->rating;
        row->bt_lower = sr->lower;
        row->bt_upper = sr->upper;
        row->rank = opt_or(sr->rank, 0);
    } else {
        row->has_elo = 1;
        row->elo = sr->rating;
        if (!row->rank) row->rank = opt_or(sr->rank, 0);
    }
    if (sr->battles > row->battles) row->battles = (int)sr->battles;
    return TT_OK;
}

static int load_ratings(store *s, report_table *t, const report_filter *f, const char *method,
                        report_rating_info *info, char *err)
{
    ratings_ctx c = {t, f, info, strcmp(method, "bt") == 0};
    return store_ratings_latest(s, method, add_rating, &c, err);
}

/* ---- bench --------------------------------------------------------------------------- */

typedef struct bench_ctx {
    report_table *t;
    const report_filter *f;
} bench_ctx;

static int add_bench(void *ctx, const store_bench_row *sb, char *err)
{
    (void)err;
    report_table *t = ((bench_ctx *)ctx)->t;
    const char *spec = sb->model_spec, *name = sb->model_name, *prec = sb->precision, *test = sb->test;
    if (!spec || !name || !test || !filter_model(((bench_ctx *)ctx)->f, name, spec)) return TT_OK;
    t->bench = tt_realloc(t->bench, sizeof(report_bench) * (size_t)(t->n_bench + 1));
    report_bench *b = &t->bench[t->n_bench++];
    b->created_at = tt_strdup(sb->created_at);
    b->model_spec = tt_strdup(spec);
    b->model_name = tt_strdup(name);
    b->precision = tt_strdup(prec);
    b->test = tt_strdup(test);
    b->unit = tt_strdup(sb->unit);
    b->mean = sb->mean;
    b->stddev = sb->stddev;
    b->n_tokens = opt_num(sb->n_tokens);
    b->repetitions = opt_num(sb->repetitions);
    b->file_bytes = opt_num(sb->file_bytes);
    b->n_params = opt_num(sb->n_params);
    b->peak_rss_bytes = opt_num(sb->peak_rss_bytes);
    b->weights_bytes = opt_num(sb->weights_bytes);
    b->kv_bytes = opt_num(sb->kv_bytes);
    b->scratch_bytes = opt_num(sb->scratch_bytes);
    b->gpu_bytes = opt_num(sb->gpu_bytes);
    b->threads = opt_num(sb->threads);

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
    return TT_OK;
}

static int load_bench(store *s, report_table *t, const report_filter *f, char *err)
{
    bench_ctx c = {t, f};
    return store_bench_each(s, add_bench, &c, err);
}

/* ---- runs ----------------------------------------------------------------------------------- */

static int load_runs(store *s, report_table *t, char *err)
{
    for (int i = 0; i < t->n_metrics; i++) {
        int64_t id = t->metrics[i].run_id;
        int seen = 0;
        for (int j = 0; j < t->n_runs && !seen; j++) seen = t->runs[j].id == id;
        if (seen) {
            for (int j = 0; j < t->n_runs; j++)
                if (t->runs[j].id == id) t->runs[j].metric_rows++;
            continue;
        }
        store_run_row sr;
        int rc = store_run_get(s, id, &sr, err);
        if (rc != TT_OK && rc != TT_ERR_NOTFOUND) return rc;
        t->runs = tt_realloc(t->runs, sizeof(report_run) * (size_t)(t->n_runs + 1));
        report_run *r = &t->runs[t->n_runs++];
        memset(r, 0, sizeof *r);
        r->id = id;
        r->metric_rows = 1;
        if (rc == TT_OK) {   /* the strings move to the report */
            r->started_at = sr.started_at;
            r->finished_at = sr.finished_at;
            r->tool_version = sr.tool_version;
            r->git_rev = sr.git_rev;
            r->status = sr.status;
            r->config_json = sr.config_json;
            r->seed = sr.seed;
            r->samples = sr.samples;
        }
    }
    return TT_OK;
}

static int check_runs_exist(store *s, const report_filter *f, char *err)
{
    if (!f || f->n_runs == 0) return TT_OK;
    int rc = TT_OK;
    for (int i = 0; i < f->n_runs && !rc; i++) {
        store_run_row r;
        rc = store_run_get(s, f->runs[i], &r, err);
        store_run_row_free(&r);
    }
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
        if (report_judged_load(s, f ? f->models : NULL, f ? f->n_models : 0, &t->judged, aerr) != TT_OK)
            add_missing(t, "category leaderboards and judged benchmarks could not be read: %s", aerr);
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
    report_judged_free(&t->judged);
    for (int i = 0; i < t->n_missing; i++) free(t->missing[i]);
    free(t->missing);
    free(t);
}
