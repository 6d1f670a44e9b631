/*
 * test_metrics.c — metrics.c: every metric against values worked out by
 * hand from lm-eval's definitions (lm_eval/api/metrics.py), the arithmetic in the
 * comments; the exact_match table in tests/unit/data/exact_match_cases.jsonl;
 * the sacrebleu 13a tokeniser and corpus BLEU on tiny examples; parsing of
 * the `metrics` list and its errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judges/metrics.h"
#include "core/util.h"

#define EPS 1e-12

/* |a − b| <= eps, with both values in the failure message. */
#define assert_near(a, b, eps)                                                              \
    do {                                                                                  \
        double a_ = (a), b_ = (b);                                                        \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.17g, want %.17g", #a, a_, b_);      \
    } while (0)

static metric_spec *spec_from(const char *json)
{
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    if (!j) fail_msg("bad test json: %s", jerr.text);
    metric_spec *s = NULL;
    int n = 0;
    char err[TT_ERR_SIZE] = "";
    if (metric_spec_parse(j, &s, &n, err)) fail_msg("parse: %s", err);
    json_decref(j);
    return s;   /* first spec; freed with metric_specs_free(s, n) — tests use n == 1 */
}

static double mc(const char *metric, int n, const double *lls, const char *const *choices, int gold)
{
    char json[128];
    snprintf(json, sizeof json, "[\"%s\"]", metric);
    metric_spec *s = spec_from(json);
    metric_mc_input in = { .n_choices = n, .lls = lls, .choices = choices, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    int rc = metric_score_mc(s, &in, item, err);
    if (rc) fail_msg("%s: %s", metric, err);
    metric_specs_free(s, 1);
    return item[0];
}

static double gen(const char *spec_json, const char *resp, const char *target)
{
    metric_spec *s = spec_from(spec_json);
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    const char *t[1] = { target };
    int rc = metric_score_generation(s, resp, t, 1, item, err);
    if (rc) fail_msg("%s: %s", spec_json, err);
    metric_specs_free(s, 1);
    return item[0];
}

/* ---- multiple choice ------------------------------------------------------ */

static void test_metric_acc_argmax_and_ties(void **state)
{
    (void)state;
    double lls[3] = { -1.0, -2.0, -0.5 };   /* max is index 2 */
    assert_true(mc("acc", 3, lls, NULL, 2) == 1.0);
    assert_true(mc("acc", 3, lls, NULL, 0) == 0.0);
    double tie[3] = { -1.0, -1.0, -2.0 };   /* tie 0/1: the first maximum (0) wins */
    assert_true(mc("acc", 3, tie, NULL, 0) == 1.0);
    assert_true(mc("acc", 3, tie, NULL, 1) == 0.0);
    /* gold out of range is -100: always wrong */
    assert_true(mc("acc", 3, lls, NULL, 7) == 0.0);
    assert_true(mc("acc", 3, lls, NULL, -1) == 0.0);
    /* mc1 is acc */
    assert_true(mc("mc1", 3, lls, NULL, 2) == 1.0);
    assert_int_equal(metric_argmax(tie, 3), 0);
    double nan3[3] = { -1.0, NAN, 5.0 };   /* numpy: the first NaN is the argmax */
    assert_int_equal(metric_argmax(nan3, 3), 1);
}

static void test_metric_acc_gold_list(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"acc\"]");
    double lls[3] = { -3.0, -1.0, -2.0 };   /* pred 1 */
    int gold[2] = { 2, 1 };
    metric_mc_input in = { .n_choices = 3, .lls = lls, .gold = gold, .n_gold = 2 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(item[0] == 1.0);    /* 1 in [2, 1] */
    int gold2[2] = { 0, 9 };          /* 9 -> -100 */
    in.gold = gold2;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(item[0] == 0.0);
    metric_specs_free(s, 1);
}

static void test_metric_acc_norm_cjk_codepoints(void **state)
{
    (void)state;
    /* "猫" is 1 code point / 3 bytes; "cats" 4 / 4.
     * acc:       argmax(-2, -6) = 0
     * acc_norm:  -2/1 = -2.0, -6/4 = -1.5 -> 1
     * acc_bytes: -2/3 = -0.667, -6/4 = -1.5 -> 0 */
    const char *choices[2] = { "猫", "cats" };
    double lls[2] = { -2.0, -6.0 };
    assert_true(mc("acc", 2, lls, choices, 1) == 0.0);
    assert_true(mc("acc_norm", 2, lls, choices, 1) == 1.0);
    assert_true(mc("acc_bytes", 2, lls, choices, 1) == 0.0);
    /* "北京" 2 cp, "上海市" 3 cp: -4/2 = -2.0 vs -5.4/3 = -1.8 -> 1 */
    const char *cities[2] = { "北京", "上海市" };
    double l2[2] = { -4.0, -5.4 };
    assert_true(mc("acc_norm", 2, l2, cities, 1) == 1.0);
    /* bytes: -4/6 = -0.667 vs -5.4/9 = -0.6 -> 1 as well */
    assert_true(mc("acc_bytes", 2, l2, cities, 1) == 1.0);
}

static void test_metric_acc_norm_empty_choice(void **state)
{
    (void)state;
    /* len 0: -1/0 = -inf (numpy), so the other choice (-2/1) wins */
    const char *choices[2] = { "", "b" };
    double lls[2] = { -1.0, -2.0 };
    assert_true(mc("acc_norm", 2, lls, choices, 1) == 1.0);
    /* 0/0 = NaN and numpy's argmax returns the first NaN */
    double zero[2] = { 0.0, -2.0 };
    assert_true(mc("acc_norm", 2, zero, choices, 0) == 1.0);
}

static void test_metric_acc_mutual_info(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"acc_mutual_info\"]");
    /* cond (-5, -6) minus uncond (-1, -4) = (-4, -2) -> 1 */
    double lls[2] = { -5.0, -6.0 }, un[2] = { -1.0, -4.0 };
    int gold = 1;
    metric_mc_input in = { .n_choices = 2, .lls = lls, .lls_uncond = un, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(item[0] == 1.0);
    in.lls_uncond = NULL;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_ERR_USAGE);
    metric_specs_free(s, 1);
}

static void test_metric_exact_match_mc_is_greedy(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"exact_match\"]");
    double lls[3] = { -1, -2, -3 };
    int greedy[3] = { 0, 1, 0 }, gold = 1;
    metric_mc_input in = { .n_choices = 3, .lls = lls, .is_greedy = greedy, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(item[0] == 1.0);
    gold = 0;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(item[0] == 0.0);
    /* unknown (-1: a server without top_logprobs) is no value, not greedy */
    greedy[0] = -1;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_true(isnan(item[0]));
    metric_specs_free(s, 1);
}

static void test_metric_mc2_truthfulqa(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"mc2\"]");
    /* p = (0.2, 0.1 | 0.3, 0.4): true mass 0.3 / total 1.0 = 0.3 */
    double lls[4] = { log(0.2), log(0.1), log(0.3), log(0.4) };
    int labels[4] = { 1, 1, 0, 0 }, gold = 0;
    metric_mc_input in = { .n_choices = 4, .lls = lls, .labels = labels, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_near(item[0], 0.3, EPS);
    /* equal lls, one true of three: 1/3; very negative lls do not underflow */
    double eq[3] = { -900.0, -900.0, -900.0 };
    int l3[3] = { 1, 0, 0 };
    in.n_choices = 3;
    in.lls = eq;
    in.labels = l3;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_near(item[0], 1.0 / 3.0, EPS);
    /* interleaved labels 1,0,1: lm-eval's current process_results_mc2
     * (lm_eval/tasks/truthfulqa/utils.py) sums probs_norm[labels == 1]: the
     * true mass is 2 of 3 equal parts */
    int l4[3] = { 1, 0, 1 };
    in.labels = l4;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_near(item[0], 2.0 / 3.0, EPS);
    /* all true: sum(probs_norm[labels == 1]) == 1.0 (no false answer needed) */
    int none0[3] = { 1, 1, 1 };
    in.labels = none0;
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_OK);
    assert_near(item[0], 1.0, EPS);
    metric_specs_free(s, 1);
}

