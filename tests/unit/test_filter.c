/*
 * test_filter.c — filter.c and pytext.c: filter chains parsed from task
 * JSON and applied to response lists, each expected value worked out by
 * hand from lm-eval's filter semantics (lm_eval/filters/) and Python's re
 * behaviour. (core/pytext.c itself: test_pytext.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/filter.h"
#include "judges/metrics.h"
#include "core/pytext.h"
#include "core/util.h"

/* Parses chain JSON text, applies it to resps, returns the first output
 * (caller frees) and the output count in *n_out. */
static char *run_chain(const char *json, const char *const *resps, int n, int *n_out)
{
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    assert_non_null(j);
    filter_chain *c = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = filter_chain_parse(j, &c, err);
    if (rc) fail_msg("parse failed: %s", err);
    json_decref(j);
    char **out = NULL;
    assert_int_equal(filter_chain_apply(c, resps, n, &out, n_out), TT_OK);
    char *first = *n_out > 0 ? strdup(out[0]) : NULL;
    filter_strings_free(out, *n_out);
    filter_chain_free(c);
    return first;
}

static char *run1(const char *json, const char *resp)
{
    const char *r[1] = { resp };
    int n;
    return run_chain(json, r, 1, &n);
}

static void expect_parse_error(const char *json, const char *needle)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    filter_chain *c = NULL;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(filter_chain_parse(j, &c, err), TT_ERR_PARSE);
    assert_null(c);
    if (!strstr(err, needle)) fail_msg("error '%s' lacks '%s'", err, needle);
    json_decref(j);
}

#define GSM_STRICT                                                                                   \
    "{\"name\":\"strict-match\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"             \
    "\"#### (\\\\-?[0-9\\\\.\\\\,]+)\",\"group_select\":0,\"fallback\":\"[invalid]\"},"             \
    "{\"function\":\"take_first\"}]}"

static void test_filter_regex_gsm8k_strict(void **state)
{
    (void)state;
    char *s = run1(GSM_STRICT, "3 + 4 = 7 apples.\n#### 7");
    assert_string_equal(s, "7");
    free(s);
    /* the class [0-9.,] keeps the separators: "#### 1,234.5 done" -> "1,234.5" */
    s = run1(GSM_STRICT, "#### 1,234.5 done");
    assert_string_equal(s, "1,234.5");
    free(s);
    s = run1(GSM_STRICT, "#### -12");
    assert_string_equal(s, "-12");
    free(s);
}

static void test_filter_regex_no_match_fallback(void **state)
{
    (void)state;
    char *s = run1(GSM_STRICT, "The answer is 7.");
    assert_string_equal(s, "[invalid]");
    free(s);
    s = run1(GSM_STRICT, "");
    assert_string_equal(s, "[invalid]");
    free(s);
    s = run1(GSM_STRICT, NULL);   /* a non-string response is "" */
    assert_string_equal(s, "[invalid]");
    free(s);
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"Z(\\\\d)\","
             "\"fallback\":\"none found\"}]}", "abc");
    assert_string_equal(s, "none found");
    free(s);
}

static void test_filter_regex_group_select(void **state)
{
    (void)state;
    /* findall("(\d+)", "a 1 b 22 c 333") = ["1", "22", "333"] */
    const char *resp = "a 1 b 22 c 333";
    char *s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(\\\\d+)\","
                   "\"group_select\":-1}]}", resp);
    assert_string_equal(s, "333");
    free(s);
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(\\\\d+)\","
             "\"group_select\":1}]}", resp);
    assert_string_equal(s, "22");
    free(s);
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(\\\\d+)\","
             "\"group_select\":-3}]}", resp);
    assert_string_equal(s, "1");
    free(s);
    /* out of range -> fallback */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(\\\\d+)\","
             "\"group_select\":3}]}", resp);
    assert_string_equal(s, "[invalid]");
    free(s);
}

