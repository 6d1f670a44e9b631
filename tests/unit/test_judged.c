/*
 * test_judged.c — judges/judged.c and the parser of arena/tag.c, against
 * the regular expressions FastChat and arena-hard-auto use (worked out
 * here case by case): MT-bench's "[[x]]" rating with the "[x]" fallback
 * and -1 when there is none, the pairwise verdict read in FastChat's order,
 * Arena-Hard's last label of the upper-cased reply and its battle weights,
 * Python str.format filling with escapes and missing fields, the prompt
 * names per category and turn, the temperatures, the judge prompt file,
 * and Chatbot Arena's criteria list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/tag.h"
#include "core/util.h"
#include "judges/judged.h"

static void test_rating_fastchat(void **state)
{
    (void)state;
    static const struct { const char *text; double want; int rc; } cases[] = {
        {"Rating: [[8]]", 8, 0},
        {"Rating: [[7.5]] and later [[3]]", 7.5, 0},    /* the first [[x]] */
        {"score [9] then [[4]]", 4, 0},                  /* [[x]] anywhere beats an earlier [x] */
        {"[10.]", 10, 0},                                 /* \d+\.?\d* allows a bare point */
        {"[[0]]", 0, 0},                                  /* no range check */
        {"[[11]]", 11, 0},
        {"[[ 8 ]] nothing", -1, -1},                      /* spaces do not match */
        {"[[8/10]] [x] [7", -1, -1},
        {"[[[6]]]", 6, 0},
        {"Rating: 8", -1, -1},
        {"", -1, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double s = 123;
        int rc = judge_parse_rating_fastchat(cases[i].text, &s);
        if (rc != cases[i].rc || s != cases[i].want)
            fail_msg("case %zu '%s': rc %d score %g, want %d %g", i, cases[i].text, rc, s, cases[i].rc, cases[i].want);
    }
    double s;
    assert_int_equal(judge_parse_rating_fastchat(NULL, &s), -1);
    assert_true(s == -1);
}

