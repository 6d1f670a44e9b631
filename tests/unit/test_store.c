/*
 * test_store.c — the store, through its public API only: fresh databases
 * get the whole schema, migrations are idempotent, a newer schema is
 * refused; models, tasks and runs round-trip; samples and metrics are
 * upserted (never duplicated) and read back in the documented orders; the
 * request cache round-trips and takes concurrent writers; a vote is stored
 * at most once; a battle's turns, language, categories and style come back,
 * flagged battles and conversations when asked; a pending battle is
 * rewritten after each turn; moderation refusals are logged; judged
 * answers and judgments are upserted and read back with filters; every multi-row write is rolled back whole on failure;
 * errors carry the database's message and the file name.
 *
 * Every test runs on both backends: SQLite files, then databases on the
 * PostgreSQL server of $TIANTI_TEST_PG (one new database per test). Where
 * a test checks the database's own words, each backend has its own.
 *
 * The one thing the API cannot do on purpose, write a schema version from
 * the future, is done by patching the version field of the database file's
 * header, or the version table on PostgreSQL (see
 * test_store_open_refuses_newer_schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/schema.h"
#include "core/util.h"

/* This cmocka has no assert_double_equal. */
#define assert_double_equal(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* The backend under test: every test runs twice, once per group in
 * main(): on SQLite files, then on PostgreSQL databases of the server
 * named by $TIANTI_TEST_PG (tests/tools/pg_cluster.sh; scripts/test.sh
 * always starts one). Without it the PostgreSQL group fails: the server
 * is something scripts/setup.sh --test installs. */
static int on_pg;
static int n_dbs;

/* Runs tests/tools/pg_cluster.sh with args; its first output line in out. */
static int pg_tool(const char *args, char *out, size_t n)
{
    char *cmd = tt_asprintf("bash '%s/tests/tools/pg_cluster.sh' %s", getenv("TIANTI_SOURCE_DIR"), args);
    FILE *f = popen(cmd, "r");
    free(cmd);
    if (!f) return -1;
    if (!out) {
        static char ignored[1024];
        out = ignored;
        n = sizeof ignored;
    }
    out[0] = 0;
    if (fgets(out, (int)n, f)) out[strcspn(out, "\n")] = 0;
    while (fgetc(f) != EOF) {}
    return pclose(f) == 0 && out[0] ? 0 : -1;
}

static char *temp_db(void)
{
    if (on_pg) {
        char name[64], uri[1024], args[96];
        snprintf(name, sizeof name, "tianti_store_%d_%d", (int)getpid(), ++n_dbs);
        snprintf(args, sizeof args, "newdb %s", name);
        assert_int_equal(pg_tool(args, uri, sizeof uri), 0);
        return tt_strdup(uri);
    }
    char tmpl[] = "/tmp/tianti-test-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    return tt_asprintf("%s.db", tmpl);
}

