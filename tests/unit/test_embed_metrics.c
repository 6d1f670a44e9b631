/*
 * test_embed_metrics.c — judges/embed_metrics.c against values worked out
 * by hand from MTEB's definitions (mteb/evaluation/evaluators/
 * STSEvaluator.py: scipy pearsonr/spearmanr; PairClassificationEvaluator.py:
 * find_best_acc_and_threshold, find_best_f1_and_threshold, sklearn's
 * average_precision_score; RetrievalEvaluator via pytrec_eval ndcg_cut,
 * recall, and MTEB's mrr):
 *
 *   cosine [1,0,1]·[1,1,0] = 1 / (√2·√2) = 0.5
 *   pearson x=[1,2,3] y=[1,2,4]: deviations [-1,0,1], [-4/3,-1/3,5/3];
 *     Σdxdy = 3, Σdx² = 2, Σdy² = 14/3, r = 3/√(28/3) = √(27/28)
 *   spearman x=[1,2,2,4] y=[1,3,2,4]: ranks [1,2.5,2.5,4], [1,3,2,4];
 *     Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5, r = 4.5/√22.5 = 3/√10
 *   pairs scores [.9,.8,.7,.6,.5] labels [1,0,1,0,0] (3 negatives):
 *     accuracy after row 0: (1 + 3)/5 = 0.8 at (.9+.8)/2 = .85 (row 2
 *     gives 0.8 again: not better); F1 after row 2: P = 2/3, R = 1,
 *     F1 = 0.8 at (.7+.6)/2 = .65; AP = .5·1 + .5·(2/3) = 5/6
 *   AP with a tie: scores [.9,.9,.1] labels [1,0,1]: threshold .9 gives
 *     P = 1/2, R = 1/2; .1 gives P = 2/3, R = 1: .25 + 1/3 = 7/12
 *   retrieval scores [.1,.9,.5,.7,.3] grades [0,1,0,2,1]: ranking d1 d3 d2
 *     d4 d0, gains 1 2 0 1 0: DCG = 1 + 2/log2 3 + 1/log2 5; ideal 2 1 1:
 *     IDCG = 2 + 1/log2 3 + 1/log2 4; nDCG@10 = 0.8599797111848092;
 *     MRR@10 = 1; recall@1 = 1/3, @5 = @10 = 1
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "judges/embed_metrics.h"

#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static void test_cosine_and_correlations(void **state)
{
    (void)state;
    const float a[] = {1, 0, 1}, b[] = {1, 1, 0}, z[] = {0, 0, 0};
    assert_double_equal(embed_cosine(a, b, 3), 0.5, 1e-12);
    assert_double_equal(embed_cosine(a, z, 3), 0.0, 0);
    const double x[] = {1, 2, 3}, y[] = {1, 2, 4};
    assert_double_equal(embed_pearson(x, y, 3), sqrt(27.0 / 28.0), 1e-12);
    const double sx[] = {1, 2, 2, 4}, sy[] = {1, 3, 2, 4};
    assert_double_equal(embed_spearman(sx, sy, 4), 3.0 / sqrt(10.0), 1e-12);
    /* a constant side has no correlation; one pair has none either */
    const double c[] = {2, 2, 2};
    assert_true(isnan(embed_pearson(x, c, 3)));
    assert_true(isnan(embed_spearman(x, y, 1)));
    /* Spearman is Pearson of the ranks: a monotone map gives 1 */
    const double m[] = {1, 8, 27};
    assert_double_equal(embed_spearman(x, m, 3), 1.0, 1e-12);
}

