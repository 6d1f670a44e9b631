/*
 * test_arena_bootstrap.c — arena/bootstrap.c and arena/sample.c: quantiles
 * with linear interpolation, the interval rank, bit-identical results for
 * any thread count, bootstrap spread against the asymptotic standard errors
 * of the NumPy reference, and the binomial/multinomial samplers against
 * their exact distributions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/bootstrap.h"
#include "arena/sample.h"
#include "arena_test_util.h"

static void test_arena_quantile_sorted_interpolates(void **state)
{
    (void)state;
    double x[5] = {1, 2, 3, 4, 5};
    assert_true(arena_quantile_sorted(x, 5, 0.5) == 3);
    assert_true(fabs(arena_quantile_sorted(x, 5, 0.025) - 1.1) < 1e-12);
    assert_true(fabs(arena_quantile_sorted(x, 5, 0.975) - 4.9) < 1e-12);
    assert_true(arena_quantile_sorted(x, 5, 1.0) == 5);
    assert_true(arena_quantile_sorted(x, 1, 0.3) == 1);
    assert_true(isnan(arena_quantile_sorted(x, 0, 0.5)));
    /* column summary over a 4-round × 2-model matrix */
    double s[8] = {4, 10, 1, 20, 3, 30, 2, 40};
    double med[2], lo[2], hi[2];
    arena_bootstrap_summary(s, 4, 2, med, lo, hi);
    assert_true(med[0] == 2.5 && med[1] == 25);
    assert_true(fabs(lo[0] - 1.075) < 1e-12 && fabs(hi[1] - 39.25) < 1e-12);
}

static void test_arena_rank_by_interval(void **state)
{
    (void)state;
    double lo[4] = {10, 5, 0, 13}, hi[4] = {20, 12, 4, 14};
    int rank[4];
    arena_rank_by_interval(4, lo, hi, rank);
    assert_int_equal(rank[0], 1);
    assert_int_equal(rank[1], 2);   /* model 3's lower 13 > 12 */
    assert_int_equal(rank[2], 4);
    assert_int_equal(rank[3], 1);
}

static void synthetic_rows(arena_index *idx, arena_rows *rows)
{
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(&l, 0, idx, err), TT_OK);
    arena_rows_build(idx, rows);
    arena_battles_free(&l);
}

static void test_arena_bootstrap_bt_thread_independent(void **state)
{
    (void)state;
    arena_index idx;
    arena_rows rows;
    synthetic_rows(&idx, &rows);
    arena_bt_opts bt;
    arena_bt_opts_default(&bt);
    char err[TT_ERR_SIZE];
    int rounds = 120, n = idx.n_models;
    double *s[3];
    for (int t = 0; t < 3; t++) {
        arena_boot_opts bo = {rounds, 42, t + 1};
        s[t] = malloc((size_t)rounds * n * sizeof(double));
        assert_int_equal(arena_bootstrap_bt(&rows, &bt, NULL, &bo, s[t], err), TT_OK);
    }
    assert_memory_equal(s[0], s[1], (size_t)rounds * n * sizeof(double));
    assert_memory_equal(s[0], s[2], (size_t)rounds * n * sizeof(double));
    /* another seed gives other draws */
    arena_boot_opts bo = {rounds, 43, 2};
    assert_int_equal(arena_bootstrap_bt(&rows, &bt, NULL, &bo, s[1], err), TT_OK);
    assert_true(memcmp(s[0], s[1], (size_t)rounds * n * sizeof(double)) != 0);
    for (int t = 0; t < 3; t++) free(s[t]);
    arena_rows_free(&rows);
    arena_index_free(&idx);
}

static void test_arena_bootstrap_elo_thread_independent(void **state)
{
    (void)state;
    arena_index idx;
    arena_rows rows;
    synthetic_rows(&idx, &rows);
    arena_elo_opts eo;
    arena_elo_opts_default(&eo);
    char err[TT_ERR_SIZE];
    int rounds = 30, n = idx.n_models;
    double *a = malloc((size_t)rounds * n * sizeof(double)), *b = malloc((size_t)rounds * n * sizeof(double));
    arena_boot_opts b1 = {rounds, 9, 1}, b3 = {rounds, 9, 3};
    assert_int_equal(arena_bootstrap_elo(&idx, &eo, &b1, a, err), TT_OK);
    assert_int_equal(arena_bootstrap_elo(&idx, &eo, &b3, b, err), TT_OK);
    assert_memory_equal(a, b, (size_t)rounds * n * sizeof(double));
    /* every round is zero-sum around the initial rating */
    for (int r = 0; r < rounds; r++) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += a[r * n + i];
        assert_true(fabs(sum - 1000.0 * n) < 1e-6);
    }
    free(a);
    free(b);
    arena_rows_free(&rows);
    arena_index_free(&idx);
}

