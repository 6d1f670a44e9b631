/*
 * runs.c — models, tasks and runs (runs.h).
 *
 * Models and tasks are "ensured": an upsert, then a read of the id. The id
 * is read with a SELECT rather than RETURNING because ON CONFLICT DO NOTHING
 * returns no row for a task that already exists, in SQLite and PostgreSQL
 * alike. New runs get their id from RETURNING id.
 */
#include "store/internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* Runs insert_sql with vals[0..nvals), then select_sql with the key
 * vals[0..nkey) for the id. */
static int ensure_row(store *s, const char *insert_sql, const char *select_sql, const char *const *vals, int nvals,
                      int nkey, const char *what, int64_t *id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, insert_sql, what, err);
    for (int i = 0; rc == TT_OK && i < nvals; i++) store_q_text(&q, vals[i]);
    if (rc == TT_OK) rc = store_q_run(&q, what, err);
    store_q_finish(&q);
    if (rc) return rc;
    rc = store_q_prepare(s, &q, select_sql, what, err);
    for (int i = 0; rc == TT_OK && i < nkey; i++) store_q_text(&q, vals[i]);
    if (rc == TT_OK) {
        if (store_q_step(&q) == STORE_ROW) *id = store_q_col_int(&q, 0);
        else rc = store_fail(s, err, "cannot find the row after an upsert (%s)", what);
    }
    store_q_finish(&q);
    return rc;
}

int store_model_ensure(store *s, const char *spec, const char *name, const char *engine,
                       const char *precision, const char *params_json, int64_t *id, char *err)
{
    const char *vals[] = {spec, name, engine, precision, params_json};
    return ensure_row(s,
        "INSERT INTO models (spec, name, engine, precision, params_json) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (spec) DO UPDATE SET name = excluded.name, params_json = excluded.params_json",
        "SELECT id FROM models WHERE spec = ?", vals, 5, 1, "store model", id, err);
}

int store_task_ensure(store *s, const char *name, const char *version, const char *content_hash,
                      const char *config_json, int64_t *id, char *err)
{
    const char *vals[] = {name, version, content_hash, config_json};
    return ensure_row(s,
        "INSERT INTO tasks (name, version, content_hash, config_json) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name, version, content_hash) DO NOTHING",
        "SELECT id FROM tasks WHERE name = ? AND version = ? AND content_hash = ?", vals, 4, 3, "store task", id,
        err);
}

int store_run_find_resumable(store *s, const char *config_hash, int64_t *run_id)
{
    store_q q;
    if (store_q_prepare(s, &q, "SELECT id FROM runs WHERE config_hash = ? AND status <> 'finished' "
                               "ORDER BY id DESC LIMIT 1", "find a run", NULL))
        return TT_ERR_STORE;
    store_q_text(&q, config_hash);
    int step = store_q_step(&q), rc = TT_ERR_NOTFOUND;
    if (step == STORE_ROW) {
        *run_id = store_q_col_int(&q, 0);
        rc = TT_OK;
    } else if (step == STORE_STEP_ERROR) {
        rc = TT_ERR_STORE;
    }
    store_q_finish(&q);
    return rc;
}

int store_run_find_finished(store *s, const char *config_hash, int64_t *run_id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT id FROM runs WHERE config_hash = ? AND status = 'finished' "
                                    "ORDER BY id DESC LIMIT 1", "find a run", err);
    if (rc) return rc;
    store_q_text(&q, config_hash);
    int step = store_q_step(&q);
    if (step == STORE_ROW) *run_id = store_q_col_int(&q, 0);
    else if (step == STORE_DONE) rc = TT_ERR_NOTFOUND;
    else rc = store_fail(s, err, "cannot find a run");
    store_q_finish(&q);
    return rc;
}

int store_run_create(store *s, const char *config_hash, const char *config_json, uint64_t seed,
                     const char *git_rev, int64_t *run_id, char *err)
{
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO runs (config_hash, config_json, seed, tool_version, git_rev, started_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?, 'running') RETURNING id", "create run", err);
    if (rc) return rc;
    store_q_text(&q, config_hash);
    store_q_text(&q, config_json);
    store_q_int(&q, (int64_t)seed);   /* the bit pattern; store_run_get casts it back */
    store_q_text(&q, TIANTI_VERSION);
    store_q_text(&q, git_rev);
    store_q_text(&q, now);
    if (store_q_step(&q) == STORE_ROW) {
        *run_id = store_q_col_int(&q, 0);
        rc = store_q_run(&q, "create run", err);   /* finish the statement */
    } else {
        rc = store_fail(s, err, "cannot create run");
    }
    store_q_finish(&q);
    return rc;
}

int store_run_set_status(store *s, int64_t run_id, const char *status, char *err)
{
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    store_q q;
    int rc = store_q_prepare(s, &q, "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", "update run", err);
    if (rc) return rc;
    store_q_text(&q, status);
    store_q_text(&q, strcmp(status, "running") == 0 ? NULL : now);
    store_q_int(&q, run_id);
    rc = store_q_run(&q, "update run", err);
    if (rc == TT_OK && s->drv->changes(s->conn) == 0)
        rc = tt_fail(err, TT_ERR_NOTFOUND, "run %lld is not in the store", (long long)run_id);
    store_q_finish(&q);
    return rc;
}

int store_run_get(store *s, int64_t id, store_run_row *out, char *err)
{
    memset(out, 0, sizeof *out);
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT id, started_at, finished_at, tool_version, git_rev, status, config_json, seed, "
        "(SELECT count(*) FROM samples WHERE samples.run_id = runs.id) FROM runs WHERE id = ?", "read run", err);
    if (rc) return rc;
    store_q_int(&q, id);
    int step = store_q_step(&q);
    if (step == STORE_ROW) {
        out->id = store_q_col_int(&q, 0);
        out->started_at = tt_strdup(store_q_col_text(&q, 1));
        out->finished_at = tt_strdup(store_q_col_text(&q, 2));
        out->tool_version = tt_strdup(store_q_col_text(&q, 3));
        out->git_rev = tt_strdup(store_q_col_text(&q, 4));
        out->status = tt_strdup(store_q_col_text(&q, 5));
        out->config_json = tt_strdup(store_q_col_text(&q, 6));
        out->seed = (uint64_t)store_q_col_int(&q, 7);
        out->samples = store_q_col_int(&q, 8);
    } else if (step == STORE_DONE) {
        rc = tt_fail(err, TT_ERR_NOTFOUND, "run %lld is not in the store", (long long)id);
    } else {
        rc = store_fail(s, err, "cannot read run %lld", (long long)id);
    }
    store_q_finish(&q);
    return rc;
}

void store_run_row_free(store_run_row *r)
{
    if (!r) return;
    free(r->started_at);
    free(r->finished_at);
    free(r->tool_version);
    free(r->git_rev);
    free(r->status);
    free(r->config_json);
    memset(r, 0, sizeof *r);
}
