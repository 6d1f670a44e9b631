/*
 * style.h — style control: Bradley–Terry with style covariates, as
 * Chatbot Arena's leaderboard computes it (FastChat
 * fastchat/serve/monitor/rating_systems.py preprocess_for_style,
 * contextual_bt_loss_and_grad, fit_contextual_bt; docs/ratings.md).
 *
 * Features (STYLE_CONTROL_ELEMENTS_V1): answer tokens, markdown headers,
 * list items, bold spans, per side (conv.h / battles.h style counts). For
 * each, the normalised difference (a − b)/(a + b + 1), then z-scored over
 * the battles rated (mean, population standard deviation, as np.std).
 * A feature that does not vary (standard deviation 0; NumPy would divide
 * by zero) is set to 0 and reported.
 *
 * Model, one row per battle (not aggregated: features differ):
 *   p = σ(ln(base)·(r_a − r_b) + f·β)
 *   loss = Σ w·[−y log p − (1 − y) log(1 − p)] + (reg/2)·‖(r, β)‖²
 * y = 1 / ½ / 0 for A wins / either tie / B wins, w = 1 (or the bootstrap
 * count), reg = 0.5 as FastChat sets it. The penalty covers ratings and
 * coefficients together, so it also pins the mean r at 0. rating =
 * scale·r + init (400·r + 1000).
 *
 * Solver: Newton's method (the Hessian is positive definite thanks to the
 * penalty) with a backtracking line search, until every component of the
 * gradient is below tol·Σw; FastChat's L-BFGS-B (gtol 1e-6 on the summed
 * loss, ftol 2.2e-9) stops short of this optimum, by an amount
 * tests/tools/style_reference.py prints.
 *
 * Bootstrap: battles resampled with replacement (N uniform draws per
 * round, as compute_bootstrap_style_control does with np.random.randint),
 * refitted from the full-data fit; round r's draws depend only on
 * (seed, r), rounds run on core/pool.h.
 */
#ifndef TIANTI_ARENA_STYLE_H
#define TIANTI_ARENA_STYLE_H

#include "arena/battles.h"
#include "arena/rows.h"

#include <stdint.h>

#define ARENA_STYLE_K ARENA_STYLE_N   /* coefficients */

typedef struct arena_style_opts {
    double reg;          /* 0.5 */
    double base;         /* 10 */
    double scale;        /* 400 */
    double init;         /* 1000 */
    double tol;          /* 1e-9: max |gradient| / Σw */
    int max_iter;        /* 100 Newton steps */
} arena_style_opts;

void arena_style_opts_default(arena_style_opts *o);

/* Names of the coefficients: "length", "headers", "lists", "bold". */
const char *arena_style_feature_name(int k);

/* feat[idx->n * ARENA_STYLE_K] OUT, in idx order (idx->src names each
 * battle's place in l): the z-scored normalised differences. mean/sd
 * (may be NULL) get the statistics of the normalised differences.
 * TT_ERR_USAGE naming how many battles have no style counts. */
int arena_style_features(const arena_battles *l, const arena_index *idx, double *feat, double *mean, double *sd,
                         char *err);

/* Fits x[n_models + ARENA_STYLE_K] (r in log-base units, then β). w: per
 * battle weights in idx order, NULL = 1 each. x0: start (NULL = zeros).
 * *iterations (may be NULL) gets the Newton steps. TT_OK or TT_ERR when
 * the fit does not converge. */
int arena_style_fit(const arena_index *idx, const double *feat, const double *w, const arena_style_opts *o,
                    const double *x0, double *x, int *iterations, char *err);

/* rating_i = scale·r_i + init. */
void arena_style_ratings(const arena_style_opts *o, int n_models, const double *x, double *ratings);

/* rounds bootstrap refits: ratings[rounds * n_models] and coef[rounds *
 * ARENA_STYLE_K] OUT, row-major by round. x_hat: the full fit (warm
 * start). threads 0 = all CPUs. */
int arena_style_bootstrap(const arena_index *idx, const double *feat, const arena_style_opts *o,
                          const double *x_hat, int rounds, uint64_t seed, int threads, double *ratings,
                          double *coef, char *err);

#endif
