/*
 * test_code_judge.c — code_judge.c and code_problems.c: stop-sequence
 * truncation, program assembly (and refusal of a hostile entry_point), the
 * gzip JSONL reader, judging of small hand-made problems, the HumanEval
 * task file through harness/task.c, and — when
 * $TIANTI_SHARED_DIR/datasets/humaneval exists — all 164 canonical
 * solutions passing and deliberately wrong completions failing. Skips the
 * data-dependent tests with a message when the shared data is absent; fails
 * without /usr/bin/python3 ($TIANTI_PYTHON), which scripts/setup.sh installs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "harness/dataset.h"
#include "harness/task.h"
#include "judges/code_judge.h"

static const char *python(void)
{
    const char *p = getenv("TIANTI_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

/* python3 is installed by scripts/setup.sh: without it, fail (never skip) */
#define NEED_PYTHON()                                                              \
    do {                                                                           \
        if (access(python(), X_OK) != 0)                                           \
            fail_msg("'%s' is missing (scripts/setup.sh installs python3)", python()); \
    } while (0)

static void judge_config(code_judge_config *cfg)
{
    code_judge_config_init(cfg);
    cfg->sandbox.interpreter = python();
    cfg->sandbox.wall_s = 10.0;
}

/* $TIANTI_SHARED_DIR/datasets/humaneval/HumanEval.jsonl.gz, or NULL with a
 * message. Caller frees. */
static char *humaneval_path(void)
{
    const char *shared = getenv("TIANTI_SHARED_DIR");
    if (!shared || !*shared) {
        printf("# skipped: TIANTI_SHARED_DIR is not set\n");
        return NULL;
    }
    char *p = tt_asprintf("%s/datasets/humaneval/HumanEval.jsonl.gz", shared);
    if (!tt_file_exists(p)) {
        printf("# skipped: HumanEval data not found at '%s'\n", p);
        free(p);
        return NULL;
    }
    return p;
}

/* ---- truncation and assembly ---------------------------------------------- */

static void test_code_judge_truncate_default_stops(void **state)
{
    (void)state;
    const char *const *stops = code_judge_default_stops();
    char *s = code_judge_truncate("    return a + b\n\ndef other():\n    pass\n", stops);
    assert_string_equal(s, "    return a + b\n");
    free(s);
    /* the earliest stop wins, whichever comes first in the list */
    s = code_judge_truncate("    x = 1\n# note\nclass A:\n    pass\n", stops);
    assert_string_equal(s, "    x = 1");
    free(s);
    s = code_judge_truncate("    return 1\nif __name__ == '__main__':\n    main()\n", stops);
    assert_string_equal(s, "    return 1");
    free(s);
    s = code_judge_truncate("    return 1\nprint(f(2))\n", stops);
    assert_string_equal(s, "    return 1");
    free(s);
    /* indented comments and nested defs are not stops */
    s = code_judge_truncate("    # sum them\n    def h(x):\n        return x\n    return h(a)\n",
                            stops);
    assert_string_equal(s, "    # sum them\n    def h(x):\n        return x\n    return h(a)\n");
    free(s);
    s = code_judge_truncate(NULL, stops);
    assert_string_equal(s, "");
    free(s);
}

static void test_code_judge_truncate_custom_stops(void **state)
{
    (void)state;
    const char *const stops[] = { "", "END", "\n\n\n", NULL };
    char *s = code_judge_truncate("abc\n\n\nxyz END", stops);
    assert_string_equal(s, "abc");
    free(s);
    s = code_judge_truncate("no stop here", NULL);
    assert_string_equal(s, "no stop here");
    free(s);
}

static void test_code_judge_build_program_layout(void **state)
{
    (void)state;
    code_problem p = { "T/0", "def add(a, b):\n", "add", NULL,
                       "def check(candidate):\n    assert candidate(1, 2) == 3\n" };
    char *prog = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(code_judge_build_program(&p, "    return a + b", &prog, err), TT_OK);
    assert_string_equal(prog, "def add(a, b):\n    return a + b\n"
                              "def check(candidate):\n    assert candidate(1, 2) == 3\n"
                              "\ncheck(add)\n");
    free(prog);
}

