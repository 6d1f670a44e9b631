/*
 * test_arena_utf8.c — arena/utf8.c: cleaning invalid UTF-8 to U+FFFD and
 * holding back an incomplete multi-byte tail while a model streams.
 * Expected bytes worked out by hand from the UTF-8 table (RFC 3629).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define FFFD "\xEF\xBF\xBD"

static void check_clean(const char *in, size_t n, const char *want)
{
    char *got = arena_utf8_clean(in, n);
    assert_string_equal(got, want);
    free(got);
}

static void test_arena_utf8_clean_cases(void **state)
{
    (void)state;
    check_clean("plain", 5, "plain");
    check_clean("\xE5\xA4\xA9\xE6\xA2\xAF", 6, "\xE5\xA4\xA9\xE6\xA2\xAF");    /* 天梯 */
    check_clean("\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80");                    /* U+1F600 */
    check_clean("a\xFFz", 3, "a" FFFD "z");                                    /* bad lead */
    check_clean("\x80", 1, FFFD);                                              /* stray continuation */
    check_clean("\xC0\xAF", 2, FFFD FFFD);                                     /* overlong '/' */
    check_clean("\xE0\x80\xAF", 3, FFFD FFFD FFFD);                            /* overlong, 3 bytes */
    check_clean("\xED\xA0\x80", 3, FFFD FFFD FFFD);                            /* surrogate U+D800 */
    check_clean("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);                   /* > U+10FFFF */
    check_clean("\xE5\xA4", 2, FFFD FFFD);                                     /* truncated */
    check_clean("a\0b", 3, "a" FFFD "b");                                      /* NUL */
    check_clean(NULL, 0, "");
}

static void test_arena_utf8_complete_prefix_cases(void **state)
{
    (void)state;
    assert_int_equal(arena_utf8_complete_prefix("abc", 3), 3);
    assert_int_equal(arena_utf8_complete_prefix("", 0), 0);
    assert_int_equal(arena_utf8_complete_prefix("a\xE5", 2), 1);            /* lead of 3 */
    assert_int_equal(arena_utf8_complete_prefix("a\xE5\xA4", 3), 1);        /* 2 of 3 */
    assert_int_equal(arena_utf8_complete_prefix("a\xE5\xA4\xA9", 4), 4);    /* complete */
    assert_int_equal(arena_utf8_complete_prefix("\xF0\x9F\x98", 3), 0);     /* 3 of 4 */
    /* bytes that can never complete are not held back (they will be cleaned) */
    assert_int_equal(arena_utf8_complete_prefix("a\xFF", 2), 2);
    assert_int_equal(arena_utf8_complete_prefix("a\xE0\x80", 3), 3);        /* overlong start */
    assert_int_equal(arena_utf8_complete_prefix("a\x80", 2), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_utf8_clean_cases),
        cmocka_unit_test(test_arena_utf8_complete_prefix_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
