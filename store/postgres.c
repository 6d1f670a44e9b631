/*
 * postgres.c — the PostgreSQL driver of driver.h, and the only file of
 * Tianti that talks to libpq. A store whose --db is a postgresql:// or
 * postgres:// URI lives here (store.c chooses by that prefix); every typed
 * function of the store runs unchanged, in the SQL subset both drivers
 * accept (driver.h).
 *
 * Statements. prepare() rewrites the `?` placeholders to $1, $2, ...
 * (outside string literals, quoted identifiers and comments) and keeps the
 * text; step() sends it with its parameters in one round trip
 * (PQexecParams, text format, types inferred by the server from the
 * columns they meet) and holds the whole result, whose rows the following
 * steps hand out. No server-side prepared statements: the store prepares
 * a statement per call, so naming and deallocating them would triple the
 * round trips.
 *
 * Transactions and concurrency. begin() (the store's read transactions)
 * is REPEATABLE READ: one snapshot, as an SQLite read transaction has.
 * begin_immediate() is SQLite's promise, kept for a server: after BEGIN (READ
 * COMMITTED) it takes a transaction-level advisory lock (one key for all of Tianti), so
 * write transactions that read and then write (a task's samples, a
 * migration, an import) run one at a time across every process on the
 * store, as they do on SQLite, and cannot deadlock each other. Single
 * statements outside a transaction (votes, cache writes, run status) take
 * no such lock and run concurrently; the once-only vote rests on the UNIQUE
 * constraint and ON CONFLICT, not on a lock. A statement that fails with a
 * serialization failure (40001) or a deadlock (40P01) is replayed by step()
 * when it ran outside a transaction (the server rolled it back whole); in a
 * transaction the work before it is gone: store_with_transaction replays
 * the whole transaction (retryable()), and any other caller gets an error
 * that says so.
 *
 * The schema is store/schema_pg.h; its version is the one row of the table
 * tianti_schema, created at open under a session advisory lock (two
 * processes opening an empty database at once must not both create it) and
 * written inside each migration's transaction.
 *
 * One connection per store handle. libpq connections are not safe for
 * concurrent use, so every call that touches the connection holds the
 * connection's mutex: single calls may come from any thread, as with
 * SQLite's serialized mode. Notices (e.g. "relation already exists") are
 * dropped: the library never prints.
 *
 * Secrets: the URI may carry a password. It is passed to libpq and never
 * kept; store.c shows the URI with the password masked
 * (store_pg_display_target).
 */
#include "store/driver.h"
#include "store/schema_pg.h"
#include "core/util.h"

#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The advisory lock key of write transactions and of schema creation:
 * "tian" in ASCII. */
#define PG_LOCK_KEY "1953063278"
/* Replays of a single statement that lost a serialization race. */
#define PG_RETRIES 8

struct store_conn {
    PGconn *pg;
    pthread_mutex_t mu;
    char errmsg[TT_ERR_SIZE];
    int64_t changes;
    int last_retryable;           /* the last failure lost a concurrency race */
};

struct store_stmt {
    store_conn *c;
    char *sql;                    /* with $n placeholders */
    int n_params;
    char **values;                /* n_params bound values (owned), NULL = SQL NULL */
    PGresult *res;                /* the result being read, or NULL before the first step */
    int row;                      /* the row the column_* calls read */
    int done;                     /* the rows are all handed out */
};

/* ---- errors --------------------------------------------------------------- */

/* Keeps msg (libpq's, with its trailing newline cut) as the connection's
 * last error. */
static void set_err(store_conn *c, const char *msg)
{
    snprintf(c->errmsg, sizeof c->errmsg, "%s", msg && *msg ? msg : "unknown PostgreSQL error");
    size_t n = strlen(c->errmsg);
    while (n > 0 && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' ')) c->errmsg[--n] = 0;
}

/* 1 when the result failed with a serialization failure or a deadlock. */
static int retryable(const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return state && (!strcmp(state, "40001") || !strcmp(state, "40P01"));
}

