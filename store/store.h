/*
 * store.h — Tianti's SQLite store: one database file holding models, tasks,
 * runs, samples, metrics, the request cache, arena battles and ratings, and
 * bench results (schema: store_schema.h).
 *
 * Rules every caller relies on:
 *   - the schema is versioned with PRAGMA user_version and migrated forward
 *     at store_open(), each migration in its own transaction;
 *   - WAL mode, busy timeout; every multi-row write is inside store_begin()/
 *     store_commit(); only bound parameters, never SQL built from values;
 *   - one store handle may be used from several threads: SQLite runs in
 *     serialized mode, and store.c takes its own mutex around statements that
 *     must not interleave (cache writes from runner workers).
 */
#ifndef TIANTI_STORE_H
#define TIANTI_STORE_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct store store;

/* Opens (creating if needed) and migrates the database at path.
 * Caller frees with store_close(). */
int store_open(const char *path, store **out, char *err);
void store_close(store *s);                 /* NULL is fine */
sqlite3 *store_db(store *s);                /* borrowed, valid until store_close */
int store_schema_version(store *s);

int store_begin(store *s, char *err);
int store_commit(store *s, char *err);
void store_rollback(store *s);

/* Helper for modules with their own SQL: prepares sql, or fails with the
 * SQLite message in err. */
int store_prepare(store *s, const char *sql, sqlite3_stmt **stmt, char *err);
/* Executes sql with no parameters (DDL, BEGIN, ...). */
int store_exec(store *s, const char *sql, char *err);

/* ---- models and tasks ---------------------------------------------------- */
int store_model_ensure(store *s, const char *spec, const char *name, const char *engine,
                       const char *precision, const char *params_json, int64_t *id, char *err);
int store_task_ensure(store *s, const char *name, const char *version, const char *content_hash,
                      const char *config_json, int64_t *id, char *err);

/* ---- runs ---------------------------------------------------------------- */
/* Finds the newest run with this config hash that did not finish;
 * TT_ERR_NOTFOUND if none. */
int store_run_find_resumable(store *s, const char *config_hash, int64_t *run_id);
int store_run_create(store *s, const char *config_hash, const char *config_json, uint64_t seed,
                     const char *git_rev, int64_t *run_id, char *err);
/* status: running, finished, failed, interrupted. Sets finished_at unless running. */
int store_run_set_status(store *s, int64_t run_id, const char *status, char *err);

/* ---- samples and metrics --------------------------------------------------- */
typedef struct store_sample {
    int64_t run_id, model_id, task_id;
    int64_t doc_id;
    const char *prompt;
    const char *target;
    const char *responses_json;
    const char *filtered_json;
    const char *scores_json;
    const char *error;          /* NULL when scored */
    double latency_s;
    int prompt_tokens;          /* < 0: unknown (stored NULL) */
    int completion_tokens;
} store_sample;

/* Inserts or replaces the sample for (run, model, task, doc): re-running a
 * document never duplicates it. Call inside a transaction for batches. */
int store_sample_put(store *s, const store_sample *smp, char *err);
/* Removes the metrics of (run, model) before they are written again. */
int store_metrics_clear(store *s, int64_t run_id, int64_t model_id, char *err);
int store_metric_put(store *s, int64_t run_id, int64_t model_id, const char *task_name, int is_group,
                     const char *filter, const char *metric, double value, double stderr_value,
                     int n, int n_shot, int higher_is_better, char *err);

/* ---- request cache ----------------------------------------------------------- */
/* Looks key up. TT_OK with *response_json (caller frees) or TT_ERR_NOTFOUND. */
int store_cache_get(store *s, const char *key, char **response_json, char *err);
/* Writes one entry in its own transaction, so it survives a kill -9 that
 * comes right after. Thread-safe. */
int store_cache_put(store *s, const char *key, const char *model_spec, const char *kind,
                    const char *request_json, const char *response_json, char *err);

#endif
