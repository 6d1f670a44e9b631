/*
 * test_task.c — harness/task.c: task file parsing (defaults, include,
 * errors naming file, line and field), split selection, few-shot sampling
 * (first_n, seeded random excluding the doc), prompt assembly against
 * strings worked out by hand from lm_eval/api/task.py (fewshot_context), and the engine requests of
 * each output type (B3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/task.h"
#include "core/util.h"

static char tmpdir[256];

static const char *TEST_JSONL =
    "{\"q\": \"2+2?\", \"opts\": [\"3\", \"4\"], \"ans\": 1, \"letter\": \"B\"}\n"
    "{\"q\": \"1+1?\", \"opts\": [\"2\", \"5\"], \"ans\": 0, \"letter\": \"A\"}\n";
static const char *DEV_JSONL =
    "{\"q\": \"0+1?\", \"opts\": [\"1\", \"0\"], \"ans\": 0, \"letter\": \"A\"}\n"
    "{\"q\": \"3+3?\", \"opts\": [\"5\", \"6\"], \"ans\": 1, \"letter\": \"B\"}\n"
    "{\"q\": \"9-1?\", \"opts\": [\"8\", \"7\"], \"ans\": 0, \"letter\": \"A\"}\n";

static char *write_tmp(const char *rel, const char *text)
{
    char *p = tt_path_join(tmpdir, rel);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_write_file(p, text, strlen(text), err), TT_OK);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_task_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    free(write_tmp("test.jsonl", TEST_JSONL));
    free(write_tmp("dev.jsonl", DEV_JSONL));
    tt_buf b;
    tt_buf_init(&b);
    for (int i = 0; i < 6; i++) tt_buf_printf(&b, "{\"q\": \"q%d\", \"a\": \"a%d\"}\n", i, i);
    free(write_tmp("six.jsonl", tt_buf_str(&b)));
    tt_buf_free(&b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes a task file, loads it and its data; fails the test on error. */
static task *load(const char *rel, const char *json)
{
    char *p = write_tmp(rel, json);
    task *t = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = task_load(p, &t, err);
    free(p);
    if (rc) fail_msg("task_load: %s", err);
    dataset_options o = { .offline = 1 };
    rc = task_load_data(t, &o, err);
    if (rc) fail_msg("task_load_data: %s", err);
    return t;
}

/* Writes a task file and expects task_load (or, with data = 1, loading
 * its data) to fail with a message containing want. */
static void expect_error(const char *rel, const char *json, int data, const char *want)
{
    char *p = write_tmp(rel, json);
    task *t = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = task_load(p, &t, err);
    if (data) {
        if (rc) fail_msg("task_load: %s", err);
        dataset_options o = { .offline = 1 };
        rc = task_load_data(t, &o, err);
    }
    assert_int_not_equal(rc, TT_OK);
    char *full = tt_asprintf(want, tmpdir);
    if (!strstr(err, full)) fail_msg("'%s' lacks '%s'", err, full);
    free(full);
    task_free(t);
    free(p);
}

static void test_task_build_zero_shot_generate_demo_schema(void **state)
{
    (void)state;
    free(write_tmp("demo_arith.jsonl", "{\"question\": \"1+1=\", \"answer\": \"2\"}\n"));
    task *t = load("demo_arith.json",
                   "{\"name\":\"demo_arith\",\"version\":\"1\",\"dataset\":{\"path\":\"demo_arith.jsonl\"},"
                   "\"doc_to_text\":\"{{question}}\",\"doc_to_target\":\"{{answer}}\","
                   "\"output_type\":\"generate_until\",\"generation\":{\"until\":[\"\\n\"],\"max_tokens\":16},"
                   "\"metrics\":[{\"metric\":\"exact_match\"}]}");
    assert_string_equal(t->name, "demo_arith");
    assert_string_equal(t->version, "1");
    assert_int_equal(task_num_docs(t), 1);
    assert_non_null(t->metrics);
    assert_null(t->filters);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, "1+1=");
    assert_string_equal(in.target_text, "2");
    assert_int_equal(in.n_requests, 1);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_GENERATE);
    assert_string_equal(in.requests[0].context, "1+1=");
    assert_int_equal(in.requests[0].gen.n_until, 1);
    assert_string_equal(in.requests[0].gen.until[0], "\n");
    assert_int_equal(in.requests[0].gen.max_tokens, 16);
    assert_true(in.requests[0].gen.temperature == 0.0);
    assert_int_equal(in.requests[0].gen.n, 1);
    assert_int_equal(in.n_messages, 1);
    assert_string_equal(in.messages[0].role, "user");
    task_instance_free(&in);
    assert_int_equal(task_build(t, 1, &in, err), TT_ERR_NOTFOUND);
    task_free(t);
}

