/*
 * internal.h — what the store's own files share and nobody else sees: the
 * store handle's layout and store_q, a prepared statement with a cursor
 * over its placeholders, so that each typed function reads as its SQL and
 * one line per bound value.
 *
 * Value conventions (the same in every store header): a NULL pointer binds
 * and reads as SQL NULL for text, NaN for REAL columns, store_opt_int with
 * has = 0 for nullable INTEGER columns.
 *
 * Errors: every failure becomes TT_ERR_STORE with "<what> in '<path>':
 * <driver message>" in err (store_fail), so the user sees the database's own
 * words and which file they concern.
 */
#ifndef TIANTI_STORE_INTERNAL_H
#define TIANTI_STORE_INTERNAL_H

#include "store/store.h"
#include "store/driver.h"

#include <pthread.h>

struct store {
    const store_driver *drv;
    store_conn *conn;
    char *path;
    pthread_mutex_t lock;   /* serialises cache writes from worker threads (cache.c) */
};

/* Writes "<what> in '<path>': <driver message>" to err; returns TT_ERR_STORE. */
int store_fail(store *s, char *err, const char *what, ...) __attribute__((format(printf, 3, 4)));

/* A prepared statement being bound, run and read. */
typedef struct store_q {
    store *s;
    store_stmt *st;
    int arg;            /* placeholders bound so far; the next bind is arg + 1 */
    int bind_failed;    /* a bind failed: the next step fails instead of running */
} store_q;

/* Prepares sql; on failure q->st is NULL (store_q_finish is still fine) and
 * err says "cannot <what>". */
int store_q_prepare(store *s, store_q *q, const char *sql, const char *what, char *err);
void store_q_finish(store_q *q);           /* finalizes; idempotent */
/* Makes the statement runnable again; the next bind is placeholder 1. */
void store_q_rewind(store_q *q);

/* Bind the next placeholder. */
void store_q_text(store_q *q, const char *v);      /* NULL binds NULL */
void store_q_int(store_q *q, int64_t v);
void store_q_opt_int(store_q *q, store_opt_int v);
void store_q_real(store_q *q, double v);           /* NaN binds NULL */

/* STORE_ROW, STORE_DONE or STORE_STEP_ERROR (also after a failed bind). */
int store_q_step(store_q *q);
/* Steps a statement that returns no rows; TT_OK at STORE_DONE, otherwise
 * store_fail(err, "cannot <what>"). */
int store_q_run(store_q *q, const char *what, char *err);

/* Columns of the current row (0-based). */
const char *store_q_col_text(store_q *q, int i);   /* NULL for NULL; valid until the next step */
int64_t store_q_col_int(store_q *q, int i);        /* 0 for NULL */
double store_q_col_real(store_q *q, int i);        /* NaN for NULL */
store_opt_int store_q_col_opt_int(store_q *q, int i);

/* Runs fn inside a write transaction: BEGIN IMMEDIATE, fn, COMMIT; rolls
 * back when fn or the commit fails, and runs it again (up to 5 times) when
 * the failure lost a concurrency race the driver says may be replayed
 * (driver.h retryable), so fn must start from its inputs each time.
 * Refuses to run inside an open transaction (the caller's work would be
 * committed or rolled back with ours). what names the work for messages. */
int store_with_transaction(store *s, int (*fn)(store *s, void *ctx, char *err), void *ctx, const char *what,
                         char *err);

#endif