static void remove_db(char *path)
{
    if (on_pg) {
        /* the database's name is the URI's path: postgresql:///NAME?host=... */
        const char *name = path + strlen("postgresql:///");
        char args[96];
        snprintf(args, sizeof args, "dropdb %.*s", (int)strcspn(name, "?"), name);
        pg_tool(args, NULL, 0);
        free(path);
        return;
    }
    char *wal = tt_asprintf("%s-wal", path), *shm = tt_asprintf("%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    free(path);
}

/* The database's own words for a failure, per backend. */
static const char *words(const char *sqlite, const char *pg) { return on_pg ? pg : sqlite; }

/* The NOT NULL message for table.column, per backend. */
static const char *not_null(const char *table, const char *column)
{
    static char m[160];
    if (on_pg) snprintf(m, sizeof m, "null value in column \"%s\" of relation \"%s\"", column, table);
    else snprintf(m, sizeof m, "NOT NULL constraint failed: %s.%s", table, column);
    return m;
}

/* A fresh store in *path (caller: store_close, remove_db). */
static store *fresh(char **path)
{
    char err[TT_ERR_SIZE];
    store *s;
    *path = temp_db();
    assert_int_equal(store_open(*path, &s, err), TT_OK);
    return s;
}

static int64_t count_rows(store *s, const char *table)
{
    char err[TT_ERR_SIZE];
    int64_t n = -1;
    assert_int_equal(store_debug_count(s, table, &n, err), TT_OK);
    return n;
}

/* ---- opening and migrating ---------------------------------------------- */

static void test_store_open_migrates_fresh_db(void **state)
{
    (void)state;
    char *path = temp_db();
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    static const char *const tables[] = {"models", "tasks", "runs", "samples", "metrics", "request_cache",
                                         "battles", "ratings", "bench_results"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) assert_int_equal(count_rows(s, tables[i]), 0);
    store_close(s);
    /* Opening again runs no migration and keeps the version. */
    assert_int_equal(store_open(path, &s, err), TT_OK);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_close(s);
    remove_db(path);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    (void)state;
    char *path = temp_db();
    char err[TT_ERR_SIZE] = "";
    store *s = NULL;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    store_close(s);   /* the last connection: the WAL is checkpointed into the file */
    if (on_pg) {
        /* the libpq driver keeps the version in the table tianti_schema */
        char *cmd = tt_asprintf("psql -X -q '%s' -c 'UPDATE tianti_schema SET version = 999' >/dev/null", path);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        goto reopen;
    }
    /* SQLite's file format keeps PRAGMA user_version, the schema version of
     * the sqlite driver, as a big-endian 32-bit integer at byte 60 of the
     * header (https://www.sqlite.org/fileformat.html, section 1.3). */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    const unsigned char v999[4] = {0, 0, 0x03, 0xe7};
    assert_int_equal(fseek(f, 60, SEEK_SET), 0);
    assert_int_equal(fwrite(v999, 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
reopen:
    s = NULL;
    assert_int_equal(store_open(path, &s, err), TT_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err, "newer"));
    assert_non_null(strstr(err, "999"));
    remove_db(path);
}

static void test_store_open_reports_the_database_message(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE] = "";
    store *s = NULL;
    if (on_pg) {
        /* no server at that socket; the password never reaches a message */
        assert_int_equal(store_open("postgresql://u:SeCrEt@/x?host=/nonexistent-tianti-dir", &s, err), TT_ERR_STORE);
        assert_null(s);
        assert_non_null(strstr(err, "postgresql://u:***@/x?host=/nonexistent-tianti-dir"));
        assert_null(strstr(err, "SeCrEt"));
        assert_non_null(strstr(err, "cannot connect"));
        return;
    }
    assert_int_equal(store_open("/nonexistent-tianti-dir/x.db", &s, err), TT_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent-tianti-dir/x.db"));
    assert_non_null(strstr(err, "unable to open"));   /* SQLite's own words */
}

static void test_store_debug_count_refuses_other_names(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t n = 7;
    assert_int_equal(store_debug_count(s, "runs; DROP TABLE runs", &n, err), TT_ERR_USAGE);
    assert_int_equal(n, 7);
    assert_non_null(strstr(err, "not a table"));
    assert_int_equal(store_debug_count(s, "sqlite_master", &n, err), TT_ERR_USAGE);
    assert_int_equal(count_rows(s, "runs"), 0);
    store_close(s);
    remove_db(path);
}

/* ---- models, tasks, runs --------------------------------------------------- */

/* What a metrics visitor saw: a key per row, and the last row, copied (a
 * visited row's strings live only during the visit). */
typedef struct seen_metrics {
    int n;
    char keys[16][96];          /* "run model task filter metric" */
    store_metric_row last;      /* numbers only; its strings are below */
    char spec[32], engine[32], precision[32];
    int has_started_at, has_precision;
    int stop_after;             /* > 0: the visitor fails after this many */
} seen_metrics;

static int see_metric(void *ctx, const store_metric_row *m, char *err)
{
    seen_metrics *sm = ctx;
    assert_true(sm->n < 16);
    snprintf(sm->keys[sm->n], sizeof sm->keys[0], "%lld %s %s%s %s %s", (long long)m->run_id, m->model_name,
             m->is_group ? "[suite] " : "", m->task_name, m->filter, m->metric);
    sm->last = *m;
    sm->last.model_name = sm->last.model_spec = sm->last.engine = sm->last.precision = NULL;
    sm->last.task_name = sm->last.filter = sm->last.metric = sm->last.started_at = NULL;
    snprintf(sm->spec, sizeof sm->spec, "%s", m->model_spec);
    snprintf(sm->engine, sizeof sm->engine, "%s", m->engine);
    snprintf(sm->precision, sizeof sm->precision, "%s", m->precision ? m->precision : "");
    sm->has_precision = m->precision != NULL;
    sm->has_started_at = m->started_at != NULL;
    sm->n++;
    if (sm->stop_after && sm->n == sm->stop_after) return tt_fail(err, TT_ERR_INTERRUPTED, "enough");
    return TT_OK;
}

static void test_store_models_tasks_ensure(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t a, a2, b, t, t2, t3;
    assert_int_equal(store_model_ensure(s, "glm:m.gguf@q4_0", "m", "glm", "q4_0", "{}", &a, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:x", "x", "replay", NULL, NULL, &b, err), TT_OK);
    assert_int_not_equal(a, b);
    /* The same spec again: the same row, renamed. */
    assert_int_equal(store_model_ensure(s, "glm:m.gguf@q4_0", "renamed", "glm", "q4_0", NULL, &a2, err), TT_OK);
    assert_int_equal(a, a2);
    assert_int_equal(count_rows(s, "models"), 2);
    assert_int_equal(store_task_ensure(s, "t", "1", "abc", "{}", &t, err), TT_OK);
    assert_int_equal(store_task_ensure(s, "t", "1", "abc", "{\"other\":1}", &t2, err), TT_OK);
    assert_int_equal(t, t2);
    assert_int_equal(store_task_ensure(s, "t", "1", "changed", "{}", &t3, err), TT_OK);
    assert_int_not_equal(t, t3);
    assert_int_equal(count_rows(s, "tasks"), 2);
    /* The new name shows in the results; the first precision stays. */
    int64_t run;
    assert_int_equal(store_run_create(s, "h", "{}", 1, NULL, &run, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, a, "t", 0, NULL, "acc", 1, NAN, 1, 0, 1, err), TT_OK);
    seen_metrics sm = {0};
    assert_int_equal(store_report_metrics_each(s, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 1);
    assert_string_equal(sm.keys[0], "1 renamed t none acc");
    assert_string_equal(sm.precision, "q4_0");
    store_close(s);
    remove_db(path);
}

static void test_store_runs_roundtrip(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t r1, r2, found;
    assert_int_equal(store_run_find_resumable(s, "hash", &found), TT_ERR_NOTFOUND);
    assert_int_equal(store_run_create(s, "hash", "{\"a\":1}", UINT64_MAX, "abc123", &r1, err), TT_OK);
    assert_int_equal(store_run_create(s, "hash", "{\"a\":1}", 5, NULL, &r2, err), TT_OK);
    assert_true(r2 > r1);
    /* The newest unfinished run with the hash is the one to resume. */
    assert_int_equal(store_run_find_resumable(s, "hash", &found), TT_OK);
    assert_int_equal(found, r2);
    assert_int_equal(store_run_find_resumable(s, "other", &found), TT_ERR_NOTFOUND);

    store_run_row row;
    assert_int_equal(store_run_get(s, r1, &row, err), TT_OK);
    assert_int_equal(row.id, r1);
    assert_string_equal(row.status, "running");
    assert_string_equal(row.config_json, "{\"a\":1}");
    assert_string_equal(row.git_rev, "abc123");
    assert_string_equal(row.tool_version, TIANTI_VERSION);
    assert_non_null(row.started_at);
    assert_null(row.finished_at);
    assert_true(row.seed == UINT64_MAX);   /* the bit pattern survives the signed column */
    assert_int_equal(row.samples, 0);
    store_run_row_free(&row);

    assert_int_equal(store_run_set_status(s, r2, "finished", err), TT_OK);
    assert_int_equal(store_run_get(s, r2, &row, err), TT_OK);
    assert_string_equal(row.status, "finished");
    assert_non_null(row.finished_at);
    assert_null(row.git_rev);
    store_run_row_free(&row);
    assert_int_equal(store_run_find_resumable(s, "hash", &found), TT_OK);
    assert_int_equal(found, r1);
    assert_int_equal(store_run_set_status(s, r1, "interrupted", err), TT_OK);
    assert_int_equal(store_run_set_status(s, r1, "running", err), TT_OK);   /* resumed: no finish time */
    assert_int_equal(store_run_get(s, r1, &row, err), TT_OK);
    assert_null(row.finished_at);
    store_run_row_free(&row);

    /* Missing runs and refused values. */
    assert_int_equal(store_run_get(s, 99, &row, err), TT_ERR_NOTFOUND);
    assert_non_null(strstr(err, "run 99 is not in the store"));
    assert_null(row.status);
    assert_int_equal(store_run_set_status(s, 99, "finished", err), TT_ERR_NOTFOUND);
    assert_int_equal(store_run_set_status(s, r1, "bogus", err), TT_ERR_STORE);
    assert_non_null(strstr(err, words("CHECK constraint failed", "violates check constraint")));
    assert_non_null(strstr(err, path));
    store_close(s);
    remove_db(path);
}

/* ---- samples and metrics ------------------------------------------------------ */

static void test_store_sample_put_upserts(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t model, task, run;
    assert_int_equal(store_model_ensure(s, "replay:x.jsonl", "x", "replay", NULL, NULL, &model, err), TT_OK);
    assert_int_equal(store_task_ensure(s, "t", "1", "abc", "{}", &task, err), TT_OK);
    assert_int_equal(store_run_create(s, "hash", "{}", 7, NULL, &run, err), TT_OK);
    store_sample smp = {.run_id = run, .model_id = model, .task_id = task, .doc_id = 3, .prompt = "p",
                        .scores_json = "{\"acc\":1}", .prompt_tokens = -1, .completion_tokens = 2};
    assert_int_equal(store_sample_put(s, &smp, err), TT_OK);
    smp.scores_json = "{\"acc\":0}";
    assert_int_equal(store_sample_put(s, &smp, err), TT_OK);
    assert_int_equal(count_rows(s, "samples"), 1);
    smp.doc_id = 4;
    assert_int_equal(store_sample_put(s, &smp, err), TT_OK);
    store_run_row row;
    assert_int_equal(store_run_get(s, run, &row, err), TT_OK);
    assert_int_equal(row.samples, 2);
    store_run_row_free(&row);
    /* Foreign keys hold: a sample of an unknown run is refused. */
    smp.run_id = run + 100;
    assert_int_equal(store_sample_put(s, &smp, err), TT_ERR_STORE);
    assert_non_null(strstr(err, words("FOREIGN KEY constraint failed", "violates foreign key constraint")));
    store_close(s);
    remove_db(path);
}

static void test_store_metrics_roundtrip_and_orders(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t zed, amy, r1, r2, newest = -1;
    assert_int_equal(store_results_newest_run(s, &newest, err), TT_OK);
    assert_int_equal(newest, 0);
    assert_int_equal(store_model_ensure(s, "x:z", "zed", "x", NULL, NULL, &zed, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "x:a", "amy", "x", "f16", NULL, &amy, err), TT_OK);
    assert_int_equal(store_run_create(s, "h1", "{}", 1, NULL, &r1, err), TT_OK);
    assert_int_equal(store_run_create(s, "h2", "{}", 1, NULL, &r2, err), TT_OK);
    assert_int_equal(store_metric_put(s, r1, zed, "t", 0, NULL, "acc", 0.5, 0.1, 10, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, r1, amy, "t", 0, "strict", "em", 0.25, NAN, 10, -1, 0, err), TT_OK);
    assert_int_equal(store_metric_put(s, r1, amy, "S", 1, NULL, "acc", 0.75, 0.2, 20, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, r2, zed, "t", 0, NULL, "acc", NAN, NAN, 0, 0, 1, err), TT_OK);
    /* An upsert replaces the value instead of adding a row. */
    assert_int_equal(store_metric_put(s, r1, zed, "t", 0, "none", "acc", 0.625, 0.1, 12, 0, 1, err), TT_OK);
    assert_int_equal(count_rows(s, "metrics"), 4);
    assert_int_equal(store_results_newest_run(s, &newest, err), TT_OK);
    assert_int_equal(newest, r2);

    /* `tianti results` order: run, model name, suites first, task, filter, metric. */
    seen_metrics sm = {0};
    assert_int_equal(store_results_each(s, 0, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 4);
    assert_string_equal(sm.keys[0], "1 amy [suite] S none acc");
    assert_string_equal(sm.keys[1], "1 amy t strict em");
    assert_string_equal(sm.keys[2], "1 zed t none acc");
    assert_string_equal(sm.keys[3], "2 zed t none acc");
    /* NULLs come back as NaN and has = 0; the run's start is joined in. */
    assert_true(isnan(sm.last.value) && isnan(sm.last.stderr_value));

    /* --compare across runs: each (model, task) from its newest run; zed's
     * t from r2 only, amy's rows (r1 only) all stay. */
    memset(&sm, 0, sizeof sm);
    assert_int_equal(store_results_latest_each(s, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 3);
    assert_string_equal(sm.keys[0], "1 amy [suite] S none acc");
    assert_string_equal(sm.keys[1], "1 amy t strict em");
    assert_string_equal(sm.keys[2], "2 zed t none acc");

    memset(&sm, 0, sizeof sm);
    assert_int_equal(store_results_each(s, r1, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 3);
    assert_double_equal(sm.last.value, 0.625, 0);
    assert_int_equal(sm.last.n, 12);
    assert_true(sm.last.n_shot.has && sm.last.n_shot.v == 0);
    assert_true(sm.last.higher_is_better.has && sm.last.higher_is_better.v == 1);
    assert_string_equal(sm.spec, "x:z");
    assert_false(sm.has_precision);
    assert_true(sm.has_started_at);

    /* The report's order: newest run first, then spec, task, filter, metric. */
    memset(&sm, 0, sizeof sm);
    assert_int_equal(store_report_metrics_each(s, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 4);
    assert_string_equal(sm.keys[0], "2 zed t none acc");
    assert_string_equal(sm.keys[1], "1 amy [suite] S none acc");
    assert_string_equal(sm.keys[2], "1 amy t strict em");
    assert_string_equal(sm.keys[3], "1 zed t none acc");
    assert_false(sm.has_started_at);
    assert_string_equal(sm.engine, "x");

    /* A visitor's error stops the read and comes back as it was. */
    memset(&sm, 0, sizeof sm);
    sm.stop_after = 2;
    assert_int_equal(store_report_metrics_each(s, see_metric, &sm, err), TT_ERR_INTERRUPTED);
    assert_string_equal(err, "enough");
    assert_int_equal(sm.n, 2);

    /* Clearing removes one (run, model) only. */
    assert_int_equal(store_metrics_clear(s, r1, amy, err), TT_OK);
    assert_int_equal(count_rows(s, "metrics"), 2);
    memset(&sm, 0, sizeof sm);
    assert_int_equal(store_results_each(s, r1, see_metric, &sm, err), TT_OK);
    assert_int_equal(sm.n, 1);
    store_close(s);
    remove_db(path);
}

static void test_store_transaction_commit_and_rollback(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    int64_t m, run;
    assert_int_equal(store_model_ensure(s, "x:m", "m", "x", NULL, NULL, &m, err), TT_OK);
    assert_int_equal(store_run_create(s, "h", "{}", 1, NULL, &run, err), TT_OK);
    assert_int_equal(store_begin(s, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, m, "a", 0, NULL, "acc", 1, NAN, 1, 0, 1, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, m, "b", 0, NULL, "acc", 1, NAN, 1, 0, 1, err), TT_OK);
    store_rollback(s);
    assert_int_equal(count_rows(s, "metrics"), 0);
    store_rollback(s);   /* outside a transaction: nothing happens */
    assert_int_equal(store_begin(s, err), TT_OK);
    assert_int_equal(store_metric_put(s, run, m, "a", 0, NULL, "acc", 1, NAN, 1, 0, 1, err), TT_OK);
    /* A function with its own transaction refuses to nest in ours. */
    store_rating r = {"now", "bt", "all", "m", 1000, NAN, NAN, STORE_NO_INT, 1, STORE_NO_INT, STORE_NO_INT};
    assert_int_equal(store_ratings_put(s, &r, 1, err), TT_ERR_STORE);
    assert_non_null(strstr(err, "already open"));
    assert_int_equal(store_commit(s, err), TT_OK);
    assert_int_equal(count_rows(s, "metrics"), 1);
    assert_int_equal(count_rows(s, "ratings"), 0);
    assert_int_equal(store_commit(s, err), TT_ERR_STORE);   /* nothing to commit: the database says so */
    assert_non_null(strstr(err, "no transaction is active"));
    store_close(s);
    remove_db(path);
}

/* ---- request cache -------------------------------------------------------------- */

static void test_store_cache_roundtrip(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    char *got = NULL;
    assert_int_equal(store_cache_get(s, "k1", &got, err), TT_ERR_NOTFOUND);
    assert_null(got);
    assert_int_equal(store_cache_put(s, "k1", "spec", "generate", "{\"q\":1}", "{\"text\":\"a\"}", err), TT_OK);
    assert_int_equal(store_cache_get(s, "k1", &got, err), TT_OK);
    assert_string_equal(got, "{\"text\":\"a\"}");
    free(got);
    /* The same key again replaces the answer. */
    assert_int_equal(store_cache_put(s, "k1", "spec", "generate", "{\"q\":1}", "{\"text\":\"b\"}", err), TT_OK);
    assert_int_equal(store_cache_get(s, "k1", &got, err), TT_OK);
    assert_string_equal(got, "{\"text\":\"b\"}");
    free(got);
    /* Values with quotes and SQL syntax are bound, never spliced. */
    assert_int_equal(store_cache_put(s, "k'); DROP TABLE runs; --", "s", "generate", "{}", "{}", err), TT_OK);
    assert_int_equal(count_rows(s, "runs"), 0);
    assert_int_equal(count_rows(s, "request_cache"), 2);
    /* A missing column value is the database's error, not a crash. */
    assert_int_equal(store_cache_put(s, "k2", "s", "generate", NULL, "{}", err), TT_ERR_STORE);
    assert_non_null(strstr(err, not_null("request_cache", "request_json")));
    store_close(s);
    /* Each put was committed on its own: a new connection sees them. */
    assert_int_equal(store_open(path, &s, err), TT_OK);
    assert_int_equal(count_rows(s, "request_cache"), 2);
    store_close(s);
    remove_db(path);
}

typedef struct cache_worker {
    store *s;
    int id;
    int failures;
} cache_worker;

static void *cache_writes(void *arg)
{
    cache_worker *w = arg;
    char err[TT_ERR_SIZE];
    for (int i = 0; i < 50; i++) {
        char key[32];
        snprintf(key, sizeof key, "w%d-%d", w->id, i);
        if (store_cache_put(w->s, key, "spec", "generate", "{}", key, err) != TT_OK) w->failures++;
    }
    return NULL;
}

static void test_store_cache_concurrent_writers(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    cache_worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (cache_worker){s, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, cache_writes, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(count_rows(s, "request_cache"), 200);
    char err[TT_ERR_SIZE], *got = NULL;
    assert_int_equal(store_cache_get(s, "w3-49", &got, err), TT_OK);
    assert_string_equal(got, "w3-49");
    free(got);
    store_close(s);
    remove_db(path);
}

/* ---- battles ------------------------------------------------------------------ */

static void test_store_battle_vote_once(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_battle b = {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 10, .source = "human",
                      .judge = "voter", .prompt = "hi", .conversation_a = "[]", .conversation_b = "[]",
                      .voter_id = "voter", .session_token = "tok1", .extra_json = "{}"};
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(store_battle_put(s, &b, &id1, err), TT_OK);
    assert_true(id1 > 0);
    /* The second vote of the same battle writes nothing. */
    b.winner = "model_b";
    assert_int_equal(store_battle_put(s, &b, &id2, err), TT_ERR_USAGE);
    assert_string_equal(err, "battle already stored");
    assert_int_equal(id2, 0);
    assert_int_equal(count_rows(s, "battles"), 1);
    /* Another token is another battle; battles without a token never clash. */
    b.session_token = "tok2";
    assert_int_equal(store_battle_put(s, &b, &id2, err), TT_OK);
    assert_true(id2 > id1);
    b.session_token = NULL;
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_OK);
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_OK);
    store_battle_tally t;
    assert_int_equal(store_battles_tally(s, &t, err), TT_OK);
    assert_int_equal(t.total, 4);
    assert_int_equal(t.votes, 2);
    /* A real failure is not taken for a second vote. */
    b.winner = "nobody";
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_ERR_STORE);
    assert_non_null(strstr(err, words("CHECK constraint failed", "violates check constraint")));
    /* Inside a caller's transaction the put is rolled back with it. */
    b.winner = "tie";
    assert_int_equal(store_begin(s, err), TT_OK);
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_OK);
    store_rollback(s);
    assert_int_equal(count_rows(s, "battles"), 4);
    store_close(s);
    remove_db(path);
}

/* A generated batch for store_battles_put_each: battle i is p<i> vs q,
 * except that battle `broken` (if < n) lacks model_b. */
typedef struct gen_battles {
    size_t broken;
    char a[32];
} gen_battles;

static void gen_battle(void *ctx, size_t i, store_battle *out)
{
    gen_battles *g = ctx;
    snprintf(g->a, sizeof g->a, "p%zu", i);   /* valid until the next call, as promised */
    *out = (store_battle){.model_a = g->a, .model_b = i == g->broken ? NULL : "q", .winner = "model_a",
                          .tstamp = (double)i, .source = "judge:x"};
}

static void test_store_battles_put_is_all_or_nothing(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_battle one = {.model_a = "a", .model_b = "b", .winner = "tie", .tstamp = 1, .session_token = "t"};
    assert_int_equal(store_battle_put(s, &one, NULL, err), TT_OK);
    /* A token already stored refuses the whole batch. */
    store_battle batch[] = {
        {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 2},
        {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 3, .session_token = "t"},
    };
    assert_int_equal(store_battles_put(s, batch, 2, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "battle 1 already stored"));
    assert_int_equal(count_rows(s, "battles"), 1);
    /* So does a token repeated inside the batch. */
    batch[0].session_token = "u";
    batch[1].session_token = "u";
    assert_int_equal(store_battles_put(s, batch, 2, err), TT_ERR_USAGE);
    assert_int_equal(count_rows(s, "battles"), 1);
    /* And any failing row, with the database's message. */
    batch[1].session_token = NULL;
    batch[1].model_b = NULL;
    assert_int_equal(store_battles_put(s, batch, 2, err), TT_ERR_STORE);
    assert_non_null(strstr(err, "battle 1"));
    assert_non_null(strstr(err, not_null("battles", "model_b")));
    assert_int_equal(count_rows(s, "battles"), 1);
    /* The batch goes in whole once it is fine; an empty batch is fine too. */
    batch[1].model_b = "c";
    assert_int_equal(store_battles_put(s, batch, 2, err), TT_OK);
    assert_int_equal(store_battles_put(s, NULL, 0, err), TT_OK);
    assert_int_equal(count_rows(s, "battles"), 3);
    /* Generated batches: the last row failing takes the 999 before it along. */
    gen_battles g = {.broken = 999};
    assert_int_equal(store_battles_put_each(s, 1000, gen_battle, &g, err), TT_ERR_STORE);
    assert_non_null(strstr(err, "battle 999"));
    assert_int_equal(count_rows(s, "battles"), 3);
    g.broken = (size_t)-1;
    assert_int_equal(store_battles_put_each(s, 1000, gen_battle, &g, err), TT_OK);
    assert_int_equal(count_rows(s, "battles"), 1003);
    store_close(s);
    remove_db(path);
}

typedef struct seen_battles {
    int n;
    char line[8][64];
} seen_battles;

static int see_battle(void *ctx, const store_rated_battle *b, char *err)
{
    (void)err;
    seen_battles *sb = ctx;
    assert_true(sb->n < 8);
    snprintf(sb->line[sb->n++], sizeof sb->line[0], "%s-%s %s %g %s %s", b->model_a, b->model_b, b->winner,
             b->tstamp, b->source, b->judge ? b->judge : "-");
    return TT_OK;
}

static int see_pair(void *ctx, const store_pair_count *c, char *err)
{
    (void)err;
    int64_t *counts = ctx;   /* [ab, ba, other] */
    if (!strcmp(c->model_a, "a") && !strcmp(c->model_b, "b")) counts[0] += c->n;
    else if (!strcmp(c->model_a, "b") && !strcmp(c->model_b, "a")) counts[1] += c->n;
    else counts[2] += c->n;
    return TT_OK;
}

static void test_store_battles_reads(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    const store_battle v[] = {
        {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 3, .source = "human", .judge = "u1"},
        {.model_a = "b", .model_b = "a", .winner = "tie", .tstamp = 1, .source = "judge:glm"},
        {.model_a = "a", .model_b = "b", .winner = "model_b", .tstamp = 1},             /* import */
        {.model_a = "a", .model_b = "b", .winner = NULL, .tstamp = 0, .source = "human"},  /* unvoted */
        {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 0, .source = "human",
         .flags = "identity_leak"},
        {.model_a = "a", .model_b = "c", .winner = "model_a", .tstamp = 2, .source = "JUDGE:x"},
    };
    assert_int_equal(store_battles_put(s, v, sizeof v / sizeof v[0], err), TT_OK);

    seen_battles sb = {0};
    assert_int_equal(store_battles_each(s, STORE_BATTLES_ALL, see_battle, &sb, err), TT_OK);
    assert_int_equal(sb.n, 4);   /* not the unvoted, not the flagged */
    assert_string_equal(sb.line[0], "b-a tie 1 judge:glm -");        /* (tstamp, id) order */
    assert_string_equal(sb.line[1], "a-b model_b 1 import -");
    assert_string_equal(sb.line[2], "a-c model_a 2 JUDGE:x -");
    assert_string_equal(sb.line[3], "a-b model_a 3 human u1");
    memset(&sb, 0, sizeof sb);
    assert_int_equal(store_battles_each(s, STORE_BATTLES_HUMAN, see_battle, &sb, err), TT_OK);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.line[0], "a-b model_a 3 human u1");
    memset(&sb, 0, sizeof sb);
    assert_int_equal(store_battles_each(s, STORE_BATTLES_JUDGE, see_battle, &sb, err), TT_OK);
    assert_int_equal(sb.n, 1);   /* 'judge:' exactly, as arena_source_match() */
    assert_string_equal(sb.line[0], "b-a tie 1 judge:glm -");
    assert_int_equal(store_battles_each(s, (store_battle_source)7, see_battle, &sb, err), TT_ERR_USAGE);

    /* Counts: every decided battle, flagged or not, per ordered pair. */
    int64_t counts[3] = {0};
    assert_int_equal(store_battle_counts(s, see_pair, counts, err), TT_OK);
    assert_int_equal(counts[0], 3);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 1);

    store_battle_tally t;
    assert_int_equal(store_battles_tally(s, &t, err), TT_OK);
    assert_int_equal(t.total, 6);
    assert_int_equal(t.votes, 0);
    assert_int_equal(t.flagged, 1);
    assert_int_equal(t.unvoted, 1);
    store_close(s);
    remove_db(path);
}

/* ---- ratings ------------------------------------------------------------------ */

typedef struct seen_ratings {
    int n;
    store_rating r[4];
    char model[4][16], computed_at[4][32], source[4][16];
} seen_ratings;

static int see_rating(void *ctx, const store_rating *r, char *err)
{
    (void)err;
    seen_ratings *sr = ctx;
    assert_true(sr->n < 4);
    sr->r[sr->n] = *r;   /* numbers; the strings are copied below */
    sr->r[sr->n].computed_at = sr->r[sr->n].method = sr->r[sr->n].source = sr->r[sr->n].model = NULL;
    snprintf(sr->model[sr->n], sizeof sr->model[0], "%s", r->model);
    snprintf(sr->computed_at[sr->n], sizeof sr->computed_at[0], "%s", r->computed_at);
    snprintf(sr->source[sr->n], sizeof sr->source[0], "%s", r->source);
    sr->n++;
    return TT_OK;
}

/* Migration 3: a battle's turns, language, categories and style counts;
 * flagged battles and conversations only when asked for; a judge's label
 * added afterwards. */
typedef struct scan_seen {
    int n;
    char flags[4][32];
    int64_t turns[4];
    char lang[4][8], cats[4][32], conv[4][64], voter[4][16];
    int64_t id[4];
} scan_seen;

static int scan_one(void *ctx, const store_rated_battle *b, char *err)
{
    (void)err;
    scan_seen *x = ctx;
    if (x->n >= 4) return TT_OK;
    int i = x->n++;
    snprintf(x->flags[i], sizeof x->flags[i], "%s", b->flags ? b->flags : "-");
    x->turns[i] = b->turns.has ? b->turns.v : -1;
    snprintf(x->lang[i], sizeof x->lang[i], "%s", b->language ? b->language : "-");
    snprintf(x->cats[i], sizeof x->cats[i], "%s", b->categories ? b->categories : "-");
    snprintf(x->conv[i], sizeof x->conv[i], "%s", b->conversation_a ? b->conversation_a : "-");
    snprintf(x->voter[i], sizeof x->voter[i], "%s", b->voter_id ? b->voter_id : "-");
    x->id[i] = b->id;
    return TT_OK;
}

static void test_store_battle_facts(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_battle b = {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 1, .source = "human",
                      .conversation_a = "[{\"role\":\"user\",\"content\":\"hi\"}]", .conversation_b = "[]",
                      .voter_id = "v-1", .turns = STORE_INT(3), .language = "zh", .categories = "code,multiturn",
                      .style_json = "{\"sum_assistant_a_tokens\":5}"};
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_OK);
    b.flags = "identity_leak";
    b.tstamp = 2;
    b.turns = STORE_NO_INT;
    b.language = NULL;
    assert_int_equal(store_battle_put(s, &b, NULL, err), TT_OK);
    scan_seen x;
    memset(&x, 0, sizeof x);
    assert_int_equal(store_battles_scan(s, STORE_BATTLES_HUMAN, 0, scan_one, &x, err), TT_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.turns[0], 3);
    assert_string_equal(x.lang[0], "zh");
    assert_string_equal(x.cats[0], "code,multiturn");
    assert_string_equal(x.conv[0], "-");       /* no text unless asked */
    memset(&x, 0, sizeof x);
    assert_int_equal(store_battles_scan(s, STORE_BATTLES_ALL, STORE_SCAN_FLAGGED | STORE_SCAN_TEXT, scan_one, &x, err),
                     TT_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.flags[1], "identity_leak");
    assert_int_equal(x.turns[1], -1);
    assert_string_equal(x.conv[0], "[{\"role\":\"user\",\"content\":\"hi\"}]");
    assert_string_equal(x.voter[0], "v-1");
    assert_int_equal(store_battle_set_categories(s, x.id[0], "code,multiturn,hard", err), TT_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_battles_scan(s, STORE_BATTLES_ALL, 0, scan_one, &x, err), TT_OK);
    assert_string_equal(x.cats[0], "code,multiturn,hard");
    store_close(s);
    remove_db(path);
}

/* A pending battle is written again after every turn; moderation refusals
 * are logged. */
static void test_store_pending_turns_and_moderation(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_pending_battle p = {.id = "b1", .token_hash = "h", .model_a = "x", .model_b = "y", .prompt = "q1",
                              .answer_a = "a1", .answer_b = NULL, .latency_a = 0.5, .latency_b = NAN,
                              .voter_id = "v", .tstamp = 10, .turns = 1};
    assert_int_equal(store_pending_put(s, &p, err), TT_OK);
    p.answer_b = "b2";
    p.conversation_a = "[1]";
    p.conversation_b = "[2]";
    p.turns = 2;
    p.tstamp = 20;
    assert_int_equal(store_pending_put(s, &p, err), TT_OK);
    assert_int_equal(count_rows(s, "pending_battles"), 1);
    store_pending_battle back;
    assert_int_equal(store_pending_get(s, "b1", &back, err), TT_OK);
    assert_int_equal(back.turns, 2);
    assert_string_equal(back.conversation_a, "[1]");
    assert_string_equal(back.conversation_b, "[2]");
    assert_string_equal(back.answer_b, "b2");
    assert_true(back.tstamp == 20);
    assert_string_equal(back.token_hash, "h");
    store_pending_free(&back);
    store_moderation m = {.tstamp = 5, .voter_id = "v", .battle_id = NULL, .turn = 1, .prompt = "bad \xE5\xA4\xA9",
                          .moderator = "openai:omni-moderation-latest", .categories_json = "{\"violence\":true}"};
    assert_int_equal(store_moderation_put(s, &m, err), TT_OK);
    m.battle_id = "b1";
    m.turn = 2;
    assert_int_equal(store_moderation_put(s, &m, err), TT_OK);
    assert_int_equal(count_rows(s, "moderated_prompts"), 2);
    m.prompt = NULL;
    assert_int_equal(store_moderation_put(s, &m, err), TT_ERR_STORE);
    assert_non_null(strstr(err, not_null("moderated_prompts", "prompt")));
    store_close(s);
    remove_db(path);
}

/* Judged benchmarks: answers and judgments are upserted on their keys and
 * read back in order, with filters. */
typedef struct judged_seen {
    int n;
    char what[8][96];
} judged_seen;

static int seen_answer(void *ctx, const store_judged_answer *a, char *err)
{
    (void)err;
    judged_seen *x = ctx;
    if (x->n < 8)
        snprintf(x->what[x->n++], 96, "%s/%s/%d/%s/%s/%lld", a->model, a->question_id, a->turn,
                 a->answer ? a->answer : "-", a->error ? a->error : "-", a->tokens.has ? (long long)a->tokens.v : -1LL);
    return TT_OK;
}

static int seen_judgment(void *ctx, const store_judgment *j, char *err)
{
    (void)err;
    judged_seen *x = ctx;
    if (x->n < 8)
        snprintf(x->what[x->n++], 96, "%s/%s/%s/%s/%d/%g/%s/%s", j->mode, j->model, j->model_b, j->question_id,
                 j->turn, isnan(j->score) ? -99.0 : j->score, j->winner ? j->winner : "-", j->output_json);
    return TT_OK;
}

static int seen_set(void *ctx, const store_judged_set *set, char *err)
{
    (void)err;
    judged_seen *x = ctx;
    if (x->n < 8) snprintf(x->what[x->n++], 96, "%s/%s/%s/%lld", set->bench, set->judge, set->mode, (long long)set->n);
    return TT_OK;
}

static void test_store_judged_roundtrip(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_judged_answer a[3] = {
        {.bench = "mt_bench", .model = "m2", .model_spec = "replay:x", .question_id = "81", .category = "writing",
         .turn = 1, .answer = "one", .tokens = STORE_INT(7), .latency_s = 0.25, .created_at = "t"},
        {.bench = "mt_bench", .model = "m2", .question_id = "81", .category = "writing", .turn = 2, .answer = NULL,
         .error = "failed", .tokens = STORE_NO_INT, .latency_s = NAN, .created_at = "t"},
        {.bench = "mt_bench", .model = "m1", .question_id = "81", .category = "writing", .turn = 1, .answer = "uno",
         .tokens = STORE_NO_INT, .latency_s = NAN, .created_at = "t"},
    };
    assert_int_equal(store_judged_answers_put(s, a, 3, err), TT_OK);
    a[1].answer = "two";
    a[1].error = NULL;
    assert_int_equal(store_judged_answers_put(s, &a[1], 1, err), TT_OK);   /* replaces */
    assert_int_equal(count_rows(s, "judged_answers"), 3);
    judged_seen x;
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judged_answers_each(s, "mt_bench", NULL, seen_answer, &x, err), TT_OK);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.what[0], "m1/81/1/uno/-/-1");
    assert_string_equal(x.what[1], "m2/81/1/one/-/7");
    assert_string_equal(x.what[2], "m2/81/2/two/-/-1");
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judged_answers_each(s, "mt_bench", "m1", seen_answer, &x, err), TT_OK);
    assert_int_equal(x.n, 1);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judged_answers_each(s, "arena-hard-v0.1", NULL, seen_answer, &x, err), TT_OK);
    assert_int_equal(x.n, 0);

    store_judgment j[3] = {
        {.bench = "mt_bench", .judge = "replay:j", .mode = "single", .prompt_name = "single-v1", .question_id = "81",
         .category = "writing", .turn = 1, .model = "m1", .score = 8, .output_json = "[\"r1\"]", .created_at = "t"},
        {.bench = "mt_bench", .judge = "replay:j", .mode = "single", .prompt_name = "single-v1", .question_id = "81",
         .category = "writing", .turn = 2, .model = "m1", .score = -1, .output_json = "[\"r2\"]", .created_at = "t"},
        {.bench = "mt_bench", .judge = "replay:j", .mode = "pair", .prompt_name = "pair-v2", .question_id = "81",
         .category = "writing", .turn = 1, .model = "m1", .model_b = "m2", .score = NAN, .g1 = "model_1",
         .g2 = "model_2", .winner = "tie", .output_json = "[\"p\"]", .created_at = "t"},
    };
    assert_int_equal(store_judgments_put(s, j, 3, err), TT_OK);
    j[1].score = 6.5;
    assert_int_equal(store_judgments_put(s, &j[1], 1, err), TT_OK);
    assert_int_equal(count_rows(s, "judgments"), 3);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judgments_each(s, "mt_bench", "replay:j", "single", seen_judgment, &x, err), TT_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.what[0], "single/m1//81/1/8/-/[\"r1\"]");
    assert_string_equal(x.what[1], "single/m1//81/2/6.5/-/[\"r2\"]");
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judgments_each(s, "mt_bench", NULL, NULL, seen_judgment, &x, err), TT_OK);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.what[0], "pair/m1/m2/81/1/-99/tie/[\"p\"]");
    memset(&x, 0, sizeof x);
    assert_int_equal(store_judged_sets(s, seen_set, &x, err), TT_OK);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.what[0], "mt_bench/replay:j/pair/1");
    assert_string_equal(x.what[1], "mt_bench/replay:j/single/2");
    store_close(s);
    remove_db(path);
}

