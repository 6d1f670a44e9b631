/*
 * ratings.h — computed leaderboards. `tianti ratings --db` stores one row
 * per model for each computation (all rows of one computation share
 * computed_at, method and source); the report shows the newest computation
 * per method.
 */
#ifndef TIANTI_STORE_RATINGS_H
#define TIANTI_STORE_RATINGS_H

#include "store/types.h"

/* One row of `ratings`. Strings borrowed. */
typedef struct store_rating {
    const char *computed_at;        /* ISO 8601 UTC, the same for one computation */
    const char *method;             /* 'bt' or 'elo' */
    const char *source;             /* battles rated: 'all', 'human', 'judge' */
    const char *model;
    double rating;
    double lower, upper;            /* 95% bootstrap interval; NaN without bootstrap */
    store_opt_int rank;
    int64_t battles;
    store_opt_int bootstrap_rounds;
    store_opt_int seed;             /* the uint64 seed's bit pattern */
} store_rating;

/* Stores n ratings in one transaction: all or none. Must not be called
 * inside store_begin(). */
int store_ratings_put(store *s, const store_rating *v, size_t n, char *err);

typedef int (*store_rating_fn)(void *ctx, const store_rating *r, char *err);

/* Visits the rows of the newest computation with this method: newest
 * computed_at, and among computations made at the same time the one over
 * all battles, then the last stored. Rows by rating, highest first. Visits
 * nothing when the method has no ratings. */
int store_ratings_latest(store *s, const char *method, store_rating_fn fn, void *ctx, char *err);

#endif