static void test_code_judge_build_program_rejects_bad_problem(void **state)
{
    (void)state;
    char *prog = NULL;
    char err[TT_ERR_SIZE] = "";
    code_problem p = { "T/1", "def f():\n", "f)\nimport os\nos.system('true'", NULL,
                       "def check(c):\n    pass\n" };
    assert_int_equal(code_judge_build_program(&p, "    return 1", &prog, err), TT_ERR_PARSE);
    assert_null(prog);
    assert_non_null(strstr(err, "not an identifier"));
    code_problem q = { "T/2", "def f():\n", "f", NULL, NULL };
    assert_int_equal(code_judge_build_program(&q, "    return 1", &prog, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "T/2"));
}

/* ---- the reader ---------------------------------------------------------------- */

static char *write_gz(const char *text)
{
    char *path = tt_asprintf("/tmp/tianti-test-problems-%d.jsonl.gz", (int)getpid());
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_true(gzputs(f, text) >= 0);
    gzclose(f);
    return path;
}

static void test_code_problems_load_records(void **state)
{
    (void)state;
    char *path = write_gz(
        "{\"task_id\": \"X/0\", \"prompt\": \"def f():\\n\", \"entry_point\": \"f\", "
        "\"canonical_solution\": \"    return 1\\n\", \"test\": \"def check(c):\\n    assert c() == 1\\n\"}\n"
        "\n"
        "{\"task_id\": \"X/1\", \"prompt\": \"def g():\\n\", \"entry_point\": \"g\", "
        "\"test\": \"def check(c):\\n    pass\\n\"}\n");
    code_problem *p = NULL;
    size_t n = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(code_problems_load(path, &p, &n, err), TT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].task_id, "X/0");
    assert_string_equal(p[0].canonical_solution, "    return 1\n");
    assert_string_equal(p[1].entry_point, "g");
    assert_null(p[1].canonical_solution);
    code_problems_free(p, n);
    unlink(path);
    free(path);
}

static void test_code_problems_load_malformed(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE] = "";
    code_problem *p = NULL;
    size_t n = 0;
    char *path = write_gz("{\"task_id\": \"X/0\", \"prompt\": \"a\", \"entry_point\": \"f\", "
                          "\"test\": \"t\"}\n{\"task_id\": 3\n");
    assert_int_equal(code_problems_load(path, &p, &n, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "line 2"));
    unlink(path);
    free(path);
    path = write_gz("{\"task_id\": \"X/0\", \"prompt\": \"a\", \"test\": \"t\"}\n");
    assert_int_equal(code_problems_load(path, &p, &n, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "'entry_point'"));
    assert_non_null(strstr(err, "line 1"));
    unlink(path);
    free(path);
    assert_int_equal(code_problems_load("/nonexistent/tianti.jsonl.gz", &p, &n, err), TT_ERR_IO);
}

/* ---- judging ----------------------------------------------------------------- */

static const code_problem k_add = {
    "T/add", "def add(a: int, b: int) -> int:\n    \"\"\"Sum of a and b.\"\"\"\n", "add", NULL,
    "\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
};

static void test_code_judge_run_outcomes(void **state)
{
    (void)state;
    NEED_PYTHON();
    code_judge_config cfg;
    judge_config(&cfg);
    char err[TT_ERR_SIZE];
    sandbox_result r;

    assert_int_equal(code_judge_run(&cfg, &k_add, "    return a + b\n", &r, err), TT_OK);
    assert_int_equal(r.outcome, SANDBOX_PASSED);
    sandbox_result_free(&r);

    assert_int_equal(code_judge_run(&cfg, &k_add, "    return a - b\n", &r, err), TT_OK);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_non_null(strstr(r.detail, "AssertionError"));
    sandbox_result_free(&r);

    /* What follows the stop sequence (a syntax error here) is cut away... */
    const char *trailing = "    return a + b\n\ndef broken(:\n";
    assert_int_equal(code_judge_run(&cfg, &k_add, trailing, &r, err), TT_OK);
    assert_int_equal(r.outcome, SANDBOX_PASSED);
    sandbox_result_free(&r);
    /* ...unless truncation is off. */
    cfg.truncate = 0;
    assert_int_equal(code_judge_run(&cfg, &k_add, trailing, &r, err), TT_OK);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_non_null(strstr(r.detail, "SyntaxError"));
    sandbox_result_free(&r);
    cfg.truncate = 1;

    cfg.sandbox.wall_s = 1.0;
    assert_int_equal(code_judge_run(&cfg, &k_add, "    while True:\n        pass\n", &r, err),
                     TT_OK);
    assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
    sandbox_result_free(&r);

    code_problem bad = k_add;
    bad.entry_point = "add; import os";
    assert_int_equal(code_judge_run(&cfg, &bad, "    return a + b\n", &r, err), TT_ERR_PARSE);
    assert_int_equal(r.outcome, SANDBOX_REFUSED);
    sandbox_result_free(&r);
}

