/*
 * test_suite.c — harness/suite.c: suite files with relative task paths,
 * names looked up in a tasks folder (recursively, NAME.json before
 * NAME.suite.json), nested suites spliced in without duplicates, the
 * aggregate rule, and errors for unknown or ambiguous names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/suite.h"
#include "core/util.h"

static char tmpdir[256];

static void put(const char *rel, const char *text)
{
    char *p = tt_path_join(tmpdir, rel);
    char *d = tt_dirname(p);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_mkdir_p(d, err), TT_OK);
    assert_int_equal(tt_write_file(p, text, strlen(text), err), TT_OK);
    free(d);
    free(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_suite_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_suite_load_paths_names_and_nesting(void **state)
{
    (void)state;
    put("tasks/a/t1.json", "{}");
    put("tasks/b/deep/t2.json", "{}");
    put("tasks/b/t3.json", "{}");
    put("tasks/s/inner.suite.json", "{\"name\": \"inner\", \"tasks\": [\"t2\", \"../b/t3.json\"]}");
    put("tasks/s/top.suite.json",
        "{\"name\": \"top\", \"aggregate\": \"mean\", \"tasks\": [\"../a/t1.json\", \"inner\", \"t2\"]}");
    char *tdir = tt_path_join(tmpdir, "tasks");
    char *top = tt_path_join(tmpdir, "tasks/s/top.suite.json");
    suite *s;
    char err[TT_ERR_SIZE] = "";
    int rc = suite_load(top, tdir, &s, err);
    if (rc) fail_msg("%s", err);
    assert_string_equal(s->name, "top");
    assert_int_equal(s->aggregate, SUITE_MEAN);
    assert_int_equal(s->n_tasks, 3); /* t2 listed twice, kept once */
    assert_non_null(strstr(s->task_paths[0], "tasks/s/../a/t1.json"));
    assert_non_null(strstr(s->task_paths[1], "tasks/b/deep/t2.json"));
    assert_non_null(strstr(s->task_paths[2], "tasks/s/../b/t3.json"));
    suite_free(s);
    /* lookups */
    char *p;
    int is_suite;
    assert_int_equal(suite_find(tdir, "t3", &p, &is_suite, err), TT_OK);
    assert_false(is_suite);
    assert_non_null(strstr(p, "tasks/b/t3.json"));
    free(p);
    assert_int_equal(suite_find(tdir, "inner", &p, &is_suite, err), TT_OK);
    assert_true(is_suite);
    free(p);
    /* a name on the command line that is no task: a usage error, with the nearest name */
    assert_int_equal(suite_find(tdir, "nothing", &p, &is_suite, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "no task or suite 'nothing'"));
    assert_int_equal(suite_find(tdir, "innr", &p, &is_suite, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "did you mean 'inner'?"));
    char *missing = tt_path_join(tdir, "no-such-folder");
    assert_int_equal(suite_find(missing, "t3", &p, &is_suite, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "--tasks-dir"));
    free(missing);
    put("tasks/c/t3.json", "{}");
    assert_int_equal(suite_find(tdir, "t3", &p, &is_suite, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "'t3' is ambiguous"));
    free(top);
    free(tdir);
}

