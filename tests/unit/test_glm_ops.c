/*
 * test_glm_ops.c — the GLM kernels: fast dot products and the threaded
 * matmul against the _ref kernels for every weight type; row kernels
 * (rmsnorm, softmax, swiglu, rope) against values worked out by hand; the
 * thread pool; and the sampler (greedy, top-k, top-p, seeded draws).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/ops.h"
#include "engines/glm/quant.h"
#include "engines/glm/sampler.h"
#include "core/util.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill(tt_rng *r, float *x, int n, float scale)
{
    for (int i = 0; i < n; i++) x[i] = (float)((tt_rng_uniform(r) * 2 - 1) * scale);
}

static const uint32_t types[4] = {GLM_TYPE_F32, GLM_TYPE_F16, GLM_TYPE_Q8_0, GLM_TYPE_Q4_0};

/* Every kernel set the CPU has, best first; "none" is the portable path. */
#define N_ISAS 4
static const char *const isas[N_ISAS] = {"avx512-amx", "avx512-vnni", "avx2", "none"};

static void check_dots(tt_rng *r)
{
    /* block counts that reach every path: an odd block alone, pairs,
     * groups of eight with a pair and with an odd block after them */
    int sizes[7] = {32, 64, 96, 256, 288, 320, 4096};
    for (int t = 0; t < 4; t++) {
        for (int s = 0; s < 7; s++) {
            int n = sizes[s];
            float *w = tt_malloc((size_t)n * 4), *x = tt_malloc((size_t)n * 4);
            fill(r, w, n, 1);
            fill(r, x, n, 3);
            uint8_t *wq = tt_malloc(glm_row_size(types[t], n) + 1);
            uint8_t *xq = tt_malloc(glm_row_size(glm_vec_dot_type(types[t]), n) + 1);
            glm_type_get(types[t])->from_float_ref(w, wq, n);
            if (types[t] == GLM_TYPE_Q8_0 && s == 3) {
                /* a file may hold -128, which ggml's quantizer never writes */
                glm_block_q8_0 *b = (glm_block_q8_0 *)wq;
                b[0].qs[0] = -128;
                b[5].qs[31] = -128;
            }
            glm_convert_activations(types[t], x, xq, n);
            float fast = glm_vec_dot(types[t], n, wq, xq), ref = glm_vec_dot_ref(types[t], n, wq, xq);
            /* reference: float sums in a different order; bound by the sum of |terms| */
            double mag = 0;
            for (int i = 0; i < n; i++) mag += fabs((double)w[i] * x[i]);
            assert_true(fabs((double)fast - ref) <= 1e-5 * mag + 1e-6);
            /* and the quantized dot is close to the exact float dot */
            double exact = 0;
            for (int i = 0; i < n; i++) exact += (double)w[i] * x[i];
            double tol = types[t] == GLM_TYPE_F32 ? 1e-5 : types[t] == GLM_TYPE_F16 ? 2e-3 : types[t] == GLM_TYPE_Q8_0 ? 2e-2 : 1.5e-1;
            if (!(types[t] == GLM_TYPE_Q8_0 && s == 3)) assert_true(fabs(ref - exact) <= tol * mag / sqrt((double)n) * 4 + 1e-4);
            free(w); free(x); free(wq); free(xq);
        }
    }
    /* f32 with a length that is not a multiple of 8 */
    float a[37], b[37];
    fill(r, a, 37, 1);
    fill(r, b, 37, 1);
    assert_true(fabsf(glm_vec_dot(GLM_TYPE_F32, 37, a, b) - glm_vec_dot_ref(GLM_TYPE_F32, 37, a, b)) < 1e-5f);
}

static void test_glm_vec_dot_fast_matches_ref(void **state)
{
    (void)state;
    const char *best = glm_ops_isa();
    printf("# simd kernels: %s\n", best);
    tt_rng r;
    tt_rng_seed(&r, 3);
    int tested = 0;
    for (int i = 0; i < N_ISAS; i++) {
        if (glm_ops_select_isa(isas[i]) != 0) continue;
        printf("# dot kernels checked against the reference: %s\n", isas[i]);
        check_dots(&r);
        tested++;
    }
    assert_int_equal(glm_ops_select_isa("no-such-isa"), -1);
    assert_int_equal(glm_ops_select_isa(best), 0);
    assert_string_equal(glm_ops_isa(), best);
    assert_true(tested >= 1);
}

