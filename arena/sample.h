/*
 * sample.h — exact discrete random variates on tt_rng for the bootstrap:
 * binomial (inversion for small means, Hörmann's BTRS transformed rejection
 * otherwise) and multinomial by conditional binomials. Drawing per-row
 * multinomial counts over the aggregated rows is equivalent to resampling
 * all battles with replacement, at O(rows) instead of O(battles) per round.
 */
#ifndef TIANTI_ARENA_SAMPLE_H
#define TIANTI_ARENA_SAMPLE_H

#include "core/util.h"

#include <stddef.h>
#include <stdint.h>

/* One draw from Binomial(n, p); p is clamped to [0, 1]. */
uint64_t arena_binomial(tt_rng *rng, uint64_t n, double p);

/* counts[k] OUT ~ Multinomial(n, w / Σw) over k categories; w[i] >= 0 with
 * positive sum (else every count is 0). */
void arena_multinomial(tt_rng *rng, uint64_t n, const double *w, size_t k, uint64_t *counts);

#endif
