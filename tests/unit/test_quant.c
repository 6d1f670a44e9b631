/*
 * test_quant.c — element types of the GLM engine: fp16 conversion (known
 * values, every half round trips), exact Q8_0/Q4_0 block layouts against
 * blocks worked out by hand from ggml's reference definitions, and random
 * round trips within the stated error bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/quant.h"
#include "core/util.h"

#include <math.h>
#include <string.h>

static void test_glm_fp16_known_values(void **state)
{
    (void)state;
    assert_int_equal(glm_fp32_to_fp16(1.0f), 0x3c00);
    assert_int_equal(glm_fp32_to_fp16(-2.0f), 0xc000);
    assert_int_equal(glm_fp32_to_fp16(0.1f), 0x2e66);
    assert_int_equal(glm_fp32_to_fp16(65504.0f), 0x7bff);
    assert_int_equal(glm_fp32_to_fp16(65520.0f), 0x7c00);     /* rounds up to inf */
    assert_int_equal(glm_fp32_to_fp16(6e-8f), 0x0001);        /* smallest subnormal */
    assert_int_equal(glm_fp32_to_fp16(1e-8f), 0x0000);
    assert_int_equal(glm_fp32_to_fp16(-0.0f), 0x8000);
    assert_int_equal(glm_fp32_to_fp16(1.0f + 1.0f / 2048), 0x3c00);   /* tie -> even */
    assert_int_equal(glm_fp32_to_fp16(1.0f + 3.0f / 2048), 0x3c02);   /* tie -> even (up) */
    assert_true(isnan(glm_fp16_to_fp32(glm_fp32_to_fp16(NAN))));
    assert_true(glm_fp16_to_fp32(0x0001) == 5.9604644775390625e-8f);
    assert_true(glm_fp16_to_fp32(0x7bff) == 65504.0f);
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;   /* NaNs */
        assert_int_equal(glm_fp32_to_fp16(glm_fp16_to_fp32((uint16_t)h)), h);
    }
}

static void test_glm_type_traits(void **state)
{
    (void)state;
    assert_int_equal(glm_type_get(GLM_TYPE_Q8_0)->type_size, 34);
    assert_int_equal(glm_type_get(GLM_TYPE_Q8_0)->blck_size, 32);
    assert_int_equal(glm_type_get(GLM_TYPE_Q4_0)->type_size, 18);
    assert_int_equal(glm_type_get(GLM_TYPE_F16)->type_size, 2);
    assert_null(glm_type_get(3));
    assert_null(glm_type_get(12));
    assert_int_equal(glm_type_from_name("q4_0"), GLM_TYPE_Q4_0);
    assert_int_equal(glm_type_from_name("q4_k"), -1);
    assert_int_equal(glm_row_size(GLM_TYPE_Q4_0, 4096), 128 * 18);
}

/* x[j] = j - 16: amax 16, d = 16/127, q = roundf(x * 127/16). */
static void test_glm_q8_0_block_layout(void **state)
{
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++) x[j] = (float)(j - 16);
    glm_block_q8_0 b;
    glm_quantize_row_q8_0_ref(x, &b, 32);
    uint8_t raw[34];
    memcpy(raw, &b, 34);
    uint16_t d = (uint16_t)(raw[0] | raw[1] << 8);           /* little-endian fp16 first */
    assert_int_equal(d, glm_fp32_to_fp16(16.0f / 127.0f));
    assert_int_equal((int8_t)raw[2 + 0], -127);               /* x = -16 */
    assert_int_equal((int8_t)raw[2 + 16], 0);                 /* x = 0 */
    assert_int_equal((int8_t)raw[2 + 17], 8);                 /* 7.9375 -> 8 */
    assert_int_equal((int8_t)raw[2 + 18], 16);                /* 15.875 -> 16 */
    assert_int_equal((int8_t)raw[2 + 31], 119);               /* 119.0625 -> 119 */
    assert_int_equal((int8_t)raw[2 + 14], -16);               /* x=-2: -15.875 -> -16 */
    /* half away from zero: x = 0.5/id exactly -> 1 */
    float y[32] = {0};
    y[0] = 127.0f;
    y[1] = 0.5f;
    y[2] = -0.5f;
    glm_quantize_row_q8_0_ref(y, &b, 32);
    assert_int_equal(b.qs[1], 1);
    assert_int_equal(b.qs[2], -1);
    float back[32];
    glm_dequantize_row_q8_0(&b, back, 32);
    assert_true(back[0] == 127.0f);
    assert_true(back[1] == 1.0f);
}

