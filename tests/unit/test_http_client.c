/*
 * test_http_client.c — the pure parts of engines/http/http_client.c:
 * backoff schedule, Go-style durations, Retry-After and x-ratelimit-reset-*
 * hints, error classification, the token-bucket limiter, the SSE parser
 * (any split of the input, \r\n, comments, multi-line data, [DONE]) and
 * key redaction. Expected values are worked out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/http/http_client.h"

static void test_http_backoff_delay_schedule(void **state)
{
    (void)state;
    http_policy p;
    http_policy_default(&p);   /* base 0.5, cap 8 */
    assert_float_equal(http_backoff_delay(&p, 0, 0), 0.5, 1e-12);
    assert_float_equal(http_backoff_delay(&p, 1, 0), 1.0, 1e-12);
    assert_float_equal(http_backoff_delay(&p, 3, 0), 4.0, 1e-12);
    assert_float_equal(http_backoff_delay(&p, 4, 0), 8.0, 1e-12);    /* capped */
    assert_float_equal(http_backoff_delay(&p, 40, 0), 8.0, 1e-12);
    /* jitter takes off up to a quarter: 2 * (1 - 0.25 * 0.5) = 1.75 */
    assert_float_equal(http_backoff_delay(&p, 2, 0.5), 1.75, 1e-12);
    assert_true(http_backoff_delay(&p, 4, 0.999) > 6.0);
}

static void test_http_parse_duration_forms(void **state)
{
    (void)state;
    assert_float_equal(http_parse_duration("1s"), 1.0, 1e-12);
    assert_float_equal(http_parse_duration("6m0s"), 360.0, 1e-12);
    assert_float_equal(http_parse_duration("20ms"), 0.02, 1e-12);
    assert_float_equal(http_parse_duration("1h2m3.5s"), 3723.5, 1e-9);
    assert_float_equal(http_parse_duration(" 2"), 2.0, 1e-12);
    assert_true(http_parse_duration("abc") < 0);
    assert_true(http_parse_duration("1m5") < 0);
    assert_true(http_parse_duration("") < 0);
    assert_true(http_parse_duration("5x") < 0);
    assert_true(http_parse_duration(NULL) < 0);
}

static void feed(http_hints *h, const char *line, double now)
{
    http_hints_header(h, line, strlen(line), now);
}

static void test_http_hints_delay_sources(void **state)
{
    (void)state;
    http_hints h;
    http_hints_clear(&h);
    assert_true(http_hints_delay(&h, 429, 60) < 0);
    feed(&h, "Retry-After: 0.2\r\n", 0);
    assert_float_equal(http_hints_delay(&h, 429, 60), 0.2, 1e-12);
    feed(&h, "retry-after-ms: 150\r\n", 0);           /* preferred over retry-after */
    assert_float_equal(http_hints_delay(&h, 503, 60), 0.15, 1e-12);

    http_hints_clear(&h);
    feed(&h, "Retry-After: 120\r\n", 0);               /* above the 60 s cap: ignored */
    assert_true(http_hints_delay(&h, 429, 60) < 0);

    /* HTTP-date: 1000000000 is Sun, 09 Sep 2001 01:46:40 GMT; 5 s later. */
    http_hints_clear(&h);
    feed(&h, "Retry-After: Sun, 09 Sep 2001 01:46:45 GMT\r\n", 1000000000.0);
    assert_float_equal(http_hints_delay(&h, 429, 60), 5.0, 1e-9);

    /* x-ratelimit-reset-*: only for 429, the larger of the two. */
    http_hints_clear(&h);
    feed(&h, "x-ratelimit-reset-requests: 1s\r\n", 0);
    feed(&h, "X-RateLimit-Reset-Tokens: 2s\r\n", 0);
    assert_float_equal(http_hints_delay(&h, 429, 60), 2.0, 1e-12);
    assert_true(http_hints_delay(&h, 500, 60) < 0);
    feed(&h, "x-ratelimit-reset-tokens: 6m0s\r\n", 0);
    assert_true(http_hints_delay(&h, 429, 60) < 0);    /* 360 s > cap */

    feed(&h, "x-should-retry: false\r\n", 0);
    assert_int_equal(h.should_retry, 0);
    feed(&h, "X-Should-Retry: true\r\n", 0);
    assert_int_equal(h.should_retry, 1);
    feed(&h, "Content-Type: application/json\r\n", 0);  /* ignored */
}