static void test_filter_regex_groups_and_strip(void **state)
{
    (void)state;
    /* two groups: findall gives tuples; the first non-empty group wins */
    char *s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(A)|(B)\"}]}",
                   "xxB");
    assert_string_equal(s, "B");
    free(s);
    /* no group: the whole match */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"[0-9]+\"}]}", "ab 42 c");
    assert_string_equal(s, "42");
    free(s);
    /* the selected text is stripped: group "  42  " -> "42" */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"answer:(.*)\"}]}",
             "answer:   42  ");
    assert_string_equal(s, "42");
    free(s);
    /* (?:...) does not count as a group: findall yields group 1 = "c" */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(?:a|b)(c)\"}]}", "zbc");
    assert_string_equal(s, "c");
    free(s);
    /* "." stops at a newline as in Python: answer is "7", not "7\nmore" */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"is (.*)\"}]}",
             "it is 7\nmore");
    assert_string_equal(s, "7");
    free(s);
}

/* Patterns from lm-eval's shipped task YAMLs, which need Python's `re` rather
 * than POSIX: look-behind and look-ahead, lazy quantifiers, \s, the first
 * alternative winning. Each expected value is Python's re.findall result
 * reduced as lm-eval's RegexFilter reduces it (lm_eval/filters/extraction.py:
 * match[group_select], first non-empty group of a tuple, .strip()). */
static void test_filter_regex_lmeval_shipped_patterns(void **state)
{
    (void)state;
    /* bbh/cot_fewshot/_cot_fewshot_template_yaml:
     * re.findall(r"(?<=the answer is )(.*)(?=.)", "So the answer is (B).") == ['(B)'] */
    char *s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"
                   "\"(?<=the answer is )(.*)(?=.)\"}]}", "So the answer is (B).");
    assert_string_equal(s, "(B)");
    free(s);
    /* mmlu/generative/_default_template_yaml: r"^(.*?)(?=\n|$)" on "C. Paris\nmore" -> 'C. Paris' */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"
             "\"^(.*?)(?=\\\\n|$)\"}]}", "C. Paris\nmore");
    assert_string_equal(s, "C. Paris");
    free(s);
    /* kmmlu/cot_hard/_cot_kmmlu_yaml: r"(?<=정답은)\s*[(]?(A|B|C|D)[)]?.*(?=입니다.)" -> 'C' */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"
             "\"(?<=정답은)\\\\s*[(]?(A|B|C|D)[)]?.*(?=입니다.)\"}]}", "따라서 정답은 (C) 입니다.");
    assert_string_equal(s, "C");
    free(s);
    /* leftmost-first: re.findall(r"(?P<a>yes|yesterday)", "yesterday") == ['yes']
     * (POSIX's leftmost-longest would give 'yesterday') */
    s = run1("{\"name\":\"x\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":"
             "\"(?P<a>yes|yesterday)\"}]}", "yesterday");
    assert_string_equal(s, "yes");
    free(s);
}

static void test_filter_last_number_flexible_extract(void **state)
{
    (void)state;
    /* (-?[$0-9.,]{2,})|(-?[0-9]+) on "Total: 18 dollars. So $1,080." finds
     * "18" then "$1,080."; group_select -1 takes the last. */
    char *s = run1("{\"name\":\"flexible-extract\",\"filter\":[{\"function\":\"last_number\"},"
                   "{\"function\":\"take_first\"}]}", "Total: 18 dollars. So $1,080.");
    assert_string_equal(s, "$1,080.");
    free(s);
    /* a lone digit only matches the second alternative: "... 5 apples" -> "5" */
    s = run1("{\"name\":\"f\",\"filter\":[{\"function\":\"last_number\"}]}", "had 12, ate 5 apples");
    assert_string_equal(s, "5");
    free(s);
    s = run1("{\"name\":\"f\",\"filter\":[{\"function\":\"last_number\",\"fallback\":\"?\"}]}", "no digits");
    assert_string_equal(s, "?");
    free(s);
}

