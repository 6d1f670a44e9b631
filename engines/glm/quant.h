/*
 * quant.h — tensor element types of the GLM engine: a traits table (name,
 * block size, bytes per block, to-float and reference from-float) for F32,
 * F16, Q8_0 and Q4_0, with the exact ggml block layouts, plus fp16<->fp32.
 *
 * Who calls it: gguf.c (sizes of tensors), model.c (conversion at load),
 * ops.c (the fast kernels read the same blocks), cli/cmd_quantize.c, tests.
 * The *_ref functions are the specification; ops.c's fast paths are tested
 * against them (tests/unit/test_quant.c, test_glm_ops.c).
 */
#ifndef TIANTI_GLM_QUANT_H
#define TIANTI_GLM_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* ggml_type ids as written in GGUF tensor infos. */
enum glm_type {
    GLM_TYPE_F32 = 0,
    GLM_TYPE_F16 = 1,
    GLM_TYPE_Q4_0 = 2,
    GLM_TYPE_Q8_0 = 8
};

#define GLM_QK 32   /* elements per Q8_0 / Q4_0 block */

/* Q8_0: value = qs[j] * d. 34 bytes. */
typedef struct glm_block_q8_0 {
    uint16_t d;          /* fp16 scale */
    int8_t qs[GLM_QK];
} glm_block_q8_0;

/* Q4_0: qs[j] low nibble = element j, high nibble = element j+16;
 * value = (nibble - 8) * d. 18 bytes. */
typedef struct glm_block_q4_0 {
    uint16_t d;          /* fp16 scale */
    uint8_t qs[GLM_QK / 2];
} glm_block_q4_0;

_Static_assert(sizeof(glm_block_q8_0) == 34, "q8_0 block is 34 bytes");
_Static_assert(sizeof(glm_block_q4_0) == 18, "q4_0 block is 18 bytes");

typedef struct glm_type_traits {
    const char *name;          /* "f32", "f16", "q8_0", "q4_0" */
    int blck_size;             /* elements per block */
    size_t type_size;          /* bytes per block */
    /* n must be a multiple of blck_size */
    void (*to_float)(const void *x, float *y, int64_t n);
    void (*from_float_ref)(const float *x, void *y, int64_t n);
} glm_type_traits;

/* Traits of a type the engine computes with; NULL for any other id. */
const glm_type_traits *glm_type_get(uint32_t type);
/* Type by name ("q4_0"); returns -1 when unknown. */
int glm_type_from_name(const char *name);
/* Bytes of a row of n elements (n a multiple of the block size). */
size_t glm_row_size(uint32_t type, int64_t n);

/* IEEE half <-> single, round to nearest even, NaN/Inf kept. */
uint16_t glm_fp32_to_fp16(float f);
float glm_fp16_to_fp32(uint16_t h);

/* Reference row functions (ggml's quantize_row_*_ref / dequantize_row_*). */
void glm_quantize_row_q8_0_ref(const float *x, glm_block_q8_0 *y, int64_t n);
void glm_dequantize_row_q8_0(const glm_block_q8_0 *x, float *y, int64_t n);
void glm_quantize_row_q4_0_ref(const float *x, glm_block_q4_0 *y, int64_t n);
void glm_dequantize_row_q4_0(const glm_block_q4_0 *x, float *y, int64_t n);
void glm_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n);
void glm_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n);

#endif
