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

/* Loglikelihood requests handed over together to an engine that answers
 * them in batches (engine_complete_batch; the built-in engine): eight
 * four-choice documents, whose questions and shared few-shot block it runs
 * once. Each answer is cached as soon as its batch returns; other requests
 * (generations) still go one at a time. */
#define EXECUTOR_BATCH 32

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

/* Answers reqs[0..n-1] with model e (spec is the cache identity: the
 * runner passes executor_identity's). responses[i] is filled for every i (free each with
 * engine_response_free). cache may be NULL (no caching). jobs <= 0 means 1.
 * Returns TT_OK, or the engine's fatal code with err set (responses are
 * still all filled, the unanswered ones with an error text). */
int executor_run(engine *e, const char *spec, store *cache, const engine_request *reqs, int n,
                 int jobs, const executor_progress *progress, engine_response *responses,
                 executor_stats *stats, char *err);

/* Cache key of a request for a model: sha256 hex of the model's identity
 * (executor_identity), the request kind and the canonical request JSON
 * (every sampling setting, max tokens, stop strings, the messages with any
 * system prompt, the seed; log-likelihood kinds also ENGINE_SCORING_RULE).
 * key must hold 65 bytes. */
void executor_cache_key(const char *identity, const engine_request *req, char key[65]);

/* What answers, as the cache must see it (docs/DESIGN.md, "The request
 * cache"): one line with the canonical spec; the sha256 of the file the
 * spec's ARG names, when it names one (GGUF weights, a replay file: new
 * contents are a new model even under the same path); the resolved
 * endpoint (an HTTP kind's base URL after models.json, --model_args and
 * the environment: the same openai:NAME behind another server is another
 * model); and the engine settings that change answers (context_length:
 * prompts are cut to fit). File hashes are computed once per change and
 * kept in the store (store/files.h; st may be NULL: hashed every time).
 * *out: caller frees. */
int executor_identity(const char *spec, const engine *e, const engine_options *opt, store *st, char **out,
                      char *err);

/* The sha256 hex of path's contents, from st's file-hash cache when the
 * file's size, times, inode and device match (store/files.h), else read
 * once and recorded. path must be a regular file. */
int executor_file_hash(store *st, const char *path, char hex[65], char *err);

#endif