static void test_filter_take_first_and_none(void **state)
{
    (void)state;
    const char *r[3] = { "first", "second", "third" };
    int n;
    char *s = run_chain("{\"name\":\"none\",\"filter\":[{\"function\":\"take_first\"}]}", r, 3, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s, "first");
    free(s);
    /* a chain with no filters is take_first as well */
    s = run_chain("{\"name\":\"none\"}", r, 3, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s, "first");
    free(s);
    filter_chain *c = filter_chain_none();
    assert_string_equal(filter_chain_name(c), "none");
    char **out;
    filter_chain_apply(c, r, 3, &out, &n);
    assert_int_equal(n, 1);
    assert_string_equal(out[0], "first");
    filter_strings_free(out, n);
    filter_chain_free(c);
    /* take_first_k keeps k */
    json_t *j = json_loads("{\"name\":\"k\",\"filter\":[{\"function\":\"take_first_k\",\"k\":2}]}", 0, NULL);
    char err[TT_ERR_SIZE];
    assert_int_equal(filter_chain_parse(j, &c, err), TT_OK);
    filter_chain_apply(c, r, 3, &out, &n);
    assert_int_equal(n, 2);
    assert_string_equal(out[1], "second");
    filter_strings_free(out, n);
    filter_chain_free(c);
    json_decref(j);
    /* zero responses: nothing out, no crash */
    s = run_chain("{\"name\":\"none\"}", r, 0, &n);
    assert_int_equal(n, 0);
    assert_null(s);
}

static void test_filter_majority_vote_ties(void **state)
{
    (void)state;
    int n;
    /* counts a:2 b:2 c:1 -> tie between a and b; a was seen first */
    const char *r1[5] = { "a", "b", "b", "a", "c" };
    char *s = run_chain("{\"name\":\"mv\",\"filter\":[{\"function\":\"majority_vote\"}]}", r1, 5, &n);
    assert_int_equal(n, 1);
    assert_string_equal(s, "a");
    free(s);
    const char *r2[3] = { "x", "y", "y" };
    s = run_chain("{\"name\":\"mv\",\"filter\":[{\"function\":\"majority_vote\"}]}", r2, 3, &n);
    assert_string_equal(s, "y");
    free(s);
    /* regex then vote (self-consistency): "#### 3", "#### 4", "#### 4" -> "4" */
    const char *r3[3] = { "so #### 3", "#### 4", "then #### 4" };
    s = run_chain("{\"name\":\"maj\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"#### (\\\\d+)\"},"
                  "{\"function\":\"majority_vote\"},{\"function\":\"take_first\"}]}", r3, 3, &n);
    assert_string_equal(s, "4");
    free(s);
}

static void test_filter_case_strip_whitespace(void **state)
{
    (void)state;
    char *s = run1("{\"name\":\"l\",\"filter\":[{\"function\":\"lowercase\"}]}", "AbC 北京");
    assert_string_equal(s, "abc 北京");
    free(s);
    s = run1("{\"name\":\"u\",\"filter\":[{\"function\":\"uppercase\"}]}", "AbC");
    assert_string_equal(s, "ABC");
    free(s);
    s = run1("{\"name\":\"s\",\"filter\":[{\"function\":\"strip\"}]}", " \t Hi there \n");
    assert_string_equal(s, "Hi there");
    free(s);
    /* U+3000 IDEOGRAPHIC SPACE is whitespace for Python's str.strip() */
    s = run1("{\"name\":\"s\",\"filter\":[{\"function\":\"strip\"}]}", "\xe3\x80\x80答案\xe3\x80\x80");
    assert_string_equal(s, "答案");
    free(s);
    s = run1("{\"name\":\"s\",\"filter\":[{\"function\":\"strip\"}]}", "   ");
    assert_string_equal(s, "");
    free(s);
    /* remove_whitespace: lm-eval's WhitespaceFilter (lm_eval/filters/extraction.py)
     * returns resp.strip(): "  x ".strip() == "x", "\u3000x\n".strip() == "x" */
    s = run1("{\"name\":\"w\",\"filter\":[{\"function\":\"remove_whitespace\"}]}", "  x ");
    assert_string_equal(s, "x");
    free(s);
    s = run1("{\"name\":\"w\",\"filter\":[{\"function\":\"remove_whitespace\"}]}", "\xe3\x80\x80x\n");
    assert_string_equal(s, "x");
    free(s);
    s = run1("{\"name\":\"w\",\"filter\":[{\"function\":\"remove_whitespace\"}]}", "x");
    assert_string_equal(s, "x");
    free(s);
    /* lm-eval's LowercaseFilter / UppercaseFilter (lm_eval/filters/transformation.py)
     * are resp.lower() / resp.upper(): "ÉΑЖ İ ΟΔΟΣ".lower() == "éαж i̇ οδος" (final
     * sigma, İ -> i + U+0307), "straße".upper() == "STRASSE" */
    s = run1("{\"name\":\"l\",\"filter\":[{\"function\":\"lowercase\"}]}", "ÉΑЖ İ ΟΔΟΣ");
    assert_string_equal(s, "éαж i\xcc\x87 οδος");
    free(s);
    s = run1("{\"name\":\"u\",\"filter\":[{\"function\":\"uppercase\"}]}", "straße");
    assert_string_equal(s, "STRASSE");
    free(s);
}

