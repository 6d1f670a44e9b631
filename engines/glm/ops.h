/*
 * ops.h — compute kernels of the GLM engine; no model knowledge.
 *
 *   - a small persistent pthread pool (glm_pool) that runs one job on all
 *     threads, each thread taking its share by index;
 *   - element-wise and row kernels: rmsnorm, softmax, silu/swiglu, rope;
 *   - dot products and matrix products for each weight type, with the
 *     per-type table of how activations are prepared (as llama.cpp's CPU
 *     backend does): f32 weights use f32 activations, f16 weights take
 *     activations rounded to f16, q8_0 and q4_0 weights take activations
 *     quantized to q8_0 blocks and use integer block dot products.
 *
 * Each dot kernel has a portable _ref version (the specification) and, on
 * x86-64, fast versions chosen at run time by what the CPU has: AVX2/FMA/
 * F16C here, AVX-512 VNNI in ops_avx512.c; the fast ones are tested against
 * the _ref ones at every level the CPU has (tests/unit/test_glm_ops.c).
 * Who calls it: model.c, tests/perf/perf_glm.c, tests.
 */
#ifndef TIANTI_GLM_OPS_H
#define TIANTI_GLM_OPS_H

#include <stddef.h>
#include <stdint.h>

/* ---- thread pool --------------------------------------------------------- */
typedef struct glm_pool glm_pool;
typedef void (*glm_job_fn)(void *arg, int ith, int nth);

/* n_threads <= 0: number of online CPUs. Caller frees with glm_pool_free. */
glm_pool *glm_pool_new(int n_threads);
void glm_pool_free(glm_pool *p);
int glm_pool_threads(const glm_pool *p);
/* Runs fn(arg, ith, nth) for ith = 0..nth-1 on the pool (the caller is
 * thread 0) and returns when all have finished. p may be NULL (one thread). */
void glm_pool_run(glm_pool *p, glm_job_fn fn, void *arg);

/* ---- row kernels ------------------------------------------------------------ */
void glm_rmsnorm(float *out, const float *x, const float *w, int n, float eps);
/* In place; with AVX2 through a polynomial e^x within about an ulp of
 * expf (tests/unit/test_glm_ops.c checks it against the plain loop). */
void glm_softmax(float *x, int n);
/* out[i] = silu(gate[i]) * up[i] */
void glm_swiglu(float *out, const float *gate, const float *up, int n);
/* GPT-J style rope (adjacent pairs) over the first n_rot dims of each of
 * n_heads heads of head_dim values at position pos. */
void glm_rope(float *x, int n_heads, int head_dim, int n_rot, int pos, float freq_base);

/* One attention head over the cache: att[p] = scale * dot(k row p, q) for
 * p < len (rows stride floats apart), and o = sum over p of att[p] * v row p.
 * Row p is cache row rows[p] when rows is given (a token of a batch of
 * several sequences attends to its own path through the cache,
 * glm_forward_batch), else row p; a span's numbers are the same either way
 * (the kernels group positions by p, not by row). Fast versions where hd is
 * a multiple of 8, the portable ones otherwise. */
void glm_attn_scores(float *att, const float *q, const float *k, size_t stride, const int *rows, int hd, int len,
                     float scale);
void glm_attn_values(float *o, const float *att, const float *v, size_t stride, const int *rows, int hd, int len);
/* The same over an f16 cache (TIANTI_GLM_KV=f16): keys and values as fp16. */
void glm_attn_scores_f16(float *att, const float *q, const uint16_t *k, size_t stride, const int *rows, int hd, int len,
                         float scale);
void glm_attn_values_f16(float *o, const float *att, const uint16_t *v, size_t stride, const int *rows, int hd, int len);

/* ---- dot products and matmul ------------------------------------------------ */
/* The type activations are converted to for a weight type (F32, F16, Q8_0). */
uint32_t glm_vec_dot_type(uint32_t wtype);
/* Converts n activations to glm_vec_dot_type(wtype) (n multiple of 32 for
 * quantized types). */