static void set_res_err(store_conn *c, const PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    set_err(c, m && *m ? m : PQerrorMessage(c->pg));
    c->last_retryable = retryable(r);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* ---- connections ------------------------------------------------------------ */

/* Runs sql (no parameters) with the mutex held; TT_OK on success. */
static int exec_locked(store_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) set_res_err(c, r);
    PQclear(r);
    return ok ? TT_OK : TT_ERR_STORE;
}

static int pg_exec(store_conn *c, const char *sql)
{
    pthread_mutex_lock(&c->mu);
    int rc = exec_locked(c, sql);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void pg_close(store_conn *c)
{
    if (!c) return;
    if (c->pg) PQfinish(c->pg);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int pg_open(const char *target, store_conn **out, char *err)
{
    *out = NULL;
    store_conn *c = tt_calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->pg = PQconnectdb(target);
    char shown[512];
    store_pg_display_target(target, shown, sizeof shown);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        set_err(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        int rc = tt_fail(err, TT_ERR_STORE, "cannot connect to PostgreSQL database '%s': %s", shown, c->errmsg);
        pg_close(c);
        return rc;
    }
    PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
    /* Byte-exact floats (the default since PostgreSQL 12, stated for older
     * servers), UTF-8 text, and the version table, created once. */
    static const char *const setup[] = {
        "SET extra_float_digits = 3",
        "SET client_encoding = 'UTF8'",
        "SELECT pg_advisory_lock(" PG_LOCK_KEY ")",
        "CREATE TABLE IF NOT EXISTS tianti_schema (version INTEGER NOT NULL)",
        "INSERT INTO tianti_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM tianti_schema)",
        "SELECT pg_advisory_unlock(" PG_LOCK_KEY ")",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (exec_locked(c, setup[i]) != TT_OK) {
            int rc = tt_fail(err, TT_ERR_STORE, "PostgreSQL database '%s': %s", shown, c->errmsg);
            pg_close(c);
            return rc;
        }
    *out = c;
    return TT_OK;
}

static int pg_schema_version(store_conn *c, int *version)
{
    pthread_mutex_lock(&c->mu);
    PGresult *r = PQexec(c->pg, "SELECT max(version) FROM tianti_schema");
    int rc = TT_ERR_STORE;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        *version = PQgetisnull(r, 0, 0) ? 0 : atoi(PQgetvalue(r, 0, 0));
        rc = TT_OK;
    } else {
        set_res_err(c, r);
    }
    PQclear(r);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int pg_set_schema_version(store_conn *c, int version)
{
    char sql[64];
    snprintf(sql, sizeof sql, "UPDATE tianti_schema SET version = %d", version);
    return pg_exec(c, sql);
}

/* ---- statements ---------------------------------------------------------------- */

/* The SQL with `?` replaced by $1, $2, ... outside '...' literals, "..."
 * identifiers and -- comments; *n gets the number of placeholders. */
static char *rewrite(const char *sql, int *n)
{
    tt_buf b;
    tt_buf_init(&b);
    *n = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            /* copy the quoted run; a doubled quote is part of it */
            char q = *p;
            const char *e = p + 1;
            while (*e && !(*e == q && e[1] != q)) e += (*e == q) ? 2 : 1;
            size_t len = (size_t)(e - p) + (*e ? 1 : 0);
            tt_buf_append(&b, p, len);
            p += len - 1;
        } else if (p[0] == '-' && p[1] == '-') {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            tt_buf_append(&b, p, len);
            p += len - 1;
        } else if (*p == '?') {
            char num[16];
            snprintf(num, sizeof num, "$%d", ++*n);
            tt_buf_puts(&b, num);
        } else {
            tt_buf_append(&b, p, 1);
        }
    }
    char *out = tt_strdup(tt_buf_str(&b));
    tt_buf_free(&b);
    return out;
}

static int pg_prepare(store_conn *c, const char *sql, store_stmt **out)
{
    store_stmt *s = tt_calloc(1, sizeof *s);
    s->c = c;
    s->sql = rewrite(sql, &s->n_params);
    s->values = tt_calloc((size_t)s->n_params + 1, sizeof *s->values);
    *out = s;
    return TT_OK;
}

static void clear_result(store_stmt *s)
{
    if (s->res) PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->done = 0;
}

static void pg_finalize(store_stmt *s)
{
    if (!s) return;
    clear_result(s);
    for (int i = 0; i < s->n_params; i++) free(s->values[i]);
    free(s->values);
    free(s->sql);
    free(s);
}

static int pg_reset(store_stmt *s)
{
    clear_result(s);
    return TT_OK;
}

static int bind(store_stmt *s, int i, char *v)
{
    if (i < 1 || i > s->n_params) {
        free(v);
        pthread_mutex_lock(&s->c->mu);
        set_err(s->c, "bind index out of range");
        pthread_mutex_unlock(&s->c->mu);
        return TT_ERR_STORE;
    }
    free(s->values[i - 1]);
    s->values[i - 1] = v;
    return TT_OK;
}

static int pg_bind_null(store_stmt *s, int i) { return bind(s, i, NULL); }
static int pg_bind_text(store_stmt *s, int i, const char *v) { return bind(s, i, v ? tt_strdup(v) : NULL); }

static int pg_bind_int64(store_stmt *s, int i, int64_t v)
{
    return bind(s, i, tt_asprintf("%lld", (long long)v));
}

static int pg_bind_double(store_stmt *s, int i, double v)
{
    /* %.17g reads back to the same double; PostgreSQL spells infinities
     * its own way. */
    if (isinf(v)) return bind(s, i, tt_strdup(v > 0 ? "Infinity" : "-Infinity"));
    if (isnan(v)) return bind(s, i, tt_strdup("NaN"));
    return bind(s, i, tt_asprintf("%.17g", v));
}

/* Sends the statement with its parameters; replays a lost serialization
 * race outside a transaction. With the mutex held. */
static int execute_locked(store_stmt *s)
{
    store_conn *c = s->c;
    for (int attempt = 0;; attempt++) {
        int in_tx = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
        PGresult *r = PQexecParams(c->pg, s->sql, s->n_params, NULL, (const char *const *)s->values, NULL, NULL, 0);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            const char *n = PQcmdTuples(r);
            c->changes = n && *n ? strtoll(n, NULL, 10) : 0;
            s->res = r;
            s->row = -1;
            return TT_OK;
        }
        int again = retryable(r) && !in_tx && attempt < PG_RETRIES;
        set_res_err(c, r);
        if (retryable(r) && in_tx) {
            /* store_with_transaction replays its transactions (retryable());
             * a caller's own transaction ends with this message */
            static const char note[] = " (the transaction lost a concurrency conflict and is rolled back; run the "
                                       "command again)";
            size_t have = strlen(c->errmsg);
            if (have + sizeof note <= sizeof c->errmsg) memcpy(c->errmsg + have, note, sizeof note);
        }
        PQclear(r);
        if (!again) return TT_ERR_STORE;
        /* back off a little, more each time, before the replay */
        struct timespec ts = {0, (long)(1000000L << (attempt < 6 ? attempt : 6))};
        pthread_mutex_unlock(&c->mu);
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&c->mu);
    }
}

