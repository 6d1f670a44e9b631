/*
 * judged.c — judged.h: the category leaderboards (arena/clean.h and
 * arena/leaderboard.h per tab) and the judged benchmarks' scores
 * (arena/mtbench.h, arena/arenahard.h), for the report.
 */
#include "reports/judged.h"
#include "arena/battles.h"
#include "arena/clean.h"
#include "arena/leaderboard.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct { unsigned bit; const char *title; } tabs[] = {
    {0, "Overall"},          {ARENA_CAT_EN, "English"},       {ARENA_CAT_ZH, "Chinese"},
    {ARENA_CAT_OTHER_LANG, "Other languages"}, {ARENA_CAT_CODE, "Coding"}, {ARENA_CAT_MATH, "Math"},
    {ARENA_CAT_LONG, "Longer query"}, {ARENA_CAT_MULTITURN, "Multi-turn"}, {ARENA_CAT_HARD, "Hard prompts"},
};

/* One tab: a copy of all battles, cleaned for the category, rated. */
static int add_view(report_judged *j, const arena_battles *all, unsigned bit, const char *title, int style, char *err)
{
    arena_battles l;
    arena_battles_init(&l);
    for (size_t i = 0; i < all->n; i++) {
        const arena_battle *b = &all->v[i];
        arena_battle *c = arena_battles_add(&l, b->model_a, b->model_b, b->winner, b->tstamp, b->source, b->judge);
        c->turns = b->turns;
        c->cats = b->cats;
        c->bad = b->bad;
        const double *st = arena_battles_style(all, i);
        if (st) arena_battles_set_style(&l, l.n - 1, st);
    }
    arena_clean_opts co;
    arena_clean_opts_default(&co);
    co.category = bit;
    int rc = arena_clean(&l, &co, NULL, err);
    if (rc != TT_OK || l.n == 0) {
        arena_battles_free(&l);
        return rc;
    }
    if (style)
        for (size_t i = 0; i < l.n; i++)
            if (!arena_battles_style(&l, i)) {   /* style control needs every battle's counts */
                arena_battles_free(&l);
                return TT_OK;
            }
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.rounds = 100;
    o.seed = 1;
    o.style_control = style;
    arena_leaderboard lb;
    char lerr[TT_ERR_SIZE];
    if (arena_leaderboard_compute(&l, &o, &lb, lerr) == TT_OK && lb.n > 0) {
        j->cats = tt_realloc(j->cats, (size_t)(j->n_cats + 1) * sizeof *j->cats);
        report_category *v = &j->cats[j->n_cats++];
        memset(v, 0, sizeof *v);
        v->name = tt_strdup(arena_category_name(bit));
        v->title = tt_asprintf("%s%s", title, style ? ", style controlled" : "");
        v->style = style;
        v->battles = (long)lb.idx.n;
        v->n_rows = lb.n;
        v->rows = tt_calloc((size_t)lb.n, sizeof *v->rows);
        for (int i = 0; i < lb.n; i++)
            v->rows[i] = (report_cat_row){tt_strdup(lb.rows[i].model), lb.rows[i].rating, lb.rows[i].lower,
                                          lb.rows[i].upper, lb.rows[i].battles, lb.rows[i].rank};
    }
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
    return TT_OK;
}

typedef struct sets_ctx {
    char **bench, **judge, **mode;
    int n;
} sets_ctx;

static int collect_set(void *ctx, const store_judged_set *set, char *err)
{
    (void)err;
    sets_ctx *c = ctx;
    c->bench = tt_realloc(c->bench, (size_t)(c->n + 1) * sizeof *c->bench);
    c->judge = tt_realloc(c->judge, (size_t)(c->n + 1) * sizeof *c->judge);
    c->mode = tt_realloc(c->mode, (size_t)(c->n + 1) * sizeof *c->mode);
    c->bench[c->n] = tt_strdup(set->bench);
    c->judge[c->n] = tt_strdup(set->judge);
    c->mode[c->n] = tt_strdup(set->mode);
    c->n++;
    return TT_OK;
}

