/*
 * test_arena_matrix.c — arena/matrix.c: win-fraction and battle-count
 * matrices without ties (never-met pairs NaN, not 0) by hand and against
 * the NumPy reference, average win rate and ordering, predicted win
 * probabilities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/matrix.h"
#include "arena_test_util.h"

static void test_arena_matrix_build_by_hand(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 3);
    add_n(&l, "B", "A", JUDGE_WIN_A, 1);      /* B wins from seat A */
    add_n(&l, "A", "B", JUDGE_TIE, 5);        /* ignored */
    add_n(&l, "C", "A", JUDGE_WIN_B, 2);
    add_n(&l, "B", "D", JUDGE_TIE_BOTHBAD, 1); /* D only tied: all NaN */
    arena_index idx;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(&l, 0, &idx, err), TT_OK);
    arena_matrix m;
    arena_matrix_build(&idx, &m);
    int A = arena_index_find(&idx, "A"), B = arena_index_find(&idx, "B");
    int C = arena_index_find(&idx, "C"), D = arena_index_find(&idx, "D");
    int n = m.n;
    assert_true(m.frac[A * n + B] == 0.75);
    assert_true(m.frac[B * n + A] == 0.25);
    assert_true(m.frac[A * n + C] == 1.0);
    assert_true(m.frac[C * n + A] == 0.0);
    assert_true(isnan(m.frac[B * n + C]));   /* never met */
    assert_true(isnan(m.frac[A * n + A]));   /* diagonal */
    assert_true(isnan(m.frac[B * n + D]));   /* met only in a tie */
    assert_int_equal(m.count[A * n + B], 4);
    assert_int_equal(m.count[B * n + A], 4);
    assert_int_equal(m.count[B * n + D], 0);
    assert_true(m.avg_win[A] == (0.75 + 1.0) / 2);
    assert_true(m.avg_win[B] == 0.25);
    assert_true(isnan(m.avg_win[D]));
    int order[4];
    arena_matrix_order(&m, order);
    assert_int_equal(order[0], A);
    assert_int_equal(order[1], B);
    assert_int_equal(order[2], C);
    assert_int_equal(order[3], D);
    arena_matrix_free(&m);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_matrix_build_matches_reference(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    json_t *ref = load_reference();
    arena_index idx;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(&l, 0, &idx, err), TT_OK);
    arena_matrix m;
    arena_matrix_build(&idx, &m);
    json_t *wf = json_object_get(ref, "win_fraction"), *bc = json_object_get(ref, "battle_count");
    int nan_cells = 0;
    for (size_t i = 0; i < 8; i++) {
        int a = arena_index_find(&idx, ref_model(ref, i));
        for (size_t j = 0; j < 8; j++) {
            int b = arena_index_find(&idx, ref_model(ref, j));
            json_t *v = json_array_get(json_array_get(wf, i), j);
            double got = m.frac[a * m.n + b];
            if (json_is_null(v)) {
                assert_true(isnan(got));
                nan_cells++;
            } else {
                assert_true(fabs(got - json_number_value(v)) < 1e-12);
            }
            assert_int_equal(m.count[a * m.n + b], json_integer_value(json_array_get(json_array_get(bc, i), j)));
        }
    }
    assert_int_equal(nan_cells, 8 + 2);   /* diagonal + the pair that never met */
    arena_matrix_free(&m);
    arena_index_free(&idx);
    json_decref(ref);
    arena_battles_free(&l);
}

static void test_arena_predicted_win(void **state)
{
    (void)state;
    double r[3] = {1000, 1400, 1000 + 400 * log10(3.0)};
    double p[9];
    arena_predicted_win(3, r, 400, 10, p);
    assert_true(p[0] == 0.5);
    assert_true(fabs(p[0 * 3 + 1] - 1.0 / 11) < 1e-12);    /* 400 points: 10:1 */
    assert_true(fabs(p[1 * 3 + 0] - 10.0 / 11) < 1e-12);
    assert_true(fabs(p[2 * 3 + 0] - 0.75) < 1e-12);        /* 3:1 */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) assert_true(fabs(p[i * 3 + j] + p[j * 3 + i] - 1) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_matrix_build_by_hand),
        cmocka_unit_test(test_arena_matrix_build_matches_reference),
        cmocka_unit_test(test_arena_predicted_win),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