static int pg_step(store_stmt *s)
{
    if (s->done) return STORE_DONE;
    if (!s->res) {
        pthread_mutex_lock(&s->c->mu);
        int rc = execute_locked(s);
        pthread_mutex_unlock(&s->c->mu);
        if (rc != TT_OK) return STORE_STEP_ERROR;
    }
    if (++s->row < PQntuples(s->res)) return STORE_ROW;
    s->done = 1;
    return STORE_DONE;
}

static int pg_column_is_null(store_stmt *s, int i) { return PQgetisnull(s->res, s->row, i); }

static const char *pg_column_text(store_stmt *s, int i)
{
    return PQgetisnull(s->res, s->row, i) ? NULL : PQgetvalue(s->res, s->row, i);
}

static int64_t pg_column_int64(store_stmt *s, int i)
{
    if (PQgetisnull(s->res, s->row, i)) return 0;
    const char *v = PQgetvalue(s->res, s->row, i);
    /* a boolean column (a comparison in a select list) reads as 1 or 0 */
    if (!strcmp(v, "t")) return 1;
    if (!strcmp(v, "f")) return 0;
    return strtoll(v, NULL, 10);
}

static double pg_column_double(store_stmt *s, int i)
{
    if (PQgetisnull(s->res, s->row, i)) return NAN;
    return strtod(PQgetvalue(s->res, s->row, i), NULL);
}