static void test_store_ratings_roundtrip(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    seen_ratings sr = {0};
    assert_int_equal(store_ratings_latest(s, "bt", see_rating, &sr, err), TT_OK);
    assert_int_equal(sr.n, 0);
    const store_rating v[] = {
        {"2026-01-01T00:00:00Z", "bt", "all", "old", 1500, NAN, NAN, STORE_INT(1), 5, STORE_NO_INT, STORE_NO_INT},
        {"2026-01-02T00:00:00Z", "bt", "human", "h", 7, NAN, NAN, STORE_INT(1), 1, STORE_NO_INT, STORE_NO_INT},
        {"2026-01-02T00:00:00Z", "bt", "all", "low", 990, 950, 1030, STORE_INT(2), 40, STORE_INT(100),
         STORE_INT(42)},
        {"2026-01-02T00:00:00Z", "bt", "all", "high", 1010, 970, 1050, STORE_INT(1), 40, STORE_INT(100),
         STORE_INT(42)},
        {"2026-01-03T00:00:00Z", "elo", "all", "e", 1000, NAN, NAN, STORE_NO_INT, 3, STORE_NO_INT, STORE_NO_INT},
    };
    assert_int_equal(store_ratings_put(s, v, 5, err), TT_OK);
    /* Newest computation; at one time 'all' before other sources; by rating. */
    assert_int_equal(store_ratings_latest(s, "bt", see_rating, &sr, err), TT_OK);
    assert_int_equal(sr.n, 2);
    assert_string_equal(sr.model[0], "high");
    assert_string_equal(sr.model[1], "low");
    assert_string_equal(sr.computed_at[0], "2026-01-02T00:00:00Z");
    assert_string_equal(sr.source[0], "all");
    assert_double_equal(sr.r[0].rating, 1010, 0);
    assert_double_equal(sr.r[0].lower, 970, 0);
    assert_double_equal(sr.r[0].upper, 1050, 0);
    assert_true(sr.r[0].rank.has && sr.r[0].rank.v == 1);
    assert_int_equal(sr.r[0].battles, 40);
    assert_true(sr.r[0].bootstrap_rounds.has && sr.r[0].bootstrap_rounds.v == 100);
    assert_true(sr.r[0].seed.has && sr.r[0].seed.v == 42);
    memset(&sr, 0, sizeof sr);
    assert_int_equal(store_ratings_latest(s, "elo", see_rating, &sr, err), TT_OK);
    assert_int_equal(sr.n, 1);
    assert_true(isnan(sr.r[0].lower) && isnan(sr.r[0].upper));
    assert_false(sr.r[0].rank.has);
    assert_false(sr.r[0].seed.has);

    /* A failing row leaves none of its computation behind. */
    const store_rating bad[] = {
        {"2026-02-01T00:00:00Z", "bt", "all", "fine", 1000, NAN, NAN, STORE_INT(1), 1, STORE_NO_INT, STORE_NO_INT},
        {"2026-02-01T00:00:00Z", "bt", "all", NULL, 1000, NAN, NAN, STORE_INT(1), 1, STORE_NO_INT, STORE_NO_INT},
    };
    assert_int_equal(store_ratings_put(s, bad, 2, err), TT_ERR_STORE);
    assert_non_null(strstr(err, not_null("ratings", "model")));
    assert_non_null(strstr(err, path));
    assert_int_equal(count_rows(s, "ratings"), 5);
    memset(&sr, 0, sizeof sr);
    assert_int_equal(store_ratings_latest(s, "bt", see_rating, &sr, err), TT_OK);
    assert_string_equal(sr.computed_at[0], "2026-01-02T00:00:00Z");
    store_close(s);
    remove_db(path);
}

