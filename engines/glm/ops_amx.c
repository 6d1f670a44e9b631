/*
 * ops_amx.c — AMX-INT8 kernels for packed q4_0 / q8_0 rows (the layout of
 * ops.c's glm_pack_rows), chosen by ops.c at run time on CPUs with AMX
 * (Sapphire Rapids and later Xeons) when the kernel grants the tile state.
 *
 * Why the packed layout fits AMX as it is: one block of a packed group is
 * sixteen rows' scales, then for each group of four elements the four
 * quant bytes of all sixteen rows in 64 bytes. That is exactly AMX's
 * "VNNI" layout for the second operand of TDPBSSD (K/4 rows of N x 4
 * bytes), with N = the sixteen weight rows and K = the 32 elements of a
 * block; the first operand is sixteen tokens' q8_0 activation bytes of the
 * block, one token a row. The weights are made signed again on the way
 * (q4_0: nibble - 8 as it is unpacked; q8_0: the + 128 taken off), so one
 * TDPBSSD gives the 16 x 16 integer block sums that the AVX-512 kernel
 * computes with 128 VPDPBUSDs and an offset correction, and the rest is
 * the AVX-512 kernel's own epilogue: convert, scale by both block scales
 * and add. Integer block sums are exact and the
 * float operations are the same ones in the same order, so the outputs are
 * bit for bit those of glm_packed_*_avx512 (tested): a token's numbers do
 * not depend on the kernel set, its batch, or its place in the batch.
 *
 * Scales differ from block to block, so a tile accumulates one block
 * (K = 32) and is stored and folded into sixteen float accumulators before
 * the next; two result tiles alternate so that the AMX unit works on one
 * block while the vector unit folds the other. Token counts that are not a
 * multiple of sixteen finish on the AVX-512 kernel.
 *
 * The tile instructions are written as inline assembly with "memory"
 * clobbers (GCC's own _tile_loadd has none, so the compiler could move the
 * q4_0 unpacking stores after the load that reads them).
 */
#include "engines/glm/ops_simd.h"
#include "engines/glm/quant.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux keeps AMX's 8 KiB tile state off until a process asks for it
 * (arch/x86/include/uapi/asm/prctl.h, asm/fpu/types.h). */
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

int glm_cpu_has_amx_int8(void)
{
    if (!glm_cpu_has_avx512vnni()) return 0;
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
    if (!(amx_tile && amx_int8)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    if (((lo >> 17) & 3) != 3) return 0;   /* XTILECFG and XTILEDATA enabled by the OS */
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

#define V512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define UNROLL _Pragma("GCC unroll 16")

/* The tile configuration (palette 1): tmm0..tmm3 results (16 tokens x 16
 * int32), tmm4, tmm5 activations (16 tokens x 32 bytes), tmm6, tmm7 weights
 * (8 rows of 16 rows x 4 bytes). */
typedef struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

#define TILE_LOAD(t, base, stride) \
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t ::"r"((const void *)(base)), "r"((long)(stride)) : "memory")
#define TILE_STORE(t, base, stride) \
    __asm__ volatile("tilestored %%tmm" #t ", (%0,%1,1)" ::"r"((void *)(base)), "r"((long)(stride)) : "memory")
#define TILE_ZERO(t) __asm__ volatile("tilezero %%tmm" #t ::)
#define TILE_DPBSSD(c, a, b) __asm__ volatile("tdpbssd %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)

static void tiles_configure(void)
{
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 4; t++) cfg.rows[t] = 16, cfg.colsb[t] = 64;
    for (int t = 4; t < 6; t++) cfg.rows[t] = 16, cfg.colsb[t] = GLM_QK;
    for (int t = 6; t < 8; t++) cfg.rows[t] = GLM_QK / 4, cfg.colsb[t] = 64;
    __asm__ volatile("ldtilecfg %0" ::"m"(cfg) : "memory");
}

static void tiles_release(void) { __asm__ volatile("tilerelease" ::: "memory"); }

/* The signed weights of block b of a group as 8 rows of 64 bytes in buf,
 * where AMX reads them: q8_0's packed bytes less 128; q4_0 holds elements
 * 4e.. in the low and 16+4e.. in the high nibbles of its four vectors, each
 * less 8. */
V512 static const uint8_t *weights_q8(const uint8_t *b, uint8_t *buf)
{
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    UNROLL for (int e = 0; e < 8; e++)
        _mm512_store_si512((void *)(buf + 64 * e), _mm512_xor_si512(_mm512_loadu_si512((const void *)(b + 32 + 64 * e)), bias));
    return buf;
}

V512 static const uint8_t *weights_q4(const uint8_t *b, uint8_t *buf)
{
    const __m512i low = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    UNROLL for (int e = 0; e < 4; e++) {
        __m512i v = _mm512_loadu_si512((const void *)(b + 32 + 64 * e));
        _mm512_store_si512((void *)(buf + 64 * e), _mm512_sub_epi8(_mm512_and_si512(v, low), eight));
        _mm512_store_si512((void *)(buf + 64 * (e + 4)),
                           _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v, 4), low), eight));
    }
    return buf;
}

