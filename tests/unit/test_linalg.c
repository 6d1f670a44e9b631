/*
 * test_linalg.c — core/linalg.c: tt_chol_solve on a system worked out by
 * hand, the factor it leaves in A, and the refusal of matrices that are not
 * positive definite (indefinite, singular).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "core/linalg.h"

static void test_chol_solve_hand_worked_system(void **state)
{
    (void)state;
    /* A = L·Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]]:
     * A = [[4,12,-16],[12,37,-43],[-16,-43,98]]; for x = (1,2,3),
     * A·x = (4+24-48, 12+74-129, -16-86+294) = (-20, -43, 192). */
    double A[9] = {4, 12, -16, 12, 37, -43, -16, -43, 98};
    const double rhs[3] = {-20, -43, 192};
    double x[3];
    assert_int_equal(tt_chol_solve(A, 3, rhs, x), 0);
    assert_true(fabs(x[0] - 1) < 1e-12 && fabs(x[1] - 2) < 1e-12 && fabs(x[2] - 3) < 1e-12);
    /* the lower triangle now holds L */
    assert_true(fabs(A[0] - 2) < 1e-12 && fabs(A[3] - 6) < 1e-12 && fabs(A[4] - 1) < 1e-12);
    assert_true(fabs(A[6] + 8) < 1e-12 && fabs(A[7] - 5) < 1e-12 && fabs(A[8] - 3) < 1e-12);
}

static void test_chol_solve_refuses_non_positive_definite(void **state)
{
    (void)state;
    double x[2];
    const double rhs[2] = {1, 1};
    double indefinite[4] = {1, 2, 2, 1};   /* eigenvalues 3 and -1 */
    assert_int_equal(tt_chol_solve(indefinite, 2, rhs, x), -1);
    double singular[4] = {1, 1, 1, 1};
    assert_int_equal(tt_chol_solve(singular, 2, rhs, x), -1);
    double nan_diag[1] = {NAN};
    assert_int_equal(tt_chol_solve(nan_diag, 1, rhs, x), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chol_solve_hand_worked_system),
        cmocka_unit_test(test_chol_solve_refuses_non_positive_definite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
