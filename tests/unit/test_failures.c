/*
 * test_failures.c — harness/failures.c: error texts as the HTTP client,
 * libcurl and the engines write them, normalised to cause classes with the
 * base URL (the endpoint path dropped); counting, grouping and order; the
 * "no server at all" test the executor stops on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/util.h"
#include "harness/failures.h"

static void expect(const char *msg, const char *cause)
{
    char out[TT_ERR_SIZE];
    failures_cause(msg, out, sizeof out);
    assert_string_equal(out, cause);
}

static void test_causes_of_http_errors(void **state)
{
    (void)state;
    expect("gave up after 6 attempts: POST http://127.0.0.1:8000/v1/completions: Couldn't connect to server",
           "connection refused: http://127.0.0.1:8000/v1");
    expect("gave up after 2 attempts: POST http://127.0.0.1:8000/v1/chat/completions: Couldn't connect to server",
           "connection refused: http://127.0.0.1:8000/v1");
    expect("gave up after 6 attempts: POST https://api.example.invalid/v1/completions: Couldn't resolve host name",
           "host not found: https://api.example.invalid/v1");
    expect("gave up after 2 attempts: POST http://h:1/v1/completions: Timeout was reached", "timed out: http://h:1/v1");
    expect("gave up after 2 attempts: POST http://h:1/v1/completions: HTTP 429: Rate limit reached for requests",
           "rate limited (HTTP 429): http://h:1/v1");
    expect("gave up after 2 attempts: POST http://h:1/v1/completions: HTTP 503: overloaded",
           "server error (HTTP 503): http://h:1/v1");
    expect("model 'openai:x' cannot be used: POST http://h:1/v1/chat/completions: HTTP 401: Incorrect API key",
           "unauthorized (HTTP 401): http://h:1/v1");
    expect("model 'openai:x' cannot be used: POST http://h:1/v1/completions: HTTP 429: You exceeded your current quota",
           "quota exhausted: http://h:1/v1");
    expect("gave up after 2 attempts: POST http://h:1/v1/completions: malformed JSON reply ('[' or '{' expected near "
           "'<' at byte 1)",
           "malformed JSON reply: http://h:1/v1");
    expect("gave up after 6 attempts: POST http://h:1/v1/chat/completions: stream ended before 'data: [DONE]' (truncated)",
           "truncated reply: http://h:1/v1");
    /* a deadline names the cause it ran out on when there is one */
    expect("deadline of 600 s would pass before retry 3: POST http://h:1/v1/completions: HTTP 500: boom",
           "server error (HTTP 500): http://h:1/v1");
    /* chatglm's URL is its base already */
    expect("gave up after 2 attempts: POST http://127.0.0.1:9: Couldn't connect to server",
           "connection refused: http://127.0.0.1:9");
}

static void test_causes_of_other_errors(void **state)
{
    (void)state;
    /* digits fold, so documents group */
    expect("replay: no recorded response for doc 7", "replay: no recorded response for doc N");
    expect("replay: no recorded response for doc 12", "replay: no recorded response for doc N");
    expect("not sent", "not sent (the model stopped)");
    expect("", "unknown error");
    expect(NULL, "unknown error");
}

static void test_tally_groups_counts_and_sorts(void **state)
{
    (void)state;
    failures f;
    failures_init(&f);
    failures_add(&f, "POST http://h:1/v1/completions: HTTP 429: slow down", 1);
    failures_add(&f, "POST http://h:1/v1/completions: Couldn't connect to server", 1);
    failures_add(&f, "POST http://h:1/v1/chat/completions: Couldn't connect to server", 2);
    failures_add(&f, "POST http://h:1/v1/completions: HTTP 429: slow down again", 1);
    failures_add(&f, "ignored", 0);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.total, 5);
    /* first appearance order until sorted; the first full text is kept */
    assert_string_equal(f.items[0].cause, "rate limited (HTTP 429): http://h:1/v1");
    assert_string_equal(f.items[0].example, "POST http://h:1/v1/completions: HTTP 429: slow down");
    failures_sort(&f);
    assert_string_equal(f.items[0].cause, "connection refused: http://h:1/v1");
    assert_int_equal(f.items[0].count, 3);
    assert_int_equal(f.items[1].count, 2);
    failures_free(&f);
    assert_int_equal(f.n, 0);
}

static void test_unreachable(void **state)
{
    (void)state;
    assert_true(failures_unreachable("POST http://h:1: Couldn't connect to server"));
    assert_true(failures_unreachable("POST http://nowhere.invalid/v1/completions: Couldn't resolve host name"));
    assert_false(failures_unreachable("POST http://h:1/v1/completions: HTTP 429: slow down"));
    assert_false(failures_unreachable("POST http://h:1/v1/completions: Timeout was reached"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_causes_of_http_errors),
        cmocka_unit_test(test_causes_of_other_errors),
        cmocka_unit_test(test_tally_groups_counts_and_sorts),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
