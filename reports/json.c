/*
 * json.c — leaderboard.json: the whole report_table as one JSON document
 * with keys in a fixed order (shape documented in docs/report-json.md).
 * Missing numbers are null, never NaN; text is UTF-8, not \u-escaped.
 * Called by render.c.
 */
#include "core/escape.h"
#include "core/utf8.h"
#include "reports/report.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_JSON_VERSION 2

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A JSON string; bytes that are not valid UTF-8 become U+FFFD, so a bad
 * name in the store still appears (jansson refuses invalid UTF-8). */
static json_t *str(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char *clean = tt_utf8_clean(s, strlen(s));
    j = json_string(clean);
    free(clean);
    return j ? j : json_null();
}

static void set(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v ? v : json_null());
}

static json_t *rating_info(const report_rating_info *in)
{
    if (!in->present) return json_null();
    json_t *o = json_object();
    set(o, "computed_at", str(in->computed_at));
    set(o, "source", str(in->source));
    set(o, "models", json_integer(in->models));
    set(o, "bootstrap_rounds", in->bootstrap_rounds ? json_integer(in->bootstrap_rounds) : json_null());
    set(o, "seed", in->has_seed ? json_integer(in->seed) : json_null());
    return o;
}

static json_t *model(const report_table *t, const report_row *r)
{
    json_t *o = json_object();
    set(o, "name", str(r->name));
    json_t *names = json_array();
    for (int i = 0; i < r->n_names; i++) json_array_append_new(names, str(r->names[i]));
    set(o, "names", names);
    set(o, "precision", str(r->precision));
    set(o, "spec", str(r->spec));
    set(o, "identity", str(r->identity));
    set(o, "engine", str(r->engine));
    set(o, "group", json_integer(r->group));
    set(o, "rank", r->rank > 0 ? json_integer(r->rank) : json_null());
    if (r->has_bt) {
        json_t *bt = json_object();
        set(bt, "rating", num(r->bt));
        set(bt, "lower", num(r->bt_lower));
        set(bt, "upper", num(r->bt_upper));
        set(o, "bt", bt);
    } else {
        set(o, "bt", json_null());
    }
    if (r->has_elo) {
        json_t *elo = json_object();
        set(elo, "rating", num(r->elo));
        set(elo, "source", json_string(r->elo_online ? "online" : "ratings"));
        set(o, "elo", elo);
    } else {
        set(o, "elo", json_null());
    }
    set(o, "battles", json_integer(r->battles));
    set(o, "mean_task_score", num(r->mean_acc));
    set(o, "tasks_in_mean", json_integer(r->n_acc));
    json_t *acc = json_array();
    for (int k = 0; k < t->n_tasks; k++) {
        const report_cell *c = &r->cells[k];
        if (!c->has) continue;
        json_t *a = json_object();
        set(a, "task", str(t->tasks[k].name));
        set(a, "is_group", json_boolean(t->tasks[k].is_group));
        set(a, "metric", str(t->tasks[k].metric));
        set(a, "filter", str(t->tasks[k].filter));
        set(a, "value", num(c->value));
        set(a, "stderr", num(c->se));
        set(a, "n", json_integer(c->n));
        set(a, "n_shot", c->n_shot >= 0 ? json_integer(c->n_shot) : json_null());
        set(a, "run_id", json_integer(c->run_id));
        json_array_append_new(acc, a);
    }
    set(o, "accuracy", acc);
    if (r->has_bench) {
        json_t *b = json_object();
        set(b, "peak_rss_bytes", num(r->peak_rss_bytes));
        set(b, "gpu_bytes", num(r->gpu_bytes));
        set(b, "file_bytes", num(r->file_bytes));
        set(b, "pp_test", str(r->pp_test));
        set(b, "pp_tokens_per_s", num(r->pp_tps));
        set(b, "pp_stddev", num(r->pp_sd));
        set(b, "tg_test", str(r->tg_test));
        set(b, "tg_tokens_per_s", num(r->tg_tps));
        set(b, "tg_stddev", num(r->tg_sd));
        set(b, "tg_within_noise", isnan(r->tg_tps) ? json_null() : json_boolean(r->tg_within_noise));
        set(b, "ttft_s", num(r->ttft_s));
        set(b, "load_s", num(r->load_s));
        set(o, "bench", b);
    } else {
        set(o, "bench", json_null());
    }
    return o;
}

