/*
 * runs.h — what was evaluated and when: models (by engine spec), tasks (by
 * name, version and content hash), and runs (one `tianti run` invocation,
 * resumable while not finished). The runner writes these; the report and
 * `tianti results` read runs back with store_run_get().
 */
#ifndef TIANTI_STORE_RUNS_H
#define TIANTI_STORE_RUNS_H

#include "store/types.h"

/* ---- models and tasks ---------------------------------------------------- */

/* Returns the id of the model with this spec, inserting it when new; an
 * existing model gets the new name and params_json (the registry may rename
 * a model without changing what runs). */
int store_model_ensure(store *s, const char *spec, const char *name, const char *engine,
                       const char *precision, const char *params_json, int64_t *id, char *err);
/* Returns the id of the task (name, version, content_hash), inserting it
 * when new; an existing one keeps its config_json. */
int store_task_ensure(store *s, const char *name, const char *version, const char *content_hash,
                      const char *config_json, int64_t *id, char *err);

/* ---- runs ---------------------------------------------------------------- */

/* Finds the newest run with this config hash that did not finish;
 * TT_ERR_NOTFOUND if none, TT_ERR_STORE when the store cannot be read. */
int store_run_find_resumable(store *s, const char *config_hash, int64_t *run_id);
/* Finds the newest finished run with this config hash (the shards of a
 * sharded run, for `tianti merge`); TT_ERR_NOTFOUND if none. */
int store_run_find_finished(store *s, const char *config_hash, int64_t *run_id, char *err);
/* Starts a run (status 'running', started_at now, this tianti's version). */
int store_run_create(store *s, const char *config_hash, const char *config_json, uint64_t seed,
                     const char *git_rev, int64_t *run_id, char *err);
/* status: running, finished, failed, interrupted. Sets finished_at unless
 * running. TT_ERR_NOTFOUND when there is no such run. */
int store_run_set_status(store *s, int64_t run_id, const char *status, char *err);

/* A run as stored, with the number of samples it holds. Owned strings. */
typedef struct store_run_row {
    int64_t id;
    char *started_at, *finished_at, *tool_version, *git_rev, *status, *config_json;
    uint64_t seed;
    int64_t samples;
} store_run_row;

/* Reads run id into *out (caller frees with store_run_row_free; out is
 * zeroed first). TT_ERR_NOTFOUND with "run <id> is not in the store". */
int store_run_get(store *s, int64_t id, store_run_row *out, char *err);
void store_run_row_free(store_run_row *r);   /* NULL is fine; r is zeroed */

#endif