static void test_metric_brier_score(void **state)
{
    (void)state;
    /* softmax(0, 0) = (0.5, 0.5); gold 0: (0.5-1)² + 0.5² = 0.5 */
    double l2[2] = { 0.0, 0.0 };
    assert_near(mc("brier_score", 2, l2, NULL, 0), 0.5, EPS);
    /* softmax(log .7, log .2, log .1) = (.7, .2, .1); gold 0: .09 + .04 + .01 = .14 */
    double l3[3] = { log(0.7), log(0.2), log(0.1) };
    assert_near(mc("brier_score", 3, l3, NULL, 0), 0.14, EPS);
    /* gold 2: .49 + .04 + .81 = 1.34 */
    assert_near(mc("brier_score", 3, l3, NULL, 2), 1.34, EPS);
}

static void test_metric_f1_mcc_items(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"f1\", \"mcc\"]");
    double lls[2] = { -2.0, -1.0 };   /* pred 1 */
    int gold = 0;
    metric_mc_input in = { .n_choices = 2, .lls = lls, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(&s[0], &in, item, err), TT_OK);
    assert_true(item[0] == 0.0 && item[1] == 1.0);
    assert_int_equal(s[1].agg, STATS_MCC);
    assert_true(metric_item_display(&s[0], item) == 1.0);
    metric_specs_free(s, 2);
}

static void test_metric_kind_mismatch(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"bleu\"]");
    double lls[1] = { 0 };
    int gold = 0;
    metric_mc_input in = { .n_choices = 1, .lls = lls, .gold = &gold, .n_gold = 1 };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_ERR_UNSUPPORTED);
    assert_int_equal(metric_score_loglikelihood(s, -1, 1, item, err), TT_ERR_UNSUPPORTED);
    metric_specs_free(s, 1);
    s = spec_from("[\"acc_norm\"]");
    assert_int_equal(metric_score_mc(s, &in, item, err), TT_ERR_USAGE);   /* no choice strings */
    metric_specs_free(s, 1);
}

