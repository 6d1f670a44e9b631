/*
 * score.h — turning a task's answers into numbers. For one task and one
 * model: which metrics and filter chains apply (the task's, its output
 * type's defaults, or acc under "letter_fallback" for the generative
 * fallback, or pass@k by execution for code tasks), the per-document score
 * of every (metric, filter) pair, and the aggregate with its standard error
 * per pair; then the score of a suite from its members' (lm-eval's
 * size-weighted mean and pooled stderr).
 *
 * The runner (runner.c) calls, per task:
 *     score_init -> [score_execute_code] -> score_doc for every document
 *                -> score_aggregate -> score_free
 * and score_group per suite. Results documents (results.h) and the store
 * take the score_result values; nothing here writes anywhere.
 */
#ifndef TIANTI_SCORE_H
#define TIANTI_SCORE_H

#include <jansson.h>
#include <stddef.h>

#include "engines/engine.h"
#include "harness/filter.h"
#include "harness/task.h"
#include "judges/sandbox.h"
#include "judges/metrics.h"
#include "judges/stats.h"

/* The items of one (metric, filter) pair across documents. */
typedef struct score_column {
    const metric_spec *metric;
    int chain;                    /* index into chains; -1 for non-generation tasks */
    int width;                    /* doubles per item (metric_item_width) */
    double *items;                /* rows of width doubles */
    size_t n, cap;
    size_t n_missing;             /* documents whose value is unknown (NAN item: is_greedy unknown) */
    const char *missing_why;      /* why, static text */
} score_column;

typedef struct score_state {
    int fallback;                 /* multiple choice answered by a generated letter */
    int code;                     /* pass@k metrics: completions are executed */
    size_t n_docs;
    int *code_n, *code_passed;    /* per doc: samples, samples that passed */
    char **code_outcomes;         /* per doc: JSON array of outcomes (owned) */
    metric_spec *metrics;
    int n_metrics;
    filter_chain **chains;
    int n_chains;
    score_column *cols;           /* n_metrics * max(1, n_chains), metric-major */
    int n_cols;
} score_state;

/* Sets up the metrics and filters of task t for n_docs documents; fallback:
 * the task is answered by generated letters. Errors name the task. Free
 * with score_free (not needed after a failure). */
int score_init(score_state *s, const task *t, int fallback, size_t n_docs, char *err);
void score_free(score_state *s);

/* The filter name of column c: the chain's, "none", "letter_fallback" or
 * "execution". */
const char *score_column_filter(const score_state *s, int c);

/* Code tasks: runs every completion of every document (prompt + completion
 * + the problem's tests) in the sandbox, up to jobs at once, and records per
 * document how many samples passed and each outcome. ins holds the n_ins
 * documents evaluated (a shard's are a subset of the n_docs of score_init;
 * each is kept under its doc_index), resp their responses, those of ins[i]
 * from first[i]. On
 * success *n_programs says how many programs ran, protections which
 * sandbox protections were in force and *level the weakest level any
 * program ran at (when any ran). sandbox: limits and level (NULL:
 * sandbox_config_init's, strict). Each document's outcomes record the level
 * too. */
int score_execute_code(score_state *s, const task *t, const task_instance *ins, size_t n_ins,
                       const engine_response *resp, const int *first, int jobs, const sandbox_config *sandbox,
                       size_t *n_programs, char *protections, size_t protections_n, sandbox_level *level, char *err);

/* Scores one document into the columns and fills scores ({"metric,filter":
 * value}) and filtered ({filter: [filtered responses]}). resp: the
 * document's n_resp responses. Returns TT_OK, or a message in err when the
 * document cannot be scored (a failed request, bad data): the sample then
 * records the error and the document adds no items. A metric whose value
 * the responses leave unknown (is_greedy -1) is null in scores and counted
 * as missing in its column. */
int score_doc(score_state *s, const task *t, const task_instance *in, const engine_response *resp, int n_resp,
              json_t *scores, json_t *filtered, char *err);

/* The choice a generated reply picks (generative fallback for multiple
 * choice): the first standalone letter A.. within n_choices (not inside a
 * word: " B", "(C)", "答案：D"), else the first choice text the reply
 * contains; -1 if none. */
int score_extract_choice(const char *reply, const char *const *choices, int n_choices);

/* ---- a document's items, kept to aggregate again (sharded runs) ------------------ */

/* What score_doc adds to the columns is all that aggregation reads, so a
 * run split into shards keeps each document's items with its sample and
 * `tianti merge` aggregates them again, in document order, into exactly
 * the numbers one unsharded run gives (bootstrap stderrs included: the same
 * items in the same order under the same seed).
 *
 * score_mark notes where every column stands (mark has n_cols entries);
 * after score_doc, score_items_json returns the items the document added,
 * as {"metric,filter": ["%a", ...]} (hex floats: exact, and infinities
 * survive), or NULL when it added none. score_items_add pushes such a text
 * back into the columns; a key that names no column is TT_ERR_PARSE. */
void score_mark(const score_state *s, size_t *mark);
char *score_items_json(const score_state *s, const size_t *mark);
int score_items_add(score_state *s, const char *items_json, char *err);

/* The aggregate of each (metric, filter) pair, for a task or a suite. */
typedef struct score_result {
    int ok;                       /* scored (a suite uses only members that are) */
    size_t n_docs;                /* documents evaluated */
    int n_cols;
    char **keys;                  /* "metric,filter" (owned) */
    char **metric, **filter;      /* the two parts (owned) */
    double *value, *stderr_;      /* NAN: not available */
    int *n;                       /* items aggregated (suites: total sample count) */
    int *hib;                     /* higher is better */
    char **note;                  /* per column: why the value is N/A (owned), or NULL */
} score_result;

/* Aggregates every column of s (with its stderr as so says) into *out
 * (out->ok is set to 1; the caller clears it if storing fails). A column
 * with documents whose value is unknown is N/A (NAN), with a note saying
 * how many and why: a score over the rest would not be the task's. */
void score_aggregate(const score_state *s, const stats_opts *so, score_result *out);

/* The score of a suite from results[members[0..n_members-1]]: every
 * "metric,filter" key present in all scored members gets the size-weighted
 * (or plain) mean and pooled stderr. out->ok is 0 when no member was scored
 * (the suite then has no score at all). */
void score_group(const score_result *results, const int *members, int n_members, int size_weighted, score_result *out);

/* The same for an lm-eval group with an aggregate_metric_list (has_list):
 * only the "metric,filter" keys whose metric is among metrics[0..n_metrics),
 * each over the scored members that report it; no metric listed: a group
 * with no score (ok, no columns). Without a list it is score_group. */
void score_group_metrics(const score_result *results, const int *members, int n_members, int size_weighted,
                         const char *const *metrics, int n_metrics, int has_list, score_result *out);

/* Allocates r's n_cols columns, zeroed (keys, names, values, stderrs,
 * counts, directions, notes); r's other fields are left as they are. */
void score_result_alloc(score_result *r, int n_cols);
void score_result_free(score_result *r);

#endif