/* ---- bench ---------------------------------------------------------------------- */

typedef struct seen_bench {
    int n;
    char test[4][16];
    int64_t threads_sum;
} seen_bench;

static int see_bench(void *ctx, const store_bench_row *r, char *err)
{
    (void)err;
    seen_bench *sb = ctx;
    assert_true(sb->n < 4);
    snprintf(sb->test[sb->n++], sizeof sb->test[0], "%s", r->test);
    if (r->threads.has) sb->threads_sum += r->threads.v;
    if (!strcmp(r->test, "tg128")) {
        assert_string_equal(r->model_spec, "glm:m@q4_0");
        assert_string_equal(r->model_name, "m");
        assert_string_equal(r->precision, "q4_0");
        assert_string_equal(r->unit, "tokens/s");
        assert_string_equal(r->machine_json, "{\"cores\":4}");
        assert_true(r->n_tokens.has && r->n_tokens.v == 128);
        assert_true(r->peak_rss_bytes.has && r->peak_rss_bytes.v == (int64_t)5 << 30);
        assert_false(r->gpu_bytes.has);
        assert_double_equal(r->mean, 12.5, 0);
        assert_true(isnan(r->stddev));
    }
    return TT_OK;
}

static void test_store_bench_roundtrip(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    const store_bench_row v[] = {
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "glm:m@q4_0", .model_name = "m", .precision = "q4_0",
         .test = "tg128", .n_tokens = STORE_INT(128), .repetitions = STORE_INT(3), .mean = 12.5, .stddev = NAN,
         .unit = "tokens/s", .peak_rss_bytes = STORE_INT((int64_t)5 << 30), .threads = STORE_INT(4),
         .machine_json = "{\"cores\":4}"},
        {.created_at = "2026-01-01T00:00:00Z", .model_spec = "glm:m@q4_0", .model_name = "m", .precision = "q4_0",
         .test = "load", .mean = 0.5, .stddev = NAN, .unit = "s", .threads = STORE_INT(4)},
        {.created_at = "2026-01-02T00:00:00Z", .model_spec = "x:y", .model_name = "y", .test = "ttft", .mean = 0.1,
         .stddev = 0.01, .unit = "s"},
    };
    assert_int_equal(store_bench_put(s, v, 3, err), TT_OK);
    seen_bench sb = {0};
    assert_int_equal(store_bench_each(s, see_bench, &sb, err), TT_OK);
    assert_int_equal(sb.n, 3);
    assert_string_equal(sb.test[0], "ttft");    /* newest first, then the later row */
    assert_string_equal(sb.test[1], "load");
    assert_string_equal(sb.test[2], "tg128");
    assert_int_equal(sb.threads_sum, 8);

    /* A failing row leaves none of the batch behind. */
    store_bench_row bad[2] = {v[0], v[1]};
    bad[1].unit = NULL;
    assert_int_equal(store_bench_put(s, bad, 2, err), TT_ERR_STORE);
    assert_non_null(strstr(err, "'load' for 'glm:m@q4_0'"));
    assert_non_null(strstr(err, not_null("bench_results", "unit")));
    assert_int_equal(count_rows(s, "bench_results"), 3);
    store_close(s);
    remove_db(path);
}