static void test_filter_map(void **state)
{
    (void)state;
    const char *with_default = "{\"name\":\"m\",\"filter\":[{\"function\":\"map\",\"mapping_dict\":"
                               "{\"A\":\"0\",\"B\":\"1\"},\"default_value\":\"-1\"}]}";
    char *s = run1(with_default, "B");
    assert_string_equal(s, "1");
    free(s);
    s = run1(with_default, "Z");
    assert_string_equal(s, "-1");
    free(s);
    s = run1("{\"name\":\"m\",\"filter\":[{\"function\":\"map\",\"mapping_dict\":{\"A\":\"0\"}}]}", "Z");
    assert_string_equal(s, "Z");
    free(s);
}

static void test_filter_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"regexx\"}]}",
                       "filter chain 'c' step 1 'regexx': unknown filter function");
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"take_first\"},"
                       "{\"function\":\"regex\",\"group_select\":\"0\"}]}",
                       "step 2 'regex': field 'group_select' must be an integer");
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"regex\",\"pattern\":\"x\"}]}",
                       "unknown field 'pattern'");
    /* what Python's re rejects: re.compile(r"\p{L}") raises "bad escape \p" */
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"\\\\p{L}\"}]}",
                       "bad escape \\p");
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"[a-\"}]}",
                       "regex_pattern");
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"map\"}]}", "'mapping_dict' must be an object");
    expect_parse_error("{\"name\":\"c\",\"filter\":[{\"function\":\"take_first_k\",\"k\":0}]}", "'k'");
    expect_parse_error("{\"name\":\"c\",\"filter\":[\"take_first\"]}", "step 1: must be an object");
    expect_parse_error("{\"filter\":[]}", "'name'");
}

