/*
 * test_classify_metrics.c — judges/classify_metrics.c against values worked
 * out by hand from scikit-learn's definitions (sklearn.metrics
 * precision_recall_fscore_support with zero_division=0, roc_auc_score,
 * average_precision_score):
 *
 *   pred [1,0,1,0] labels [1,1,0,0]: tp 1, fp 1, fn 1: P = R = F1 = 1/2
 *   nothing predicted positive: P = 0 (zero_division), R = 0, F1 = 0
 *   scores [.9,.8,.8,.3] labels [1,1,0,0]: positive-negative pairs
 *     (.9,.8) 1, (.9,.3) 1, (.8,.8) 1/2, (.8,.3) 1: AUROC = 3.5/4 = 0.875;
 *     AP: threshold .9 gives P 1, R 1/2; .8 (a tie of one positive and one
 *     negative) gives P 2/3, R 1: 1/2 + 1/2·2/3 = 5/6
 *   one class only: AUROC undefined; no positive: AP undefined
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "judges/classify_metrics.h"

#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static void test_prf(void **state)
{
    (void)state;
    const int pred[] = {1, 0, 1, 0}, lab[] = {1, 1, 0, 0}, none[] = {0, 0, 0, 0};
    classify_prf p;
    classify_prf_compute(pred, lab, 4, &p);
    assert_double_equal(p.precision, 0.5, 1e-12);
    assert_double_equal(p.recall, 0.5, 1e-12);
    assert_double_equal(p.f1, 0.5, 1e-12);
    assert_int_equal(p.tp, 1);
    assert_int_equal(p.tn, 1);
    classify_prf_compute(none, lab, 4, &p);
    assert_double_equal(p.precision, 0, 0);
    assert_double_equal(p.f1, 0, 0);
}

static void test_auroc_and_ap(void **state)
{
    (void)state;
    const double s[] = {0.9, 0.8, 0.8, 0.3};
    const int lab[] = {1, 1, 0, 0};
    assert_double_equal(classify_auroc(s, lab, 4), 0.875, 1e-12);
    assert_double_equal(classify_average_precision(s, lab, 4), 5.0 / 6.0, 1e-12);
    /* a perfect ranking: 1 and 1; reversed: AUROC 0 */
    const double good[] = {0.9, 0.8, 0.2, 0.1}, bad[] = {0.1, 0.2, 0.8, 0.9};
    assert_double_equal(classify_auroc(good, lab, 4), 1.0, 0);
    assert_double_equal(classify_average_precision(good, lab, 4), 1.0, 0);
    assert_double_equal(classify_auroc(bad, lab, 4), 0.0, 0);
    const int ones[] = {1, 1, 1, 1}, zeros[] = {0, 0, 0, 0};
    assert_true(isnan(classify_auroc(s, ones, 4)));
    assert_true(isnan(classify_average_precision(s, zeros, 4)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf),
        cmocka_unit_test(test_auroc_and_ap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
