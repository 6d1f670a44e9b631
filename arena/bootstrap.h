/*
 * bootstrap.h — bootstrap confidence intervals and the leaderboard rank
 * (FastChat rating_systems.py; docs/ratings.md).
 *
 * Each round resamples the battles with replacement and refits. For
 * Bradley–Terry the resample is a multinomial draw of per-row counts over
 * the aggregated rows (as FastChat's compute_bootstrap_bt does); for Elo it
 * is N battle indices drawn uniformly and replayed in that random order (as
 * compute_bootstrap_elo does). Round r uses its own tt_rng seeded from
 * (seed, r), and writes row r of the sample matrix, so the result depends on
 * the seed only, never on the number of threads.
 * Intervals are the 2.5 and 97.5 percentiles with linear interpolation
 * (pandas' quantile); rank = 1 + the number of models whose lower bound is
 * strictly above this model's upper bound.
 */
#ifndef TIANTI_ARENA_BOOTSTRAP_H
#define TIANTI_ARENA_BOOTSTRAP_H

#include "arena/bt.h"
#include "arena/elo.h"

#include <stdint.h>

typedef struct arena_boot_opts {
    int rounds;        /* 1000 */
    uint64_t seed;     /* 0 */
    int threads;       /* 0 = number of online CPUs */
} arena_boot_opts;

void arena_boot_opts_default(arena_boot_opts *o);

/* Bradley–Terry bootstrap. theta_hat: the full-data fit (warm start; may be
 * NULL). samples[rounds * n_models] OUT: ratings (scale/base/init of bt,
 * not anchored), row-major by round. TT_OK, or the first failing round's
 * error. */
int arena_bootstrap_bt(const arena_rows *rows, const arena_bt_opts *bt, const double *theta_hat,
                       const arena_boot_opts *bo, double *samples, char *err);

/* Elo bootstrap; samples[rounds * n_models] OUT. */
int arena_bootstrap_elo(const arena_index *idx, const arena_elo_opts *eo,
                        const arena_boot_opts *bo, double *samples, char *err);

/* q-quantile of sorted[0..n-1] with linear interpolation; NaN when n = 0. */
double arena_quantile_sorted(const double *sorted, size_t n, double q);

/* Per model: median, 2.5% and 97.5% points of its column (each may be NULL). */
void arena_bootstrap_summary(const double *samples, int rounds, int n_models,
                             double *median, double *lower, double *upper);

/* rank[i] OUT = 1 + #{j : lower[j] > upper[i]}. */
void arena_rank_by_interval(int n, const double *lower, const double *upper, int *rank);

#endif
