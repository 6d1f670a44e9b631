/*
 * test_redact.c — core/redact.c: registered keys of every shape (sk-..., a
 * plain 40-char hex string, one with '/' and '+', a short one) are
 * replaced wherever they appear, also cut short or masked as servers echo
 * them; unregistered sk-... keys and masked keys too; Authorization lines;
 * and ordinary text ("sk-learn", markdown's ***bold***) is left alone. Then
 * the places it is applied: tt_fail, tt_log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/redact.h"
#include "core/util.h"

static const char *const k_keys[] = {
    "sk-proj-Zx81QmPp2LkT7vVb0cD4eRf6gHy9jKl1",   /* OpenAI's shape */
    "3f8a9c1d5e7b2a4c6d8e0f1a3b5c7d9e1f2a4b6c",   /* a plain 40-char hex */
    "AbC/dEf+GhI/jKl+MnO=",                       /* base64-ish, with / and + */
    "k3y-Sh0rt",                                  /* short */
};

static char *red(const char *s)
{
    return tt_redact_text(s, strlen(s));
}

static void test_redact_registered_keys_of_every_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_keys / sizeof k_keys[0]; i++) tt_redact_add(k_keys[i]);
    for (size_t i = 0; i < sizeof k_keys / sizeof k_keys[0]; i++) {
        const char *k = k_keys[i];
        char *in = tt_asprintf("answer: %s; again:%s.", k, k);
        assert_true(tt_redact_needed(in, strlen(in)));
        char *out = red(in);
        printf("# %s -> %s\n", in, out);
        assert_null(strstr(out, k));
        assert_string_equal(out, "answer: [REDACTED]; again:[REDACTED].");
        free(in);
        free(out);
        /* cut short at the end of a message (an excerpt of a reply) */
        in = tt_asprintf("malformed JSON: {\"detail\": \"%.*s", (int)(strlen(k) * 2 / 3), k);
        out = red(in);
        assert_non_null(strstr(out, "[REDACTED]"));
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%.6s", k);
        assert_null(strstr(out, prefix));
        free(in);
        free(out);
        /* masked as a server echoes it: its start, then stars */
        in = tt_asprintf("Incorrect API key provided: %.6s**********%s", k, k + strlen(k) - 2);
        out = red(in);
        printf("# %s -> %s\n", in, out);
        assert_null(strstr(out, prefix));
        free(in);
        free(out);
    }
}

static void test_redact_shapes_without_registration(void **state)
{
    (void)state;
    char *out = red("key sk-unregistered0123456789abcdefXYZ here");
    assert_string_equal(out, "key [REDACTED] here");
    free(out);
    out = red("Incorrect API key provided: sk-abc*************wxyz.");
    assert_string_equal(out, "Incorrect API key provided: [REDACTED].");
    free(out);
    out = red("Incorrect API key provided: q7Zt**************Lm2x");
    assert_string_equal(out, "Incorrect API key provided: [REDACTED]");
    free(out);
    out = red("GET /v1\nAuthorization: Bearer whatever-it-is\nHost: x");
    assert_string_equal(out, "GET /v1\nAuthorization: [REDACTED]\nHost: x");
    free(out);
    /* ordinary text stays */
    const char *plain[] = {"use sk-learn for that", "***Note***: read **this**", "a*b*c", "risk-free",
                           "The answer is 42.", ""};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        out = red(plain[i]);
        assert_string_equal(out, plain[i]);
        free(out);
    }
}

static void test_redact_in_errors_and_logs(void **state)
{
    (void)state;
    tt_redact_add("Zq9/Yp8+Xo7=Wn6");
    char err[TT_ERR_SIZE];
    tt_fail(err, TT_ERR, "the server said: bad key 'Zq9/Yp8+Xo7=Wn6' for model x");
    assert_string_equal(err, "the server said: bad key '[REDACTED]' for model x");
    /* the buffer forms */
    char small[32];
    snprintf(small, sizeof small, "k=Zq9/Yp8+Xo7=Wn6");
    tt_redact_buf(small, sizeof small);
    assert_string_equal(small, "k=[REDACTED]");
    char *owned = tt_strdup("nothing secret");
    char *same = tt_redact_owned(owned);
    assert_ptr_equal(same, owned);
    free(same);
}

static char g_logged[1024];
static void sink(void *ud, tt_log_level level, const char *msg)
{
    (void)ud;
    (void)level;
    snprintf(g_logged, sizeof g_logged, "%s", msg);
}

static void test_redact_in_log_lines(void **state)
{
    (void)state;
    tt_redact_add("Zq9/Yp8+Xo7=Wn6");
    tt_log_set_sink(sink, NULL, TT_LOG_DEBUG);
    tt_log(TT_LOG_INFO, "request with key %s failed", "Zq9/Yp8+Xo7=Wn6");
    assert_string_equal(g_logged, "request with key [REDACTED] failed");
    tt_log_set_sink(NULL, NULL, TT_LOG_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_registered_keys_of_every_shape),
        cmocka_unit_test(test_redact_shapes_without_registration),
        cmocka_unit_test(test_redact_in_errors_and_logs),
        cmocka_unit_test(test_redact_in_log_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
