/*
 * store.c — implementation of store.h on SQLite: opening, forward
 * migrations, and the small typed writers the runner uses. Other modules
 * (arena, bench, reports) reach the same database through store_db() and
 * store_prepare() with their own SQL, always with bound parameters.
 */
#include "store/store.h"
#include "store/schema.h"
#include "core/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store {
    sqlite3 *db;
    char *path;
    pthread_mutex_t lock;   /* serialises cache writes from worker threads */
};

static int db_fail(store *s, char *err, const char *what)
{
    return tt_fail(err, TT_ERR_STORE, "%s in '%s': %s", what, s->path, sqlite3_errmsg(s->db));
}

int store_exec(store *s, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = tt_fail(err, TT_ERR_STORE, "database '%s': %s", s->path, msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return TT_OK;
}

int store_prepare(store *s, const char *sql, sqlite3_stmt **stmt, char *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL) != SQLITE_OK) return db_fail(s, err, "cannot prepare statement");
    return TT_OK;
}

int store_schema_version(store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(store *s, char *err)
{
    int have = store_schema_version(s);
    if (have < 0) return db_fail(s, err, "cannot read schema version");
    if (have > STORE_SCHEMA_VERSION)
        return tt_fail(err, TT_ERR_STORE, "database '%s' has schema version %d, newer than this tianti (%d)",
                       s->path, have, STORE_SCHEMA_VERSION);
    for (int v = have; v < STORE_SCHEMA_VERSION; v++) {
        int rc = store_exec(s, "BEGIN IMMEDIATE", err);
        if (rc) return rc;
        /* Someone else may have migrated while we waited for the lock. */
        if (store_schema_version(s) != v) {
            store_rollback(s);
            continue;
        }
        rc = store_exec(s, store_migrations[v], err);
        if (rc == TT_OK) {
            char pragma[64];
            snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
            rc = store_exec(s, pragma, err);
        }
        if (rc == TT_OK) rc = store_exec(s, "COMMIT", err);
        if (rc != TT_OK) {
            store_rollback(s);
            return rc;
        }
    }
    return TT_OK;
}

int store_open(const char *path, store **out, char *err)
{
    *out = NULL;
    store *s = tt_calloc(1, sizeof *s);
    s->path = tt_strdup(path);
    pthread_mutex_init(&s->lock, NULL);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        int rc = tt_fail(err, TT_ERR_STORE, "cannot open database '%s': %s", path,
                         s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    int rc = store_exec(s, "PRAGMA journal_mode=WAL", err);
    if (rc == TT_OK) rc = store_exec(s, "PRAGMA synchronous=NORMAL", err);
    if (rc == TT_OK) rc = store_exec(s, "PRAGMA foreign_keys=ON", err);
    if (rc == TT_OK) rc = migrate(s, err);
    if (rc != TT_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return TT_OK;
}

void store_close(store *s)
{
    if (!s) return;
    if (s->db) sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

sqlite3 *store_db(store *s) { return s->db; }

int store_begin(store *s, char *err) { return store_exec(s, "BEGIN IMMEDIATE", err); }
int store_commit(store *s, char *err) { return store_exec(s, "COMMIT", err); }

void store_rollback(store *s)
{
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds text or NULL. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING, then a SELECT for the id. */
static int ensure_row(store *s, const char *insert_sql, const char *select_sql,
                      const char *const *vals, int nvals, int nkey, int64_t *id, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s, insert_sql, &st, err);
    if (rc) return rc;
    for (int i = 0; i < nvals; i++) bind_text(st, i + 1, vals[i]);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return db_fail(s, err, "cannot insert");
    rc = store_prepare(s, select_sql, &st, err);
    if (rc) return rc;
    for (int i = 0; i < nkey; i++) bind_text(st, i + 1, vals[i]);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_fail(s, err, "cannot find inserted row");
    }
    *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return TT_OK;
}

int store_model_ensure(store *s, const char *spec, const char *name, const char *engine,
                       const char *precision, const char *params_json, int64_t *id, char *err)
{
    const char *vals[] = {spec, name, engine, precision, params_json};
    return ensure_row(s,
        "INSERT INTO models(spec, name, engine, precision, params_json) VALUES (?,?,?,?,?) "
        "ON CONFLICT(spec) DO UPDATE SET name=excluded.name, params_json=excluded.params_json",
        "SELECT id FROM models WHERE spec = ?", vals, 5, 1, id, err);
}

int store_task_ensure(store *s, const char *name, const char *version, const char *content_hash,
                      const char *config_json, int64_t *id, char *err)
{
    const char *vals[] = {name, version, content_hash, config_json};
    return ensure_row(s,
        "INSERT INTO tasks(name, version, content_hash, config_json) VALUES (?,?,?,?) "
        "ON CONFLICT(name, version, content_hash) DO NOTHING",
        "SELECT id FROM tasks WHERE name = ? AND version = ? AND content_hash = ?", vals, 4, 3, id, err);
}

int store_run_find_resumable(store *s, const char *config_hash, int64_t *run_id)
{
    sqlite3_stmt *st;
    if (store_prepare(s, "SELECT id FROM runs WHERE config_hash = ? AND status != 'finished' ORDER BY id DESC LIMIT 1",
                      &st, NULL))
        return TT_ERR_STORE;
    bind_text(st, 1, config_hash);
    int rc = TT_ERR_NOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        rc = TT_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int store_run_create(store *s, const char *config_hash, const char *config_json, uint64_t seed,
                     const char *git_rev, int64_t *run_id, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "INSERT INTO runs(config_hash, config_json, seed, tool_version, git_rev, started_at, status) "
        "VALUES (?,?,?,?,?,?,'running')", &st, err);
    if (rc) return rc;
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    bind_text(st, 1, config_hash);
    bind_text(st, 2, config_json);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seed);
    bind_text(st, 4, TIANTI_VERSION);
    bind_text(st, 5, git_rev);
    bind_text(st, 6, now);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return db_fail(s, err, "cannot create run");
    *run_id = sqlite3_last_insert_rowid(s->db);
    return TT_OK;
}

int store_run_set_status(store *s, int64_t run_id, const char *status, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s, "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", &st, err);
    if (rc) return rc;
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    bind_text(st, 1, status);
    bind_text(st, 2, strcmp(status, "running") == 0 ? NULL : now);
    sqlite3_bind_int64(st, 3, run_id);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return db_fail(s, err, "cannot update run");
    return TT_OK;
}

int store_sample_put(store *s, const store_sample *m, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "INSERT INTO samples(run_id, model_id, task_id, doc_id, prompt, target, responses_json, filtered_json, "
        "scores_json, error, latency_s, prompt_tokens, completion_tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(run_id, model_id, task_id, doc_id) DO UPDATE SET prompt=excluded.prompt, target=excluded.target, "
        "responses_json=excluded.responses_json, filtered_json=excluded.filtered_json, scores_json=excluded.scores_json, "
        "error=excluded.error, latency_s=excluded.latency_s, prompt_tokens=excluded.prompt_tokens, "
        "completion_tokens=excluded.completion_tokens", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, m->run_id);
    sqlite3_bind_int64(st, 2, m->model_id);
    sqlite3_bind_int64(st, 3, m->task_id);
    sqlite3_bind_int64(st, 4, m->doc_id);
    bind_text(st, 5, m->prompt);
    bind_text(st, 6, m->target);
    bind_text(st, 7, m->responses_json);
    bind_text(st, 8, m->filtered_json);
    bind_text(st, 9, m->scores_json);
    bind_text(st, 10, m->error);
    sqlite3_bind_double(st, 11, m->latency_s);
    if (m->prompt_tokens >= 0) sqlite3_bind_int(st, 12, m->prompt_tokens); else sqlite3_bind_null(st, 12);
    if (m->completion_tokens >= 0) sqlite3_bind_int(st, 13, m->completion_tokens); else sqlite3_bind_null(st, 13);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return db_fail(s, err, "cannot store sample");
    return TT_OK;
}

