/*
 * test_report_table.c — the report's leaderboard model (reports/table.c)
 * and arena statistics (reports/battles.c), on small stores filled through
 * the store's API:
 * newest run wins a cell, rows grouped by model name and ordered by
 * precision, newest rating computation used, bench rows matched by spec,
 * filters, empty stores; one row per model whatever it was called (model
 * identity), the mean over the tasks every model has, and generation
 * speeds marked when within the noise of a neighbour. Elo values were worked out by hand with a 6-line
 * Python script of the update rule (K=4, base 10, scale 400, start 1000):
 *   p_a = 1/(1+10**((rb-ra)/400)); d = 4*(s_a-p_a); ra += d; rb -= d
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "core/util.h"
#include "reports/battles.h"
#include "reports/table.h"

/* This cmocka has no assert_double_equal. */
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static char *temp_db(void)
{
    char tmpl[] = "/tmp/tianti-report-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    return tt_asprintf("%s.db", tmpl);
}

/* Opens a fresh store at path and lets fill (may be NULL) put rows in. */
static store *open_with(const char *path, void (*fill)(store *s))
{
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    if (fill) fill(s);
    return s;
}

static void drop(store *s, char *path)
{
    store_close(s);
    unlink(path);
    char *wal = tt_asprintf("%s-wal", path), *shm = tt_asprintf("%s-shm", path);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    free(path);
}

#define NO_INT STORE_NO_INT
#define I(x) STORE_INT(x)

/* Three models (two precisions of alpha, and beta), two runs (run 2
 * re-measures taskA for alpha f32), BT ratings from two computations, bench
 * rows from two days. */
static void fixture(store *s)
{
    char err[TT_ERR_SIZE];
    int64_t q4, f32, beta, run1, run2;
    assert_int_equal(store_model_ensure(s, "glm:a.gguf@q4_0", "alpha", "glm", "q4_0", NULL, &q4, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "glm:a.gguf@f32", "alpha", "glm", "f32", NULL, &f32, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:b", "beta", "replay", NULL, NULL, &beta, err), TT_OK);
    assert_int_equal(store_run_create(s, "h1", "{}", 7, NULL, &run1, err), TT_OK);
    assert_int_equal(store_run_create(s, "h2", "{}", 8, NULL, &run2, err), TT_OK);
    assert_int_equal(run1, 1);   /* the tests name runs 1 and 2 */
    assert_int_equal(run2, 2);
    assert_int_equal(store_run_set_status(s, run1, "finished", err), TT_OK);
    assert_int_equal(store_run_set_status(s, run2, "finished", err), TT_OK);
    const struct {
        int64_t run, model;
        const char *task;
        int is_group;
        const char *metric;
        double value, se;
        int n, n_shot;
    } metrics[] = {
        {run1, f32, "taskA", 0, "acc", 0.5, 0.1, 10, 0},
        {run1, f32, "taskA", 0, "acc_norm", 0.6, 0.1, 10, 0},
        {run1, q4, "taskA", 0, "acc", 0.4, 0.1, 10, 0},
        {run1, beta, "taskA", 0, "acc", 0.7, NAN, 10, -1},
        {run1, f32, "S", 1, "acc", 0.55, 0.05, 20, 0},
        {run1, f32, "taskB", 0, "acc", 0.3, 0.1, 10, 0},
        {run2, f32, "taskA", 0, "acc", 0.8, 0.1, 12, 0},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        assert_int_equal(store_metric_put(s, metrics[i].run, metrics[i].model, metrics[i].task, metrics[i].is_group,
                                          "none", metrics[i].metric, metrics[i].value, metrics[i].se, metrics[i].n,
                                          metrics[i].n_shot, 1, err), TT_OK);
    const store_rating ratings[] = {
        {"2026-01-01T00:00:00Z", "bt", "all", "beta", 1500, NAN, NAN, I(1), 5, NO_INT, NO_INT},
        {"2026-01-03T00:00:00Z", "bt", "all", "beta", 1100, 1050, 1150, I(1), 40, I(100), I(42)},
        {"2026-01-03T00:00:00Z", "bt", "all", "glm:a.gguf@q4_0", 1000, 960, 1040, I(2), 40, I(100), I(42)},
        {"2026-01-03T00:00:00Z", "bt", "human", "beta", 7, NAN, NAN, I(1), 1, NO_INT, NO_INT},
    };
    assert_int_equal(store_ratings_put(s, ratings, 4, err), TT_OK);
    const store_bench_row bench[] = {
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "glm:a.gguf@f32", .model_name = "alpha",
         .precision = "f32", .test = "tg128", .mean = 10, .stddev = 1, .unit = "tokens/s",
         .peak_rss_bytes = I(104857600)},
        {.created_at = "2026-01-02T00:00:00Z", .model_spec = "glm:a.gguf@f32", .model_name = "alpha",
         .precision = "f32", .test = "tg128", .mean = 12, .stddev = 1, .unit = "tokens/s", .peak_rss_bytes = I(99)},
        {.created_at = "2026-01-02T00:00:00Z", .model_spec = "glm:a.gguf@f32", .model_name = "alpha",
         .precision = "f32", .test = "pp512", .mean = 100, .stddev = 5, .unit = "tokens/s"},
    };
    assert_int_equal(store_bench_put(s, bench, 3, err), TT_OK);
}

static int task_col(const report_table *t, const char *name)
{
    for (int k = 0; k < t->n_tasks; k++)
        if (!strcmp(t->tasks[k].name, name)) return k;
    return -1;
}

static void test_report_table_build_groups_and_orders(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, fixture);
    char err[TT_ERR_SIZE];
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 3);
    assert_int_equal(t->n_groups, 2);
    /* beta (BT 1100) before alpha (best BT 1000); alpha f32 before q4_0. */
    assert_string_equal(t->rows[0].name, "beta");
    assert_string_equal(t->rows[1].precision, "f32");
    assert_string_equal(t->rows[2].precision, "q4_0");
    assert_int_equal(t->rows[1].group, t->rows[2].group);
    assert_int_not_equal(t->rows[0].group, t->rows[1].group);
    /* Suites first, then tasks by name; primary metric acc over acc_norm. */
    assert_int_equal(t->n_tasks, 3);
    assert_string_equal(t->tasks[0].name, "S");
    assert_true(t->tasks[0].is_group);
    assert_string_equal(t->tasks[1].name, "taskA");
    assert_string_equal(t->tasks[1].metric, "acc");
    assert_int_equal(t->n_runs, 2);
    report_table_free(t);
    drop(s, path);
}