/* The fast activation conversions are bit-identical to the reference ones,
 * ties included (x*id landing exactly on k + 0.5 rounds away from zero). */
static void test_glm_convert_activations_matches_ref(void **state)
{
    (void)state;
    enum { N = 4096 };
    static float x[N];
    static glm_block_q8_0 a[N / 32], b[N / 32];
    static uint16_t h1[N], h2[N];
    tt_rng r;
    tt_rng_seed(&r, 8);
    fill(&r, x, N, 5);
    for (int i = 0; i < 32; i++) x[i] = (float)(i - 16) + 0.5f;   /* amax 16.5: not exact ties */
    x[32] = 127.0f;                                               /* block 1: d = 1, id = 1 */
    x[33] = 2.5f; x[34] = -3.5f; x[35] = 0.5f; x[36] = -0.5f; x[37] = 0.49999997f; x[38] = -126.5f;
    for (int i = 64; i < 96; i++) x[i] = 0.0f;                    /* a zero block */
    glm_convert_activations(GLM_TYPE_Q8_0, x, a, N);
    glm_quantize_row_q8_0_ref(x, b, N);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(b[1].qs[1], 3);
    assert_int_equal(b[1].qs[2], -4);
    assert_int_equal(b[1].qs[3], 1);
    assert_int_equal(b[1].qs[4], -1);
    assert_int_equal(b[1].qs[5], 0);
    assert_int_equal(b[1].qs[6], -127);
    glm_convert_activations(GLM_TYPE_F16, x, h1, N);
    glm_fp32_to_fp16_row(x, h2, N);
    assert_memory_equal(h1, h2, sizeof h1);
    glm_ops_force_ref(1);   /* the forced path is the reference itself */
    glm_convert_activations(GLM_TYPE_Q8_0, x, a, N);
    glm_ops_force_ref(0);
    assert_memory_equal(a, b, sizeof a);
}

/* Packed q4_0 / q8_0 rows: glm_matmul_packed against the reference dot of
 * each row in the file's layout, at every kernel set (below AVX-512 the
 * packed rows run through the portable packed kernel), with rows after the
 * last group of sixteen; a token's outputs are the same bits alone as in a
 * batch; and AMX's outputs are the same bits as AVX-512 VNNI's. Two shapes:
 * 61 tokens of 9 blocks (an odd count: the AMX kernels' pairs of blocks and
 * the odd one) cut as 32 (two groups x 32 tokens), 16 (the sixteen-token
 * kernel on both groups of a pair, so it writes the second at y + 16) and
 * 13 (the AVX-512 kernel's eight-token and one-token paths); and 150 tokens
 * of 8 blocks (an even count), more than one 128-token chunk. A token
 * alone goes through the one-token kernel for two groups at once (the
 * first two groups) and for one (the third). */
