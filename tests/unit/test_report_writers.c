/*
 * test_report_writers.c — each report writer (md.c, csv.c, html.c, json.c,
 * plot.c without gnuplot, render.c; the escaping itself is test_escape.c):
 * '|' in Markdown cells, quotes and commas in CSV (checked with a small RFC
 * 4180 reader here), '<' '&' '"' in HTML, UTF-8 names kept as UTF-8, an
 * empty store, and charts skipped (with a note) when gnuplot is missing.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "core/util.h"
#include "reports/report.h"
#include "reports/table.h"

#define TRICKY "a|b <i>&\"x\", y"

/* Names and texts that need quoting or escaping in every format. */
static void fixture(store *s)
{
    char err[TT_ERR_SIZE];
    int64_t tricky, cjk, run;
    assert_int_equal(store_model_ensure(s, "replay:t", TRICKY, "replay", NULL, NULL, &tricky, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:z", "模型甲", "replay", "f16", NULL, &cjk, err), TT_OK);
    assert_int_equal(store_run_create(s, "h", "{\"k\": \"v, w\"}", 3, NULL, &run, err), TT_OK);
    assert_int_equal(store_run_set_status(s, run, "finished", err), TT_OK);
    assert_int_equal(store_metric_put(s, run, tricky, "阅读理解", 0, "none", "acc", 0.1, 0.01, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, cjk, "阅读理解", 0, "none", "acc", 0.30000000000000004, 0.02, 10, 0, 1,
                                      err), TT_OK);
    assert_int_equal(store_metric_put(s, run, cjk, "x|y", 0, "none", "acc", 0.5, NAN, 10, 0, 1, err), TT_OK);
    const store_battle battles[] = {
        {.model_a = TRICKY, .model_b = "模型甲", .winner = "model_b", .tstamp = 1},
        {.model_a = "模型甲", .model_b = TRICKY, .winner = "model_a", .tstamp = 2},
    };
    assert_int_equal(store_battles_put(s, battles, 2, err), TT_OK);
}

typedef struct fx {
    char *path, *dir;
    store *s;
    report_table *t;
} fx;

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state, void (*fill)(store *s))
{
    fx *f = tt_calloc(1, sizeof *f);
    char tmpl[] = "/tmp/tianti-report-XXXXXX";
    f->dir = tt_strdup(mkdtemp(tmpl));
    f->path = tt_path_join(f->dir, "t.db");
    char err[TT_ERR_SIZE];
    assert_int_equal(store_open(f->path, &f->s, err), TT_OK);
    if (fill) fill(f->s);
    assert_int_equal(report_table_build(f->s, f->path, NULL, &f->t, err), TT_OK);
    *state = f;
    return 0;
}

static int setup_fixture(void **state) { return setup(state, fixture); }
static int setup_empty(void **state) { return setup(state, NULL); }

static int teardown(void **state)
{
    fx *f = *state;
    report_table_free(f->t);
    store_close(f->s);
    nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

/* ---- CSV reader for the tests (RFC 4180): fields per record ---------------------- */

/* Returns the number of records; fields[i] = field count of record i. */
static int csv_records(const char *s, int *fields, int max)
{
    int n = 0, f = 1, inq = 0, any = 0;
    for (; *s; s++) {
        any = 1;
        if (inq) {
            if (*s == '"' && s[1] == '"') s++;
            else if (*s == '"') inq = 0;
        } else if (*s == '"') {
            inq = 1;
        } else if (*s == ',') {
            f++;
        } else if (*s == '\n') {
            if (n < max) fields[n] = f;
            n++;
            f = 1;
            any = 0;
        }
    }
    assert_false(inq);
    assert_false(any);   /* last record ends with a newline */
    return n;
}

static void test_report_csv_render_columns_consistent(void **state)
{
    fx *f = *state;
    for (int k = 0; k < REPORT_CSV_COUNT; k++) {
        tt_buf b;
        tt_buf_init(&b);
        report_csv_render(f->t, (report_csv_kind)k, &b);
        int fields[64];
        int n = csv_records(tt_buf_str(&b), fields, 64);
        assert_true(n >= 1);
        for (int i = 1; i < n && i < 64; i++) assert_int_equal(fields[i], fields[0]);
        if (k == REPORT_CSV_LEADERBOARD) {
            assert_int_equal(n, 3);
            assert_non_null(strstr(tt_buf_str(&b), "\"a|b <i>&\"\"x\"\", y\""));
            assert_non_null(strstr(tt_buf_str(&b), "模型甲"));
        }
        if (k == REPORT_CSV_ACCURACY) {   /* unrounded */
            assert_non_null(strstr(tt_buf_str(&b), ",0.30000000000000004,"));
        }
        if (k == REPORT_CSV_RUNS) assert_non_null(strstr(tt_buf_str(&b), "\"{\"\"k\"\": \"\"v, w\"\"}\""));
        tt_buf_free(&b);
    }
}

/* Unescaped '|' in a Markdown table line. */
static int md_pipes(const char *line, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\\') i++;
        else if (line[i] == '|') n++;
    }
    return n;
}

static void test_report_md_render_tables_intact(void **state)
{
    fx *f = *state;
    tt_buf b;
    tt_buf_init(&b);
    report_md_render(f->t, NULL, &b);
    const char *s = tt_buf_str(&b);
    assert_non_null(strstr(s, "a\\|b &lt;i>&\"x\", y"));
    assert_non_null(strstr(s, "x\\|y (acc)"));
    assert_non_null(strstr(s, "模型甲"));
    /* Every line of a table has as many cell separators as its header. */
    int want = -1, tables = 0;
    for (const char *line = s; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len && line[0] == '|') {
            int p = md_pipes(line, len);
            if (want < 0) {
                want = p;
                tables++;
            }
            assert_int_equal(p, want);
        } else {
            want = -1;
        }
        line += len + (nl != NULL);
    }
    assert_true(tables >= 3);   /* leaderboard, accuracy, runs */
    tt_buf_free(&b);
}

