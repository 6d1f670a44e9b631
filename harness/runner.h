/*
 * runner.h — `tianti run` as a library call: evaluates models on tasks and
 * suites, keeps every sample and every metric in the store, and returns an
 * lm-evaluation-harness-shaped results document per model.
 *
 * How a run proceeds (design note, docs/DESIGN.md "runs"):
 *   1. expand suites into task files; load tasks and their data;
 *   2. hash the configuration (task content hashes, model specs, limit,
 *      seed, shots, bootstrap): an unfinished run with the same hash is
 *      resumed, otherwise a new run row is created;
 *   3. per model: open the engine, check each task's needs against its
 *      capabilities (a task the model cannot answer is skipped with a clear
 *      message, never scored meaninglessly), build every request of every
 *      document, answer them through the executor (de-duplicated, cached,
 *      pooled), filter and score each document, and write the samples and
 *      metrics of each task in one transaction;
 *   4. aggregate suites (size-weighted mean, pooled stderr) and mark the run
 *      finished.
 * A kill -9 anywhere leaves the run 'running' with its cached answers; the
 * same command again finds it and finishes it without re-asking the model.
 */
#ifndef TIANTI_RUNNER_H
#define TIANTI_RUNNER_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

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
    int progress;                 /* draw progress on stderr */
    int verbose;
} runner_options;

void runner_options_default(runner_options *o);

/* Runs the evaluation. On success *results is a JSON array with one
 * lm-eval-shaped document per model (caller frees with json_decref), and
 * *run_id the store's run id. Models that failed or tasks skipped for a
 * model are reported on stderr and in the document's "skipped" list; the
 * call still succeeds when at least one (model, task) pair was scored. */
int runner_run(const runner_options *o, json_t **results, int64_t *run_id, char *err);

/* The choice a generated reply picks (generative fallback for multiple
 * choice): the first standalone letter A.. within n_choices, else the first
 * choice text the reply contains; -1 if none. */
int runner_extract_choice(const char *reply, const char *const *choices, int n_choices);

/* Prints the lm-eval-style results table of one results document. */
void runner_print_table(const json_t *doc, FILE *out);

#endif