static void test_glm_matmul_packed_matches_ref(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 13);
    glm_pool *pool = glm_pool_new(2);
    const char *best = glm_ops_isa();
    static const int shapes[2][2] = {{288, 61}, {256, 150}};   /* {n_in, tokens} */
    int n_out = 3 * GLM_PACK_ROWS + 5;
    float *y_vnni[2][2] = {{NULL, NULL}, {NULL, NULL}};   /* per shape and type, to compare AMX's with */
    int amx_ran = 0;
    uint32_t qtypes[2] = {GLM_TYPE_Q4_0, GLM_TYPE_Q8_0};
    for (int isa = 0; isa < N_ISAS; isa++)
        for (int sh = 0; sh < 2; sh++)
        for (int q = 0; q < 2; q++) {
            if (glm_ops_select_isa(isas[isa]) != 0) continue;
            int n_in = shapes[sh][0], nt = shapes[sh][1];
            uint32_t type = qtypes[q];
            tt_rng_seed(&r, 13 + q + 2 * sh);   /* the same matrices at every kernel set */
            float *w = tt_malloc((size_t)n_in * n_out * 4), *x = tt_malloc((size_t)nt * n_in * 4);
            fill(&r, w, n_in * n_out, 1);
            fill(&r, x, nt * n_in, 2);
            size_t rs = glm_row_size(type, n_in);
            uint8_t *wq = tt_malloc(rs * n_out), *wp = tt_malloc(rs * n_out);
            for (int o = 0; o < n_out; o++) glm_type_get(type)->from_float_ref(w + (size_t)o * n_in, wq + o * rs, n_in);
            if (type == GLM_TYPE_Q8_0) ((glm_block_q8_0 *)wq)[2].qs[5] = -128;   /* a file may hold it */
            glm_pack_rows(type, wq, wp, n_in, n_out);
            memcpy(w, wq, rs * n_out);                                              /* and in place */
            glm_pack_rows(type, w, w, n_in, n_out);
            assert_memory_equal(w, wp, rs * n_out);
            float *y = tt_malloc((size_t)nt * n_out * 4), *y1 = tt_malloc((size_t)n_out * 4);
            void *scratch = tt_malloc(glm_matmul_scratch(type, n_in, nt));
            glm_matmul_packed(pool, y, x, nt, wp, type, n_in, n_out, scratch);
            uint8_t *xq = tt_malloc(glm_row_size(GLM_TYPE_Q8_0, n_in));
            for (int t = 0; t < nt; t++) {
                glm_convert_activations(type, x + (size_t)t * n_in, xq, n_in);
                for (int o = 0; o < n_out; o++) {
                    float ref = glm_vec_dot_ref(type, n_in, wq + o * rs, xq);
                    assert_true(fabsf(y[(size_t)t * n_out + o] - ref) <= 1e-4f * (1 + fabsf(ref)));
                }
            }
            /* tokens 5 (in a tile of thirty-two, or among eight), 40 (in
             * the first shape's tile of sixteen) and the last (alone in its
             * kernel) computed alone: their packed rows are the same bits */
            const int alone[3] = {5, 40, nt - 1};
            for (int a = 0; a < 3; a++) {
                int t = alone[a];
                glm_matmul_packed(pool, y1, x + (size_t)t * n_in, 1, wp, type, n_in, n_out, scratch);
                assert_memory_equal(y1, y + (size_t)t * n_out, 3 * GLM_PACK_ROWS * sizeof(float));
            }
            if (strcmp(isas[isa], "avx512-amx") == 0) {
                amx_ran = 1;
                y_vnni[sh][q] = y;   /* kept: the AVX-512 VNNI pass (next) must give the same bits */
                y = NULL;
            } else if (strcmp(isas[isa], "avx512-vnni") == 0 && y_vnni[sh][q]) {
                assert_memory_equal(y, y_vnni[sh][q], (size_t)nt * n_out * sizeof(float));
                free(y_vnni[sh][q]);
                y_vnni[sh][q] = NULL;
            }
            free(w); free(x); free(wq); free(wp); free(y); free(y1); free(scratch); free(xq);
        }
    /* both compared, or AMX absent */
    for (int sh = 0; sh < 2; sh++) {
        assert_null(y_vnni[sh][0]);
        assert_null(y_vnni[sh][1]);
    }
    printf("# packed rows: AMX %s\n", amx_ran ? "checked bit for bit against AVX-512 VNNI" : "not on this CPU");
    glm_ops_select_isa(best);
    glm_pool_free(pool);
}

/* The attention row kernels against the plain loops, at every kernel set,
 * head sizes of 64 and 128 (the fast path) and 40 (the portable one). */