static void test_report_table_build_newest_wins(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, fixture);
    char err[TT_ERR_SIZE];
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    int a = task_col(t, "taskA");
    const report_row *f32 = &t->rows[1];
    /* Run 2 re-measured taskA for f32. */
    assert_true(f32->cells[a].has);
    assert_double_equal(f32->cells[a].value, 0.8, 1e-12);
    assert_int_equal(f32->cells[a].run_id, 2);
    assert_int_equal(f32->cells[a].n, 12);
    /* mean over the tasks (not suites) every model has: taskA only (q4_0
     * and beta have no taskB), so f32's taskB does not enter */
    assert_int_equal(t->n_mean_tasks, 1);
    assert_string_equal(t->mean_tasks[0], "taskA");
    assert_double_equal(f32->mean_acc, 0.8, 1e-12);
    assert_int_equal(f32->n_acc, 1);
    assert_double_equal(t->rows[0].mean_acc, 0.7, 1e-12);
    /* beta: NULL stderr and n_shot stay unknown. */
    assert_true(isnan(t->rows[0].cells[a].se));
    assert_int_equal(t->rows[0].cells[a].n_shot, -1);
    /* Newest BT computation, source 'all' preferred over 'human'. */
    assert_true(t->rows[0].has_bt);
    assert_double_equal(t->rows[0].bt, 1100, 0);
    assert_double_equal(t->rows[0].bt_lower, 1050, 0);
    assert_int_equal(t->rows[0].rank, 1);
    assert_int_equal(t->bt_info.bootstrap_rounds, 100);
    assert_int_equal(t->bt_info.seed, 42);
    assert_string_equal(t->bt_info.source, "all");
    /* Rating by spec lands on the q4_0 row. */
    assert_true(t->rows[2].has_bt);
    assert_double_equal(t->rows[2].bt, 1000, 0);
    assert_false(t->rows[1].has_bt);
    /* Newest bench row per test. */
    assert_true(f32->has_bench);
    assert_double_equal(f32->tg_tps, 12, 0);
    assert_double_equal(f32->peak_rss_bytes, 99, 0);
    assert_double_equal(f32->pp_tps, 100, 0);
    assert_string_equal(f32->tg_test, "tg128");
    assert_false(t->rows[2].has_bench);
    /* No battles: said so. */
    int said = 0;
    for (int i = 0; i < t->n_missing; i++) said |= strstr(t->missing[i], "battles") != NULL;
    assert_true(said);
    report_table_free(t);
    drop(s, path);
}

