/*
 * pyrandom.h — CPython's `random.Random`: the MT19937 generator, seeded
 * from a non-negative integer the way CPython seeds one (init_by_array on
 * the 32-bit words of the integer; key [0] for 0), with CPython's 53-bit
 * random(), getrandbits(), _randbelow() (by getrandbits) and sample() and
 * shuffle() as Lib/random.py writes them (checked against CPython 3.11),
 * including sample()'s choice between a pool list and a set of picked
 * indices. stats.c uses it
 * to draw bootstrap resamples exactly as lm-evaluation-harness does
 * (random.Random(i).choices(xs, k=n) per chunk); harness/task.c draws
 * few-shot examples with it exactly as lm-eval's ContextSampler does
 * (random.Random(seed).sample(docs, n) document after document).
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

/* getrandbits(k), 0 <= k <= 64: k bits from ceil(k/32) 32-bit outputs,
 * the first one lowest, each cut to what is left from its top. */
uint64_t pyrandom_getrandbits(pyrandom *r, int k);

/* _randbelow(n) (n >= 1): getrandbits(n.bit_length()) until below n. */
uint64_t pyrandom_randbelow(pyrandom *r, uint64_t n);

/* random.sample(range(n), k) (k <= n): writes the k picked indices, in
 * selection order, to out. Returns -1 when k > n (Python: ValueError). */
int pyrandom_sample(pyrandom *r, size_t n, size_t k, size_t *out);

/* random.shuffle(x) of n elements of size bytes each, in place. */
void pyrandom_shuffle(pyrandom *r, void *x, size_t n, size_t size);

#endif