static void test_glm_attention_rows_match_loops(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 11);
    const char *best = glm_ops_isa();
    int hds[3] = {64, 128, 40}, lens[3] = {1, 7, 300};
    size_t stride = 2 * 128 + 8;   /* rows of a KV cache with two heads, plus padding */
    float *k = tt_malloc(300 * stride * 4), *v = tt_malloc(300 * stride * 4), q[128], att[300], o[128];
    fill(&r, k, (int)(300 * stride), 1);
    fill(&r, v, (int)(300 * stride), 1);
    fill(&r, q, 128, 1);
    uint16_t *kf16 = tt_malloc(300 * stride * 2), *vf16 = tt_malloc(300 * stride * 2);
    /* a cache of 800 rows holding the same rows along a path */
    float *kp = tt_calloc(800 * stride, 4), *vp = tt_calloc(800 * stride, 4);
    uint16_t *kpf16 = tt_malloc(800 * stride * 2), *vpf16 = tt_malloc(800 * stride * 2);
    int path[300];
    for (int isa = 0; isa < N_ISAS; isa++) {
        if (glm_ops_select_isa(isas[isa]) != 0) continue;
        for (int h = 0; h < 3; h++)
            for (int l = 0; l < 3; l++) {
                int hd = hds[h], len = lens[l];
                const float *kh = k + 128, *vh = v + 128;   /* the second head */
                glm_attn_scores(att, q, kh, stride, NULL, hd, len, 0.125f);
                for (int p = 0; p < len; p++) {
                    double s = 0, mag = 0;
                    for (int d = 0; d < hd; d++) {
                        s += (double)kh[p * stride + d] * q[d];
                        mag += fabs((double)kh[p * stride + d] * q[d]);
                    }
                    assert_true(fabs(att[p] - 0.125 * s) <= 1e-6 * mag + 1e-7);
                }
                glm_softmax(att, len);
                glm_attn_values(o, att, vh, stride, NULL, hd, len);
                for (int d = 0; d < hd; d++) {
                    double s = 0;
                    for (int p = 0; p < len; p++) s += (double)att[p] * vh[p * stride + d];
                    assert_true(fabs(o[d] - s) <= 1e-5);
                }
                /* the same over an fp16 cache holding the same values rounded */
                glm_fp32_to_fp16_row(k, kf16, (int64_t)(300 * stride));
                glm_fp32_to_fp16_row(v, vf16, (int64_t)(300 * stride));
                glm_attn_scores_f16(att, q, kf16 + 128, stride, NULL, hd, len, 0.125f);
                for (int p = 0; p < len; p++) {
                    double s = 0, mag = 0;
                    for (int d = 0; d < hd; d++) {
                        double kd = glm_fp16_to_fp32(kf16[128 + p * stride + d]);
                        s += kd * q[d];
                        mag += fabs(kd * q[d]);
                    }
                    assert_true(fabs(att[p] - 0.125 * s) <= 1e-6 * mag + 1e-7);
                }
                glm_softmax(att, len);
                glm_attn_values_f16(o, att, vf16 + 128, stride, NULL, hd, len);
                for (int d = 0; d < hd; d++) {
                    double s = 0;
                    for (int p = 0; p < len; p++) s += (double)att[p] * glm_fp16_to_fp32(vf16[128 + p * stride + d]);
                    assert_true(fabs(o[d] - s) <= 1e-5);
                }
                /* a path through the cache (glm_forward_batch): row p of the
                 * span at cache row path[p], scattered after the first few
                 * (7 is invertible modulo the prime 487); the same bits as
                 * the rows in order */
                float att1[300], o1[128], att2[300], o2[128];
                for (int p = 0; p < len; p++) path[p] = p < 5 ? p : 300 + p * 7 % 487;
                for (int p = 0; p < len; p++) {
                    memcpy(kp + path[p] * stride, k + p * stride, stride * 4);
                    memcpy(vp + path[p] * stride, v + p * stride, stride * 4);
                }
                glm_attn_scores(att1, q, kh, stride, NULL, hd, len, 0.125f);
                glm_attn_scores(att2, q, kp + 128, stride, path, hd, len, 0.125f);
                assert_memory_equal(att1, att2, (size_t)len * 4);
                glm_softmax(att1, len);
                glm_attn_values(o1, att1, vh, stride, NULL, hd, len);
                glm_attn_values(o2, att1, vp + 128, stride, path, hd, len);
                assert_memory_equal(o1, o2, (size_t)hd * 4);
                glm_fp32_to_fp16_row(kp, kpf16, (int64_t)(800 * stride));
                glm_fp32_to_fp16_row(vp, vpf16, (int64_t)(800 * stride));
                glm_attn_scores_f16(att1, q, kf16 + 128, stride, NULL, hd, len, 0.125f);
                glm_attn_scores_f16(att2, q, kpf16 + 128, stride, path, hd, len, 0.125f);
                assert_memory_equal(att1, att2, (size_t)len * 4);
                glm_softmax(att1, len);
                glm_attn_values_f16(o1, att1, vf16 + 128, stride, NULL, hd, len);
                glm_attn_values_f16(o2, att1, vpf16 + 128, stride, path, hd, len);
                assert_memory_equal(o1, o2, (size_t)hd * 4);
            }
    }
    free(kp);
    free(vp);
    free(kpf16);
    free(vpf16);
    glm_ops_select_isa(best);
    free(k);
    free(v);
    free(kf16);
    free(vf16);
}

