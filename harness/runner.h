/*
 * runner.h — `tianti run` as a library call: evaluates models on tasks and
 * suites, keeps every sample and every metric in the store, and returns an
 * lm-evaluation-harness-shaped results document per model.
 *
 * How a run proceeds (design note, docs/DESIGN.md "runs"); runner.c is
 * only this order, each step lives in its own module:
 *   1. resolve the models (registry names or specs) and plan the tasks:
 *      expand suites, load tasks and their data (plan.h);
 *   2. find the run: an unfinished run with the same configuration is
 *      resumed, otherwise a new run row is created (run_identity.h);
 *   3. per model: open the engine, check each task's needs against its
 *      capabilities (a task the model cannot answer is skipped with a clear
 *      message, never scored meaninglessly; plan.h), build every request of
 *      every document (plan.h), answer them through the executor
 *      (de-duplicated, cached, pooled; executor.h), score each document
 *      (score.h), and write the samples and metrics of each task in one
 *      transaction; the model's results document grows task by task
 *      (results.h);
 *   4. aggregate suites (size-weighted mean, pooled stderr; score.h) and
 *      mark the run finished.
 * A kill -9 anywhere leaves the run 'running' with its cached answers; the
 * same command again finds it and finishes it without re-asking the model.
 *
 * The runner never prints. Messages (a task skipped, a run resumed, the
 * sandbox's protections; request counts at debug level) go through
 * core/log.h; progress goes to the progress callback; the results table is
 * results_table.h, written where the caller says.
 */
#ifndef TIANTI_RUNNER_H
#define TIANTI_RUNNER_H

#include <jansson.h>
#include <stdint.h>

#include "engines/registry.h"
#include "judges/sandbox.h"

/* Where the requests of one (model, task) stand. */
typedef struct runner_progress {
    const char *model;            /* the model's display name */
    const char *task;             /* the task's name */
    int done, total;              /* unique requests answered (cache hits included), of all */
    int cached;                   /* answered from the request cache */
    int sent;                     /* sent to the model so far */
    int failed;                   /* answered with an error */
    double rate;                  /* answers per second from the model */
    double eta_s;                 /* seconds left at that rate; 0 when unknown */
    int finished;                 /* 1: the last call for this (model, task) */
} runner_progress;

/* Called after each answer from the model and once when a task's requests
 * are all answered. Calls come from the executor's worker threads, one at a
 * time; keep them short. p and its strings are valid only during the call. */
typedef void (*runner_progress_fn)(void *ud, const runner_progress *p);

typedef struct runner_options {
    const char *const *tasks;     /* task or suite names / files */
    int n_tasks;
    const char *const *models;    /* registry names or specs */
    int n_models;
    const char *db_path;
    const char *registry_path;    /* models.json; NULL: ./models.json if present */
    const char *data_dir;         /* NULL: $TIANTI_DATA */
    const char *tasks_dir;        /* NULL: suite_tasks_dir() */
    const char *output_dir;       /* NULL: no files */
    double limit;                 /* <= 0: all documents */
    uint64_t seed;
    int jobs;                     /* concurrent requests per model */
    int threads;                  /* built-in engine threads; 0 = all cores */
    int num_fewshot;              /* < 0: each task's own */
    int samples;                  /* > 0: samples per generation doc (pass@k n) */
    int bootstrap_iters;          /* stderr bootstrap rounds */
    int allow_code_execution;
    sandbox_level sandbox;        /* code tasks: strict (default), weak or none (judges/sandbox.h) */
    int shard_index, shard_count; /* shard_count > 1: evaluate only documents i with
                                     i % shard_count == shard_index (docs/scale.md) */
    runner_progress_fn progress;  /* NULL: no progress reports */
    void *progress_ud;
    int verbose;                  /* engines produce debug lines (HTTP headers); they and the
                                     request counts are logged at TT_LOG_DEBUG */
    const json_t *model_args;     /* NULL, or model settings over every model's, in models.json's
                                     shape (registry_model_apply; lm-eval's --model_args) */
    const json_t *gen_kwargs;     /* NULL, or generation settings over every generation task's
                                     (task_set_generation; lm-eval's --gen_kwargs) */
    int chat;                     /* generation tasks in chat mode (lm-eval's --apply_chat_template) */
    int wait_for_run;             /* the same run live in another process: wait for it (else refuse;
                                     harness/run_lease.h) */
} runner_options;

void runner_options_default(runner_options *o);

/* Runs the evaluation. On success *results is a JSON array with one
 * lm-eval-shaped document per model (results.h; caller frees with
 * json_decref), and *run_id the store's run id. Tasks skipped for a model
 * (a capability it lacks, code execution not allowed) are logged
 * (core/log.h) and listed in the document's "skipped"; documents, tasks and
 * models that failed are listed in its "errors" by cause (failures.h), each
 * document's full error at debug level. The call still succeeds when at
 * least one (model, task) pair was scored; when none was, it fails (TT_ERR)
 * and *results is still set, so that the caller can say why. */
int runner_run(const runner_options *o, json_t **results, int64_t *run_id, char *err);

/* Resolves every model of o (a registry name or a spec) to its canonical
 * spec (engines/spec.h). *out has o->n_models entries, also on failure;
 * free with runner_models_free. */
int runner_models_resolve(const runner_options *o, registry_model **out, char *err);
void runner_models_free(registry_model *models, int n);

#endif