static int kept(const char *model, const char *const *keep, int n_keep)
{
    if (n_keep == 0) return 1;
    for (int i = 0; i < n_keep; i++)
        if (keep[i] && !strcmp(keep[i], model)) return 1;
    return 0;
}

/* Drops the rows of models not kept from every view. */
static void filter_models(report_judged *j, const char *const *keep, int n_keep)
{
    if (n_keep == 0) return;
    for (int i = 0; i < j->n_cats; i++) {
        report_category *v = &j->cats[i];
        int k = 0;
        for (int r = 0; r < v->n_rows; r++) {
            if (kept(v->rows[r].model, keep, n_keep)) v->rows[k++] = v->rows[r];
            else free(v->rows[r].model);
        }
        v->n_rows = k;
    }
    for (int i = 0; i < j->n_mt; i++) {
        arena_mtbench_scores *m = &j->mt[i];
        int k = 0;
        for (int r = 0; r < m->n_rows; r++) {
            if (kept(m->rows[r].model, keep, n_keep)) m->rows[k++] = m->rows[r];
            else free(m->rows[r].model);
        }
        m->n_rows = k;
    }
    for (int i = 0; i < j->n_hard; i++) {
        arena_hard_result *h = &j->hard[i];
        int k = 0;
        for (int r = 0; r < h->n_rows; r++) {
            if (kept(h->rows[r].model, keep, n_keep) || !strcmp(h->rows[r].model, h->baseline)) h->rows[k++] = h->rows[r];
            else free(h->rows[r].model);
        }
        h->n_rows = k;
    }
}

int report_judged_load(store *s, const char *const *keep, int n_keep, report_judged *j, char *err)
{
    memset(j, 0, sizeof *j);
    arena_battles all;
    arena_battles_init(&all);
    arena_load_opts lo = {.with_flagged = 1, .analyse = 1, .identity = NULL};
    int rc = arena_battles_load_db_opts(s, ARENA_SOURCE_ALL, &lo, &all, err);
    for (size_t t = 0; rc == TT_OK && all.n && t < sizeof tabs / sizeof tabs[0]; t++)
        rc = add_view(j, &all, tabs[t].bit, tabs[t].title, 0, err);
    if (rc == TT_OK && all.n) rc = add_view(j, &all, 0, "Overall", 1, err);
    arena_battles_free(&all);
    if (rc != TT_OK) return rc;

    sets_ctx sc = {0};
    rc = store_judged_sets(s, collect_set, &sc, err);
    for (int i = 0; rc == TT_OK && i < sc.n; i++) {
        char ignored[TT_ERR_SIZE];
        if (!strncmp(sc.bench[i], "arena-hard", 10)) {
            if (strcmp(sc.mode[i], "pair")) continue;
            arena_hard_result r;
            if (arena_hard_scores(s, sc.bench[i], sc.judge[i], NULL, 100, 42, 0, &r, ignored) == TT_OK) {
                j->hard = tt_realloc(j->hard, (size_t)(j->n_hard + 1) * sizeof *j->hard);
                j->hard_bench = tt_realloc(j->hard_bench, (size_t)(j->n_hard + 1) * sizeof *j->hard_bench);
                j->hard[j->n_hard] = r;
                j->hard_bench[j->n_hard++] = tt_strdup(sc.bench[i]);
            } else {
                arena_hard_result_free(&r);
            }
        } else {
            arena_mtbench_scores m;
            if (arena_mtbench_scores_load(s, sc.bench[i], sc.judge[i], strcmp(sc.mode[i], "single") != 0, NULL, &m,
                                          ignored) == TT_OK) {
                j->mt = tt_realloc(j->mt, (size_t)(j->n_mt + 1) * sizeof *j->mt);
                j->mt[j->n_mt++] = m;
            } else {
                arena_mtbench_scores_free(&m);
            }
        }
    }
    for (int i = 0; i < sc.n; i++) {
        free(sc.bench[i]);
        free(sc.judge[i]);
        free(sc.mode[i]);
    }
    free(sc.bench);
    free(sc.judge);
    free(sc.mode);
    filter_models(j, keep, n_keep);
    return rc;
}