static void test_task_parse_defaults(void **state)
{
    (void)state;
    task *t = load("defaults.json",
                   "{\"name\": \"d\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\"}");
    assert_int_equal(t->output_type, TASK_GENERATE_UNTIL);
    assert_string_equal(t->target_delimiter, " ");
    assert_string_equal(t->fewshot_delimiter, "\n\n");
    assert_string_equal(t->version, "0");
    assert_int_equal(t->num_fewshot, 0);
    assert_int_equal(t->gen.n_until, 1);
    assert_string_equal(t->gen.until[0], "\n\n"); /* until defaults to the fewshot delimiter */
    assert_int_equal(t->gen.max_tokens, 256);
    assert_int_equal((int)t->fewshot_seed, 1234);
    /* a plain field name yields the field (lm-eval: doc_to_text in features) */
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 3, &in, err), TT_OK);
    assert_string_equal(in.prompt, "q3");
    task_instance_free(&in);
    task_free(t);
}

static const char *MC_TASK =
    "{\"name\": \"mc\", \"version\": 2,\n"
    " \"dataset\": {\"splits\": {\"test\": \"test.jsonl\", \"dev\": \"dev.jsonl\"}},\n"
    " \"fewshot_split\": \"dev\", \"num_fewshot\": 2, \"fewshot_config\": {\"sampler\": \"first_n\"},\n"
    " \"description\": \"Math quiz.\\n\\n\", \"output_type\": \"multiple_choice\",\n"
    " \"doc_to_text\": \"Q: {{q}}\\nA:\", \"doc_to_choice\": \"{{opts}}\", \"doc_to_target\": \"ans\"}";

static void test_task_build_fewshot_first_n_multiple_choice(void **state)
{
    (void)state;
    task *t = load("mc.json", MC_TASK);
    assert_string_equal(t->version, "2");
    assert_int_equal(task_num_docs(t), 2);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    /* B2: description + Σ(text + " " + answer + "\n\n") + text */
    assert_string_equal(in.prompt, "Math quiz.\n\n"
                                   "Q: 0+1?\nA: 1\n\n"
                                   "Q: 3+3?\nA: 6\n\n"
                                   "Q: 2+2?\nA:");
    assert_int_equal(in.n_choices, 2);
    assert_string_equal(in.choices[0], "3");
    assert_string_equal(in.choices[1], "4");
    assert_int_equal(in.gold, 1);
    assert_string_equal(in.target_text, "4");
    assert_true(json_is_integer(in.target));
    /* B3: one loglikelihood request per choice, delimiter in the continuation */
    assert_int_equal(in.n_requests, 2);
    for (int c = 0; c < 2; c++) {
        assert_int_equal(in.requests[c].kind, ENGINE_REQ_LOGLIKELIHOOD);
        assert_string_equal(in.requests[c].context, in.prompt);
    }
    assert_string_equal(in.requests[0].continuation, " 3");
    assert_string_equal(in.requests[1].continuation, " 4");
    /* messages: system, (user, assistant) x 2, user */
    assert_int_equal(in.n_messages, 6);
    assert_string_equal(in.messages[0].role, "system");
    assert_string_equal(in.messages[0].content, "Math quiz.\n\n");
    assert_string_equal(in.messages[2].role, "assistant");
    assert_string_equal(in.messages[2].content, "1");
    assert_string_equal(in.messages[5].content, "Q: 2+2?\nA:");
    task_instance_free(&in);
    /* first_n gives every doc the same shots */
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_string_equal(in.prompt, "Math quiz.\n\nQ: 0+1?\nA: 1\n\nQ: 3+3?\nA: 6\n\nQ: 1+1?\nA:");
    assert_int_equal(in.gold, 0);
    task_instance_free(&in);
    task_free(t);
}