/* ---- file hashes and run leases (migration 3) ----------------------------------- */

static void test_store_file_hashes(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE], hex[65];
    store_file_stat st = {1234, 1700000000123456789LL, 1700000000223456789LL, 42, 2049};
    const char *h1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const char *h2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    assert_int_equal(store_file_hash_get(s, "/m/w.gguf", &st, hex, err), TT_ERR_NOTFOUND);
    assert_int_equal(store_file_hash_put(s, "/m/w.gguf", &st, h1, err), TT_OK);
    assert_int_equal(store_file_hash_get(s, "/m/w.gguf", &st, hex, err), TT_OK);
    assert_string_equal(hex, h1);
    /* any change of what stat says is a miss: size, mtime, ctime, inode, device */
    for (int i = 0; i < 5; i++) {
        store_file_stat c = st;
        int64_t *f[] = {&c.size, &c.mtime_ns, &c.ctime_ns, &c.inode, &c.device};
        (*f[i])++;
        assert_int_equal(store_file_hash_get(s, "/m/w.gguf", &c, hex, err), TT_ERR_NOTFOUND);
    }
    /* hashed again: the row is replaced */
    store_file_stat c = st;
    c.ctime_ns += 1000;
    assert_int_equal(store_file_hash_put(s, "/m/w.gguf", &c, h2, err), TT_OK);
    assert_int_equal(store_file_hash_get(s, "/m/w.gguf", &c, hex, err), TT_OK);
    assert_string_equal(hex, h2);
    assert_int_equal(store_file_hash_get(s, "/m/w.gguf", &st, hex, err), TT_ERR_NOTFOUND);
    assert_int_equal(count_rows(s, "file_hashes"), 1);
    store_close(s);
    remove_db(path);
}

