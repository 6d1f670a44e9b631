/*
 * store.c — the store handle: opening a database through its driver,
 * migrating the schema forward, transactions, and the diagnostic row count.
 * The typed reads and writes live in one file per concept (runs.c,
 * samples.c, cache.c, battles.c, ratings.c, bench.c, results.c, files.c,
 * leases.c), all written
 * over the driver layer (driver.h) with the statement helpers of query.c.
 *
 * The driver follows from the target: a postgresql:// or postgres:// URI
 * opens PostgreSQL (postgres.c), anything else is an SQLite file
 * (sqlite.c). Messages name the target with a URI's password masked.
 *
 * Migrations: the driver supplies the schema as a list of forward
 * migrations and a place for the version number. Each pending migration
 * runs in its own write transaction together with its version bump, so a
 * crash leaves the database at a whole version. Two processes opening an
 * old database at once both try; the second finds the version moved once it
 * holds the write lock and skips that step.
 */
#include "store/internal.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_fail(store *s, char *err, const char *what, ...)
{
    char head[TT_ERR_SIZE];
    va_list ap;
    va_start(ap, what);
    vsnprintf(head, sizeof head, what, ap);
    va_end(ap);
    return tt_fail(err, TT_ERR_STORE, "%s in '%s': %s", head, s->path, s->drv->errmsg(s->conn));
}

int store_schema_version(store *s)
{
    int v;
    return s->drv->schema_version(s->conn, &v) == TT_OK ? v : -1;
}

static int migrate(store *s, char *err)
{
    const store_driver *d = s->drv;
    int have = store_schema_version(s);
    if (have < 0) return store_fail(s, err, "cannot read schema version");
    if (have > d->n_migrations)
        return tt_fail(err, TT_ERR_STORE, "database '%s' has schema version %d, newer than this tianti (%d)",
                       s->path, have, d->n_migrations);
    for (int v = have; v < d->n_migrations; v++) {
        if (d->begin_immediate(s->conn) != TT_OK) return store_fail(s, err, "cannot begin migration %d", v + 1);
        /* Someone else may have migrated while we waited for the lock. */
        if (store_schema_version(s) != v) {
            d->rollback(s->conn);
            continue;
        }
        int rc = TT_OK;
        if (d->exec(s->conn, d->migrations[v]) != TT_OK) rc = store_fail(s, err, "cannot apply migration %d", v + 1);
        else if (d->set_schema_version(s->conn, v + 1) != TT_OK)
            rc = store_fail(s, err, "cannot record schema version %d", v + 1);
        else if (d->commit(s->conn) != TT_OK) rc = store_fail(s, err, "cannot commit migration %d", v + 1);
        if (rc != TT_OK) {
            d->rollback(s->conn);
            return rc;
        }
    }
    return TT_OK;
}

int store_target_is_pg(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

int store_target_exists(const char *path) { return store_target_is_pg(path) || tt_file_exists(path); }

void store_target_display(const char *path, char *out, size_t n)
{
    if (store_target_is_pg(path)) store_pg_display_target(path, out, n);
    else snprintf(out, n, "%s", path);
}

const char *store_backend(const store *s) { return s->drv->name; }

int store_open(const char *path, store **out, char *err)
{
    *out = NULL;
    store *s = tt_calloc(1, sizeof *s);
    if (store_target_is_pg(path)) {
        char shown[512];
        store_pg_display_target(path, shown, sizeof shown);
        s->drv = &store_pg_driver;
        s->path = tt_strdup(shown);
    } else {
        s->drv = &store_sqlite_driver;
        s->path = tt_strdup(path);
    }
    pthread_mutex_init(&s->lock, NULL);
    int rc = s->drv->open(path, &s->conn, err);
    if (rc == TT_OK) rc = migrate(s, err);
    if (rc != TT_OK) {
        store_close(s);
        return rc;
    }
    *out = s;
    return TT_OK;
}

void store_close(store *s)
{
    if (!s) return;
    s->drv->close(s->conn);
    pthread_mutex_destroy(&s->lock);
    free(s->path);
    free(s);
}

int store_begin(store *s, char *err)
{
    return s->drv->begin_immediate(s->conn) == TT_OK ? TT_OK : store_fail(s, err, "cannot begin a transaction");
}

int store_commit(store *s, char *err)
{
    if (s->drv->commit(s->conn) == TT_OK) return TT_OK;
    return store_fail(s, err, "cannot commit");
}

void store_rollback(store *s) { s->drv->rollback(s->conn); }

int store_with_transaction(store *s, int (*fn)(store *s, void *ctx, char *err), void *ctx, const char *what, char *err)
{
    if (s->drv->in_transaction(s->conn))
        return tt_fail(err, TT_ERR_STORE, "cannot %s in '%s': a transaction is already open", what, s->path);
    /* A transaction that lost a concurrency race (PostgreSQL: deadlock,
     * serialization failure) was rolled back whole by the server; fn
     * writes only what it was given, so it is run again from the start. */
    int rc = TT_OK;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (s->drv->begin_immediate(s->conn) != TT_OK) return store_fail(s, err, "cannot begin to %s", what);
        rc = fn(s, ctx, err);
        if (rc == TT_OK && s->drv->commit(s->conn) != TT_OK) rc = store_fail(s, err, "cannot commit (%s)", what);
        if (rc == TT_OK) return TT_OK;
        int again = rc == TT_ERR_STORE && s->drv->retryable && s->drv->retryable(s->conn);
        s->drv->rollback(s->conn);
        if (!again) break;
    }
    return rc;
}

int store_debug_count(store *s, const char *table, int64_t *n, char *err)
{
    /* One fixed statement per table: the name never reaches SQL as a value. */
    static const char *const tables[][2] = {
        {"models", "SELECT count(*) FROM models"},
        {"tasks", "SELECT count(*) FROM tasks"},
        {"runs", "SELECT count(*) FROM runs"},
        {"samples", "SELECT count(*) FROM samples"},
        {"metrics", "SELECT count(*) FROM metrics"},
        {"request_cache", "SELECT count(*) FROM request_cache"},
        {"battles", "SELECT count(*) FROM battles"},
        {"ratings", "SELECT count(*) FROM ratings"},
        {"bench_results", "SELECT count(*) FROM bench_results"},
        {"pending_battles", "SELECT count(*) FROM pending_battles"},
        {"moderated_prompts", "SELECT count(*) FROM moderated_prompts"},
        {"judged_answers", "SELECT count(*) FROM judged_answers"},
        {"judgments", "SELECT count(*) FROM judgments"},
        {"file_hashes", "SELECT count(*) FROM file_hashes"},
        {"run_leases", "SELECT count(*) FROM run_leases"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        if (strcmp(table, tables[i][0])) continue;
        store_q q;
        int rc = store_q_prepare(s, &q, tables[i][1], "count rows", err);
        if (rc) return rc;
        if (store_q_step(&q) == STORE_ROW) *n = store_q_col_int(&q, 0);
        else rc = store_fail(s, err, "cannot count rows of '%s'", table);
        store_q_finish(&q);
        return rc;
    }
    return tt_fail(err, TT_ERR_USAGE, "'%s' is not a table of the store", table);
}