void report_judged_free(report_judged *j)
{
    if (!j) return;
    for (int i = 0; i < j->n_cats; i++) {
        for (int r = 0; r < j->cats[i].n_rows; r++) free(j->cats[i].rows[r].model);
        free(j->cats[i].rows);
        free(j->cats[i].name);
        free(j->cats[i].title);
    }
    free(j->cats);
    for (int i = 0; i < j->n_mt; i++) arena_mtbench_scores_free(&j->mt[i]);
    free(j->mt);
    for (int i = 0; i < j->n_hard; i++) {
        arena_hard_result_free(&j->hard[i]);
        free(j->hard_bench[i]);
    }
    free(j->hard);
    free(j->hard_bench);
    memset(j, 0, sizeof *j);
}

/* ---- as text tables -------------------------------------------------------------------------------- */

typedef struct tables {
    report_text_table *v;
    int n;
} tables;

static report_text_table *new_table(tables *ts, int section, char *id, char *title, char *note, int n_cols,
                                    const char *const *cols, int n_rows, int first_left)
{
    ts->v = tt_realloc(ts->v, (size_t)(ts->n + 1) * sizeof *ts->v);
    report_text_table *t = &ts->v[ts->n++];
    *t = (report_text_table){section, id, title, note, n_cols, n_rows, tt_calloc((size_t)n_cols, sizeof(char *)),
                             tt_calloc((size_t)(n_rows * n_cols) + 1, sizeof(char *)), first_left};
    for (int c = 0; c < n_cols; c++) t->cols[c] = tt_strdup(cols[c]);
    return t;
}

static char *fmt_num(double v, int decimals)
{
    return isfinite(v) ? tt_asprintf("%.*f", decimals, v) : tt_strdup("");
}

static void category_tables(const report_judged *j, tables *ts)
{
    static const char *const cols[] = {"Rank", "Model", "Rating", "95% interval", "Battles"};
    for (int i = 0; i < j->n_cats; i++) {
        const report_category *v = &j->cats[i];
        report_text_table *t = new_table(
            ts, 0, tt_asprintf("cat-%s%s", v->name, v->style ? "-style" : ""), tt_strdup(v->title),
            tt_asprintf("Bradley–Terry over %ld battle%s%s; 95%% intervals from 100 bootstrap rounds.", v->battles,
                        v->battles == 1 ? "" : "s",
                        v->style ? ", with answer length, headers, lists and bold held equal (style control)" : ""),
            5, cols, v->n_rows, 2);
        for (int r = 0; r < v->n_rows; r++) {
            const report_cat_row *x = &v->rows[r];
            char **c = t->cells + (size_t)r * 5;
            c[0] = tt_asprintf("%d", x->rank);
            c[1] = tt_strdup(x->model);
            c[2] = fmt_num(x->rating, 0);
            c[3] = isfinite(x->lower) ? tt_asprintf("+%.0f / −%.0f", x->upper - x->rating, x->rating - x->lower)
                                      : tt_strdup("");
            c[4] = tt_asprintf("%ld", x->battles);
        }
    }
}

