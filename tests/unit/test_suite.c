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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_load_paths_names_and_nesting),
        cmocka_unit_test(test_suite_load_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