/* Softmax at every kernel set against expf in double: each probability
 * within 1e-6 relative (the vector e^x is within about an ulp), lengths
 * around the vector width, spreads that reach e^x's underflow, a row with
 * one dominant score and one of equal scores. */
static void test_glm_softmax_matches_expf(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 17);
    const char *best = glm_ops_isa();
    int lens[7] = {1, 7, 8, 9, 16, 67, 300};
    float spreads[4] = {1, 20, 100, 300};
    float x[300], y[300];
    for (int isa = 0; isa < N_ISAS; isa++) {
        if (glm_ops_select_isa(isas[isa]) != 0) continue;
        for (int l = 0; l < 7; l++)
            for (int sp = 0; sp < 6; sp++) {
                int n = lens[l];
                for (int i = 0; i < n; i++) {
                    if (sp < 4) x[i] = (float)((tt_rng_uniform(&r) * 2 - 1) * spreads[sp]);
                    else if (sp == 4) x[i] = i == n / 2 ? 50.0f : -50.0f;
                    else x[i] = 3.0f;
                }
                memcpy(y, x, (size_t)n * sizeof(float));
                glm_softmax(y, n);
                /* x - max is rounded to float by every implementation (an
                 * absolute error up to half an ulp of the difference), so
                 * the expected values start from the same float difference */
                float max = x[0];
                double sum = 0;
                for (int i = 1; i < n; i++) if (x[i] > max) max = x[i];
                for (int i = 0; i < n; i++) sum += exp((double)(x[i] - max));
                double total = 0;
                for (int i = 0; i < n; i++) {
                    double want = exp((double)(x[i] - max)) / sum;
                    if (!(fabs(y[i] - want) <= 1e-6 * want + 1e-37))
                        fail_msg("%s: n %d spread %d, p[%d] = %.9g, expected %.9g", isas[isa], n, sp, i, y[i], want);
                    total += y[i];
                }
                assert_true(fabs(total - 1) < 1e-5);
            }
    }
    glm_ops_select_isa(best);
}

/* glm_matmul_grouped: the tokens named for the kernels for groups of four
 * get the bits they get in full groups (the last group padded), the others
 * the bits of a token run alone; at every kernel set and weight type, in
 * the file's layout and packed (whose rows after the last group of sixteen
 * take the same kernels). 9 tokens, 6 grouped: a group of four, a group of
 * two padded, three alone. */
static void test_glm_matmul_grouped_tokens(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 23);
    glm_pool *pool = glm_pool_new(2);
    int n_in = 288, n_out = GLM_PACK_ROWS + 7, nt = 9, ng = 6;
    const char *best = glm_ops_isa();
    float *w = tt_malloc((size_t)n_in * n_out * 4), *x = tt_malloc((size_t)nt * n_in * 4);
    float *y8 = tt_malloc((size_t)8 * n_out * 4), *yg = tt_malloc((size_t)nt * n_out * 4), *y1 = tt_malloc((size_t)n_out * 4);
    fill(&r, w, n_in * n_out, 1);
    fill(&r, x, nt * n_in, 2);
    for (int isa = 0; isa < N_ISAS; isa++)
        for (int t = 0; t < 4; t++)
            for (int packed = 0; packed < 2; packed++) {
                if (glm_ops_select_isa(isas[isa]) != 0) continue;
                if (packed && !glm_pack_wanted(types[t], n_in, n_out)) continue;
                size_t rs = glm_row_size(types[t], n_in);
                uint8_t *wq = tt_malloc(rs * (size_t)n_out);
                for (int o = 0; o < n_out; o++) glm_type_get(types[t])->from_float_ref(w + (size_t)o * n_in, wq + o * rs, n_in);
                if (packed) glm_pack_rows(types[t], wq, wq, n_in, n_out);
                void *scratch = tt_malloc(glm_matmul_scratch(types[t], n_in, nt));
#define MM(Y, X, N, G)                                                                                   \
    (packed ? glm_matmul_packed_grouped(pool, Y, X, N, G, wq, types[t], n_in, n_out, scratch)          \
            : glm_matmul_grouped(pool, Y, X, N, G, wq, types[t], n_in, n_out, scratch))
                MM(y8, x, 8, 8);
                MM(yg, x, nt, ng);
                assert_memory_equal(yg, y8, (size_t)ng * n_out * 4);
                for (int k = ng; k < nt; k++) {
                    MM(y1, x + (size_t)k * n_in, 1, 0);
                    assert_memory_equal(yg + (size_t)k * n_out, y1, (size_t)n_out * 4);
                }
#undef MM
                free(wq);
                free(scratch);
            }
    glm_ops_select_isa(best);
    glm_pool_free(pool);
    free(w); free(x); free(y8); free(yg); free(y1);
}