static void test_report_table_build_filters(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, fixture);
    char err[TT_ERR_SIZE];
    report_table *t;
    const char *models[] = {"beta"};
    report_filter f = {0};
    f.models = models;
    f.n_models = 1;
    assert_int_equal(report_table_build(s, path, &f, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(t->rows[0].name, "beta");
    report_table_free(t);

    const char *tasks[] = {"taskA"};
    report_filter g = {0};
    g.tasks = tasks;
    g.n_tasks = 1;
    assert_int_equal(report_table_build(s, path, &g, &t, err), TT_OK);
    assert_int_equal(t->n_tasks, 1);
    report_table_free(t);

    int64_t run1[] = {1};
    report_filter h = {0};
    h.runs = run1;
    h.n_runs = 1;
    assert_int_equal(report_table_build(s, path, &h, &t, err), TT_OK);
    assert_double_equal(t->rows[1].cells[task_col(t, "taskA")].value, 0.5, 1e-12);
    assert_int_equal(t->n_runs, 1);
    report_table_free(t);

    int64_t run99[] = {99};
    h.runs = run99;
    assert_int_equal(report_table_build(s, path, &h, &t, err), TT_ERR_NOTFOUND);
    assert_null(t);
    assert_non_null(strstr(err, "run 99"));
    drop(s, path);
}

static void test_report_table_build_empty_store(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, NULL);
    char err[TT_ERR_SIZE];
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 0);
    assert_int_equal(t->n_tasks, 0);
    assert_int_equal(t->arena.n_models, 0);
    assert_int_equal(t->n_missing, 4);   /* results, battles, BT ratings, bench */
    report_table_free(t);
    drop(s, path);
}

/* Battles in id order differ from tstamp order; one flagged, one unvoted. */
static void battles(store *s)
{
    char err[TT_ERR_SIZE];
    const store_battle v[] = {
        {.model_a = "y", .model_b = "x", .winner = "model_b", .tstamp = 4},
        {.model_a = "x", .model_b = "y", .winner = "model_a", .tstamp = 1},
        {.model_a = "x", .model_b = "z", .winner = "model_a", .tstamp = 2.5, .flags = "identity_leak"},
        {.model_a = "z", .model_b = "x", .winner = "tie", .tstamp = 3},
        {.model_a = "y", .model_b = "z", .winner = "model_a", .tstamp = 2},
        {.model_a = "x", .model_b = "z", .winner = NULL, .tstamp = 5},
    };
    assert_int_equal(store_battles_put(s, v, sizeof v / sizeof v[0], err), TT_OK);
}

/* 2500 battles: the series is thinned to at most REPORT_ELO_MAX_POINTS
 * snapshots and still ends at the last battle. */
static void test_report_arena_load_thins_series(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, NULL);
    char err[TT_ERR_SIZE];
    store_battle *v = calloc(2500, sizeof *v);
    for (int i = 0; i < 2500; i++)
        v[i] = (store_battle){.model_a = "p", .model_b = "q", .winner = i % 3 ? "model_a" : "model_b",
                              .tstamp = 1000.0 + i};
    assert_int_equal(store_battles_put(s, v, 2500, err), TT_OK);
    free(v);
    report_arena a;
    assert_int_equal(report_arena_load(s, NULL, 0, &a, err), TT_OK);
    assert_int_equal(a.rated, 2500);
    assert_true(a.n_points <= REPORT_ELO_MAX_POINTS + 1);
    assert_true(a.n_points >= REPORT_ELO_MAX_POINTS / 2);
    assert_int_equal(a.step[a.n_points - 1], 2500);
    assert_double_equal(a.tstamp[a.n_points - 1], 3499.0, 0);
    for (int p = 1; p < a.n_points; p++) assert_true(a.step[p] > a.step[p - 1]);
    assert_double_equal(a.elo[(size_t)(a.n_points - 1) * 2], a.final_elo[0], 0);
    assert_int_equal(a.wins[0 * 2 + 1] + a.wins[1 * 2 + 0], 2500);
    report_arena_free(&a);
    drop(s, path);
}

