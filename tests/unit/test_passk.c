/*
 * test_passk.c — passk.c against values worked out by hand, and the
 * pass@k metric names of judges/metrics.c that task files use:
 *   pass@k = 1 - C(n-c,k)/C(n,k), and 1 when n-c < k.
 *   n=10 c=3 k=1 : 1 - C(7,1)/C(10,1)  = 1 - 7/10    = 3/10
 *   n=10 c=3 k=3 : 1 - C(7,3)/C(10,3)  = 1 - 35/120  = 17/24
 *   n=10 c=3 k=5 : 1 - C(7,5)/C(10,5)  = 1 - 21/252  = 11/12
 *   n=10 c=3 k=10: n-c = 7 < 10                      = 1
 *   n=k=5 c=0    : 1 - C(5,5)/C(5,5)   = 0
 *   n=k=5 c=1    : n-c = 4 < 5                       = 1
 *   c=0 (n=10,k=3): C(10,3)/C(10,3) = 1, so 0
 *   c=n (n=4,k=1..4): 1
 *   n=200 c=1 k=100: C(199,100)/C(200,100) = 100/200, so 1/2
 *   n=20 c=10 k=2: 1 - C(10,2)/C(20,2) = 1 - 45/190 = 29/38
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "judges/metrics.h"
#include "judges/passk.h"

/* Absolute-tolerance comparison (older cmocka has only the float one). */
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static double pk(int n, int c, int k)
{
    double v = -1.0;
    char err[TT_ERR_SIZE];
    assert_int_equal(passk_estimate(n, c, k, &v, err), TT_OK);
    return v;
}

static void test_passk_estimate_n10_c3(void **state)
{
    (void)state;
    assert_double_equal(pk(10, 3, 1), 3.0 / 10.0, 1e-12);
    assert_double_equal(pk(10, 3, 3), 17.0 / 24.0, 1e-12);
    assert_double_equal(pk(10, 3, 5), 11.0 / 12.0, 1e-12);
    assert_double_equal(pk(10, 3, 10), 1.0, 0.0);
}

static void test_passk_estimate_n_equals_k(void **state)
{
    (void)state;
    assert_double_equal(pk(5, 0, 5), 0.0, 1e-15);
    assert_double_equal(pk(5, 1, 5), 1.0, 0.0);
    assert_double_equal(pk(1, 0, 1), 0.0, 1e-15);
    assert_double_equal(pk(1, 1, 1), 1.0, 0.0);
}

static void test_passk_estimate_c_zero(void **state)
{
    (void)state;
    assert_double_equal(pk(10, 0, 1), 0.0, 1e-15);
    assert_double_equal(pk(10, 0, 3), 0.0, 1e-15);
    assert_double_equal(pk(200, 0, 100), 0.0, 1e-15);
}

static void test_passk_estimate_c_equals_n(void **state)
{
    (void)state;
    for (int k = 1; k <= 4; k++) assert_double_equal(pk(4, 4, k), 1.0, 0.0);
}

static void test_passk_estimate_large_n_stable(void **state)
{
    (void)state;
    /* C(200,100) ~ 9e58: the product form stays exact enough. */
    assert_double_equal(pk(200, 1, 100), 0.5, 1e-12);
    assert_double_equal(pk(20, 10, 2), 29.0 / 38.0, 1e-12);
}

static void test_passk_estimate_k1_is_fraction(void **state)
{
    (void)state;
    /* pass@1 is c/n for every c. */
    for (int c = 0; c <= 7; c++) assert_double_equal(pk(7, c, 1), (double)c / 7.0, 1e-12);
}

static void test_passk_estimate_invalid(void **state)
{
    (void)state;
    double v = 0;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(passk_estimate(3, 1, 5, &v, err), TT_ERR_USAGE);  /* n < k */
    assert_non_null(strstr(err, "at least 5 samples"));
    assert_int_equal(passk_estimate(3, 4, 1, &v, err), TT_ERR_USAGE);  /* c > n */
    assert_int_equal(passk_estimate(3, -1, 1, &v, err), TT_ERR_USAGE);
    assert_int_equal(passk_estimate(3, 1, 0, &v, err), TT_ERR_USAGE);
}

static void test_passk_mean_over_problems(void **state)
{
    (void)state;
    int n[] = { 10, 10, 10 };
    int c[] = { 3, 0, 10 };
    double v = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(passk_mean(n, c, 3, 1, &v, err), TT_OK);
    assert_double_equal(v, (0.3 + 0.0 + 1.0) / 3.0, 1e-12);
    assert_int_equal(passk_mean(n, c, 3, 5, &v, err), TT_OK);
    assert_double_equal(v, (11.0 / 12.0 + 0.0 + 1.0) / 3.0, 1e-12);
    int n2[] = { 10, 4 };
    int c2[] = { 1, 1 };
    assert_int_equal(passk_mean(n2, c2, 2, 5, &v, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "problem 1"));
    assert_int_equal(passk_mean(n2, c2, 0, 1, &v, err), TT_ERR_USAGE);
}

/* The task file's pass@k metrics parse, carry their k, and cannot be
 * scored from a response text (they need the code judge). */
static void test_passk_metric_specs(void **state)
{
    (void)state;
    json_t *list = json_pack("[s, {s:s, s:s, s:b}, s]", "pass@1", "metric", "pass@10",
                             "aggregation", "mean", "higher_is_better", 1, "pass@100");
    metric_spec *ms = NULL;
    int n = 0;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(metric_spec_parse(list, &ms, &n, err), TT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(ms[0].name, "pass@1");
    assert_int_equal(metric_pass_k(&ms[0]), 1);
    assert_int_equal(metric_pass_k(&ms[1]), 10);
    assert_int_equal(metric_pass_k(&ms[2]), 100);
    assert_int_equal(ms[1].higher_is_better, 1);
    double item[STATS_ITEM_MAX];
    const char *targets[] = { "x" };
    assert_int_equal(metric_score_generation(&ms[0], "x", targets, 1, item, err),
                     TT_ERR_UNSUPPORTED);
    metric_specs_free(ms, n);
    json_decref(list);

    list = json_pack("[s]", "pass@3");
    assert_int_equal(metric_spec_parse(list, &ms, &n, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "unknown metric 'pass@3'"));
    json_decref(list);

    metric_spec em;
    memset(&em, 0, sizeof em);
    em.kind = METRIC_EXACT_MATCH;
    assert_int_equal(metric_pass_k(&em), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passk_estimate_n10_c3),
        cmocka_unit_test(test_passk_estimate_n_equals_k),
        cmocka_unit_test(test_passk_estimate_c_zero),
        cmocka_unit_test(test_passk_estimate_c_equals_n),
        cmocka_unit_test(test_passk_estimate_large_n_stable),
        cmocka_unit_test(test_passk_estimate_k1_is_fraction),
        cmocka_unit_test(test_passk_estimate_invalid),
        cmocka_unit_test(test_passk_mean_over_problems),
        cmocka_unit_test(test_passk_metric_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
