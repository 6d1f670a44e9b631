/*
 * pyrandom.c — MT19937 with CPython's integer seeding, random(),
 * getrandbits(), _randbelow(), sample() and shuffle(); see pyrandom.h. The
 * generator is the reference algorithm of Matsumoto and Nishimura (1998);
 * CPython's seeding feeds the 32-bit words of |seed| to init_by_array; the
 * rest follows Lib/random.py. Called by judges/stats.c (bootstraps) and
 * harness/task.c (few-shot sampling).
 */
#include "core/pyrandom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MT_N 624
#define MT_M 397

static void init_genrand(pyrandom *r, uint32_t s)
{
    r->mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253U * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->mti = MT_N;
}

static void init_by_array(pyrandom *r, const uint32_t *key, int key_length)
{
    init_genrand(r, 19650218U);
    uint32_t *mt = r->mt;
    int i = 1, j = 0;
    for (int k = MT_N > key_length ? MT_N : key_length; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
        if (j >= key_length) j = 0;
    }
    for (int k = MT_N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
        i++;
        if (i >= MT_N) { mt[0] = mt[MT_N - 1]; i = 1; }
    }
    mt[0] = 0x80000000U;
}

void pyrandom_seed(pyrandom *r, uint64_t seed)
{
    uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
    init_by_array(r, key, key[1] ? 2 : 1);
}

uint32_t pyrandom_u32(pyrandom *r)
{
    static const uint32_t mag01[2] = { 0x0U, 0x9908b0dfU };
    uint32_t *mt = r->mt, y;
    if (r->mti >= MT_N) {
        int kk;
        for (kk = 0; kk < MT_N - MT_M; kk++) {
            y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
            mt[kk] = mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 0x1U];
        }
        for (; kk < MT_N - 1; kk++) {
            y = (mt[kk] & 0x80000000U) | (mt[kk + 1] & 0x7fffffffU);
            mt[kk] = mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 0x1U];
        }
        y = (mt[MT_N - 1] & 0x80000000U) | (mt[0] & 0x7fffffffU);
        mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 0x1U];
        r->mti = 0;
    }
    y = mt[r->mti++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

double pyrandom_random(pyrandom *r)
{
    uint32_t a = pyrandom_u32(r) >> 5, b = pyrandom_u32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

size_t pyrandom_choice_index(pyrandom *r, size_t n)
{
    return (size_t)floor(pyrandom_random(r) * (double)n);
}

uint64_t pyrandom_getrandbits(pyrandom *r, int k)
{
    if (k <= 0) return 0;
    if (k > 64) k = 64;
    uint64_t v = 0;
    for (int shift = 0; k > 0; shift += 32, k -= 32) {
        uint32_t w = pyrandom_u32(r);
        if (k < 32) w >>= 32 - k;
        v |= (uint64_t)w << shift;
    }
    return v;
}

uint64_t pyrandom_randbelow(pyrandom *r, uint64_t n)
{
    int k = 0;
    for (uint64_t m = n; m; m >>= 1) k++;   /* n.bit_length() */
    uint64_t v = pyrandom_getrandbits(r, k);
    while (v >= n) v = pyrandom_getrandbits(r, k);
    return v;
}

int pyrandom_sample(pyrandom *r, size_t n, size_t k, size_t *out)
{
    if (k > n) return -1;
    /* CPython: a pool list when n is no more than the size of a set of k
     * entries would be; else picked indices in a set, redrawing repeats */
    size_t setsize = 21;
    if (k > 5) setsize += (size_t)1 << (2 * (int)ceil(log((double)(k * 3)) / log(4.0)));
    if (n <= setsize) {
        size_t *pool = malloc((n ? n : 1) * sizeof *pool);
        if (!pool) abort();
        for (size_t i = 0; i < n; i++) pool[i] = i;
        for (size_t i = 0; i < k; i++) {
            size_t j = (size_t)pyrandom_randbelow(r, n - i);
            out[i] = pool[j];
            pool[j] = pool[n - i - 1];
        }
        free(pool);
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        size_t j;
        int seen;
        do {
            j = (size_t)pyrandom_randbelow(r, n);
            seen = 0;
            for (size_t q = 0; q < i && !seen; q++) seen = out[q] == j;
        } while (seen);
        out[i] = j;
    }
    return 0;
}

void pyrandom_shuffle(pyrandom *r, void *x, size_t n, size_t size)
{
    unsigned char *b = x, tmp[64];
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)pyrandom_randbelow(r, i + 1);
        if (j == i) continue;
        for (size_t off = 0; off < size; off += sizeof tmp) {
            size_t m = size - off < sizeof tmp ? size - off : sizeof tmp;
            memcpy(tmp, b + i * size + off, m);
            memcpy(b + i * size + off, b + j * size + off, m);
            memcpy(b + j * size + off, tmp, m);
        }
    }
}