/* The arithmetic the panel GEMM gives a grouped (row, token) of f32 or f16
 * weights (ops_simd.h): sixteen lanes, lane l fused-multiply-adding inputs
 * 16c + l in order; the lanes summed as _mm512_reduce_add_ps sums them
 * (halves, then quarters, then pairs); the inputs after the last sixteen
 * added one by one. Replayed here in scalar C, so that a misplaced slice,
 * panel or group changes the bits. */
static float gemm_replay(const float *w, const float *x, int n)
{
    float lane[16] = {0};
    int n_vec = n / 16 * 16;
    for (int c = 0; c < n_vec; c += 16)
        for (int l = 0; l < 16; l++) lane[l] = fmaf(w[c + l], x[c + l], lane[l]);
    float h8[8], h4[4];
    for (int i = 0; i < 8; i++) h8[i] = lane[i + 8] + lane[i];
    for (int i = 0; i < 4; i++) h4[i] = h8[i + 4] + h8[i];
    float s = (h4[0] + h4[2]) + (h4[1] + h4[3]);
    for (int e = n_vec; e < n; e++) s += w[e] * x[e];
    return s;
}

/* f32 and f16 weights at the AVX-512 kernel sets: grouped tokens take the
 * panel GEMM, bit for bit its replay, across eight slices of inputs and a
 * tail (2053 inputs), more tokens than a tile (103: 100 grouped, the last
 * group of six short); ungrouped tokens take the one-row kernel's bits,
 * four rows at a time or alone (39 rows); grouped tokens of the rows after
 * the last four take the four-token kernel. */
static void test_glm_matmul_gemm_bits(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 31);
    glm_pool *pool = glm_pool_new(2);
    int n_in = 16 * 128 + 5, n_out = 39, nt = 103, ng = nt - nt % 4;   /* rows of 4 KiB and more at f16: four at a time */
    const char *best = glm_ops_isa();
    float *w = tt_malloc((size_t)n_in * n_out * 4), *x = tt_malloc((size_t)nt * n_in * 4);
    float *y = tt_malloc((size_t)nt * n_out * 4), *wf = tt_malloc((size_t)n_in * 4), *xf = tt_malloc((size_t)n_in * 4);
    fill(&r, w, n_in * n_out, 1);
    fill(&r, x, nt * n_in, 2);
    int checked = 0;
    for (int isa = 0; isa < 2; isa++)
        for (int t = 0; t < 2; t++) {
            if (glm_ops_select_isa(isas[isa]) != 0) continue;
            size_t rs = glm_row_size(types[t], n_in), xs = glm_row_size(types[t], n_in);
            uint8_t *wq = tt_malloc(rs * (size_t)n_out), *xq = tt_malloc(xs);
            for (int o = 0; o < n_out; o++) glm_type_get(types[t])->from_float_ref(w + (size_t)o * n_in, wq + o * rs, n_in);
            void *scratch = tt_malloc(glm_matmul_scratch(types[t], n_in, nt));
            for (int pass = 0; pass < 2; pass++) {
                int n = pass == 0 ? nt : 1;   /* the batch, then its first token alone */
                glm_matmul(pool, y, x, n, wq, types[t], n_in, n_out, scratch);
                for (int k = 0; k < n; k++) {
                    glm_convert_activations(types[t], x + (size_t)k * n_in, xq, n_in);
                    glm_type_get(types[t])->to_float(xq, xf, n_in);
                    for (int o = 0; o < n_out; o++) {
                        float want, got = y[(size_t)k * n_out + o];
                        int grouped = k < (n == 1 ? 0 : ng);
                        if (grouped && o >= n_out / 4 * 4) {   /* the four-token kernel: close to the reference */
                            float ref = glm_vec_dot_ref(types[t], n_in, wq + o * rs, xq);
                            assert_true(fabsf(got - ref) <= 1e-4f * (1 + fabsf(ref)));
                            continue;
                        }
                        if (grouped) {
                            glm_type_get(types[t])->to_float(wq + o * rs, wf, n_in);
                            want = gemm_replay(wf, xf, n_in);
                        } else {
                            want = glm_vec_dot(types[t], n_in, wq + o * rs, xq);
                        }
                        if (memcmp(&got, &want, sizeof got) != 0)
                            fail_msg("%s %s token %d row %d: %.9g, want %.9g", isas[isa], t ? "f16" : "f32", k, o,
                                     (double)got, (double)want);
                    }
                }
            }
            checked++;
            free(wq); free(xq); free(scratch);
        }
    if (!checked) printf("# test_glm_matmul_gemm_bits: no AVX-512 on this CPU, nothing to check\n");
    glm_ops_select_isa(best);
    glm_pool_free(pool);
    free(w); free(x); free(y); free(wf); free(xf);
}