/* Completions that try to pass without passing the tests: each is a
 * failure, as under openai/human-eval's harness (which fails sys.exit and
 * SystemExit through its BaseException handler and os._exit through the
 * missing result), at the strict level and at the weak one. The honest
 * completion, printing and reading stdin as it likes, still passes. */
static void test_code_judge_cheats_fail(void **state)
{
    (void)state;
    NEED_PYTHON();
    static const struct { const char *name, *completion; int passes; } cases[] = {
        { "honest", "    print('thinking...')\n    import sys; sys.stdin.read()\n    return a + b\n", 1 },
        { "sys.exit(0)", "    return a + b\nimport sys\nsys.exit(0)\n", 0 },
        { "os._exit(0)", "    return a + b\nimport os\nos._exit(0)\n", 0 },
        { "raise SystemExit", "    return a + b\nraise SystemExit\n", 0 },
        { "exit() at import", "    return a - b\nexit(0)\n", 0 },
        { "fake nonce", "    return a - b\nimport os, sys\nprint('0' * 64)\nos.write(1, b'f' * 64)\nos._exit(0)\n", 0 },
        { "nonce writes everywhere",
          "    return a - b\nimport os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'0' * 64)\n"
          "    except OSError:\n        pass\nos._exit(0)\n", 0 },
        { "closing fds", "    return a + b\nimport os\nos.closerange(3, 64)\n", 0 },
        { "closing fds and exit", "    return a - b\nimport os\nos.closerange(0, 64)\nos._exit(0)\n", 0 },
        { "killing the parent", "    return a - b\nimport os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\n"
          "except OSError:\n    pass\nos._exit(0)\n", 0 },
        { "patched check", "    return a - b\nimport builtins\nbuiltins.AssertionError = None\n", 0 },
        { "atexit", "    return a - b\nimport atexit, os\natexit.register(lambda: os._exit(0))\nraise SystemExit(0)\n", 0 },
    };
    static const struct { sandbox_level level; sandbox_ns_mode mode; const char *name; } levels[] = {
        { SANDBOX_LEVEL_STRICT, SANDBOX_NS_AUTO, "strict" },
        { SANDBOX_LEVEL_WEAK, SANDBOX_NS_NONE, "weak" },
    };
    const char *nons = getenv("TIANTI_TEST_NO_NAMESPACES");
    for (size_t l = 0; l < 2; l++) {
        if (levels[l].level == SANDBOX_LEVEL_STRICT && nons && !strcmp(nons, "1")) continue;
        code_judge_config cfg;
        judge_config(&cfg);
        cfg.truncate = 0;   /* the cheats follow the function on purpose */
        cfg.sandbox.level = levels[l].level;
        cfg.sandbox.ns_mode = levels[l].mode;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            sandbox_result r;
            char err[TT_ERR_SIZE];
            assert_int_equal(code_judge_run(&cfg, &k_add, cases[i].completion, &r, err), TT_OK);
            printf("# %-6s %-24s %-9s proof=%d exit=%d %s\n", levels[l].name, cases[i].name,
                   sandbox_outcome_name(r.outcome), r.proof_ok, r.exit_code,
                   r.outcome == SANDBOX_PASSED ? "" : r.detail);
            if (cases[i].passes) assert_int_equal(r.outcome, SANDBOX_PASSED);
            else assert_int_not_equal(r.outcome, SANDBOX_PASSED);
            sandbox_result_free(&r);
        }
    }
}

