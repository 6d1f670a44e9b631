/*
 * query.c — store_q (internal.h): a prepared statement plus a cursor over
 * its `?` placeholders, on top of the driver's vtable. The typed functions
 * bind their values in the order the SQL names them, so the SQL and the
 * binding read side by side and no placeholder number can drift.
 *
 * A failed bind (the driver refuses a value, e.g. a string over its size
 * limit) is remembered and makes the next step fail with the driver's
 * message, so a statement never runs with a value silently missing.
 */
#include "store/internal.h"
#include "core/util.h"
#include "core/redact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int store_q_prepare(store *s, store_q *q, const char *sql, const char *what, char *err)
{
    memset(q, 0, sizeof *q);
    q->s = s;
    if (s->drv->prepare(s->conn, sql, &q->st) != TT_OK) return store_fail(s, err, "cannot %s", what);
    return TT_OK;
}

void store_q_finish(store_q *q)
{
    if (q->st) q->s->drv->finalize(q->st);
    q->st = NULL;
}

void store_q_rewind(store_q *q)
{
    /* The reset's own status repeats the last step's error, which the
     * caller has already reported; the statement is runnable either way. */
    (void)q->s->drv->reset(q->st);
    q->arg = 0;
    q->bind_failed = 0;
}

static void bound(store_q *q, int rc)
{
    if (rc != TT_OK) q->bind_failed = 1;
}

void store_q_text(store_q *q, const char *v)
{
    q->arg++;
    /* nothing stored carries an API key (core/redact.h); the drivers copy
     * what they bind */
    size_t n = v ? strlen(v) : 0;
    if (n && tt_redact_needed(v, n)) {
        char *r = tt_redact_text(v, n);
        bound(q, q->s->drv->bind_text(q->st, q->arg, r));
        free(r);
        return;
    }
    bound(q, q->s->drv->bind_text(q->st, q->arg, v));
}

void store_q_int(store_q *q, int64_t v)
{
    q->arg++;
    bound(q, q->s->drv->bind_int64(q->st, q->arg, v));
}

void store_q_opt_int(store_q *q, store_opt_int v)
{
    q->arg++;
    bound(q, v.has ? q->s->drv->bind_int64(q->st, q->arg, v.v) : q->s->drv->bind_null(q->st, q->arg));
}

void store_q_real(store_q *q, double v)
{
    q->arg++;
    bound(q, isnan(v) ? q->s->drv->bind_null(q->st, q->arg) : q->s->drv->bind_double(q->st, q->arg, v));
}

int store_q_step(store_q *q)
{
    if (q->bind_failed) return STORE_STEP_ERROR;
    return q->s->drv->step(q->st);
}

int store_q_run(store_q *q, const char *what, char *err)
{
    int step = store_q_step(q);
    if (step == STORE_DONE) return TT_OK;
    if (step == STORE_ROW) return tt_fail(err, TT_ERR_STORE, "cannot %s in '%s': the statement returned rows", what,
                                          q->s->path);
    return store_fail(q->s, err, "cannot %s", what);
}

const char *store_q_col_text(store_q *q, int i) { return q->s->drv->column_text(q->st, i); }

int64_t store_q_col_int(store_q *q, int i)
{
    return q->s->drv->column_is_null(q->st, i) ? 0 : q->s->drv->column_int64(q->st, i);
}

double store_q_col_real(store_q *q, int i)
{
    return q->s->drv->column_is_null(q->st, i) ? NAN : q->s->drv->column_double(q->st, i);
}

store_opt_int store_q_col_opt_int(store_q *q, int i)
{
    if (q->s->drv->column_is_null(q->st, i)) return STORE_NO_INT;
    return STORE_INT(q->s->drv->column_int64(q->st, i));
}
