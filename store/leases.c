/*
 * leases.c — run leases (leases.h). The acquire is a read and a write in
 * one write transaction (store_with_transaction: BEGIN IMMEDIATE on SQLite,
 * replayed after a lost race on PostgreSQL), so two processes cannot both
 * find the lease free.
 */
#include "store/leases.h"
#include "store/internal.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void store_lease_clear(store_lease *l)
{
    if (!l) return;
    free(l->holder);
    free(l->host);
    memset(l, 0, sizeof *l);
}

int store_lease_get(store *s, const char *identity, store_lease *out, char *err)
{
    memset(out, 0, sizeof *out);
    store_q q;
    int rc = store_q_prepare(s, &q,
                             "SELECT holder, host, pid, run_id, started_at, heartbeat FROM run_leases WHERE identity = ?",
                             "read run leases", err);
    if (rc) return rc;
    store_q_text(&q, identity);
    int step = store_q_step(&q);
    if (step == STORE_ROW) {
        out->holder = tt_strdup(store_q_col_text(&q, 0));
        out->host = tt_strdup(store_q_col_text(&q, 1));
        out->pid = store_q_col_int(&q, 2);
        out->run_id = store_q_col_int(&q, 3);
        out->started_at = store_q_col_real(&q, 4);
        out->heartbeat = store_q_col_real(&q, 5);
    } else if (step == STORE_DONE) {
        rc = TT_ERR_NOTFOUND;
    } else {
        rc = store_fail(s, err, "cannot read run leases");
    }
    store_q_finish(&q);
    return rc;
}

typedef struct acquire_ctx {
    const char *identity;
    const store_lease *mine;
    double stale_before;
    const char *dead_holder;
    store_lease *prev;
    int busy;
} acquire_ctx;

static int acquire_tx(store *s, void *vctx, char *err)
{
    acquire_ctx *a = vctx;
    store_lease_clear(a->prev);
    a->busy = 0;
    store_lease cur;
    int rc = store_lease_get(s, a->identity, &cur, err);
    if (rc != TT_OK && rc != TT_ERR_NOTFOUND) return rc;
    if (rc == TT_OK) {
        int mine = cur.holder && !strcmp(cur.holder, a->mine->holder);
        int stale = cur.heartbeat < a->stale_before;
        int dead = a->dead_holder && cur.holder && !strcmp(cur.holder, a->dead_holder);
        if (!mine && !stale && !dead) {
            *a->prev = cur;
            a->busy = 1;
            return TT_OK;   /* nothing written; the transaction commits empty */
        }
        if (!mine) *a->prev = cur;
        else store_lease_clear(&cur);
    }
    double now = tt_wall_s();
    store_q q;
    rc = store_q_prepare(s, &q,
                         "INSERT INTO run_leases (identity, holder, pid, host, run_id, started_at, heartbeat) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET holder = excluded.holder, "
                         "pid = excluded.pid, host = excluded.host, run_id = excluded.run_id, "
                         "started_at = excluded.started_at, heartbeat = excluded.heartbeat",
                         "take the run lease", err);
    if (rc == TT_OK) {
        store_q_text(&q, a->identity);
        store_q_text(&q, a->mine->holder);
        store_q_int(&q, a->mine->pid);
        store_q_text(&q, a->mine->host);
        store_q_int(&q, a->mine->run_id);
        store_q_real(&q, now);
        store_q_real(&q, now);
        rc = store_q_run(&q, "take the run lease", err);
    }
    store_q_finish(&q);
    return rc;
}

int store_lease_acquire(store *s, const char *identity, const store_lease *mine, double stale_before,
                        const char *dead_holder, store_lease *prev, char *err)
{
    memset(prev, 0, sizeof *prev);
    acquire_ctx a = {identity, mine, stale_before, dead_holder, prev, 0};
    int rc = store_with_transaction(s, acquire_tx, &a, "take the run lease", err);
    if (rc != TT_OK) {
        store_lease_clear(prev);
        return rc;
    }
    if (a.busy)
        return tt_fail(err, TT_ERR_USAGE, "the run is held by pid %lld on '%s'", (long long)prev->pid,
                       prev->host ? prev->host : "?");
    return TT_OK;
}

int store_lease_renew(store *s, const char *identity, const char *holder, int64_t run_id, char *err)
{
    pthread_mutex_lock(&s->lock);
    store_q q;
    int rc = store_q_prepare(s, &q,
                             "UPDATE run_leases SET heartbeat = ?, run_id = CASE WHEN ? > 0 THEN ? ELSE run_id END "
                             "WHERE identity = ? AND holder = ?",
                             "renew the run lease", err);
    if (rc == TT_OK) {
        store_q_real(&q, tt_wall_s());
        store_q_int(&q, run_id);
        store_q_int(&q, run_id);
        store_q_text(&q, identity);
        store_q_text(&q, holder);
        rc = store_q_run(&q, "renew the run lease", err);
        if (rc == TT_OK && s->drv->changes(s->conn) == 0)
            rc = tt_fail(err, TT_ERR_NOTFOUND, "the run lease was taken over by another process");
    }
    store_q_finish(&q);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int store_lease_release(store *s, const char *identity, const char *holder, char *err)
{
    pthread_mutex_lock(&s->lock);
    store_q q;
    int rc = store_q_prepare(s, &q, "DELETE FROM run_leases WHERE identity = ? AND holder = ?", "release the run lease",
                             err);
    if (rc == TT_OK) {
        store_q_text(&q, identity);
        store_q_text(&q, holder);
        rc = store_q_run(&q, "release the run lease", err);
    }
    store_q_finish(&q);
    pthread_mutex_unlock(&s->lock);
    return rc;
}
