/*
 * rows.h — battles in numeric form, the input of every rating method.
 *
 * arena_index gives each model an integer id (order of first appearance in
 * model_a, then in model_b, over the battles sorted by tstamp — as
 * pd.factorize(concat(model_a, model_b)) in FastChat) and stores each battle
 * as (a, b, outcome) in tstamp order: online Elo (elo.h) and the win-fraction
 * matrices (matrix.h) read it. arena_rows collapses identical
 * (a, b, outcome) triples into one weighted row, ordered by (a, b, outcome)
 * like np.unique: the Bradley–Terry fit (bt.h) and its bootstrap
 * (bootstrap.h) read that, so their cost depends on the number of distinct
 * rows (at most 3·n²), not on the number of battles.
 */
#ifndef TIANTI_ARENA_ROWS_H
#define TIANTI_ARENA_ROWS_H

#include "arena/battles.h"

#include <stddef.h>

/* Outcome codes as in FastChat's preprocess_for_bt. */
enum { ARENA_OUT_B = 0, ARENA_OUT_TIE = 1, ARENA_OUT_A = 2 };

typedef struct arena_index {
    int n_models;
    char **models;           /* owned names, [n_models] */
    long *battles;           /* [n_models] appearances as A plus as B */
    size_t n;                /* number of battles */
    int *a, *b;              /* [n] model ids, tstamp order */
    unsigned char *outcome;  /* [n] ARENA_OUT_* */
    double *tstamp;          /* [n] */
    size_t *src;             /* [n] position of battle k in the list it was built from */
} arena_index;

typedef struct arena_rows {
    int n_models;
    size_t n;                /* number of distinct rows */
    int *a, *b;              /* [n] model ids */
    double *y;               /* [n] score of a: 1, 0.5 or 0 */
    double *w;               /* [n] number of battles in the row */
    double total;            /* sum of w = number of battles */
} arena_rows;

/* Builds the index of l (l is not modified). With exclude_ties, ties of
 * both kinds are dropped first. Names are told apart by pointer: l's
 * strings are interned (battles.h). Always TT_OK today; err is for future
 * checks. Caller frees with arena_index_free. */
int arena_index_build(const arena_battles *l, int exclude_ties, arena_index *out, char *err);
void arena_index_free(arena_index *idx);           /* NULL is fine */
/* Model id of name, or -1. */
int arena_index_find(const arena_index *idx, const char *name);

/* Aggregates identical (a, b, outcome) battles into weighted rows.
 * Caller frees with arena_rows_free. */
void arena_rows_build(const arena_index *idx, arena_rows *out);
/* One row of weight 1 per battle, in battle order (benchmark baseline). */
void arena_rows_unaggregated(const arena_index *idx, arena_rows *out);
void arena_rows_free(arena_rows *r);               /* NULL is fine */

#endif