static void test_task_build_targets_string_and_letter(void **state)
{
    (void)state;
    /* C-Eval style: literal choices, target a letter mapped through index() */
    task *t = load("letters.json",
                   "{\"name\": \"l\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"],"
                   " \"doc_to_target\": \"{{['A', 'B'].index(letter)}}\", \"target_delimiter\": \"\"}");
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.gold, 1);
    assert_string_equal(in.requests[0].continuation, "A"); /* empty target delimiter */
    task_instance_free(&in);
    task_free(t);
    /* a string target found among the choices; a field holding "1" counts as index 1 */
    t = load("letters2.json",
             "{\"name\": \"l2\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"letter\"}");
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_int_equal(in.gold, 0);
    assert_string_equal(in.target_text, "A");
    task_instance_free(&in);
    task_free(t);
    /* lm-eval's doc_to_target (lm_eval/api/task.py): a bare field name gives
     * the field's value untouched, so the CSV string "1" is a choice TEXT:
     * not among ["A", "B"], gold -100 (process_results warns, scores 0) */
    free(write_tmp("digits.csv", "q,answer\nwhat?,1\n"));
    t = load("digits.json",
             "{\"name\": \"dg\", \"dataset\": {\"path\": \"digits.csv\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"answer\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_true(json_is_string(in.target));
    assert_int_equal(in.gold, -1);
    assert_int_equal(in.n_golds, 1);
    assert_int_equal(in.golds[0], TASK_GOLD_INVALID);
    assert_true(in.gold_error);
    task_instance_free(&in);
    task_free(t);
    /* ... while a template rendering "1" is an index: "1".isdigit() and
     * doc_to_choice is set, so ast.literal_eval("1") == 1 */
    t = load("digits2.json",
             "{\"name\": \"dg2\", \"dataset\": {\"path\": \"digits.csv\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"{{answer}}\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_true(json_is_integer(in.target));
    assert_int_equal(in.gold, 1);
    assert_false(in.gold_error);
    task_instance_free(&in);
    task_free(t);
    /* a digit string that IS a choice text: choices ["0", "1", "2"], field "1"
     * -> choices.index("1") == 1; the integer field ans == 1 -> index 1 too */
    free(write_tmp("dchoice.jsonl", "{\"q\": \"x\", \"s\": \"2\", \"n\": 0}\n"));
    t = load("dchoice.json",
             "{\"name\": \"dc\", \"dataset\": {\"path\": \"dchoice.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"1\", \"2\", \"0\"], \"doc_to_target\": \"s\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.gold, 1);            /* ["1", "2", "0"].index("2") */
    task_instance_free(&in);
    task_free(t);
    t = load("dchoice2.json",
             "{\"name\": \"dc2\", \"dataset\": {\"path\": \"dchoice.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"1\", \"2\", \"0\"], \"doc_to_target\": \"n\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.gold, 0);            /* the integer 0 is an index */
    task_instance_free(&in);
    task_free(t);
    /* a target outside the choices is no error (lm-eval: gold -100, a warning
     * when scoring, the doc scores 0); nor is an index out of range */
    t = load("badtarget.json",
             "{\"name\": \"bt\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"{{q}}\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.golds[0], TASK_GOLD_INVALID);
    assert_true(in.gold_error);
    assert_string_equal(in.target_text, "2+2?");
    task_instance_free(&in);
    task_free(t);
    t = load("badindex.json",
             "{\"name\": \"bi\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": 7}");
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_int_equal(in.golds[0], TASK_GOLD_INVALID);
    assert_true(in.gold_error);
    task_instance_free(&in);
    task_free(t);
    /* a list target: one gold per element (lm-eval's multiple_target), each
     * index kept when below the number of choices: [1, 5] -> [1, -100] */
    t = load("listtarget.json",
             "{\"name\": \"lt\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": [\"A\", \"B\"], \"doc_to_target\": \"{{[1, 5]}}\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_golds, 2);
    assert_int_equal(in.golds[0], 1);
    assert_int_equal(in.golds[1], TASK_GOLD_INVALID);
    assert_int_equal(in.gold, -1);
    task_instance_free(&in);
    task_free(t);
}

/* doc_to_choice as lm-eval's (lm_eval/api/task.py): a template's text is
 * read with ast.literal_eval, so "['x', 'y']" rendered from a string field
 * is the list ['x', 'y']; a dict stands for list(d.values()). */
static void test_task_choices_literal_and_dict(void **state)
{
    (void)state;
    free(write_tmp("lit.jsonl", "{\"q\": \"?\", \"opts\": \"['x', 'y']\", \"a\": 1}\n"));
    task *t = load("lit.json",
                   "{\"name\": \"lit\", \"dataset\": {\"path\": \"lit.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": \"{{opts}}\", \"doc_to_target\": \"a\"}");
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_choices, 2);
    assert_string_equal(in.choices[1], "y");
    assert_int_equal(in.gold, 1);
    task_instance_free(&in);
    task_free(t);
    t = load("dict.json",
             "{\"name\": \"dict\", \"dataset\": {\"path\": \"lit.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": {\"A\": \"first\", \"B\": \"second\"}, \"doc_to_target\": \"a\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_choices, 2);
    assert_string_equal(in.choices[0], "first");
    assert_string_equal(in.target_text, "second");
    task_instance_free(&in);
    task_free(t);
}

/* Numbers become text as Python's str() makes them (Jinja renders values
 * with str()): repr(18.0) == '18.0', repr(1234567.5) == '1234567.5',
 * repr(1e16) == '1e+16', str(True) == 'True', str(None) == 'None',
 * str([1, 'a', 2.5]) == "[1, 'a', 2.5]"; a numeric gold of a generation
 * task is str(gold) (process_results casts it to the response's type). */
static void test_task_numbers_as_python_text(void **state)
{
    (void)state;
    free(write_tmp("nums.jsonl",
                   "{\"x\": 18.0, \"y\": 1234567.5, \"z\": 1e16, \"b\": true, \"n\": null, \"l\": [1, \"a\", 2.5]}\n"));
    task *t = load("nums.json",
                   "{\"name\": \"nums\", \"version\": 2.0, \"dataset\": {\"path\": \"nums.jsonl\"},"
                   " \"doc_to_text\": \"{{x}} {{y}} {{z}} {{b}} {{n}} {{l}}\", \"doc_to_target\": \"y\"}");
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, "18.0 1234567.5 1e+16 True None [1, 'a', 2.5]");
    assert_string_equal(in.target_text, "1234567.5");
    /* version 2.0 is kept a number for the results (lm-eval writes 2.0) */
    assert_string_equal(t->version, "2.0");
    assert_true(json_is_real(t->version_value));
    task_instance_free(&in);
    task_free(t);
}

/* The default sampler is lm-eval's ContextSampler (lm_eval/api/samplers.py)
 * with one random.Random(fewshot_seed) per task, drawn document after
 * document. With neither test_split nor fewshot_split set,
 * fewshot_cfg.split == config.test_split (None == None), so the eval doc is
 * passed: rnd.sample(docs, n + 1), records equal to the doc dropped, the
 * first n kept. Worked out with CPython 3.11 for six docs {"q": "qI", "a":
 * "aI"}, n = 3, seed 7:
 *     r = random.Random(7)
 *     for i, d in enumerate(docs): s = r.sample(docs, 4); [x for x in s if x != d][:3]
 * drawn (indices)   [2,1,3,5] [0,5,4,1] [4,0,1,5] [0,3,4,5] [1,0,3,4] [4,0,1,2]
 * kept              [2,1,3]   [0,5,4]   [4,0,1]   [0,4,5]   [1,0,3]   [4,0,1]
 * (doc 3 drew itself and lost it; doc 1 drew itself fourth). */
static void test_task_build_fewshot_random_excludes_doc(void **state)
{
    (void)state;
    task *t = load("rnd.json",
                   "{\"name\": \"rnd\", \"dataset\": {\"path\": \"six.jsonl\"}, \"num_fewshot\": 3,"
                   " \"fewshot_seed\": 7, \"doc_to_text\": \"{{q}}\", \"doc_to_target\": \"{{a}}\","
                   " \"target_delimiter\": \"=\", \"fewshot_delimiter\": \";\"}");
    assert_true(t->exclude_eval_doc);
    static const int kept[6][3] = { {2, 1, 3}, {0, 5, 4}, {4, 0, 1}, {0, 4, 5}, {1, 0, 3}, {4, 0, 1} };
    char err[TT_ERR_SIZE];
    /* built in reverse order: each doc's shots do not depend on build order */
    for (size_t i = 6; i-- > 0;) {
        task_instance in;
        assert_int_equal(task_build(t, i, &in, err), TT_OK);
        const int *k = kept[i];
        char *want = tt_asprintf("q%d=a%d;q%d=a%d;q%d=a%d;q%zu", k[0], k[0], k[1], k[1], k[2], k[2], i);
        assert_string_equal(in.prompt, want);
        free(want);
        task_instance_free(&in);
    }
    /* a record that is not an eval doc (task_build_doc past the end) replays
     * the generator: index 6 is the seventh draw, r.sample(docs, 4) after the
     * six above == [5, 4, 0, 2] with CPython, none equal to the new record */
    json_t *extra = json_pack("{s:s, s:s}", "q", "qx", "a", "ax");
    task_instance in;
    assert_int_equal(task_build_doc(t, extra, 6, &in, err), TT_OK);
    assert_string_equal(in.prompt, "q5=a5;q4=a4;q0=a0;qx");
    task_instance_free(&in);
    json_decref(extra);
    task_free(t);

    /* with test_split "test" and fewshot_split "train" the doc is not passed:
     * rnd.sample(train, 3) per doc. random.Random(1234) (lm-eval's default
     * fewshot seed), three docs:
     *     [r.sample(range(6), 3) for _ in range(3)] == [[3, 0, 4], [0, 4, 5], [5, 0, 4]] */
    free(write_tmp("three.jsonl", "{\"q\": \"t0\"}\n{\"q\": \"t1\"}\n{\"q\": \"t2\"}\n"));
    t = load("rnd3.json",
             "{\"name\": \"rnd3\", \"dataset\": {\"splits\": {\"test\": \"three.jsonl\", \"train\": \"six.jsonl\"}},"
             " \"test_split\": \"test\", \"fewshot_split\": \"train\", \"num_fewshot\": 3,"
             " \"doc_to_text\": \"{{q}}\", \"doc_to_target\": \"{{q}}\", \"fewshot_config\": {\"doc_to_target\": \"{{a}}\"},"
             " \"target_delimiter\": \"=\", \"fewshot_delimiter\": \";\"}");
    assert_false(t->exclude_eval_doc);
    static const int kept3[3][3] = { {3, 0, 4}, {0, 4, 5}, {5, 0, 4} };
    for (size_t i = 0; i < 3; i++) {
        const int *k = kept3[i];
        char *want = tt_asprintf("q%d=a%d;q%d=a%d;q%d=a%d;t%zu", k[0], k[0], k[1], k[1], k[2], k[2], i);
        assert_int_equal(task_build(t, i, &in, err), TT_OK);
        assert_string_equal(in.prompt, want);
        free(want);
        task_instance_free(&in);
    }
    task_free(t);
    /* asking for more shots than the split can give (5 others + the doc) fails */
    expect_error("toomany.json",
                 "{\"name\": \"tm\", \"dataset\": {\"path\": \"six.jsonl\"}, \"num_fewshot\": 6,"
                 " \"doc_to_text\": \"{{q}}\"}",
                 1, "6 shots asked for, the shot split has 6 records");
}

static void test_task_build_chat_mode_turns(void **state)
{
    (void)state;
    task *t = load("chat.json",
                   "{\"name\": \"chat\", \"chat\": true, \"system_prompt\": \"Be brief.\","
                   " \"description\": \"You are a calculator.\","
                   " \"dataset\": {\"splits\": {\"test\": \"test.jsonl\", \"dev\": \"dev.jsonl\"}},"
                   " \"num_fewshot\": 1, \"fewshot_config\": {\"sampler\": \"first_n\"},"
                   " \"doc_to_text\": \"Q: {{q}}\\nA:\", \"doc_to_target\": \"{{opts[ans]}}\","
                   " \"generation\": {\"until\": [\"Q:\"], \"max_tokens\": 8, \"temperature\": 0.5,"
                   " \"do_sample\": true, \"n\": 3}}");
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_requests, 1);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_CHAT);
    assert_int_equal(in.requests[0].n_messages, 4);
    const engine_message *m = in.requests[0].messages;
    assert_string_equal(m[0].role, "system");
    assert_string_equal(m[0].content, "Be brief.\n\nYou are a calculator.");
    assert_string_equal(m[1].role, "user");
    assert_string_equal(m[1].content, "Q: 0+1?\nA:");
    assert_string_equal(m[2].role, "assistant");
    assert_string_equal(m[2].content, "1");
    assert_string_equal(m[3].role, "user");
    assert_string_equal(m[3].content, "Q: 2+2?\nA:");
    assert_string_equal(in.prompt, "Be brief.\n\nYou are a calculator.Q: 0+1?\nA: 1\n\nQ: 2+2?\nA:");
    assert_int_equal(in.requests[0].gen.max_tokens, 8);
    assert_int_equal(in.requests[0].gen.n, 3);
    assert_true(in.requests[0].gen.temperature == 0.5);
    assert_string_equal(in.requests[0].gen.until[0], "Q:");
    assert_string_equal(in.target_text, "4");
    task_instance_free(&in);
    task_free(t);
}

static void test_task_build_loglikelihood_kinds(void **state)
{
    (void)state;
    /* lm-eval's construct_requests for loglikelihood: (ctx, doc_to_target(doc)),
     * no target_delimiter; the target brings its own space, as lambada_openai's
     * doc_to_target "{{' '+text.split(' ')[-1]}}" does */
    task *t = load("ll.json",
                   "{\"name\": \"ll\", \"dataset\": {\"path\": \"six.jsonl\"}, \"output_type\": \"loglikelihood\","
                   " \"doc_to_text\": \"{{q}}:\", \"doc_to_target\": \"{{' ' + a}}\", \"target_delimiter\": \"#\"}");
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 2, &in, err), TT_OK);
    assert_int_equal(in.n_requests, 1);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_LOGLIKELIHOOD);
    assert_string_equal(in.requests[0].context, "q2:");
    assert_string_equal(in.requests[0].continuation, " a2");
    task_instance_free(&in);
    task_free(t);
    t = load("ll2.json",
             "{\"name\": \"ll2\", \"dataset\": {\"path\": \"six.jsonl\"}, \"output_type\": \"loglikelihood\","
             " \"doc_to_text\": \"{{q}}:\", \"doc_to_target\": \"{{a}}\"}");
    assert_int_equal(task_build(t, 2, &in, err), TT_OK);
    assert_string_equal(in.requests[0].continuation, "a2");
    task_instance_free(&in);
    task_free(t);
    t = load("roll.json",
             "{\"name\": \"roll\", \"dataset\": {\"path\": \"six.jsonl\"},"
             " \"output_type\": \"loglikelihood_rolling\", \"doc_to_target\": \"{{q}} {{a}}\"}");
    assert_int_equal(task_build(t, 4, &in, err), TT_OK);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_LOGLIKELIHOOD_ROLLING);
    assert_string_equal(in.requests[0].context, "q4 a4");
    assert_string_equal(in.prompt, "");
    task_instance_free(&in);
    task_free(t);
}