/* The 95% bootstrap interval should be ~ ±1.96 asymptotic standard errors. */
static void test_arena_bootstrap_bt_matches_asymptotic_se(void **state)
{
    (void)state;
    arena_index idx;
    arena_rows rows;
    synthetic_rows(&idx, &rows);
    json_t *ref = load_reference();
    arena_bt_opts bt;
    arena_bt_opts_default(&bt);
    char err[TT_ERR_SIZE];
    int rounds = 1000, n = idx.n_models;
    double theta[8], rating[8];
    assert_int_equal(arena_bt_fit(&rows, NULL, &bt, NULL, theta, NULL, err), TT_OK);
    arena_bt_to_ratings(&bt, n, theta, rating);
    double *s = malloc((size_t)rounds * n * sizeof(double));
    arena_boot_opts bo = {rounds, 1, 0};
    assert_int_equal(arena_bootstrap_bt(&rows, &bt, theta, &bo, s, err), TT_OK);
    double med[8], lo[8], hi[8];
    arena_bootstrap_summary(s, rounds, n, med, lo, hi);
    for (size_t i = 0; i < 8; i++) {
        int id = arena_index_find(&idx, ref_model(ref, i));
        double se = ref_num(ref, "bt_se", i);
        double width = (hi[id] - lo[id]) / (2 * 1.959964);
        if (fabs(width / se - 1) > 0.2)
            fail_msg("%s: bootstrap half-width/1.96 %.3f vs asymptotic se %.3f", ref_model(ref, i), width, se);
        assert_true(fabs(med[id] - rating[id]) < 0.5 * se);
        assert_true(lo[id] < rating[id] && rating[id] < hi[id]);
    }
    free(s);
    json_decref(ref);
    arena_rows_free(&rows);
    arena_index_free(&idx);
}

/* Chi-square of 400k draws against the exact pmf; each case takes the
 * inversion or the BTRS branch (n·p < 10 or not, p folded to ≤ ½). */
static void test_arena_binomial_distribution(void **state)
{
    (void)state;
    static const struct { uint64_t n; double p; } cases[] = {
        {20, 0.2}, {50, 0.3}, {1000, 0.02}, {1000, 0.5}, {200, 0.9}, {100000, 0.001},
    };
    tt_rng rng;
    tt_rng_seed(&rng, 12345);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint64_t n = cases[c].n;
        double p = cases[c].p, mean = n * p, sd = sqrt(n * p * (1 - p));
        int draws = 400000;
        size_t lo = mean - 6 * sd > 0 ? (size_t)(mean - 6 * sd) : 0, hi = (size_t)(mean + 6 * sd) + 1;
        if (hi > n) hi = n;
        size_t bins = hi - lo + 1;
        long *cnt = calloc(bins + 2, sizeof *cnt);
        double sum = 0;
        for (int d = 0; d < draws; d++) {
            uint64_t k = arena_binomial(&rng, n, p);
            assert_true(k <= n);
            sum += (double)k;
            if (k < lo) cnt[bins]++;
            else if (k > hi) cnt[bins + 1]++;
            else cnt[k - lo]++;
        }
        assert_true(fabs(sum / draws - mean) < 5 * sd / sqrt(draws));
        double chi2 = 0;
        int df = 0;
        for (size_t k = lo; k <= hi; k++) {
            double lp = lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(p) + (n - k) * log1p(-p);
            double e = draws * exp(lp);
            if (e < 20) continue;   /* pool nothing: just skip thin tails */
            chi2 += (cnt[k - lo] - e) * (cnt[k - lo] - e) / e;
            df++;
        }
        /* p-value ~1e-6 threshold for the number of cells used */
        double limit = df + 7 * sqrt(2.0 * df);
        if (chi2 > limit) fail_msg("binomial(%lu, %g): chi2 %.1f over %d cells", (unsigned long)n, p, chi2, df);
        free(cnt);
    }
}

static void test_arena_multinomial_sums(void **state)
{
    (void)state;
    tt_rng rng;
    tt_rng_seed(&rng, 7);
    double w[5] = {3, 0, 1, 6, 0};
    uint64_t c[5];
    double acc[5] = {0};
    for (int r = 0; r < 2000; r++) {
        arena_multinomial(&rng, 1000, w, 5, c);
        assert_int_equal(c[0] + c[1] + c[2] + c[3] + c[4], 1000);
        assert_int_equal(c[1], 0);
        assert_int_equal(c[4], 0);
        for (int i = 0; i < 5; i++) acc[i] += (double)c[i] / 2000;
    }
    assert_true(fabs(acc[0] - 300) < 2 && fabs(acc[2] - 100) < 2 && fabs(acc[3] - 600) < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_quantile_sorted_interpolates),
        cmocka_unit_test(test_arena_rank_by_interval),
        cmocka_unit_test(test_arena_bootstrap_bt_thread_independent),
        cmocka_unit_test(test_arena_bootstrap_elo_thread_independent),
        cmocka_unit_test(test_arena_bootstrap_bt_matches_asymptotic_se),
        cmocka_unit_test(test_arena_binomial_distribution),
        cmocka_unit_test(test_arena_multinomial_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