static void test_pair_fastchat(void **state)
{
    (void)state;
    assert_int_equal(judge_parse_pair_fastchat("verdict: [[B]]"), JUDGE_VERDICT_B);
    assert_int_equal(judge_parse_pair_fastchat("[[B]] ... no, [[A]]"), JUDGE_VERDICT_A);   /* A is looked for first */
    assert_int_equal(judge_parse_pair_fastchat("[[C]]"), JUDGE_VERDICT_TIE);
    assert_int_equal(judge_parse_pair_fastchat("[[c]]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_fastchat("[A]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_fastchat(NULL), JUDGE_VERDICT_ERROR);
}

static void test_arena_hard_labels(void **state)
{
    (void)state;
    char label[16];
    assert_int_equal(judge_parse_arena_hard("My final verdict is: [[A>B]]", label), 0);
    assert_string_equal(label, "A>B");
    assert_int_equal(judge_parse_arena_hard("[[a>>b]]", label), 0);          /* upper-cased first */
    assert_string_equal(label, "A>>B");
    assert_int_equal(judge_parse_arena_hard("[[A>B]] hmm, [[B=A]] no: [[B>A]]", label), 0);   /* the last */
    assert_string_equal(label, "B>A");
    assert_int_equal(judge_parse_arena_hard("[B>A] and [[A=B]]", label), 0);  /* [[..]] before the fallback */
    assert_string_equal(label, "A=B");
    assert_int_equal(judge_parse_arena_hard("only [A>>B] here [x]", label), 0);
    assert_string_equal(label, "A>>B");
    assert_int_equal(judge_parse_arena_hard("[[A > B]] [[]]", label), -1);
    assert_int_equal(judge_parse_arena_hard(NULL, label), -1);

    int model_won, weight;
    /* game 1: the baseline is A */
    judge_arena_hard_battle("A>>B", 1, &model_won, &weight);
    assert_true(model_won == 0 && weight == 3);
    judge_arena_hard_battle("B>A", 1, &model_won, &weight);
    assert_true(model_won == 1 && weight == 1);
    /* game 2: the model is A */
    judge_arena_hard_battle("A>>B", 2, &model_won, &weight);
    assert_true(model_won == 1 && weight == 3);
    judge_arena_hard_battle("B>>A", 2, &model_won, &weight);
    assert_true(model_won == 0 && weight == 3);
    judge_arena_hard_battle("A=B", 2, &model_won, &weight);
    assert_true(model_won == 2 && weight == 1);
    judge_arena_hard_battle("B=A", 1, &model_won, &weight);    /* not one of the five: dropped */
    assert_int_equal(weight, 0);
    judge_arena_hard_battle("A>>>B", 1, &model_won, &weight);
    assert_int_equal(weight, 0);
}

static void test_format(void **state)
{
    (void)state;
    const char *names[] = {"question", "answer"};
    const char *values[] = {"Why {x}?", "Because."};
    char *out, err[TT_ERR_SIZE];
    assert_int_equal(judge_format("Q: {question}\nA: {answer} {{literal}} [[rating]]", names, values, 2, &out, err),
                     TT_OK);
    assert_string_equal(out, "Q: Why {x}?\nA: Because. {literal} [[rating]]");   /* values are not formatted again */
    free(out);
    assert_int_equal(judge_format("{ref_answer_1}", names, values, 2, &out, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "ref_answer_1"));
    assert_int_equal(judge_format("a } b", names, values, 2, &out, err), TT_ERR_PARSE);
    assert_int_equal(judge_format("a { b", names, values, 2, &out, err), TT_ERR_PARSE);
}

static void test_names_and_temperatures(void **state)
{
    (void)state;
    assert_string_equal(judge_mtbench_prompt_name(0, 0, 1), "single-v1");
    assert_string_equal(judge_mtbench_prompt_name(0, 1, 1), "single-math-v1");
    assert_string_equal(judge_mtbench_prompt_name(0, 0, 2), "single-v1-multi-turn");
    assert_string_equal(judge_mtbench_prompt_name(0, 1, 2), "single-math-v1-multi-turn");
    assert_string_equal(judge_mtbench_prompt_name(1, 0, 1), "pair-v2");
    assert_string_equal(judge_mtbench_prompt_name(1, 1, 2), "pair-math-v1-multi-turn");
    assert_true(judge_needs_reference("math") && judge_needs_reference("reasoning") && judge_needs_reference("coding"));
    assert_false(judge_needs_reference("writing") || judge_needs_reference("stem") || judge_needs_reference(NULL));
    assert_true(judge_mtbench_temperature("writing") == 0.7 && judge_mtbench_temperature("roleplay") == 0.7);
    assert_true(judge_mtbench_temperature("math") == 0.0 && judge_mtbench_temperature("extraction") == 0.0);
    assert_true(judge_mtbench_temperature("stem") == 0.1 && judge_mtbench_temperature("humanities") == 0.1);
    assert_true(judge_mtbench_temperature("generic") == 0.7);
}

static void test_prompt_file(void **state)
{
    (void)state;
    char *dir = getenv("TIANTI_SOURCE_DIR") ? getenv("TIANTI_SOURCE_DIR") : ".";
    char *path = tt_path_join(dir, "tests/data/mtbench/judge_prompts.jsonl");
    judge_prompts p;
    char err[TT_ERR_SIZE];
    assert_int_equal(judge_prompts_load(path, &p, err), TT_OK);
    free(path);
    assert_int_equal(p.n, 8);
    const judge_prompt *jp = judge_prompts_find(&p, "single-math-v1-multi-turn");
    assert_non_null(jp);
    assert_string_equal(jp->type, "single");
    assert_null(judge_prompts_find(&p, "pair-v1"));
    judge_prompts_free(&p);

    char tmpl[] = "/tmp/tianti-prompts-XXXXXX";
    int fd = mkstemp(tmpl);
    const char *bad = "{\"name\": \"x\", \"type\": \"single\"}\n";
    assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    assert_int_equal(judge_prompts_load(tmpl, &p, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, ":1: field 'system_prompt'"));
    judge_prompts_free(&p);
    unlink(tmpl);
}

static void test_tag_criteria(void **state)
{
    (void)state;
    assert_int_equal(arena_tag_parse("[1, 2, 3, 4, 6, 7]"), 0x6F);
    assert_int_equal(arena_tag_parse("Criteria: [1]"), 1);
    assert_int_equal(arena_tag_parse("[1, 2] then again [1, 2]"), 3);    /* one distinct list */
    assert_int_equal(arena_tag_parse("[1, 2] or [3]"), -1);               /* two different lists */
    assert_int_equal(arena_tag_parse("[1,2]"), -1);                       /* the pattern wants ", " */
    assert_int_equal(arena_tag_parse("none"), -1);
    assert_int_equal(arena_tag_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rating_fastchat),
        cmocka_unit_test(test_pair_fastchat),
        cmocka_unit_test(test_arena_hard_labels),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_names_and_temperatures),
        cmocka_unit_test(test_prompt_file),
        cmocka_unit_test(test_tag_criteria),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