static void test_task_load_include_and_content_hash(void **state)
{
    (void)state;
    free(write_tmp("base.json",
                   "{\"output_type\": \"multiple_choice\", \"doc_to_text\": \"{{q}}\","
                   " \"doc_to_choice\": \"{{opts}}\", \"doc_to_target\": \"ans\", \"version\": \"5\","
                   " \"_comment\": \"a base file\"}"));
    task *t = load("child.json",
                   "{\"include\": \"base.json\", \"name\": \"child\", \"doc_to_text\": \"Q={{q}}\","
                   " \"dataset\": {\"path\": \"test.jsonl\"}}");
    assert_string_equal(t->version, "5");
    assert_int_equal(t->output_type, TASK_MULTIPLE_CHOICE);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, "Q=2+2?");
    task_instance_free(&in);
    char h1[65];
    memcpy(h1, t->content_hash, 65);
    assert_int_equal(strlen(h1), 64);
    assert_string_not_equal(t->content_hash, t->file_hash);
    task_free(t);
    /* same task file, other data: other content hash */
    free(write_tmp("test.jsonl", "{\"q\": \"2+2?\", \"opts\": [\"3\", \"4\"], \"ans\": 0}\n"));
    t = load("child.json",
             "{\"include\": \"base.json\", \"name\": \"child\", \"doc_to_text\": \"Q={{q}}\","
             " \"dataset\": {\"path\": \"test.jsonl\"}}");
    assert_string_not_equal(t->content_hash, h1);
    task_free(t);
    free(write_tmp("test.jsonl", TEST_JSONL));
}

