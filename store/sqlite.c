/*
 * sqlite.c — the SQLite driver of driver.h, and the only file of Tianti
 * that talks to libsqlite3.
 *
 * A store file is one SQLite database in WAL mode (readers never wait for
 * the writer), synchronous=NORMAL (a commit survives a process crash; a
 * power cut may lose the last transactions but never corrupts the file),
 * foreign keys enforced, and a 10 s busy timeout so that two tianti
 * processes sharing a file wait for each other instead of failing.
 *
 * The schema is store/schema.h; its version is PRAGMA user_version, which
 * SQLite keeps in the file header and changes inside the migration's
 * transaction, so a migration and its version bump commit together.
 *
 * The connection is opened in serialized mode (SQLITE_OPEN_FULLMUTEX): any
 * single call may come from any thread. Error messages come from
 * sqlite3_errmsg(), which describes the connection's most recent failure.
 */
#include "store/driver.h"
#include "store/schema.h"
#include "core/util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

struct store_conn {
    sqlite3 *db;
};

struct store_stmt {
    sqlite3_stmt *st;
};

static int ok(int rc) { return rc == SQLITE_OK ? TT_OK : TT_ERR_STORE; }

static int lite_exec(store_conn *c, const char *sql)
{
    return ok(sqlite3_exec(c->db, sql, NULL, NULL, NULL));
}

static void lite_close(store_conn *c)
{
    if (!c) return;
    /* sqlite3_close_v2 would defer the close while statements are open; the
     * store finalizes every statement before it returns, so plain close. */
    if (c->db) sqlite3_close(c->db);
    free(c);
}

static int lite_open(const char *path, store_conn **out, char *err)
{
    *out = NULL;
    store_conn *c = tt_calloc(1, sizeof *c);
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = tt_fail(err, TT_ERR_STORE, "cannot open database '%s': %s", path,
                         c->db ? sqlite3_errmsg(c->db) : "out of memory");
        lite_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    static const char *const setup[] = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                                        "PRAGMA foreign_keys=ON"};
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (lite_exec(c, setup[i]) != TT_OK) {
            int rc = tt_fail(err, TT_ERR_STORE, "database '%s': %s", path, sqlite3_errmsg(c->db));
            lite_close(c);
            return rc;
        }
    *out = c;
    return TT_OK;
}

static int lite_schema_version(store_conn *c, int *version)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return TT_ERR_STORE;
    int rc = TT_ERR_STORE;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = TT_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int lite_set_schema_version(store_conn *c, int version)
{
    /* PRAGMA takes no bound parameters; version is an int we formatted. */
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
    return lite_exec(c, sql);
}

static int lite_prepare(store_conn *c, const char *sql, store_stmt **out)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return TT_ERR_STORE;
    store_stmt *s = tt_malloc(sizeof *s);
    s->st = st;
    *out = s;
    return TT_OK;
}

static void lite_finalize(store_stmt *s)
{
    if (!s) return;
    sqlite3_finalize(s->st);
    free(s);
}

static int lite_reset(store_stmt *s) { return ok(sqlite3_reset(s->st)); }
static int lite_bind_null(store_stmt *s, int i) { return ok(sqlite3_bind_null(s->st, i)); }

static int lite_bind_text(store_stmt *s, int i, const char *v)
{
    if (!v) return lite_bind_null(s, i);
    return ok(sqlite3_bind_text(s->st, i, v, -1, SQLITE_TRANSIENT));
}

static int lite_bind_int64(store_stmt *s, int i, int64_t v) { return ok(sqlite3_bind_int64(s->st, i, v)); }
static int lite_bind_double(store_stmt *s, int i, double v) { return ok(sqlite3_bind_double(s->st, i, v)); }

static int lite_step(store_stmt *s)
{
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW) return STORE_ROW;
    if (rc == SQLITE_DONE) return STORE_DONE;
    return STORE_STEP_ERROR;
}

static int lite_column_is_null(store_stmt *s, int i) { return sqlite3_column_type(s->st, i) == SQLITE_NULL; }
static const char *lite_column_text(store_stmt *s, int i) { return (const char *)sqlite3_column_text(s->st, i); }
static int64_t lite_column_int64(store_stmt *s, int i) { return sqlite3_column_int64(s->st, i); }
static double lite_column_double(store_stmt *s, int i) { return sqlite3_column_double(s->st, i); }

static int lite_begin(store_conn *c) { return lite_exec(c, "BEGIN"); }
static int lite_begin_immediate(store_conn *c) { return lite_exec(c, "BEGIN IMMEDIATE"); }
static int lite_commit(store_conn *c) { return lite_exec(c, "COMMIT"); }
static int lite_in_transaction(store_conn *c) { return !sqlite3_get_autocommit(c->db); }

static void lite_rollback(store_conn *c)
{
    /* SQLite may already have rolled back on its own (SQLITE_FULL, IOERR,
     * BUSY in some cases); a ROLLBACK then would only fail. */
    if (lite_in_transaction(c)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static const char *lite_errmsg(store_conn *c) { return sqlite3_errmsg(c->db); }
static int64_t lite_changes(store_conn *c) { return (int64_t)sqlite3_changes(c->db); }

const store_driver store_sqlite_driver = {
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .migrations = store_migrations,
    .n_migrations = STORE_SCHEMA_VERSION,
    .schema_version = lite_schema_version,
    .set_schema_version = lite_set_schema_version,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .reset = lite_reset,
    .bind_null = lite_bind_null,
    .bind_text = lite_bind_text,
    .bind_int64 = lite_bind_int64,
    .bind_double = lite_bind_double,
    .step = lite_step,
    .column_is_null = lite_column_is_null,
    .column_text = lite_column_text,
    .column_int64 = lite_column_int64,
    .column_double = lite_column_double,
    .exec = lite_exec,
    .begin = lite_begin,
    .begin_immediate = lite_begin_immediate,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .in_transaction = lite_in_transaction,
    .errmsg = lite_errmsg,
    .changes = lite_changes,
};