static void test_glm_matmul_threads_match_ref(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 5);
    glm_pool *pool = glm_pool_new(3);
    int n_in = 288, n_out = 67;   /* 9 blocks: a group of eight and an odd one */
    int toks[3] = {1, 7, 70};
    const char *best = glm_ops_isa();
    for (int isa = 0; isa < N_ISAS; isa++)
    for (int t = 0; t < 4; t++) {
        if (glm_ops_select_isa(isas[isa]) != 0) continue;
        float *w = tt_malloc((size_t)n_in * n_out * 4);
        fill(&r, w, n_in * n_out, 1);
        size_t rs = glm_row_size(types[t], n_in);
        uint8_t *wq = tt_malloc(rs * (size_t)n_out);
        for (int o = 0; o < n_out; o++) glm_type_get(types[t])->from_float_ref(w + (size_t)o * n_in, wq + o * rs, n_in);
        for (int k = 0; k < 3; k++) {
            int nt = toks[k];
            float *x = tt_malloc((size_t)nt * n_in * 4), *y = tt_malloc((size_t)nt * n_out * 4);
            fill(&r, x, nt * n_in, 2);
            void *scratch = tt_malloc(glm_matmul_scratch(types[t], n_in, nt));
            glm_matmul(pool, y, x, nt, wq, types[t], n_in, n_out, scratch);
            size_t xs = glm_row_size(glm_vec_dot_type(types[t]), n_in);
            uint8_t *xq = tt_malloc(xs);
            for (int i = 0; i < nt; i++) {
                glm_convert_activations(types[t], x + (size_t)i * n_in, xq, n_in);
                for (int o = 0; o < n_out; o++) {
                    float ref = glm_vec_dot_ref(types[t], n_in, wq + o * rs, xq);
                    assert_true(fabsf(y[(size_t)i * n_out + o] - ref) <= 1e-4f * (1 + fabsf(ref)));
                }
            }
            free(xq); free(scratch); free(x); free(y);
        }
        free(w); free(wq);
    }
    glm_ops_select_isa(best);
    glm_pool_free(pool);
}

static void test_glm_row_kernels(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 1}, o[4];
    glm_rmsnorm(o, x, w, 4, 0.0f);
    float s = 1.0f / sqrtf(7.5f);
    assert_true(fabsf(o[0] - s) < 1e-6f && fabsf(o[2] - 6 * s) < 1e-6f);
    float p[3] = {0, logf(2), logf(3)};
    glm_softmax(p, 3);
    assert_true(fabsf(p[0] - 1.0f / 6) < 1e-6f && fabsf(p[2] - 0.5f) < 1e-6f);
    float g[2] = {0, 1}, u[2] = {5, 2}, a[2];
    glm_swiglu(a, g, u, 2);
    assert_true(a[0] == 0.0f);
    assert_true(fabsf(a[1] - 2.0f / (1.0f + expf(-1.0f))) < 1e-6f);
    /* rope: 2 heads of 4 dims, n_rot 2: only the first pair of each head turns */
    float v[8] = {1, 0, 7, 8, 0, 1, 5, 6};
    glm_rope(v, 2, 4, 2, 0, 10000.0f);
    assert_true(v[0] == 1 && v[1] == 0 && v[5] == 1);
    glm_rope(v, 2, 4, 2, 1, 10000.0f);   /* theta = 1 for pair 0 */
    assert_true(fabsf(v[0] - cosf(1)) < 1e-6f && fabsf(v[1] - sinf(1)) < 1e-6f);
    assert_true(fabsf(v[4] + sinf(1)) < 1e-6f && fabsf(v[5] - cosf(1)) < 1e-6f);
    assert_true(v[2] == 7 && v[3] == 8 && v[6] == 5 && v[7] == 6);
    /* n_rot 4, pair 1 at pos 2: theta = 2 * 10000^(-2/4) = 0.02 */
    float q[4] = {0, 0, 1, 0};
    glm_rope(q, 1, 4, 4, 2, 10000.0f);
    assert_true(fabsf(q[2] - cosf(0.02f)) < 1e-6f && fabsf(q[3] - sinf(0.02f)) < 1e-6f);
}

