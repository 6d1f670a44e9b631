/*
 * test_stats.c — stats.c: aggregations, the closed-form stderr of the mean,
 * bootstrap stderr (determinism, the bleu cap, statistical agreement with
 * the closed form), which aggregations report N/A, and group pooling as
 * lm-eval computes it (lm_eval/api/metrics.py stderr functions). Expected values worked out by hand in
 * the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "judges/metrics.h"
#include "core/pyrandom.h"
#include "judges/stats.h"
#include "core/util.h"

#define EPS 1e-12

/* |a − b| <= eps, with both values in the failure message. */
#define assert_near(a, b, eps)                                                              \
    do {                                                                                  \
        double a_ = (a), b_ = (b);                                                        \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.17g, want %.17g", #a, a_, b_);      \
    } while (0)

static void test_stats_mean_and_stderr(void **state)
{
    (void)state;
    /* x = 1 0 1 1: mean 0.75; Σ(x−x̄)² = 3·0.0625 + 0.5625 = 0.75;
     * sample var 0.75/3 = 0.25; stderr sqrt(0.25/4) = 0.25 */
    double x[4] = { 1, 0, 1, 1 };
    double v, se;
    char err[TT_ERR_SIZE];
    assert_int_equal(stats_aggregate(STATS_MEAN, x, 4, NULL, &v, &se, err), TT_OK);
    assert_near(v, 0.75, EPS);
    assert_near(se, 0.25, EPS);
    /* one sample: stderr N/A */
    assert_int_equal(stats_aggregate(STATS_MEAN, x, 1, NULL, &v, &se, err), TT_OK);
    assert_true(isnan(se));
    /* no samples: an error, not a crash */
    assert_int_equal(stats_aggregate(STATS_MEAN, x, 0, NULL, &v, &se, err), TT_ERR_USAGE);
    /* bootstrap_iters 0: every stderr is N/A, the mean's too */
    stats_opts o = { 0, 1, STATS_RNG_LMEVAL };
    assert_int_equal(stats_aggregate(STATS_MEAN, x, 4, &o, &v, &se, err), TT_OK);
    assert_near(v, 0.75, EPS);
    assert_true(isnan(se));
}

static void test_stats_median_nanmean_perplexity(void **state)
{
    (void)state;
    double m[4] = { 5, 1, 3, 2 };   /* sorted 1 2 3 5; sorted[4 // 2] = 3 (upper median) */
    assert_near(stats_value(STATS_MEDIAN, m, 4), 3.0, EPS);
    double m3[3] = { 9, 1, 4 };     /* sorted 1 4 9; sorted[1] = 4 */
    assert_near(stats_value(STATS_MEDIAN, m3, 3), 4.0, EPS);
    double nm[3] = { 1, NAN, 3 };
    assert_near(stats_value(STATS_NANMEAN, nm, 3), 2.0, EPS);
    /* exp(−mean(−1, −2, −3)) = e² */
    double ll[3] = { -1, -2, -3 };
    assert_near(stats_value(STATS_PERPLEXITY, ll, 3), exp(2.0), 1e-12);
    /* weighted: rows (−6, 3) (−4, 2): exp(10/5) = e²; bits_per_byte = 10/5/ln2 */
    double w[4] = { -6, 3, -4, 2 };
    assert_near(stats_value(STATS_WEIGHTED_PERPLEXITY, w, 2), exp(2.0), 1e-12);
    assert_near(stats_value(STATS_BITS_PER_BYTE, w, 2), 2.0 / log(2.0), 1e-12);
    double b[3] = { 0.5, 0.14, 1.34 };
    assert_near(stats_value(STATS_BRIER_SCORE, b, 3), (0.5 + 0.14 + 1.34) / 3, EPS);
}

static void test_stats_f1_mcc(void **state)
{
    (void)state;
    /* gold 1 1 0 0 1, pred 1 0 0 1 1: TP 2, FN 1, FP 1, TN 1
     * F1 = 2·2/(2·2 + 1 + 1) = 2/3
     * MCC = (TP·TN − FP·FN)/sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2 − 1)/sqrt(3·3·2·2) = 1/6 */
    double it[10] = { 1, 1, 1, 0, 0, 0, 0, 1, 1, 1 };
    assert_near(stats_value(STATS_F1, it, 5), 2.0 / 3.0, EPS);
    assert_near(stats_value(STATS_MCC, it, 5), 1.0 / 6.0, EPS);
    /* all predictions equal: MCC denominator 0 -> 0; no positive -> F1 0 */
    double flat[6] = { 0, 0, 1, 0, 0, 0 };
    assert_near(stats_value(STATS_MCC, flat, 3), 0.0, EPS);
    double noneg[4] = { 0, 0, 0, 0 };
    assert_near(stats_value(STATS_F1, noneg, 2), 0.0, EPS);
    /* three classes, perfect: MCC 1 */
    double three[6] = { 0, 0, 1, 1, 2, 2 };
    assert_near(stats_value(STATS_MCC, three, 3), 1.0, EPS);
}

static void test_stats_bootstrap_deterministic_and_capped(void **state)
{
    (void)state;
    double ll[50];
    for (int i = 0; i < 50; i++) ll[i] = -0.1 * (i % 7) - 0.5;
    double v1, se1, v2, se2, se3;
    char err[TT_ERR_SIZE];
    stats_opts o = { 500, 42, STATS_RNG_SEEDED };
    stats_aggregate(STATS_PERPLEXITY, ll, 50, &o, &v1, &se1, err);
    stats_aggregate(STATS_PERPLEXITY, ll, 50, &o, &v2, &se2, err);
    assert_true(se1 == se2);            /* same seed, same numbers */
    assert_true(se1 > 0 && isfinite(se1));
    o.seed = 43;
    stats_aggregate(STATS_PERPLEXITY, ll, 50, &o, &v2, &se3, err);
    assert_true(se3 != se1);
    /* bleu: min(iters, 100) resamples */
    double rows[3][10] = {
        { 6, 6, 5, 3, 1, 0, 6, 5, 4, 3 }, { 2, 4, 2, 1, 0, 0, 2, 1, 0, 0 }, { 4, 4, 4, 3, 2, 1, 4, 3, 2, 1 },
    };
    stats_opts ob = { 1000, 7, STATS_RNG_SEEDED };
    double vb, seb;
    stats_aggregate(STATS_BLEU, &rows[0][0], 3, &ob, &vb, &seb, err);
    assert_true(seb == stats_bootstrap_stderr(STATS_BLEU, &rows[0][0], 3, 100, 7));
    assert_true(seb != stats_bootstrap_stderr(STATS_BLEU, &rows[0][0], 3, 1000, 7));
    ob.rng = STATS_RNG_LMEVAL;
    stats_aggregate(STATS_BLEU, &rows[0][0], 3, &ob, &vb, &seb, err);
    assert_true(seb == stats_bootstrap_stderr_lmeval(STATS_BLEU, &rows[0][0], 3, 100));
}

static void test_stats_bootstrap_agrees_with_closed_form(void **state)
{
    (void)state;
    /* For the mean, the bootstrap estimates sqrt(pop_var/n) = closed form ·
     * sqrt((n−1)/n). With 4000 replicates its relative error is about
     * 1/sqrt(2·4000) ≈ 1.1%; allow 5%. nanmean of data without NaN is the mean. */
    enum { N = 300 };
    double x[N];
    tt_rng r;
    tt_rng_seed(&r, 99);
    for (int i = 0; i < N; i++) x[i] = tt_rng_uniform(&r) < 0.6 ? 1.0 : 0.0;
    double closed = stats_mean_stderr(x, N) * sqrt((N - 1.0) / N);
    double boot = stats_bootstrap_stderr(STATS_NANMEAN, x, N, 4000, 5);
    assert_true(fabs(boot / closed - 1.0) < 0.05);
}

static void test_pyrandom_matches_cpython(void **state)
{
    (void)state;
    /* /usr/bin/python3: random.Random(s).random(), then getrandbits(32) */
    static const struct { uint64_t seed; double first; uint32_t bits; } cases[] = {
        { 0, 0.8444218515250481, 3255389356U },
        { 1, 0.13436424411240122, 3639700191U },
        { 42, 0.6394267984578837, 107420369U },
        { 4294967301ULL, 0.15727238718789782, 1213270837U },   /* 2**32 + 5: two key words */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pyrandom r;
        pyrandom_seed(&r, cases[i].seed);
        assert_true(pyrandom_random(&r) == cases[i].first);
        assert_true(pyrandom_u32(&r) == cases[i].bits);
    }
    /* random.Random(0).choices(range(37), k=5) == [31, 28, 15, 9, 18] */
    pyrandom r;
    pyrandom_seed(&r, 0);
    static const size_t want[5] = { 31, 28, 15, 9, 18 };
    for (int k = 0; k < 5; k++) assert_int_equal(pyrandom_choice_index(&r, 37), want[k]);
}

/* Bootstrap stderrs equal lm-eval's: values from tests/unit/ref/stats_ref.py
 * (CPython's random, lm-eval's chunking and sample_stddev), same data. */
static void test_stats_bootstrap_equals_lmeval(void **state)
{
    (void)state;
    double lls[37], vals[41];
    for (int i = 0; i < 37; i++) lls[i] = -0.1 * (i % 7) - 0.5 - 0.013 * i;
    for (int i = 0; i < 41; i++) vals[i] = (double)((i * 7919) % 101);
    double rows[5][10] = {
        { 6, 6, 5, 3, 1, 0, 6, 5, 4, 3 }, { 2, 4, 2, 1, 0, 0, 2, 1, 0, 0 }, { 4, 4, 4, 3, 2, 1, 4, 3, 2, 1 },
        { 7, 7, 6, 4, 2, 1, 7, 6, 5, 4 }, { 3, 5, 1, 0, 0, 0, 3, 2, 1, 0 },
    };
    assert_near(stats_bootstrap_stderr_lmeval(STATS_PERPLEXITY, lls, 37, 1000), 0.11684259140584563, 1e-14);
    assert_near(stats_bootstrap_stderr_lmeval(STATS_PERPLEXITY, lls, 37, 2500), 0.11890830584690756, 1e-14);
    assert_near(stats_bootstrap_stderr_lmeval(STATS_MEDIAN, vals, 41, 300), 7.86258444238994, 1e-12);
    /* through stats_aggregate: bleu is capped at 100 iterations */
    stats_opts o = stats_opts_default();
    o.bootstrap_iters = 100000;
    double v, se;
    char err[TT_ERR_SIZE];
    assert_int_equal(stats_aggregate(STATS_BLEU, &rows[0][0], 5, &o, &v, &se, err), TT_OK);
    assert_near(se, 14.438652762563136, 1e-11);
}

static void test_stats_no_stderr_aggregations(void **state)
{
    (void)state;
    double w[4] = { -6, 3, -4, 2 }, b[2] = { 0.5, 0.1 };
    double v, se;
    char err[TT_ERR_SIZE];
    stats_aggregate(STATS_WEIGHTED_PERPLEXITY, w, 2, NULL, &v, &se, err);
    assert_true(isnan(se));
    stats_aggregate(STATS_BITS_PER_BYTE, w, 2, NULL, &v, &se, err);
    assert_true(isnan(se));
    stats_aggregate(STATS_BRIER_SCORE, b, 2, NULL, &v, &se, err);
    assert_true(isnan(se));
    assert_near(v, 0.3, EPS);
    assert_false(stats_agg_has_stderr(STATS_BITS_PER_BYTE));
    assert_true(stats_agg_has_stderr(STATS_MEDIAN));
}

static void test_stats_agg_names(void **state)
{
    (void)state;
    for (int i = 0; i < STATS_AGG_COUNT; i++) {
        stats_agg a;
        assert_int_equal(stats_agg_from_name(stats_agg_name((stats_agg)i), &a), TT_OK);
        assert_int_equal(a, i);
    }
    stats_agg a;
    assert_int_equal(stats_agg_from_name("avg", &a), TT_ERR_NOTFOUND);
    assert_int_equal(stats_item_width(STATS_BLEU), 10);
    assert_int_equal(stats_item_width(STATS_MEAN), 1);
}

static void test_stats_group_weighted_and_pooled(void **state)
{
    (void)state;
    /* (0.5, se 0.1, n 10) and (0.8, se 0.05, n 30):
     * weighted = (0.5·10 + 0.8·30)/40 = 29/40 = 0.725; unweighted = 0.65;
     * pooled var = (9·0.01·10 + 29·0.0025·30)/(40 − 2) = 3.075/38;
     * stderr = sqrt(3.075/38/40) */
    stats_subtask s[2] = { { 0.5, 0.1, 10 }, { 0.8, 0.05, 30 } };
    double v, se, count;
    char err[TT_ERR_SIZE];
    assert_int_equal(stats_group(s, 2, 1, &v, &se, &count, err), TT_OK);
    assert_near(v, 0.725, EPS);
    assert_near(se, sqrt(3.075 / 38.0 / 40.0), EPS);
    assert_near(count, 40.0, EPS);
    /* unweighted mean; the stderr still pools with the real sizes */
    assert_int_equal(stats_group(s, 2, 0, &v, &se, &count, err), TT_OK);
    assert_near(v, 0.65, EPS);
    assert_near(se, sqrt(3.075 / 38.0 / 40.0), EPS);
    /* any N/A subtask stderr -> N/A */
    s[1].stderr_ = NAN;
    assert_int_equal(stats_group(s, 2, 1, &v, &se, &count, err), TT_OK);
    assert_true(isnan(se));
    assert_int_equal(stats_group(s, 0, 1, &v, &se, &count, err), TT_ERR_USAGE);
}

static void test_stats_group_matches_pooled_documents(void **state)
{
    (void)state;
    /* Pooling two subtasks' mean-stderrs, lm-eval's formula reduces to
     * sqrt(Σ_i Σ_j (x_ij − x̄_i)² / (N − k) / N): check against that sum. */
    double a[4] = { 1, 0, 1, 1 }, b[6] = { 0, 0, 1, 0, 1, 0 };
    stats_subtask s[2];
    s[0].value = stats_value(STATS_MEAN, a, 4);
    s[0].stderr_ = stats_mean_stderr(a, 4);
    s[0].size = 4;
    s[1].value = stats_value(STATS_MEAN, b, 6);
    s[1].stderr_ = stats_mean_stderr(b, 6);
    s[1].size = 6;
    double v, se, c;
    char err[TT_ERR_SIZE];
    stats_group(s, 2, 1, &v, &se, &c, err);
    /* a: mean .75, SS .75; b: mean 1/3, SS = 4·(1/9) + 2·(4/9) = 12/9 */
    double ss = 0.75 + 12.0 / 9.0;
    assert_near(se, sqrt(ss / (10 - 2) / 10), 1e-12);
    assert_near(v, 5.0 / 10.0, EPS);   /* (3 + 2)/10: the per-document mean */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stats_mean_and_stderr),
        cmocka_unit_test(test_stats_median_nanmean_perplexity),
        cmocka_unit_test(test_stats_f1_mcc),
        cmocka_unit_test(test_stats_bootstrap_deterministic_and_capped),
        cmocka_unit_test(test_stats_bootstrap_agrees_with_closed_form),
        cmocka_unit_test(test_pyrandom_matches_cpython),
        cmocka_unit_test(test_stats_bootstrap_equals_lmeval),
        cmocka_unit_test(test_stats_no_stderr_aggregations),
        cmocka_unit_test(test_stats_agg_names),
        cmocka_unit_test(test_stats_group_weighted_and_pooled),
        cmocka_unit_test(test_stats_group_matches_pooled_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
