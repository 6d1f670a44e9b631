/*
 * elo.h — online Elo as Chatbot Arena computes it (FastChat
 * rating_systems.py compute_elo; docs/ratings.md).
 *
 * Every model starts at `init`; battles are replayed in tstamp order; for a
 * battle a vs b the expected score is p = 1 / (1 + base^((R_b − R_a)/scale)),
 * the actual score S is 1 for an A win, 0 for a B win and 0.5 for either kind
 * of tie, and R_a += K·(S − p), R_b −= K·(S − p) (zero-sum). The result
 * depends on the order of battles, which is why the leaderboard prefers
 * Bradley–Terry (bt.h). Called by leaderboard.c, bootstrap.c and the
 * "ratings over time" chart of the report.
 */
#ifndef TIANTI_ARENA_ELO_H
#define TIANTI_ARENA_ELO_H

#include "arena/rows.h"

typedef struct arena_elo_opts {
    double k;        /* 4 */
    double base;     /* 10 */
    double scale;    /* 400 */
    double init;     /* 1000 */
} arena_elo_opts;

void arena_elo_opts_default(arena_elo_opts *o);

/* Replays every battle of idx in its (tstamp) order; ratings[n_models] OUT. */
void arena_elo_fit(const arena_index *idx, const arena_elo_opts *o, double *ratings);

/* Replays the battles idx[order[0]], idx[order[1]], ... (a bootstrap
 * resample); ratings[n_models] OUT. */
void arena_elo_fit_order(const arena_index *idx, const size_t *order, size_t n,
                         const arena_elo_opts *o, double *ratings);

typedef enum arena_elo_step {
    ARENA_ELO_EVERY_BATTLE = 0,  /* one point after each battle */
    ARENA_ELO_DAILY              /* one point per UTC day that had battles */
} arena_elo_step;

/* Ratings over time. Row p of r holds every model's rating at time t[p];
 * a model that has not played yet is NaN. For ARENA_ELO_DAILY, t[p] is the
 * start of the UTC day (multiple of 86400) and the ratings are those after
 * the day's last battle. */
typedef struct arena_elo_series {
    int n_models;
    size_t n_points;
    double *t;       /* [n_points] */
    double *r;       /* [n_points * n_models], row-major */
} arena_elo_series;

/* Caller frees out with arena_elo_series_free. */
void arena_elo_series_build(const arena_index *idx, const arena_elo_opts *o,
                            arena_elo_step step, arena_elo_series *out);
void arena_elo_series_free(arena_elo_series *s);   /* NULL is fine */

#endif