/* ---- generation ------------------------------------------------------------ */

static void test_metric_exact_match_table(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *path = tt_path_join(src ? src : ".", "tests/unit/data/exact_match_cases.jsonl");
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char line[4096];
    int lineno = 0, cases = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        json_error_t jerr;
        json_t *c = json_loads(line, 0, &jerr);
        if (!c) fail_msg("%s:%d: %s", path, lineno, jerr.text);
        json_t *opts = json_deep_copy(json_object_get(c, "opts"));
        json_object_set_new(opts, "metric", json_string("exact_match"));
        json_t *arr = json_array();
        json_array_append_new(arr, opts);
        metric_spec *s = NULL;
        int n;
        char err[TT_ERR_SIZE];
        if (metric_spec_parse(arr, &s, &n, err)) fail_msg("%s:%d: %s", path, lineno, err);
        const char *ref = json_string_value(json_object_get(c, "ref"));
        double item[STATS_ITEM_MAX];
        assert_int_equal(metric_score_generation(s, json_string_value(json_object_get(c, "pred")), &ref, 1,
                                                 item, err), TT_OK);
        double want = json_number_value(json_object_get(c, "want"));
        if (item[0] != want)
            fail_msg("%s:%d (%s): got %g want %g", path, lineno,
                     json_string_value(json_object_get(c, "why")), item[0], want);
        metric_specs_free(s, n);
        json_decref(arr);
        json_decref(c);
        cases++;
    }
    fclose(f);
    free(path);
    assert_true(cases >= 15);
}

static void test_metric_exact_match_multiple_targets(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[{\"metric\": \"exact_match\", \"ignore_case\": true}]");
    const char *t[3] = { "dog", "CAT", "bird" };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_generation(s, "cat", t, 3, item, err), TT_OK);
    assert_true(item[0] == 1.0);
    assert_int_equal(metric_score_generation(s, "cow", t, 3, item, err), TT_OK);
    assert_true(item[0] == 0.0);
    assert_int_equal(metric_score_generation(s, "cow", t, 0, item, err), TT_ERR_USAGE);
    metric_specs_free(s, 1);
}

static void test_metric_contains(void **state)
{
    (void)state;
    assert_true(gen("[\"contains\"]", "The answer is Paris.", "Paris") == 1.0);
    assert_true(gen("[\"contains\"]", "The answer is paris.", "Paris") == 0.0);
    assert_true(gen("[{\"metric\":\"contains\",\"ignore_case\":true}]", "The answer is paris.", "Paris") == 1.0);
    assert_true(gen("[\"contains\"]", "答案是北京。", "北京") == 1.0);
    assert_true(gen("[\"contains\"]", "", "x") == 0.0);
}

static void test_metric_numeric_match(void **state)
{
    (void)state;
    assert_true(gen("[\"numeric_match\"]", "$1,234.50", "1234.5") == 1.0);
    assert_true(gen("[\"numeric_match\"]", " 12 ", "12.0000001") == 1.0);   /* |diff| 1e-7 <= 1e-6 */
    assert_true(gen("[\"numeric_match\"]", "12", "12.1") == 0.0);
    assert_true(gen("[\"numeric_match\"]", "1e3", "1000") == 1.0);
    assert_true(gen("[\"numeric_match\"]", "-7", "7") == 0.0);
    assert_true(gen("[\"numeric_match\"]", "abc", "1") == 0.0);
    assert_true(gen("[\"numeric_match\"]", "", "0") == 0.0);
    assert_true(gen("[\"numeric_match\"]", "[invalid]", "0") == 0.0);
    assert_true(gen("[\"numeric_match\"]", "nan", "nan") == 0.0);
    /* rel_tol 0.01: |101 - 100| = 1 <= 0.01·100 */
    assert_true(gen("[{\"metric\":\"numeric_match\",\"rel_tol\":0.01}]", "101", "100") == 1.0);
    assert_true(gen("[{\"metric\":\"numeric_match\",\"rel_tol\":0.01}]", "102", "100") == 0.0);
    double v;
    assert_true(metric_parse_number("$ 1,000", &v) && v == 1000.0);
    assert_false(metric_parse_number("0x10", &v));
}