/* Fold one block's 16 x 16 integer sums (c, one token a row) into acc, as
 * the AVX-512 kernel does for each token once its offset is taken off. */
#define FOLD(c, k)                                                                                     \
    do {                                                                                               \
        UNROLL for (int t = 0; t < 16; t++) {                                                          \
            __m512i s = _mm512_load_si512((const void *)((c) + 16 * t));                               \
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(da[(k) & 1], _mm512_set1_ps(xd[t][k])), \
                                     acc[t]);                                                          \
        }                                                                                              \
    } while (0)

/* One group, sixteen tokens whose activation rows are x_stride bytes apart.
 *
 * Software-pipelined over the blocks with two tile sets (results tmm0/1,
 * activations tmm4/5, weights tmm6/7): block k+1's product is issued
 * before block k's result is stored and folded, so the store never waits
 * on a product issued just before it, and the vector unit folds one block
 * while the tile unit multiplies the next. ISSUE(result, activations,
 * weights, k) starts block k in a set of tiles; RETIRE(set, k) stores and
 * folds it. */
#define ISSUE(C, A, B, KB, WEIGHTS)                                                                        \
    do {                                                                                                   \
        TILE_ZERO(C);                                                                                      \
        TILE_LOAD(A, x0[KB].qs, x_stride);                                                                 \
        TILE_LOAD(B, WEIGHTS(g + (size_t)(KB) * bb, wbuf[C]), 64);                                         \
        TILE_DPBSSD(C, A, B);                                                                              \
    } while (0)
#define RETIRE(S, KB)                                                                                      \
    do {                                                                                                   \
        TILE_STORE(S, c[S], 64);                                                                           \
        da[(KB) & 1] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(g + (size_t)(KB) * bb))); \
        FOLD(c[S], KB);                                                                                    \
    } while (0)

#define DEFINE_AMX16(NAME, BLOCK_BYTES, WEIGHTS)                                                              \
    V512 static void NAME(int nb, const uint8_t *g, const glm_block_q8_0 *x0, size_t x_stride,                 \
                          const float *const *xd, float *const *y, int y_off)                                   \
    {                                                                                                          \
        const size_t bb = (BLOCK_BYTES);                                                                       \
        _Alignas(64) int32_t c[2][16 * 16];                                                                    \
        _Alignas(64) uint8_t wbuf[2][8 * 64];                                                                  \
        __m512 acc[16], da[2];                                                                                 \
        UNROLL for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();                                      \
        ISSUE(0, 4, 6, 0, WEIGHTS);                                                                                           \
        int k = 0;                                                                                             \
        for (; k + 2 <= nb; k += 2) { /* block k is in set 0 */                                                \
            ISSUE(1, 5, 7, k + 1, WEIGHTS);                                                                                   \
            RETIRE(0, k);                                                                                      \
            if (k + 2 < nb) ISSUE(0, 4, 6, k + 2, WEIGHTS);                                                                   \
            RETIRE(1, k + 1);                                                                                  \
        }                                                                                                      \
        if (k < nb) RETIRE(0, k); /* an odd count: the last block, in set 0 */                                 \
        UNROLL for (int t = 0; t < 16; t++) _mm512_storeu_ps(y[t] + y_off, acc[t]);                            \
    }

DEFINE_AMX16(amx16_q4_0, 32 + 4 * 64, weights_q4)
DEFINE_AMX16(amx16_q8_0, 32 + 8 * 64, weights_q8)

/* Two groups (32 rows), 32 tokens: four result tiles (tmm0 tokens 0-15 x
 * group 0, tmm1 tokens 0-15 x group 1, tmm2 and tmm3 the same for tokens
 * 16-31), each activation tile and weight tile used twice. The 32 x 32
 * float sums are too many for registers and live in acc (4 KiB, in L1).
 * Pipelined: block k+1's products are issued right after block k's results
 * are stored, and run while the vector unit folds block k-1, whose results
 * reached memory an iteration ago. */
