/*
 * results.h — reading evaluation results back: the metric rows behind
 * `tianti results` and the accuracy part of `tianti report`. (Runs are read
 * with store_run_get of runs.h, battles, ratings and bench rows with their
 * own headers.)
 */
#ifndef TIANTI_STORE_RESULTS_H
#define TIANTI_STORE_RESULTS_H

#include "store/types.h"

/* One metric with its model (and, for store_results_each, its run's start). */
typedef struct store_metric_row {
    int64_t run_id;
    int64_t model_id;
    const char *model_name, *model_spec, *engine, *precision;
    const char *task_name;          /* task or suite */
    int is_group;                   /* 1 for a suite */
    const char *filter;             /* 'none' when unfiltered */
    const char *metric;
    double value, stderr_value;     /* NaN = NULL */
    int64_t n;
    store_opt_int n_shot, higher_is_better;
    const char *started_at;         /* the run's start; NULL in store_report_metrics_each */
} store_metric_row;

typedef int (*store_metric_fn)(void *ctx, const store_metric_row *m, char *err);

/* *run_id = the newest run that has metrics, 0 when none has. */
int store_results_newest_run(store *s, int64_t *run_id, char *err);

/* Visits the metrics of run_id (0: of every run) in `tianti results`
 * order: run, model name, suites before tasks, task, filter, metric. */
int store_results_each(store *s, int64_t run_id, store_metric_fn fn, void *ctx, char *err);

/* Visits, for each (model, task or suite), the metrics of the newest run
 * that has any: `tianti results --compare` across runs. Same order as
 * store_results_each. */
int store_results_latest_each(store *s, store_metric_fn fn, void *ctx, char *err);

/* Visits every metric for the report, newest run first, then model spec,
 * task, filter, metric (the report keeps the first value it sees of each
 * cell, so newest wins). */
int store_report_metrics_each(store *s, store_metric_fn fn, void *ctx, char *err);

/* ---- usage and cost ------------------------------------------------------------ */

/* The requests' usage of one (run, model, task), summed over its samples:
 * what `tianti results --usage` and the report's "Usage and cost" show. */
typedef struct store_usage_row {
    int64_t run_id, model_id;
    const char *model_name, *model_spec;
    const char *params_json;        /* the model's settings (models.json entry), for its price; may be NULL */
    const char *task_name;
    int64_t samples, failed;        /* documents; those not scored */
    int64_t prompt_tokens, completion_tokens, reasoning_tokens; /* sums of the known counts */
    int64_t samples_with_usage;     /* documents whose prompt token count is known */
    double latency_s;               /* summed request time */
} store_usage_row;

typedef int (*store_usage_fn)(void *ctx, const store_usage_row *u, char *err);

/* Visits the usage of run_id (0: of every run), in run, model name, task
 * order. */
int store_usage_each(store *s, int64_t run_id, store_usage_fn fn, void *ctx, char *err);

#endif
