/*
 * leaderboard.c — arena_leaderboard_compute/store of leaderboard.h: glue
 * over rows.c, bt.c, elo.c and bootstrap.c, and the rows it stores in
 * `ratings` (store/ratings.h).
 */
#include "arena/leaderboard.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_lb_opts_default(arena_lb_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = ARENA_METHOD_BT;
    arena_bt_opts_default(&o->bt);
    arena_elo_opts_default(&o->elo);
    arena_style_opts_default(&o->style);
}

int arena_method_parse(const char *s, arena_method *out, char *err)
{
    if (!s || strcmp(s, "bt") == 0) *out = ARENA_METHOD_BT;
    else if (strcmp(s, "elo") == 0) *out = ARENA_METHOD_ELO;
    else return tt_fail(err, TT_ERR_USAGE, "unknown rating method '%s' (expected bt or elo)", s);
    return TT_OK;
}

const char *arena_method_name(arena_method m) { return m == ARENA_METHOD_ELO ? "elo" : "bt"; }


static int cmp_rows(const void *x, const void *y)
{
    const arena_lb_row *a = x, *b = y;
    if (a->rating != b->rating) return a->rating > b->rating ? -1 : 1;
    return strcmp(a->model, b->model);
}

/* Style-controlled ratings and bootstrap into out (idx built). */
static int style_compute(const arena_battles *l, const arena_lb_opts *o, arena_leaderboard *out, char *err)
{
    int n = out->idx.n_models;
    double *feat = tt_malloc((out->idx.n ? out->idx.n : 1) * ARENA_STYLE_K * sizeof *feat);
    double *x = tt_malloc((size_t)(n + ARENA_STYLE_K) * sizeof *x);
    int rc = arena_style_features(l, &out->idx, feat, out->feat_mean, out->feat_sd, err);
    if (rc == TT_OK) rc = arena_style_fit(&out->idx, feat, NULL, &o->style, NULL, x, &out->style_iterations, err);
    if (rc == TT_OK) {
        out->style = 1;
        arena_style_ratings(&o->style, n, x, out->ratings);
        memcpy(out->coef, x + n, sizeof out->coef);
        for (int k = 0; k < ARENA_STYLE_K; k++) out->coef_lower[k] = out->coef_upper[k] = NAN;
    }
    if (rc == TT_OK && out->rounds) {
        double *coef = tt_malloc((size_t)out->rounds * ARENA_STYLE_K * sizeof *coef);
        rc = arena_style_bootstrap(&out->idx, feat, &o->style, x, out->rounds, o->seed, o->threads, out->samples, coef,
                                   err);
        if (rc == TT_OK) arena_bootstrap_summary(coef, out->rounds, ARENA_STYLE_K, NULL, out->coef_lower, out->coef_upper);
        free(coef);
    }
    free(feat);
    free(x);
    return rc;
}

