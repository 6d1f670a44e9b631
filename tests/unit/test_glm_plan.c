/*
 * test_glm_plan.c — the GLM memory planner (engines/glm/plan.h): its
 * prediction equals what a loaded model holds (weights, KV cache, run state)
 * for every precision and context; it refuses, with the numbers, what does
 * not fit; and loading q4_0 from an f32 file keeps no f32 copy resident
 * (the file-backed resident set grows by far less than the file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/gguf.h"
#include "engines/glm/model.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "core/proc.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *src_path(const char *rel)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    return tt_asprintf("%s/%s", src ? src : ".", rel);
}

static void test_plan_equals_loaded_model(void **state)
{
    (void)state;
    char *path = src_path("tests/data/glm/tiny.gguf");
    static const int precisions[5] = {-1, GLM_TYPE_F32, GLM_TYPE_F16, GLM_TYPE_Q8_0, GLM_TYPE_Q4_0};
    static const int ctxs[3] = {0, 16, 64};
    for (int p = 0; p < 5; p++)
        for (int c = 0; c < 3; c++) {
            glm_load_params lp = {precisions[p], ctxs[c], 0, 2};
            char err[TT_ERR_SIZE];
            glm_plan plan;
            assert_int_equal(glm_plan_file(path, &lp, &plan, err), TT_OK);
            glm_model *m;
            assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
            assert_int_equal(plan.weights_bytes, m->weights_bytes);
            assert_int_equal(plan.kv_bytes, m->kv_bytes);
            assert_int_equal(plan.scratch_bytes, m->scratch_bytes);
            assert_int_equal(plan.n_ctx, m->n_ctx);
            assert_true(plan.tokenizer_bytes > 0);
            assert_int_equal(plan.total_bytes, plan.weights_bytes + plan.kv_bytes + plan.scratch_bytes +
                                                   plan.tokenizer_bytes + plan.other_bytes);
            glm_model_free(m);
        }
    free(path);
}

/* The KV cache is n_layer x n_ctx x n_embd_kv floats, twice, worked out
 * from tiny.gguf's header (2 layers, 2 KV heads of 16). */
static void test_plan_kv_by_context(void **state)
{
    (void)state;
    char *path = src_path("tests/data/glm/tiny.gguf");
    char err[TT_ERR_SIZE];
    glm_load_params lp = {-1, 32, 0, 1};
    glm_plan a, b;
    assert_int_equal(glm_plan_file(path, &lp, &a, err), TT_OK);
    lp.n_ctx = 64;
    assert_int_equal(glm_plan_file(path, &lp, &b, err), TT_OK);
    assert_int_equal(a.kv_bytes, 2 * 2 * 32 * (2 * 16) * 4);
    assert_int_equal(b.kv_bytes, 2 * a.kv_bytes);
    free(path);
}

static void test_plan_refuses_with_numbers(void **state)
{
    (void)state;
    glm_plan p;
    memset(&p, 0, sizeof p);
    p.weights_bytes = 24700000000;   /* f32 ChatGLM-6B */
    p.kv_bytes = 940000000;
    p.n_ctx = 4096;
    p.scratch_bytes = 300000000;
    p.total_bytes = p.weights_bytes + p.kv_bytes + p.scratch_bytes;
    char err[TT_ERR_SIZE];
    assert_int_equal(glm_plan_check(&p, 24000000000, "glm:6b.gguf@f32", err), TT_ERR_NOMEM);
    assert_non_null(strstr(err, "glm:6b.gguf@f32 needs 25.94 GB"));
    assert_non_null(strstr(err, "weights 24.70 GB"));
    assert_non_null(strstr(err, "24.00 GB available"));
    assert_int_equal(glm_plan_check(&p, 26000000000, "m", err), TT_OK);
    assert_int_equal(glm_plan_check(&p, -1, "m", err), TT_OK);   /* unknown: not refused */
}

/* The machine check: MemAvailable, or TIANTI_MEM_LIMIT when lower; a limit
 * that is no size is a usage error naming it. */
