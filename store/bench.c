/*
 * bench.c — bench measurements (bench.h): the INSERT of `tianti bench`'s
 * rows and the read behind the report's memory and speed columns.
 */
#include "store/internal.h"
#include "core/util.h"

typedef struct put_ctx {
    const store_bench_row *v;
    size_t n;
} put_ctx;

static int put_tx(store *s, void *ctx, char *err)
{
    const put_ctx *p = ctx;
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO bench_results (created_at, model_spec, model_name, precision, test, n_tokens, repetitions, "
        "mean, stddev, unit, file_bytes, n_params, peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes, "
        "gpu_bytes, threads, machine_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "store bench results", err);
    for (size_t i = 0; rc == TT_OK && i < p->n; i++) {
        const store_bench_row *r = &p->v[i];
        store_q_rewind(&q);
        store_q_text(&q, r->created_at);
        store_q_text(&q, r->model_spec);
        store_q_text(&q, r->model_name);
        store_q_text(&q, r->precision);
        store_q_text(&q, r->test);
        store_q_opt_int(&q, r->n_tokens);
        store_q_opt_int(&q, r->repetitions);
        store_q_real(&q, r->mean);
        store_q_real(&q, r->stddev);
        store_q_text(&q, r->unit);
        store_q_opt_int(&q, r->file_bytes);
        store_q_opt_int(&q, r->n_params);
        store_q_opt_int(&q, r->peak_rss_bytes);
        store_q_opt_int(&q, r->weights_bytes);
        store_q_opt_int(&q, r->kv_bytes);
        store_q_opt_int(&q, r->scratch_bytes);
        store_q_opt_int(&q, r->gpu_bytes);
        store_q_opt_int(&q, r->threads);
        store_q_text(&q, r->machine_json);
        if (store_q_step(&q) != STORE_DONE)
            rc = store_fail(s, err, "cannot store bench result '%s' for '%s'", r->test ? r->test : "(null)",
                            r->model_spec ? r->model_spec : "(null)");
    }
    store_q_finish(&q);
    return rc;
}

int store_bench_put(store *s, const store_bench_row *v, size_t n, char *err)
{
    put_ctx p = {v, n};
    return store_with_transaction(s, put_tx, &p, "store bench results", err);
}

int store_bench_each(store *s, store_bench_fn fn, void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT created_at, model_spec, model_name, precision, test, n_tokens, repetitions, mean, stddev, unit, "
        "file_bytes, n_params, peak_rss_bytes, weights_bytes, kv_bytes, scratch_bytes, gpu_bytes, threads, "
        "machine_json FROM bench_results ORDER BY created_at DESC, id DESC", "read bench results", err);
    if (rc) return rc;
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_bench_row r = {
            .created_at = store_q_col_text(&q, 0),
            .model_spec = store_q_col_text(&q, 1),
            .model_name = store_q_col_text(&q, 2),
            .precision = store_q_col_text(&q, 3),
            .test = store_q_col_text(&q, 4),
            .n_tokens = store_q_col_opt_int(&q, 5),
            .repetitions = store_q_col_opt_int(&q, 6),
            .mean = store_q_col_real(&q, 7),
            .stddev = store_q_col_real(&q, 8),
            .unit = store_q_col_text(&q, 9),
            .file_bytes = store_q_col_opt_int(&q, 10),
            .n_params = store_q_col_opt_int(&q, 11),
            .peak_rss_bytes = store_q_col_opt_int(&q, 12),
            .weights_bytes = store_q_col_opt_int(&q, 13),
            .kv_bytes = store_q_col_opt_int(&q, 14),
            .scratch_bytes = store_q_col_opt_int(&q, 15),
            .gpu_bytes = store_q_col_opt_int(&q, 16),
            .threads = store_q_col_opt_int(&q, 17),
            .machine_json = store_q_col_text(&q, 18),
        };
        rc = fn(ctx, &r, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read bench results");
    store_q_finish(&q);
    return rc;
}