void glm_convert_activations(uint32_t wtype, const float *x, void *out, int n);
/* Dot of one weight row w (wtype, n elements) with one converted activation
 * row x: fast path and the reference. */
float glm_vec_dot(uint32_t wtype, int n, const void *w, const void *x);
float glm_vec_dot_ref(uint32_t wtype, int n, const void *w, const void *x);
/* Forces the portable kernels (tests, benchmarks' baseline). */
void glm_ops_force_ref(int on);
int glm_ops_have_simd(void);
/* The kernel set in use: "avx512-amx" (AVX-512 VNNI with AMX-INT8 tiles for
 * packed rows), "avx512-vnni", "avx2" or "none" (portable only).
 * The best the CPU has, unless TIANTI_GLM_ISA names a lower one. */
const char *glm_ops_isa(void);
/* Switches to the named set ("avx512-amx", "avx512-vnni", "avx2", "none"); -1 when the
 * name is unknown or the CPU lacks it. Not while a matmul is running
 * (tests and benchmarks call it between runs). */
int glm_ops_select_isa(const char *name);

/* glm_matmul computes a token's output row with the four-token kernel
 * when the token lies in a full group of GLM_MATMUL_GROUP tokens counted
 * from the batch start, else with the one-token kernel, and the two may
 * round differently. A caller that needs the same numbers for a token
 * whatever batch it comes in (glm_engine.c's prefix reuse) starts batches
 * at multiples of GLM_MATMUL_GROUP positions. */
#define GLM_MATMUL_GROUP 4

/* Packed weights. On CPUs with AVX-512 VNNI, q4_0 and q8_0 matrices are
 * repacked at load so that sixteen rows share each vector (one row per
 * lane; the layout is described in ops.c); the packed matrix has the same
 * size, and rows after the last full group of GLM_PACK_ROWS keep the file's
 * layout. glm_pack_wanted says whether a matrix should be packed with the
 * kernels in use (TIANTI_GLM_REPACK=0 turns packing off); glm_pack_rows
 * packs n_out rows from src into dst (dst may be src); glm_matmul_packed is
 * glm_matmul for such a matrix. A token's outputs from packed rows do not
 * depend on the other tokens of its batch. */
#define GLM_PACK_ROWS 16
int glm_pack_wanted(uint32_t wtype, int n_in, int n_out);
void glm_pack_rows(uint32_t wtype, const void *src, void *dst, int n_in, int n_out);

/* Bytes of scratch glm_matmul needs for n_tok activation rows of n_in. */
size_t glm_matmul_scratch(uint32_t wtype, int n_in, int n_tok);
/* y[t*n_out + r] = dot(W row r, x row t) for t < n_tok, r < n_out.
 * W has n_out rows of n_in elements of wtype; scratch as above. */
void glm_matmul(glm_pool *p, float *y, const float *x, int n_tok, const void *w, uint32_t wtype,
                int n_in, int n_out, void *scratch);
void glm_matmul_packed(glm_pool *p, float *y, const float *x, int n_tok, const void *w, uint32_t wtype,
                       int n_in, int n_out, void *scratch);
/* The same with the tokens that go through the kernels for groups of four
 * named: tokens 0..n_grouped (a last group of fewer is padded), the rest
 * one at a time; glm_matmul groups the full fours from the batch start. A
 * batch of several sequences (glm_forward_batch) puts every sequence's
 * tokens in the kernel they would meet in a batch of their own. */
void glm_matmul_grouped(glm_pool *p, float *y, const float *x, int n_tok, int n_grouped, const void *w, uint32_t wtype,
                        int n_in, int n_out, void *scratch);
void glm_matmul_packed_grouped(glm_pool *p, float *y, const float *x, int n_tok, int n_grouped, const void *w,
                               uint32_t wtype, int n_in, int n_out, void *scratch);

#endif
