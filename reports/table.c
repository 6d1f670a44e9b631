/*
 * table.c — builds the report_table (table.h) from the store: metrics of
 * the newest run per (model, task, filter, metric), the newest rating
 * computation per method, the newest bench result per (model, test), and
 * the arena statistics of battles.c. A row is a model identity
 * (engine_model_identity): results stored under different names or specs
 * of the same weights and precision land on one row. Rows are ordered
 * best first: by BT rating when a group has one, then by Elo, then by mean
 * task score (over the tasks every compared model has); rows of one model
 * name stay together, highest precision first.
 * Called by reports/render.c (the `tianti report` command) and tests.
 */
#include "reports/table.h"
#include "core/util.h"
#include "engines/engine.h"
#include "engines/registry.h"
#include "engines/spec.h"

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

/* What one build shares: the table, the filter, the identities worked out
 * so far (each spec's file is looked at once) and, with a model filter,
 * the identities it selects. */
typedef struct build_ctx {
    report_table *t;
    const report_filter *f;
    char **memo_spec, **memo_id;
    int n_memo;
    char **wanted;
    int n_wanted;
} build_ctx;

/* engine_model_identity of spec, or spec itself when it does not parse. */
static const char *identity_of(build_ctx *b, const char *spec)
{
    if (!spec) return NULL;
    for (int i = 0; i < b->n_memo; i++)
        if (!strcmp(b->memo_spec[i], spec)) return b->memo_id[i];
    char *id = engine_model_identity(spec);
    b->memo_spec = tt_realloc(b->memo_spec, sizeof(char *) * (size_t)(b->n_memo + 1));
    b->memo_id = tt_realloc(b->memo_id, sizeof(char *) * (size_t)(b->n_memo + 1));
    b->memo_spec[b->n_memo] = tt_strdup(spec);
    b->memo_id[b->n_memo] = id ? id : tt_strdup(spec);
    return b->memo_id[b->n_memo++];
}

static void build_ctx_free(build_ctx *b)
{
    for (int i = 0; i < b->n_memo; i++) {
        free(b->memo_spec[i]);
        free(b->memo_id[i]);
    }
    free(b->memo_spec);
    free(b->memo_id);
    free(b->wanted);
}

static void want(build_ctx *b, const char *id)
{
    for (int i = 0; i < b->n_wanted; i++)
        if (!strcmp(b->wanted[i], id)) return;
    b->wanted = tt_realloc(b->wanted, sizeof(char *) * (size_t)(b->n_wanted + 1));
    b->wanted[b->n_wanted++] = (char *)id;   /* owned by the memo */
}

/* Does the model filter select this (name, spec)? An entry selects a name,
 * a spec, and every other name or spec of the same model. */
static int filter_model(build_ctx *b, const char *name, const char *spec)
{
    const report_filter *f = b->f;
    if (!f || f->n_models == 0) return 1;
    for (int i = 0; i < f->n_models; i++)
        if (str_eq(f->models[i], name) || (spec && str_eq(f->models[i], spec))) return 1;
    const char *id = spec ? identity_of(b, spec) : NULL;
    for (int i = 0; id && i < b->n_wanted; i++)
        if (!strcmp(b->wanted[i], id)) return 1;
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
    char *id = engine_model_identity(m);
    char *label = NULL;
    for (int r = 0; id && r < t->n_rows && !label; r++)
        if (str_eq(t->rows[r].identity, id) && strcmp(t->rows[r].name, m)) label = report_row_label(&t->rows[r]);
    free(id);
    return label ? label : tt_strdup(m);
}

/* Adds name to the row's names (first seen first). */
static void add_name(report_row *r, const char *name)
{
    if (!name) return;
    for (int i = 0; i < r->n_names; i++)
        if (!strcmp(r->names[i], name)) return;
    r->names = tt_realloc(r->names, sizeof(char *) * (size_t)(r->n_names + 1));
    r->names[r->n_names++] = tt_strdup(name);
}

/* A new row; identity NULL for arena-only models. Without a precision the
 * identity's is used (a glm file's own). */