#define FOLD_MEM(cb, ab, da, t0, k)                                                                    \
    do {                                                                                               \
        UNROLL for (int t = 0; t < 16; t++) {                                                          \
            __m512 f = _mm512_cvtepi32_ps(_mm512_load_si512((const void *)((cb) + 16 * t)));           \
            _mm512_store_ps((ab) + 16 * t,                                                             \
                            _mm512_fmadd_ps(f, _mm512_mul_ps(da, _mm512_set1_ps(xd[(t0) + t][k])),     \
                                            _mm512_load_ps((ab) + 16 * t)));                           \
        }                                                                                              \
    } while (0)

/* The signed weights are written AMX_AHEAD blocks before their tile load
 * reads them, into a ring of AMX_RING blocks: a tile load of bytes still
 * in the store buffer waits for them (measured: a third of the tile work
 * when unpacked just before the load). */
#define AMX_AHEAD 2
#define AMX_RING 4

#define DEFINE_AMX32(NAME, BLOCK_BYTES, WEIGHTS)                                                              \
    V512 static void NAME(int nb, const uint8_t *g0, const uint8_t *g1, const glm_block_q8_0 *x0,            \
                          size_t x_stride, const float *const *xd, float *const *y)                            \
    {                                                                                                          \
        const size_t bb = (BLOCK_BYTES);                                                                       \
        _Alignas(64) int32_t c[2][4][16 * 16];                                                                 \
        _Alignas(64) float acc[4][16 * 16];                                                                    \
        _Alignas(64) uint8_t wring[AMX_RING][2][8 * 64];                                                   \
        memset(acc, 0, sizeof acc);                                                                            \
        const uint8_t *x16 = (const uint8_t *)x0 + 16 * x_stride;                                              \
        for (int kk = 0; kk < AMX_AHEAD && kk < nb; kk++) {                                                \
            WEIGHTS(g0 + (size_t)kk * bb, wring[kk][0]);                                                   \
            WEIGHTS(g1 + (size_t)kk * bb, wring[kk][1]);                                                   \
        }                                                                                                  \
        ISSUE32(0, WEIGHTS);                                                                               \
        for (int k = 0; k <= nb; k++) {                                                                    \
            if (k < nb) {                                                                                  \
                int32_t(*cb)[16 * 16] = c[k & 1];                                                          \
                TILE_STORE(0, cb[0], 64);                                                                  \
                TILE_STORE(1, cb[1], 64);                                                                  \
                TILE_STORE(2, cb[2], 64);                                                                  \
                TILE_STORE(3, cb[3], 64);                                                                  \
                if (k + 1 < nb) ISSUE32(k + 1, WEIGHTS);                                                   \
            }                                                                                              \
            if (k == 0) continue;                                                                          \
            int kf = k - 1; /* folded a block late: its results were stored an iteration ago */            \
            int32_t(*cf)[16 * 16] = c[kf & 1];                                                             \
            __m512 da0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(g0 + (size_t)kf * bb)));     \
            __m512 da1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(g1 + (size_t)kf * bb)));     \
            FOLD_MEM(cf[0], acc[0], da0, 0, kf);                                                           \
            FOLD_MEM(cf[1], acc[1], da1, 0, kf);                                                           \
            FOLD_MEM(cf[2], acc[2], da0, 16, kf);                                                          \
            FOLD_MEM(cf[3], acc[3], da1, 16, kf);                                                          \
        }                                                                                                  \
        for (int t = 0; t < 16; t++) {                                                                         \
            memcpy(y[t], acc[0] + 16 * t, 64);                                                                 \
            memcpy(y[t] + 16, acc[1] + 16 * t, 64);                                                            \
            memcpy(y[16 + t], acc[2] + 16 * t, 64);                                                            \
            memcpy(y[16 + t] + 16, acc[3] + 16 * t, 64);                                                       \
        }                                                                                                      \
    }
#define ISSUE32(KB, WEIGHTS)                                                                               \
    do {                                                                                                   \
        if ((KB) + AMX_AHEAD < nb) {                                                                       \
            WEIGHTS(g0 + (size_t)((KB) + AMX_AHEAD) * bb, wring[((KB) + AMX_AHEAD) % AMX_RING][0]);        \
            WEIGHTS(g1 + (size_t)((KB) + AMX_AHEAD) * bb, wring[((KB) + AMX_AHEAD) % AMX_RING][1]);        \
        }                                                                                                  \
        TILE_LOAD(4, x0[KB].qs, x_stride);                                                                 \
        TILE_LOAD(5, x16 + (size_t)(KB) * sizeof(glm_block_q8_0) + offsetof(glm_block_q8_0, qs), x_stride); \
        TILE_LOAD(6, wring[(KB) % AMX_RING][0], 64);                                                       \
        TILE_LOAD(7, wring[(KB) % AMX_RING][1], 64);                                                       \
        TILE_ZERO(0);                                                                                      \
        TILE_DPBSSD(0, 4, 6);                                                                              \
        TILE_ZERO(1);                                                                                      \
        TILE_DPBSSD(1, 4, 7);                                                                              \
        TILE_ZERO(2);                                                                                      \
        TILE_DPBSSD(2, 5, 6);                                                                              \
        TILE_ZERO(3);                                                                                      \
        TILE_DPBSSD(3, 5, 7);                                                                              \
    } while (0)

