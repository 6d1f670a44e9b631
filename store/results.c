/*
 * results.c — the metric reads of results.h. One row type serves both
 * readers; they differ in order and in whether the run's start is joined
 * in. Both are plain visitors so that a store with millions of metric rows
 * is never held in memory twice.
 */
#include "store/internal.h"
#include "core/util.h"

int store_results_newest_run(store *s, int64_t *run_id, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q, "SELECT coalesce(max(run_id), 0) FROM metrics", "read results", err);
    if (rc) return rc;
    if (store_q_step(&q) == STORE_ROW) *run_id = store_q_col_int(&q, 0);
    else rc = store_fail(s, err, "cannot read results");
    store_q_finish(&q);
    return rc;
}

/* Columns 0..14 of every metric read; column 15 is the run's start (or NULL). */
#define METRIC_COLUMNS                                                                                        \
    "m.run_id, mo.id, mo.name, mo.spec, mo.engine, mo.precision, m.task_name, m.is_group, m.filter, m.metric, " \
    "m.value, m.stderr, m.n, m.n_shot, m.higher_is_better"

static int visit(store *s, store_q *q, store_metric_fn fn, void *ctx, char *err)
{
    int rc = TT_OK, step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(q)) == STORE_ROW) {
        const char *filter = store_q_col_text(q, 8);
        store_metric_row m = {
            .run_id = store_q_col_int(q, 0),
            .model_id = store_q_col_int(q, 1),
            .model_name = store_q_col_text(q, 2),
            .model_spec = store_q_col_text(q, 3),
            .engine = store_q_col_text(q, 4),
            .precision = store_q_col_text(q, 5),
            .task_name = store_q_col_text(q, 6),
            .is_group = store_q_col_int(q, 7) != 0,
            .filter = filter ? filter : "none",
            .metric = store_q_col_text(q, 9),
            .value = store_q_col_real(q, 10),
            .stderr_value = store_q_col_real(q, 11),
            .n = store_q_col_int(q, 12),
            .n_shot = store_q_col_opt_int(q, 13),
            .higher_is_better = store_q_col_opt_int(q, 14),
            .started_at = store_q_col_text(q, 15),
        };
        rc = fn(ctx, &m, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read results");
    return rc;
}

int store_results_each(store *s, int64_t run_id, store_metric_fn fn, void *ctx, char *err)
{
    /* Two statements rather than "? = 0 OR m.run_id = ?": each keeps a plain
     * plan and no placeholder needs its type guessed. */
    static const char *const all =
        "SELECT " METRIC_COLUMNS ", r.started_at FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "JOIN runs r ON r.id = m.run_id "
        "ORDER BY m.run_id, mo.name, m.is_group DESC, m.task_name, m.filter, m.metric";
    static const char *const one =
        "SELECT " METRIC_COLUMNS ", r.started_at FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "JOIN runs r ON r.id = m.run_id WHERE m.run_id = ? "
        "ORDER BY m.run_id, mo.name, m.is_group DESC, m.task_name, m.filter, m.metric";
    store_q q;
    int rc = store_q_prepare(s, &q, run_id ? one : all, "read results", err);
    if (rc) return rc;
    if (run_id) store_q_int(&q, run_id);
    rc = visit(s, &q, fn, ctx, err);
    store_q_finish(&q);
    return rc;
}

int store_results_latest_each(store *s, store_metric_fn fn, void *ctx, char *err)
{
    /* The newest run of each (model, task or suite): a correlated max that
     * SQLite and PostgreSQL both plan on the metrics' own index. */
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT " METRIC_COLUMNS ", r.started_at FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "JOIN runs r ON r.id = m.run_id "
        "WHERE m.run_id = (SELECT max(m2.run_id) FROM metrics m2 WHERE m2.model_id = m.model_id "
        "AND m2.task_name = m.task_name AND m2.is_group = m.is_group) "
        "ORDER BY m.run_id, mo.name, m.is_group DESC, m.task_name, m.filter, m.metric", "read results", err);
    if (rc) return rc;
    rc = visit(s, &q, fn, ctx, err);
    store_q_finish(&q);
    return rc;
}

int store_report_metrics_each(store *s, store_metric_fn fn, void *ctx, char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
        "SELECT " METRIC_COLUMNS ", NULL FROM metrics m JOIN models mo ON mo.id = m.model_id "
        "ORDER BY m.run_id DESC, mo.spec, m.task_name, m.filter, m.metric", "read metrics", err);
    if (rc) return rc;
    rc = visit(s, &q, fn, ctx, err);
    store_q_finish(&q);
    return rc;
}

/* Usage per (run, model, task) from the samples; the task's name through
 * the tasks table (a task evaluated in two versions in one run is one
 * row per version, named alike). */
int store_usage_each(store *s, int64_t run_id, store_usage_fn fn, void *ctx, char *err)
{
#define USAGE_SELECT                                                                                           \
    "SELECT sa.run_id, mo.id, mo.name, mo.spec, mo.params_json, t.name, count(*), "                             \
    "sum(CASE WHEN sa.scores_json IS NULL THEN 1 ELSE 0 END), coalesce(sum(sa.prompt_tokens), 0), "             \
    "coalesce(sum(sa.completion_tokens), 0), coalesce(sum(sa.reasoning_tokens), 0), count(sa.prompt_tokens), " \
    "coalesce(sum(sa.latency_s), 0) FROM samples sa JOIN models mo ON mo.id = sa.model_id "                    \
    "JOIN tasks t ON t.id = sa.task_id "
#define USAGE_GROUP "GROUP BY sa.run_id, mo.id, mo.name, mo.spec, mo.params_json, t.id, t.name " \
                    "ORDER BY sa.run_id, mo.name, t.name, t.id"
    static const char *const all = USAGE_SELECT USAGE_GROUP;
    static const char *const one = USAGE_SELECT "WHERE sa.run_id = ? " USAGE_GROUP;
#undef USAGE_SELECT
#undef USAGE_GROUP
    store_q q;
    int rc = store_q_prepare(s, &q, run_id ? one : all, "read usage", err);
    if (rc) return rc;
    if (run_id) store_q_int(&q, run_id);
    int step = STORE_DONE;
    while (rc == TT_OK && (step = store_q_step(&q)) == STORE_ROW) {
        store_usage_row u = {
            .run_id = store_q_col_int(&q, 0),
            .model_id = store_q_col_int(&q, 1),
            .model_name = store_q_col_text(&q, 2),
            .model_spec = store_q_col_text(&q, 3),
            .params_json = store_q_col_text(&q, 4),
            .task_name = store_q_col_text(&q, 5),
            .samples = store_q_col_int(&q, 6),
            .failed = store_q_col_int(&q, 7),
            .prompt_tokens = store_q_col_int(&q, 8),
            .completion_tokens = store_q_col_int(&q, 9),
            .reasoning_tokens = store_q_col_int(&q, 10),
            .samples_with_usage = store_q_col_int(&q, 11),
            .latency_s = store_q_col_real(&q, 12),
        };
        rc = fn(ctx, &u, err);
    }
    if (rc == TT_OK && step != STORE_DONE) rc = store_fail(s, err, "cannot read usage");
    store_q_finish(&q);
    return rc;
}