static void test_metric_token_f1_squad(void **state)
{
    (void)state;
    /* articles and case vanish: (cat sat on mat) vs (cat sat on mat) = 1 */
    assert_near(metric_token_f1("The cat sat on the mat", "a cat sat on a mat"), 1.0, EPS);
    /* (cat sat) vs (cat sat on mat): same 2, P 1, R 0.5, F1 = 2·0.5/1.5 = 2/3 */
    assert_near(metric_token_f1("cat sat", "the cat sat on the mat"), 2.0 / 3.0, EPS);
    /* punctuation removed: hello world == hello world */
    assert_near(metric_token_f1("Hello, world!", "hello world"), 1.0, EPS);
    /* multisets: (x x y) vs (x y y): common x1 y1 = 2; P = R = 2/3 -> 2/3 */
    assert_near(metric_token_f1("x x y", "x y y"), 2.0 / 3.0, EPS);
    /* empty: both empty -> 1; "a" normalises to nothing -> both empty -> 1 */
    assert_near(metric_token_f1("", ""), 1.0, EPS);
    assert_near(metric_token_f1("", "a"), 1.0, EPS);
    assert_near(metric_token_f1("", "cat"), 0.0, EPS);
    assert_near(metric_token_f1("dog", "cat"), 0.0, EPS);
    /* "another" is not an article */
    assert_near(metric_token_f1("another", "another"), 1.0, EPS);
    /* max over targets: dog -> 0, "cat sat" -> P 1 R 0.5 -> 2/3 */
    metric_spec *s = spec_from("[\"token_f1\"]");
    const char *t[2] = { "dog", "cat sat" };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_score_generation(s, "cat", t, 2, item, err), TT_OK);
    assert_near(item[0], 2.0 / 3.0, EPS);
    metric_specs_free(s, 1);
}

static void test_metric_rouge_l(void **state)
{
    (void)state;
    /* (the cat sat) vs (the cat was sitting): LCS 2, P 2/3, R 1/2,
     * F = 2·(1/3)/(7/6) = 4/7 */
    assert_near(metric_rouge_l("the cat sat", "the cat was sitting"), 4.0 / 7.0, EPS);
    /* (a b c d e) vs (a x c y e z): LCS a c e = 3, P 3/5, R 3/6, F = 0.6/1.1 = 6/11 */
    assert_near(metric_rouge_l("a b c d e", "a x c y e z"), 6.0 / 11.0, EPS);
    /* case and punctuation are separators only */
    assert_near(metric_rouge_l("Hello, World!", "hello world"), 1.0, EPS);
    /* rouge_score's tokeniser keeps only [a-z0-9]: Chinese text has no tokens */
    assert_near(metric_rouge_l("北京", "北京"), 0.0, EPS);
    assert_near(metric_rouge_l("", ""), 0.0, EPS);
    assert_near(gen("[\"rouge_l\"]", "the cat sat", "the cat was sitting"), 4.0 / 7.0, EPS);
}

static void expect_tok(const char *in, const char *want)
{
    char *t = metric_bleu_tokenize_13a(in);
    if (strcmp(t, want) != 0) fail_msg("13a(\"%s\") = \"%s\", want \"%s\"", in, t, want);
    free(t);
}

static void test_metric_bleu_tokenize_13a(void **state)
{
    (void)state;
    expect_tok("Hello, world!", "Hello , world !");
    /* '$' split off; "3.50" kept (digits both sides); ", " and final "." split */
    expect_tok("It costs $3.50, ok.", "It costs $ 3.50 , ok .");
    /* dash split only after a digit */
    expect_tok("well-known 1990-2000", "well-known 1990 - 2000");
    expect_tok("&quot;hi&quot; &amp; you", "\" hi \" & you");
    expect_tok("a<skipped>b", "ab");
    expect_tok("x-\ny\nz", "xy z");
    expect_tok("3.14,2", "3.14,2");
    /* "d." matched, then the second "." (its left char consumed) by pass 3 */
    expect_tok("end..", "end . .");
    expect_tok("don't", "don't");
    expect_tok("  ", "");
    expect_tok("北京，你好。", "北京，你好。");
}

