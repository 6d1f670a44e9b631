/*
 * test_executor.c — the request executor with the replay engine: duplicate
 * requests are sent once, answers land in the cache as they arrive, a second
 * run is all cache hits, a request with no recording is a recorded error,
 * and a capability the model lacks stops the batch with a clear message.
 * With an engine that answers loglikelihood requests in batches, the
 * executor hands it runs of consecutive loglikelihood requests and sends
 * any other request alone; a batch the engine cannot answer stops the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engines/engine.h"
#include "harness/executor.h"
#include "store/store.h"
#include "core/util.h"

static char *write_temp(const char *suffix, const char *content)
{
    char tmpl[] = "/tmp/tianti-test-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    char *path = tt_asprintf("%s%s", tmpl, suffix);
    if (content) assert_int_equal(tt_write_file(path, content, strlen(content), NULL), TT_OK);
    return path;
}

static const char *replay_lines =
    "{\"kind\":\"loglikelihood\",\"context\":\"Q: 2+2=\",\"continuation\":\" 4\",\"logprob\":-0.25,\"is_greedy\":true}\n"
    "\n"
    "{\"kind\":\"loglikelihood\",\"context\":\"Q: 2+2=\",\"continuation\":\" 5\",\"logprob\":-3.5}\n"
    "{\"kind\":\"generate\",\"context\":\"Say hi\",\"text\":\"hi there\\nQ: next\"}\n";

static void test_executor_run_dedups_and_caches(void **state)
{
    (void)state;
    char *rpath = write_temp(".jsonl", replay_lines);
    char *dbpath = write_temp(".db", NULL);
    char err[TT_ERR_SIZE] = "";
    engine *e;
    char *spec = tt_asprintf("replay:%s", rpath);
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_OK);
    assert_true(engine_caps(e) & ENGINE_CAP_LOGLIKELIHOOD);
    assert_true(engine_caps(e) & ENGINE_CAP_GENERATE);
    assert_false(engine_caps(e) & ENGINE_CAP_CHAT);
    store *s;
    assert_int_equal(store_open(dbpath, &s, err), TT_OK);

    engine_request reqs[5] = {
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 4"},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 5"},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 4"},
        {.kind = ENGINE_REQ_GENERATE, .context = "Say hi", .gen = {.until = {"\n"}, .n_until = 1}},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "unknown", .continuation = " x"},
    };
    engine_response resp[5];
    executor_stats st;
    assert_int_equal(executor_run(e, spec, s, reqs, 5, 2, NULL, resp, &st, err), TT_OK);
    assert_int_equal(st.total, 5);
    assert_int_equal(st.unique, 4);
    assert_int_equal(st.cache_hits, 0);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.failed, 1);
    assert_true(resp[0].logprob == -0.25 && resp[0].is_greedy == 1);
    assert_true(resp[1].logprob == -3.5 && resp[1].is_greedy == -1);   /* not recorded: unknown, not "no" */
    assert_true(resp[2].logprob == -0.25);
    assert_string_equal(resp[3].text, "hi there");
    assert_non_null(resp[4].error);
    for (int i = 0; i < 5; i++) engine_response_free(&resp[i]);

    /* Again: the three answered requests come from the cache; the failed one is retried. */
    assert_int_equal(executor_run(e, spec, s, reqs, 5, 1, NULL, resp, &st, err), TT_OK);
    assert_int_equal(st.cache_hits, 3);
    assert_int_equal(st.sent, 1);
    assert_string_equal(resp[3].text, "hi there");
    assert_int_equal(resp[0].is_greedy, 1);    /* the cache keeps the tri-state */
    assert_int_equal(resp[1].is_greedy, -1);
    for (int i = 0; i < 5; i++) engine_response_free(&resp[i]);

    /* A capability the replay lacks is a fatal, clear error. */
    engine_message m = {.role = "user", .content = "hi"};
    engine_request chat = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
    assert_int_equal(executor_run(e, spec, s, &chat, 1, 1, NULL, resp, &st, err), TT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "cannot answer chat"));
    assert_non_null(resp[0].error);
    engine_response_free(&resp[0]);

    store_close(s);
    engine_close(e);
    unlink(rpath);
    unlink(dbpath);
    free(rpath);
    free(dbpath);
    free(spec);
}

/* A batch path for the replay engine that records the runs it is given
 * and answers each request as the replay does (or fails when told to). */
