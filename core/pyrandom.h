/*
 * pyrandom.h — CPython's `random.Random`: the MT19937 generator, seeded
 * from a non-negative integer the way CPython seeds one (init_by_array on
 * the 32-bit words of the integer; key [0] for 0), with CPython's 53-bit
 * random(). stats.c uses it to draw bootstrap resamples exactly as
 * lm-evaluation-harness does (random.Random(i).choices(xs, k=n) per chunk),
 * so our bootstrap standard errors equal lm-eval's, not just statistically.
 * Pure, no global state; one pyrandom per thread.
 */
#ifndef TIANTI_PYRANDOM_H
#define TIANTI_PYRANDOM_H

#include <stddef.h>
#include <stdint.h>

typedef struct pyrandom {
    uint32_t mt[624];
    int mti;
} pyrandom;

/* random.Random(seed) */
void pyrandom_seed(pyrandom *r, uint64_t seed);
/* getrandbits(32) */
uint32_t pyrandom_u32(pyrandom *r);
/* random(): [0, 1) with 53 random bits */
double pyrandom_random(pyrandom *r);
/* One element index of random.choices(population of n, k=...):
 * floor(random() * n). */
size_t pyrandom_choice_index(pyrandom *r, size_t n);

#endif