DEFINE_AMX32(amx32_q4_0, 32 + 4 * 64, weights_q4)
DEFINE_AMX32(amx32_q8_0, 32 + 8 * 64, weights_q8)

/* n_groups (1 or 2) consecutive groups, group_bytes apart, whose outputs
 * are consecutive in y: pairs of groups against 32 tokens, then single
 * groups against 16, when the tokens' activation rows are evenly spaced
 * (glm_matmul_packed's are); the rest on the AVX-512 kernel. */
#define DEFINE_AMX_ENTRY(NAME, AMX32, AMX16, TAIL, PAIR)                                                            \
    void NAME(int nb, const void *group, size_t group_bytes, int n_groups, int n_tok,                            \
              const glm_block_q8_0 *const *x, const float *const *xd, const int32_t *const *xs, float *const *y) \
    {                                                                                                             \
        const uint8_t *g = group;                                                                                 \
        int t = 0;                                                                                                \
        ptrdiff_t stride = n_tok > 1 ? (const char *)x[1] - (const char *)x[0] : 0;                               \
        int even = n_tok >= 16 && stride > 0;                                                                     \
        for (int i = 2; i < n_tok && even; i++) even = (const char *)x[i] - (const char *)x[i - 1] == stride;   \
        if (even) {                                                                                               \
            tiles_configure();                                                                                    \
            if (n_groups == 2)                                                                                    \
                for (; t + 32 <= n_tok; t += 32) AMX32(nb, g, g + group_bytes, x[t], (size_t)stride, xd + t, y + t); \
            for (; t + 16 <= n_tok; t += 16)                                                                      \
                for (int i = 0; i < n_groups; i++)                                                                \
                    AMX16(nb, g + i * group_bytes, x[t], (size_t)stride, xd + t, y + t, 16 * i);                  \
            tiles_release();                                                                                      \
        }                                                                                                         \
        if (t == n_tok) return;                                                                                   \
        if (n_tok - t == 1 && n_groups == 2) { /* generation */                                                  \
            PAIR(nb, g, group_bytes, x[t], xd[t], xs[t], y[t]);                                                   \
            return;                                                                                               \
        }                                                                                                         \
        float *yi[GLM_PACKED_TOKENS_MAX];                                                                         \
        for (int i = 0; i < n_groups; i++) {                                                                      \
            for (int u = t; u < n_tok; u++) yi[u - t] = y[u] + 16 * i;                                           \
            TAIL(nb, g + i * group_bytes, n_tok - t, x + t, xd + t, xs + t, yi);                                  \
        }                                                                                                         \
    }

DEFINE_AMX_ENTRY(glm_packed_q4_0_amx, amx32_q4_0, amx16_q4_0, glm_packed_q4_0_avx512, glm_packed_q4_0_avx512_pair)
DEFINE_AMX_ENTRY(glm_packed_q8_0_amx, amx32_q8_0, amx16_q8_0, glm_packed_q8_0_avx512, glm_packed_q8_0_avx512_pair)

#else /* no AMX here: never selected */
int glm_cpu_has_amx_int8(void) { return 0; }
/* One group at a time on the AVX-512 kernel (never called: ops.c selects
 * AMX only where glm_cpu_has_amx_int8 said yes). */
#define DEFINE_FALLBACK(NAME, TAIL)                                                                          \
    void NAME(int nb, const void *group, size_t group_bytes, int n_groups, int n_tok,                           \
              const glm_block_q8_0 *const *x, const float *const *xd, const int32_t *const *xs, float *const *y) \
    {                                                                                                            \
        float *yi[GLM_PACKED_TOKENS_MAX];                                                                        \
        for (int i = 0; i < n_groups; i++) {                                                                     \
            for (int u = 0; u < n_tok; u++) yi[u] = y[u] + 16 * i;                                              \
            TAIL(nb, (const uint8_t *)group + i * group_bytes, n_tok, x, xd, xs, yi);                            \
        }                                                                                                        \
    }
DEFINE_FALLBACK(glm_packed_q4_0_amx, glm_packed_q4_0_avx512)
DEFINE_FALLBACK(glm_packed_q8_0_amx, glm_packed_q8_0_avx512)
#endif
