/*
 * executor.h — runs a batch of engine requests for one model: de-duplicates
 * them, answers what the request cache already holds, runs the rest on a
 * pthreads worker pool, and writes each answer to the cache the moment it
 * arrives. This is what makes a killed run resumable: started again with the
 * same arguments, every finished request is a cache hit.
 *
 * Request life cycle (one request):
 *
 *     pending --cache hit--------------------------> answered
 *        |
 *        +--worker: engine_complete--> answered --> cached (store_cache_put)
 *                          |
 *                          +--> failed (resp.error set; cached only if the
 *                               engine says the failure is final, so a
 *                               transient failure is retried on resume)
 *
 * A fatal engine error (engine_complete returns nonzero: a capability the
 * model lacks, a 401) stops the batch for this model: requests not yet sent
 * get that error text, and executor_run returns the code. So do
 * EXECUTOR_UNREACHABLE_STOP answers in a row that reached no server
 * (connection refused, host not found; failures.h), each after its retries:
 * the server is gone, and the rest would fail alike (TT_ERR_ENGINE).
 */
#ifndef TIANTI_EXECUTOR_H
#define TIANTI_EXECUTOR_H

#include "engines/engine.h"
#include "store/store.h"

#define EXECUTOR_UNREACHABLE_STOP 16

/* Where a batch stands, for a progress display. Counts are of unique
 * requests. */
typedef struct executor_progress_info {
    int done;            /* answered: from the cache or by the engine */
    int total;           /* unique requests of the batch */
    int cache_hits;      /* answered from the cache */
    int sent;            /* handed to the engine so far */
    int failed;          /* answered with resp.error */
    double rate;         /* engine answers per second since the pool started */
    double eta_s;        /* seconds left at that rate; 0 when unknown */
    int finished;        /* 1 on the last call of the batch, after every answer */
} executor_progress_info;

/* Called after each answer from the engine and once when the batch ends,
 * from the worker threads but one call at a time (under the executor's
 * lock: keep it short, and do not call back into the executor). */
typedef void (*executor_progress_fn)(void *ud, const executor_progress_info *p);

typedef struct executor_progress {
    executor_progress_fn fn;
    void *ud;
} executor_progress;

typedef struct executor_stats {
    int total;           /* requests asked for */
    int unique;          /* after de-duplication */
    int cache_hits;
    int sent;            /* sent to the engine */
    int failed;          /* answered with resp.error */
    double seconds;
} executor_stats;

/* Answers reqs[0..n-1] with model e (spec is the cache identity, normally
 * engine_get_spec(e)). responses[i] is filled for every i (free each with
 * engine_response_free). cache may be NULL (no caching). jobs <= 0 means 1.
 * Returns TT_OK, or the engine's fatal code with err set (responses are
 * still all filled, the unanswered ones with an error text). */
int executor_run(engine *e, const char *spec, store *cache, const engine_request *reqs, int n,
                 int jobs, const executor_progress *progress, engine_response *responses,
                 executor_stats *stats, char *err);

/* Cache key of a request for a model: sha256 hex of spec, kind and the
 * canonical request JSON (log-likelihood kinds also ENGINE_SCORING_RULE).
 * key must hold 65 bytes. */
void executor_cache_key(const char *spec, const engine_request *req, char key[65]);

#endif