static void test_task_load_errors_name_file_line_field(void **state)
{
    (void)state;
    expect_error("bad1.json",
                 "{\n  \"name\": \"x\",\n  \"dataset\": {\"path\": \"six.jsonl\"},\n"
                 "  \"doc_to_text\": \"{{q}}\",\n  \"num_fewshot\": \"five\"\n}\n",
                 0, "%s/bad1.json:5: 'num_fewshot' must be a non-negative integer");
    expect_error("bad2.json", "{\n  \"name\": \"x\",\n  \"dataset\": {\"path\": \"a\"},,\n}\n", 0,
                 "%s/bad2.json:3:");
    expect_error("bad3.json",
                 "{\n  \"name\": \"x\",\n  \"dataset\": {\"path\": \"six.jsonl\"},\n  \"bogus\": 1,\n"
                 "  \"doc_to_text\": \"q\"\n}\n",
                 0, "%s/bad3.json:4: 'bogus' is not a task key");
    expect_error("bad4.json", "{\n  \"name\": \"x\",\n  \"dataset\": {\"path\": \"six.jsonl\"}\n}\n", 0,
                 "'doc_to_text' is missing");
    expect_error("bad5.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\",\n"
                 " \"output_type\": \"multiple_choice\"}",
                 0, "'doc_to_choice' is missing");
    expect_error("bad6.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\",\n"
                 " \"output_type\": \"multiple-choice\"}",
                 0, "%s/bad6.json:2: 'output_type' unknown output type 'multiple-choice'");
    expect_error("bad7.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\",\n"
                 " \"generation\": {\"until\": [\"\\n\"],\n \"max_tokens\": 0}}",
                 0, "%s/bad7.json:3: 'max_tokens' must be a positive integer");
    expect_error("bad8.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"test.jsonl\"}, \"doc_to_text\": \"q\", \"chat\": true,"
                 " \"output_type\": \"multiple_choice\", \"doc_to_choice\": [\"a\"], \"doc_to_target\": 0}",
                 0, "'chat' works only with output_type generate_until");
    expect_error("bad9.json", "[1, 2]", 0, "bad9.json:1: a task file must be a JSON object");
    expect_error("bad10.json", "{\"name\": \"x\", \"doc_to_text\": \"q\"}", 0, "'dataset' is missing");
    expect_error("bad11.json", "{\"include\": \"nope.json\", \"name\": \"x\"}", 0, "nope.json");
    /* data-time errors: a missing split, a template that does not fit the data */
    expect_error("bad12.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"fewshot_split\": \"train\", \"num_fewshot\": 1}",
                 1, "task 'x': dataset has no split 'train'");
    expect_error("bad13.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"{{question}}\"}",
                 1, "task 'x' doc 0: template 'doc_to_text' at offset 2: no field 'question'");
    expect_error("bad14.json",
                 "{\"name\": \"x\", \"dataset\": {\"path\": \"missing.jsonl\"}, \"doc_to_text\": \"q\"}", 1,
                 "task 'x' split 'test': data file 'missing.jsonl' not found");
}