static void test_report_arena_load_counts_and_elo(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, battles);
    char err[TT_ERR_SIZE];
    report_arena a;
    assert_int_equal(report_arena_load(s, NULL, 0, &a, err), TT_OK);
    assert_int_equal(a.rated, 4);
    assert_int_equal(a.flagged, 1);
    assert_int_equal(a.unvoted, 1);
    assert_int_equal(a.n_models, 3);
    /* Python, tstamp order x>y, y>z, z=x, y<x: x 1003.9655952934221,
     * y 998.0228264070471, z 998.0115782995308. */
    assert_string_equal(a.models[0], "x");
    assert_string_equal(a.models[1], "y");
    assert_string_equal(a.models[2], "z");
    assert_double_equal(a.final_elo[0], 1003.9655952934221, 1e-9);
    assert_double_equal(a.final_elo[1], 998.0228264070471, 1e-9);
    assert_double_equal(a.final_elo[2], 998.0115782995308, 1e-9);
    int x = 0, y = 1, z = 2;
    assert_int_equal(a.wins[x * 3 + y], 2);
    assert_int_equal(a.wins[y * 3 + x], 0);
    assert_double_equal(report_arena_winfrac(&a, x, y), 1.0, 0);
    assert_double_equal(report_arena_winfrac(&a, y, x), 0.0, 0);
    assert_double_equal(report_arena_winfrac(&a, y, z), 1.0, 0);
    /* x and z only tied: no decisive battle, blank cell. */
    assert_int_equal(report_arena_count(&a, x, z), 0);
    assert_true(isnan(report_arena_winfrac(&a, x, z)));
    assert_true(isnan(report_arena_winfrac(&a, x, x)));
    assert_int_equal(a.ties[x * 3 + z], 1);
    assert_int_equal(a.appearances[x], 3);
    assert_int_equal(a.appearances[z], 2);
    /* Series: 4 snapshots; z unseen until its first battle (step 2); after
     * the first battle (x beat y at 1000 vs 1000) x has 1002. */
    assert_int_equal(a.n_points, 4);
    assert_int_equal(a.step[0], 1);
    assert_true(isnan(a.elo[0 * 3 + z]));
    assert_double_equal(a.elo[0 * 3 + x], 1002.0, 1e-12);
    assert_double_equal(a.elo[3 * 3 + x], a.final_elo[0], 0);
    report_arena_free(&a);

    const char *keep[] = {"z", "y"};
    assert_int_equal(report_arena_load(s, keep, 2, &a, err), TT_OK);
    assert_int_equal(a.n_models, 2);
    assert_string_equal(a.models[0], "y");
    /* Elo is still computed over all battles. */
    assert_double_equal(a.final_elo[0], 998.0228264070471, 1e-9);
    report_arena_free(&a);
    drop(s, path);
}

static void test_report_table_build_battles_without_ratings(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, battles);
    char err[TT_ERR_SIZE];
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 3);    /* arena-only models get rows */
    assert_string_equal(t->rows[0].name, "x");
    assert_true(t->rows[0].has_elo);
    assert_true(t->rows[0].elo_online);
    assert_false(t->rows[0].has_bt);
    assert_int_equal(t->rows[0].battles, 3);
    report_table_free(t);
    drop(s, path);
}

/* A self-play row is refused by the arena loader: the report says so and
 * still shows the accuracy results. */
static void test_report_table_build_survives_bad_battles(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, fixture);
    char err[TT_ERR_SIZE];
    store_battle self_play = {.model_a = "m", .model_b = "m", .winner = "tie", .tstamp = 1};
    assert_int_equal(store_battle_put(s, &self_play, NULL, err), TT_OK);
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 3);
    int said = 0;
    for (int i = 0; i < t->n_missing; i++) said |= strstr(t->missing[i], "could not be read") != NULL;
    assert_true(said);
    report_table_free(t);
    drop(s, path);
}

static void test_report_precision_bits_orders(void **state)
{
    (void)state;
    assert_int_equal(report_precision_bits("f32"), 32);
    assert_int_equal(report_precision_bits("BF16"), 16);
    assert_int_equal(report_precision_bits("q8_0"), 8);
    assert_int_equal(report_precision_bits("q4_K_M"), 4);
    assert_int_equal(report_precision_bits(NULL), 0);
    assert_int_equal(report_precision_bits("weird"), 0);
}

