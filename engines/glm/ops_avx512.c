/*
 * ops_avx512.c — AVX-512 VNNI dot kernels (see ops_simd.h), chosen by
 * ops.c at run time on CPUs that have them (Ice Lake and later Xeons, Zen 4).
 *
 * What they do differently from the AVX2 kernels in ops.c:
 *   - two 32-element blocks per 512-bit register, multiplied with one
 *     VPDPBUSD (unsigned x signed bytes, summed in fours into int32 lanes)
 *     instead of the AVX2 sign/maddubs/madd sequence;
 *   - q4_0 quants are used unsigned (0..15): sum((q-8)*x) is computed as
 *     sum(q*x) - sum(8*x), both with VPDPBUSD, so no sign trick is needed;
 *   - the fp16 block scales of eight blocks are converted with one
 *     VCVTPH2PS and taken lane by lane with a permute, instead of two scalar
 *     conversions and a broadcast per block;
 *   - the weight stream is prefetched GLM_PREFETCH_AHEAD bytes ahead.
 * Integer block sums are exact, so each block's contribution equals the
 * reference kernel's; only the order of the float sums differs (tested
 * against the _ref kernels in tests/unit/test_glm_ops.c).
 */
#include "engines/glm/ops_simd.h"
#include "engines/glm/quant.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

int glm_cpu_has_avx512vnni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!(osxsave && fma && f16c)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if ((lo & 0xe6) != 0xe6) return 0;   /* XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM enabled by the OS */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1, f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1;
    return avx2 && f && dq && bw && vl && vnni;
}

#define V512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

/* Loops over a kernel's arrays of registers, unrolled whatever the build's
 * optimisation level: the project builds at -O2 (RelWithDebInfo), where
 * GCC leaves such a loop rolled and keeps the accumulators on the stack, a
 * store and a reload around every FMA (the four-row f16 kernel ran 12 %
 * slower at -O2 than at -O3 on the 6B shape until its loops carried this). */
#define UNROLL_ALL _Pragma("GCC unroll 24")

static inline void prefetch_weights(const void *p)
{
    _mm_prefetch((const char *)p + GLM_PREFETCH_AHEAD, _MM_HINT_T0);
}

/* ---- f32 / f16 -------------------------------------------------------------- */

