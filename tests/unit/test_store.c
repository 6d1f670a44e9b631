/*
 * test_store.c — the SQLite store: fresh databases get the whole schema,
 * migrations are idempotent, a newer schema is refused, samples are
 * upserted (never duplicated), the request cache round-trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/schema.h"
#include "core/util.h"

static char *temp_db(void)
{
    char tmpl[] = "/tmp/tianti-test-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    return tt_asprintf("%s.db", tmpl);
}

static int count_rows(store *s, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    assert_int_equal(store_prepare(s, sql, &st, NULL), TT_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_store_open_migrates_fresh_db(void **state)
{
    (void)state;
    char *path = temp_db();
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    assert_int_equal(count_rows(s, "samples"), 0);
    assert_int_equal(count_rows(s, "battles"), 0);
    store_close(s);
    /* Opening again runs no migration and keeps the version. */
    assert_int_equal(store_open(path, &s, err), TT_OK);
    assert_int_equal(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_close(s);
    unlink(path);
    free(path);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    (void)state;
    char *path = temp_db();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[TT_ERR_SIZE] = "";
    store *s = NULL;
    assert_int_equal(store_open(path, &s, err), TT_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err, "newer"));
    unlink(path);
    free(path);
}

static void test_store_sample_put_upserts(void **state)
{
    (void)state;
    char *path = temp_db();
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    int64_t model, model2, task, run;
    assert_int_equal(store_model_ensure(s, "replay:x.jsonl", "x", "replay", NULL, NULL, &model, err), TT_OK);
    assert_int_equal(store_model_ensure(s, "replay:x.jsonl", "x", "replay", NULL, NULL, &model2, err), TT_OK);
    assert_int_equal(model, model2);
    assert_int_equal(store_task_ensure(s, "t", "1", "abc", "{}", &task, err), TT_OK);
    assert_int_equal(store_run_create(s, "hash", "{}", 7, NULL, &run, err), TT_OK);
    store_sample smp = {.run_id = run, .model_id = model, .task_id = task, .doc_id = 3, .prompt = "p",
                        .scores_json = "{\"acc\":1}", .prompt_tokens = -1, .completion_tokens = 2};
    assert_int_equal(store_sample_put(s, &smp, err), TT_OK);
    smp.scores_json = "{\"acc\":0}";
    assert_int_equal(store_sample_put(s, &smp, err), TT_OK);
    assert_int_equal(count_rows(s, "samples"), 1);
    int64_t found;
    assert_int_equal(store_run_find_resumable(s, "hash", &found), TT_OK);
    assert_int_equal(found, run);
    assert_int_equal(store_run_set_status(s, run, "finished", err), TT_OK);
    assert_int_equal(store_run_find_resumable(s, "hash", &found), TT_ERR_NOTFOUND);
    store_close(s);
    unlink(path);
    free(path);
}

static void test_store_cache_roundtrip(void **state)
{
    (void)state;
    char *path = temp_db();
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    char *got = NULL;
    assert_int_equal(store_cache_get(s, "k1", &got, err), TT_ERR_NOTFOUND);
    assert_null(got);
    assert_int_equal(store_cache_put(s, "k1", "spec", "generate", "{\"q\":1}", "{\"text\":\"a\"}", err), TT_OK);
    assert_int_equal(store_cache_get(s, "k1", &got, err), TT_OK);
    assert_string_equal(got, "{\"text\":\"a\"}");
    free(got);
    /* Values with quotes and SQL syntax are bound, never spliced. */
    assert_int_equal(store_cache_put(s, "k'); DROP TABLE runs; --", "s", "generate", "{}", "{}", err), TT_OK);
    assert_int_equal(count_rows(s, "runs"), 0);
    assert_int_equal(count_rows(s, "request_cache"), 2);
    store_close(s);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_open_migrates_fresh_db),
        cmocka_unit_test(test_store_open_refuses_newer_schema),
        cmocka_unit_test(test_store_sample_put_upserts),
        cmocka_unit_test(test_store_cache_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
