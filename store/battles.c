/*
 * battles.c — arena battles (battles.h).
 *
 * The once-only vote rests on the UNIQUE session_token column and is asked
 * for in SQL rather than read off an error code: INSERT ... ON CONFLICT
 * (session_token) DO NOTHING RETURNING id returns the new id, or no row when
 * the token is already stored. That reads the same in SQLite and
 * PostgreSQL, needs no driver-specific constraint codes, and cannot mistake
 * another failure (a full disk, a NOT NULL) for a second vote. NULL tokens
 * (imports, judged battles) never conflict.
 *
 * The source filters compare with = and substr() rather than LIKE, whose
 * case sensitivity differs between SQLite and PostgreSQL; this matches
 * arena_source_match(), the same filter applied in memory.
 */
#include "store/internal.h"
#include "core/util.h"

#include <stdlib.h>

static const char *const insert_sql =
    "INSERT INTO battles (model_a, model_b, winner, tstamp, source, judge, prompt, conversation_a, conversation_b, "
    "voter_id, session_token, flags, extra_json, turns, language, categories, style_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (session_token) DO NOTHING RETURNING id";

/* index of a battle put on its own (store_battle_put), for messages */
#define SINGLE ((size_t)-1)

/* Runs the prepared insert_sql for b (v[index] of a batch, or SINGLE).
 * TT_ERR_USAGE when its session token is already stored. */
static int put_one(store_q *q, const store_battle *b, size_t index, int64_t *id, char *err)
{
    store_q_rewind(q);
    store_q_text(q, b->model_a);
    store_q_text(q, b->model_b);
    store_q_text(q, b->winner);
    store_q_real(q, b->tstamp);
    store_q_text(q, b->source ? b->source : "import");
    store_q_text(q, b->judge);
    store_q_text(q, b->prompt);
    store_q_text(q, b->conversation_a);
    store_q_text(q, b->conversation_b);
    store_q_text(q, b->voter_id);
    store_q_text(q, b->session_token);
    store_q_text(q, b->flags);
    store_q_text(q, b->extra_json);
    store_q_opt_int(q, b->turns);
    store_q_text(q, b->language);
    store_q_text(q, b->categories);
    store_q_text(q, b->style_json);
    int step = store_q_step(q);
    if (step == STORE_ROW) {
        if (id) *id = store_q_col_int(q, 0);
        return store_q_run(q, "store battle", err);
    }
    if (step == STORE_DONE) {
        if (index == SINGLE) return tt_fail(err, TT_ERR_USAGE, "battle already stored");
        return tt_fail(err, TT_ERR_USAGE, "battle %zu already stored (its session token is in the store)", index);
    }
    if (index == SINGLE) return store_fail(q->s, err, "cannot store battle");
    return store_fail(q->s, err, "cannot store battle %zu", index);
}

int store_battle_put(store *s, const store_battle *b, int64_t *id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, insert_sql, "store battle", err);
    if (rc == TT_OK) rc = put_one(&q, b, SINGLE, id, err);
    store_q_finish(&q);
    return rc;
}

typedef struct put_many {
    size_t n;
    store_battle_get_fn get;
    void *ctx;
} put_many;

static int put_many_tx(store *s, void *ctx, char *err)
{
    const put_many *p = ctx;
    store_q q;
    int rc = store_q_prepare(s, &q, insert_sql, "store battles", err);
    for (size_t i = 0; rc == TT_OK && i < p->n; i++) {
        store_battle b;
        p->get(p->ctx, i, &b);
        rc = put_one(&q, &b, i, NULL, err);
    }
    store_q_finish(&q);
    return rc;
}

int store_battles_put_each(store *s, size_t n, store_battle_get_fn get, void *ctx, char *err)
{
    put_many p = {n, get, ctx};
    return store_with_transaction(s, put_many_tx, &p, "store battles", err);
}

static void from_array(void *ctx, size_t i, store_battle *out) { *out = ((const store_battle *)ctx)[i]; }