/* output_type embedding: its "embedding" object is checked whole; a
 * retrieval task loads its corpus split; documents have no requests. */
static void test_task_embedding_config(void **state)
{
    (void)state;
    expect_error("e1.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"doc_to_target\": \"a\", \"output_type\": \"embedding\"}",
                 0, "'embedding' is missing (needed by output_type embedding)");
    expect_error("e2.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"doc_to_target\": \"a\", \"output_type\": \"embedding\", \"embedding\": {\"kind\": \"sts\"}}",
                 0, "needs \"text_pair\"");
    expect_error("e3.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"embedding\", \"embedding\": {\"kind\": \"ranking\"}}",
                 0, "'kind' must be \"sts\", \"pair_classification\" or \"retrieval\"");
    expect_error("e4.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"embedding\", \"embedding\": {\"kind\": \"retrieval\", \"corpus_split\": \"c\"}}",
                 0, "needs \"corpus_split\", \"corpus_text\", \"corpus_id\" and \"relevant\"");
    expect_error("e5.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"doc_to_target\": \"a\", \"output_type\": \"embedding\", \"metrics\": [{\"metric\": \"acc\"}],"
                 " \"embedding\": {\"kind\": \"sts\", \"text_pair\": \"a\"}}",
                 0, "'metrics' does not apply to output_type embedding");
    expect_error("e6.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"embedding\": {\"kind\": \"sts\", \"text_pair\": \"a\"}}",
                 0, "'embedding' works only with output_type embedding");
    /* retrieval: the corpus split is loaded with the queries */
    task *t = load("e7.json", "{\"name\": \"x\", \"dataset\": {\"splits\": {\"test\": \"six.jsonl\","
                              " \"corpus\": \"dev.jsonl\"}}, \"doc_to_text\": \"q\", \"output_type\": \"embedding\","
                              " \"embedding\": {\"kind\": \"retrieval\", \"corpus_split\": \"corpus\", \"corpus_text\":"
                              " \"q\", \"corpus_id\": \"ans\", \"relevant\": \"a\"}}");
    assert_int_equal(t->output_type, TASK_EMBEDDING);
    assert_int_equal(t->embed.kind, TASK_EMBED_RETRIEVAL);
    assert_int_equal(json_array_size(json_object_get(t->splits, "corpus")), 3);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_string_equal(in.prompt, "q0");
    assert_int_equal(in.n_requests, 0);
    task_instance_free(&in);
    task_free(t);
}

