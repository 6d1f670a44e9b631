/*
 * sample.c — the variates of sample.h.
 *
 * Binomial(n, p), with p ≤ ½ by symmetry:
 *  - n·p < 10: sequential inversion from 0 (expected O(n·p) steps);
 *  - otherwise BTRS (W. Hörmann, "The generation of binomial random
 *    variates", J. Statist. Comput. Simul. 46, 1993): a transformed-
 *    rejection sampler with a quick-accept region and an exact acceptance
 *    test using Stirling-series corrections of log-factorials.
 */
#include "arena/sample.h"

#include <math.h>

/* log(k!) − [(k+½)·log(k+1) − (k+1) + ½·log(2π)], exact table for k < 10. */
static double stirling_tail(double k)
{
    static const double table[10] = {
        0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
        0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
        0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
        0.008330563433362871,
    };
    if (k < 10) return table[(int)k];
    double kp1 = k + 1, kp1sq = kp1 * kp1;
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / kp1;
}

static uint64_t binomial_inversion(tt_rng *rng, uint64_t n, double p)
{
    double q = 1 - p, s = p / q, a = (double)(n + 1) * s;
    for (;;) {
        double r = pow(q, (double)n), u = tt_rng_uniform(rng);
        uint64_t x = 0;
        while (u > r) {
            u -= r;
            x++;
            if (x > n) break;   /* rounding ran past the support: draw again */
            r *= a / (double)x - s;
        }
        if (x <= n) return x;
    }
}

static uint64_t binomial_btrs(tt_rng *rng, uint64_t n, double p)
{
    double dn = (double)n, q = 1 - p;
    double spq = sqrt(dn * p * q);
    double b = 1.15 + 2.53 * spq;
    double a = -0.0873 + 0.0248 * b + 0.01 * p;
    double c = dn * p + 0.5;
    double v_r = 0.92 - 4.2 / b;
    double r = p / q;
    double alpha = (2.83 + 5.1 / b) * spq;
    double m = floor((dn + 1) * p);
    for (;;) {
        double u = tt_rng_uniform(rng) - 0.5;
        double v = tt_rng_uniform(rng);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + c);
        if (k < 0 || k > dn) continue;
        if (us >= 0.07 && v <= v_r) return (uint64_t)k;
        if (v <= 0) continue;
        v = log(v * alpha / (a / (us * us) + b));
        double bound = (m + 0.5) * log((m + 1) / (r * (dn - m + 1)))
                     + (dn + 1) * log((dn - m + 1) / (dn - k + 1))
                     + (k + 0.5) * log(r * (dn - k + 1) / (k + 1))
                     + stirling_tail(m) + stirling_tail(dn - m)
                     - stirling_tail(k) - stirling_tail(dn - k);
        if (v <= bound) return (uint64_t)k;
    }
}

uint64_t arena_binomial(tt_rng *rng, uint64_t n, double p)
{
    if (n == 0 || !(p > 0)) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - arena_binomial(rng, n, 1 - p);
    if ((double)n * p < 10) return binomial_inversion(rng, n, p);
    return binomial_btrs(rng, n, p);
}

void arena_multinomial(tt_rng *rng, uint64_t n, const double *w, size_t k, uint64_t *counts)
{
    double rest = 0;
    size_t last = k;   /* last category with positive weight takes what is left */
    for (size_t i = 0; i < k; i++) {
        counts[i] = 0;
        if (w[i] > 0) { rest += w[i]; last = i; }
    }
    for (size_t i = 0; i < k && n > 0; i++) {
        if (!(w[i] > 0)) continue;
        uint64_t c = i == last ? n : arena_binomial(rng, n, w[i] / rest);
        counts[i] = c;
        n -= c;
        rest -= w[i];
    }
}
