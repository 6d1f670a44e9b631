/*
 * cache.c — the request cache (cache.h).
 *
 * A put is one INSERT ... ON CONFLICT statement in autocommit mode: a single
 * statement outside BEGIN is a transaction of its own in SQLite and in
 * PostgreSQL, so the entry is durable when the call returns without the
 * cost of an explicit BEGIN/COMMIT round trip per answer. The store's mutex
 * keeps the statement and the reading of its error message together when
 * several executor workers write at once (the driver serialises single
 * calls, not the pair).
 */
#include "store/internal.h"
#include "core/util.h"

int store_cache_get(store *s, const char *key, char **response_json, char *err)
{
    *response_json = NULL;
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT response_json FROM request_cache WHERE key = ?", "read request cache", err);
    if (rc) return rc;
    store_q_text(&q, key);
    int step = store_q_step(&q);
    if (step == STORE_ROW) *response_json = tt_strdup(store_q_col_text(&q, 0));
    else if (step == STORE_DONE) rc = TT_ERR_NOTFOUND;
    else rc = store_fail(s, err, "cannot read request cache");
    store_q_finish(&q);
    return rc;
}

int store_cache_put(store *s, const char *key, const char *model_spec, const char *kind,
                    const char *request_json, const char *response_json, char *err)
{
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    pthread_mutex_lock(&s->lock);
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO request_cache (key, model_spec, kind, request_json, response_json, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET response_json = excluded.response_json",
        "write request cache", err);
    if (rc == TT_OK) {
        store_q_text(&q, key);
        store_q_text(&q, model_spec);
        store_q_text(&q, kind);
        store_q_text(&q, request_json);
        store_q_text(&q, response_json);
        store_q_text(&q, now);
        rc = store_q_run(&q, "write request cache", err);
    }
    store_q_finish(&q);
    pthread_mutex_unlock(&s->lock);
    return rc;
}
