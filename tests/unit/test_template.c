/*
 * test_template.c — harness/template.c: field access, nesting, indexing,
 * the string methods lm-eval task files use (strip, split, index, keys),
 * literals and concatenation, value rendering, and errors that name the
 * template and the offset. Expected strings are worked out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/template.h"
#include "core/util.h"

static const char *DOC =
    "{\"question\": \"  What is 2+2?\\n\", \"choices\": [\"3\", \"4\", \"5\", \"22\"],"
    " \"answer\": 1, \"answer_s\": \"2\", \"letter\": \"C\","
    " \"sol\": \"Add them.\\n#### 1,234 \", \"meta\": {\"subject\": \"math\", \"n\": {\"deep\": true}},"
    " \"zh\": \"中文字\", \"t\": {\"yes\": 1, \"no\": 0}, \"f\": 1.5, \"g\": 2.0, \"nul\": null}";

static json_t *doc(void)
{
    json_error_t je;
    json_t *d = json_loads(DOC, 0, &je);
    assert_non_null(d);
    return d;
}

/* Renders tmpl and checks the text. */
static void expect(const char *tmpl, const char *want)
{
    json_t *d = doc();
    char err[TT_ERR_SIZE] = "", *out = NULL;
    int rc = template_render("t", tmpl, d, &out, err);
    if (rc) fail_msg("render '%s' failed: %s", tmpl, err);
    assert_string_equal(out, want);
    free(out);
    json_decref(d);
}

/* Renders tmpl, expects failure with err containing each of the parts. */
static void expect_error(const char *tmpl, const char *part1, const char *part2)
{
    json_t *d = doc();
    char err[TT_ERR_SIZE] = "", *out = NULL;
    int rc = template_render("doc_to_text", tmpl, d, &out, err);
    assert_int_equal(rc, TT_ERR_PARSE);
    assert_null(out);
    if (!strstr(err, part1)) fail_msg("'%s' lacks '%s'", err, part1);
    if (part2 && !strstr(err, part2)) fail_msg("'%s' lacks '%s'", err, part2);
    json_decref(d);
}

static void test_template_render_fields(void **state)
{
    (void)state;
    expect("plain text, no fields", "plain text, no fields");
    expect("Q: {{question}}|", "Q:   What is 2+2?\n|");
    expect("{{ meta.subject }}", "math");
    expect("{{meta.n.deep}}", "True");
    expect("{{meta['subject']}}", "math");
    expect("{{choices[0]}}/{{choices[-1]}}", "3/22");
    expect("{{choices[answer]}}", "4");
    expect("{{choices[answer_s]}}", "5");   /* digit strings index like ints */
    expect("{#comment#}x{# another {{ #}y", "xy");
}

static void test_template_render_methods(void **state)
{
    (void)state;
    expect("{{question.strip()}}\nA.", "What is 2+2?\nA.");
    expect("[{{question.lstrip()}}]", "[What is 2+2?\n]");
    expect("[{{question.rstrip()}}]", "[  What is 2+2?]");
    expect("{{sol.split('####')[-1].strip()}}", "1,234");
    expect("{{sol.split('####')[0]}}", "Add them.\n");
    expect("{{'a  b c'.split()[1]}}", "b");
    expect("{{'a,b,c'.split(',', 1)[1]}}", "b,c");
    expect("{{'xxhixx'.strip('x')}}", "hi");
    expect("{{meta.subject.upper()}} {{'AbC'.lower()}}", "MATH abc");
    expect("{{'a_b_c'.replace('_', ' ')}}", "a b c");
    expect("{{', '.join(choices)}}", "3, 4, 5, 22");
    expect("{{['A', 'B', 'C', 'D'].index(letter)}}", "2");
    expect("{{t.keys()}}", "['yes', 'no']");   /* str(list(t.keys())): Python's list repr */
    expect("{{t.values()[0]}}", "1");
    expect("{{sol.startswith('Add')}} {{sol.endswith('x')}}", "True False");
}

static void test_template_render_literals_and_helpers(void **state)
{
    (void)state;
    expect("{{'ABCD'[answer]}}", "B");
    expect("{{letter(answer)}}{{letter(3)}}", "BD");
    expect("{{len(choices)}} {{choices|length}} {{zh|length}}", "4 4 3");
    expect("{{zh[1]}}{{zh[-1]}}", "文字");
    expect("{{'x' + meta.subject + \"y\"}}", "xmathy");
    expect("{{'n=' ~ answer}} {{answer + 2}}", "n=1 3");
    expect("{{question|trim|upper}}", "WHAT IS 2+2?");
    expect("{{f}} {{g}} {{nul}} {{answer_s|int + 1}}", "1.5 2.0 None 3");
    expect("{{ '}}' }}", "}}");
    expect("{{'tab\\there'}}", "tab\there");
    expect("{{[1, 2] + [3]}}", "[1, 2, 3]");   /* str([1, 2] + [3]) */
}

