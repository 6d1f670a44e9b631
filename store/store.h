/*
 * store.h — Tianti's store: one database holding models, tasks, runs,
 * samples, metrics, the request cache, arena battles and ratings, and bench
 * results (schema: store/schema.h). The store owns every SQL statement of
 * the project; the rest of Tianti calls the typed functions declared here
 * and in the concept headers this one includes:
 *
 *   store/runs.h     models, tasks and runs (what was evaluated, when)
 *   store/samples.h  per-document samples and aggregated metrics (writes)
 *   store/cache.h    the request cache
 *   store/battles.h  arena battles: votes, imports, rated battles, counts
 *   store/ratings.h  computed leaderboards
 *   store/bench.h    `tianti bench` measurements
 *   store/results.h  the reads behind `tianti results` and `tianti report`
 *   store/copy.h     whole stores between databases and backends; store info
 *   store/pending.h  the web arena's answered, unvoted battles (several servers)
 *
 * No database type appears in any of them: records are plain C structs.
 * Underneath, every function is written once over the driver layer of
 * store/driver.h (internal); SQLite is the first driver.
 *
 * Rules every caller relies on:
 *   - the schema is versioned and migrated forward at store_open(), each
 *     migration in its own transaction;
 *   - every multi-row write is one transaction (a failure leaves nothing
 *     behind); only bound parameters, never SQL built from values;
 *   - errors are TT_ERR_STORE with the database's message in err, plus the
 *     codes a function documents (TT_ERR_NOTFOUND, TT_ERR_USAGE);
 *   - one store handle may be used from several threads: single calls are
 *     serialised by the driver, and the store takes its own mutex around
 *     sequences that must not interleave (cache writes from runner workers).
 *     A transaction (store_begin) belongs to the connection, not to a
 *     thread: callers that share a handle serialise their transactions.
 *
 * Value conventions of the record structs: text is a NUL-terminated string,
 * NULL for SQL NULL; REAL columns are doubles, NaN for NULL; nullable
 * INTEGER columns are store_opt_int. Strings in structs a caller passes in
 * are borrowed for the call; strings in rows the store hands to a visitor
 * are borrowed for the visit (copy what you keep).
 */
#ifndef TIANTI_STORE_H
#define TIANTI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/types.h"

/* Opens (creating if needed) and migrates the database at path: an SQLite
 * file, or a PostgreSQL database when path is a postgresql:// or
 * postgres:// URI (libpq's syntax; docs/scale.md). Caller frees with
 * store_close(). */
int store_open(const char *path, store **out, char *err);
/* 1 when the store at path may hold data: an existing file, or any
 * PostgreSQL URI (whether the server answers is store_open's to say). */
int store_target_exists(const char *path);
/* path as it may be printed: a PostgreSQL URI's password masked (***). */
void store_target_display(const char *path, char *out, size_t n);
/* "sqlite" or "postgresql". */
const char *store_backend(const store *s);
void store_close(store *s);                 /* NULL is fine */
/* The schema version of the open database, -1 if it cannot be read. */
int store_schema_version(store *s);

/* A write transaction around several calls (BEGIN IMMEDIATE: the write
 * lock is taken now). Functions documented as "one transaction" open their
 * own and must not be called inside one. */
int store_begin(store *s, char *err);
int store_commit(store *s, char *err);
void store_rollback(store *s);              /* no-op outside a transaction */

/* For tests and diagnostics: *n = rows in table, which must be one of the
 * schema's tables (models, tasks, runs, samples, metrics, request_cache,
 * battles, ratings, bench_results, pending_battles, moderated_prompts, judged_answers,
 * judgments); any other name is TT_ERR_USAGE (a table
 * name cannot be a bound parameter, so it is checked against this list). */
int store_debug_count(store *s, const char *table, int64_t *n, char *err);

/* The concept headers: one per kind of record. */
#include "store/runs.h"
#include "store/samples.h"
#include "store/cache.h"
#include "store/battles.h"
#include "store/ratings.h"
#include "store/bench.h"
#include "store/results.h"
#include "store/copy.h"
#include "store/pending.h"
#include "store/judged.h"
#include "store/files.h"
#include "store/leases.h"

#endif
