/*
 * linalg.h — the little dense linear algebra the project needs, written
 * once: a Cholesky solve for the Newton steps of the Bradley–Terry fits
 * (arena/bt.c, and arena/style.c with its style covariates). Sizes there
 * are a few dozen to a few hundred unknowns, so a plain row-major
 * O(m³/3) factorisation is the right tool; nothing here allocates.
 */
#ifndef TIANTI_CORE_LINALG_H
#define TIANTI_CORE_LINALG_H

/* Solves A·x = rhs for the m×m symmetric positive definite matrix A
 * (row-major; overwritten by its Cholesky factor in the lower triangle).
 * Returns 0, or -1 when A is not positive definite (x is then undefined). */
int tt_chol_solve(double *A, int m, const double *rhs, double *x);

#endif
