/*
 * test_score.c — harness/score.c on whole multiple-choice documents built
 * by harness/task.c, with the engine's answers given by hand: what
 * lm-evaluation-harness's ConfigurableTask.process_results
 * (lm_eval/api/task.py) and TruthfulQA's process_results_mc2
 * (lm_eval/tasks/truthfulqa/utils.py) compute from the same
 * log-likelihoods, worked out in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"
#include "harness/score.h"
#include "harness/task.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_score_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes data and a task file, loads both; fails the test on error. */
static task *load(const char *name, const char *data, const char *json)
{
    char err[TT_ERR_SIZE] = "";
    char *dp = tt_asprintf("%s/%s.jsonl", tmpdir, name), *tp = tt_asprintf("%s/%s.json", tmpdir, name);
    assert_int_equal(tt_write_file(dp, data, strlen(data), err), TT_OK);
    assert_int_equal(tt_write_file(tp, json, strlen(json), err), TT_OK);
    task *t = NULL;
    if (task_load(tp, &t, err)) fail_msg("task_load: %s", err);
    dataset_options o = {.offline = 1};
    if (task_load_data(t, &o, err)) fail_msg("task_load_data: %s", err);
    free(dp);
    free(tp);
    return t;
}

/* Scores every doc of t with the given log-likelihoods (lls[doc][request])
 * and returns the aggregate of column key, e.g. "acc,none". */
static double score_all(const task *t, const double lls[][8], const char *key, json_t **last_scores)
{
    size_t n = task_num_docs(t);
    score_state s;
    char err[TT_ERR_SIZE] = "";
    if (score_init(&s, t, 0, n, err)) fail_msg("score_init: %s", err);
    for (size_t i = 0; i < n; i++) {
        task_instance in;
        if (task_build(t, i, &in, err)) fail_msg("task_build: %s", err);
        engine_response resp[8];
        memset(resp, 0, sizeof resp);
        for (int r = 0; r < in.n_requests; r++) resp[r].logprob = lls[i][r];
        json_t *scores = json_object(), *filtered = json_object();
        if (score_doc(&s, t, &in, resp, in.n_requests, scores, filtered, err)) fail_msg("score_doc: %s", err);
        if (last_scores) {
            json_decref(*last_scores);
            *last_scores = json_incref(scores);
        }
        json_decref(scores);
        json_decref(filtered);
        task_instance_free(&in);
    }
    stats_opts so = {.bootstrap_iters = 0, .seed = 1234};
    score_result r;
    score_aggregate(&s, &so, &r);
    double v = NAN;
    for (int c = 0; c < r.n_cols; c++)
        if (!strcmp(r.keys[c], key)) v = r.value[c];
    score_result_free(&r);
    score_free(&s);
    if (isnan(v)) fail_msg("no column '%s'", key);
    return v;
}

static const char *DOCS = "{\"q\": \"2+2?\", \"choices\": [\"3\", \"4\"], \"answer\": 1}\n"
                          "{\"q\": \"Sky?\", \"choices\": [\"blue\", \"green\"], \"answer\": 0}\n";

/* acc_mutual_info (lm_eval/api/task.py process_results): the requests are
 * the n conditional ones, then n (\"\", delimiter + choice); acc_mutual_info =
 * 1.0 if argmax(ll_c - ll_u) == gold.
 * doc 0, gold 1: ll_c (-2, -1), ll_u (-5, -0.5): differences (3, -0.5) ->
 *        argmax 0: 0; acc: argmax ll_c = 1: 1
 * doc 1, gold 0: ll_c (-3, -2), ll_u (-6, -2.5): differences (3, 0.5) ->
 *        argmax 0: 1; acc: argmax ll_c = 1: 0
 * so acc_mutual_info = 0.5, acc = 0.5 (different documents right). */
static void test_score_acc_mutual_info(void **state)
{
    (void)state;
    task *t = load("mi", DOCS,
                   "{\"name\": \"mi\", \"dataset\": {\"path\": \"mi.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"Q: {{q}}\\nA:\", \"doc_to_choice\": \"choices\", \"doc_to_target\": \"answer\","
                   " \"metrics\": [{\"metric\": \"acc\"}, {\"metric\": \"acc_mutual_info\"}]}");
    static const double lls[2][8] = { { -2, -1, -5, -0.5 }, { -3, -2, -6, -2.5 } };
    json_t *last = NULL;
    assert_true(score_all(t, lls, "acc_mutual_info,none", &last) == 0.5);
    assert_true(json_real_value(json_object_get(last, "acc_mutual_info,none")) == 1.0);   /* doc 1 */
    assert_true(json_real_value(json_object_get(last, "acc,none")) == 0.0);
    assert_true(score_all(t, lls, "acc,none", NULL) == 0.5);
    json_decref(last);
    task_free(t);
}