static void test_store_run_leases(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    char err[TT_ERR_SIZE];
    store_lease a = {.holder = "holder-a", .host = "host-1", .pid = 100};
    store_lease b = {.holder = "holder-b", .host = "host-2", .pid = 200};
    store_lease prev, cur;
    double now = tt_wall_s();
    /* free: taken */
    assert_int_equal(store_lease_acquire(s, "id1", &a, now - 60, NULL, &prev, err), TT_OK);
    assert_null(prev.holder);
    /* mine again: kept */
    assert_int_equal(store_lease_acquire(s, "id1", &a, now - 60, NULL, &prev, err), TT_OK);
    assert_null(prev.holder);
    /* live in another holder: refused, naming it */
    assert_int_equal(store_lease_acquire(s, "id1", &b, now - 60, NULL, &prev, err), TT_ERR_USAGE);
    assert_string_equal(prev.holder, "holder-a");
    assert_int_equal(prev.pid, 100);
    assert_non_null(strstr(err, "pid 100 on 'host-1'"));
    store_lease_clear(&prev);
    /* another identity is another lease */
    assert_int_equal(store_lease_acquire(s, "id2", &b, now - 60, NULL, &prev, err), TT_OK);
    /* renew records the run */
    assert_int_equal(store_lease_renew(s, "id1", "holder-a", 7, err), TT_OK);
    assert_int_equal(store_lease_get(s, "id1", &cur, err), TT_OK);
    assert_int_equal(cur.run_id, 7);
    assert_true(cur.heartbeat >= now - 1);
    store_lease_clear(&cur);
    /* a holder found dead is taken over */
    assert_int_equal(store_lease_acquire(s, "id1", &b, now - 60, "holder-a", &prev, err), TT_OK);
    assert_string_equal(prev.holder, "holder-a");
    store_lease_clear(&prev);
    /* the old holder's renew now says it lost the lease */
    assert_int_equal(store_lease_renew(s, "id1", "holder-a", 0, err), TT_ERR_NOTFOUND);
    /* a stale heartbeat is taken over (stale_before in the future: every heartbeat is old) */
    assert_int_equal(store_lease_acquire(s, "id1", &a, tt_wall_s() + 1, NULL, &prev, err), TT_OK);
    assert_string_equal(prev.holder, "holder-b");
    store_lease_clear(&prev);
    /* release only by the holder */
    assert_int_equal(store_lease_release(s, "id1", "holder-b", err), TT_OK);
    assert_int_equal(store_lease_get(s, "id1", &cur, err), TT_OK);
    store_lease_clear(&cur);
    assert_int_equal(store_lease_release(s, "id1", "holder-a", err), TT_OK);
    assert_int_equal(store_lease_get(s, "id1", &cur, err), TT_ERR_NOTFOUND);
    assert_int_equal(count_rows(s, "run_leases"), 1);
    store_close(s);
    remove_db(path);
}

