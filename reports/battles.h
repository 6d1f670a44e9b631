/*
 * battles.h — what the report shows about arena battles, computed from the
 * battles table: pairwise win counts (for the win-fraction heatmap), battle
 * counts, and the online Elo series (ratings as battles accumulate).
 *
 * The arena module (arena/elo.c, matrix.c) was not on main when the report
 * was written, so this file computes the same quantities itself, following
 * docs/reference arena.md §1.1 and §1.4:
 *   - only voted (winner NOT NULL) and unflagged (flags IS NULL) battles;
 *   - online Elo: tstamp order (then id), K = 4, base 10, scale 400,
 *     initial 1000, a model_a win scores 1, model_b 0, any tie 0.5;
 *   - win fraction of row i over column j: battles i won against j in either
 *     seat / decisive battles between them (ties excluded); never met: NaN;
 *   - battle count: decisive battles between i and j (ties excluded, as in
 *     the reference), ties counted separately.
 * Called by table.c; read by plot.c and the writers.
 */
#ifndef TIANTI_REPORT_BATTLES_H
#define TIANTI_REPORT_BATTLES_H

#include "harness/store.h"

#define REPORT_ELO_K 4.0
#define REPORT_ELO_BASE 10.0
#define REPORT_ELO_SCALE 400.0
#define REPORT_ELO_INIT 1000.0
/* The Elo series keeps at most this many snapshots (evenly spaced, plus the last). */
#define REPORT_ELO_MAX_POINTS 1000

typedef struct report_arena {
    int n_models;
    char **models;          /* ordered by final online Elo, best first */
    int *wins;              /* n*n: wins[i*n+j] = decisive battles i won against j */
    int *ties;              /* n*n: ties between i and j (symmetric) */
    int *appearances;       /* n: battles each model took part in, any outcome */
    double *final_elo;      /* n: online Elo after all battles */
    long long rated;        /* battles used (voted, unflagged), all models */
    long long flagged, unvoted;
    /* Elo series: n_points snapshots of n_models ratings, row-major. */
    int n_points;
    long long *step;        /* n_points: number of battles rated so far */
    double *tstamp;         /* n_points: tstamp of that battle */
    double *elo;            /* n_points * n_models */
} report_arena;

/* Reads battles from s. If n_keep > 0 only models named in keep appear in
 * the result (Elo is still computed over every battle). Caller frees with
 * report_arena_free(). */
int report_arena_load(store *s, const char *const *keep, int n_keep, report_arena *a, char *err);
void report_arena_free(report_arena *a);

/* Decisive battles between i and j, either seat. */
int report_arena_count(const report_arena *a, int i, int j);
/* Fraction of decisive battles between i and j that i won; NaN if none. */
double report_arena_winfrac(const report_arena *a, int i, int j);
/* Index of model name, or -1. */
int report_arena_find(const report_arena *a, const char *model);

/* Online Elo update for one battle (exposed for tests): score_a is 1, 0.5
 * or 0; updates *ra and *rb in place. */
void report_elo_update(double *ra, double *rb, double score_a);

#endif