/* The Jinja that lm-eval's own task files use: blocks, conditional
 * expressions, tests, slices, filters with arguments (worked out by hand
 * from Jinja2's and Python's documented semantics). */
static void test_template_render_jinja_blocks_and_filters(void **state)
{
    (void)state;
    /* lambada_openai: {{text.split(' ')[:-1]|join(' ')}} and {{' '+text.split(' ')[-1]}} */
    expect("{{'a b c d'.split(' ')[:-1]|join(' ')}}|{{' ' + 'a b c d'.split(' ')[-1]}}", "a b c| d");
    expect("{{choices[1:3]}} {{choices[::-1]}} {{zh[1:]}} {{choices[-2:]}}", "['4', '5'] ['22', '5', '4', '3'] 文字 ['5', '22']");
    /* leaderboard MATH: {{answer if few_shot is undefined else solution}} */
    expect("{{letter if nope is undefined else nope}}", "C");
    expect("{{nope if letter is undefined else letter}}", "C");
    expect("{{'y' if answer else 'n'}}{{'y' if nul else 'n'}}{{'y' if answer == 1 and letter != 'D' else 'n'}}", "yny");
    expect("{{nope|default('dflt')}} {{letter|default('x')}} {{''|default('e', true)}}", "dflt C e");
    expect("{{meta.nope is defined}} {{meta.subject is defined}} {{nul is none}} {{answer is not none}}", "False True True True");
    expect("{% if answer > 0 %}pos{% elif answer < 0 %}neg{% else %}zero{% endif %}", "pos");
    expect("{% if nul %}a{% elif letter == 'C' %}b{% else %}c{% endif %}", "b");
    expect("{% for c in choices %}{{loop.index}}. {{c}}{% if not loop.last %}, {% endif %}{% endfor %}", "1. 3, 2. 4, 3. 5, 4. 22");
    expect("{% for c in choices %}{{'ABCD'[loop.index0]}}{% endfor %}", "ABCD");
    expect("{% for k, v in t.items() %}{{k}}={{v}};{% endfor %}", "yes=1;no=0;");
    expect("{% for x in [] %}a{% else %}empty{% endfor %}", "empty");
    expect("{% set n = answer + 1 %}{{n}}{% for c in choices %}{% set n = 9 %}{% endfor %}{{n}}", "22");
    expect("{% if False %}{{ nope }}{% endif %}ok", "ok");   /* a branch not taken is not evaluated */
    expect("a  {%- if True -%}  b  {%- endif -%}  c", "abc");
    expect("x {{- ' y ' -}} z", "x y z");
    expect("{{ 'ab' in 'cabd' }} {{ '4' in choices }} {{ 'yes' in t }} {{ 'q' not in choices }}", "True True True True");
    expect("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 * 3 - 1 }} {{ 'ab' * 2 }}", "3 -4 1 2 3.5 5 abab");
    expect("{{ 'Hello World'|regex_replace('o', '0') }} {{ 'a1b22'|regex_replace('(\\d+)', '<\\1>') }}", "Hell0 W0rld a<1>b<22>");
    expect("{{ 'hELLO wORLD'|capitalize }} {{ 'hELLO wORLD'|title }} {{ 'ÉTÉ'|lower }}", "Hello world Hello World été");
    expect("{{ choices|first }}{{ choices|last }} {{ choices|reverse|join(',') }} {{ 'abc'|list }}", "322 22,5,4,3 ['a', 'b', 'c']");
    expect("{{ '3.7'|float + 1 }} {{ 3.9|int }} {{ -2|abs }} {{ choices|count }}", "4.7 3 2 4");
    expect("{{ 'a-b'.replace('-', '+', 1) }} {{ 'banana'.count('a') }} {{ 'banana'.find('n') }} {{ t.get('zz', 5) }}", "a+b 3 2 5");
    expect("{{ (1 == 1.0) and (True == 1) }} {{ 'b' > 'a' }} {{ [] or 'fallback' }} {{ 0 and 'x' }}", "True True fallback 0");
}

static void test_template_eval_values(void **state)
{
    (void)state;
    json_t *d = doc();
    char err[TT_ERR_SIZE];
    json_t *v;
    assert_int_equal(template_eval("x", " {{ t.keys() }} ", d, &v, err), TT_OK);
    assert_true(json_is_array(v));
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "yes");
    json_decref(v);
    assert_int_equal(template_eval("x", "{{['A','B','C','D'].index(letter)}}", d, &v, err), TT_OK);
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 2);
    json_decref(v);
    assert_int_equal(template_eval("x", "{{answer}}", d, &v, err), TT_OK);
    assert_true(json_is_integer(v));
    json_decref(v);
    /* two expressions: a string */
    assert_int_equal(template_eval("x", "{{answer}}{{answer}}", d, &v, err), TT_OK);
    assert_string_equal(json_string_value(v), "11");
    json_decref(v);
    assert_int_equal(template_eval("x", "no braces", d, &v, err), TT_OK);
    assert_string_equal(json_string_value(v), "no braces");
    json_decref(v);
    assert_true(template_has_syntax("a {{b}}"));
    assert_false(template_has_syntax("answer"));
    json_decref(d);
}