static int add_row(report_table *t, const char *name, const char *spec, const char *identity, const char *engine,
                   const char *precision)
{
    t->rows = tt_realloc(t->rows, sizeof(report_row) * (size_t)(t->n_rows + 1));
    report_row *r = &t->rows[t->n_rows];
    memset(r, 0, sizeof *r);
    r->name = tt_strdup(name ? name : spec ? spec : "?");
    add_name(r, r->name);
    r->spec = tt_strdup(spec);
    r->identity = tt_strdup(identity);
    r->engine = tt_strdup(engine);
    r->precision = tt_strdup(precision);
    if (!precision && identity) {
        engine_spec sp;
        char err[TT_ERR_SIZE];
        if (engine_spec_parse(identity, &sp, err) == TT_OK && sp.precision) r->precision = tt_strdup(sp.precision);
        engine_spec_clear(&sp);
    }
    r->bt = r->bt_lower = r->bt_upper = r->elo = NAN;
    r->peak_rss_bytes = r->gpu_bytes = r->file_bytes = NAN;
    r->tg_tps = r->tg_sd = r->pp_tps = r->pp_sd = r->ttft_s = r->load_s = NAN;
    r->mean_acc = NAN;
    return t->n_rows++;
}

static int find_row_identity(const report_table *t, const char *identity)
{
    for (int i = 0; identity && i < t->n_rows; i++)
        if (str_eq(t->rows[i].identity, identity)) return i;
    return -1;
}

static int has_name(const report_row *r, const char *name)
{
    for (int i = 0; i < r->n_names; i++)
        if (!strcmp(r->names[i], name)) return 1;
    return 0;
}

/* Row for an arena model name: the row of the model that name is a spec
 * of, else the only row the model was stored under that name; -1
 * otherwise. */