static void test_code_judge_run_many_mixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    code_judge_config cfg;
    judge_config(&cfg);
    code_problem bad = k_add;
    bad.entry_point = "1add";
    code_judge_item items[] = {
        { &k_add, "    return a + b\n" },
        { &k_add, "    return a * b\n" },
        { &bad, "    return a + b\n" },
        { &k_add, "    return sum([a, b])\n" },
        { &k_add, "    import os\n    os.abort()\n" },
    };
    sandbox_result res[5];
    char err[TT_ERR_SIZE];
    assert_int_equal(code_judge_run_many(&cfg, items, 5, 2, res, err), TT_OK);
    assert_int_equal(res[0].outcome, SANDBOX_PASSED);
    assert_int_equal(res[1].outcome, SANDBOX_FAILED);
    assert_int_equal(res[2].outcome, SANDBOX_REFUSED);
    assert_non_null(strstr(res[2].detail, "not an identifier"));
    assert_int_equal(res[3].outcome, SANDBOX_PASSED);
    assert_int_equal(res[4].outcome, SANDBOX_CRASHED);
    for (int i = 0; i < 5; i++) sandbox_result_free(&res[i]);
}

/* ---- HumanEval ----------------------------------------------------------------- */

static void test_code_judge_humaneval_canonical_all_pass(void **state)
{
    (void)state;
    NEED_PYTHON();
    char *path = humaneval_path();
    if (!path) skip();
    code_problem *p = NULL;
    size_t n = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(code_problems_load(path, &p, &n, err), TT_OK);
    assert_int_equal(n, 164);
    assert_string_equal(p[0].task_id, "HumanEval/0");
    assert_string_equal(p[163].task_id, "HumanEval/163");

    code_judge_item *items = tt_calloc(n, sizeof *items);
    sandbox_result *res = tt_calloc(n, sizeof *res);
    for (size_t i = 0; i < n; i++) {
        items[i].problem = &p[i];
        items[i].completion = p[i].canonical_solution;
    }
    code_judge_config cfg;
    judge_config(&cfg);
    double t0 = tt_now_s();
    assert_int_equal(code_judge_run_many(&cfg, items, n, 2, res, err), TT_OK);
    double dt = tt_now_s() - t0;
    size_t passed = 0;
    for (size_t i = 0; i < n; i++) {
        if (res[i].outcome == SANDBOX_PASSED) passed++;
        else
            printf("# %s: %s: %s\n", p[i].task_id, sandbox_outcome_name(res[i].outcome),
                   res[i].detail);
        sandbox_result_free(&res[i]);
    }
    printf("# canonical solutions: %zu/%zu passed in %.1f s (2 jobs)\n", passed, n, dt);
    assert_int_equal(passed, 164);
    free(items);
    free(res);
    code_problems_free(p, n);
    free(path);
}

static void test_code_judge_humaneval_wrong_completions_fail(void **state)
{
    (void)state;
    NEED_PYTHON();
    char *path = humaneval_path();
    if (!path) skip();
    code_problem *p = NULL;
    size_t n = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(code_problems_load(path, &p, &n, err), TT_OK);
    /* Wrong in different ways: nothing returned, the wrong type, an
     * exception, a syntax error, and the canonical body of the next
     * problem (plausible code solving something else). */
    const char *kinds[] = { "    return None\n", "    return 'tianti'\n",
                            "    raise ValueError('not done')\n", "    return (\n", NULL };
    /* One wrong completion per problem, the kinds taken in turn (every
     * problem and every kind is covered, at 164 runs). */
    size_t per = 5, m = n;
    code_judge_item *items = tt_calloc(m, sizeof *items);
    sandbox_result *res = tt_calloc(m, sizeof *res);
    for (size_t i = 0; i < n; i++) {
        size_t k = i % per;
        items[i].problem = &p[i];
        items[i].completion = kinds[k] ? kinds[k] : p[(i + 1) % n].canonical_solution;
    }
    code_judge_config cfg;
    judge_config(&cfg);
    cfg.sandbox.wall_s = 5.0;
    assert_int_equal(code_judge_run_many(&cfg, items, m, 2, res, err), TT_OK);
    size_t wrongly_passed = 0;
    for (size_t j = 0; j < m; j++) {
        if (res[j].outcome == SANDBOX_PASSED) {
            wrongly_passed++;
            printf("# %s passed with a wrong completion (kind %zu)\n",
                   items[j].problem->task_id, j % per);
        }
        assert_int_not_equal(res[j].outcome, SANDBOX_REFUSED);
        sandbox_result_free(&res[j]);
    }
    printf("# wrong completions: %zu of %zu passed\n", wrongly_passed, m);
    assert_int_equal(wrongly_passed, 0);
    free(items);
    free(res);
    code_problems_free(p, n);
    free(path);
}