V512 float glm_dot_f32_avx512(int n, const void *w, const void *x)
{
    const float *a = w, *b = x;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        prefetch_weights(a + i);
        prefetch_weights(a + i + 16);
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

V512 float glm_dot_f16_avx512(int n, const void *w, const void *x)
{
    const uint16_t *a = w, *b = x;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int i = 0;
#define LD16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
    for (; i + 32 <= n; i += 32) {
        prefetch_weights(a + i);
        s0 = _mm512_fmadd_ps(LD16(a + i), LD16(b + i), s0);
        s1 = _mm512_fmadd_ps(LD16(a + i + 16), LD16(b + i + 16), s1);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(LD16(a + i), LD16(b + i), s0);
#undef LD16
    float s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += _cvtsh_ss(a[i]) * _cvtsh_ss(b[i]);
    return s;
}

/* Four rows against one token, each row's sums exactly those of the one-row
 * kernel above (so a token's numbers do not depend on which kernel took its
 * row): four weight streams in flight instead of one, for generation, which
 * waits on memory. PREFETCH(p) is the one-row kernel's prefetch for the 32
 * elements at p. */
#define DEFINE_ROWS4(NAME, T, LOAD, TO_F32, PREFETCH)                                                 \
    V512 void NAME(int n, const void *const *w, const void *x, float *out)                            \
    {                                                                                                  \
        const T *a[4] = {w[0], w[1], w[2], w[3]}, *b = x;                                              \
        __m512 s0[4], s1[4];                                                                           \
        UNROLL_ALL for (int r = 0; r < 4; r++) s0[r] = s1[r] = _mm512_setzero_ps();                    \
        int i = 0;                                                                                     \
        for (; i + 32 <= n; i += 32) {                                                                 \
            __m512 b0 = LOAD(b + i), b1 = LOAD(b + i + 16);                                            \
            UNROLL_ALL for (int r = 0; r < 4; r++) {                                                   \
                PREFETCH(a[r] + i);                                                                    \
                s0[r] = _mm512_fmadd_ps(LOAD(a[r] + i), b0, s0[r]);                                    \
                s1[r] = _mm512_fmadd_ps(LOAD(a[r] + i + 16), b1, s1[r]);                               \
            }                                                                                          \
        }                                                                                              \
        int i16 = i;                                                                                   \
        for (int r = 0; r < 4; r++) {                                                                  \
            for (i = i16; i + 16 <= n; i += 16) s0[r] = _mm512_fmadd_ps(LOAD(a[r] + i), LOAD(b + i), s0[r]); \
            float s = _mm512_reduce_add_ps(_mm512_add_ps(s0[r], s1[r]));                               \
            for (; i < n; i++) s += TO_F32(a[r][i]) * TO_F32(b[i]);                                    \
            out[r] = s;                                                                                \
        }                                                                                              \
    }

#define ROWS4_LOAD_F32(p) _mm512_loadu_ps(p)
#define ROWS4_LOAD_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define ROWS4_F32(v) (v)
#define ROWS4_PREFETCH_F32(p) (prefetch_weights(p), prefetch_weights((p) + 16))
#define ROWS4_PREFETCH_F16(p) prefetch_weights(p)
DEFINE_ROWS4(glm_dot_rows4_f32_avx512, float, ROWS4_LOAD_F32, ROWS4_F32, ROWS4_PREFETCH_F32)
DEFINE_ROWS4(glm_dot_rows4_f16_avx512, uint16_t, ROWS4_LOAD_F16, _cvtsh_ss, ROWS4_PREFETCH_F16)

/* ---- block helpers ----------------------------------------------------------- */

/* The fp16 scales of 8 consecutive blocks, as 8 floats: one gather of the
 * 32-bit words at each block's start (the scale and the first quants, all
 * inside the block), narrowed to their low 16 bits. Half the instructions
 * of eight scalar loads and inserts, which showed in the profile. */
V512 static inline __m256 scales8(const void *blocks, int stride)
{
    const __m256i offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(stride));
    __m256i words = _mm256_i32gather_epi32((const int *)blocks, offsets, 1);
    return _mm256_cvtph_ps(_mm256_cvtepi32_epi16(words));
}

V512 static inline __m256 scales8_q4(const glm_block_q4_0 *a) { return scales8(a, (int)sizeof *a); }
V512 static inline __m256 scales8_q8(const glm_block_q8_0 *a) { return scales8(a, (int)sizeof *a); }

/* Lanes 0..7 = s[i], lanes 8..15 = s[i+1]: the scales of a block pair. */
V512 static inline __m512 pair_scale(__m512 s8, int i)
{
    return _mm512_permutexvar_ps(_mm512_inserti64x4(_mm512_set1_epi32(i), _mm256_set1_epi32(i + 1), 1), s8);
}

V512 static inline __m512 pair_scale2(float s0, float s1)
{
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

/* Two q8_0 blocks' quants in one register (blocks are 34 bytes apart). */
V512 static inline __m512i load2_q8(const glm_block_q8_0 *b)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)b[0].qs)),
                              _mm256_loadu_si256((const __m256i *)b[1].qs), 1);
}

/* Two q4_0 blocks' quants as unsigned bytes 0..15, in element order:
 * [block 0: elements 0..15 (low nibbles), 16..31 (high)] [block 1: same]. */
