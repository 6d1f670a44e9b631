/*
 * results.h — what a run hands back and writes out, in lm-evaluation-
 * harness's shapes so that tools made for lm-eval read it (lm-eval's
 * EvalAcc._to_eval_results in lm_eval/evaluator_utils.py, simple_evaluate in
 * lm_eval/evaluator.py, EvaluationTracker in
 * lm_eval/loggers/evaluation_tracker.py; docs/report-json.md):
 *   - the results document of one model: "results" (every task AND every
 *     suite: {"alias", "name", "sample_len", "metric,filter" values and
 *     "metric_stderr,filter"}; a suite also has "sample_count"), "groups"
 *     (the suites again, present only when there are any), "group_subtasks",
 *     "configs", "versions" (the version as the task file gives it: 1.0
 *     stays a number; "Yaml" when none, as lm-eval's ConfigurableTask),
 *     "n-shot", "higher_is_better", "n-samples", the run's "config", "date",
 *     "git_hash", "task_hashes", lm-eval's tracker fields ("model_source",
 *     "model_name", "model_name_sanitized", "start_time", "end_time",
 *     "total_evaluation_time_seconds", ...), and Tianti's own "skipped",
 *     "errors" (when documents could not be scored), "notes", "truncated",
 *     "sandbox" (per code task: the level and protections its programs ran
 *     with), "usage" and "usage_by_task" (requests, prompt, completion and
 *     reasoning tokens, cost_usd when the model has a price),
 *     "run_id", "tianti_version" and "tianti_commit";
 *   - with --output DIR, per model, as lm-eval's EvaluationTracker names
 *     them: DIR/<model name sanitized>/results_<date id>.json (that model's
 *     document: json.load(f)["results"] works) and
 *     DIR/<model name sanitized>/samples_<task>_<date id>.jsonl (one line
 *     per evaluated document).
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

/* A new, empty results document of one model in run run_id; its start
 * time is now. */
json_t *results_doc_new(const results_config *c, int64_t run_id);

/* Records that task_name (or "*": the whole model) was not scored, and why. */
void results_doc_skip(json_t *doc, const char *task_name, const char *reason);
/* Records under "errors" that count of the of documents of task_name (or
 * "*": the whole model) could not be scored for one cause (failures.h),
 * with one full error text as example. A run with errors failed, though
 * its other scores stand. */
void results_doc_error(json_t *doc, const char *task_name, const char *cause, int count, int of,
                       const char *example);
/* Adds a sentence to "notes" (e.g. the sandbox protections in force). */
void results_doc_note(json_t *doc, const char *note);
/* Records under "sandbox" the level ("strict", "weak", "none") and the
 * protections the code of task_name ran with. */
void results_doc_sandbox(json_t *doc, const char *task_name, const char *level, const char *protections);

/* Adds task t's scores; n_original: the task's documents before --limit.
 * Values that are N/A for a reason (score_result.note) add a note. */
void results_doc_add_task(json_t *doc, const task *t, const score_result *r, size_t n_original);
/* Records under "truncated" how many of a task's n_requests requests had
 * a prompt or context longer than the model's context (left-truncated,
 * as lm-eval does; engine_response.truncated). */
void results_doc_truncated(json_t *doc, const char *task_name, int n_truncated, int n_requests);
/* Adds suite name's scores (score_group), under "results" and "groups",
 * with its member task names, its version (NULL: null) and the n-shot and
 * higher_is_better its members agree on. */
void results_doc_add_group(json_t *doc, const char *name, const score_result *g, const char *const *members,
                           int n_members, const json_t *version);

/* Requests and tokens of one model across the run, or on one task.
 * completion_tokens includes reasoning_tokens (OpenAI's usage counts a
 * reasoning model's thinking as output and bills it so). */
typedef struct results_usage {
    int requests, cache_hits, failed;
    long prompt_tokens, completion_tokens, reasoning_tokens;
} results_usage;

/* Sets "usage"; with both prices known (USD per million tokens, >= 0) also
 * its cost (registry_cost_usd: prompt tokens at the input price, completion
 * tokens, reasoning included, at the output price). */
void results_doc_set_usage(json_t *doc, const results_usage *u, double price_input_per_mtok,
                           double price_output_per_mtok);
/* The same for one task: "usage_by_task": {task: {...}}. */
void results_doc_task_usage(json_t *doc, const char *task, const results_usage *u, double price_input_per_mtok,
                            double price_output_per_mtok);

/* Sets the end time and "total_evaluation_time_seconds" (a string, as
 * lm-eval writes it). */
void results_doc_finish(json_t *doc);

/* lm-eval's date id, datetime.now().isoformat().replace(":", "-"):
 * "2025-01-31T14-05-09.123456" (local time; no fraction when it is 0).
 * Caller frees. */
char *results_date_id(void);

/* lm-eval's sanitize_model_name: every run of the characters "<>:/|\?*[]
 * (and ") becomes "__". Caller frees. */
char *results_sanitize_name(const char *name);

/* The folder of one model's files under dir, made if missing:
 * dir/<sanitized model name>. *out: caller frees. */
int results_model_dir(const char *dir, const char *model_name, char **out, char *err);

/* Writes one model's document to model_dir/results_<date_id>.json. */
int results_write(const json_t *doc, const char *model_dir, const char *date_id, char *err);

/* Opens model_dir/samples_<task>_<date_id>.jsonl for writing. */
int results_samples_open(const char *model_dir, const char *task_name, const char *date_id, FILE **out,
                         char *err);

/* One line of the samples file: document in of task t with the responses
 * (resps), filtered responses and scores as score_doc made them, and the
 * error when it could not be scored (NULL otherwise). */
void results_sample_write(FILE *out, const task *t, const task_instance *in, json_t *resps, json_t *filtered,
                          json_t *scores, const char *error);

#endif
