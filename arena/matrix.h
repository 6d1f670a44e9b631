/*
 * matrix.h — pairwise views of the arena for the report and `tianti
 * ratings --matrix` (FastChat elo_analysis.py; docs/ratings.md).
 *
 * Both matrices use battles without ties (either kind), as FastChat's
 * elo_analysis.py does. frac[i][j] is the fraction of the decisive i-vs-j
 * battles (in either seat) that i won; the diagonal and pairs that never met
 * are NaN, never 0. count[i][j] is the number of those battles (symmetric).
 * avg_win[i] is the mean of row i over its non-NaN cells (NaN if none).
 * arena_predicted_win gives the win probability a rating gap implies.
 */
#ifndef TIANTI_ARENA_MATRIX_H
#define TIANTI_ARENA_MATRIX_H

#include "arena/rows.h"

typedef struct arena_matrix {
    int n;             /* models, ids as in the arena_index */
    double *frac;      /* [n*n] row-major win fractions, NaN when undefined */
    long *count;       /* [n*n] decisive battles between i and j */
    double *avg_win;   /* [n] */
} arena_matrix;

/* Builds the matrices from idx (ties in idx are skipped). Caller frees with
 * arena_matrix_free. */
void arena_matrix_build(const arena_index *idx, arena_matrix *out);
void arena_matrix_free(arena_matrix *m);           /* NULL is fine */

/* order[n] OUT: model ids by average win rate, highest first (NaN last,
 * ties by id), the order FastChat shows. */
void arena_matrix_order(const arena_matrix *m, int *order);

/* p[n*n] OUT: p[i][j] = 1 / (1 + base^((r_j − r_i)/scale)); diagonal 0.5. */
void arena_predicted_win(int n, const double *ratings, double scale, double base, double *p);

#endif
