/*
 * test_glm_model.c — the GLM forward pass against logits computed by an
 * independent NumPy implementation (tests/tools/glm_reference.py, output in
 * tests/data/glm/): f32, f16, q8_0 and q4_0 (converted at load), one batch
 * and token by token; a file written by glm_quantize_file gives the same
 * logits as load-time conversion; shape errors are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/gguf.h"
#include "engines/glm/model.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "engines/glm/quantize.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *data_path(const char *name)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    return tt_asprintf("%s/tests/data/glm/%s", src ? src : ".", name);
}

static int read_tokens(int *toks, int max)
{
    char *p = data_path("ref_tokens.txt"), *text;
    size_t len;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_read_file(p, &text, &len, err), TT_OK);
    int n = 0;
    char *s = text, *end;
    for (long v = strtol(s, &end, 10); end != s && n < max; s = end, v = strtol(s, &end, 10)) toks[n++] = (int)v;
    free(text);
    free(p);
    return n;
}

static float *read_logits(const char *prec, size_t *n)
{
    char name[64];
    snprintf(name, sizeof name, "ref_logits_%s.bin", prec);
    char *p = data_path(name), *data;
    size_t len;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_read_file(p, &data, &len, err), TT_OK);
    free(p);
    *n = len / 4;
    float *f = tt_malloc(len);
    memcpy(f, data, len);
    free(data);
    return f;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m) m = d;
    }
    return m;
}

static void check_precision(const char *prec, int type, double tol)
{
    int toks[64];
    int n = read_tokens(toks, 64);
    assert_int_equal(n, 12);
    size_t nref;
    float *ref = read_logits(prec, &nref);
    char *path = data_path("tiny.gguf");
    char err[TT_ERR_SIZE];
    glm_model *m;
    glm_load_params lp = {type, 0, 0, 2};
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
    int V = m->cfg.n_vocab;
    assert_int_equal((size_t)n * V, nref);
    /* one batch, every position's logits */
    const float *lg;
    assert_int_equal(glm_forward(m, toks, n, 0, 1, &lg, err), TT_OK);
    double d = max_diff(lg, ref, nref);
    printf("# %s batch: max |logit - reference| = %.3g\n", prec, d);
    assert_true(d < tol);
    /* token by token through the KV cache */
    double dt = 0;
    for (int t = 0; t < n; t++) {
        assert_int_equal(glm_forward(m, toks + t, 1, t, 0, &lg, err), TT_OK);
        double x = max_diff(lg, ref + (size_t)t * V, (size_t)V);
        if (x > dt) dt = x;
    }
    printf("# %s one by one: max diff = %.3g\n", prec, dt);
    assert_true(dt < tol);
    /* a split batch: 5 then 7 */
    assert_int_equal(glm_forward(m, toks, 5, 0, 0, &lg, err), TT_OK);
    assert_int_equal(glm_forward(m, toks + 5, 7, 5, 1, &lg, err), TT_OK);
    assert_true(max_diff(lg, ref + 5 * (size_t)V, 7 * (size_t)V) < tol);
    glm_model_free(m);
    free(path);
    free(ref);
}

/* f32: only summation order differs. f16/q8_0/q4_0: activations are rounded
 * (fp16) or quantized (q8_0) from float32 here and float64 there, so a value
 * on a rounding boundary can land one step apart: hence 1e-2. */
static void test_glm_forward_f32(void **state) { (void)state; check_precision("f32", GLM_TYPE_F32, 1e-3); }
static void test_glm_forward_f16(void **state) { (void)state; check_precision("f16", GLM_TYPE_F16, 1e-2); }
static void test_glm_forward_q8_0(void **state) { (void)state; check_precision("q8_0", GLM_TYPE_Q8_0, 1e-2); }
static void test_glm_forward_q4_0(void **state) { (void)state; check_precision("q4_0", GLM_TYPE_Q4_0, 1e-2); }

/* TIANTI_GLM_KV=f16: keys and values rounded to fp16 in the cache (half
 * its memory, and the planner says so); logits stay within the f16
 * tolerance of the reference, batch and token by token. */
static void test_glm_forward_f16_kv_cache(void **state)
{
    (void)state;
    char *path = data_path("tiny.gguf");
    char err[TT_ERR_SIZE];
    glm_load_params lp = {-1, 64, 0, 1};
    glm_plan p32, p16;
    glm_model *m32, *m16;
    assert_int_equal(glm_plan_file(path, &lp, &p32, err), TT_OK);
    assert_int_equal(glm_model_load(path, &lp, &m32, err), TT_OK);
    setenv("TIANTI_GLM_KV", "f16", 1);
    assert_int_equal(glm_plan_file(path, &lp, &p16, err), TT_OK);
    assert_int_equal(glm_model_load(path, &lp, &m16, err), TT_OK);
    unsetenv("TIANTI_GLM_KV");
    assert_true(m16->kv_f16 && !m32->kv_f16);
    assert_true(m16->kv_bytes * 2 == m32->kv_bytes);
    assert_true(p16.kv_bytes * 2 == p32.kv_bytes && p16.kv_bytes == m16->kv_bytes);
    glm_model_free(m32);
    int toks[64];
    int n = read_tokens(toks, 64);
    size_t nref;
    float *ref = read_logits("f32", &nref);
    int V = m16->cfg.n_vocab;
    const float *lg;
    assert_int_equal(glm_forward(m16, toks, n, 0, 1, &lg, err), TT_OK);
    double d = max_diff(lg, ref, nref);
    printf("# f32 weights, f16 KV cache: max |logit - reference| = %.3g\n", d);
    assert_true(d < 1e-2);
    assert_true(d > 0);   /* the cache really is rounded */
    for (int t = 0; t < n; t++) {
        assert_int_equal(glm_forward(m16, toks + t, 1, t, 0, &lg, err), TT_OK);
        assert_true(max_diff(lg, ref + (size_t)t * V, (size_t)V) < 1e-2);
    }
    glm_model_free(m16);
    free(ref);
    free(path);
}