static void test_template_render_errors_name_position(void **state)
{
    (void)state;
    expect_error("Q: {{nope}}", "template 'doc_to_text' at offset 5", "no field 'nope'");
    expect_error("{{question", "template 'doc_to_text' at offset 0", "without '}}'");
    expect_error("{% if x %}y{% endif %}", "at offset 6", "no field 'x'");
    expect_error("{% while x %}y{% endwhile %}", "at offset 0", "not supported");
    expect_error("{% if answer %}y", "without '{% endif %}'", NULL);
    expect_error("{% endfor %}", "without its opening block", NULL);
    expect_error("{{ nope|upper }}", "at offset 3", "no field 'nope'");
    expect_error("{{ 1 / 0 }}", "division by zero", NULL);
    expect_error("{{ 111 * 11111111111111111111111 }}", "beyond 64 bits", NULL);   /* fuzz_template */
    expect_error("{{ 9223372036854775807 + 1 }}", "beyond 64 bits", NULL);
    expect_error("{{ -9223372036854775807 - 2 }}", "beyond 64 bits", NULL);
    expect_error("{{choices[9]}}", "out of range", NULL);
    expect_error("{{question.frobnicate()}}", "unknown string method 'frobnicate'", NULL);
    expect_error("{{'abc}}", "without '}}'", NULL);
    expect_error("{{answer + 'x'}}", "'+' needs", NULL);
    expect_error("{{choices['x']}}", "not an integer", NULL);
    expect_error("{{['A'].index(letter)}}", "'C' is not in list", NULL);
    expect_error("{{letter(99)}}", "letter()", NULL);
    expect_error("{{ }}", "expression expected", NULL);
    expect_error("{{question question}}", "unexpected text", NULL);
    expect_error("{{meta.nope}}", "no field 'nope'", NULL);
    /* deep nesting is refused, not a stack overflow */
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "{{");
    for (int i = 0; i < 100000; i++) tt_buf_puts(&b, "(");
    tt_buf_puts(&b, "1}}");
    expect_error(tt_buf_str(&b), "nested too deeply", NULL);
    tt_buf_reset(&b);
    tt_buf_puts(&b, "{{");
    for (int i = 0; i < 60; i++) tt_buf_puts(&b, "[");
    for (int i = 0; i < 60; i++) tt_buf_puts(&b, "]");
    tt_buf_puts(&b, "|length}}");
    expect(tt_buf_str(&b), "1");
    tt_buf_free(&b);
}

/* Hostile input: random token soup must give TT_OK or TT_ERR_PARSE, never
 * a crash (run under ASan/UBSan in the sanitizer build). */
static void test_template_render_random_input_never_crashes(void **state)
{
    (void)state;
    static const char *tok[] = { "{{", "}}", "{#", "#}", "{%", "%}", "if ", "for x in ", "endif", "endfor", "else",
                                 " is defined", " if ", " else ", "|default(", "[:", ":]", "'", "\"", "\\", "[", "]", "(", ")",
                                 ".", ",", "|", "+", "~", "-", "0", "-1", "99999999999999999999",
                                 "question", "choices", "meta", "strip", "split", "index", "keys",
                                 "letter", "len", "trim", "int", "zh", "\xe4\xb8", " ", "x", "\n" };
    const size_t nt = sizeof tok / sizeof tok[0];
    json_t *d = doc();
    tt_rng r;
    tt_rng_seed(&r, 42);
    int ok = 0;
    for (int i = 0; i < 5000; i++) {
        char buf[256] = "";
        size_t len = 0;
        int n = 1 + (int)tt_rng_below(&r, 14);
        for (int k = 0; k < n; k++) {
            const char *t = tok[tt_rng_below(&r, nt)];
            size_t l = strlen(t);
            if (len + l >= sizeof buf) break;
            memcpy(buf + len, t, l);
            len += l;
            buf[len] = 0;
        }
        char err[TT_ERR_SIZE], *out = NULL;
        int rc = template_render("fuzz", buf, d, &out, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE);
        ok += rc == TT_OK;
        free(out);
        json_t *v = NULL;
        rc = template_eval("fuzz", buf, d, &v, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE);
        json_decref(v);
    }
    assert_true(ok > 0);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_render_fields),
        cmocka_unit_test(test_template_render_methods),
        cmocka_unit_test(test_template_render_literals_and_helpers),
        cmocka_unit_test(test_template_render_jinja_blocks_and_filters),
        cmocka_unit_test(test_template_eval_values),
        cmocka_unit_test(test_template_render_errors_name_position),
        cmocka_unit_test(test_template_render_random_input_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
