/*
 * ops_simd.h — the AVX-512 VNNI dot kernels of the GLM engine, kept in
 * their own file (ops_avx512.c) beside the AVX2 ones in ops.c, and the
 * AMX-INT8 kernels for packed rows (ops_amx.c). Internal to
 * engines/glm: ops.c detects the CPU at run time and puts these in its
 * per-type table; nothing else calls them. Same contracts as ops.c's
 * kernels: w is one weight row of n elements (n a multiple of 32), x one
 * (or four) activation rows already converted to glm_vec_dot_type(wtype).
 */
#ifndef TIANTI_GLM_OPS_SIMD_H
#define TIANTI_GLM_OPS_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the CPU and the OS (XSAVE state) support AVX-512 F/BW/VL/DQ and
 * VNNI; always 0 off x86-64. */
int glm_cpu_has_avx512vnni(void);

float glm_dot_f32_avx512(int n, const void *w, const void *x);
float glm_dot_f16_avx512(int n, const void *w, const void *x);
float glm_dot_q8_0_avx512(int n, const void *w, const void *x);
float glm_dot_q4_0_avx512(int n, const void *w, const void *x);

/* Four weight rows against one activation row, out[r] bit for bit
 * glm_dot_f32_avx512 (glm_dot_f16_avx512) of row r (generation). */
void glm_dot_rows4_f32_avx512(int n, const void *const *w, const void *x, float *out);
void glm_dot_rows4_f16_avx512(int n, const void *const *w, const void *x, float *out);

/* One weight row against four activation rows (prompt processing). */
void glm_dot4_q8_0_avx512(int n, const void *w, const void *const *x, float *out);
void glm_dot4_q4_0_avx512(int n, const void *w, const void *const *x, float *out);

/* f32/f16 prompt products through panels (ops.c: gemm_rows).
 * glm_gemm_pack_avx512: chunks k0 .. k0 + 16 n16 of the n_src rows src
 * (f32, or f16 when f16) into dst as [group][chunk][member][16] floats,
 * a short last group repeating its last row; dst 64-byte aligned.
 * glm_gemm4x6_avx512: four panel rows against six panel tokens over n16
 * chunks, adding to (or, when first, starting) the 24 sixteen-lane sums at
 * acc (row-major: acc[(r * 6 + t) * 16 + lane]).
 * glm_gemm_reduce_avx512: out[i] = the sum of the sixteen lanes at acc + 16 i. */
void glm_gemm_pack_avx512(float *dst, const void *const *src, int n_src, int group, int k0, int n16, int f16);
void glm_gemm4x6_avx512(int n16, const float *w, const float *x, float *acc, int first);
void glm_gemm_reduce_avx512(const float *acc, int n, float *out);

/* Sixteen packed rows (ops.h: glm_pack_rows) of nb blocks against n_tok
 * activation rows: x[t] the q8_0 blocks, xd[t] their scales as
 * floats, xs[t] the sums of their quants; y[t] receives the sixteen
 * outputs. */
struct glm_block_q8_0;
void glm_packed_q4_0_avx512(int nb, const void *group, int n_tok, const struct glm_block_q8_0 *const *x,
                            const float *const *xd, const int32_t *const *xs, float *const *y);
void glm_packed_q8_0_avx512(int nb, const void *group, int n_tok, const struct glm_block_q8_0 *const *x,
                            const float *const *xd, const int32_t *const *xs, float *const *y);

/* The same for CPUs with AMX-INT8 (1 from glm_cpu_has_amx_int8, which also
 * asks Linux for the tile state), for n_groups (1 or 2) consecutive groups
 * group_bytes apart whose outputs are consecutive (group i's sixteen at
 * y[t] + 16 i); n_tok <= GLM_PACKED_TOKENS_MAX. Sixteen or 32 tokens per
 * tile product; the outputs are bit for bit those of the AVX-512 kernels. */
#define GLM_PACKED_TOKENS_MAX 128
int glm_cpu_has_amx_int8(void);
/* One token against two consecutive groups (group_bytes apart): outputs at
 * y[0..16) and y[16..32); the same bits as glm_packed_q*_avx512 on each. */
void glm_packed_q4_0_avx512_pair(int nb, const void *group, size_t group_bytes, const struct glm_block_q8_0 *x,
                                 const float *xd, const int32_t *xs, float *y);
void glm_packed_q8_0_avx512_pair(int nb, const void *group, size_t group_bytes, const struct glm_block_q8_0 *x,
                                 const float *xd, const int32_t *xs, float *y);
void glm_packed_q4_0_amx(int nb, const void *group, size_t group_bytes, int n_groups, int n_tok,
                         const struct glm_block_q8_0 *const *x, const float *const *xd, const int32_t *const *xs,
                         float *const *y);
void glm_packed_q8_0_amx(int nb, const void *group, size_t group_bytes, int n_groups, int n_tok,
                         const struct glm_block_q8_0 *const *x, const float *const *xd, const int32_t *const *xs,
                         float *const *y);

/* Bytes ahead of the current weight block that the kernels prefetch:
 * generation streams every weight once per token, and without a software
 * prefetch a single core reads q4_0 rows at a third of what it can
 * (measured: 3.3 vs 7.8 GB/s on the 6B shape's matrices). */
#define GLM_PREFETCH_AHEAD 4096

#endif