V512 static inline __m512i unpack2_q4(const glm_block_q4_0 *a)
{
    const __m256i low = _mm256_set1_epi8(0x0f);
    __m256i raw = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)a[1].qs), _mm_loadu_si128((const __m128i *)a[0].qs));
    __m256i lo = _mm256_and_si256(raw, low), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low);
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);   /* [lo0 lo1 hi0 hi1] */
    return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0));        /* [lo0 hi0 lo1 hi1] */
}

/* Integer sums of (q-8)*x over a q4_0 block pair, 8 int32 lanes per block. */
V512 static inline __m512i sum_q4(__m512i q, __m512i x)
{
    const __m512i eight = _mm512_set1_epi8(8);
    return _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q, x),
                            _mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, x));
}

/* Integer sums of w*x over a q8_0 block pair: |w| times x with w's sign.
 * x never holds -128 (activations are quantized to -127..127). */
V512 static inline __m512i sum_q8(__m512i w, __m512i x)
{
    __mmask64 neg = _mm512_movepi8_mask(w);
    __m512i sx = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x);
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(w), sx);
}

/* One block, exactly as the reference does it (the odd block at the end). */
static int block_sum_q4(const glm_block_q4_0 *a, const glm_block_q8_0 *b)
{
    int s = 0;
    for (int j = 0; j < GLM_QK / 2; j++)
        s += ((a->qs[j] & 0x0f) - 8) * b->qs[j] + ((a->qs[j] >> 4) - 8) * b->qs[j + GLM_QK / 2];
    return s;
}

static int block_sum_q8(const glm_block_q8_0 *a, const glm_block_q8_0 *b)
{
    int s = 0;
    for (int j = 0; j < GLM_QK; j++) s += a->qs[j] * b->qs[j];
    return s;
}

/* ---- q4_0 and q8_0 against q8_0 activations ------------------------------------ *
 * One template for the two weight types and for one or four activation
 * rows: blocks in groups of 8 (scales converted together), then pairs,
 * then a last odd block. */

/* Fully unrolled, so that the per-row arrays live in registers. */
#define UNROLL _Pragma("GCC unroll 8")

#define DEFINE_DOT(NAME, WBLOCK, WLOAD, WSUM, SCALES8, BLOCK_SUM, NX)                                          \
    V512 static void NAME(int n, const WBLOCK *a, const glm_block_q8_0 *const *x, float *out)                 \
    {                                                                                                          \
        __m512 acc[NX];                                                                                        \
        UNROLL for (int t = 0; t < NX; t++) acc[t] = _mm512_setzero_ps();                                      \
        int nb = n / GLM_QK, k = 0;                                                                            \
        for (; k + 8 <= nb; k += 8) {                                                                          \
            for (size_t o = 0; o < 8 * sizeof(WBLOCK); o += 64) prefetch_weights((const char *)(a + k) + o);  \
            __m256 sa = SCALES8(a + k);                                                                        \
            __m512 s[NX];                                                                                      \
            UNROLL for (int t = 0; t < NX; t++) s[t] = _mm512_castps256_ps512(_mm256_mul_ps(sa, scales8_q8(x[t] + k))); \
            UNROLL for (int i = 0; i < 8; i += 2) {                                                            \
                __m512i q = WLOAD(a + k + i);                                                                  \
                UNROLL for (int t = 0; t < NX; t++)                                                            \
                    acc[t] = _mm512_fmadd_ps(pair_scale(s[t], i),                                              \
                                             _mm512_cvtepi32_ps(WSUM(q, load2_q8(x[t] + k + i))), acc[t]);     \
            }                                                                                                  \
        }                                                                                                      \
        for (; k + 2 <= nb; k += 2) {                                                                          \
            __m512i q = WLOAD(a + k);                                                                          \
            float da0 = _cvtsh_ss(a[k].d), da1 = _cvtsh_ss(a[k + 1].d);                                        \
            UNROLL for (int t = 0; t < NX; t++) {                                                              \
                __m512 sc = pair_scale2(da0 * _cvtsh_ss(x[t][k].d), da1 * _cvtsh_ss(x[t][k + 1].d));           \
                acc[t] = _mm512_fmadd_ps(sc, _mm512_cvtepi32_ps(WSUM(q, load2_q8(x[t] + k))), acc[t]);         \
            }                                                                                                  \
        }                                                                                                      \
        UNROLL for (int t = 0; t < NX; t++) {                                                                  \
            out[t] = _mm512_reduce_add_ps(acc[t]);                                                             \
            if (k < nb) out[t] += (float)BLOCK_SUM(a + k, x[t] + k) * (_cvtsh_ss(a[k].d) * _cvtsh_ss(x[t][k].d)); \
        }                                                                                                      \
    }