static void test_metric_bleu_stats_and_corpus(void **state)
{
    (void)state;
    double it[2][STATS_ITEM_MAX];
    const char *r1 = "the cat is on the mat";
    metric_bleu_stats("the cat sat on the mat", &r1, 1, it[0]);
    /* 1-grams: clipped the2 cat on mat = 5 / 6; 2-grams: the-cat on-the the-mat
     * = 3 / 5; 3-grams: on-the-mat = 1 / 4; 4-grams: 0 / 3 */
    double want0[10] = { 6, 6, 5, 3, 1, 0, 6, 5, 4, 3 };
    for (int k = 0; k < 10; k++) assert_true(it[0][k] == want0[k]);
    /* exp smoothing: p4 = 100/(2·3); BLEU = (500/6 · 60 · 25 · 100/6)^(1/4), BP 1 */
    double b1 = pow((500.0 / 6) * 60.0 * 25.0 * (100.0 / 6), 0.25);
    assert_near(stats_value(STATS_BLEU, it[0], 1), b1, 1e-9);
    assert_near(b1, 37.991784282579626, 1e-9);

    const char *r2 = "hello there general kenobi";
    metric_bleu_stats("hello there", &r2, 1, it[1]);
    double want1[10] = { 2, 4, 2, 1, 0, 0, 2, 1, 0, 0 };
    for (int k = 0; k < 10; k++) assert_true(it[1][k] == want1[k]);
    /* corpus: sys 8, ref 10, matches (7,4,1,0), totals (8,6,4,3):
     * p = 87.5, 400/6, 25, 100/(2·3); BP = exp(1 − 10/8) */
    double corpus = exp(1.0 - 10.0 / 8.0) * pow(87.5 * (400.0 / 6) * 25.0 * (100.0 / 6), 0.25);
    assert_near(stats_value(STATS_BLEU, &it[0][0], 2), corpus, 1e-9);

    /* a one-token corpus has no 2-grams: sacrebleu stops, score 0 */
    const char *hi = "hi";
    double one[STATS_ITEM_MAX];
    metric_bleu_stats("hi", &hi, 1, one);
    assert_near(stats_value(STATS_BLEU, one, 1), 0.0, 1e-12);
    /* nothing matches: lm-eval's bleu aggregation is sacrebleu.corpus_bleu(...)
     * .score (lm_eval/api/metrics.py), and sacrebleu >= 2.0's compute_bleu
     * returns 0.0 when no n-gram matches, before any smoothing; "exp"
     * smoothing would have given (100/10 · 100/16 · 100/24 · 100/32)^(1/4) */
    const char *rz = "a b c d e";
    metric_bleu_stats("v w x y z", &rz, 1, one);
    assert_true(one[2] == 0 && one[3] == 0 && one[4] == 0 && one[5] == 0);
    assert_true(one[6] == 5 && one[7] == 4 && one[8] == 3 && one[9] == 2);
    assert_true(stats_value(STATS_BLEU, one, 1) == 0.0);
    /* one unigram match is enough for the smoothed score: correct (1,0,0,0),
     * totals (5,4,3,2): p = 20, 100/(2·4), 100/(4·3), 100/(8·2), BP 1 */
    const char *r1m = "v b c d e";
    metric_bleu_stats("v w x y z", &r1m, 1, one);
    assert_near(stats_value(STATS_BLEU, one, 1), pow(20.0 * 12.5 * (100.0 / 12) * 6.25, 0.25), 1e-9);
    /* empty hypothesis: BP 0 */
    metric_bleu_stats("", &hi, 1, one);
    assert_near(stats_value(STATS_BLEU, one, 1), 0.0, 1e-12);

    /* closest reference length: hyp 6, refs 5 and 7 tie -> the shorter, 5 */
    const char *refs[2] = { "a b c d e", "a b c d e f g" };
    metric_bleu_stats("a b c d e f", refs, 2, one);
    assert_true(one[1] == 5.0);
    /* max count over references: hyp "a a a", refs "a" and "a a" -> clip 2 */
    const char *refs2[2] = { "a", "a a" };
    metric_bleu_stats("a a a", refs2, 2, one);
    assert_true(one[2] == 2.0);
    assert_true(one[3] == 1.0);   /* "a a" occurs twice in hyp, once in ref 2 */
}

static void test_metric_bleu_generation_path(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"bleu\"]");
    assert_int_equal(s->agg, STATS_BLEU);
    assert_int_equal(metric_item_width(s), 10);
    const char *t[1] = { "The cat is on the mat." };
    double item[STATS_ITEM_MAX];
    char err[TT_ERR_SIZE];
    /* tokenised: "The cat sat on the mat ." vs "The cat is on the mat .":
     * 1-grams 6/7 (The cat on the mat .), 2-grams 4/6 (The-cat on-the the-mat mat-.),
     * 3-grams 2/5 (on-the-mat the-mat-.), 4-grams 1/4 (on-the-mat-.) */
    assert_int_equal(metric_score_generation(s, "The cat sat on the mat.", t, 1, item, err), TT_OK);
    double want[10] = { 7, 7, 6, 4, 2, 1, 7, 6, 5, 4 };
    for (int k = 0; k < 10; k++) assert_true(item[k] == want[k]);
    double b = pow((600.0 / 7) * (400.0 / 6) * 40.0 * 25.0, 0.25);
    assert_near(metric_item_display(s, item), b, 1e-9);
    metric_specs_free(s, 1);
}

/* The direct-comparison and the sorting n-gram counters agree, on short
 * sentences and on ones long enough (> 256 tokens) for the automatic choice
 * to sort; the Python reference covers the short (direct) path. */
static void test_metric_bleu_counting_methods_agree(void **state)
{
    (void)state;
    static const char *const vocab[] = { "a", "b", "c", "the", "cat", "1", "." };
    tt_rng r;
    tt_rng_seed(&r, 3);
    for (int iter = 0; iter < 60; iter++) {
        int nw[3];
        tt_buf b[3];
        for (int k = 0; k < 3; k++) {
            tt_buf_init(&b[k]);
            nw[k] = iter < 40 ? (int)tt_rng_below(&r, 30) : 100 + (int)tt_rng_below(&r, 200);
            for (int w = 0; w < nw[k]; w++) {
                tt_buf_puts(&b[k], vocab[tt_rng_below(&r, 7)]);
                tt_buf_puts(&b[k], " ");
            }
            tt_buf_puts(&b[k], "");
        }
        const char *refs[2] = { tt_buf_str(&b[1]), tt_buf_str(&b[2]) };
        double d[STATS_ITEM_MAX], q[STATS_ITEM_MAX], a[STATS_ITEM_MAX];
        metric_bleu_stats_method(tt_buf_str(&b[0]), refs, 2, d, 1);
        metric_bleu_stats_method(tt_buf_str(&b[0]), refs, 2, q, 2);
        metric_bleu_stats(tt_buf_str(&b[0]), refs, 2, a);
        for (int k = 0; k < 10; k++) {
            if (d[k] != q[k] || d[k] != a[k]) fail_msg("iter %d column %d: direct %g sort %g auto %g", iter, k, d[k], q[k], a[k]);
        }
        for (int k = 0; k < 3; k++) tt_buf_free(&b[k]);
    }
}

