/*
 * test_arena_elo.c — arena/elo.c: a three-battle sequence worked by hand,
 * replay in tstamp order, configurable K, the synthetic log against the
 * NumPy reference loop, and the ratings-over-time series.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/elo.h"
#include "arena_test_util.h"

static void elo_of(const arena_battles *l, const arena_elo_opts *o, arena_index *idx, double *r)
{
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(l, 0, idx, err), TT_OK);
    arena_elo_fit(idx, o, r);
}

/* A beats B; B ties C; C (seat A) loses to A. */
static void test_arena_elo_fit_by_hand(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    arena_battles_add(&l, "A", "B", JUDGE_WIN_A, 1, NULL, NULL);
    arena_battles_add(&l, "B", "C", JUDGE_TIE, 2, NULL, NULL);
    arena_battles_add(&l, "C", "A", JUDGE_WIN_B, 3, NULL, NULL);
    arena_elo_opts o;
    arena_elo_opts_default(&o);
    arena_index idx;
    double r[3];
    elo_of(&l, &o, &idx, r);
    /* battle 1: equal ratings, p = 0.5, A +2, B −2 */
    double A = 1002, B = 998, C = 1000;
    /* battle 2: p_B = 1/(1+10^(2/400)) = 0.49712..., tie scores 0.5 */
    double pB = 1 / (1 + pow(10, (C - B) / 400));
    B += 4 * (0.5 - pB);
    C -= 4 * (0.5 - pB);
    /* battle 3: C in seat A loses, S_C = 0 */
    double pC = 1 / (1 + pow(10, (A - C) / 400));
    C += 4 * (0 - pC);
    A -= 4 * (0 - pC);
    assert_true(fabs(pB - 0.4971218) < 1e-6);
    assert_true(fabs(r[arena_index_find(&idx, "A")] - A) < 1e-9);
    assert_true(fabs(r[arena_index_find(&idx, "B")] - B) < 1e-9);
    assert_true(fabs(r[arena_index_find(&idx, "C")] - C) < 1e-9);
    assert_true(fabs(r[0] + r[1] + r[2] - 3000) < 1e-9);   /* zero-sum */
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_elo_fit_k_and_bothbad(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    arena_battles_add(&l, "A", "B", JUDGE_WIN_B, 1, NULL, NULL);
    arena_battles_add(&l, "A", "B", JUDGE_TIE_BOTHBAD, 2, NULL, NULL);
    arena_elo_opts o;
    arena_elo_opts_default(&o);
    o.k = 32;
    arena_index idx;
    double r[2];
    elo_of(&l, &o, &idx, r);
    /* 984 / 1016 after the loss; then a both-bad tie scores 0.5 */
    double p = 1 / (1 + pow(10, (1016.0 - 984.0) / 400));
    assert_true(fabs(r[0] - (984 + 32 * (0.5 - p))) < 1e-9);
    assert_true(fabs(r[1] - (1016 - 32 * (0.5 - p))) < 1e-9);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_elo_fit_tstamp_order(void **state)
{
    (void)state;
    arena_battles in, sorted;
    arena_battles_init(&in);
    arena_battles_init(&sorted);
    arena_battles_add(&in, "A", "B", JUDGE_WIN_A, 30, NULL, NULL);
    arena_battles_add(&in, "B", "C", JUDGE_WIN_A, 10, NULL, NULL);
    arena_battles_add(&in, "C", "A", JUDGE_TIE, 20, NULL, NULL);
    arena_battles_add(&sorted, "B", "C", JUDGE_WIN_A, 10, NULL, NULL);
    arena_battles_add(&sorted, "C", "A", JUDGE_TIE, 20, NULL, NULL);
    arena_battles_add(&sorted, "A", "B", JUDGE_WIN_A, 30, NULL, NULL);
    arena_elo_opts o;
    arena_elo_opts_default(&o);
    arena_index i1, i2;
    double r1[3], r2[3];
    elo_of(&in, &o, &i1, r1);
    elo_of(&sorted, &o, &i2, r2);
    for (int m = 0; m < 3; m++) {
        int j = arena_index_find(&i2, i1.models[m]);
        assert_true(r1[m] == r2[j]);
    }
    arena_index_free(&i1);
    arena_index_free(&i2);
    arena_battles_free(&in);
    arena_battles_free(&sorted);
}

static void test_arena_elo_fit_matches_reference(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    json_t *ref = load_reference();
    arena_elo_opts o;
    arena_elo_opts_default(&o);
    arena_index idx;
    double r[8];
    elo_of(&l, &o, &idx, r);
    for (size_t i = 0; i < 8; i++) {
        int id = arena_index_find(&idx, ref_model(ref, i));
        double want = ref_num(ref, "elo", i);
        if (fabs(r[id] - want) > 1e-8) fail_msg("%s: got %.10f, want %.10f", ref_model(ref, i), r[id], want);
        assert_int_equal(idx.battles[id], (long)ref_num(ref, "battles_per_model", i));
    }
    json_decref(ref);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_elo_series_every_battle_and_daily(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    arena_battles_add(&l, "A", "B", JUDGE_WIN_A, 100, NULL, NULL);
    arena_battles_add(&l, "A", "B", JUDGE_WIN_A, 200, NULL, NULL);
    arena_battles_add(&l, "C", "A", JUDGE_WIN_A, 86400 + 5, NULL, NULL);
    arena_elo_opts o;
    arena_elo_opts_default(&o);
    arena_index idx;
    double final[3];
    elo_of(&l, &o, &idx, final);
    arena_elo_series s;
    arena_elo_series_build(&idx, &o, ARENA_ELO_EVERY_BATTLE, &s);
    assert_int_equal(s.n_points, 3);
    assert_int_equal(s.n_models, 3);
    int A = arena_index_find(&idx, "A"), B = arena_index_find(&idx, "B"), C = arena_index_find(&idx, "C");
    assert_true(s.r[A] == 1002 && s.r[B] == 998);
    assert_true(isnan(s.r[C]));   /* C has not played yet */
    assert_true(s.t[1] == 200);
    for (int m = 0; m < 3; m++) assert_true(s.r[2 * 3 + m] == final[m]);
    arena_elo_series_free(&s);
    arena_elo_series_build(&idx, &o, ARENA_ELO_DAILY, &s);
    assert_int_equal(s.n_points, 2);
    assert_true(s.t[0] == 0 && s.t[1] == 86400);
    assert_true(s.r[A] > 1003 && isnan(s.r[C]));   /* after both day-0 battles */
    for (int m = 0; m < 3; m++) assert_true(s.r[3 + m] == final[m]);
    arena_elo_series_free(&s);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_elo_fit_by_hand),
        cmocka_unit_test(test_arena_elo_fit_k_and_bothbad),
        cmocka_unit_test(test_arena_elo_fit_tstamp_order),
        cmocka_unit_test(test_arena_elo_fit_matches_reference),
        cmocka_unit_test(test_arena_elo_series_every_battle_and_daily),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