DEFINE_DOT(dot_q4_0_1, glm_block_q4_0, unpack2_q4, sum_q4, scales8_q4, block_sum_q4, 1)
DEFINE_DOT(dot_q4_0_4, glm_block_q4_0, unpack2_q4, sum_q4, scales8_q4, block_sum_q4, 4)
DEFINE_DOT(dot_q8_0_1, glm_block_q8_0, load2_q8, sum_q8, scales8_q8, block_sum_q8, 1)
DEFINE_DOT(dot_q8_0_4, glm_block_q8_0, load2_q8, sum_q8, scales8_q8, block_sum_q8, 4)

float glm_dot_q4_0_avx512(int n, const void *w, const void *x)
{
    const glm_block_q8_0 *xs[1] = {x};
    float out;
    dot_q4_0_1(n, w, xs, &out);
    return out;
}

float glm_dot_q8_0_avx512(int n, const void *w, const void *x)
{
    const glm_block_q8_0 *xs[1] = {x};
    float out;
    dot_q8_0_1(n, w, xs, &out);
    return out;
}

void glm_dot4_q4_0_avx512(int n, const void *w, const void *const *x, float *out)
{
    const glm_block_q8_0 *xs[4] = {x[0], x[1], x[2], x[3]};
    dot_q4_0_4(n, w, xs, out);
}

void glm_dot4_q8_0_avx512(int n, const void *w, const void *const *x, float *out)
{
    const glm_block_q8_0 *xs[4] = {x[0], x[1], x[2], x[3]};
    dot_q8_0_4(n, w, xs, out);
}

/* ---- f32 / f16 prompt products: panels and a 4 x 6 register tile ----------- *
 * ops.c (gemm_rows) copies a slice of the weight rows and of the tokens'
 * activations into panels that fit the L1 cache, as f32 whatever the
 * source (f16 to f32 is exact), and runs this kernel over them; each
 * (row, token) pair keeps sixteen partial sums in acc between slices. A
 * panel holds groups of rows (four) or tokens (six), interleaved sixteen
 * floats at a time: [group][chunk][member][16], so both are read in order.
 *
 * The arithmetic of a pair: lane l of its sums takes, chunk after chunk,
 * fma(w[16c + l], x[16c + l], sum); the tile shape, the slices and the
 * other rows and tokens do not enter it (the test replays it in scalar C). */

V512 void glm_gemm_pack_avx512(float *dst, const void *const *src, int n_src, int group, int k0, int n16, int f16)
{
    int groups = (n_src + group - 1) / group;
    for (int g = 0; g < groups; g++)
        for (int m = 0; m < group; m++) {
            int i = g * group + m < n_src ? g * group + m : n_src - 1;   /* a short last group repeats its last */
            float *d = dst + ((size_t)g * n16 * group + m) * 16;
            if (f16) {
                const uint16_t *s = (const uint16_t *)src[i] + k0;
                for (int c = 0; c < n16; c++) {
                    _mm512_store_ps(d + (size_t)c * group * 16,
                                    _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(s + 16 * c))));
                }
            } else {
                const float *s = (const float *)src[i] + k0;
                for (int c = 0; c < n16; c++) {
                    _mm512_store_ps(d + (size_t)c * group * 16, _mm512_loadu_ps(s + 16 * c));
                }
            }
        }
}