/* ---- transactions ------------------------------------------------------------------- */

static int pg_in_transaction(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int in = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    pthread_mutex_unlock(&c->mu);
    return in;
}

/* The store's begin() transactions only read (ratings, the source of a
 * copy) and want one snapshot for all their statements, as SQLite gives:
 * REPEATABLE READ fixes it at the first statement. */
static int pg_begin(store_conn *c) { return pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ"); }

static int pg_begin_immediate(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int rc = exec_locked(c, "BEGIN");
    if (rc == TT_OK) {
        rc = exec_locked(c, "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")");
        if (rc != TT_OK) {
            char keep[TT_ERR_SIZE];
            snprintf(keep, sizeof keep, "%s", c->errmsg);
            exec_locked(c, "ROLLBACK");
            set_err(c, keep);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int pg_commit(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    /* COMMIT outside a transaction is only a warning, and COMMIT of a
     * failed transaction "succeeds" as a ROLLBACK: refuse both. */
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_IDLE) {
        set_err(c, "cannot commit - no transaction is active");
        pthread_mutex_unlock(&c->mu);
        return TT_ERR_STORE;
    }
    int failed = ts == PQTRANS_INERROR;
    int rc = exec_locked(c, "COMMIT");
    if (rc == TT_OK && failed) {
        set_err(c, "the transaction had failed and was rolled back");
        rc = TT_ERR_STORE;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void pg_rollback(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        /* keep the message of the failure that led here */
        char keep[TT_ERR_SIZE];
        snprintf(keep, sizeof keep, "%s", c->errmsg);
        exec_locked(c, "ROLLBACK");
        set_err(c, keep);
    }
    pthread_mutex_unlock(&c->mu);
}

static int pg_retryable(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int r = c->last_retryable;
    pthread_mutex_unlock(&c->mu);
    return r;
}

static const char *pg_errmsg(store_conn *c) { return c->errmsg[0] ? c->errmsg : "no error"; }

static int64_t pg_changes(store_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int64_t n = c->changes;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static int pg_sync_ids(store_conn *c, const char *table)
{
    /* table comes from the store's fixed list (copy.c), never from input */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce((SELECT max(id) FROM %s), 0) + 1, false)",
             table, table);
    return pg_exec(c, sql);
}

/* ---- the URI as shown ------------------------------------------------------------------ */

void store_pg_display_target(const char *target, char *out, size_t n)
{
    /* postgresql://user:SECRET@host/... -> postgresql://user:***@host/...;
     * a password=SECRET parameter likewise. */
    tt_buf b;
    tt_buf_init(&b);
    const char *p = target;
    const char *scheme = strstr(p, "://");
    if (scheme) {
        const char *auth = scheme + 3;
        const char *end = auth + strcspn(auth, "/?#");
        const char *at = memchr(auth, '@', (size_t)(end - auth));
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            tt_buf_append(&b, p, (size_t)(colon + 1 - p));
            tt_buf_puts(&b, "***");
            p = at;
        }
    }
    while (*p) {
        const char *pw = strstr(p, "password=");
        if (!pw || (pw > target && !strchr("?&; ", pw[-1]))) {
            tt_buf_puts(&b, p);
            break;
        }
        tt_buf_append(&b, p, (size_t)(pw - p) + 9);
        tt_buf_puts(&b, "***");
        p = pw + 9 + strcspn(pw + 9, "& ");
    }
    snprintf(out, n, "%s", tt_buf_str(&b));
    tt_buf_free(&b);
}

const store_driver store_pg_driver = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .migrations = store_pg_migrations,
    .n_migrations = STORE_PG_SCHEMA_VERSION,
    .schema_version = pg_schema_version,
    .set_schema_version = pg_set_schema_version,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_null = pg_bind_null,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .step = pg_step,
    .column_is_null = pg_column_is_null,
    .column_text = pg_column_text,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .exec = pg_exec,
    .begin = pg_begin,
    .begin_immediate = pg_begin_immediate,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_transaction = pg_in_transaction,
    .errmsg = pg_errmsg,
    .changes = pg_changes,
    .sync_ids = pg_sync_ids,
    .retryable = pg_retryable,
};
