/*
 * test_report_table.c — the report's leaderboard model (reports/table.c)
 * and arena statistics (reports/battles.c), on small stores filled with SQL:
 * newest run wins a cell, rows grouped by model name and ordered by
 * precision, newest rating computation used, bench rows matched by spec,
 * filters, empty stores. Elo values were worked out by hand with a 6-line
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

static store *open_with(const char *path, const char *sql)
{
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    if (sql) {
        char *msg = NULL;
        int rc = sqlite3_exec(store_db(s), sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK) fprintf(stderr, "fixture: %s\n", msg);
        sqlite3_free(msg);
        assert_int_equal(rc, SQLITE_OK);
    }
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

static const char *const fixture =
    "INSERT INTO models(id, spec, name, engine, precision) VALUES "
    " (1, 'glm:a.gguf@q4_0', 'alpha', 'glm', 'q4_0'), (2, 'glm:a.gguf@f32', 'alpha', 'glm', 'f32'),"
    " (3, 'replay:b', 'beta', 'replay', NULL);"
    "INSERT INTO runs(id, config_hash, config_json, seed, tool_version, started_at, status) VALUES "
    " (1, 'h1', '{}', 7, '0.1.0', '2026-01-01T00:00:00Z', 'finished'),"
    " (2, 'h2', '{}', 8, '0.1.0', '2026-01-02T00:00:00Z', 'finished');"
    "INSERT INTO metrics(run_id, model_id, task_name, is_group, filter, metric, value, stderr, n, n_shot, higher_is_better)"
    " VALUES (1, 2, 'taskA', 0, 'none', 'acc', 0.5, 0.1, 10, 0, 1),"
    "        (1, 2, 'taskA', 0, 'none', 'acc_norm', 0.6, 0.1, 10, 0, 1),"
    "        (1, 1, 'taskA', 0, 'none', 'acc', 0.4, 0.1, 10, 0, 1),"
    "        (1, 3, 'taskA', 0, 'none', 'acc', 0.7, NULL, 10, NULL, 1),"
    "        (1, 2, 'S', 1, 'none', 'acc', 0.55, 0.05, 20, 0, 1),"
    "        (1, 2, 'taskB', 0, 'none', 'acc', 0.3, 0.1, 10, 0, 1),"
    "        (2, 2, 'taskA', 0, 'none', 'acc', 0.8, 0.1, 12, 0, 1);"
    "INSERT INTO ratings(computed_at, method, source, model, rating, lower, upper, rank, battles, bootstrap_rounds, seed)"
    " VALUES ('2026-01-01T00:00:00Z', 'bt', 'all', 'beta', 1500, NULL, NULL, 1, 5, NULL, NULL),"
    "        ('2026-01-03T00:00:00Z', 'bt', 'all', 'beta', 1100, 1050, 1150, 1, 40, 100, 42),"
    "        ('2026-01-03T00:00:00Z', 'bt', 'all', 'glm:a.gguf@q4_0', 1000, 960, 1040, 2, 40, 100, 42),"
    "        ('2026-01-03T00:00:00Z', 'bt', 'human', 'beta', 7, NULL, NULL, 1, 1, NULL, NULL);"
    "INSERT INTO bench_results(created_at, model_spec, model_name, precision, test, mean, stddev, unit, peak_rss_bytes)"
    " VALUES ('2026-01-01T00:00:00Z', 'glm:a.gguf@f32', 'alpha', 'f32', 'tg128', 10, 1, 'tokens/s', 104857600),"
    "        ('2026-01-02T00:00:00Z', 'glm:a.gguf@f32', 'alpha', 'f32', 'tg128', 12, 1, 'tokens/s', 99),"
    "        ('2026-01-02T00:00:00Z', 'glm:a.gguf@f32', 'alpha', 'f32', 'pp512', 100, 5, 'tokens/s', NULL);";

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
    /* mean over tasks (not suites): (0.8 + 0.3) / 2 */
    assert_double_equal(f32->mean_acc, 0.55, 1e-12);
    assert_int_equal(f32->n_acc, 2);
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
static const char *const battles =
    "INSERT INTO battles(model_a, model_b, winner, tstamp, flags) VALUES"
    " ('y', 'x', 'model_b', 4, NULL),"
    " ('x', 'y', 'model_a', 1, NULL),"
    " ('x', 'z', 'model_a', 2.5, 'identity_leak'),"
    " ('z', 'x', 'tie', 3, NULL),"
    " ('y', 'z', 'model_a', 2, NULL),"
    " ('x', 'z', NULL, 5, NULL);";

/* 2500 battles: the series is thinned to at most REPORT_ELO_MAX_POINTS
 * snapshots and still ends at the last battle. */
static void test_report_arena_load_thins_series(void **state)
{
    (void)state;
    char *path = temp_db();
    store *s = open_with(path, NULL);
    char err[TT_ERR_SIZE];
    assert_int_equal(store_exec(s, "BEGIN", err), TT_OK);
    sqlite3_stmt *st;
    assert_int_equal(store_prepare(s, "INSERT INTO battles(model_a, model_b, winner, tstamp) VALUES ('p', 'q', ?1, ?2)",
                                   &st, err), TT_OK);
    for (int i = 0; i < 2500; i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, i % 3 ? "model_a" : "model_b", -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, 1000.0 + i);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    }
    sqlite3_finalize(st);
    assert_int_equal(store_exec(s, "COMMIT", err), TT_OK);
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
    assert_int_equal(store_exec(s, "INSERT INTO battles(model_a, model_b, winner, tstamp) VALUES ('m', 'm', 'tie', 1)",
                                err), TT_OK);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
