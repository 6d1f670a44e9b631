/*
 * timing.c — pp and tg timing of the GLM forward pass (see timing.h).
 */
#include "engines/glm/timing.h"
#include "core/util.h"

int *glm_timing_tokens(const glm_model *m, int n, uint64_t seed)
{
    int *t = tt_malloc((size_t)(n > 0 ? n : 1) * sizeof *t);
    tt_rng r;
    tt_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) t[i] = (int)tt_rng_below(&r, (uint64_t)m->cfg.n_vocab);
    return t;
}

int glm_time_pp(glm_model *m, const int *tokens, int n, double *seconds, char *err)
{
    const float *lg;
    double t0 = tt_now_s();
    for (int i = 0; i < n; i += m->n_batch) {
        int k = n - i < m->n_batch ? n - i : m->n_batch;
        int rc = glm_forward(m, tokens + i, k, i, 0, &lg, err);
        if (rc) return rc;
    }
    *seconds = tt_now_s() - t0;
    return TT_OK;
}

int glm_time_tg(glm_model *m, const int *tokens, int n, double *seconds, char *err)
{
    const float *lg;
    double t0 = tt_now_s();
    for (int i = 0; i < n; i++) {
        int rc = glm_forward(m, tokens + i, 1, i, 0, &lg, err);
        if (rc) return rc;
    }
    *seconds = tt_now_s() - t0;
    return TT_OK;
}
