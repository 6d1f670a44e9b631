/*
 * linalg.c — see linalg.h. Cholesky–Banachiewicz, row by row, then the two
 * triangular solves.
 */
#include "core/linalg.h"

#include <math.h>
#include <stddef.h>

int tt_chol_solve(double *A, int m, const double *rhs, double *x)
{
    for (int j = 0; j < m; j++) {
        double d = A[(size_t)j * m + j];
        for (int k = 0; k < j; k++) d -= A[(size_t)j * m + k] * A[(size_t)j * m + k];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        A[(size_t)j * m + j] = d;
        for (int i = j + 1; i < m; i++) {
            double s = A[(size_t)i * m + j];
            for (int k = 0; k < j; k++) s -= A[(size_t)i * m + k] * A[(size_t)j * m + k];
            A[(size_t)i * m + j] = s / d;
        }
    }
    /* L·y = rhs, then Lᵀ·x = y */
    for (int i = 0; i < m; i++) {
        double s = rhs[i];
        for (int k = 0; k < i; k++) s -= A[(size_t)i * m + k] * x[k];
        x[i] = s / A[(size_t)i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) {
        double s = x[i];
        for (int k = i + 1; k < m; k++) s -= A[(size_t)k * m + i] * x[k];
        x[i] = s / A[(size_t)i * m + i];
    }
    return 0;
}