static void test_http_classify_statuses(void **state)
{
    (void)state;
    assert_int_equal(http_classify(200, 0, NULL, -1), HTTP_CLASS_OK);
    assert_int_equal(http_classify(0, 1, NULL, -1), HTTP_CLASS_RETRY);      /* timeout / refused */
    assert_int_equal(http_classify(429, 0, "{\"error\":{\"message\":\"slow\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", -1),
                     HTTP_CLASS_RETRY);
    assert_int_equal(http_classify(429, 0, "{\"error\":{\"message\":\"quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}", -1),
                     HTTP_CLASS_FATAL);
    assert_int_equal(http_classify(429, 0, "{\"error\":{\"message\":\"quota\",\"type\":\"insufficient_quota\",\"code\":null}}", -1),
                     HTTP_CLASS_FATAL);
    assert_int_equal(http_classify(400, 0, NULL, -1), HTTP_CLASS_FATAL);
    assert_int_equal(http_classify(401, 0, NULL, -1), HTTP_CLASS_FATAL);
    assert_int_equal(http_classify(403, 0, NULL, 1), HTTP_CLASS_FATAL);     /* never retried */
    assert_int_equal(http_classify(404, 0, "not json", -1), HTTP_CLASS_FATAL);
    assert_int_equal(http_classify(408, 0, NULL, -1), HTTP_CLASS_RETRY);
    assert_int_equal(http_classify(409, 0, NULL, -1), HTTP_CLASS_RETRY);
    assert_int_equal(http_classify(500, 0, NULL, -1), HTTP_CLASS_RETRY);
    assert_int_equal(http_classify(503, 0, NULL, -1), HTTP_CLASS_RETRY);
    assert_int_equal(http_classify(500, 0, NULL, 0), HTTP_CLASS_FAIL);      /* x-should-retry: false */
    assert_int_equal(http_classify(422, 0, NULL, -1), HTTP_CLASS_FAIL);
    assert_int_equal(http_classify(418, 0, NULL, 1), HTTP_CLASS_RETRY);
}

static void test_http_error_text_message_or_excerpt(void **state)
{
    (void)state;
    char out[64];
    const char *j = "{\"error\":{\"message\":\"bad key\",\"type\":\"x\",\"param\":null,\"code\":null}}";
    http_error_text(j, strlen(j), out, sizeof out);
    assert_string_equal(out, "bad key");
    const char *d = "{\"detail\":\"Invalid request\"}";
    http_error_text(d, strlen(d), out, sizeof out);
    assert_string_equal(out, "Invalid request");
    http_error_text("<html>\nBad Gateway</html>", 25, out, sizeof out);
    assert_string_equal(out, "<html> Bad Gateway</html>");
    http_error_text(NULL, 0, out, sizeof out);
    assert_string_equal(out, "empty body");
}

static void test_http_bucket_reserve_paces(void **state)
{
    (void)state;
    http_bucket b;
    http_bucket_init(&b, 60, 0);          /* 1 per second, burst 1 */
    assert_float_equal(http_bucket_reserve(&b, 0, 1), 0.0, 1e-12);
    assert_float_equal(http_bucket_reserve(&b, 0, 1), 1.0, 1e-12);
    assert_float_equal(http_bucket_reserve(&b, 0, 1), 2.0, 1e-12);
    /* level is -2 at t=0; by t=10 it has refilled to the cap of 1 */
    assert_float_equal(http_bucket_reserve(&b, 10, 1), 0.0, 1e-12);

    http_bucket_init(&b, 600, 0);         /* tokens: 10/s, burst 10 */
    assert_float_equal(http_bucket_reserve(&b, 0, 25), 0.0, 1e-12);   /* larger than burst: goes when full */
    assert_float_equal(http_bucket_reserve(&b, 0, 5), 2.0, 1e-12);    /* level -15, needs 5: 20/10 s */
    http_bucket_adjust(&b, 20);           /* the first request used 5, not 25 */
    assert_float_equal(http_bucket_reserve(&b, 0, 0), 0.0, 1e-12);

    http_bucket_init(&b, 0, 0);           /* unlimited */
    for (int i = 0; i < 100; i++) assert_float_equal(http_bucket_reserve(&b, 0, 1000), 0.0, 0);
}

/* Over any window T the bucket admits at most burst + rate*T requests:
 * 600 rpm is 10/s with a burst of 10, so of 1000 reservations made at once
 * the first 10 go at once and reservation k >= 10 waits (k - 9) / 10 s. */
static void test_http_bucket_reserve_budget(void **state)
{
    (void)state;
    http_bucket b;
    http_bucket_init(&b, 600, 5);
    double last = 0;
    for (int k = 0; k < 1000; k++) {
        double w = http_bucket_reserve(&b, 5, 1);
        assert_float_equal(w, k < 10 ? 0.0 : (k - 9) * 0.1, 1e-9);
        assert_true(w >= last);
        last = w;
    }
    assert_float_equal(last, 99.0, 1e-9);
}

typedef struct events {
    char got[8][64];
    int n;
    int stop_after;
} events;

static int collect(void *user, const char *data, size_t len)
{
    events *e = user;
    if (e->n < 8) {
        snprintf(e->got[e->n], sizeof e->got[e->n], "%.*s", (int)len, data);
        e->n++;
    }
    return e->stop_after && e->n >= e->stop_after;
}

static const char stream_text[] =
    ": ping - 2024-01-01\r\n\r\n"
    "data: {\"a\":1}\r\n\r\n"
    "event: message\n"
    "data: x\n"
    "data: y\n\n"
    "data:z\n"
    "id: 7\n\n"
    "data: [DONE]\n\n";