static void test_report_html_render_escapes_names(void **state)
{
    fx *f = *state;
    tt_buf b;
    tt_buf_init(&b);
    report_html_render(f->t, NULL, NULL, &b);
    const char *s = tt_buf_str(&b);
    assert_non_null(strstr(s, "a|b &lt;i&gt;&amp;&quot;x&quot;, y"));
    assert_null(strstr(s, "<i>"));
    assert_non_null(strstr(s, "模型甲"));
    assert_non_null(strstr(s, "<meta name=\"viewport\""));
    assert_null(strstr(s, "http://"));
    assert_null(strstr(s, "https://"));
    tt_buf_free(&b);
}

static void test_report_json_render_parses_utf8(void **state)
{
    fx *f = *state;
    tt_buf b;
    tt_buf_init(&b);
    report_json_render(f->t, NULL, &b);
    assert_non_null(strstr(tt_buf_str(&b), "模型甲"));   /* UTF-8, not \u escapes */
    /* Reals in their shortest round-trip form, not jansson's 17 digits. */
    assert_non_null(strstr(tt_buf_str(&b), "\"value\": 0.1,"));
    assert_non_null(strstr(tt_buf_str(&b), "\"value\": 0.30000000000000004,"));
    assert_non_null(strstr(tt_buf_str(&b), "\"value\": 0.5,"));
    json_error_t je;
    json_t *root = json_loads(tt_buf_str(&b), 0, &je);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "format_version")), 2);
    json_t *models = json_object_get(root, "models");
    assert_int_equal(json_array_size(models), 2);
    int found = 0;
    for (size_t i = 0; i < json_array_size(models); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(models, i), "name"));
        found += !strcmp(name, TRICKY) + !strcmp(name, "模型甲");
    }
    assert_int_equal(found, 2);
    /* Missing stderr is null, not NaN. */
    assert_null(strstr(tt_buf_str(&b), "NaN"));
    json_t *pairs = json_object_get(json_object_get(root, "arena"), "pairs");
    assert_int_equal(json_array_size(pairs), 2);
    json_decref(root);
    tt_buf_free(&b);
}