V512 void glm_gemm4x6_avx512(int n16, const float *w, const float *x, float *acc, int first)
{
    __m512 c[24];
    UNROLL_ALL for (int i = 0; i < 24; i++) c[i] = first ? _mm512_setzero_ps() : _mm512_load_ps(acc + 16 * i);
    for (int e = 0; e < n16; e++, w += 64, x += 96) {
        __m512 a0 = _mm512_load_ps(w), a1 = _mm512_load_ps(w + 16), a2 = _mm512_load_ps(w + 32),
               a3 = _mm512_load_ps(w + 48);
        UNROLL_ALL for (int t = 0; t < 6; t++) {
            __m512 b = _mm512_load_ps(x + 16 * t);
            c[t] = _mm512_fmadd_ps(a0, b, c[t]);
            c[6 + t] = _mm512_fmadd_ps(a1, b, c[6 + t]);
            c[12 + t] = _mm512_fmadd_ps(a2, b, c[12 + t]);
            c[18 + t] = _mm512_fmadd_ps(a3, b, c[18 + t]);
        }
    }
    UNROLL_ALL for (int i = 0; i < 24; i++) _mm512_store_ps(acc + 16 * i, c[i]);
}

V512 void glm_gemm_reduce_avx512(const float *acc, int n, float *out)
{
    for (int i = 0; i < n; i++) out[i] = _mm512_reduce_add_ps(_mm512_load_ps(acc + 16 * i));
}

/* ---- packed q4_0 / q8_0: sixteen rows in the lanes --------------------------- *
 * The layout (ops.h, glm_pack_rows) puts, for each block, the sixteen rows'
 * scales together and then each group of four elements of all sixteen
 * rows in one 64-byte vector, so that one VPDPBUSD with the four matching
 * activation bytes broadcast adds a group to all sixteen rows at once and a
 * row's block sum ends in its own lane: no horizontal sums, and the block
 * scales of the sixteen rows are one vector. Weights are unsigned in the
 * dot (q4_0: the nibble 0..15, q8_0: the byte + 128) and the offset is taken
 * off with the activation block's sum (xs). Each token is computed alone and
 * in the same order, however many come in one call, so a token's
 * numbers do not depend on its batch. */

#define DEFINE_PACKED(NAME, BLOCK_BYTES, UNPACK, OFFSET, NT)                                                 \
    V512 static void NAME(int nb, const uint8_t *g, const glm_block_q8_0 *const *x, const float *const *xd,      \
                          const int32_t *const *xs, float *const *y)                                             \
    {                                                                                                            \
        __m512 acc[NT];                                                                                          \
        UNROLL for (int t = 0; t < NT; t++) acc[t] = _mm512_setzero_ps();                                        \
        for (int k = 0; k < nb; k++) {                                                                           \
            const uint8_t *b = g + (size_t)k * (BLOCK_BYTES);                                                    \
            UNROLL for (int o = 0; o < (BLOCK_BYTES); o += 64) prefetch_weights(b + o);                          \
            __m512 da = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b));                                 \
            __m512i w[8];                                                                                        \
            UNPACK(b + 32, w);                                                                                   \
            UNROLL for (int t = 0; t < NT; t++) {                                                                \
                const int8_t *q = x[t][k].qs;                                                                    \
                __m512i s = _mm512_setzero_si512();                                                              \
                UNROLL for (int e = 0; e < 8; e++) {                                                             \
                    int32_t four;                                                                                \
                    memcpy(&four, q + 4 * e, 4);                                                                 \
                    s = _mm512_dpbusd_epi32(s, w[e], _mm512_set1_epi32(four));                                   \
                }                                                                                                \
                s = _mm512_sub_epi32(s, _mm512_set1_epi32((OFFSET) * xs[t][k]));                                 \
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(da, _mm512_set1_ps(xd[t][k])), acc[t]); \
            }                                                                                                    \
        }                                                                                                        \
        UNROLL for (int t = 0; t < NT; t++) _mm512_storeu_ps(y[t], acc[t]);                                      \
    }