static void test_pair_classification(void **state)
{
    (void)state;
    const double s[] = {0.9, 0.8, 0.7, 0.6, 0.5};
    const int l[] = {1, 0, 1, 0, 0};
    embed_pair_result r;
    embed_pair_classify(s, l, 5, &r);
    assert_double_equal(r.accuracy, 0.8, 1e-12);
    assert_double_equal(r.accuracy_threshold, 0.85, 1e-12);
    assert_double_equal(r.f1, 0.8, 1e-12);
    assert_double_equal(r.precision, 2.0 / 3.0, 1e-12);
    assert_double_equal(r.recall, 1.0, 1e-12);
    assert_double_equal(r.f1_threshold, 0.65, 1e-12);
    assert_double_equal(r.ap, 5.0 / 6.0, 1e-12);
    /* the order of the input does not matter */
    const double s2[] = {0.5, 0.7, 0.9, 0.6, 0.8};
    const int l2[] = {0, 1, 1, 0, 0};
    embed_pair_result r2;
    embed_pair_classify(s2, l2, 5, &r2);
    assert_double_equal(r2.ap, r.ap, 1e-12);
    assert_double_equal(r2.f1, r.f1, 1e-12);
    /* ties share one threshold in AP */
    const double t[] = {0.9, 0.9, 0.1};
    const int tl[] = {1, 0, 1};
    embed_pair_classify(t, tl, 3, &r);
    assert_double_equal(r.ap, 7.0 / 12.0, 1e-12);
    /* no positive pair: AP undefined */
    const int none[] = {0, 0, 0};
    embed_pair_classify(t, none, 3, &r);
    assert_true(isnan(r.ap));
}

static void test_retrieval_query(void **state)
{
    (void)state;
    const double s[] = {0.1, 0.9, 0.5, 0.7, 0.3}, g[] = {0, 1, 0, 2, 1};
    embed_retrieval_result r;
    assert_int_equal(embed_retrieval_query(s, g, 5, &r), 0);
    assert_double_equal(r.ndcg_at_10, 0.8599797111848092, 1e-12);
    assert_double_equal(r.mrr_at_10, 1.0, 0);
    assert_double_equal(r.recall_at_1, 1.0 / 3.0, 1e-12);
    assert_double_equal(r.recall_at_5, 1.0, 0);
    assert_double_equal(r.recall_at_10, 1.0, 0);
    /* the first relevant document third: MRR 1/3, nDCG 1/log2(4) = 0.5 */
    const double s3[] = {0.9, 0.8, 0.7}, g3[] = {0, 0, 1};
    assert_int_equal(embed_retrieval_query(s3, g3, 3, &r), 0);
    assert_double_equal(r.mrr_at_10, 1.0 / 3.0, 1e-12);
    assert_double_equal(r.ndcg_at_10, 0.5, 1e-12);
    assert_double_equal(r.recall_at_1, 0.0, 0);
    /* no relevant document: the query is left out */
    const double g0[] = {0, 0, 0};
    assert_int_equal(embed_retrieval_query(s3, g0, 3, &r), -1);
}

/* The bootstrap of a mean approaches the closed-form standard error
 * sd/√n: for the values 0..99, sd = √(Σ(x−49.5)²/99) = 29.011, so
 * stderr ≈ 2.9011; 4000 resamples land within 5%. */
static double mean_of(void *ctx, const size_t *idx, size_t n)
{
    const double *v = ctx;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[idx[i]];
    return s / (double)n;
}

static void test_bootstrap(void **state)
{
    (void)state;
    double v[100];
    for (int i = 0; i < 100; i++) v[i] = i;
    double se = embed_bootstrap_stderr(mean_of, v, 100, 4000, 1234);
    assert_true(fabs(se - 2.9011491975882016) < 0.05 * 2.9011491975882016);
    /* same seed, same value; too few rows or resamples: none */
    assert_double_equal(embed_bootstrap_stderr(mean_of, v, 100, 4000, 1234), se, 0);
    assert_true(isnan(embed_bootstrap_stderr(mean_of, v, 1, 100, 1)));
    assert_true(isnan(embed_bootstrap_stderr(mean_of, v, 100, 1, 1)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cosine_and_correlations),
        cmocka_unit_test(test_pair_classification),
        cmocka_unit_test(test_retrieval_query),
        cmocka_unit_test(test_bootstrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