static void test_report_render_without_gnuplot_says_skipped(void **state)
{
    fx *f = *state;
    char *out = tt_path_join(f->dir, "out");
    setenv("TIANTI_GNUPLOT", "/nonexistent/gnuplot", 1);
    tt_buf notes;
    tt_buf_init(&notes);
    char err[TT_ERR_SIZE];
    assert_int_equal(report_render(f->t, out, REPORT_ALL, &notes, err), TT_OK);
    unsetenv("TIANTI_GNUPLOT");
    assert_non_null(strstr(tt_buf_str(&notes), "charts skipped"));
    const char *files[] = {"index.html", "leaderboard.md", "leaderboard.json", "leaderboard.csv", "pairs.csv",
                           "charts/ratings.gp", "charts/ratings.dat", "charts/winfrac.gp", "charts/accuracy.dat"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = tt_path_join(out, files[i]);
        if (!tt_file_exists(p)) fail_msg("missing %s", files[i]);
        free(p);
    }
    char *png = tt_path_join(out, "charts/ratings.png");
    assert_false(tt_file_exists(png));
    free(png);
    char *html_path = tt_path_join(out, "index.html"), *html = NULL;
    assert_int_equal(tt_read_file(html_path, &html, NULL, err), TT_OK);
    assert_non_null(strstr(html, "charts skipped"));
    free(html);
    free(html_path);
    tt_buf_free(&notes);
    free(out);
}

static void test_report_plot_gnuplot_failure_noted(void **state)
{
    fx *f = *state;
    char *out = tt_path_join(f->dir, "out");
    setenv("TIANTI_GNUPLOT", "/bin/false", 1);
    report_charts charts;
    char err[TT_ERR_SIZE];
    assert_int_equal(report_plot(f->t, out, &charts, err), TT_OK);
    unsetenv("TIANTI_GNUPLOT");
    assert_non_null(charts.skipped);
    assert_non_null(strstr(charts.skipped, "gnuplot failed on ratings"));
    assert_true(charts.n >= 2);
    for (int i = 0; i < charts.n; i++) assert_null(charts.items[i].png);
    report_charts_free(&charts);
    free(out);
}

static void test_report_json_render_repairs_bad_utf8(void **state)
{
    (void)state;
    char *path = NULL, dir_tmpl[] = "/tmp/tianti-report-XXXXXX";
    char *dir = mkdtemp(dir_tmpl);
    path = tt_path_join(dir, "u.db");
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    store_bench_row bad = {.created_at = "t", .model_spec = "x:bad", .model_name = "ok\xff\xc3(", .test = "tg128",
                           .unit = "tokens/s", .mean = 1, .stddev = NAN};
    assert_int_equal(store_bench_put(s, &bad, 1, err), TT_OK);
    report_table *t;
    assert_int_equal(report_table_build(s, path, NULL, &t, err), TT_OK);
    tt_buf b;
    tt_buf_init(&b);
    report_json_render(t, NULL, &b);
    json_t *root = json_loads(tt_buf_str(&b), 0, NULL);
    assert_non_null(root);
    const char *name = json_string_value(json_object_get(json_array_get(json_object_get(root, "models"), 0), "name"));
    assert_non_null(name);
    assert_string_equal(name, "ok\xef\xbf\xbd\xef\xbf\xbd(");
    json_decref(root);
    tt_buf_free(&b);
    report_table_free(t);
    store_close(s);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(path);
}

static void test_report_render_empty_store(void **state)
{
    fx *f = *state;
    tt_buf b;
    tt_buf_init(&b);
    report_md_render(f->t, NULL, &b);
    assert_non_null(strstr(tt_buf_str(&b), "no accuracy results"));
    assert_non_null(strstr(tt_buf_str(&b), "no results, ratings or measurements"));
    tt_buf_reset(&b);
    report_csv_render(f->t, REPORT_CSV_LEADERBOARD, &b);
    int fields[4];
    assert_int_equal(csv_records(tt_buf_str(&b), fields, 4), 1);   /* header only */
    tt_buf_reset(&b);
    report_json_render(f->t, NULL, &b);
    json_t *root = json_loads(tt_buf_str(&b), 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "models")), 0);
    assert_int_equal(json_array_size(json_object_get(root, "missing")), 4);
    json_decref(root);
    tt_buf_reset(&b);
    report_html_render(f->t, NULL, NULL, &b);
    assert_non_null(strstr(tt_buf_str(&b), "</html>"));
    tt_buf_free(&b);
}

/* Two models whose generation speeds overlap (10 ± 1 and 11.5 ± 1) and a
 * third clear of them; tasks not all shared. */
