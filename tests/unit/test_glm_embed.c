/*
 * test_glm_embed.c — the built-in engine's embeddings (engine_embed on a
 * glm: model): the vector is the mean over the text's tokens of the final
 * normed hidden states, L2-normalised. The expected vector is computed
 * here from the model's own forward pass (glm_forward with every row kept,
 * glm_model_hidden), in batches smaller than the engine's, so the pooling
 * and the batching are both checked; and tokenize/detokenize round-trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "engines/engine.h"
#include "engines/glm/glm_engine.h"
#include "engines/glm/model.h"

static engine *open_tiny(int ctx)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *spec = tt_asprintf("glm:%s/models/tianti-tiny.gguf@f32", src ? src : ".");
    engine_options opt;
    engine_options_default(&opt);
    opt.threads = 1;
    opt.context_length = ctx;
    engine *e = NULL;
    char err[TT_ERR_SIZE];
    int rc = engine_open(spec, &opt, &e, err);
    if (rc) fail_msg("%s", err);
    free(spec);
    return e;
}

static void test_glm_embed_is_mean_pooled_normed_hidden_states(void **state)
{
    (void)state;
    engine *e = open_tiny(256);
    assert_true(engine_caps(e) & ENGINE_CAP_EMBED);
    const char *text = "The quick brown fox jumps over the lazy dog, again and again, 天梯.";
    float *vec;
    int dim;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_embed(e, text, &vec, &dim, err), TT_OK);
    glm_model *m = glm_engine_model(e);
    assert_int_equal(dim, m->cfg.n_embd);
    /* the same mean, computed from the forward pass, 3 tokens at a time */
    int *ids, n;
    assert_int_equal(engine_tokenize(e, text, 0, &ids, &n, err), TT_OK);
    assert_true(n > 6);
    double *mean = calloc((size_t)dim, sizeof *mean);
    for (int i = 0; i < n; i += 3) {
        int k = n - i < 3 ? n - i : 3;
        const float *logits;
        assert_int_equal(glm_forward(m, ids + i, k, i, 1, &logits, err), TT_OK);
        const float *h = glm_model_hidden(m);
        for (int t = 0; t < k; t++)
            for (int d = 0; d < dim; d++) mean[d] += h[(size_t)t * dim + d] / n;
    }
    double norm = 0, got_norm = 0, maxdiff = 0;
    for (int d = 0; d < dim; d++) norm += mean[d] * mean[d];
    norm = sqrt(norm);
    for (int d = 0; d < dim; d++) {
        got_norm += (double)vec[d] * vec[d];
        double diff = fabs(vec[d] - mean[d] / norm);
        if (diff > maxdiff) maxdiff = diff;
    }
    assert_true(fabs(sqrt(got_norm) - 1) < 1e-5);
    if (maxdiff > 1e-5) fail_msg("embedding differs from the pooled hidden states by %g", maxdiff);
    free(mean);
    free(vec);
    /* the round trip of the tokenizer */
    char *back;
    assert_int_equal(engine_detokenize(e, ids, n, 0, &back, err), TT_OK);
    assert_string_equal(back, text);
    free(back);
    free(ids);
    /* texts that cannot be embedded */
    assert_int_equal(engine_embed(e, "", &vec, &dim, err), TT_ERR_USAGE);
    engine_close(e);
    e = open_tiny(8);
    assert_int_equal(engine_embed(e, text, &vec, &dim, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "do not fit the context of 8"));
    engine_close(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_embed_is_mean_pooled_normed_hidden_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
