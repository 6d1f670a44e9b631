/*
 * ratings.c — computed leaderboards (ratings.h).
 *
 * store_ratings_latest reads in two steps: which computation is newest,
 * then its rows. Both run inside one read transaction so that a computation
 * being stored meanwhile cannot be half-seen (its rows commit together, but
 * between the two statements a newer computation could commit).
 */
#include "store/internal.h"
#include "core/util.h"

#include <stdlib.h>

typedef struct put_ctx {
    const store_rating *v;
    size_t n;
} put_ctx;

static int put_tx(store *s, void *ctx, char *err)
{
    const put_ctx *p = ctx;
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO ratings (computed_at, method, source, model, rating, lower, upper, rank, battles, "
        "bootstrap_rounds, seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "store ratings", err);
    for (size_t i = 0; rc == TT_OK && i < p->n; i++) {
        const store_rating *r = &p->v[i];
        store_q_rewind(&q);
        store_q_text(&q, r->computed_at);
        store_q_text(&q, r->method);
        store_q_text(&q, r->source);
        store_q_text(&q, r->model);
        store_q_real(&q, r->rating);
        store_q_real(&q, r->lower);
        store_q_real(&q, r->upper);
        store_q_opt_int(&q, r->rank);
        store_q_int(&q, r->battles);
        store_q_opt_int(&q, r->bootstrap_rounds);
        store_q_opt_int(&q, r->seed);
        if (store_q_step(&q) != STORE_DONE)
            rc = store_fail(s, err, "cannot store the rating of '%s'", r->model ? r->model : "(null)");
    }
    store_q_finish(&q);
    return rc;
}

int store_ratings_put(store *s, const store_rating *v, size_t n, char *err)
{
    put_ctx p = {v, n};
    return store_with_transaction(s, put_tx, &p, "store ratings", err);
}

static int latest(store *s, const char *method, store_rating_fn fn, void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT computed_at, source FROM ratings WHERE method = ? "
                                    "ORDER BY computed_at DESC, (source = 'all') DESC, id DESC LIMIT 1",
                             "read ratings", err);
    if (rc) return rc;
    store_q_text(&q, method);
    char *computed_at = NULL, *source = NULL;
    int step = store_q_step(&q);
    if (step == STORE_ROW) {
        computed_at = tt_strdup(store_q_col_text(&q, 0));
        source = tt_strdup(store_q_col_text(&q, 1));
    } else if (step != STORE_DONE) {
        rc = store_fail(s, err, "cannot read ratings");
    }
    store_q_finish(&q);
    if (rc || !computed_at) goto out;

    rc = store_q_prepare(s, &q, "SELECT model, rating, lower, upper, rank, battles, bootstrap_rounds, seed "
                                "FROM ratings WHERE method = ? AND computed_at = ? AND source = ? "
                                "ORDER BY rating DESC, id", "read ratings", err);
    if (rc) goto out;
    store_q_text(&q, method);
    store_q_text(&q, computed_at);
    store_q_text(&q, source);
    step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_rating r = {
            .computed_at = computed_at, .method = method, .source = source,
            .model = store_q_col_text(&q, 0),
            .rating = store_q_col_real(&q, 1),
            .lower = store_q_col_real(&q, 2),
            .upper = store_q_col_real(&q, 3),
            .rank = store_q_col_opt_int(&q, 4),
            .battles = store_q_col_int(&q, 5),
            .bootstrap_rounds = store_q_col_opt_int(&q, 6),
            .seed = store_q_col_opt_int(&q, 7),
        };
        rc = fn(ctx, &r, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read ratings");
    store_q_finish(&q);
out:
    free(computed_at);
    free(source);
    return rc;
}

int store_ratings_latest(store *s, const char *method, store_rating_fn fn, void *ctx, char *err)
{
    /* Inside a caller's transaction the reads already see one snapshot. */
    int own = !s->drv->in_transaction(s->conn);
    if (own && s->drv->begin(s->conn) != TT_OK) return store_fail(s, err, "cannot begin to read ratings");
    int rc = latest(s, method, fn, ctx, err);
    if (own) s->drv->rollback(s->conn);   /* read-only: nothing to commit */
    return rc;
}