/* ---- loglikelihood and rolling --------------------------------------------- */

static void test_metric_loglikelihood_and_rolling(void **state)
{
    (void)state;
    metric_spec *d = NULL;
    int n = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_spec_defaults("loglikelihood_rolling", &d, &n, err), TT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(d[0].name, "word_perplexity");
    assert_string_equal(d[2].name, "bits_per_byte");
    double item[STATS_ITEM_MAX];
    /* words = pieces of re.split(r"\s+"): "hello world foo" -> 3 */
    assert_int_equal(metric_score_rolling(&d[0], -6.0, "hello world foo", item, err), TT_OK);
    assert_true(item[0] == -6.0 && item[1] == 3.0);
    /* " a  b " -> ['', 'a', 'b', ''] = 4; "" -> [''] = 1 */
    metric_score_rolling(&d[0], -1.0, " a  b ", item, err);
    assert_true(item[1] == 4.0);
    metric_score_rolling(&d[0], -1.0, "", item, err);
    assert_true(item[1] == 1.0);
    /* U+3000 separates words: "北京\u3000上海" -> 2 */
    metric_score_rolling(&d[0], -1.0, "北京\xe3\x80\x80上海", item, err);
    assert_true(item[1] == 2.0);
    /* bytes: "héllo" is 6 UTF-8 bytes */
    assert_int_equal(metric_score_rolling(&d[1], -2.0, "héllo", item, err), TT_OK);
    assert_true(item[1] == 6.0);
    /* bits_per_byte of ll = −6·ln2 over 6 bytes = 1 bit per byte */
    double rows[2] = { 0, 0 };
    metric_score_rolling(&d[2], -6.0 * log(2.0), "héllo", rows, err);
    assert_near(stats_value(d[2].agg, rows, 1), 1.0, EPS);
    assert_int_equal(metric_score_rolling(&d[0], -1.0, "x", item, err), TT_OK);
    metric_specs_free(d, n);

    assert_int_equal(metric_spec_defaults("loglikelihood", &d, &n, err), TT_OK);
    assert_string_equal(d[0].name, "perplexity");
    assert_int_equal(metric_score_loglikelihood(&d[0], -1.5, 0, item, err), TT_OK);
    assert_true(item[0] == -1.5);
    assert_int_equal(metric_score_loglikelihood(&d[1], -1.5, 1, item, err), TT_OK);
    assert_true(item[0] == 1.0);   /* acc = is_greedy */
    assert_int_equal(metric_score_loglikelihood(&d[1], -1.5, -1, item, err), TT_OK);
    assert_true(isnan(item[0]));   /* unknown is_greedy: no value, never counted as greedy */
    assert_int_equal(metric_score_loglikelihood(&d[0], -1.5, -1, item, err), TT_OK);
    assert_true(item[0] == -1.5);  /* perplexity does not need it */
    assert_int_equal(metric_score_rolling(&d[0], -1.0, "x", item, err), TT_ERR_UNSUPPORTED);
    metric_specs_free(d, n);
}

/* ---- cross-check against tests/unit/ref/scoring_ref.py -------------------- */

static json_t *load_ref_rows(char **path_out)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *path = tt_path_join(src ? src : ".", "tests/unit/data/scoring_ref.jsonl");
    char *text = NULL;
    size_t len = 0;
    char err[TT_ERR_SIZE];
    if (tt_read_file(path, &text, &len, err)) fail_msg("%s", err);
    json_t *rows = json_array();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *r = json_loads(line, 0, &jerr);
        if (!r) fail_msg("%s: %s", path, jerr.text);
        json_array_append_new(rows, r);
    }
    free(text);
    *path_out = path;
    return rows;
}

/* Python's own re / str methods computed these (see the script); C must
 * agree on every row: 13a tokens exactly, scores to 1e-9. */