int arena_leaderboard_compute(const arena_battles *l, const arena_lb_opts *o,
                              arena_leaderboard *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (o->style_control && o->method != ARENA_METHOD_BT)
        return tt_fail(err, TT_ERR_USAGE, "style control works with bradley-terry only, not with elo");
    int rc = arena_index_build(l, o->exclude_ties, &out->idx, err);
    if (rc != TT_OK) return rc;
    int n = out->idx.n_models;
    int anchor = -1;
    if (o->anchor_model) {
        anchor = arena_index_find(&out->idx, o->anchor_model);
        if (anchor < 0)
            return tt_fail(err, TT_ERR_NOTFOUND, "anchor model '%s' has no rated battles", o->anchor_model);
    }
    out->ratings = tt_malloc((size_t)(n ? n : 1) * sizeof *out->ratings);
    out->rounds = o->rounds > 0 ? o->rounds : 0;
    if (out->rounds) out->samples = tt_malloc((size_t)out->rounds * (size_t)(n ? n : 1) * sizeof *out->samples);
    arena_boot_opts bo = {out->rounds, o->seed, o->threads};

    if (o->style_control) {
        rc = style_compute(l, o, out, err);
    } else if (o->method == ARENA_METHOD_BT) {
        arena_rows rows;
        arena_rows_build(&out->idx, &rows);
        double *theta = tt_malloc((size_t)(n ? n : 1) * sizeof *theta);
        rc = arena_bt_fit(&rows, NULL, &o->bt, NULL, theta, &out->bt_info, err);
        if (rc != TT_OK && out->bt_info.stray_model >= 0)
            tt_fail(err, rc, "cannot fit bradley-terry: model '%s' never lost, never won, or never met "
                    "the others, so its maximum-likelihood rating is infinite",
                    out->idx.models[out->bt_info.stray_model]);
        if (rc == TT_OK) {
            arena_bt_to_ratings(&o->bt, n, theta, out->ratings);
            if (out->rounds) rc = arena_bootstrap_bt(&rows, &o->bt, theta, &bo, out->samples, err);
        }
        free(theta);
        arena_rows_free(&rows);
    } else {
        arena_elo_fit(&out->idx, &o->elo, out->ratings);
        if (out->rounds) rc = arena_bootstrap_elo(&out->idx, &o->elo, &bo, out->samples, err);
    }
    if (rc != TT_OK) return rc;

    if (anchor >= 0) {
        arena_anchor(n, out->ratings, anchor, o->anchor_rating);
        for (int r = 0; r < out->rounds; r++)
            arena_anchor(n, out->samples + (size_t)r * n, anchor, o->anchor_rating);
    }
    out->rows = tt_malloc((size_t)(n ? n : 1) * sizeof *out->rows);
    double *med = tt_malloc((size_t)(n ? n : 1) * sizeof *med);
    double *lo = tt_malloc((size_t)(n ? n : 1) * sizeof *lo);
    double *hi = tt_malloc((size_t)(n ? n : 1) * sizeof *hi);
    if (out->rounds) {
        arena_bootstrap_summary(out->samples, out->rounds, n, med, lo, hi);
        if (o->method == ARENA_METHOD_ELO) memcpy(out->ratings, med, (size_t)n * sizeof *med);
    } else {
        for (int i = 0; i < n; i++) med[i] = lo[i] = hi[i] = NAN;
    }
    /* the models shown, then their ranks among themselves */
    int shown = 0;
    for (int i = 0; i < n; i++) {
        if (out->idx.battles[i] < o->min_battles) {
            out->n_hidden++;
            continue;
        }
        out->rows[shown++] = (arena_lb_row){out->idx.models[i], out->ratings[i], med[i], lo[i], hi[i], 1,
                                            out->idx.battles[i]};
    }
    out->n = shown;
    for (int i = 0; i < shown; i++) {
        arena_lb_row *r = &out->rows[i];
        for (int j = 0; j < shown; j++) {
            if (j == i) continue;
            if (out->rounds ? out->rows[j].lower > r->upper : out->rows[j].rating > r->rating) r->rank++;
        }
    }
    qsort(out->rows, (size_t)shown, sizeof *out->rows, cmp_rows);
    free(med);
    free(lo);
    free(hi);
    return TT_OK;
}

void arena_leaderboard_free(arena_leaderboard *lb)
{
    if (!lb) return;
    arena_index_free(&lb->idx);
    free(lb->rows);
    free(lb->ratings);
    free(lb->samples);
    memset(lb, 0, sizeof *lb);
}

int arena_leaderboard_store(store *s, const arena_leaderboard *lb, const arena_lb_opts *o,
                            const char *source, char *err)
{
    return arena_leaderboard_store_category(s, lb, o, source, 0, err);
}

int arena_leaderboard_store_category(store *s, const arena_leaderboard *lb, const arena_lb_opts *o,
                                     const char *source, unsigned category, char *err)
{
    char method[64];
    snprintf(method, sizeof method, "%s%s%s%s", arena_method_name(o->method), lb->style ? "+style" : "",
             category ? "@" : "", category ? arena_category_name(category) : "");
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    store_rating *rows = tt_calloc((size_t)lb->n + 1, sizeof *rows);
    for (int i = 0; i < lb->n; i++) {
        const arena_lb_row *r = &lb->rows[i];
        rows[i] = (store_rating){
            .computed_at = now, .method = method, .source = source ? source : "all",
            .model = r->model, .rating = r->rating, .rank = STORE_INT(r->rank), .battles = r->battles,
            .lower = NAN, .upper = NAN, .bootstrap_rounds = STORE_NO_INT, .seed = STORE_NO_INT,
        };
        if (lb->rounds) {
            rows[i].lower = r->lower;
            rows[i].upper = r->upper;
            rows[i].bootstrap_rounds = STORE_INT(lb->rounds);
            rows[i].seed = STORE_INT(o->seed);   /* the uint64's bit pattern, as before */
        }
    }
    int rc = store_ratings_put(s, rows, (size_t)lb->n, err);
    free(rows);
    return rc;
}