static void test_filter_list_parse_default_and_duplicates(void **state)
{
    (void)state;
    filter_chain **v = NULL;
    int n = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(filter_list_parse(NULL, &v, &n, err), TT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(filter_chain_name(v[0]), "none");
    filter_chains_free(v, n);
    json_t *j = json_loads("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"a\"}]", 0, NULL);
    assert_int_equal(filter_list_parse(j, &v, &n, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "'a' used twice"));
    json_decref(j);
    j = json_loads("[{\"name\":\"strict\",\"filter\":[{\"function\":\"regex\"}]},{\"name\":\"none\"}]", 0, NULL);
    assert_int_equal(filter_list_parse(j, &v, &n, err), TT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(filter_chain_name(v[1]), "none");
    filter_chains_free(v, n);
    json_decref(j);
}

static void test_filter_random_bytes_are_safe(void **state)
{
    (void)state;
    const char *chains[3] = {
        GSM_STRICT,
        "{\"name\":\"f\",\"filter\":[{\"function\":\"last_number\"},{\"function\":\"strip\"},"
        "{\"function\":\"lowercase\"},{\"function\":\"majority_vote\"}]}",
        "{\"name\":\"g\",\"filter\":[{\"function\":\"regex\",\"regex_pattern\":\"(x*)|(\\\\s)\"},"
        "{\"function\":\"remove_whitespace\"},{\"function\":\"take_first\"}]}",
    };
    tt_rng r;
    tt_rng_seed(&r, 11);
    char buf[3][80];
    for (int c = 0; c < 3; c++) {
        json_t *j = json_loads(chains[c], 0, NULL);
        assert_non_null(j);
        filter_chain *fc;
        char err[TT_ERR_SIZE];
        if (filter_chain_parse(j, &fc, err)) fail_msg("%s", err);
        for (int iter = 0; iter < 1000; iter++) {
            const char *resps[3];
            for (int k = 0; k < 3; k++) {
                size_t n = tt_rng_below(&r, 79);
                for (size_t i = 0; i < n; i++) buf[k][i] = (char)(1 + tt_rng_below(&r, 255));
                buf[k][n] = '\0';
                resps[k] = buf[k];
            }
            char **out;
            int no;
            assert_int_equal(filter_chain_apply(fc, resps, 3, &out, &no), TT_OK);
            assert_int_equal(no, 1);
            assert_non_null(out[0]);
            filter_strings_free(out, no);
        }
        filter_chain_free(fc);
        json_decref(j);
    }
}

/* Real data: every GSM8K test answer ends in "#### N". Fed back as a model
 * response, lm-eval's strict-match and flexible-extract chains followed by
 * gsm8k's exact_match (regexes_to_ignore , $ (?s).*#### \.$) must give the
 * target for all 1319 documents (CPython's re gives 1319/1319 for both).
 * Skips when $TIANTI_SHARED_DIR/datasets/gsm8k/test.jsonl is absent. */
static void test_filter_gsm8k_real_answers(void **state)
{
    (void)state;
    const char *shared = getenv("TIANTI_SHARED_DIR");
    char *path = tt_path_join(shared ? shared : "../shared", "datasets/gsm8k/test.jsonl");
    char *text = NULL;
    size_t len;
    char err[TT_ERR_SIZE];
    if (tt_read_file(path, &text, &len, err)) {
        print_message("skipping: %s not readable (set TIANTI_SHARED_DIR)\n", path);
        free(path);
        skip();
    }
    static const char *const chains[2] = {
        GSM_STRICT,
        "{\"name\":\"flexible-extract\",\"filter\":[{\"function\":\"last_number\"},{\"function\":\"take_first\"}]}",
    };
    filter_chain *fc[2];
    for (int c = 0; c < 2; c++) {
        json_t *j = json_loads(chains[c], 0, NULL);
        assert_int_equal(filter_chain_parse(j, &fc[c], err), TT_OK);
        json_decref(j);
    }
    json_t *mj = json_loads("[{\"metric\":\"exact_match\",\"regexes_to_ignore\":[\",\",\"\\\\$\","
                            "\"(?s).*#### \",\"\\\\.$\"]}]", 0, NULL);
    assert_non_null(mj);
    metric_spec *em;
    int nm;
    assert_int_equal(metric_spec_parse(mj, &em, &nm, err), TT_OK);
    int docs = 0, hits[2] = { 0, 0 };
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *d = json_loads(line, 0, NULL);
        if (!d) fail_msg("%s: bad JSON line %d", path, docs + 1);
        const char *answer = json_string_value(json_object_get(d, "answer"));
        assert_non_null(answer);
        const char *last = answer, *p;
        while ((p = strstr(last, "####")) != NULL) last = p + 4;
        pytext_span t = pytext_strip(last, strlen(last));
        char *target = strndup(t.p, t.len);
        for (int c = 0; c < 2; c++) {
            char **out;
            int no;
            filter_chain_apply(fc[c], &answer, 1, &out, &no);
            double item[16];
            const char *tg = target;
            assert_int_equal(metric_score_generation(em, out[0], &tg, 1, item, err), TT_OK);
            hits[c] += item[0] == 1.0;
            filter_strings_free(out, no);
        }
        free(target);
        json_decref(d);
        docs++;
    }
    assert_int_equal(docs, 1319);
    assert_int_equal(hits[0], 1319);
    assert_int_equal(hits[1], 1319);
    metric_specs_free(em, nm);
    json_decref(mj);
    filter_chain_free(fc[0]);
    filter_chain_free(fc[1]);
    free(text);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_regex_gsm8k_strict),
        cmocka_unit_test(test_filter_regex_no_match_fallback),
        cmocka_unit_test(test_filter_regex_group_select),
        cmocka_unit_test(test_filter_regex_groups_and_strip),
        cmocka_unit_test(test_filter_regex_lmeval_shipped_patterns),
        cmocka_unit_test(test_filter_last_number_flexible_extract),
        cmocka_unit_test(test_filter_take_first_and_none),
        cmocka_unit_test(test_filter_majority_vote_ties),
        cmocka_unit_test(test_filter_case_strip_whitespace),
        cmocka_unit_test(test_filter_map),
        cmocka_unit_test(test_filter_parse_errors),
        cmocka_unit_test(test_filter_list_parse_default_and_duplicates),
        cmocka_unit_test(test_filter_random_bytes_are_safe),
        cmocka_unit_test(test_filter_gsm8k_real_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