static void test_metric_python_reference(void **state)
{
    (void)state;
    char *path;
    json_t *rows = load_ref_rows(&path);
    size_t i;
    json_t *r;
    int counts[6] = { 0 };
    json_array_foreach(rows, i, r) {
        const char *fn = json_string_value(json_object_get(r, "fn"));
        double want = json_number_value(json_object_get(r, "score"));
        char err[TT_ERR_SIZE];
        if (strcmp(fn, "tok13a") == 0) {
            const char *in = json_string_value(json_object_get(r, "in"));
            char *got = metric_bleu_tokenize_13a(in);
            const char *exp = json_string_value(json_object_get(r, "out"));
            if (strcmp(got, exp) != 0) fail_msg("%s row %zu: 13a(%s) = '%s', want '%s'", path, i + 1, in, got, exp);
            free(got);
            counts[0]++;
        } else if (strcmp(fn, "bleu") == 0) {
            json_t *hyps = json_object_get(r, "hyps"), *refs = json_object_get(r, "refs");
            size_t n = json_array_size(hyps);
            double *items = calloc(n * 10, sizeof(double));
            metric_spec *s = spec_from("[\"bleu\"]");
            for (size_t k = 0; k < n; k++) {
                json_t *rk = json_array_get(refs, k);
                int nr = (int)json_array_size(rk);
                const char *rs[4];
                for (int q = 0; q < nr && q < 4; q++) rs[q] = json_string_value(json_array_get(rk, (size_t)q));
                assert_int_equal(metric_score_generation(s, json_string_value(json_array_get(hyps, k)), rs, nr,
                                                         items + 10 * k, err), TT_OK);
            }
            double v, se;
            stats_opts o = { 0, 1, STATS_RNG_LMEVAL };
            assert_int_equal(stats_aggregate(STATS_BLEU, items, n, &o, &v, &se, err), TT_OK);
            if (fabs(v - want) > 1e-9) fail_msg("%s row %zu: bleu %.12g, want %.12g", path, i + 1, v, want);
            metric_specs_free(s, 1);
            free(items);
            counts[1]++;
        } else if (strcmp(fn, "token_f1") == 0 || strcmp(fn, "rouge_l") == 0) {
            const char *p = json_string_value(json_object_get(r, "pred"));
            const char *t = json_string_value(json_object_get(r, "ref"));
            int f1 = fn[0] == 't';
            double got = f1 ? metric_token_f1(p, t) : metric_rouge_l(p, t);
            if (fabs(got - want) > 1e-9)
                fail_msg("%s row %zu: %s('%s', '%s') = %.12g, want %.12g", path, i + 1, fn, p, t, got, want);
            counts[f1 ? 2 : 3]++;
        } else if (strcmp(fn, "exact_match") == 0) {
            json_t *opts = json_deep_copy(json_object_get(r, "opts"));
            json_object_set_new(opts, "metric", json_string("exact_match"));
            json_t *arr = json_array();
            json_array_append_new(arr, opts);
            metric_spec *s;
            int n;
            if (metric_spec_parse(arr, &s, &n, err)) fail_msg("%s", err);
            const char *t = json_string_value(json_object_get(r, "ref"));
            double item[STATS_ITEM_MAX];
            metric_score_generation(s, json_string_value(json_object_get(r, "pred")), &t, 1, item, err);
            if (item[0] != want) fail_msg("%s row %zu: exact_match %g, want %g", path, i + 1, item[0], want);
            metric_specs_free(s, n);
            json_decref(arr);
            counts[4]++;
        } else if (strcmp(fn, "words") == 0) {
            metric_spec *d;
            int n;
            metric_spec_defaults("loglikelihood_rolling", &d, &n, err);
            double item[STATS_ITEM_MAX];
            metric_score_rolling(&d[0], -1, json_string_value(json_object_get(r, "in")), item, err);
            if (item[1] != want) fail_msg("%s row %zu: words %g, want %g", path, i + 1, item[1], want);
            metric_specs_free(d, n);
            counts[5]++;
        }
    }
    for (int k = 0; k < 6; k++) assert_true(counts[k] >= 20);
    json_decref(rows);
    free(path);
}

/* Hostile input: random bytes (invalid UTF-8, control bytes, lone
 * continuation bytes) through every generation metric, the tokeniser and
 * the filters must neither crash nor produce out-of-range scores (run under
 * ASan+UBSan in the sanitizer build). */
static void test_metric_random_bytes_are_safe(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[\"exact_match\", \"contains\", \"numeric_match\", \"token_f1\", "
                               "\"rouge_l\", \"bleu\"]");
    tt_rng r;
    tt_rng_seed(&r, 7);
    char a[64], b[64];
    static const char alphabet[] = "a .,-$0\n\xe3\x80\x80\xc2\xa0\xff\x80&#";
    char err[TT_ERR_SIZE];
    for (int iter = 0; iter < 2000; iter++) {
        size_t na = tt_rng_below(&r, 63), nb = tt_rng_below(&r, 63);
        for (size_t i = 0; i < na; i++)
            a[i] = iter % 2 ? (char)(1 + tt_rng_below(&r, 255)) : alphabet[tt_rng_below(&r, sizeof alphabet - 1)];
        for (size_t i = 0; i < nb; i++)
            b[i] = iter % 2 ? (char)(1 + tt_rng_below(&r, 255)) : alphabet[tt_rng_below(&r, sizeof alphabet - 1)];
        a[na] = b[nb] = '\0';
        const char *t[2] = { b, a };
        for (int k = 0; k < 6; k++) {
            double item[STATS_ITEM_MAX];
            assert_int_equal(metric_score_generation(&s[k], a, t, 2, item, err), TT_OK);
            double v = metric_item_display(&s[k], item);
            if (!(v >= 0 && v <= (k == 5 ? 100.0 : 1.0) + 1e-9)) fail_msg("iter %d metric %s: %g", iter, s[k].name, v);
        }
    }
    metric_specs_free(s, 6);
}