static void test_suite_load_errors(void **state)
{
    (void)state;
    char *tdir = tt_path_join(tmpdir, "tasks");
    struct {
        const char *text, *want;
    } cases[] = {
        { "{\"name\": \"x\", \"tasks\": []}", "'tasks' must be a non-empty list" },
        { "{\"tasks\": [\"a.json\"]}", "'name' must be a string" },
        { "{\"name\": \"x\", \"tasks\": [\"missing.json\"]}", "tasks[0]: no file" },
        { "{\"name\": \"x\", \"tasks\": [\"unknown_task\"]}", "tasks[0]: no task or suite 'unknown_task'" },
        { "{\"name\": \"x\", \"tasks\": [\"t1\"], \"aggregate\": \"max\"}", "'aggregate' must be" },
        { "{\"name\": \"x\", \"tasks\": [\"t1\"], \"weights\": 1}", "'weights' is not a suite key" },
        { "{\"name\": \"x\",\n \"tasks\": [\"t1\",]}", "bad.suite.json:2:" },
        { "{\"name\": \"loop\", \"tasks\": [\"bad\"]}", "nested too deeply" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        put("tasks/bad.suite.json", cases[i].text);
        char *p = tt_path_join(tmpdir, "tasks/bad.suite.json");
        suite *s = NULL;
        char err[TT_ERR_SIZE] = "";
        assert_int_not_equal(suite_load(p, tdir, &s, err), TT_OK);
        assert_null(s);
        if (!strstr(err, cases[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
        free(p);
    }
    free(tdir);
}

/* The search path: folders given (and $TIANTI_TASKS) come before the
 * shipped tasks; a name in an earlier folder shadows a later one; lm-eval
 * YAML files are found by their task:, group: and tag:, groups keep their
 * nested groups and aggregate_metric_list. */
static void test_suite_search_path_and_yaml(void **state)
{
    (void)state;
    put("front/a/one.json", "{}");
    put("back/one.json", "{}");
    put("back/two.json", "{}");
    put("back/y/t3.yaml", "task: yt3\ntag: [tg]\n");
    put("back/y/t4.yaml", "include: _base_yaml\ntask: yt4\n");
    put("back/y/_base_yaml", "tag: tg\ndataset_path: x/y\n");
    put("back/y/_g.yaml", "group: inner_g\ntask: [yt3, {task: yt4}]\naggregate_metric_list:\n  - metric: acc\n"
        "    weight_by_size: true\nmetadata: {version: 1.5}\n");
    put("back/y/_top.yaml", "group: top_g\ntask: [inner_g, two]\n");
    put("back/y/bad.yaml", "task: [\n");
    char *front = tt_path_join(tmpdir, "front"), *back = tt_path_join(tmpdir, "back");
    char *both = tt_asprintf("%s:%s:/nonexistent", front, back);
    char *path = suite_search_path(both);
    /* existing folders, canonical, in order, then the shipped tasks */
    assert_non_null(strstr(path, "front"));
    assert_true(strstr(path, "front") < strstr(path, "back"));
    assert_null(strstr(path, "nonexistent"));
    free(path);
    char *p, err[TT_ERR_SIZE] = "";
    int is_suite;
    assert_int_equal(suite_find(both, "one", &p, &is_suite, err), TT_OK);
    assert_non_null(strstr(p, "front/a/one.json"));   /* shadows back/one.json: no ambiguity */
    free(p);
    assert_int_equal(suite_find(both, "yt4", &p, &is_suite, err), TT_OK);
    assert_non_null(strstr(p, "back/y/t4.yaml"));
    assert_false(is_suite);
    free(p);
    assert_int_equal(suite_find(both, "tg", &p, &is_suite, err), TT_OK);
    assert_string_equal(p, "tag:tg");
    assert_true(is_suite);
    suite *s;
    assert_int_equal(suite_load(p, both, &s, err), TT_OK);
    assert_int_equal(s->n_tasks, 2);   /* t3 by its own tag, t4 by its template's */
    assert_true(s->has_metric_list);
    assert_int_equal(s->n_metrics, 0);   /* a tag has no group score */
    suite_free(s);
    free(p);
    assert_int_equal(suite_find(both, "top_g", &p, &is_suite, err), TT_OK);
    assert_true(is_suite);
    assert_int_equal(suite_load(p, both, &s, err), TT_OK);
    assert_string_equal(s->name, "top_g");
    assert_int_equal(s->n_tasks, 3);
    assert_int_equal(s->n_subsuites, 1);
    assert_string_equal(s->subsuites[0]->name, "inner_g");
    assert_int_equal(s->subsuites[0]->aggregate, SUITE_SIZE_WEIGHTED);
    assert_int_equal(s->subsuites[0]->n_metrics, 1);
    assert_string_equal(s->subsuites[0]->metrics[0], "acc");
    assert_true(json_real_value(s->subsuites[0]->version) == 1.5);
    assert_true(s->has_metric_list && s->n_metrics == 0);   /* no aggregate_metric_list: no score */
    suite_free(s);
    free(p);
    /* an unreadable YAML file is reported when a name is not found */
    assert_int_equal(suite_find(both, "nothing_here", &p, &is_suite, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "1 YAML file could not be read"));
    /* the listing: shadowed names once, tags as suites */
    suite_entry *e;
    int n;
    assert_int_equal(suite_list_entries(both, &e, &n, err), TT_OK);
    int ones = 0, tags = 0;
    for (int i = 0; i < n; i++) {
        ones += !strcmp(e[i].name, "one");
        tags += !strcmp(e[i].name, "tg") && e[i].is_suite;
    }
    assert_int_equal(ones, 1);
    assert_int_equal(tags, 1);
    suite_entries_free(e, n);
    free(both);
    free(front);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_load_paths_names_and_nesting),
        cmocka_unit_test(test_suite_load_errors),
        cmocka_unit_test(test_suite_search_path_and_yaml),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