/* Two holders racing for one lease through two connections: one wins. */
typedef struct lease_racer {
    const char *path;
    const char *holder;
    int won;
    int failed;
} lease_racer;

static void *race_lease(void *arg)
{
    lease_racer *r = arg;
    char err[TT_ERR_SIZE];
    store *s;
    if (store_open(r->path, &s, err) != TT_OK) {
        r->failed = 1;
        return NULL;
    }
    store_lease me = {.holder = (char *)r->holder, .host = "h", .pid = 1};
    store_lease prev;
    int rc = store_lease_acquire(s, "raced", &me, tt_wall_s() - 60, NULL, &prev, err);
    if (rc == TT_OK) r->won = 1;
    else if (rc != TT_ERR_USAGE) r->failed = 1;
    store_lease_clear(&prev);
    store_close(s);
    return NULL;
}

static void test_store_run_lease_race(void **state)
{
    (void)state;
    char *path;
    store *s = fresh(&path);
    enum { N = 4 };
    lease_racer r[N];
    pthread_t th[N];
    static const char *const names[N] = {"r0", "r1", "r2", "r3"};
    for (int i = 0; i < N; i++) {
        r[i] = (lease_racer){path, names[i], 0, 0};
        pthread_create(&th[i], NULL, race_lease, &r[i]);
    }
    int won = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failed, 0);
        won += r[i].won;
    }
    assert_int_equal(won, 1);
    store_close(s);
    remove_db(path);
}