/* ---- parsing ---------------------------------------------------------------- */

static void expect_spec_error(const char *json, const char *needle)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    metric_spec *s = NULL;
    int n = 0;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(metric_spec_parse(j, &s, &n, err), TT_ERR_PARSE);
    assert_null(s);
    if (!strstr(err, needle)) fail_msg("error '%s' lacks '%s'", err, needle);
    json_decref(j);
}

static void test_metric_spec_parse_fields_and_errors(void **state)
{
    (void)state;
    metric_spec *s = spec_from("[{\"metric\":\"exact_match\",\"aggregation\":\"mean\",\"higher_is_better\":true,"
                               "\"ignore_case\":true,\"regexes_to_ignore\":[\",\",\"\\\\$\"]}]");
    assert_int_equal(s->kind, METRIC_EXACT_MATCH);
    assert_int_equal(s->ignore_case, 1);
    assert_int_equal(s->n_ignore, 2);
    metric_specs_free(s, 1);
    s = spec_from("[{\"metric\":\"acc\",\"aggregation\":\"median\"}]");
    assert_int_equal(s->agg, STATS_MEDIAN);
    metric_specs_free(s, 1);
    s = spec_from("[\"perplexity\"]");
    assert_int_equal(s->higher_is_better, 0);
    assert_int_equal(s->agg, STATS_PERPLEXITY);
    metric_specs_free(s, 1);
    s = spec_from("[\"squad_f1\"]");
    assert_int_equal(s->kind, METRIC_TOKEN_F1);
    metric_specs_free(s, 1);

    expect_spec_error("[\"acc\", \"acc_nrom\"]", "metrics[1]: unknown metric 'acc_nrom'");
    expect_spec_error("[{\"metric\":\"acc\",\"aggregation\":\"bleu\"}]", "does not fit");
    expect_spec_error("[{\"metric\":\"acc\",\"aggregation\":\"avg\"}]", "unknown aggregation 'avg'");
    expect_spec_error("[{\"metric\":\"acc\",\"ignore_case\":true}]", "unknown field 'ignore_case'");
    expect_spec_error("[{\"metric\":\"exact_match\",\"ignore_case\":1}]", "must be true or false");
    /* re.compile(r"\p{L}") fails in Python ("bad escape \p"): so here */
    expect_spec_error("[{\"metric\":\"exact_match\",\"regexes_to_ignore\":[\"\\\\p{L}\"]}]",
                      "regexes_to_ignore[0]: regex '\\p{L}': bad escape \\p");
    expect_spec_error("[\"acc\", \"acc\"]", "listed twice");
    expect_spec_error("[42]", "metrics[0]: must be");
    expect_spec_error("{}", "must be an array");
    expect_spec_error("[]", "empty");

    metric_spec *d;
    int n;
    char err[TT_ERR_SIZE];
    assert_int_equal(metric_spec_defaults("multiple_choice", &d, &n, err), TT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(d[1].name, "acc_norm");
    metric_specs_free(d, n);
    assert_int_equal(metric_spec_defaults("generate_until", &d, &n, err), TT_OK);
    assert_string_equal(d[0].name, "exact_match");
    metric_specs_free(d, n);
    assert_int_equal(metric_spec_defaults("essay", &d, &n, err), TT_ERR_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_acc_argmax_and_ties),
        cmocka_unit_test(test_metric_acc_gold_list),
        cmocka_unit_test(test_metric_acc_norm_cjk_codepoints),
        cmocka_unit_test(test_metric_acc_norm_empty_choice),
        cmocka_unit_test(test_metric_acc_mutual_info),
        cmocka_unit_test(test_metric_exact_match_mc_is_greedy),
        cmocka_unit_test(test_metric_mc2_truthfulqa),
        cmocka_unit_test(test_metric_brier_score),
        cmocka_unit_test(test_metric_f1_mcc_items),
        cmocka_unit_test(test_metric_kind_mismatch),
        cmocka_unit_test(test_metric_exact_match_table),
        cmocka_unit_test(test_metric_exact_match_multiple_targets),
        cmocka_unit_test(test_metric_contains),
        cmocka_unit_test(test_metric_numeric_match),
        cmocka_unit_test(test_metric_token_f1_squad),
        cmocka_unit_test(test_metric_rouge_l),
        cmocka_unit_test(test_metric_bleu_tokenize_13a),
        cmocka_unit_test(test_metric_bleu_stats_and_corpus),
        cmocka_unit_test(test_metric_bleu_generation_path),
        cmocka_unit_test(test_metric_bleu_counting_methods_agree),
        cmocka_unit_test(test_metric_loglikelihood_and_rolling),
        cmocka_unit_test(test_metric_spec_parse_fields_and_errors),
        cmocka_unit_test(test_metric_python_reference),
        cmocka_unit_test(test_metric_random_bytes_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
