/*
 * battles.h — what the report shows about arena battles, computed from the
 * battles table: pairwise win counts (for the win-fraction heatmap), battle
 * counts, and the online Elo series (ratings as battles accumulate).
 *
 * Built on the arena module: battles are read with arena_battles_load_db
 * (voted, unflagged, in tstamp then id order), indexed with arena_index
 * (ties kept), and the online Elo series comes from arena_elo_series_build
 * with arena_elo_opts_default (K = 4, base 10, scale 400, initial 1000; see
 * arena/elo.h). On top of that this file adds what the report needs:
 *   - win fraction of row i over column j: battles i won against j in either
 *     seat / decisive battles between them (ties excluded); never met: NaN;
 *   - battle count: decisive battles between i and j (ties excluded, as in
 *     arena/matrix.h), ties counted separately;
 *   - a bounded Elo series (at most REPORT_ELO_MAX_POINTS snapshots; one per
 *     UTC day for very large battle logs), x = battles rated so far;
 *   - models ordered by final online Elo, optionally restricted to a list.
 * Called by table.c; read by plot.c and the writers.
 */
#ifndef TIANTI_REPORT_BATTLES_H
#define TIANTI_REPORT_BATTLES_H

#include "store/store.h"

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
 * the result (Elo is still computed over every battle). TT_ERR_STORE when
 * the battles cannot be read (a is then empty). Caller frees with
 * report_arena_free(). */
int report_arena_load(store *s, const char *const *keep, int n_keep, report_arena *a, char *err);
void report_arena_free(report_arena *a);

/* Decisive battles between i and j, either seat. */
int report_arena_count(const report_arena *a, int i, int j);
/* Fraction of decisive battles between i and j that i won; NaN if none. */
double report_arena_winfrac(const report_arena *a, int i, int j);
/* Index of model name, or -1. */
int report_arena_find(const report_arena *a, const char *model);

#endif
