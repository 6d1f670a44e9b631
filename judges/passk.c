/*
 * passk.c — unbiased pass@k (see passk.h for the formula and the n < k
 * rule). Called by the runner when it aggregates code-task samples.
 */
#include "judges/passk.h"

int passk_estimate(int n, int c, int k, double *out, char err[TT_ERR_SIZE])
{
    if (k < 1) return tt_fail(err, TT_ERR_USAGE, "pass@k needs k >= 1, got %d", k);
    if (n < 0 || c < 0 || c > n)
        return tt_fail(err, TT_ERR_USAGE, "pass@k needs 0 <= c <= n, got n=%d c=%d", n, c);
    if (n < k)
        return tt_fail(err, TT_ERR_USAGE,
                       "pass@%d needs at least %d samples per problem, got %d", k, k, n);
    if (n - c < k) {
        *out = 1.0;
        return TT_OK;
    }
    /* C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i) */
    double prod = 1.0;
    for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / (double)i;
    *out = 1.0 - prod;
    return TT_OK;
}

int passk_mean(const int *n, const int *c, size_t m, int k, double *out,
               char err[TT_ERR_SIZE])
{
    if (m == 0) return tt_fail(err, TT_ERR_USAGE, "pass@%d over no problems", k);
    double sum = 0.0;
    for (size_t i = 0; i < m; i++) {
        double v = 0.0;
        char e[TT_ERR_SIZE];
        int rc = passk_estimate(n[i], c[i], k, &v, e);
        if (rc != TT_OK) return tt_fail(err, rc, "problem %zu: %s", i, e);
        sum += v;
    }
    *out = sum / (double)m;
    return TT_OK;
}