typedef struct count_job { atomic_int calls[8]; atomic_int nth_seen; } count_job;

static void count_fn(void *v, int ith, int nth)
{
    count_job *j = v;
    atomic_fetch_add(&j->calls[ith], 1);
    atomic_store(&j->nth_seen, nth);
}

static void test_glm_pool_runs_each_thread_once(void **state)
{
    (void)state;
    glm_pool *p = glm_pool_new(4);
    assert_int_equal(glm_pool_threads(p), 4);
    count_job j;
    for (int i = 0; i < 8; i++) atomic_init(&j.calls[i], 0);
    for (int k = 0; k < 500; k++) glm_pool_run(p, count_fn, &j);
    for (int i = 0; i < 4; i++) assert_int_equal(atomic_load(&j.calls[i]), 500);
    assert_int_equal(atomic_load(&j.calls[4]), 0);
    assert_int_equal(atomic_load(&j.nth_seen), 4);
    glm_pool_free(p);
    glm_pool_run(NULL, count_fn, &j);   /* no pool: the caller alone */
    assert_int_equal(atomic_load(&j.calls[0]), 501);
}

static void test_glm_sampler(void **state)
{
    (void)state;
    float logits[4] = {0.0f, logf(3.0f), -1.0f, -50.0f};
    glm_sampler s;
    glm_sampler_init(&s, 4, 0.0, 0, 0, 1);
    assert_int_equal(glm_sample(&s, logits), 1);
    glm_sampler_free(&s);
    glm_sampler_init(&s, 4, 1.0, 0, 1, 1);   /* top-k 1 */
    for (int i = 0; i < 50; i++) assert_int_equal(glm_sample(&s, logits), 1);
    glm_sampler_free(&s);
    glm_sampler_init(&s, 4, 1.0, 0.5, 0, 1); /* top-p 0.5: token 1 alone holds ~0.68 */
    for (int i = 0; i < 50; i++) assert_int_equal(glm_sample(&s, logits), 1);
    glm_sampler_free(&s);
    /* frequencies: tokens 0 and 1 with only top_k 2 -> 1/4, 3/4 */
    glm_sampler_init(&s, 4, 1.0, 0, 2, 9);
    int c[4] = {0};
    for (int i = 0; i < 4000; i++) c[glm_sample(&s, logits)]++;
    assert_int_equal(c[2] + c[3], 0);
    assert_true(fabs(c[1] / 4000.0 - 0.75) < 0.03);
    glm_sampler_free(&s);
    /* same seed, same draws */
    glm_sampler a, b;
    glm_sampler_init(&a, 4, 2.0, 0.95, 0, 77);
    glm_sampler_init(&b, 4, 2.0, 0.95, 0, 77);
    for (int i = 0; i < 100; i++) assert_int_equal(glm_sample(&a, logits), glm_sample(&b, logits));
    glm_sampler_free(&a);
    glm_sampler_free(&b);
    assert_true(fabs(glm_logprob(logits, 4, 1) - log(3.0 / (1 + 3 + exp(-1.0) + exp(-50.0)))) < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_vec_dot_fast_matches_ref),
        cmocka_unit_test(test_glm_convert_activations_matches_ref),
        cmocka_unit_test(test_glm_matmul_threads_match_ref),
        cmocka_unit_test(test_glm_matmul_grouped_tokens),
        cmocka_unit_test(test_glm_matmul_gemm_bits),
        cmocka_unit_test(test_glm_attention_rows_match_loops),
        cmocka_unit_test(test_glm_softmax_matches_expf),
        cmocka_unit_test(test_glm_matmul_packed_matches_ref),
        cmocka_unit_test(test_glm_row_kernels),
        cmocka_unit_test(test_glm_pool_runs_each_thread_once),
        cmocka_unit_test(test_glm_sampler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
