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

#endif
