/*
 * samples.c — samples and metrics writes (samples.h). Both are upserts on
 * their natural keys, so resuming an interrupted run rewrites a document's
 * sample and a task's metrics instead of adding second copies.
 */
#include "store/internal.h"
#include "core/util.h"

static store_opt_int count_or_null(int v) { return v >= 0 ? STORE_INT(v) : STORE_NO_INT; }

int store_sample_put(store *s, const store_sample *m, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO samples (run_id, model_id, task_id, doc_id, prompt, target, responses_json, filtered_json, "
        "scores_json, error, latency_s, prompt_tokens, completion_tokens, items_json, reasoning_tokens) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id, model_id, task_id, doc_id) DO UPDATE SET prompt = excluded.prompt, "
        "target = excluded.target, responses_json = excluded.responses_json, filtered_json = excluded.filtered_json, "
        "scores_json = excluded.scores_json, error = excluded.error, latency_s = excluded.latency_s, "
        "prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, "
        "items_json = excluded.items_json, reasoning_tokens = excluded.reasoning_tokens",
        "store sample", err);
    if (rc) return rc;
    store_q_int(&q, m->run_id);
    store_q_int(&q, m->model_id);
    store_q_int(&q, m->task_id);
    store_q_int(&q, m->doc_id);
    store_q_text(&q, m->prompt);
    store_q_text(&q, m->target);
    store_q_text(&q, m->responses_json);
    store_q_text(&q, m->filtered_json);
    store_q_text(&q, m->scores_json);
    store_q_text(&q, m->error);
    store_q_real(&q, m->latency_s);
    store_q_opt_int(&q, count_or_null(m->prompt_tokens));
    store_q_opt_int(&q, count_or_null(m->completion_tokens));
    store_q_text(&q, m->items_json);
    store_q_opt_int(&q, count_or_null(m->reasoning_tokens));
    rc = store_q_run(&q, "store sample", err);
    store_q_finish(&q);
    return rc;
}

int store_metrics_clear(store *s, int64_t run_id, int64_t model_id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "DELETE FROM metrics WHERE run_id = ? AND model_id = ?", "clear metrics", err);
    if (rc) return rc;
    store_q_int(&q, run_id);
    store_q_int(&q, model_id);
    rc = store_q_run(&q, "clear metrics", err);
    store_q_finish(&q);
    return rc;
}

int store_metric_put(store *s, int64_t run_id, int64_t model_id, const char *task_name, int is_group,
                     const char *filter, const char *metric, double value, double stderr_value,
                     int n, int n_shot, int higher_is_better, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO metrics (run_id, model_id, task_name, is_group, filter, metric, value, stderr, n, n_shot, "
        "higher_is_better) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (run_id, model_id, task_name, filter, metric) DO UPDATE SET value = excluded.value, "
        "stderr = excluded.stderr, n = excluded.n, n_shot = excluded.n_shot, "
        "higher_is_better = excluded.higher_is_better, is_group = excluded.is_group",
        "store metric", err);
    if (rc) return rc;
    store_q_int(&q, run_id);
    store_q_int(&q, model_id);
    store_q_text(&q, task_name);
    store_q_int(&q, is_group);
    store_q_text(&q, filter ? filter : "none");
    store_q_text(&q, metric);
    store_q_real(&q, value);
    store_q_real(&q, stderr_value);
    store_q_int(&q, n);
    store_q_opt_int(&q, count_or_null(n_shot));
    store_q_int(&q, higher_is_better);
    rc = store_q_run(&q, "store metric", err);
    store_q_finish(&q);
    return rc;
}

int store_sample_items_each(store *s, int64_t run_id, int64_t model_id, int64_t task_id, store_sample_items_fn fn,
                            void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT doc_id, items_json, error IS NOT NULL FROM samples "
                                    "WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id",
                             "read samples", err);
    if (rc) return rc;
    store_q_int(&q, run_id);
    store_q_int(&q, model_id);
    store_q_int(&q, task_id);
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_sample_items r = {store_q_col_int(&q, 0), store_q_col_text(&q, 1), store_q_col_int(&q, 2) != 0};
        rc = fn(ctx, &r, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read samples");
    store_q_finish(&q);
    return rc;
}

int store_samples_copy_run(store *s, int64_t from_run, int64_t to_run, int64_t model_id, int64_t task_id, int64_t *n,
                           char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "INSERT INTO samples (run_id, model_id, task_id, doc_id, prompt, target, responses_json, filtered_json, "
        "scores_json, error, latency_s, prompt_tokens, completion_tokens, items_json, reasoning_tokens) "
        "SELECT CAST(? AS BIGINT), model_id, task_id, doc_id, prompt, target, responses_json, filtered_json, scores_json, error, "
        "latency_s, prompt_tokens, completion_tokens, items_json, reasoning_tokens FROM samples "
        "WHERE run_id = ? AND model_id = ? AND task_id = ? ORDER BY doc_id",
        "copy samples", err);
    if (rc) return rc;
    store_q_int(&q, to_run);
    store_q_int(&q, from_run);
    store_q_int(&q, model_id);
    store_q_int(&q, task_id);
    rc = store_q_run(&q, "copy samples", err);
    if (rc == TT_OK && n) *n = s->drv->changes(s->conn);
    store_q_finish(&q);
    return rc;
}
