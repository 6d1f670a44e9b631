/*
 * test_glm_synth.c — random-weight GGUFs of a given shape (engines/glm/
 * synth.h): the named shapes carry the published numbers; a small shape
 * written at each type loads in the GLM engine with those dimensions, runs
 * a forward pass to finite logits, predicts its memory exactly (plan.h),
 * has unique token strings with the control tokens last, and is the same
 * file for the same seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/gguf.h"
#include "engines/glm/model.h"
#include "engines/glm/plan.h"
#include "engines/glm/quant.h"
#include "engines/glm/synth.h"
#include "engines/glm/tokenizer.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_named_shapes(void **state)
{
    (void)state;
    const glm_synth_shape *a = glm_synth_shape_find("chatglm3-6b"), *b = glm_synth_shape_find("glm4-9b");
    const glm_synth_shape *c = glm_synth_shape_find("chatglm2-6b");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_null(glm_synth_shape_find("gpt-4"));
    assert_int_equal(a->n_embd, 4096);
    assert_int_equal(a->n_layer, 28);
    assert_int_equal(a->n_head, 32);
    assert_int_equal(a->n_head_kv, 2);
    assert_int_equal(a->n_ff, 13696);
    assert_int_equal(a->n_vocab, 65024);
    assert_int_equal(a->n_ctx_train, 8192);
    assert_int_equal(c->n_ctx_train, 32768);
    assert_int_equal(b->n_layer, 40);
    assert_int_equal(b->n_vocab, 151552);
    assert_int_equal(b->n_ctx_train, 131072);
    /* parameters: embedding and output 2 x V x 4096, per layer QKV 4096 x 4608
     * + O 4096^2 + up 4096 x 27392 + down 13696 x 4096 -> ChatGLM3-6B 6.24 B */
    double per_layer = 4096.0 * 4608 + 4096.0 * 4096 + 4096.0 * 27392 + 13696.0 * 4096;
    double n6 = 2.0 * 65024 * 4096 + 28 * per_layer;
    assert_true(n6 > 6.2e9 && n6 < 6.3e9);
}

static void test_small_shape_loads(void **state)
{
    (void)state;
    glm_synth_shape sh = {"test", "here", 64, 96, 2, 4, 2, 1000, 128, 8, 10000.0f, 1};
    static const uint32_t types[4] = {GLM_TYPE_F32, GLM_TYPE_F16, GLM_TYPE_Q8_0, GLM_TYPE_Q4_0};
    char path[64], path2[64];
    snprintf(path, sizeof path, "/tmp/tianti-synth-%d.gguf", (int)getpid());
    snprintf(path2, sizeof path2, "/tmp/tianti-synth-%d-b.gguf", (int)getpid());
    char err[TT_ERR_SIZE];
    for (int k = 0; k < 4; k++) {
        assert_int_equal(glm_synth_write(&sh, types[k], 7, path, err), TT_OK);
        glm_load_params lp = {-1, 64, 0, 1};
        glm_plan plan;
        assert_int_equal(glm_plan_file(path, &lp, &plan, err), TT_OK);
        glm_model *m;
        assert_int_equal(glm_model_load(path, &lp, &m, err), TT_OK);
        assert_int_equal(m->cfg.n_embd, 64);
        assert_int_equal(m->cfg.n_layer, 2);
        assert_int_equal(m->cfg.n_vocab, 1000);
        assert_int_equal(m->cfg.n_head_kv, 2);
        assert_int_equal(m->w.layers[1].ffn_up.type, types[k]);
        assert_int_equal(plan.weights_bytes, m->weights_bytes);
        assert_int_equal(plan.kv_bytes, m->kv_bytes);
        assert_int_equal(plan.scratch_bytes, m->scratch_bytes);
        int toks[5] = {1, 300, 500, 999, 42};
        const float *logits;
        assert_int_equal(glm_forward(m, toks, 5, 0, 1, &logits, err), TT_OK);
        for (int i = 0; i < 5 * 1000; i++) assert_true(isfinite(logits[i]));
        glm_tokenizer *t;
        assert_int_equal(glm_tokenizer_load(m->file, &t, err), TT_OK);
        assert_int_equal(glm_tokenizer_pre(t), GLM_PRE_GLM4);
        assert_int_equal(glm_tokenizer_chat_kind(t), GLM_CHAT_GLM4);
        assert_int_equal(glm_token_eos(t), glm_token_id(t, "<|endoftext|>"));
        assert_int_equal(glm_token_id(t, "<|end_of_image|>"), 999);
        /* "ab" and "abc" are built by merges; ids come back as the text */
        int *ids = NULL, n = 0, cap = 0;
        glm_tokenize(t, "abc ab", 6, 0, &ids, &n, &cap);
        char *back = glm_detokenize(t, ids, n, 0);
        assert_string_equal(back, "abc ab");
        assert_int_equal(ids[0], glm_token_id(t, "abc"));
        free(back);
        free(ids);
        glm_tokenizer_free(t);
        glm_model_free(m);
    }
    /* the same seed writes the same bytes; another seed other weights */
    assert_int_equal(glm_synth_write(&sh, GLM_TYPE_Q4_0, 7, path2, err), TT_OK);
    char *a, *b;
    size_t la, lb;
    assert_int_equal(tt_read_file(path, &a, &la, err), TT_OK);
    assert_int_equal(tt_read_file(path2, &b, &lb, err), TT_OK);
    assert_true(la == lb && memcmp(a, b, la) == 0);
    free(b);
    assert_int_equal(glm_synth_write(&sh, GLM_TYPE_Q4_0, 8, path2, err), TT_OK);
    assert_int_equal(tt_read_file(path2, &b, &lb, err), TT_OK);
    assert_true(la == lb && memcmp(a, b, la) != 0);
    free(a);
    free(b);
    unlink(path);
    unlink(path2);
}

/* Rows that are not whole blocks of the type are refused. */
static void test_bad_rows(void **state)
{
    (void)state;
    glm_synth_shape sh = {"odd", "here", 48, 80, 1, 4, 2, 300, 64, 4, 10000.0f, 0};
    char err[TT_ERR_SIZE];
    assert_int_equal(glm_synth_write(&sh, GLM_TYPE_Q4_0, 1, "/tmp/never-written.gguf", err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "q4_0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_shapes),
        cmocka_unit_test(test_small_shape_loads),
        cmocka_unit_test(test_bad_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