/* q4_0: four 64-byte vectors; low nibbles are elements 4e..4e+3, high
 * nibbles elements 16+4e..16+4e+3 (q4_0's own pairing). */
V512 static inline void unpack_packed_q4(const uint8_t *p, __m512i *w)
{
    const __m512i low = _mm512_set1_epi8(0x0f);
    UNROLL for (int e = 0; e < 4; e++) {
        __m512i v = _mm512_loadu_si512((const void *)(p + 64 * e));
        w[e] = _mm512_and_si512(v, low);
        w[e + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
    }
}

V512 static inline void unpack_packed_q8(const uint8_t *p, __m512i *w)
{
    UNROLL for (int e = 0; e < 8; e++) w[e] = _mm512_loadu_si512((const void *)(p + 64 * e));
}

/* One kernel per token count, so that the accumulators stay in registers;
 * every token goes through the same instructions in each. */
DEFINE_PACKED(packed_q4_0_x1, 32 + 4 * 64, unpack_packed_q4, 8, 1)
DEFINE_PACKED(packed_q4_0_x8, 32 + 4 * 64, unpack_packed_q4, 8, 8)
DEFINE_PACKED(packed_q8_0_x1, 32 + 8 * 64, unpack_packed_q8, 128, 1)
DEFINE_PACKED(packed_q8_0_x8, 32 + 8 * 64, unpack_packed_q8, 128, 8)

/* One token against two groups at once (generation): the same operations
 * per group as the one-token kernel, in the same order, so the same bits;
 * two weight streams and two independent chains keep more loads and
 * products in flight, and the activation quads are broadcast once. */
#define DEFINE_PACKED_PAIR(NAME, BLOCK_BYTES, UNPACK, OFFSET)                                                \
    V512 void NAME(int nb, const void *group, size_t group_bytes, const glm_block_q8_0 *x, const float *xd,      \
                   const int32_t *xs, float *y)                                                                  \
    {                                                                                                            \
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();                                           \
        const uint8_t *g0 = group, *g1 = g0 + group_bytes;                                                       \
        for (int k = 0; k < nb; k++) {                                                                           \
            const uint8_t *b0 = g0 + (size_t)k * (BLOCK_BYTES), *b1 = g1 + (size_t)k * (BLOCK_BYTES);            \
            UNROLL for (int o = 0; o < (BLOCK_BYTES); o += 64) {                                                 \
                prefetch_weights(b0 + o);                                                                        \
                prefetch_weights(b1 + o);                                                                        \
            }                                                                                                    \
            __m512 da0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b0));                               \
            __m512 da1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b1));                               \
            __m512i w0[8], w1[8];                                                                                \
            UNPACK(b0 + 32, w0);                                                                                 \
            UNPACK(b1 + 32, w1);                                                                                 \
            const int8_t *q = x[k].qs;                                                                           \
            __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();                                    \
            UNROLL for (int e = 0; e < 8; e++) {                                                                 \
                int32_t four;                                                                                    \
                memcpy(&four, q + 4 * e, 4);                                                                     \
                __m512i f = _mm512_set1_epi32(four);                                                             \
                s0 = _mm512_dpbusd_epi32(s0, w0[e], f);                                                          \
                s1 = _mm512_dpbusd_epi32(s1, w1[e], f);                                                          \
            }                                                                                                    \
            __m512i off = _mm512_set1_epi32((OFFSET) * xs[k]);                                                   \
            __m512 sc = _mm512_set1_ps(xd[k]);                                                                   \
            s0 = _mm512_sub_epi32(s0, off);                                                                      \
            s1 = _mm512_sub_epi32(s1, off);                                                                      \
            acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_mul_ps(da0, sc), acc0);                        \
            acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_mul_ps(da1, sc), acc1);                        \
        }                                                                                                        \
        _mm512_storeu_ps(y, acc0);                                                                               \
        _mm512_storeu_ps(y + 16, acc1);                                                                          \
    }

