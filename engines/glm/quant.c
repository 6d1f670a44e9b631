/*
 * quant.c — the type-traits table and the reference (de)quantizers of the
 * GLM engine (see quant.h). Formulas follow ggml's reference definitions:
 *   Q8_0: d = amax/127, q = roundf(x/d)          (half away from zero)
 *   Q4_0: max = the element of largest |x| (sign kept), d = max/-8,
 *         q = min(15, (int8)(x/d + 8.5))
 * d is stored as fp16; quants are computed with the fp32 d.
 */
#include "engines/glm/quant.h"

#include <math.h>
#include <string.h>

/* ---- fp16 <-> fp32 ------------------------------------------------------ */

static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float glm_fp16_to_fp32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13));   /* inf / nan */
    if (exp == 0) {
        if (man == 0) return bits_f32(sign);
        /* subnormal: man * 2^-24 */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t glm_fp32_to_fp16(float f)
{
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t exp = (u >> 23) & 0xff;
    uint32_t man = u & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);                       /* overflow */
    if (e <= 0) {                                                          /* subnormal or zero */
        if (e < -10) return sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = 1u << (shift - 1);
        uint32_t q = man >> shift, rem = man & ((1u << shift) - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (q & 1))) q++;   /* may carry into exp: correct */
    return (uint16_t)(sign | q);
}

void glm_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = glm_fp32_to_fp16(x[i]);
}

void glm_fp16_to_fp32_row(const uint16_t *x, float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) y[i] = glm_fp16_to_fp32(x[i]);
}

/* ---- 8-bit ------------------------------------------------------------------ */

void glm_quantize_row_q8_0_ref(const float *x, glm_block_q8_0 *y, int64_t n)
{
    int64_t nb = n / GLM_QK;
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + b * GLM_QK;
        float amax = 0.0f;
        for (int j = 0; j < GLM_QK; j++) {
            float a = fabsf(xb[j]);
            amax = a > amax ? a : amax;
        }
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = glm_fp32_to_fp16(d);
        for (int j = 0; j < GLM_QK; j++) y[b].qs[j] = (int8_t)roundf(xb[j] * id);
    }
}

void glm_dequantize_row_q8_0(const glm_block_q8_0 *x, float *y, int64_t n)
{
    int64_t nb = n / GLM_QK;
    for (int64_t b = 0; b < nb; b++) {
        float d = glm_fp16_to_fp32(x[b].d);
        for (int j = 0; j < GLM_QK; j++) y[b * GLM_QK + j] = (float)x[b].qs[j] * d;
    }
}

/* ---- 4-bit ------------------------------------------------------------------ */

void glm_quantize_row_q4_0_ref(const float *x, glm_block_q4_0 *y, int64_t n)
{
    int64_t nb = n / GLM_QK;
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + b * GLM_QK;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < GLM_QK; j++) {
            if (amax < fabsf(xb[j])) { amax = fabsf(xb[j]); max = xb[j]; }
        }
        float d = max / -8.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = glm_fp32_to_fp16(d);
        for (int j = 0; j < GLM_QK / 2; j++) {
            float x0 = xb[j] * id, x1 = xb[j + GLM_QK / 2] * id;
            int q0 = (int8_t)(x0 + 8.5f), q1 = (int8_t)(x1 + 8.5f);
            if (q0 > 15) q0 = 15;
            if (q1 > 15) q1 = 15;
            y[b].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void glm_dequantize_row_q4_0(const glm_block_q4_0 *x, float *y, int64_t n)
{
    int64_t nb = n / GLM_QK;
    for (int64_t b = 0; b < nb; b++) {
        float d = glm_fp16_to_fp32(x[b].d);
        for (int j = 0; j < GLM_QK / 2; j++) {
            y[b * GLM_QK + j] = (float)((x[b].qs[j] & 0x0f) - 8) * d;
            y[b * GLM_QK + j + GLM_QK / 2] = (float)((x[b].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ---- the table -------------------------------------------------------------- */

static void f32_to_float(const void *x, float *y, int64_t n) { memcpy(y, x, (size_t)n * sizeof(float)); }
static void f32_from_float(const float *x, void *y, int64_t n) { memcpy(y, x, (size_t)n * sizeof(float)); }
static void f16_to_float(const void *x, float *y, int64_t n) { glm_fp16_to_fp32_row(x, y, n); }
static void f16_from_float(const float *x, void *y, int64_t n) { glm_fp32_to_fp16_row(x, y, n); }
static void q8_0_to_float(const void *x, float *y, int64_t n) { glm_dequantize_row_q8_0(x, y, n); }
static void q8_0_from_float(const float *x, void *y, int64_t n) { glm_quantize_row_q8_0_ref(x, y, n); }
static void q4_0_to_float(const void *x, float *y, int64_t n) { glm_dequantize_row_q4_0(x, y, n); }
static void q4_0_from_float(const float *x, void *y, int64_t n) { glm_quantize_row_q4_0_ref(x, y, n); }

static const glm_type_traits type_traits[] = {
    [GLM_TYPE_F32] = {"f32", 1, sizeof(float), f32_to_float, f32_from_float},
    [GLM_TYPE_F16] = {"f16", 1, sizeof(uint16_t), f16_to_float, f16_from_float},
    [GLM_TYPE_Q4_0] = {"q4_0", GLM_QK, sizeof(glm_block_q4_0), q4_0_to_float, q4_0_from_float},
    [GLM_TYPE_Q8_0] = {"q8_0", GLM_QK, sizeof(glm_block_q8_0), q8_0_to_float, q8_0_from_float},
};

const glm_type_traits *glm_type_get(uint32_t type)
{
    if (type >= sizeof type_traits / sizeof type_traits[0] || !type_traits[type].name) return NULL;
    return &type_traits[type];
}

int glm_type_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof type_traits / sizeof type_traits[0]; i++)
        if (type_traits[i].name && strcmp(type_traits[i].name, name) == 0) return (int)i;
    return -1;
}

size_t glm_row_size(uint32_t type, int64_t n)
{
    const glm_type_traits *t = glm_type_get(type);
    if (!t) return 0;
    return (size_t)(n / t->blck_size) * t->type_size;
}
