/*
 * bt.h — Bradley–Terry maximum likelihood, the number Chatbot Arena's
 * leaderboard shows (FastChat rating_systems.py compute_bt; docs/ratings.md).
 *
 * Model: P(a beats b) = 1 / (1 + exp(−(θ_a − θ_b))), θ in natural-log units.
 * FastChat writes p = expit(ln10·(r_a − r_b)) and reports 400·r + 1000, so
 * θ = ln10·r and rating = scale/ln(base)·θ + init (400/ln10·θ + 1000 by
 * default). Each aggregated row (rows.h) adds weight·[y·log p + (1−y)·log(1−p)]
 * to the log-likelihood, so a tie (y = ½) counts as half a win and half a
 * loss. No intercept (no seat advantage), no regularisation.
 *
 * Solver: Newton's method on the mean negative log-likelihood (weights
 * divided by their total, as FastChat's bootstrap does), started from
 * zeros, stopped when every component of the gradient is below tol
 * (default 1e-10) in absolute value. A full Newton step is kept when it
 * shrinks the gradient; otherwise it is redone with a backtracking
 * (Armijo) line search on the loss. This reaches the
 * exact optimum; FastChat's L-BFGS-B stops ~7e-4 rating points short of it.
 * The gauge: the gradient sums to zero, so the mean θ is pinned at 0 (mean
 * rating = init); arena_anchor() then shifts to a named model if asked.
 *
 * Degenerate data. The MLE is finite only when the "scored against" graph is
 * strongly connected (edge a→b when a won or tied against b at least once):
 * otherwise some group of models never loses to the rest (or two groups
 * never met) and the likelihood keeps rising as their gap grows. Models with
 * zero weight (absent from a bootstrap resample) are left at θ = 0, as
 * FastChat's optimiser leaves them, and ignored in this test. If the rest is
 * not strongly connected:
 *   ARENA_BT_RIDGE (default): add ridge/2·‖θ‖² to the mean loss (ridge
 *     default 1e-4). The optimum is then unique and finite; it pins the mean
 *     θ of every separate component at 0, and a model that never lost ends
 *     far above (but finitely above) the models it beat. info->degenerate
 *     says this happened so callers can warn.
 *   ARENA_BT_REFUSE: fail with TT_ERR and a message naming a model that
 *     cannot be placed.
 */
#ifndef TIANTI_ARENA_BT_H
#define TIANTI_ARENA_BT_H

#include "arena/rows.h"

typedef enum arena_bt_degenerate { ARENA_BT_RIDGE = 0, ARENA_BT_REFUSE = 1 } arena_bt_degenerate;

typedef struct arena_bt_opts {
    double scale;      /* 400 */
    double base;       /* 10 */
    double init;       /* 1000: the mean rating */
    double tol;        /* 1e-10: max |gradient| of the mean log-likelihood */
    int max_iter;      /* 100 Newton steps */
    arena_bt_degenerate degenerate;  /* ARENA_BT_RIDGE */
    double ridge;      /* 1e-4, used only in the degenerate case */
    int assume_connected;  /* 0; 1 skips the strong-connectivity test (the
                              bootstrap sets it for a resample that has every
                              row of a connected full data set) */
} arena_bt_opts;

typedef struct arena_bt_info {
    int iterations;    /* Newton steps taken */
    double grad_max;   /* max |gradient| at the solution */
    int degenerate;    /* 1 when the ridge was needed */
    int stray_model;   /* degenerate: one model outside the first strong component, else -1 */
} arena_bt_info;

void arena_bt_opts_default(arena_bt_opts *o);

/* Fits θ[n_models] OUT (natural units). w: row weights, NULL for rows->w
 * (bootstrap passes resampled weights). theta0: starting point or NULL for
 * zeros. info may be NULL. Returns TT_OK; TT_ERR when refusing degenerate
 * data or when Newton fails to converge in max_iter steps. */
int arena_bt_fit(const arena_rows *rows, const double *w, const arena_bt_opts *o,
                 const double *theta0, double *theta, arena_bt_info *info, char *err);

/* 1 when the models with positive weight form one strongly connected
 * "scored against" graph (w NULL: rows->w), i.e. the MLE is finite. */
int arena_bt_connected(const arena_rows *rows, const double *w);

/* rating_i = scale/ln(base)·θ_i + init. */
void arena_bt_to_ratings(const arena_bt_opts *o, int n, const double *theta, double *ratings);

/* Shifts ratings so ratings[anchor] == value (no-op when anchor < 0). */
void arena_anchor(int n, double *ratings, int anchor, double value);

/* Mean negative log-likelihood of theta (without ridge); for tests. */
double arena_bt_loss(const arena_rows *rows, const double *w, const double *theta);

#endif
