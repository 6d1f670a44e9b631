/*
 * samples.h — what the runner writes per evaluation: one sample per
 * (run, model, task, document) with the responses and scores, and the
 * aggregated metrics per (run, model, task or suite, filter, metric). The
 * reads are in results.h. The runner brackets a task's writes in
 * store_begin()/store_commit(), so a task is stored whole or not at all.
 */
#ifndef TIANTI_STORE_SAMPLES_H
#define TIANTI_STORE_SAMPLES_H

#include "store/types.h"

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
    const char *items_json;     /* the document's aggregation items (harness/score.h), or NULL */
    int reasoning_tokens;       /* of completion_tokens, a reasoning model's thinking; 0: none or unknown */
} store_sample;

/* Inserts or replaces the sample for (run, model, task, doc): re-running a
 * document never duplicates it. Call inside a transaction for batches. */
int store_sample_put(store *s, const store_sample *smp, char *err);
/* Removes the metrics of (run, model) before they are written again. */
int store_metrics_clear(store *s, int64_t run_id, int64_t model_id, char *err);
/* Inserts or replaces one metric. value and stderr_value NaN are stored
 * NULL; filter NULL is 'none'; n_shot < 0 is stored NULL. */
int store_metric_put(store *s, int64_t run_id, int64_t model_id, const char *task_name, int is_group,
                     const char *filter, const char *metric, double value, double stderr_value,
                     int n, int n_shot, int higher_is_better, char *err);

/* ---- merging the shards of a run (tianti merge) -------------------------------- */

/* A stored sample as merging reads it. */
typedef struct store_sample_items {
    int64_t doc_id;
    const char *items_json;     /* NULL when the document added no items */
    int has_error;              /* the document could not be scored */
} store_sample_items;

typedef int (*store_sample_items_fn)(void *ctx, const store_sample_items *r, char *err);

/* Visits the samples of (run, model, task) in doc_id order. */
int store_sample_items_each(store *s, int64_t run_id, int64_t model_id, int64_t task_id, store_sample_items_fn fn,
                            void *ctx, char *err);
/* Copies the samples of (from_run, model, task) into to_run, every column
 * as it is; *n gets how many. Call inside a transaction. */
int store_samples_copy_run(store *s, int64_t from_run, int64_t to_run, int64_t model_id, int64_t task_id, int64_t *n,
                           char *err);

#endif
