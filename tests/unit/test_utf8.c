/*
 * test_utf8.c — core/utf8: decoding and encoding, validation, counting and
 * offsets, cutting streamed text on a character boundary, and cleaning
 * invalid UTF-8 to U+FFFD. Expected bytes worked out by hand from the UTF-8
 * table (RFC 3629, and Unicode's "well-formed byte sequences" table 3-7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

#define FFFD "\xEF\xBF\xBD"

/* decode s (n bytes) once; expect code point cp and length len */
static void check_decode(const char *s, size_t n, uint32_t cp, size_t len)
{
    size_t got_len = 99;
    uint32_t got = tt_utf8_decode(s, n, &got_len);
    assert_int_equal(got, cp);
    assert_int_equal(got_len, len);
    assert_int_equal(tt_utf8_seq_len(s, n), len == 1 && cp >= 0x80 ? 0 : len);
    assert_int_equal(tt_utf8_char_len(s, n), len);
}

static void test_utf8_decode_valid(void **state)
{
    (void)state;
    check_decode("A", 1, 'A', 1);
    check_decode("\0", 1, 0, 1);                               /* NUL is valid */
    check_decode("\x7F", 1, 0x7F, 1);
    check_decode("\xC2\x80", 2, 0x80, 2);                      /* smallest 2-byte */
    check_decode("\xC3\xA9", 2, 0xE9, 2);                      /* é */
    check_decode("\xDF\xBF", 2, 0x7FF, 2);
    check_decode("\xE0\xA0\x80", 3, 0x800, 3);                 /* smallest 3-byte */
    check_decode("\xE5\xA4\xA9", 3, 0x5929, 3);                /* 天 */
    check_decode("\xED\x9F\xBF", 3, 0xD7FF, 3);                /* just below the surrogates */
    check_decode("\xEE\x80\x80", 3, 0xE000, 3);                /* just above */
    check_decode("\xEF\xBF\xBD", 3, 0xFFFD, 3);
    check_decode("\xF0\x90\x80\x80", 4, 0x10000, 4);           /* smallest 4-byte */
    check_decode("\xF0\x9F\x98\x80", 4, 0x1F600, 4);           /* 😀 */
    check_decode("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, 4);          /* largest */
    check_decode("\xE5\xA4\xA9zz", 5, 0x5929, 3);              /* only the first character */
}

static void test_utf8_decode_invalid(void **state)
{
    (void)state;
    check_decode("\x80", 1, 0x80, 1);                          /* stray continuation */
    check_decode("\xBF\x80", 2, 0xBF, 1);
    check_decode("\xC0\xAF", 2, 0xC0, 1);                      /* overlong '/' */
    check_decode("\xC1\xBF", 2, 0xC1, 1);                      /* overlong DEL */
    check_decode("\xE0\x80\xAF", 3, 0xE0, 1);                  /* overlong, 3 bytes */
    check_decode("\xE0\x9F\xBF", 3, 0xE0, 1);                  /* overlong U+07FF */
    check_decode("\xF0\x8F\xBF\xBF", 4, 0xF0, 1);              /* overlong U+FFFF */
    check_decode("\xED\xA0\x80", 3, 0xED, 1);                  /* surrogate U+D800 */
    check_decode("\xED\xBF\xBF", 3, 0xED, 1);                  /* surrogate U+DFFF */
    check_decode("\xF4\x90\x80\x80", 4, 0xF4, 1);              /* U+110000 */
    check_decode("\xF5\x80\x80\x80", 4, 0xF5, 1);              /* lead that cannot occur */
    check_decode("\xF8\x88\x80\x80\x80", 5, 0xF8, 1);          /* old 5-byte form */
    check_decode("\xFF", 1, 0xFF, 1);
    check_decode("\xE5\xA4", 2, 0xE5, 1);                      /* truncated by n */
    check_decode("\xE5\xA4\xA9", 2, 0xE5, 1);                  /* n cuts a valid one short */
    check_decode("\xF0\x9F\x98", 3, 0xF0, 1);
    check_decode("\xE5" "a\xA9", 3, 0xE5, 1);                  /* continuation missing */
    check_decode("\xC3\xC3\xA9", 3, 0xC3, 1);
}

static void test_utf8_encode_round_trips(void **state)
{
    (void)state;
    static const uint32_t cps[] = {0, 'a', 0x7F, 0x80, 0x7FF, 0x800, 0x5929, 0xFFFD, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF};
    static const size_t lens[] = {1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        char out[4];
        size_t n = tt_utf8_encode(cps[i], out);
        assert_int_equal(n, lens[i]);
        size_t len;
        assert_int_equal(tt_utf8_decode(out, n, &len), cps[i]);
        assert_int_equal(len, n);
    }
    char out[4];
    assert_int_equal(tt_utf8_encode(0x5929, out), 3);
    assert_memory_equal(out, "\xE5\xA4\xA9", 3);
    /* the GPT-2 byte map puts bytes at U+0100..U+0143: two bytes each */
    assert_int_equal(tt_utf8_encode(0x100, out), 2);
    assert_memory_equal(out, "\xC4\x80", 2);
}

static void test_utf8_valid_prefix(void **state)
{
    (void)state;
    assert_int_equal(tt_utf8_valid_prefix("", 0), 0);
    assert_int_equal(tt_utf8_valid_prefix("abc", 3), 3);
    assert_int_equal(tt_utf8_valid_prefix("a\0b", 3), 3);
    assert_int_equal(tt_utf8_valid_prefix("\xE5\xA4\xA9\xE6\xA2\xAF", 6), 6);
    assert_int_equal(tt_utf8_valid_prefix("ab\xE5\xA4", 4), 2);             /* truncated at the end */
    assert_int_equal(tt_utf8_valid_prefix("\xF0\x9F\x98\x80x\xC0\xAF", 7), 5);
    assert_int_equal(tt_utf8_valid_prefix("\xED\xA0\x80", 3), 0);
    assert_true(tt_utf8_valid("\xF4\x8F\xBF\xBF", 4));
    assert_false(tt_utf8_valid("\xF4\x90\x80\x80", 4));
    assert_false(tt_utf8_valid("a\x80", 2));
}

static void test_utf8_codepoints_and_offsets(void **state)
{
    (void)state;
    const char *s = "天梯 ok";   /* 2 CJK (3 bytes each) + space + 2 */
    assert_int_equal(strlen(s), 9);
    assert_int_equal(tt_utf8_codepoints(s, strlen(s)), 5);
    assert_int_equal(tt_utf8_codepoints("", 0), 0);
    assert_int_equal(tt_utf8_codepoints("\xF0\x9F\x98\x80", 4), 1);
    assert_int_equal(tt_utf8_offset(s, 9, 0), 0);
    assert_int_equal(tt_utf8_offset(s, 9, 1), 3);
    assert_int_equal(tt_utf8_offset(s, 9, 2), 6);
    assert_int_equal(tt_utf8_offset(s, 9, 4), 8);
    assert_int_equal(tt_utf8_offset(s, 9, 5), 9);
    assert_int_equal(tt_utf8_offset(s, 9, 50), 9);
    /* invalid bytes are one character each, like the U+FFFD they clean to */
    const char *bad = "a\xE5\xA4" "b\x80\xC0\xAF";
    size_t n = strlen(bad);
    assert_int_equal(tt_utf8_codepoints(bad, n), 7);
    char *clean = tt_utf8_clean(bad, n);
    assert_int_equal(tt_utf8_codepoints(clean, strlen(clean)), 7);
    free(clean);
    assert_int_equal(tt_utf8_offset(bad, n, 2), 2);
    assert_int_equal(tt_utf8_offset(bad, n, 3), 3);
    /* a truncated sequence at the end counts each byte */
    assert_int_equal(tt_utf8_codepoints("\xF0\x9F\x98", 3), 3);
}

static void test_utf8_char_start(void **state)
{
    (void)state;
    const char *s = "a\xF0\x9F\x98\x80" "b";
    assert_int_equal(tt_utf8_char_start(s, 0, 0), 0);
    assert_int_equal(tt_utf8_char_start(s, 0, 1), 1);
    assert_int_equal(tt_utf8_char_start(s, 0, 2), 1);
    assert_int_equal(tt_utf8_char_start(s, 0, 4), 1);
    assert_int_equal(tt_utf8_char_start(s, 0, 5), 5);
    assert_int_equal(tt_utf8_char_start(s, 3, 4), 3);           /* never below lo */
    /* a run of stray continuation bytes: at most three back */
    assert_int_equal(tt_utf8_char_start("\x80\x80\x80\x80\x80", 0, 4), 1);
}

static void test_utf8_complete_prefix_cases(void **state)
{
    (void)state;
    assert_int_equal(tt_utf8_complete_prefix("abc", 3), 3);
    assert_int_equal(tt_utf8_complete_prefix("", 0), 0);
    assert_int_equal(tt_utf8_complete_prefix("a\xE5", 2), 1);            /* lead of 3 */
    assert_int_equal(tt_utf8_complete_prefix("a\xE5\xA4", 3), 1);        /* 2 of 3 */
    assert_int_equal(tt_utf8_complete_prefix("a\xE5\xA4\xA9", 4), 4);    /* complete */
    assert_int_equal(tt_utf8_complete_prefix("\xF0\x9F\x98", 3), 0);     /* 3 of 4 */
    assert_int_equal(tt_utf8_complete_prefix("\xF0\x9F", 2), 0);         /* 2 of 4 */
    assert_int_equal(tt_utf8_complete_prefix("x\xF0", 2), 1);            /* 1 of 4 */
    assert_int_equal(tt_utf8_complete_prefix("\xC3", 1), 0);
    assert_int_equal(tt_utf8_incomplete_tail("ab\xF0\x9F\x98", 5), 3);
    assert_int_equal(tt_utf8_incomplete_tail("ab", 2), 0);
    /* bytes that can never complete are not held back (they will be cleaned) */
    assert_int_equal(tt_utf8_complete_prefix("a\xFF", 2), 2);
    assert_int_equal(tt_utf8_complete_prefix("a\xC0", 2), 2);            /* overlong-only lead */
    assert_int_equal(tt_utf8_complete_prefix("a\xF5", 2), 2);
    assert_int_equal(tt_utf8_complete_prefix("a\xE0\x80", 3), 3);        /* overlong start */
    assert_int_equal(tt_utf8_complete_prefix("a\xF0\x80", 3), 3);        /* overlong start */
    assert_int_equal(tt_utf8_complete_prefix("a\xED\xA0", 3), 3);        /* surrogate start */
    assert_int_equal(tt_utf8_complete_prefix("a\xF4\x90", 3), 3);        /* > U+10FFFF */
    assert_int_equal(tt_utf8_complete_prefix("a\xE0", 2), 1);            /* E0 alone can still become valid */
    assert_int_equal(tt_utf8_complete_prefix("a\xED\x9F", 3), 1);
    assert_int_equal(tt_utf8_complete_prefix("a\x80", 2), 2);
    assert_int_equal(tt_utf8_complete_prefix("\x80\x80\x80\x80", 4), 4);
    assert_int_equal(tt_utf8_complete_prefix("a\xE5\xA4\xA9\xA9", 5), 5); /* extra continuation */
    /* a stream cut at every byte and sent up to the complete prefix never
     * splits a character: the pieces clean to the same text as the whole */
    const char *text = "a天\xF0\x9F\x98\x80é\xFFz";
    size_t n = strlen(text), sent = 0;
    tt_buf out;
    tt_buf_init(&out);
    for (size_t have = 1; have <= n; have++) {
        size_t cut = tt_utf8_complete_prefix(text, have);
        assert_true(cut >= sent);
        tt_utf8_clean_append(&out, text + sent, cut - sent, 0);
        sent = cut;
    }
    assert_int_equal(sent, n);
    char *whole = tt_utf8_clean(text, n);
    assert_string_equal(tt_buf_str(&out), whole);
    free(whole);
    tt_buf_free(&out);
}

static void check_clean(const char *in, size_t n, const char *want)
{
    char *got = tt_utf8_clean(in, n);
    assert_string_equal(got, want);
    free(got);
}

static void test_utf8_clean_cases(void **state)
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
    check_clean("\xE5\xA4" "a", 3, FFFD FFFD "a");                             /* cut short by 'a' */
    check_clean("a\0b", 3, "a" FFFD "b");                                      /* NUL */
    check_clean("ab", 1, "a");                                                 /* only n bytes */
    check_clean(NULL, 0, "");
}

static void test_utf8_clean_append_keeps_nul_when_asked(void **state)
{
    (void)state;
    tt_buf b;
    tt_buf_init(&b);
    tt_utf8_clean_append(&b, "a\0\xFF" "b", 4, 1);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "a\0" FFFD "b", 6);
    tt_buf_reset(&b);
    tt_utf8_clean_append(&b, "a\0b", 3, 0);
    assert_string_equal(tt_buf_str(&b), "a" FFFD "b");
    tt_buf_free(&b);
    tt_utf8_clean_append(&b, NULL, 5, 1);
    assert_non_null(b.data);                  /* initialised, empty */
    assert_int_equal(b.len, 0);
    tt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode_valid),
        cmocka_unit_test(test_utf8_decode_invalid),
        cmocka_unit_test(test_utf8_encode_round_trips),
        cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_utf8_codepoints_and_offsets),
        cmocka_unit_test(test_utf8_char_start),
        cmocka_unit_test(test_utf8_complete_prefix_cases),
        cmocka_unit_test(test_utf8_clean_cases),
        cmocka_unit_test(test_utf8_clean_append_keeps_nul_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
