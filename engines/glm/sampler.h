/*
 * sampler.h — picks the next token from logits: greedy (temperature 0),
 * or top-k, then temperature softmax, then top-p (nucleus), then a draw
 * from tt_rng (seeded, so a seed reproduces a sample). Called by
 * glm_engine.c; tested in tests/unit/test_glm_ops.c.
 */
#ifndef TIANTI_GLM_SAMPLER_H
#define TIANTI_GLM_SAMPLER_H

#include "core/util.h"

#include <stdint.h>

typedef struct glm_prob_index { float p; int i; } glm_prob_index;

typedef struct glm_sampler {
    int n_vocab;
    float temperature;      /* <= 0: greedy */
    float top_p;            /* <= 0 or >= 1: off */
    int top_k;              /* <= 0: off */
    tt_rng rng;
    glm_prob_index *buf;    /* (n_vocab) scratch */
} glm_sampler;

void glm_sampler_init(glm_sampler *s, int n_vocab, double temperature, double top_p, int top_k, uint64_t seed);
void glm_sampler_free(glm_sampler *s);
int glm_sample(glm_sampler *s, const float *logits);
int glm_argmax(const float *x, int n);
/* log softmax(x)[i], computed stably. */
double glm_logprob(const float *x, int n, int i);

#endif