static int batch_runs[16], n_batch_runs, batch_fail;

static int record_batch(engine *e, const engine_request *reqs, int n, engine_response *resps, char *err)
{
    if (batch_fail) return tt_fail(err, TT_ERR_ENGINE, "the batch broke");
    if (n_batch_runs < 16) batch_runs[n_batch_runs++] = n;
    for (int i = 0; i < n; i++) {
        assert_int_equal(reqs[i].kind, ENGINE_REQ_LOGLIKELIHOOD);
        int rc = e->vt->complete(e, &reqs[i], &resps[i], err);
        if (rc) return rc;
    }
    return TT_OK;
}

static void test_executor_batches_loglikelihood_runs(void **state)
{
    (void)state;
    char *rpath = write_temp(".jsonl", replay_lines);
    char err[TT_ERR_SIZE] = "";
    engine *e;
    char *spec = tt_asprintf("replay:%s", rpath);
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_OK);
    e->loglikelihood_batch = record_batch;
    engine_request reqs[6] = {
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 4"},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 5"},
        {.kind = ENGINE_REQ_GENERATE, .context = "Say hi", .gen = {.until = {"\n"}, .n_until = 1}},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "unknown", .continuation = " x"},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "unknown", .continuation = " y"},
        {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "unknown", .continuation = " z"},
    };
    engine_response resp[6];
    executor_stats st;
    n_batch_runs = 0;
    assert_int_equal(executor_run(e, spec, NULL, reqs, 6, 1, NULL, resp, &st, err), TT_OK);
    assert_int_equal(st.sent, 6);
    assert_int_equal(st.failed, 3);   /* no recording for the last three */
    assert_int_equal(n_batch_runs, 2);   /* the generation alone, between two runs */
    assert_int_equal(batch_runs[0], 2);
    assert_int_equal(batch_runs[1], 3);
    assert_true(resp[0].logprob == -0.25 && resp[1].logprob == -3.5);
    assert_string_equal(resp[2].text, "hi there");
    assert_non_null(resp[5].error);
    for (int i = 0; i < 6; i++) engine_response_free(&resp[i]);
    /* a batch the engine cannot answer: the run stops with its error */
    batch_fail = 1;
    assert_int_equal(executor_run(e, spec, NULL, reqs, 2, 1, NULL, resp, &st, err), TT_ERR_ENGINE);
    assert_non_null(strstr(err, "the batch broke"));
    assert_non_null(resp[0].error);
    assert_non_null(resp[1].error);
    for (int i = 0; i < 2; i++) engine_response_free(&resp[i]);
    batch_fail = 0;
    engine_close(e);
    unlink(rpath);
    free(rpath);
    free(spec);
}

/* The cache key is what answered: a replay file rewritten under the same
 * path (even with its size and mtime put back) and the same openai: name
 * behind another base URL are other models, and get fresh answers. */