int store_metrics_clear(store *s, int64_t run_id, int64_t model_id, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s, "DELETE FROM metrics WHERE run_id = ? AND model_id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, model_id);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? TT_OK : db_fail(s, err, "cannot clear metrics");
}

int store_metric_put(store *s, int64_t run_id, int64_t model_id, const char *task_name, int is_group,
                     const char *filter, const char *metric, double value, double stderr_value,
                     int n, int n_shot, int higher_is_better, char *err)
{
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "INSERT INTO metrics(run_id, model_id, task_name, is_group, filter, metric, value, stderr, n, n_shot, "
        "higher_is_better) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(run_id, model_id, task_name, filter, metric) "
        "DO UPDATE SET value=excluded.value, stderr=excluded.stderr, n=excluded.n, n_shot=excluded.n_shot, "
        "higher_is_better=excluded.higher_is_better, is_group=excluded.is_group", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, model_id);
    bind_text(st, 3, task_name);
    sqlite3_bind_int(st, 4, is_group);
    bind_text(st, 5, filter ? filter : "none");
    bind_text(st, 6, metric);
    if (value == value) sqlite3_bind_double(st, 7, value); else sqlite3_bind_null(st, 7);
    if (stderr_value == stderr_value) sqlite3_bind_double(st, 8, stderr_value); else sqlite3_bind_null(st, 8);
    sqlite3_bind_int(st, 9, n);
    if (n_shot >= 0) sqlite3_bind_int(st, 10, n_shot); else sqlite3_bind_null(st, 10);
    sqlite3_bind_int(st, 11, higher_is_better);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? TT_OK : db_fail(s, err, "cannot store metric");
}

int store_cache_get(store *s, const char *key, char **response_json, char *err)
{
    sqlite3_stmt *st;
    *response_json = NULL;
    int rc = store_prepare(s, "SELECT response_json FROM request_cache WHERE key = ?", &st, err);
    if (rc) return rc;
    bind_text(st, 1, key);
    rc = TT_ERR_NOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *response_json = tt_strdup((const char *)sqlite3_column_text(st, 0));
        rc = TT_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int store_cache_put(store *s, const char *key, const char *model_spec, const char *kind,
                    const char *request_json, const char *response_json, char *err)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st;
    int rc = store_prepare(s,
        "INSERT INTO request_cache(key, model_spec, kind, request_json, response_json, created_at) "
        "VALUES (?,?,?,?,?,?) ON CONFLICT(key) DO UPDATE SET response_json=excluded.response_json", &st, err);
    if (rc == TT_OK) {
        char now[32];
        tt_iso8601(tt_wall_s(), now);
        bind_text(st, 1, key);
        bind_text(st, 2, model_spec);
        bind_text(st, 3, kind);
        bind_text(st, 4, request_json);
        bind_text(st, 5, response_json);
        bind_text(st, 6, now);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(s, err, "cannot write request cache");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
