/*
 * sampler.c — next-token selection (see sampler.h). Order as in llama.cpp's
 * default chain: top-k, temperature, softmax, top-p, draw.
 */
#include "engines/glm/sampler.h"

#include <math.h>
#include <stdlib.h>

void glm_sampler_init(glm_sampler *s, int n_vocab, double temperature, double top_p, int top_k, uint64_t seed)
{
    s->n_vocab = n_vocab;
    s->temperature = (float)temperature;
    s->top_p = (float)top_p;
    s->top_k = top_k;
    tt_rng_seed(&s->rng, seed);
    s->buf = tt_malloc((size_t)n_vocab * sizeof *s->buf);
}

void glm_sampler_free(glm_sampler *s)
{
    free(s->buf);
    s->buf = NULL;
}

int glm_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

double glm_logprob(const float *x, int n, int i)
{
    double max = x[glm_argmax(x, n)], sum = 0;
    for (int k = 0; k < n; k++) sum += exp((double)x[k] - max);
    return (double)x[i] - max - log(sum);
}

static int by_prob_desc(const void *a, const void *b)
{
    const glm_prob_index *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return x->i - y->i;
}

int glm_sample(glm_sampler *s, const float *logits)
{
    int n = s->n_vocab;
    if (s->temperature <= 0.0f) return glm_argmax(logits, n);
    glm_prob_index *b = s->buf;
    for (int i = 0; i < n; i++) b[i] = (glm_prob_index){logits[i], i};
    qsort(b, (size_t)n, sizeof *b, by_prob_desc);
    int k = s->top_k > 0 && s->top_k < n ? s->top_k : n;
    float max = b[0].p;
    double sum = 0;
    for (int i = 0; i < k; i++) {
        b[i].p = expf((b[i].p - max) / s->temperature);
        sum += b[i].p;
    }
    for (int i = 0; i < k; i++) b[i].p = (float)(b[i].p / sum);
    if (s->top_p > 0.0f && s->top_p < 1.0f) {   /* keep the smallest prefix reaching top_p */
        double cum = 0;
        int keep = k;
        for (int i = 0; i < k; i++) {
            cum += b[i].p;
            if (cum >= s->top_p) { keep = i + 1; break; }
        }
        k = keep;
        sum = 0;
        for (int i = 0; i < k; i++) sum += b[i].p;
        for (int i = 0; i < k; i++) b[i].p = (float)(b[i].p / sum);
    }
    double r = tt_rng_uniform(&s->rng), cum = 0;
    for (int i = 0; i < k; i++) {
        cum += b[i].p;
        if (r < cum) return b[i].i;
    }
    return b[k - 1].i;
}
