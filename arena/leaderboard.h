/*
 * leaderboard.h — the whole rating pipeline in one call: battles → index →
 * Bradley–Terry fit or online Elo → bootstrap intervals → rank, plus storing
 * the result in the `ratings` table. `tianti ratings`, the report and the
 * web arena call this; the pieces live in rows.h, bt.h, elo.h, bootstrap.h.
 *
 * Conventions (FastChat elo_analysis.py and rating_systems.py;
 * docs/ratings.md):
 *  - rating: BT point estimate on all battles; for Elo, the online rating in
 *    tstamp order, or the bootstrap median when bootstrapping (FastChat's
 *    choice for Elo);
 *  - anchor: when set, every rating and every bootstrap round is shifted so
 *    that the anchor model sits at anchor_rating (its interval collapses to
 *    a point, as in FastChat); otherwise the mean BT rating is `init`;
 *  - lower/upper: bootstrap 2.5/97.5 percentiles, NaN without bootstrap;
 *  - rank: 1 + #models whose lower bound exceeds this upper bound; without
 *    bootstrap, 1 + #models with a strictly higher rating;
 *  - battles: appearances as A plus as B among the rated battles;
 *  - style control (style.h, BT only): the rating is the style-controlled
 *    one, and the style coefficients get their own bootstrap intervals;
 *  - min_battles: models with fewer battles are fitted like every other
 *    but not shown, and the ranks are those among the models shown
 *    (Chatbot Arena hides models with 300 battles or fewer in each view
 *    and recomputes the rank over the rest: monitor.py).
 */
#ifndef TIANTI_ARENA_LEADERBOARD_H
#define TIANTI_ARENA_LEADERBOARD_H

#include "arena/battles.h"
#include "arena/bootstrap.h"
#include "arena/bt.h"
#include "arena/elo.h"
#include "arena/style.h"

typedef enum arena_method { ARENA_METHOD_BT = 0, ARENA_METHOD_ELO = 1 } arena_method;

typedef struct arena_lb_opts {
    arena_method method;
    int exclude_ties;
    int rounds;                 /* bootstrap rounds; 0 = none */
    uint64_t seed;
    int threads;                /* 0 = all CPUs */
    const char *anchor_model;   /* NULL = mean pinned at init */
    double anchor_rating;
    arena_bt_opts bt;
    arena_elo_opts elo;
    int style_control;          /* BT with style covariates (style.h) */
    arena_style_opts style;
    long min_battles;           /* hide models with fewer battles; 0 = show all */
} arena_lb_opts;

typedef struct arena_lb_row {
    const char *model;          /* borrowed from the leaderboard */
    double rating, median, lower, upper;   /* median/lower/upper NaN without bootstrap */
    int rank;
    long battles;
} arena_lb_row;

typedef struct arena_leaderboard {
    arena_index idx;            /* the battles as rated (model ids, order) */
    int n;                      /* models shown (rows) */
    int n_hidden;               /* models under min_battles, not in rows */
    arena_lb_row *rows;         /* [n], by rating, highest first */
    double *ratings;            /* [idx.n_models] by model id */
    int rounds;
    double *samples;            /* [rounds * idx.n_models] by model id, NULL without bootstrap */
    arena_bt_info bt_info;      /* BT only */
    /* style control */
    int style;                  /* 1 when the ratings are style-controlled */
    int style_iterations;       /* Newton steps of the full fit */
    double coef[ARENA_STYLE_K];             /* β of the full fit */
    double coef_lower[ARENA_STYLE_K];       /* 2.5% / 97.5% bootstrap points; NaN without bootstrap */
    double coef_upper[ARENA_STYLE_K];
    double feat_mean[ARENA_STYLE_K];        /* of the normalised differences, before z-scoring */
    double feat_sd[ARENA_STYLE_K];
} arena_leaderboard;

void arena_lb_opts_default(arena_lb_opts *o);
/* "bt" / "elo"; TT_OK or TT_ERR_USAGE. */
int arena_method_parse(const char *s, arena_method *out, char *err);
const char *arena_method_name(arena_method m);

/* Computes the leaderboard. TT_OK; TT_ERR_NOTFOUND when the anchor model has
 * no battles; TT_ERR_USAGE for style control with Elo or battles without
 * style counts; errors of the fit. Caller frees out with
 * arena_leaderboard_free (also after a failure). */
int arena_leaderboard_compute(const arena_battles *l, const arena_lb_opts *o,
                              arena_leaderboard *out, char *err);
void arena_leaderboard_free(arena_leaderboard *lb);   /* NULL is fine */

/* Appends one `ratings` row per model shown (computed_at = now) in one
 * transaction (store_ratings_put). source: 'all' (NULL), 'human' or
 * 'judge'. The method column says what was computed: "bt", "elo",
 * "bt+style" (style control), with "@<category>" appended for a category
 * leaderboard ("bt@code"), so that readers of the plain "bt" ratings (the
 * report) never take a category's for the whole arena's. category: an
 * ARENA_CAT_* bit or 0. TT_OK or TT_ERR_STORE. */
int arena_leaderboard_store(store *s, const arena_leaderboard *lb, const arena_lb_opts *o,
                            const char *source, char *err);
int arena_leaderboard_store_category(store *s, const arena_leaderboard *lb, const arena_lb_opts *o,
                                     const char *source, unsigned category, char *err);

#endif