/* One model under many names: the shipped model's f32 weights stored as
 * the registry name "tiny-f32", as its spec without a precision (the file
 * is f32) and as a spec with "./" in the path; q8_0 of the same file is
 * another model. Paths are absolute so that the test does not depend on
 * the folder it runs in. */
static char *tiny_path(void)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *real = realpath(src ? src : ".", NULL);
    char *p = tt_asprintf("%s/models/tianti-tiny.gguf", real);
    free(real);
    return p;
}

static void identity_fixture(store *s)
{
    char err[TT_ERR_SIZE];
    char *path = tiny_path();
    char *f32 = tt_asprintf("glm:%s@f32", path), *plain = tt_asprintf("glm:%s", path);
    char *dotted = tt_strdup(path);
    char *slash = strrchr(dotted, '/');
    *slash = 0;
    char *dot = tt_asprintf("%s/./tianti-tiny.gguf", dotted);
    char *q8 = tt_asprintf("glm:%s@q8_0", path);
    int64_t m_reg, m_plain, m_q8, run1, run2;
    assert_int_equal(store_model_ensure(s, f32, "tiny-f32", "glm", "f32", NULL, &m_reg, err), TT_OK);
    assert_int_equal(store_model_ensure(s, plain, plain, "glm", NULL, NULL, &m_plain, err), TT_OK);
    assert_int_equal(store_model_ensure(s, q8, "tiny-q8_0", "glm", "q8_0", NULL, &m_q8, err), TT_OK);
    assert_int_equal(store_run_create(s, "h1", "{}", 1, NULL, &run1, err), TT_OK);
    assert_int_equal(store_run_create(s, "h2", "{}", 2, NULL, &run2, err), TT_OK);
    /* run 1 under the plain spec: taskA and taskB; run 2 under the registry
     * name: taskA again (newest wins) and taskC; q8_0: taskA and taskC */
    assert_int_equal(store_metric_put(s, run1, m_plain, "taskA", 0, "none", "acc", 0.5, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run1, m_plain, "taskB", 0, "none", "acc", 0.9, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run2, m_reg, "taskA", 0, "none", "acc", 0.6, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run2, m_reg, "taskC", 0, "none", "acc", 0.2, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run2, m_q8, "taskA", 0, "none", "acc", 0.4, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run2, m_q8, "taskC", 0, "none", "acc", 0.3, 0.1, 10, 0, 1, err), TT_OK);
    /* bench under a third spelling; a rating under the plain spec */
    char *dot_spec = tt_asprintf("glm:%s@f32", dot);
    const store_bench_row bench[] = {
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = dot_spec, .model_name = "tianti-tiny", .precision = "f32",
         .test = "tg128", .mean = 50, .stddev = 2, .unit = "tokens/s"},
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = q8, .model_name = "tiny-q8_0", .precision = "q8_0",
         .test = "tg128", .mean = 53, .stddev = 2, .unit = "tokens/s"},
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "replay:fast", .model_name = "fast", .precision = NULL,
         .test = "tg128", .mean = 90, .stddev = 3, .unit = "tokens/s"},
    };
    assert_int_equal(store_bench_put(s, bench, 3, err), TT_OK);
    const store_rating ratings[] = {
        {"2026-01-03T00:00:00Z", "bt", "all", plain, 1010, 990, 1030, I(1), 20, I(100), I(42)},
    };
    assert_int_equal(store_ratings_put(s, ratings, 1, err), TT_OK);
    free(path);
    free(f32);
    free(plain);
    free(dotted);
    free(dot);
    free(dot_spec);
    free(q8);
}

static int row_named(const report_table *t, const char *name)
{
    for (int r = 0; r < t->n_rows; r++)
        if (!strcmp(t->rows[r].name, name)) return r;
    return -1;
}