typedef struct logged {
    int warnings;
    char last[512];
} logged;

static void record(void *ud, tt_log_level level, const char *msg)
{
    logged *l = ud;
    if (level != TT_LOG_WARN) return;
    l->warnings++;
    snprintf(l->last, sizeof l->last, "%s", msg);
}

/* A gold that is no choice (lm-eval's process_results: gold = -100 and
 * eval_logger.warning(...)) scores 0 and warns; the run goes on.
 * doc 0: target index 7 of 2 choices; doc 1: the field "1" is a choice TEXT
 * (a bare field is not converted), not among ["blue", "green"]. Even where
 * the model's argmax is "right" by position, acc and acc_norm are 0. */
static void test_score_gold_out_of_range_warns_and_scores_0(void **state)
{
    (void)state;
    logged l = {0};
    tt_log_set_sink(record, &l, TT_LOG_DEBUG);
    task *t = load("oor",
                   "{\"q\": \"2+2?\", \"choices\": [\"3\", \"4\"], \"t\": 7}\n"
                   "{\"q\": \"Sky?\", \"choices\": [\"blue\", \"green\"], \"t\": \"1\"}\n",
                   "{\"name\": \"oor\", \"dataset\": {\"path\": \"oor.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"{{q}}\", \"doc_to_choice\": \"choices\", \"doc_to_target\": \"t\","
                   " \"metrics\": [{\"metric\": \"acc\"}, {\"metric\": \"acc_norm\"}]}");
    static const double lls[2][8] = { { -2, -1 }, { -3, -1 } };
    assert_true(score_all(t, lls, "acc,none", NULL) == 0.0);
    assert_int_equal(l.warnings, 2);
    assert_non_null(strstr(l.last, "task 'oor' doc 1"));
    assert_non_null(strstr(l.last, "\"1\""));
    assert_true(score_all(t, lls, "acc_norm,none", NULL) == 0.0);
    tt_log_set_sink(NULL, NULL, TT_LOG_ERROR);
    task_free(t);
}

/* TruthfulQA MC2 as lm-eval's current truthfulqa_mc2.yaml: metric_list
 * [acc], process_results_mc2: probs = exp(lls) / sum, pm_true =
 * sum(probs[labels == 1]), returned as {"acc": pm_true}, so the result key
 * is "acc,none". Labels (1, 0, 1) and probabilities (.5, .3, .2): 0.7;
 * labels (0, 1) and probabilities (.25, .75): 0.75; mean 0.725. */
static void test_score_truthfulqa_mc2_reports_acc(void **state)
{
    (void)state;
    task *t = load("tqa",
                   "{\"question\": \"a?\", \"mc2_targets\": {\"yes\": 1, \"no\": 0, \"maybe\": 1}}\n"
                   "{\"question\": \"b?\", \"mc2_targets\": {\"x\": 0, \"y\": 1}}\n",
                   "{\"name\": \"tqa\", \"dataset\": {\"path\": \"tqa.jsonl\"}, \"output_type\": \"multiple_choice\","
                   " \"doc_to_text\": \"Q: {{question}}\\nA:\", \"doc_to_choice\": \"{{mc2_targets.keys()}}\","
                   " \"doc_to_target\": \"{{mc2_targets.values()}}\", \"process_results\": \"truthfulqa_mc2\","
                   " \"metrics\": [{\"metric\": \"acc\", \"aggregation\": \"mean\", \"higher_is_better\": true}]}");
    assert_int_equal(t->process_results, TASK_PROCESS_TRUTHFULQA_MC2);
    double lls[2][8] = { { log(0.5), log(0.3), log(0.2) }, { log(0.25), log(0.75) } };
    json_t *last = NULL;
    double v = score_all(t, (const double(*)[8])lls, "acc,none", &last);
    assert_true(fabs(v - 0.725) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(last, "acc,none")) - 0.75) < 1e-12);
    json_decref(last);
    task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_acc_mutual_info),
        cmocka_unit_test(test_score_gold_out_of_range_warns_and_scores_0),
        cmocka_unit_test(test_score_truthfulqa_mc2_reports_acc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