static int find_row_arena(build_ctx *b, const char *model)
{
    report_table *t = b->t;
    engine_spec sp;
    char err[TT_ERR_SIZE];
    int is_spec = engine_spec_parse(model, &sp, err) == TT_OK;
    engine_spec_clear(&sp);
    int r = is_spec ? find_row_identity(t, identity_of(b, model)) : -1;
    if (r >= 0) return r;
    int found = -1;
    for (int i = 0; i < t->n_rows; i++) {
        if (!has_name(&t->rows[i], model)) continue;
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

static int add_metric(void *ctx, const store_metric_row *sm, char *err)
{
    (void)err;
    build_ctx *b = ctx;
    report_table *t = b->t;
    const report_filter *f = b->f;
    const char *spec = sm->model_spec, *name = sm->model_name, *task = sm->task_name, *metric = sm->metric;
    const char *filter = sm->filter;
    if (!spec || !name || !task || !metric) return TT_OK;
    if (!filter_run(f, sm->run_id) || !filter_model(b, name, spec) || !filter_task(f, task)) return TT_OK;
    const char *id = identity_of(b, spec);
    int r = find_row_identity(t, id);
    if (r < 0) r = add_row(t, name, spec, id, sm->engine, sm->precision);
    add_name(&t->rows[r], name);
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

/* A model filter entry selects its model under every name: the identities
 * of the entries that are specs and of the specs stored under the entries'
 * names. */
static int collect_wanted(void *ctx, const store_metric_row *sm, char *err)
{
    (void)err;
    build_ctx *b = ctx;
    if (!sm->model_spec || !sm->model_name) return TT_OK;
    for (int i = 0; i < b->f->n_models; i++)
        if (str_eq(b->f->models[i], sm->model_name) || str_eq(b->f->models[i], sm->model_spec))
            want(b, identity_of(b, sm->model_spec));
    return TT_OK;
}

static int load_metrics(store *s, build_ctx *b, char *err)
{
    if (b->f && b->f->n_models > 0) {
        for (int i = 0; i < b->f->n_models; i++) {
            char *id = engine_model_identity(b->f->models[i]);
            if (id) want(b, identity_of(b, b->f->models[i]));
            free(id);
        }
        int rc = store_report_metrics_each(s, collect_wanted, b, err);
        if (rc) return rc;
    }
    return store_report_metrics_each(s, add_metric, b, err);
}

static int cmp_task(const void *x, const void *y)
{
    const report_task *a = x, *b = y;
    if (a->is_group != b->is_group) return b->is_group - a->is_group;   /* suites first */
    return strcmp(a->name, b->name);
}

/* A task that can enter a mean: a task (not a suite), not lower-is-better. */
static int averaged(const report_task *k) { return !k->is_group && k->higher_is_better != 0; }

/* The mean task score over the tasks every compared model has (the
 * field's convention: a mean over different task sets ranks nothing).
 * Compared models are the rows with any task value. */
static void mean_over_common_tasks(report_table *t)
{
    int *common = tt_calloc((size_t)t->n_tasks + 1, sizeof(int));
    int n_compared = 0;
    for (int k = 0; k < t->n_tasks; k++) common[k] = averaged(&t->tasks[k]);
    for (int r = 0; r < t->n_rows; r++) {
        const report_row *row = &t->rows[r];
        int any = 0;
        for (int k = 0; k < t->n_tasks; k++) any |= averaged(&t->tasks[k]) && row->cells[k].has;
        if (!any) continue;
        n_compared++;
        for (int k = 0; k < t->n_tasks; k++)
            if (!row->cells[k].has || !isfinite(row->cells[k].value)) common[k] = 0;
    }
    for (int k = 0; k < t->n_tasks && n_compared > 0; k++)
        if (common[k]) {
            t->mean_tasks = tt_realloc(t->mean_tasks, sizeof(char *) * (size_t)(t->n_mean_tasks + 1));
            t->mean_tasks[t->n_mean_tasks++] = tt_strdup(t->tasks[k].name);
        }
    for (int r = 0; r < t->n_rows; r++) {
        report_row *row = &t->rows[r];
        double sum = 0;
        int n = 0;
        for (int k = 0; k < t->n_tasks; k++)
            if (common[k] && row->cells[k].has && isfinite(row->cells[k].value)) {
                sum += row->cells[k].value;
                n++;
            }
        row->n_acc = n == t->n_mean_tasks ? n : 0;
        row->mean_acc = row->n_acc ? sum / n : NAN;
    }
    if (n_compared > 1 && t->n_mean_tasks == 0)
        add_missing(t, "no task has a value for every model%s: no mean task score", "");
    free(common);
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
    mean_over_common_tasks(t);
}

/* ---- ratings --------------------------------------------------------------------- */

typedef struct ratings_ctx {
    build_ctx *b;
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
    if (!model || !filter_model(c->b, model, model)) return TT_OK;
    info->models++;
    if (sr->bootstrap_rounds.has) info->bootstrap_rounds = (int)sr->bootstrap_rounds.v;
    if (sr->seed.has) {
        info->has_seed = 1;
        info->seed = sr->seed.v;
    }
    report_table *t = c->b->t;
    int r = find_row_arena(c->b, model);
    if (r < 0) r = add_row(t, model, NULL, NULL, NULL, NULL);
    report_row *row = &t->rows[r];
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

static int load_ratings(store *s, build_ctx *b, const char *method, report_rating_info *info, char *err)
{
    ratings_ctx c = {b, info, strcmp(method, "bt") == 0};
    return store_ratings_latest(s, method, add_rating, &c, err);
}

/* ---- bench --------------------------------------------------------------------------- */

static int add_bench(void *ctx, const store_bench_row *sb, char *err)
{
    (void)err;
    build_ctx *bc = ctx;
    report_table *t = bc->t;
    const char *spec = sb->model_spec, *name = sb->model_name, *prec = sb->precision, *test = sb->test;
    if (!spec || !name || !test || !filter_model(bc, name, spec)) return TT_OK;
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

    const char *id = identity_of(bc, spec);
    int r = find_row_identity(t, id);
    if (r < 0)
        for (int i = 0; i < t->n_rows && r < 0; i++)
            if (str_eq(t->rows[i].name, name) && str_eq(t->rows[i].precision, prec) && !t->rows[i].spec) r = i;
    if (r < 0) r = add_row(t, name, spec, id, NULL, prec);
    report_row *row = &t->rows[r];
    add_name(row, name);
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

static int load_bench(store *s, build_ctx *b, char *err)
{
    return store_bench_each(s, add_bench, b, err);
}

static const report_table *g_speed_t;

static int cmp_speed(const void *x, const void *y)
{
    double a = g_speed_t->rows[*(const int *)x].tg_tps, b = g_speed_t->rows[*(const int *)y].tg_tps;
    return a > b ? -1 : a < b;
}

/* Marks rows whose generation speed interval (mean ± sd) overlaps that of
 * the next faster or slower row: their order says nothing. */
static void mark_speed_noise(report_table *t)
{
    int *idx = tt_malloc(sizeof(int) * (size_t)(t->n_rows + 1)), n = 0;
    for (int i = 0; i < t->n_rows; i++)
        if (!isnan(t->rows[i].tg_tps)) idx[n++] = i;
    g_speed_t = t;
    if (n > 1) qsort(idx, (size_t)n, sizeof(int), cmp_speed);
    for (int i = 0; i + 1 < n; i++) {
        report_row *fast = &t->rows[idx[i]], *slow = &t->rows[idx[i + 1]];
        double sf = isnan(fast->tg_sd) ? 0 : fast->tg_sd, ss = isnan(slow->tg_sd) ? 0 : slow->tg_sd;
        if (fast->tg_tps - sf <= slow->tg_tps + ss) fast->tg_within_noise = slow->tg_within_noise = 1;
    }
    free(idx);
}

/* The name a row is shown under: the newest name that is not a spec (a
 * registry name), else the newest. */
static void choose_names(report_table *t)
{
    for (int r = 0; r < t->n_rows; r++) {
        report_row *row = &t->rows[r];
        const char *pick = NULL;
        for (int i = 0; i < row->n_names && !pick; i++) {
            engine_spec sp;
            char err[TT_ERR_SIZE];
            if (engine_spec_parse(row->names[i], &sp, err) != TT_OK) pick = row->names[i];
            engine_spec_clear(&sp);
        }
        if (!pick && row->n_names) pick = row->names[0];
        if (pick && strcmp(pick, row->name)) {
            free(row->name);
            row->name = tt_strdup(pick);
        }
    }
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

/* ---- usage and cost --------------------------------------------------------------- */

static int add_usage(void *ctx, const store_usage_row *u, char *err)
{
    (void)err;
    report_table *t = ctx;
    int run = 0, task = 0, row = -1;
    for (int i = 0; i < t->n_runs && !run; i++) run = t->runs[i].id == u->run_id;
    for (int i = 0; i < t->n_tasks && !task; i++) task = !t->tasks[i].is_group && str_eq(t->tasks[i].name, u->task_name);
    if (!run || !task || !u->model_spec) return TT_OK;
    char *id = engine_model_identity(u->model_spec);
    for (int i = 0; i < t->n_rows && row < 0 && id; i++)
        if (t->rows[i].identity && !strcmp(t->rows[i].identity, id)) row = i;
    free(id);
    if (row < 0) return TT_OK;
    t->usage = tt_realloc(t->usage, (size_t)(t->n_usage + 1) * sizeof *t->usage);
    double pin, pout;
    registry_price_from_params(u->params_json, &pin, &pout);
    t->usage[t->n_usage++] = (report_usage){
        .run_id = u->run_id, .row = row, .task = tt_strdup(u->task_name), .docs = u->samples, .failed = u->failed,
        .prompt_tokens = u->prompt_tokens, .completion_tokens = u->completion_tokens,
        .reasoning_tokens = u->reasoning_tokens,
        .cost_usd = registry_cost_usd(pin, pout, (long)u->prompt_tokens, (long)u->completion_tokens)};
    return TT_OK;
}

int report_usage_text_table(const report_table *t, report_text_table **out)
{
    if (t->n_usage == 0) return 0;
    static const char *const cols[] = {"Model", "Task", "Run", "Docs", "Prompt tokens", "Completion tokens",
                                       "Reasoning tokens", "Cost (USD)"};
    report_text_table *x = tt_calloc(1, sizeof *x);
    x->id = tt_strdup("usage");
    x->title = tt_strdup("Usage and cost");
    x->note = tt_strdup("Tokens the servers reported, summed over each task's documents (cached answers count "
                        "as they were first answered); completion tokens include reasoning tokens, and cost is "
                        "prompt tokens at the model's input price plus completion tokens at its output price "
                        "(models.json \"price\"; blank without one).");
    x->n_cols = (int)(sizeof cols / sizeof cols[0]);
    x->first_left = 2;
    x->cols = tt_calloc((size_t)x->n_cols, sizeof *x->cols);
    for (int c = 0; c < x->n_cols; c++) x->cols[c] = tt_strdup(cols[c]);
    x->n_rows = t->n_usage;
    x->cells = tt_calloc((size_t)x->n_rows * (size_t)x->n_cols, sizeof *x->cells);
    for (int r = 0; r < t->n_usage; r++) {
        const report_usage *u = &t->usage[r];
        char **c = x->cells + (size_t)r * (size_t)x->n_cols;
        c[0] = report_row_label(&t->rows[u->row]);
        c[1] = tt_strdup(u->task);
        c[2] = tt_asprintf("%lld", (long long)u->run_id);
        c[3] = tt_asprintf("%lld", (long long)u->docs);
        c[4] = tt_asprintf("%lld", (long long)u->prompt_tokens);
        c[5] = tt_asprintf("%lld", (long long)u->completion_tokens);
        c[6] = tt_asprintf("%lld", (long long)u->reasoning_tokens);
        c[7] = isnan(u->cost_usd) ? tt_strdup("") : tt_asprintf("%.6f", u->cost_usd);
    }
    *out = x;
    return 1;
}

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

    build_ctx b = {.t = t, .f = f};
    rc = load_metrics(s, &b, err);
    if (!rc) rc = load_ratings(s, &b, "bt", &t->bt_info, err);
    if (!rc) rc = load_ratings(s, &b, "elo", &t->elo_info, err);
    if (!rc) rc = load_bench(s, &b, err);
    if (!rc) {   /* unreadable battles must not cost the rest of the report */
        char aerr[TT_ERR_SIZE];
        if (report_arena_load(s, f ? f->models : NULL, f ? f->n_models : 0, &t->arena, aerr) != TT_OK)
            add_missing(t, "arena battles could not be read: %s", aerr);
        if (report_judged_load(s, f ? f->models : NULL, f ? f->n_models : 0, &t->judged, aerr) != TT_OK)
            add_missing(t, "category leaderboards and judged benchmarks could not be read: %s", aerr);
    }
    if (!rc) rc = load_runs(s, t, err);
    if (rc) {
        build_ctx_free(&b);
        report_table_free(t);
        return rc;
    }
    /* Online Elo and battle counts for rows the ratings table did not cover;
     * arena models with neither ratings nor results still get a row. */
    for (int i = 0; i < t->arena.n_models; i++) {
        const char *m = t->arena.models[i];
        int r = find_row_arena(&b, m);
        if (r < 0) r = add_row(t, m, NULL, NULL, NULL, NULL);
        report_row *row = &t->rows[r];
        if (!row->has_elo) {
            row->has_elo = 1;
            row->elo_online = 1;
            row->elo = t->arena.final_elo[i];
        }
        if (!row->battles) row->battles = t->arena.appearances[i];
    }
    build_ctx_free(&b);
    choose_names(t);
    fill_cells(t);
    mark_speed_noise(t);
    order_rows(t);
    rc = store_usage_each(s, 0, add_usage, t, err);
    if (rc) {
        report_table_free(t);
        return rc;
    }

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
    for (int i = 0; i < t->n_mean_tasks; i++) free(t->mean_tasks[i]);
    free(t->mean_tasks);
    for (int i = 0; i < t->n_rows; i++) {
        report_row *r = &t->rows[i];
        free(r->name);
        free(r->spec);
        free(r->identity);
        for (int k = 0; k < r->n_names; k++) free(r->names[k]);
        free(r->names);
        free(r->engine);
        free(r->precision);
        free(r->cells);
        free(r->tg_test);
        free(r->pp_test);
    }
    free(t->rows);
    for (int i = 0; i < t->n_usage; i++) free(t->usage[i].task);
    free(t->usage);
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