static json_t *arena(const report_table *t)
{
    const report_arena *a = &t->arena;
    json_t *o = json_object();
    set(o, "battles_rated", json_integer(a->rated));
    set(o, "battles_flagged", json_integer(a->flagged));
    set(o, "battles_unvoted", json_integer(a->unvoted));
    set(o, "bt", rating_info(&t->bt_info));
    set(o, "elo", rating_info(&t->elo_info));
    json_t *models = json_array(), *pairs = json_array(), *hist = json_array();
    for (int i = 0; i < a->n_models; i++) {
        json_t *m = json_object();
        set(m, "model", str(a->models[i]));
        set(m, "online_elo", num(a->final_elo[i]));
        set(m, "battles", json_integer(a->appearances[i]));
        json_array_append_new(models, m);
        for (int j = 0; j < a->n_models; j++) {
            int n = a->n_models, dec = report_arena_count(a, i, j), ties = a->ties[i * n + j];
            if (i == j || (dec == 0 && ties == 0)) continue;
            json_t *p = json_object();
            set(p, "model", str(a->models[i]));
            set(p, "opponent", str(a->models[j]));
            set(p, "wins", json_integer(a->wins[i * n + j]));
            set(p, "losses", json_integer(a->wins[j * n + i]));
            set(p, "ties", json_integer(ties));
            set(p, "win_fraction", num(report_arena_winfrac(a, i, j)));
            json_array_append_new(pairs, p);
        }
        json_t *h = json_object(), *pts = json_array();
        set(h, "model", str(a->models[i]));
        for (int p = 0; p < a->n_points; p++) {
            double v = a->elo[(size_t)p * (size_t)a->n_models + (size_t)i];
            if (isnan(v)) continue;
            json_array_append_new(pts, json_pack("[I,f]", (json_int_t)a->step[p], v));
        }
        set(h, "points", pts);
        json_array_append_new(hist, h);
    }
    set(o, "models", models);
    set(o, "pairs", pairs);
    set(o, "elo_history", hist);
    return o;
}

/* Appends JSON text with every real number rewritten to the shortest text
 * that reads back to the same double (jansson prints 17 digits, so 0.66
 * would come out as 0.66000000000000003). Strings are copied untouched. */
static void shorten_reals(tt_buf *out, const char *s)
{
    int in_str = 0;
    while (*s) {
        char c = *s;
        if (in_str) {
            tt_buf_append(out, s, 1);
            if (c == '\\' && s[1]) {
                tt_buf_append(out, s + 1, 1);
                s += 2;
                continue;
            }
            if (c == '"') in_str = 0;
            s++;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = strspn(s, "-+.eE0123456789");
            char tok[64];
            if (n < sizeof tok && strcspn(s, ".eE") < n) {
                memcpy(tok, s, n);
                tok[n] = 0;
                tt_buf short_num;
                tt_buf_init(&short_num);
                tt_num_roundtrip(&short_num, strtod(tok, NULL));
                const char *t = tt_buf_str(&short_num);
                tt_buf_puts(out, t);
                if (!strpbrk(t, ".eE")) tt_buf_puts(out, ".0");
                tt_buf_free(&short_num);
                s += n;
                continue;
            }
            tt_buf_append(out, s, n);
            s += n;
            continue;
        }
        tt_buf_append(out, s, 1);
        s++;
    }
}

