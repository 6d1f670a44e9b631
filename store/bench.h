/*
 * bench.h — `tianti bench` measurements: one row per (model, precision,
 * test) of one bench invocation, with the machine facts and per-repetition
 * samples as JSON. bench/ writes them, the report reads them back.
 */
#ifndef TIANTI_STORE_BENCH_H
#define TIANTI_STORE_BENCH_H

#include "store/types.h"

/* One row of `bench_results`. Strings borrowed (when put) or valid during
 * the visit (when read). */
typedef struct store_bench_row {
    const char *created_at;         /* ISO 8601 UTC */
    const char *model_spec, *model_name;
    const char *precision;          /* NULL when the engine has none */
    const char *test;               /* 'pp512', 'tg128', 'load', 'ttft', 'task:<name>' */
    store_opt_int n_tokens, repetitions;
    double mean, stddev;            /* tokens/s for pp/tg, seconds otherwise; NaN = NULL */
    const char *unit;
    store_opt_int file_bytes, n_params;
    store_opt_int peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes, gpu_bytes;
    store_opt_int threads;
    const char *machine_json;
} store_bench_row;

/* Stores n rows in one transaction: all or none. Must not be called inside
 * store_begin(). */
int store_bench_put(store *s, const store_bench_row *v, size_t n, char *err);

typedef int (*store_bench_fn)(void *ctx, const store_bench_row *r, char *err);

/* Visits every row, newest first (created_at, then id, descending). */
int store_bench_each(store *s, store_bench_fn fn, void *ctx, char *err);

#endif
