/*
 * test_escape.c — core/escape: Markdown cells, RFC 4180 CSV fields (to a
 * buffer and to a FILE*), HTML text, gnuplot strings, base64 (RFC 4648 test
 * vectors) and round-trip number formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/escape.h"

typedef void (*esc_fn)(tt_buf *, const char *);
static void check_esc(esc_fn fn, const char *in, const char *want)
{
    tt_buf b;
    tt_buf_init(&b);
    fn(&b, in);
    assert_string_equal(tt_buf_str(&b), want);
    tt_buf_free(&b);
}

static void test_md_cell_escapes_pipe(void **state)
{
    (void)state;
    check_esc(tt_md_cell, "a|b", "a\\|b");
    check_esc(tt_md_cell, "x\\|y", "x\\\\\\|y");
    check_esc(tt_md_cell, "<b>\nz", "&lt;b> z");
    check_esc(tt_md_cell, "天梯", "天梯");
    check_esc(tt_md_cell, "*bold* `code`", "\\*bold\\* \\`code\\`");
    check_esc(tt_md_cell, NULL, "");
}

static void test_csv_field_quotes(void **state)
{
    (void)state;
    check_esc(tt_csv_field, "plain", "plain");
    check_esc(tt_csv_field, "", "");
    check_esc(tt_csv_field, "a,b", "\"a,b\"");
    check_esc(tt_csv_field, "say \"hi\"", "\"say \"\"hi\"\"\"");
    check_esc(tt_csv_field, "\"", "\"\"\"\"");
    check_esc(tt_csv_field, "two\nlines", "\"two\nlines\"");
    check_esc(tt_csv_field, "cr\rhere", "\"cr\rhere\"");
    check_esc(tt_csv_field, " pad", "\" pad\"");
    check_esc(tt_csv_field, "pad ", "\"pad \"");
    check_esc(tt_csv_field, "in side", "in side");
    check_esc(tt_csv_field, "模型", "模型");
    check_esc(tt_csv_field, "q4_0", "q4_0");
    check_esc(tt_csv_field, NULL, "");
}

/* The FILE* form writes exactly what the buffer form appends. */
static void test_csv_field_fput_matches_buffer(void **state)
{
    (void)state;
    static const char *const in[] = {"plain", "", "a,b", "say \"hi\"", "two\nlines", " pad", "模型,x"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *mem = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&mem, &len);
        assert_non_null(f);
        fputs("<", f);
        tt_csv_field_fput(f, in[i]);
        tt_csv_field_fput(f, NULL);
        fputs(">", f);
        fclose(f);
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_puts(&b, "<");
        tt_csv_field(&b, in[i]);
        tt_buf_puts(&b, ">");
        assert_string_equal(mem, tt_buf_str(&b));
        tt_buf_free(&b);
        free(mem);
    }
}

static void test_html_escapes(void **state)
{
    (void)state;
    check_esc(tt_html_escape, "<a href='x'>&\"", "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    check_esc(tt_html_escape, "&amp;", "&amp;amp;");   /* escaped again, not trusted */
    check_esc(tt_html_escape, "天梯", "天梯");
    check_esc(tt_html_escape, "", "");
    check_esc(tt_html_escape, NULL, "");
}

static void test_gp_string_escapes(void **state)
{
    (void)state;
    check_esc(tt_gp_string, "a\"b\\c\nd", "a\\\"b\\\\c d");
    check_esc(tt_gp_string, "tab\there\x7f", "tab here ");
}

static void test_base64_rfc4648(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        tt_buf b;
        tt_buf_init(&b);
        tt_base64(&b, (const unsigned char *)in[i], strlen(in[i]));
        assert_string_equal(tt_buf_str(&b), out[i]);
        tt_buf_free(&b);
    }
    tt_buf b;
    tt_buf_init(&b);
    const unsigned char bin[] = {0xFB, 0xFF, 0xBF};
    tt_base64(&b, bin, 3);
    assert_string_equal(tt_buf_str(&b), "+/+/");
    tt_buf_free(&b);
}

static void check_num(double v, const char *want)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_num_roundtrip(&b, v);
    assert_string_equal(tt_buf_str(&b), want);
    tt_buf_free(&b);
}

static void test_num_round_trips(void **state)
{
    (void)state;
    check_num(0.1, "0.1");
    check_num(1.0 / 3.0, "0.3333333333333333");
    check_num(0.1 + 0.2, "0.30000000000000004");
    check_num(1e300, "1e+300");
    check_num(NAN, "");
    check_num(INFINITY, "inf");
    check_num(-INFINITY, "-inf");
    check_num(-2, "-2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md_cell_escapes_pipe),
        cmocka_unit_test(test_csv_field_quotes),
        cmocka_unit_test(test_csv_field_fput_matches_buffer),
        cmocka_unit_test(test_html_escapes),
        cmocka_unit_test(test_gp_string_escapes),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_num_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