void report_json_render(const report_table *t, const report_charts *charts, tt_buf *out)
{
    json_t *root = json_object();
    set(root, "format", json_string("tianti-report"));
    set(root, "format_version", json_integer(REPORT_JSON_VERSION));
    set(root, "generated_at", str(t->generated_at));
    set(root, "tool_version", json_string(TIANTI_VERSION));
    set(root, "database", str(t->db_path));
    json_t *missing = json_array();
    for (int i = 0; i < t->n_missing; i++) json_array_append_new(missing, str(t->missing[i]));
    set(root, "missing", missing);

    json_t *tasks = json_array();
    for (int k = 0; k < t->n_tasks; k++) {
        const report_task *tk = &t->tasks[k];
        json_t *o = json_object();
        set(o, "name", str(tk->name));
        set(o, "is_group", json_boolean(tk->is_group));
        set(o, "metric", str(tk->metric));
        set(o, "filter", str(tk->filter));
        set(o, "higher_is_better", tk->higher_is_better < 0 ? json_null() : json_boolean(tk->higher_is_better));
        json_array_append_new(tasks, o);
    }
    set(root, "tasks", tasks);
    json_t *usage = json_array();
    for (int i = 0; i < t->n_usage; i++) {
        const report_usage *u = &t->usage[i];
        json_t *o = json_object();
        set(o, "model", str(t->rows[u->row].name));
        set(o, "spec", str(t->rows[u->row].spec));
        set(o, "task", str(u->task));
        set(o, "run_id", json_integer((json_int_t)u->run_id));
        set(o, "docs", json_integer((json_int_t)u->docs));
        set(o, "failed", json_integer((json_int_t)u->failed));
        set(o, "prompt_tokens", json_integer((json_int_t)u->prompt_tokens));
        set(o, "completion_tokens", json_integer((json_int_t)u->completion_tokens));
        set(o, "reasoning_tokens", json_integer((json_int_t)u->reasoning_tokens));
        set(o, "cost_usd", num(u->cost_usd));
        json_array_append_new(usage, o);
    }
    set(root, "usage", usage);
    json_t *mean_tasks = json_array();
    for (int i = 0; i < t->n_mean_tasks; i++) json_array_append_new(mean_tasks, str(t->mean_tasks[i]));
    set(root, "mean_tasks", mean_tasks);
    json_t *models = json_array();
    for (int i = 0; i < t->n_rows; i++) json_array_append_new(models, model(t, &t->rows[i]));
    set(root, "models", models);
    set(root, "arena", arena(t));

    json_t *bench = json_array();
    for (int i = 0; i < t->n_bench; i++) {
        const report_bench *b = &t->bench[i];
        json_t *o = json_object();
        set(o, "created_at", str(b->created_at));
        set(o, "model_spec", str(b->model_spec));
        set(o, "model_name", str(b->model_name));
        set(o, "precision", str(b->precision));
        set(o, "test", str(b->test));
        set(o, "unit", str(b->unit));
        set(o, "mean", num(b->mean));
        set(o, "stddev", num(b->stddev));
        set(o, "n_tokens", num(b->n_tokens));
        set(o, "repetitions", num(b->repetitions));
        set(o, "file_bytes", num(b->file_bytes));
        set(o, "n_params", num(b->n_params));
        set(o, "peak_rss_bytes", num(b->peak_rss_bytes));
        set(o, "weights_bytes", num(b->weights_bytes));
        set(o, "kv_bytes", num(b->kv_bytes));
        set(o, "scratch_bytes", num(b->scratch_bytes));
        set(o, "gpu_bytes", num(b->gpu_bytes));
        set(o, "threads", num(b->threads));
        json_array_append_new(bench, o);
    }
    set(root, "bench_results", bench);

    json_t *runs = json_array();
    for (int i = 0; i < t->n_runs; i++) {
        const report_run *r = &t->runs[i];
        json_t *o = json_object();
        set(o, "id", json_integer(r->id));
        set(o, "started_at", str(r->started_at));
        set(o, "finished_at", str(r->finished_at));
        set(o, "status", str(r->status));
        set(o, "tool_version", str(r->tool_version));
        set(o, "git_rev", str(r->git_rev));
        set(o, "seed", json_integer((json_int_t)r->seed));
        set(o, "samples", json_integer(r->samples));
        set(o, "metric_rows", json_integer(r->metric_rows));
        json_array_append_new(runs, o);
    }
    set(root, "runs", runs);

    /* the category leaderboards and the judged benchmarks (judged.h) */
    const report_judged *jd = &t->judged;
    json_t *cats = json_array();
    for (int i = 0; i < jd->n_cats; i++) {
        const report_category *v = &jd->cats[i];
        json_t *o = json_object(), *rows = json_array();
        set(o, "category", str(v->name));
        set(o, "title", str(v->title));
        set(o, "style_control", json_boolean(v->style));
        set(o, "battles", json_integer(v->battles));
        for (int r = 0; r < v->n_rows; r++) {
            json_t *x = json_object();
            set(x, "rank", json_integer(v->rows[r].rank));
            set(x, "model", str(v->rows[r].model));
            set(x, "rating", num(v->rows[r].rating));
            set(x, "lower", num(v->rows[r].lower));
            set(x, "upper", num(v->rows[r].upper));
            set(x, "battles", json_integer(v->rows[r].battles));
            json_array_append_new(rows, x);
        }
        set(o, "models", rows);
        json_array_append_new(cats, o);
    }
    set(root, "arena_categories", cats);
    json_t *judged = json_array();
    for (int i = 0; i < jd->n_mt; i++) {
        const arena_mtbench_scores *m = &jd->mt[i];
        json_t *o = json_object(), *rows = json_array(), *cn = json_array();
        set(o, "bench", str(m->bench));
        set(o, "judge", str(m->judge));
        set(o, "mode", str(m->pairwise ? "pairwise" : "single"));
        set(o, "questions", json_integer(m->questions));
        for (int k = 0; k < m->n_cats; k++) json_array_append_new(cn, str(m->cats[k]));
        set(o, "categories", cn);
        for (int r = 0; r < m->n_rows; r++) {
            const arena_mtbench_row *x = &m->rows[r];
            json_t *e = json_object();
            set(e, "model", str(x->model));
            if (!m->pairwise) {
                set(e, "turn_1", num(x->turn[0]));
                set(e, "turn_2", num(x->turn[1]));
                set(e, "average", num(x->average));
                set(e, "no_rating", json_integer(x->failed));
                json_t *bc = json_object();
                for (int k = 0; k < m->n_cats; k++) set(bc, m->cats[k], num(x->cat[k]));
                set(e, "by_category", bc);
            } else {
                set(e, "win", json_integer(x->win));
                set(e, "loss", json_integer(x->loss));
                set(e, "tie", json_integer(x->tie));
                set(e, "win_rate", num(x->win_rate));
                set(e, "win_rate_adjusted", num(x->win_rate_adjusted));
            }
            json_array_append_new(rows, e);
        }
        set(o, "models", rows);
        json_array_append_new(judged, o);
    }
    for (int i = 0; i < jd->n_hard; i++) {
        const arena_hard_result *h = &jd->hard[i];
        json_t *o = json_object(), *rows = json_array();
        set(o, "bench", str(jd->hard_bench[i]));
        set(o, "judge", str(h->judge));
        set(o, "mode", str("baseline"));
        set(o, "baseline", str(h->baseline));
        set(o, "bootstrap_rounds", json_integer(h->rounds));
        for (int r = 0; r < h->n_rows; r++) {
            const arena_hard_row *x = &h->rows[r];
            json_t *e = json_object();
            set(e, "model", str(x->model));
            set(e, "score", num(x->score));
            set(e, "lower", num(x->lower));
            set(e, "upper", num(x->upper));
            set(e, "avg_tokens", num(x->avg_tokens));
            json_array_append_new(rows, e);
        }
        set(o, "models", rows);
        json_array_append_new(judged, o);
    }
    set(root, "judged", judged);

    json_t *ch = json_array();
    for (int i = 0; charts && i < charts->n; i++) {
        const report_chart *c = &charts->items[i];
        json_t *o = json_object();
        set(o, "id", str(c->id));
        set(o, "title", str(c->title));
        set(o, "png", str(c->png));
        set(o, "svg", str(c->svg));
        set(o, "width", json_integer(c->width));
        set(o, "height", json_integer(c->height));
        json_array_append_new(ch, o);
    }
    set(root, "charts", ch);
    set(root, "charts_skipped", charts && charts->skipped ? str(charts->skipped) : json_null());

    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (text) {
        shorten_reals(out, text);
        tt_buf_puts(out, "\n");
        free(text);
    }
    json_decref(root);
}

int report_write_json(const report_table *t, const report_charts *charts, const char *dir, char *err)
{
    tt_buf b;
    tt_buf_init(&b);
    report_json_render(t, charts, &b);
    char *path = tt_path_join(dir, "leaderboard.json");
    int rc = b.len ? tt_write_file(path, b.data, b.len, err) : tt_fail(err, TT_ERR, "cannot encode the report as JSON");
    free(path);
    tt_buf_free(&b);
    return rc;
}