static void test_code_judge_humaneval_task_file(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!src || !*src) fail_msg("TIANTI_SOURCE_DIR is not set (ctest sets it)");
    char *path = humaneval_path();
    if (!path) skip();
    char *file = tt_asprintf("%s/tasks/humaneval/humaneval.json", src);
    task *t = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = task_load(file, &t, err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(t->unsafe, 1);
    assert_int_equal(t->output_type, TASK_GENERATE_UNTIL);
    const char *const *stops = code_judge_default_stops();
    int ns = 0;
    while (stops[ns]) ns++;
    assert_int_equal(t->gen.n_until, ns);
    for (int i = 0; i < ns; i++) assert_string_equal(t->gen.until[i], stops[i]);

    dataset_options o;
    dataset_options_default(&o);
    char *data = tt_asprintf("%s/datasets", getenv("TIANTI_SHARED_DIR"));
    o.data_dir = data;
    o.offline = 1;
    rc = task_load_data(t, &o, err);   /* checks the sha256 too */
    if (rc) fail_msg("%s", err);
    assert_int_equal(json_array_size(t->eval_docs), 164);
    code_problem p;
    assert_int_equal(code_problem_from_doc(json_array_get(t->eval_docs, 2), "doc 2", &p, err),
                     TT_OK);
    assert_string_equal(p.task_id, "HumanEval/2");
    char *text = NULL;
    assert_int_equal(task_doc_text(t, json_array_get(t->eval_docs, 2), &text, err), TT_OK);
    assert_string_equal(text, p.prompt);   /* the prompt is the docstring stub as is */
    free(text);
    if (access(python(), X_OK) == 0) {
        code_judge_config cfg;
        judge_config(&cfg);
        sandbox_result r;
        assert_int_equal(code_judge_run(&cfg, &p, p.canonical_solution, &r, err), TT_OK);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        sandbox_result_free(&r);
    }
    code_problem_clear(&p);
    assert_null(p.prompt);
    assert_int_equal(code_problem_from_doc(json_array_get(t->eval_docs, 0), NULL, &p, err), TT_OK);
    assert_string_equal(p.entry_point, "has_close_elements");
    code_problem_clear(&p);
    json_t *broken = json_pack("{s:s}", "task_id", "B/0");
    assert_int_equal(code_problem_from_doc(broken, "broken", &p, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "'prompt'"));
    json_decref(broken);
    task_free(t);
    free(data);
    free(file);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_judge_truncate_default_stops),
        cmocka_unit_test(test_code_judge_truncate_custom_stops),
        cmocka_unit_test(test_code_judge_build_program_layout),
        cmocka_unit_test(test_code_judge_build_program_rejects_bad_problem),
        cmocka_unit_test(test_code_problems_load_records),
        cmocka_unit_test(test_code_problems_load_malformed),
        cmocka_unit_test(test_code_judge_run_outcomes),
        cmocka_unit_test(test_code_judge_run_many_mixed),
        cmocka_unit_test(test_code_judge_cheats_fail),
        cmocka_unit_test(test_code_judge_humaneval_task_file),
        cmocka_unit_test(test_code_judge_humaneval_canonical_all_pass),
        cmocka_unit_test(test_code_judge_humaneval_wrong_completions_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