static void test_report_table_one_row_per_model(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, identity_fixture);
    char err[TT_ERR_SIZE];
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 3);   /* tiny f32 (three spellings), tiny q8_0, fast (bench only) */
    int f = row_named(t, "tiny-f32"), q = row_named(t, "tiny-q8_0");
    assert_true(f >= 0 && q >= 0);
    const report_row *r = &t->rows[f];
    assert_string_equal(r->precision, "f32");
    char *tp = tiny_path(), *want = tt_asprintf("glm:%s@f32", tp);
    assert_string_equal(r->identity, want);
    assert_int_equal(r->n_names, 3);   /* newest first: the registry name, the plain spec, the bench's name */
    assert_string_equal(r->names[0], "tiny-f32");
    assert_string_equal(r->names[2], "tianti-tiny");
    /* stats from every name: taskA from run 2 (newest), taskB from run 1 under the spec, taskC from run 2 */
    int a = task_col(t, "taskA"), b = task_col(t, "taskB"), c = task_col(t, "taskC");
    assert_double_equal(r->cells[a].value, 0.6, 1e-12);
    assert_double_equal(r->cells[b].value, 0.9, 1e-12);
    assert_double_equal(r->cells[c].value, 0.2, 1e-12);
    assert_true(r->has_bt);                      /* rated under the plain spec */
    assert_double_equal(r->bt, 1010, 0);
    assert_double_equal(r->tg_tps, 50, 0);       /* measured under "./" */
    /* the mean covers the tasks both models have: taskA and taskC, not taskB */
    assert_int_equal(t->n_mean_tasks, 2);
    assert_string_equal(t->mean_tasks[0], "taskA");
    assert_string_equal(t->mean_tasks[1], "taskC");
    assert_double_equal(r->mean_acc, 0.4, 1e-12);
    assert_int_equal(r->n_acc, 2);
    assert_double_equal(t->rows[q].mean_acc, 0.35, 1e-12);
    /* speeds: 53 ± 2 and 50 ± 2 overlap (51 <= 52): within the noise;
     * 90 ± 3 is clear of 53 ± 2 */
    assert_true(r->tg_within_noise);
    assert_true(t->rows[q].tg_within_noise);
    assert_false(t->rows[row_named(t, "fast")].tg_within_noise);
    report_table_free(t);

    /* a filter by one name selects the model under all its names */
    const char *models[] = {"tiny-f32"};
    report_filter flt = {0};
    flt.models = models;
    flt.n_models = 1;
    assert_int_equal(report_table_build(s, path, &flt, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(t->rows[0].name, "tiny-f32");
    assert_true(t->rows[0].cells[task_col(t, "taskB")].has);
    assert_true(t->rows[0].has_bench);
    report_table_free(t);
    /* ... and so does a spec of it */
    models[0] = want;
    assert_int_equal(report_table_build(s, path, &flt, &t, err), TT_OK);
    assert_int_equal(t->n_rows, 1);
    assert_string_equal(t->rows[0].name, "tiny-f32");
    report_table_free(t);
    free(tp);
    free(want);
    drop(s, path);
}

/* Models with no task in common: no mean, and the report says why. */
static void test_report_table_no_common_task_no_mean(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, NULL);
    char err[TT_ERR_SIZE];
    int64_t m1, m2, run;
    assert_int_equal(store_model_ensure(s, "replay:a", "a", "replay", NULL, NULL, &m1, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:b", "b", "replay", NULL, NULL, &m2, err), TT_OK);
    assert_int_equal(store_run_create(s, "h", "{}", 1, NULL, &run, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, m1, "t1", 0, "none", "acc", 0.9, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, m2, "t2", 0, "none", "acc", 0.1, 0.1, 10, 0, 1, err), TT_OK);
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    assert_int_equal(t->n_mean_tasks, 0);
    for (int r = 0; r < t->n_rows; r++) assert_true(isnan(t->rows[r].mean_acc));
    int said = 0;
    for (int i = 0; i < t->n_missing; i++) said |= strstr(t->missing[i], "no mean task score") != NULL;
    assert_true(said);
    report_table_free(t);
    drop(s, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_table_build_groups_and_orders),
        cmocka_unit_test(test_report_table_build_newest_wins),
        cmocka_unit_test(test_report_table_build_filters),
        cmocka_unit_test(test_report_table_build_empty_store),
        cmocka_unit_test(test_report_arena_load_thins_series),
        cmocka_unit_test(test_report_arena_load_counts_and_elo),
        cmocka_unit_test(test_report_table_build_battles_without_ratings),
        cmocka_unit_test(test_report_table_build_survives_bad_battles),
        cmocka_unit_test(test_report_precision_bits_orders),
        cmocka_unit_test(test_report_table_one_row_per_model),
        cmocka_unit_test(test_report_table_no_common_task_no_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