static void test_glm_forward_quantized_file_matches_load_conversion(void **state)
{
    (void)state;
    char *path = data_path("tiny.gguf");
    char out[] = "/tmp/tianti_glm_q4_XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char err[TT_ERR_SIZE];
    assert_int_equal(glm_quantize_file(path, out, GLM_TYPE_Q4_0, err), TT_OK);
    int toks[64];
    int n = read_tokens(toks, 64);
    glm_model *a, *b;
    glm_load_params pa = {GLM_TYPE_Q4_0, 0, 0, 1}, pb = {-1, 0, 0, 1};
    assert_int_equal(glm_model_load(path, &pa, &a, err), TT_OK);
    assert_int_equal(glm_model_load(out, &pb, &b, err), TT_OK);
    assert_int_equal(b->w.layers[0].ffn_up.type, GLM_TYPE_Q4_0);
    assert_int_equal(b->w.token_embd.type, GLM_TYPE_Q4_0);
    assert_true(b->file_bytes < a->file_bytes / 4);
    assert_int_equal(a->weights_bytes, b->weights_bytes);
    const float *la, *lb;
    assert_int_equal(glm_forward(a, toks, n, 0, 1, &la, err), TT_OK);
    assert_int_equal(glm_forward(b, toks, n, 0, 1, &lb, err), TT_OK);
    assert_memory_equal(la, lb, (size_t)n * a->cfg.n_vocab * sizeof(float));
    glm_model_free(a);
    glm_model_free(b);
    unlink(out);
    free(path);
}

static void test_glm_forward_refuses_bad_input(void **state)
{
    (void)state;
    char *path = data_path("tiny.gguf");
    char err[TT_ERR_SIZE];
    glm_model *m;
    glm_load_params lp = {-1, 16, 8, 1};
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
    assert_int_equal(m->cfg.n_embd, 64);
    assert_int_equal(m->cfg.n_head_kv, 2);
    assert_int_equal(m->cfg.n_rot, 8);
    assert_true(m->kv_bytes == 2 * 2 * 16 * 32 * 4);
    int toks[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float *lg;
    assert_int_not_equal(glm_forward(m, toks, 9, 0, 0, &lg, err), TT_OK);   /* over n_batch */
    assert_int_not_equal(glm_forward(m, toks, 2, 15, 0, &lg, err), TT_OK);  /* over n_ctx */
    toks[0] = 100000;
    assert_int_not_equal(glm_forward(m, toks, 1, 0, 0, &lg, err), TT_OK);
    assert_non_null(strstr(err, "100000"));
    glm_model_free(m);
    free(path);
}

/* A model whose tensor has the wrong shape is refused, naming the tensor. */
static void test_glm_model_load_refuses_wrong_shape(void **state)
{
    (void)state;
    char *path = data_path("tiny.gguf");
    char err[TT_ERR_SIZE];
    gguf_file *f;
    assert_int_equal(gguf_open(path, &f, err), TT_OK);
    gguf_writer *w = gguf_writer_new();
    for (uint64_t i = 0; i < f->n_kv; i++) gguf_writer_copy_kv(w, &f->kv[i], f);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        uint64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
        size_t nb = (size_t)t->nbytes;
        if (strcmp(t->name, "blk.1.ffn_down.weight") == 0) { ne[1] -= 1; nb -= (size_t)ne[0] * 4; }
        gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, ne, t->data, nb);
    }
    uint8_t *buf;
    size_t len;
    gguf_writer_to_memory(w, &buf, &len);
    gguf_file *g;
    assert_int_equal(gguf_parse(buf, len, "bad.gguf", &g, err), TT_OK);
    glm_model *m;
    glm_load_params lp = {-1, 0, 0, 1};
    assert_int_not_equal(glm_model_from_gguf(g, &lp, &m, err), TT_OK);
    assert_non_null(strstr(err, "blk.1.ffn_down.weight"));
    /* g belongs to the model attempt: glm_model_from_gguf closed it */
    free(buf);
    gguf_writer_free(w);
    gguf_close(f);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_forward_f32),
        cmocka_unit_test(test_glm_forward_f16),
        cmocka_unit_test(test_glm_forward_q8_0),
        cmocka_unit_test(test_glm_forward_q4_0),
        cmocka_unit_test(test_glm_forward_quantized_file_matches_load_conversion),
        cmocka_unit_test(test_glm_forward_refuses_bad_input),
        cmocka_unit_test(test_glm_model_load_refuses_wrong_shape),
        cmocka_unit_test(test_glm_forward_f16_kv_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
