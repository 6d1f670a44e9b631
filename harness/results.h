/*
 * results.h — what a run hands back and writes out, in lm-evaluation-
 * harness's shapes so that tools made for lm-eval read it:
 *   - the results document of one model: "results" and "groups" (per task
 *     and suite: "metric,filter" values and "metric_stderr,filter"), with
 *     "configs", "versions", "n-shot", "higher_is_better", "n-samples",
 *     "group_subtasks", the run's "config", and Tianti's own "skipped",
 *     "notes", "truncated", "usage", "run_id", "tianti_version" and
 *     "tianti_commit";
 *   - results.json: the documents of every model (--output DIR);
 *   - samples_<model>.jsonl: one line per evaluated document (--output DIR).
 * The runner (runner.c) fills the document as tasks finish; scores come
 * from score.h. The table `tianti run` prints is results_table.h.
 */
#ifndef TIANTI_RESULTS_H
#define TIANTI_RESULTS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/score.h"
#include "harness/task.h"

/* The run settings a document records under "config". */
typedef struct results_config {
    const char *model_spec;
    const char *model_name;
    double limit;                 /* <= 0: none (null) */
    int bootstrap_iters;
    uint64_t seed;
    int batch_size;               /* --jobs */
} results_config;

/* A new, empty results document of one model in run run_id. */
json_t *results_doc_new(const results_config *c, int64_t run_id);

/* Records that task_name (or "*": the whole model) was not scored, and why. */
void results_doc_skip(json_t *doc, const char *task_name, const char *reason);
/* Adds a sentence to "notes" (e.g. the sandbox protections in force). */
void results_doc_note(json_t *doc, const char *note);

/* Adds task t's scores; n_original: the task's documents before --limit.
 * Values that are N/A for a reason (score_result.note) add a note. */
void results_doc_add_task(json_t *doc, const task *t, const score_result *r, size_t n_original);
/* Records under "truncated" how many of a task's n_requests requests had
 * a prompt or context longer than the model's context (left-truncated,
 * as lm-eval does; engine_response.truncated). */
void results_doc_truncated(json_t *doc, const char *task_name, int n_truncated, int n_requests);
/* Adds suite name's scores (score_group) and its member task names. */
void results_doc_add_group(json_t *doc, const char *name, const score_result *g, const char *const *members,
                           int n_members);

/* Requests and tokens of one model across the run. */
typedef struct results_usage {
    int requests, cache_hits, failed;
    long prompt_tokens, completion_tokens;
} results_usage;

/* Sets "usage"; with both prices known (USD per million tokens, >= 0) also
 * its cost. */
void results_doc_set_usage(json_t *doc, const results_usage *u, double price_input_per_mtok,
                           double price_output_per_mtok);

/* Writes the documents of every model to DIR/results.json. */
int results_write(const json_t *docs, const char *dir, char *err);

/* Opens DIR/samples_<model>.jsonl (the model name made file-safe) for
 * writing. */
int results_samples_open(const char *dir, const char *model_name, FILE **out, char *err);

/* One line of the samples file: document in of task t with the responses
 * (resps), filtered responses and scores as score_doc made them, and the
 * error when it could not be scored (NULL otherwise). */
void results_sample_write(FILE *out, const task *t, const task_instance *in, json_t *resps, json_t *filtered,
                          json_t *scores, const char *error);

#endif
