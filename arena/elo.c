/*
 * elo.c — online Elo of elo.h: one zero-sum update per battle, in the order
 * given. The expected score is written as 1/(1 + exp(alpha·(R_b − R_a)))
 * with alpha = ln(base)/scale, exactly the form FastChat uses.
 */
#include "arena/elo.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void arena_elo_opts_default(arena_elo_opts *o)
{
    o->k = 4.0;
    o->base = 10.0;
    o->scale = 400.0;
    o->init = 1000.0;
}

static inline void elo_update(double *r, int a, int b, unsigned char outcome, double k, double alpha)
{
    double p_a = 1.0 / (1.0 + exp(alpha * (r[b] - r[a])));
    double s_a = outcome == ARENA_OUT_A ? 1.0 : outcome == ARENA_OUT_B ? 0.0 : 0.5;
    double d = k * (s_a - p_a);
    r[a] += d;
    r[b] -= d;
}

void arena_elo_fit(const arena_index *idx, const arena_elo_opts *o, double *ratings)
{
    double alpha = log(o->base) / o->scale;
    for (int i = 0; i < idx->n_models; i++) ratings[i] = o->init;
    for (size_t k = 0; k < idx->n; k++)
        elo_update(ratings, idx->a[k], idx->b[k], idx->outcome[k], o->k, alpha);
}

void arena_elo_fit_order(const arena_index *idx, const size_t *order, size_t n,
                         const arena_elo_opts *o, double *ratings)
{
    double alpha = log(o->base) / o->scale;
    for (int i = 0; i < idx->n_models; i++) ratings[i] = o->init;
    for (size_t k = 0; k < n; k++) {
        size_t j = order[k];
        elo_update(ratings, idx->a[j], idx->b[j], idx->outcome[j], o->k, alpha);
    }
}

void arena_elo_series_build(const arena_index *idx, const arena_elo_opts *o,
                            arena_elo_step step, arena_elo_series *out)
{
    int nm = idx->n_models;
    double alpha = log(o->base) / o->scale;
    memset(out, 0, sizeof *out);
    out->n_models = nm;
    double *r = tt_malloc((size_t)(nm ? nm : 1) * sizeof *r);
    for (int i = 0; i < nm; i++) r[i] = NAN;   /* NaN marks "not played yet" */
    size_t cap = 0;
    for (size_t k = 0; k < idx->n; k++) {
        int a = idx->a[k], b = idx->b[k];
        if (isnan(r[a])) r[a] = o->init;
        if (isnan(r[b])) r[b] = o->init;
        elo_update(r, a, b, idx->outcome[k], o->k, alpha);
        double t = idx->tstamp[k];
        if (step == ARENA_ELO_DAILY) {
            double day = floor(t / 86400.0);
            /* emit only after the last battle of this day */
            if (k + 1 < idx->n && floor(idx->tstamp[k + 1] / 86400.0) == day) continue;
            t = day * 86400.0;
        }
        if (out->n_points == cap) {
            cap = cap ? cap * 2 : 64;
            out->t = tt_realloc(out->t, cap * sizeof *out->t);
            out->r = tt_realloc(out->r, cap * (size_t)(nm ? nm : 1) * sizeof *out->r);
        }
        out->t[out->n_points] = t;
        memcpy(out->r + out->n_points * (size_t)nm, r, (size_t)nm * sizeof *r);
        out->n_points++;
    }
    free(r);
}

void arena_elo_series_free(arena_elo_series *s)
{
    if (!s) return;
    free(s->t);
    free(s->r);
    memset(s, 0, sizeof *s);
}