/* output_type classify: categories required, via moderation or chat; a
 * chat classifier's documents carry one chat request. */
static void test_task_classify_config(void **state)
{
    (void)state;
    expect_error("c1.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"classify\"}", 0, "'classify' is missing (needed by output_type classify)");
    expect_error("c2.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"classify\", \"classify\": {\"categories\": {\"S\": 1}}}",
                 0, "'S' must name a category");
    expect_error("c3.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"classify\", \"classify\": {\"categories\": {\"S\": \"sexual\"}, \"via\": \"api\"}}",
                 0, "'via' must be \"moderation\" or \"chat\"");
    expect_error("c4.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"output_type\": \"classify\", \"classify\": {\"categories\": {\"S\": \"sexual\"}, \"threshold\": 2}}",
                 0, "'threshold' must be a number from 0 to 1");
    expect_error("t1.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_target\": \"a\","
                 " \"output_type\": \"transcription\"}", 0, "needs \"audio\"");
    expect_error("t2.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_target\": \"a\","
                 " \"output_type\": \"transcription\", \"transcription\": {\"audio\": \"{{q}}.wav\", \"lang\": \"en\"}}",
                 0, "'lang' is not a transcription key");
    task *tr = load("t3.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_target\": \"a\","
                               " \"output_type\": \"transcription\", \"transcription\": {\"audio\": \"audio/{{q}}.wav\","
                               " \"language\": \"zh\"}}");
    assert_string_equal(tr->language, "zh");
    task_instance tin;
    char terr[TT_ERR_SIZE];
    assert_int_equal(task_build(tr, 1, &tin, terr), TT_OK);
    assert_string_equal(tin.prompt, "audio/q1.wav");   /* the prompt is the audio file's path */
    assert_string_equal(tin.target_text, "a1");
    assert_int_equal(tin.n_requests, 0);
    task_instance_free(&tin);
    task_free(tr);
    task *t = load("c5.json", "{\"name\": \"x\", \"dataset\": {\"path\": \"six.jsonl\"}, \"doc_to_text\": \"Is {{q}} bad?\","
                              " \"output_type\": \"classify\", \"classify\": {\"categories\": {\"S\": \"sexual\","
                              " \"H\": \"hate\"}, \"via\": \"chat\"}}");
    assert_int_equal(t->classify.n, 2);
    assert_string_equal(t->classify.names[1], "hate");
    assert_true(t->classify.threshold < 0);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_requests, 1);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_CHAT);
    assert_string_equal(in.requests[0].messages[0].content, "Is q0 bad?");
    task_instance_free(&in);
    task_free(t);
}