int store_battles_put(store *s, const store_battle *v, size_t n, char *err)
{
    return store_battles_put_each(s, n, from_array, (void *)v, err);
}

int store_battles_scan(store *s, store_battle_source f, unsigned what, store_rated_battle_fn fn, void *ctx,
                       char *err)
{
    static const char *const where[] = {
        [STORE_BATTLES_ALL] = "",
        [STORE_BATTLES_HUMAN] = " AND source = 'human'",
        [STORE_BATTLES_JUDGE] = " AND substr(source, 1, 6) = 'judge:'",
    };
    if ((int)f < 0 || (size_t)f >= sizeof where / sizeof where[0])
        return tt_fail(err, TT_ERR_USAGE, "unknown battle source filter %d", (int)f);
    int text = (what & STORE_SCAN_TEXT) != 0;
    char *sql = tt_asprintf("SELECT id, model_a, model_b, winner, tstamp, source, judge, flags, turns, language, "
                            "categories, style_json%s FROM battles WHERE winner IS NOT NULL%s%s ORDER BY tstamp, id",
                            text ? ", conversation_a, conversation_b, voter_id" : "",
                            (what & STORE_SCAN_FLAGGED) ? "" : " AND flags IS NULL", where[f]);
    store_q q;
    int rc = store_q_prepare(s, &q, sql, "read battles", err);
    free(sql);
    if (rc) return rc;
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_rated_battle b = {
            .id = store_q_col_int(&q, 0),
            .model_a = store_q_col_text(&q, 1),
            .model_b = store_q_col_text(&q, 2),
            .winner = store_q_col_text(&q, 3),
            .tstamp = store_q_col_real(&q, 4),
            .source = store_q_col_text(&q, 5),
            .judge = store_q_col_text(&q, 6),
            .flags = store_q_col_text(&q, 7),
            .turns = store_q_col_opt_int(&q, 8),
            .language = store_q_col_text(&q, 9),
            .categories = store_q_col_text(&q, 10),
            .style_json = store_q_col_text(&q, 11),
        };
        if (text) {
            b.conversation_a = store_q_col_text(&q, 12);
            b.conversation_b = store_q_col_text(&q, 13);
            b.voter_id = store_q_col_text(&q, 14);
        }
        rc = fn(ctx, &b, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read battles");
    store_q_finish(&q);
    return rc;
}

int store_battles_each(store *s, store_battle_source f, store_rated_battle_fn fn, void *ctx, char *err)
{
    return store_battles_scan(s, f, 0, fn, ctx, err);
}

int store_battle_set_categories(store *s, int64_t id, const char *categories, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "UPDATE battles SET categories = ? WHERE id = ?", "tag battle", err);
    if (rc) return rc;
    store_q_text(&q, categories);
    store_q_int(&q, id);
    rc = store_q_run(&q, "tag battle", err);
    store_q_finish(&q);
    return rc;
}

int store_battle_counts(store *s, store_pair_count_fn fn, void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT model_a, model_b, count(*) FROM battles WHERE winner IS NOT NULL GROUP BY model_a, model_b",
        "count battles", err);
    if (rc) return rc;
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_pair_count c = {store_q_col_text(&q, 0), store_q_col_text(&q, 1), store_q_col_int(&q, 2)};
        rc = fn(ctx, &c, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot count battles");
    store_q_finish(&q);
    return rc;
}

int store_battles_tally(store *s, store_battle_tally *out, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT count(*), count(DISTINCT session_token), "
        "coalesce(sum(CASE WHEN flags IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN flags IS NULL AND winner IS NULL THEN 1 ELSE 0 END), 0) FROM battles",
        "count battles", err);
    if (rc) return rc;
    if (store_q_step(&q) == STORE_ROW) {
        out->total = store_q_col_int(&q, 0);
        out->votes = store_q_col_int(&q, 1);
        out->flagged = store_q_col_int(&q, 2);
        out->unvoted = store_q_col_int(&q, 3);
    } else {
        rc = store_fail(s, err, "cannot count battles");
    }
    store_q_finish(&q);
    return rc;
}