DEFINE_PACKED_PAIR(glm_packed_q4_0_avx512_pair, 32 + 4 * 64, unpack_packed_q4, 8)
DEFINE_PACKED_PAIR(glm_packed_q8_0_avx512_pair, 32 + 8 * 64, unpack_packed_q8, 128)

#define DEFINE_PACKED_ENTRY(NAME, X1, X8)                                                                     \
    void NAME(int nb, const void *group, int n_tok, const glm_block_q8_0 *const *x, const float *const *xd,      \
              const int32_t *const *xs, float *const *y)                                                          \
    {                                                                                                             \
        int t = 0;                                                                                                \
        for (; t + 8 <= n_tok; t += 8) X8(nb, group, x + t, xd + t, xs + t, y + t);                               \
        for (; t < n_tok; t++) X1(nb, group, x + t, xd + t, xs + t, y + t);                                       \
    }

DEFINE_PACKED_ENTRY(glm_packed_q4_0_avx512, packed_q4_0_x1, packed_q4_0_x8)
DEFINE_PACKED_ENTRY(glm_packed_q8_0_avx512, packed_q8_0_x1, packed_q8_0_x8)

#else /* not x86-64: never selected */

int glm_cpu_has_avx512vnni(void) { return 0; }
float glm_dot_f32_avx512(int n, const void *w, const void *x) { (void)n; (void)w; (void)x; return 0; }
float glm_dot_f16_avx512(int n, const void *w, const void *x) { (void)n; (void)w; (void)x; return 0; }
float glm_dot_q8_0_avx512(int n, const void *w, const void *x) { (void)n; (void)w; (void)x; return 0; }
float glm_dot_q4_0_avx512(int n, const void *w, const void *x) { (void)n; (void)w; (void)x; return 0; }
void glm_dot4_q8_0_avx512(int n, const void *w, const void *const *x, float *out) { (void)n; (void)w; (void)x; (void)out; }
void glm_dot4_q4_0_avx512(int n, const void *w, const void *const *x, float *out) { (void)n; (void)w; (void)x; (void)out; }
void glm_gemm_pack_avx512(float *dst, const void *const *src, int n_src, int group, int k0, int n16, int f16)
{ (void)dst; (void)src; (void)n_src; (void)group; (void)k0; (void)n16; (void)f16; }
void glm_gemm4x6_avx512(int n16, const float *w, const float *x, float *acc, int first)
{ (void)n16; (void)w; (void)x; (void)acc; (void)first; }
void glm_gemm_reduce_avx512(const float *acc, int n, float *out) { (void)acc; (void)n; (void)out; }
void glm_dot_rows4_f32_avx512(int n, const void *const *w, const void *x, float *out) { (void)n; (void)w; (void)x; (void)out; }
void glm_dot_rows4_f16_avx512(int n, const void *const *w, const void *x, float *out) { (void)n; (void)w; (void)x; (void)out; }
void glm_packed_q4_0_avx512(int nb, const void *group, int n_tok, const glm_block_q8_0 *const *x, const float *const *xd,
                            const int32_t *const *xs, float *const *y) { (void)nb; (void)group; (void)n_tok; (void)x; (void)xd; (void)xs; (void)y; }
void glm_packed_q8_0_avx512(int nb, const void *group, int n_tok, const glm_block_q8_0 *const *x, const float *const *xd,
                            const int32_t *const *xs, float *const *y) { (void)nb; (void)group; (void)n_tok; (void)x; (void)xd; (void)xs; (void)y; }

#endif