/* Group setup of the PostgreSQL pass: fails (and so fails the program)
 * without a server. */
static int use_pg(void **state)
{
    (void)state;
    if (!getenv("TIANTI_TEST_PG") || !getenv("TIANTI_TEST_PG")[0]) {
        fprintf(stderr, "TIANTI_TEST_PG is not set: the store tests need a PostgreSQL server; start one with\n"
                        "    eval \"$(tests/tools/pg_cluster.sh start)\"\n(scripts/test.sh does)\n");
        return -1;
    }
    on_pg = 1;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_open_migrates_fresh_db),
        cmocka_unit_test(test_store_open_refuses_newer_schema),
        cmocka_unit_test(test_store_open_reports_the_database_message),
        cmocka_unit_test(test_store_debug_count_refuses_other_names),
        cmocka_unit_test(test_store_models_tasks_ensure),
        cmocka_unit_test(test_store_runs_roundtrip),
        cmocka_unit_test(test_store_sample_put_upserts),
        cmocka_unit_test(test_store_metrics_roundtrip_and_orders),
        cmocka_unit_test(test_store_transaction_commit_and_rollback),
        cmocka_unit_test(test_store_cache_roundtrip),
        cmocka_unit_test(test_store_cache_concurrent_writers),
        cmocka_unit_test(test_store_battle_vote_once),
        cmocka_unit_test(test_store_battles_put_is_all_or_nothing),
        cmocka_unit_test(test_store_battles_reads),
        cmocka_unit_test(test_store_battle_facts),
        cmocka_unit_test(test_store_pending_turns_and_moderation),
        cmocka_unit_test(test_store_judged_roundtrip),
        cmocka_unit_test(test_store_ratings_roundtrip),
        cmocka_unit_test(test_store_bench_roundtrip),
        cmocka_unit_test(test_store_file_hashes),
        cmocka_unit_test(test_store_run_leases),
        cmocka_unit_test(test_store_run_lease_race),
    };
    int failed = cmocka_run_group_tests_name("store on SQLite", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store on PostgreSQL", tests, use_pg, NULL);
    return failed;
}