static void test_plan_machine_limit(void **state)
{
    (void)state;
    glm_plan p;
    memset(&p, 0, sizeof p);
    p.weights_bytes = 3000000000;
    p.n_ctx = 2048;
    p.total_bytes = p.weights_bytes;
    char err[TT_ERR_SIZE];
    setenv("TIANTI_MEM_LIMIT", "2G", 1);
    assert_int_equal(glm_plan_check_machine(&p, "glm:m.gguf@q4_0", err), TT_ERR_NOMEM);
    assert_non_null(strstr(err, "glm:m.gguf@q4_0 needs 3.00 GB"));
    assert_non_null(strstr(err, "TIANTI_MEM_LIMIT allows 2.00 GB"));
    setenv("TIANTI_MEM_LIMIT", "3G", 1);
    assert_int_equal(glm_plan_check_machine(&p, "m", err), TT_OK);
    setenv("TIANTI_MEM_LIMIT", "lots", 1);
    assert_int_equal(glm_plan_check_machine(&p, "m", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "TIANTI_MEM_LIMIT='lots' is not a size"));
    /* a limit above what the machine has: the machine's figure decides */
    setenv("TIANTI_MEM_LIMIT", "1000T", 1);
    p.total_bytes = tt_mem_available_bytes() + 1000000000;
    assert_int_equal(glm_plan_check_machine(&p, "m", err), TT_ERR_NOMEM);
    assert_non_null(strstr(err, "available"));
    unsetenv("TIANTI_MEM_LIMIT");
}

/* q4_0 from the shipped f32 model (8 MB): after loading, the file's pages
 * that stay resident are the header and the norms, not the f32 matrices. */
static void test_no_f32_copy_resident(void **state)
{
    (void)state;
    char *path = src_path("models/tianti-tiny.gguf");
    char err[TT_ERR_SIZE];
    int64_t before = tt_proc_rss_file_bytes(0);
    assert_true(before > 0);
    glm_load_params lp = {GLM_TYPE_Q4_0, 64, 0, 1};
    glm_model *m;
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
    int64_t grew = tt_proc_rss_file_bytes(0) - before;
    printf("# q4_0 from f32: file %lld bytes, file-backed resident growth %lld bytes, weights %lld bytes\n",
           (long long)m->file_bytes, (long long)grew, (long long)m->weights_bytes);
    assert_true(grew < m->file_bytes / 8);
    glm_model_free(m);
    /* at the file's own precision, not moved to huge pages, the matrices
     * are the mapped pages; a model this small is not moved unless asked */
    lp.precision = -1;
    for (int setting = 0; setting < 2; setting++) {
        if (setting) setenv("TIANTI_GLM_HUGEPAGES", "0", 1);
        assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
        assert_null(m->placed);
        glm_model_free(m);
    }
    before = tt_proc_rss_file_bytes(0);
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
    assert_null(m->placed);
    const float *logits;
    int tok = 1;
    assert_int_equal(glm_forward(m, &tok, 1, 0, 0, &logits, err), TT_OK);
    grew = tt_proc_rss_file_bytes(0) - before;
    assert_true(grew > m->file_bytes / 2);
    int n_vocab = m->cfg.n_vocab;
    float *mapped_logits = malloc((size_t)n_vocab * sizeof *mapped_logits);
    memcpy(mapped_logits, logits, (size_t)n_vocab * sizeof *logits);
    glm_model_free(m);
    /* moved to huge pages: the file's pages are released as they are
     * copied, and the logits are the same bits */
    setenv("TIANTI_GLM_HUGEPAGES", "1", 1);
    before = tt_proc_rss_file_bytes(0);
    int64_t anon_before = tt_proc_rss_bytes(0) - before;
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
    assert_non_null(m->placed);
    assert_true(((uintptr_t)m->placed & ((2u << 20) - 1)) == 0);
    assert_ptr_equal(m->w.layers[0].attn_qkv.data, m->placed);
    assert_int_equal(glm_forward(m, &tok, 1, 0, 0, &logits, err), TT_OK);
    grew = tt_proc_rss_file_bytes(0) - before;
    int64_t anon_grew = tt_proc_rss_bytes(0) - tt_proc_rss_file_bytes(0) - anon_before;
    printf("# huge pages: file-backed resident growth %lld bytes, anonymous growth %lld bytes, weights %lld bytes\n",
           (long long)grew, (long long)anon_grew, (long long)m->weights_bytes);
    assert_true(grew < m->file_bytes / 8);
    assert_true(anon_grew > m->weights_bytes / 2);
    assert_memory_equal(logits, mapped_logits, (size_t)n_vocab * sizeof *logits);
    glm_model_free(m);
    /* only 0 and 1 mean something */
    setenv("TIANTI_GLM_HUGEPAGES", "yes", 1);
    assert_int_equal(glm_model_load(path, &lp, &m, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "TIANTI_GLM_HUGEPAGES='yes'"));
    unsetenv("TIANTI_GLM_HUGEPAGES");
    free(mapped_logits);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_equals_loaded_model),
        cmocka_unit_test(test_plan_kv_by_context),
        cmocka_unit_test(test_plan_refuses_with_numbers),
        cmocka_unit_test(test_plan_machine_limit),
        cmocka_unit_test(test_no_f32_copy_resident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