static void speed_fixture(store *s)
{
    char err[TT_ERR_SIZE];
    int64_t a, b, run;
    assert_int_equal(store_model_ensure(s, "replay:a", "alpha", "replay", NULL, NULL, &a, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:b", "beta", "replay", NULL, NULL, &b, err), TT_OK);
    assert_int_equal(store_run_create(s, "h", "{}", 3, NULL, &run, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, a, "common", 0, "none", "acc", 0.5, 0.01, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, b, "common", 0, "none", "acc", 0.7, 0.01, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, a, "only_a", 0, "none", "acc", 0.9, 0.01, 10, 0, 1, err), TT_OK);
    const store_bench_row bench[] = {
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "replay:a", .model_name = "alpha", .test = "tg128",
         .mean = 10, .stddev = 1, .unit = "tokens/s"},
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "replay:b", .model_name = "beta", .test = "tg128",
         .mean = 11.5, .stddev = 1, .unit = "tokens/s"},
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "replay:c", .model_name = "gamma", .test = "tg128",
         .mean = 30, .stddev = 1, .unit = "tokens/s"},
    };
    assert_int_equal(store_bench_put(s, bench, 3, err), TT_OK);
}

static int setup_speed(void **state) { return setup(state, speed_fixture); }

static void test_report_writers_speed_noise_and_mean_tasks(void **state)
{
    fx *f = *state;
    tt_buf b;
    tt_buf_init(&b);
    report_md_render(f->t, NULL, &b);
    const char *s = tt_buf_str(&b);
    assert_non_null(strstr(s, "| 10.0 ± 1.0 ≈ |"));
    assert_non_null(strstr(s, "| 11.5 ± 1.0 ≈ |"));
    assert_non_null(strstr(s, "| 30.0 ± 1.0 |"));
    assert_non_null(strstr(s, "over the 1 task every model with results has (common)"));
    tt_buf_reset(&b);
    report_html_render(f->t, NULL, NULL, &b);
    assert_non_null(strstr(tt_buf_str(&b), "11.5 ± 1.0 ≈"));
    assert_non_null(strstr(tt_buf_str(&b), "(common)"));
    tt_buf_reset(&b);
    report_json_render(f->t, NULL, &b);
    json_error_t je;
    json_t *root = json_loads(tt_buf_str(&b), 0, &je);
    assert_non_null(root);
    json_t *mt = json_object_get(root, "mean_tasks");
    assert_int_equal(json_array_size(mt), 1);
    assert_string_equal(json_string_value(json_array_get(mt, 0)), "common");
    json_t *models = json_object_get(root, "models");
    int checked = 0;
    for (size_t i = 0; i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        const char *name = json_string_value(json_object_get(m, "name"));
        json_t *noise = json_object_get(json_object_get(m, "bench"), "tg_within_noise");
        assert_true(json_is_array(json_object_get(m, "names")));
        if (!strcmp(name, "alpha")) {
            assert_true(json_is_true(noise));
            assert_true(fabs(json_number_value(json_object_get(m, "mean_task_score")) - 0.5) < 1e-12);
            assert_int_equal(json_integer_value(json_object_get(m, "tasks_in_mean")), 1);
            assert_string_equal(json_string_value(json_object_get(m, "identity")), "replay:a");
            checked++;
        } else if (!strcmp(name, "gamma")) {
            assert_true(json_is_false(noise));
            assert_true(json_is_null(json_object_get(m, "mean_task_score")));
            checked++;
        }
    }
    assert_int_equal(checked, 2);
    json_decref(root);
    tt_buf_reset(&b);
    report_csv_render(f->t, REPORT_CSV_LEADERBOARD, &b);
    assert_non_null(strstr(tt_buf_str(&b), ",tg_stddev,tg_within_noise,names\n"));
    assert_non_null(strstr(tt_buf_str(&b), ",1,1,alpha\n"));   /* tg_stddev 1, within the noise, one name */
    tt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_csv_render_columns_consistent, setup_fixture, teardown),
        cmocka_unit_test_setup_teardown(test_report_md_render_tables_intact, setup_fixture, teardown),
        cmocka_unit_test_setup_teardown(test_report_html_render_escapes_names, setup_fixture, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_render_parses_utf8, setup_fixture, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_without_gnuplot_says_skipped, setup_fixture, teardown),
        cmocka_unit_test_setup_teardown(test_report_plot_gnuplot_failure_noted, setup_fixture, teardown),
        cmocka_unit_test(test_report_json_render_repairs_bad_utf8),
        cmocka_unit_test_setup_teardown(test_report_writers_speed_noise_and_mean_tasks, setup_speed, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_empty_store, setup_empty, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