static void check_stream_events(const events *e, const http_sse *s)
{
    assert_int_equal(e->n, 3);
    assert_string_equal(e->got[0], "{\"a\":1}");
    assert_string_equal(e->got[1], "x\ny");
    assert_string_equal(e->got[2], "z");
    assert_int_equal(s->done, 1);
}

static void test_http_sse_feed_any_split(void **state)
{
    (void)state;
    size_t n = strlen(stream_text);
    /* whole, byte by byte, and every two-piece split */
    for (size_t split = 0; split <= n; split++) {
        events e = {.n = 0};
        http_sse s;
        http_sse_init(&s, collect, &e);
        http_sse_feed(&s, stream_text, split);
        http_sse_feed(&s, stream_text + split, n - split);
        http_sse_finish(&s);
        check_stream_events(&e, &s);
        http_sse_free(&s);
    }
    events e = {.n = 0};
    http_sse s;
    http_sse_init(&s, collect, &e);
    for (size_t i = 0; i < n; i++) http_sse_feed(&s, stream_text + i, 1);
    http_sse_finish(&s);
    check_stream_events(&e, &s);
    http_sse_free(&s);
}

static void test_http_sse_truncated_and_stop(void **state)
{
    (void)state;
    /* no [DONE] and no final blank line: the last event still arrives, done stays 0 */
    events e = {.n = 0};
    http_sse s;
    http_sse_init(&s, collect, &e);
    const char *t = "data: one\n\ndata: two";
    http_sse_feed(&s, t, strlen(t));
    assert_int_equal(e.n, 1);
    http_sse_finish(&s);
    assert_int_equal(e.n, 2);
    assert_string_equal(e.got[1], "two");
    assert_int_equal(s.done, 0);
    http_sse_free(&s);

    events e2 = {.n = 0, .stop_after = 1};
    http_sse_init(&s, collect, &e2);
    const char *u = "data: a\n\ndata: b\n\n";
    assert_int_not_equal(http_sse_feed(&s, u, strlen(u)), 0);
    assert_int_equal(e2.n, 1);
    http_sse_free(&s);
}

static void test_http_redact_key_forms(void **state)
{
    (void)state;
    const char *key = "sk-test-SECRET123abc";
    const char *h = "Authorization: Bearer sk-test-SECRET123abc\r\nHost: api\r\n";
    char *r = http_redact(h, strlen(h), key);
    assert_string_equal(r, "Authorization: [REDACTED]\r\nHost: api\r\n");
    free(r);
    const char *m = "Incorrect API key provided: sk-test-***3abc. Also sk-test-SECRET123abc!";
    r = http_redact(m, strlen(m), key);
    assert_null(strstr(r, "SECRET"));
    assert_null(strstr(r, "3abc"));
    assert_string_equal(r, "Incorrect API key provided: [REDACTED]. Also [REDACTED]!");
    free(r);
    /* a key of another shape, and words that merely contain "sk-" */
    const char *o = "token=hunter2hunter2; ask-me; task-sk-x";
    r = http_redact(o, strlen(o), "hunter2hunter2");
    assert_string_equal(r, "token=[REDACTED]; ask-me; task-sk-x");
    free(r);
    r = http_redact("", 0, NULL);
    assert_string_equal(r, "");
    free(r);
}

static void test_http_url_join_slashes(void **state)
{
    (void)state;
    char *u = http_url_join("http://h:1/v1/", "/chat/completions");
    assert_string_equal(u, "http://h:1/v1/chat/completions");
    free(u);
    u = http_url_join("http://h:1/v1", "models");
    assert_string_equal(u, "http://h:1/v1/models");
    free(u);
}

static void test_http_client_create_requires_key(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    http_client_config cfg;
    http_client_config_default(&cfg);
    cfg.api_key_env = "TIANTI_TEST_NO_SUCH_KEY_VAR";
    cfg.require_key = 1;
    unsetenv("TIANTI_TEST_NO_SUCH_KEY_VAR");
    http_client *c = NULL;
    assert_int_equal(http_client_create(&cfg, &c, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "TIANTI_TEST_NO_SUCH_KEY_VAR"));
    setenv("TIANTI_TEST_NO_SUCH_KEY_VAR", "sk-abcdef0123456789", 1);
    assert_int_equal(http_client_create(&cfg, &c, err), TT_OK);
    assert_true(http_client_has_key(c));
    http_client_free(c);
    unsetenv("TIANTI_TEST_NO_SUCH_KEY_VAR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_backoff_delay_schedule),
        cmocka_unit_test(test_http_parse_duration_forms),
        cmocka_unit_test(test_http_hints_delay_sources),
        cmocka_unit_test(test_http_classify_statuses),
        cmocka_unit_test(test_http_error_text_message_or_excerpt),
        cmocka_unit_test(test_http_bucket_reserve_paces),
        cmocka_unit_test(test_http_bucket_reserve_budget),
        cmocka_unit_test(test_http_sse_feed_any_split),
        cmocka_unit_test(test_http_sse_truncated_and_stop),
        cmocka_unit_test(test_http_redact_key_forms),
        cmocka_unit_test(test_http_url_join_slashes),
        cmocka_unit_test(test_http_client_create_requires_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