static void test_executor_identity_is_what_answers(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE] = "";
    const char *v1 = "{\"kind\":\"generate\",\"context\":\"Say hi\",\"text\":\"hi\"}\n";
    const char *v2 = "{\"kind\":\"generate\",\"context\":\"Say hi\",\"text\":\"yo\"}\n";   /* same size */
    char *rpath = write_temp(".jsonl", v1);
    char *dbpath = write_temp(".db", NULL);
    char *spec = tt_asprintf("replay:%s", rpath);
    store *s;
    assert_int_equal(store_open(dbpath, &s, err), TT_OK);
    engine_request req = {.kind = ENGINE_REQ_GENERATE, .context = "Say hi"};
    engine_response resp;
    executor_stats st;

    engine *e;
    char *id1, *id1b, *id2;
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_OK);
    assert_int_equal(executor_identity(spec, e, NULL, s, &id1, err), TT_OK);
    assert_non_null(strstr(id1, "sha256="));
    assert_int_equal(executor_run(e, id1, s, &req, 1, 1, NULL, &resp, &st, err), TT_OK);
    assert_string_equal(resp.text, "hi");
    engine_response_free(&resp);
    engine_close(e);
    /* the hash is kept in the store: computed once per change */
    int64_t n = 0;
    assert_int_equal(store_debug_count(s, "file_hashes", &n, err), TT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(executor_identity(spec, NULL, NULL, s, &id1b, err), TT_OK);
    assert_string_equal(id1, id1b);

    /* new contents, same size, mtime set back */
    struct stat before;
    assert_int_equal(stat(rpath, &before), 0);
    assert_int_equal(tt_write_file(rpath, v2, strlen(v2), err), TT_OK);
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, rpath, times, 0), 0);
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_OK);
    assert_int_equal(executor_identity(spec, e, NULL, s, &id2, err), TT_OK);
    assert_string_not_equal(id1, id2);
    assert_int_equal(executor_run(e, id2, s, &req, 1, 1, NULL, &resp, &st, err), TT_OK);
    assert_int_equal(st.cache_hits, 0);
    assert_string_equal(resp.text, "yo");   /* not the old answer */
    engine_response_free(&resp);
    engine_close(e);

    /* the same openai: name behind two servers, and the context length */
    engine_options o1, o2;
    engine_options_default(&o1);
    engine_options_default(&o2);
    o1.base_url = "http://127.0.0.1:9/v1";
    o2.base_url = "http://127.0.0.1:10/v1";
    engine *a, *b;
    char *ia, *ib, *ic;
    assert_int_equal(engine_open("openai:m", &o1, &a, err), TT_OK);
    assert_int_equal(engine_open("openai:m", &o2, &b, err), TT_OK);
    assert_int_equal(executor_identity("openai:m", a, &o1, s, &ia, err), TT_OK);
    assert_int_equal(executor_identity("openai:m", b, &o2, s, &ib, err), TT_OK);
    assert_string_not_equal(ia, ib);
    assert_non_null(strstr(ia, "endpoint=http://127.0.0.1:9/v1"));
    o1.context_length = 2048;
    assert_int_equal(executor_identity("openai:m", a, &o1, s, &ic, err), TT_OK);
    assert_string_not_equal(ia, ic);
    char k1[65], k2[65];
    executor_cache_key(ia, &req, k1);
    executor_cache_key(ib, &req, k2);
    assert_string_not_equal(k1, k2);
    engine_close(a);
    engine_close(b);
    free(ia);
    free(ib);
    free(ic);
    free(id1);
    free(id1b);
    free(id2);
    store_close(s);
    unlink(rpath);
    unlink(dbpath);
    free(rpath);
    free(dbpath);
    free(spec);
}

static void test_replay_open_names_bad_line(void **state)
{
    (void)state;
    char *rpath = write_temp(".jsonl", "{\"kind\":\"generate\",\"context\":\"a\",\"text\":\"b\"}\n\n{\"kind\":\"guess\"}\n");
    char *spec = tt_asprintf("replay:%s", rpath);
    char err[TT_ERR_SIZE] = "";
    engine *e = NULL;
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_ERR_PARSE);
    assert_null(e);
    char *want = tt_asprintf("%s:3:", rpath);
    assert_non_null(strstr(err, want));
    free(want);
    unlink(rpath);
    /* empty (blank lines only): an error, not an engine with nothing to sort */
    assert_int_equal(tt_write_file(rpath, "\n  \n", 4, NULL), TT_OK);
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "holds no recordings"));
    unlink(rpath);
    /* not a regular file */
    free(spec);
    spec = tt_strdup("replay:/dev/zero");
    assert_int_equal(engine_open(spec, NULL, &e, err), TT_ERR_IO);
    assert_non_null(strstr(err, "character device"));
    free(rpath);
    free(spec);
}

static void test_engine_open_unknown_kind(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE] = "";
    engine *e = NULL;
    assert_int_equal(engine_open("nosuch:thing", NULL, &e, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "unknown engine kind 'nosuch'"));
    assert_int_equal(engine_open("noprefix", NULL, &e, err), TT_ERR_USAGE);
}

static void test_engine_apply_stop_cuts_first(void **state)
{
    (void)state;
    char text[] = "abc\nQ: def</s>";
    const char *until[] = {"</s>", "\n"};
    assert_int_equal(engine_apply_stop(text, until, 2), 1);
    assert_string_equal(text, "abc");
    char none[] = "abc";
    assert_int_equal(engine_apply_stop(none, until, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_executor_run_dedups_and_caches),
        cmocka_unit_test(test_executor_batches_loglikelihood_runs),
        cmocka_unit_test(test_executor_identity_is_what_answers),
        cmocka_unit_test(test_replay_open_names_bad_line),
        cmocka_unit_test(test_engine_open_unknown_kind),
        cmocka_unit_test(test_engine_apply_stop_cuts_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