static void mtbench_tables(const report_judged *j, tables *ts)
{
    for (int i = 0; i < j->n_mt; i++) {
        const arena_mtbench_scores *m = &j->mt[i];
        if (!m->pairwise) {
            static const char *const cols[] = {"Model", "Turn 1", "Turn 2", "Average", "No rating"};
            report_text_table *t = new_table(
                ts, 1, tt_asprintf("mt-%s-%d", m->bench, i), tt_asprintf("%s, single-answer grading", m->bench),
                tt_asprintf("Judge: %s; %d questions; mean 1–10 rating per turn, judgments without a rating left out.",
                            m->judge, m->questions),
                5, cols, m->n_rows, 1);
            for (int r = 0; r < m->n_rows; r++) {
                const arena_mtbench_row *x = &m->rows[r];
                char **c = t->cells + (size_t)r * 5;
                c[0] = tt_strdup(x->model);
                c[1] = fmt_num(x->turn[0], 2);
                c[2] = fmt_num(x->turn[1], 2);
                c[3] = fmt_num(x->average, 2);
                c[4] = tt_asprintf("%d", x->failed);
            }
            if (m->n_cats) {
                const char **ccols = tt_calloc((size_t)m->n_cats + 1, sizeof(char *));
                ccols[0] = "Model";
                for (int k = 0; k < m->n_cats; k++) ccols[k + 1] = m->cats[k];
                report_text_table *tc = new_table(ts, 1, tt_asprintf("mt-%s-%d-cat", m->bench, i),
                                                  tt_asprintf("%s by category", m->bench),
                                                  tt_strdup("Mean rating per category, both turns."), m->n_cats + 1, ccols,
                                                  m->n_rows, 1);
                free(ccols);
                for (int r = 0; r < m->n_rows; r++) {
                    char **c = tc->cells + (size_t)r * (size_t)(m->n_cats + 1);
                    c[0] = tt_strdup(m->rows[r].model);
                    for (int k = 0; k < m->n_cats; k++) c[k + 1] = fmt_num(m->rows[r].cat[k], 2);
                }
            }
        } else {
            static const char *const cols[] = {"Model", "Win", "Loss", "Tie", "Win rate", "Adjusted win rate"};
            report_text_table *t = new_table(
                ts, 1, tt_asprintf("mt-%s-%d", m->bench, i), tt_asprintf("%s, pairwise", m->bench),
                tt_asprintf("Judge: %s; every pair judged in both orders, a win only when they agree; adjusted: ties "
                            "count half.", m->judge),
                6, cols, m->n_rows, 1);
            for (int r = 0; r < m->n_rows; r++) {
                const arena_mtbench_row *x = &m->rows[r];
                char **c = t->cells + (size_t)r * 6;
                c[0] = tt_strdup(x->model);
                c[1] = tt_asprintf("%d", x->win);
                c[2] = tt_asprintf("%d", x->loss);
                c[3] = tt_asprintf("%d", x->tie);
                c[4] = fmt_num(x->win_rate, 3);
                c[5] = fmt_num(x->win_rate_adjusted, 3);
            }
        }
    }
    for (int i = 0; i < j->n_hard; i++) {
        const arena_hard_result *h = &j->hard[i];
        static const char *const cols[] = {"Model", "Score (%)", "95% interval", "Average tokens"};
        report_text_table *t = new_table(
            ts, 1, tt_asprintf("hard-%d", i), tt_strdup(j->hard_bench[i]),
            tt_asprintf("Win rate against %s, judged by %s, strong verdicts as 3 battles; 95%% interval from %d "
                        "bootstrap rounds.", h->baseline, h->judge, h->rounds),
            4, cols, h->n_rows, 1);
        for (int r = 0; r < h->n_rows; r++) {
            const arena_hard_row *x = &h->rows[r];
            char **c = t->cells + (size_t)r * 4;
            c[0] = tt_strdup(x->model);
            c[1] = fmt_num(x->score, 1);
            c[2] = isfinite(x->lower) ? tt_asprintf("(%.1f, +%.1f)", x->lower - x->score, x->upper - x->score)
                                      : tt_strdup("");
            c[3] = fmt_num(x->avg_tokens, 0);
        }
    }
}

void report_judged_tables(const report_judged *j, report_text_table **out, int *n)
{
    tables ts = {NULL, 0};
    category_tables(j, &ts);
    mtbench_tables(j, &ts);
    *out = ts.v;
    *n = ts.n;
}

void report_text_tables_free(report_text_table *t, int n)
{
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < t[i].n_cols; c++) free(t[i].cols[c]);
        for (int k = 0; k < t[i].n_rows * t[i].n_cols; k++) free(t[i].cells[k]);
        free(t[i].cols);
        free(t[i].cells);
        free(t[i].id);
        free(t[i].title);
        free(t[i].note);
    }
    free(t);
}