static void test_task_build_fixed_samples_image_and_lists(void **state)
{
    (void)state;
    /* fixed shot records with their own target template (GSM8K-CoT style) */
    task *t = load("samples.json",
                   "{\"name\": \"s\", \"dataset\": {\"path\": \"six.jsonl\"}, \"num_fewshot\": 2,"
                   " \"fewshot_config\": {\"sampler\": \"first_n\", \"doc_to_target\": \"{{why}}\","
                   "   \"samples\": [{\"q\": \"s0\", \"why\": \"w0\"}, {\"q\": \"s1\", \"why\": \"w1\"}]},"
                   " \"doc_to_text\": \"Q: {{q}}\\nA:\", \"doc_to_target\": \"{{a}}\", \"unsafe\": true}");
    assert_true(t->unsafe);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 1, &in, err), TT_OK);
    assert_string_equal(in.prompt, "Q: s0\nA: w0\n\nQ: s1\nA: w1\n\nQ: q1\nA:");
    assert_string_equal(in.target_text, "a1");
    task_instance_free(&in);
    task_free(t);
    /* doc_to_image goes on the last user message of a chat request */
    free(write_tmp("img.jsonl", "{\"q\": \"what is this?\", \"png\": \"iVBORw0KGgo=\"}\n"));
    t = load("img.json",
             "{\"name\": \"img\", \"chat\": true, \"dataset\": {\"path\": \"img.jsonl\"},"
             " \"doc_to_text\": \"{{q}}\", \"doc_to_image\": \"{{png}}\"}");
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.requests[0].kind, ENGINE_REQ_CHAT);
    assert_int_equal(in.requests[0].n_messages, 1);
    assert_string_equal(in.requests[0].messages[0].image_b64, "iVBORw0KGgo=");
    task_instance_free(&in);
    task_free(t);
    expect_error("img2.json",
                 "{\"name\": \"img2\", \"dataset\": {\"path\": \"img.jsonl\"}, \"doc_to_text\": \"q\","
                 " \"doc_to_image\": \"{{png}}\"}",
                 0, "'doc_to_image' needs \"chat\": true");
    /* a split given as a list of files, records concatenated in order */
    t = load("list.json",
             "{\"name\": \"lst\", \"dataset\": {\"splits\": {\"test\": [\"dev.jsonl\", {\"path\": \"test.jsonl\"}]}},"
             " \"doc_to_text\": \"{{q}}\"}");
    assert_int_equal(task_num_docs(t), 5);
    assert_int_equal(task_build(t, 3, &in, err), TT_OK);
    assert_string_equal(in.prompt, "2+2?");
    task_instance_free(&in);
    task_free(t);
}

/* acc_mutual_info: lm-eval's construct_requests adds, after the (ctx,
 * delimiter + choice) requests, one ("", delimiter + choice) per choice when
 * the metric list names acc_mutual_info (lm_eval/api/task.py). */
static void test_task_build_mutual_info_requests(void **state)
{
    (void)state;
    task *t = load("mi.json",
                   "{\"name\": \"mi\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": \"opts\", \"doc_to_target\": \"ans\","
                   " \"metrics\": [{\"metric\": \"acc\"}, {\"metric\": \"acc_mutual_info\"}]}");
    assert_true(t->mutual_info);
    task_instance in;
    char err[TT_ERR_SIZE];
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_choices, 2);
    assert_int_equal(in.n_requests, 4);
    static const char *const ctx[4] = { "2+2?", "2+2?", "", "" };
    static const char *const cont[4] = { " 3", " 4", " 3", " 4" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(in.requests[i].kind, ENGINE_REQ_LOGLIKELIHOOD);
        assert_string_equal(in.requests[i].context, ctx[i]);
        assert_string_equal(in.requests[i].continuation, cont[i]);
    }
    task_instance_free(&in);
    task_free(t);
    /* without the metric: the choices only */
    t = load("nomi.json",
             "{\"name\": \"nomi\", \"dataset\": {\"path\": \"test.jsonl\"}, \"output_type\": \"multiple_choice\","
             " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": \"opts\", \"doc_to_target\": \"ans\"}");
    assert_false(t->mutual_info);
    assert_int_equal(task_build(t, 0, &in, err), TT_OK);
    assert_int_equal(in.n_requests, 2);
    task_instance_free(&in);
    task_free(t);
}

static void test_task_limit_count(void **state)
{
    (void)state;
    assert_int_equal(task_limit_count(100, 10), 10);
    assert_int_equal(task_limit_count(100, 0.05), 5);
    assert_int_equal(task_limit_count(7, 0.5), 4); /* ceil(3.5) */
    assert_int_equal(task_limit_count(5, 10), 5);
    assert_int_equal(task_limit_count(5, 0), 5);
    assert_int_equal(task_limit_count(5, -1), 5);
    assert_int_equal(task_limit_count(0, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_build_zero_shot_generate_demo_schema),
        cmocka_unit_test(test_task_parse_defaults),
        cmocka_unit_test(test_task_build_fewshot_first_n_multiple_choice),
        cmocka_unit_test(test_task_build_targets_string_and_letter),
        cmocka_unit_test(test_task_build_fewshot_random_excludes_doc),
        cmocka_unit_test(test_task_build_chat_mode_turns),
        cmocka_unit_test(test_task_build_loglikelihood_kinds),
        cmocka_unit_test(test_task_load_include_and_content_hash),
        cmocka_unit_test(test_task_load_errors_name_file_line_field),
        cmocka_unit_test(test_task_embedding_config),
        cmocka_unit_test(test_task_classify_config),
        cmocka_unit_test(test_task_build_fixed_samples_image_and_lists),
        cmocka_unit_test(test_task_numbers_as_python_text),
        cmocka_unit_test(test_task_choices_literal_and_dict),
        cmocka_unit_test(test_task_build_mutual_info_requests),
        cmocka_unit_test(test_task_limit_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
