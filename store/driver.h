/*
 * driver.h — the thin layer between the store's typed functions and one
 * database engine. Internal to store/: nothing outside this folder includes
 * it, and no type of any database library appears in it.
 *
 * Every typed function of the store (store_battle_put, store_results_each,
 * ...) is written once, over this interface, in the SQL that SQLite and
 * PostgreSQL both accept:
 *   - placeholders are `?`, numbered left to right from 1 (a PostgreSQL
 *     driver rewrites them to $1, $2, ...);
 *   - upserts are INSERT ... ON CONFLICT (...) DO UPDATE / DO NOTHING, new
 *     ids come back with RETURNING id;
 *   - no engine-specific functions: times are computed in C (tt_iso8601) and
 *     bound as text, string lengths are measured in C.
 * What cannot be written that way lives in the driver: connection setup,
 * the schema's DDL (the migrations are per driver, since column types and
 * auto-increment keys differ) and where the schema version is kept.
 *
 * A driver is a vtable plus two opaque types: store_conn (one connection)
 * and store_stmt (one prepared statement of that connection). The sqlite
 * driver (sqlite.c) is the first; the libpq driver (postgres.c) the second.
 *
 * Contracts every driver keeps:
 *   - functions returning int return TT_OK or TT_ERR_STORE; after a failure
 *     errmsg() describes the most recent failed call on that connection;
 *   - bind_* copy their values (the caller's buffers may die right after);
 *     bind_text(NULL) binds SQL NULL; indexes are 1-based;
 *   - step() returns STORE_ROW while rows come, then STORE_DONE, or
 *     STORE_STEP_ERROR; column_* indexes are 0-based and their values (text
 *     pointers included) stay valid until the next step, reset or finalize;
 *   - reset() makes a statement runnable again; bindings stay until rebound;
 *   - rollback() is a no-op when no transaction is open;
 *   - a connection may be shared by threads as far as single calls go (the
 *     sqlite driver opens SQLite in serialized mode); sequences of calls that
 *     must not interleave are serialised by the store (see store.c).
 */
#ifndef TIANTI_STORE_DRIVER_H
#define TIANTI_STORE_DRIVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct store_conn store_conn;
typedef struct store_stmt store_stmt;

enum store_step {
    STORE_STEP_ERROR = -1,
    STORE_DONE = 0,
    STORE_ROW = 1
};

typedef struct store_driver {
    const char *name;                       /* "sqlite" */

    /* Opens (creating if needed) the database named by target (a file path
     * for sqlite, a connection string for a server) and prepares the
     * connection (journal mode, timeouts, foreign keys). On failure *out is
     * NULL and err says why. */
    int (*open)(const char *target, store_conn **out, char *err);
    void (*close)(store_conn *c);           /* NULL is fine */

    /* The schema: migrations[i] moves version i to i + 1 (store.c runs the
     * pending ones, each in a write transaction). */
    const char *const *migrations;
    int n_migrations;
    int (*schema_version)(store_conn *c, int *version);
    int (*set_schema_version)(store_conn *c, int version);

    /* Statements. */
    int (*prepare)(store_conn *c, const char *sql, store_stmt **out);
    void (*finalize)(store_stmt *st);       /* NULL is fine */
    int (*reset)(store_stmt *st);
    int (*bind_null)(store_stmt *st, int i);
    int (*bind_text)(store_stmt *st, int i, const char *v);
    int (*bind_int64)(store_stmt *st, int i, int64_t v);
    int (*bind_double)(store_stmt *st, int i, double v);
    int (*step)(store_stmt *st);
    int (*column_is_null)(store_stmt *st, int i);
    const char *(*column_text)(store_stmt *st, int i);   /* NULL for SQL NULL */
    int64_t (*column_int64)(store_stmt *st, int i);
    double (*column_double)(store_stmt *st, int i);

    /* Runs SQL without parameters; may hold several statements (DDL). */
    int (*exec)(store_conn *c, const char *sql);

    /* Transactions. begin() starts one for reads that must see one
     * snapshot (SQLite: deferred; PostgreSQL: REPEATABLE READ);
     * begin_immediate() takes the write lock now, so a transaction that
     * reads and then writes cannot deadlock against another writer
     * (PostgreSQL: an advisory lock all of Tianti's writers share). */
    int (*begin)(store_conn *c);
    int (*begin_immediate)(store_conn *c);
    int (*commit)(store_conn *c);
    void (*rollback)(store_conn *c);
    int (*in_transaction)(store_conn *c);

    const char *(*errmsg)(store_conn *c);   /* never NULL */
    int64_t (*changes)(store_conn *c);      /* rows changed by the last write statement */

    /* After rows were inserted with explicit ids (store copy): new rows of
     * table must get ids above the largest. NULL when the engine needs
     * nothing (SQLite takes max(id) + 1 by itself). */
    int (*sync_ids)(store_conn *c, const char *table);

    /* 1 when the last failure on c lost a concurrency race (PostgreSQL:
     * serialization failure, deadlock) and the transaction it broke may be
     * run again from its start; NULL when the engine has no such failure
     * (SQLite waits on its busy timeout instead). */
    int (*retryable)(store_conn *c);
} store_driver;

extern const store_driver store_sqlite_driver;
extern const store_driver store_pg_driver;      /* postgres.c */

/* 1 when target names a PostgreSQL database (postgresql:// or postgres://). */
int store_target_is_pg(const char *target);
/* target as it may be shown: a PostgreSQL URI's password masked (***). */
void store_pg_display_target(const char *target, char *out, size_t n);

#endif
