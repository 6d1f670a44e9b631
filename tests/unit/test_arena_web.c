/*
 * test_arena_web.c — the arena's web server in process (arena/web.h), on
 * 127.0.0.1: finished battles awaiting a vote are bounded in memory
 * (max_held): past it the oldest are dropped and counted, and a vote on a
 * dropped battle still goes through the store, where the battle was shared
 * when its answers were finished. And the request policy of core/httpd as
 * the arena meets it: a POST that is not exactly JSON is 415 before any
 * battle starts; a Host that is not the loopback's is 403.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/web.h"
#include "core/util.h"

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    tt_buf_append(user, p, size * n);
    return size * n;
}

/* POST body to path with content type ct (NULL: application/json); the
 * status, and the body in out (caller frees). */
static long post(int port, const char *path, const char *body, const char *ct, const char *host, tt_buf *out)
{
    char url[128], cth[128], hh[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    snprintf(cth, sizeof cth, "Content-Type: %s", ct ? ct : "application/json");
    tt_buf_init(out);
    tt_buf_append(out, "", 0);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, cth);
    if (host) {
        snprintf(hh, sizeof hh, "Host: %s", host);
        h = curl_slist_append(h, hh);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static void test_arena_web_bounded_memory_and_policy(void **state)
{
    (void)state;
    char dir[] = "/tmp/tianti-arena-web-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *ra = tt_asprintf("%s/a.jsonl", dir), *rb = tt_asprintf("%s/b.jsonl", dir), *db = tt_asprintf("%s/v.db", dir);
    const char *rec = "{\"kind\":\"generate\",\"context\":\"hello\",\"text\":\"hi\"}\n";
    assert_int_equal(tt_write_file(ra, rec, strlen(rec), NULL), TT_OK);
    assert_int_equal(tt_write_file(rb, rec, strlen(rec), NULL), TT_OK);
    char *ma = tt_asprintf("a=replay:%s", ra), *mb = tt_asprintf("b=replay:%s", rb);
    const char *models[] = {ma, mb};
    arena_web_opts o;
    arena_web_opts_default(&o);
    o.port = 0;
    o.db_path = db;
    o.models = models;
    o.n_models = 2;
    o.rate_per_min = 0;
    o.max_active = 64;
    o.max_held = 3;
    o.quiet = 1;
    arena_web *w = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_web_start(&o, &w, err), TT_OK);
    int port = arena_web_port(w);

    /* the policy first: nothing starts */
    tt_buf b;
    assert_int_equal(post(port, "/api/battle", "{\"prompt\":\"hello\"}", "text/plain", NULL, &b), 415);
    tt_buf_free(&b);
    assert_int_equal(post(port, "/api/battle", "{\"prompt\":\"hello\"}", "application/jsonp", NULL, &b), 415);
    tt_buf_free(&b);
    assert_int_equal(post(port, "/api/battle", "{\"prompt\":\"hello\"}", NULL, "attacker.example", &b), 403);
    tt_buf_free(&b);

    enum { N = 10 };
    char ids[N][40], tokens[N][80];
    for (int i = 0; i < N; i++) {
        assert_int_equal(post(port, "/api/battle", "{\"prompt\":\"hello\"}", "application/json; charset=utf-8", NULL, &b),
                         200);
        /* the first event names the battle and its token */
        json_t *ev = json_loadb(b.data, strcspn(b.data, "\n"), 0, NULL);
        assert_non_null(ev);
        snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(ev, "id")));
        snprintf(tokens[i], sizeof tokens[i], "%s", json_string_value(json_object_get(ev, "token")));
        json_decref(ev);
        assert_non_null(strstr(b.data, "\"type\":\"end\""));
        tt_buf_free(&b);
    }
    size_t held = 0, bytes = 0;
    unsigned long expired = 0;
    arena_web_counts(w, &held, &bytes, &expired);
    printf("# %d battles: %zu held in memory (%zu bytes), %lu dropped\n", N, held, bytes, expired);
    assert_true(held <= o.max_held + 1);   /* the last one finished after the last sweep */
    assert_true(expired >= N - o.max_held - 1);
    assert_true(bytes > 0 && bytes < ((size_t)1 << 20));
    /* the oldest battle, dropped from memory, still takes its vote (through the store) */
    char *vote = tt_asprintf("{\"battle\":\"%s\",\"token\":\"%s\",\"vote\":\"a\"}", ids[0], tokens[0]);
    assert_int_equal(post(port, "/api/vote", vote, NULL, NULL, &b), 200);
    tt_buf_free(&b);
    assert_int_equal(post(port, "/api/vote", vote, NULL, NULL, &b), 409);   /* once */
    tt_buf_free(&b);
    free(vote);
    /* a held one too, which then leaves the count */
    vote = tt_asprintf("{\"battle\":\"%s\",\"token\":\"%s\",\"vote\":\"tie\"}", ids[N - 1], tokens[N - 1]);
    size_t before = 0;
    arena_web_counts(w, &before, NULL, NULL);
    assert_int_equal(post(port, "/api/vote", vote, NULL, NULL, &b), 200);
    tt_buf_free(&b);
    free(vote);
    arena_web_counts(w, &held, NULL, NULL);
    assert_int_equal(held, before - 1);
    arena_web_stop(w);
    unlink(ra);
    unlink(rb);
    unlink(db);
    rmdir(dir);
    free(ra);
    free(rb);
    free(db);
    free(ma);
    free(mb);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_web_bounded_memory_and_policy),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