/* x[j] = j - 16: max = -16 (j = 0), d = 2, q = min(15, (int)(x/2 + 8.5)). */
static void test_glm_q4_0_block_layout(void **state)
{
    (void)state;
    float x[32];
    for (int j = 0; j < 32; j++) x[j] = (float)(j - 16);
    glm_block_q4_0 b;
    glm_quantize_row_q4_0_ref(x, &b, 32);
    uint8_t raw[18];
    memcpy(raw, &b, 18);
    assert_int_equal(raw[0] | raw[1] << 8, 0x4000);          /* fp16 2.0 */
    /* element j in the low nibble of qs[j], element j+16 in the high nibble */
    assert_int_equal(raw[2 + 0], 0x80);                      /* x=-16 -> 0 ; x=0 -> 8 */
    assert_int_equal(raw[2 + 1], 0x91);                      /* x=-15 -> 1 ; x=1 -> 9 */
    assert_int_equal(raw[2 + 15], 0xf8);                     /* x=-1 -> 8 ; x=15 -> 16 clamped to 15 */
    float back[32];
    glm_dequantize_row_q4_0(&b, back, 32);
    assert_true(back[0] == -16.0f);
    assert_true(back[16] == 0.0f);
    assert_true(back[31] == 14.0f);
    assert_true(back[17] == 2.0f);                           /* x=1 -> 9 -> (9-8)*2 */
    /* a positive extreme maps to 0 with negative d */
    float y[32] = {0};
    y[5] = 4.0f;
    glm_quantize_row_q4_0_ref(y, &b, 32);
    assert_true(glm_fp16_to_fp32(b.d) == -0.5f);
    assert_int_equal(b.qs[5] & 0xf, 0);
    assert_int_equal(b.qs[0] & 0xf, 8);
}

static void test_glm_quant_round_trip_bounds(void **state)
{
    (void)state;
    enum { N = 4096 };
    static float x[N], y[N];
    static glm_block_q8_0 q8[N / 32];
    static glm_block_q4_0 q4[N / 32];
    static uint16_t h[N];
    tt_rng r;
    tt_rng_seed(&r, 11);
    for (int i = 0; i < N; i++) {
        double u1 = tt_rng_uniform(&r) + 1e-12, u2 = tt_rng_uniform(&r);
        x[i] = (float)(sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2) * (i % 64 == 0 ? 10 : 1));
    }
    glm_quantize_row_q8_0_ref(x, q8, N);
    glm_dequantize_row_q8_0(q8, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        /* half a step, plus the fp16 rounding of d over up to 127 steps */
        float bound = amax / 127.0f * (0.5f + 127.0f / 2048.0f) + 1e-7f;
        for (int j = 0; j < 32; j++) assert_true(fabsf(x[b * 32 + j] - y[b * 32 + j]) <= bound);
    }
    glm_quantize_row_q4_0_ref(x, q4, N);
    glm_dequantize_row_q4_0(q4, y, N);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        /* one step (d = amax/8) at worst: the clamp at +7 loses one step */
        float bound = amax / 8.0f * (1.0f + 8.0f / 2048.0f) + 1e-7f;
        for (int j = 0; j < 32; j++) assert_true(fabsf(x[b * 32 + j] - y[b * 32 + j]) <= bound);
    }
    glm_fp32_to_fp16_row(x, h, N);
    glm_fp16_to_fp32_row(h, y, N);
    for (int i = 0; i < N; i++) assert_true(fabsf(x[i] - y[i]) <= fabsf(x[i]) / 2048.0f + 1e-7f);
    /* all-zero block: d = 0, all quants 0 */
    float z[32] = {0};
    glm_quantize_row_q8_0_ref(z, q8, 32);
    glm_quantize_row_q4_0_ref(z, q4, 32);
    assert_int_equal(q8[0].d, 0);
    assert_int_equal(q4[0].qs[3], 0x88);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_fp16_known_values),
        cmocka_unit_test(test_glm_type_traits),
        cmocka_unit_test(test_glm_q8_0_block_layout),
        cmocka_unit_test(test_glm_q4_0_block_layout),
        cmocka_unit_test(test_glm_quant_round_trip_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
