/*
 * test_math_answer.c — judges/math_answer.c: MATH Lvl 5 answer extraction
 * and normalisation. The expected strings are what lm-evaluation-harness's
 * lm_eval/tasks/leaderboard/math/utils.py functions return for the same
 * inputs (last_boxed_only_string, remove_boxed, get_unnormalized_answer,
 * normalize_final_answer — pure Python, run on these inputs when the test
 * was written); math_score is process_result_v1 with the number-only
 * equivalence documented in math_answer.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "judges/math_answer.h"

static void expect_norm(const char *in, const char *want)
{
    char *got = math_normalize_final_answer(in);
    if (strcmp(got, want)) fail_msg("normalize_final_answer(%s) = '%s', want '%s'", in, got, want);
    free(got);
}

static void test_math_normalize_final_answer(void **state)
{
    (void)state;
    expect_norm("\\frac{1}{2}", "\\frac{1}{2}");
    expect_norm("\\$1,000", "1000");                 /* "\\$" removed, then 1,000 -> 1000 */
    expect_norm("10 \\text{ cm}", "10");             /* spaces go, "cm" removed, \text{} removed */
    expect_norm("x = 5", "5");                       /* split("=")[-1] */
    expect_norm("\\boxed{3}", "3");
    expect_norm("\\text{(A)}", "(A)");
    expect_norm("frac12", "frac{1}{2}");             /* (frac)([^{])(.) */
    expect_norm("\\sqrt2", "\\sqrt{2}");
    expect_norm("5 ways", "5");
    expect_norm("\\dfrac{3}{4}", "\\dfrac{3}{4}");
    expect_norm("0.5", "0.5");
    expect_norm("1,000,000", "1000000");
    expect_norm("$\\frac{\\sqrt{3}}{2}$", "\\frac{\\sqrt{3}}{2}");
    expect_norm("[2,5)", "[2,5)");
    expect_norm("100^\\circ", "100");
    expect_norm("an apple", "apple");                /* "an " is a substitution */
}

static void expect_boxed(const char *solution, const char *boxed, const char *inside)
{
    char *b = math_last_boxed(solution), *i = math_remove_boxed(b);
    if (strcmp(b, boxed) || strcmp(i, inside))
        fail_msg("'%s': last boxed '%s' (want '%s'), inside '%s' (want '%s')", solution, b, boxed, i, inside);
    free(b);
    free(i);
}

static void test_math_boxed(void **state)
{
    (void)state;
    expect_boxed("so $\\boxed{24}$.", "\\boxed{24}", "24");
    expect_boxed("the answer is \\boxed{\\frac{1}{2}} and also \\boxed{x^{2}}.", "\\boxed{x^{2}}", "x^{2}");
    expect_boxed("no box here", MATH_INVALID_ANSWER, MATH_INVALID_ANSWER);
    expect_boxed("\\boxed 7$ done", "\\boxed 7", "7");
    expect_boxed("\\fbox{9}", "\\fbox{9}", MATH_INVALID_ANSWER);   /* remove_boxed knows \boxed only */
    expect_boxed("\\boxed{unclosed", MATH_INVALID_ANSWER, MATH_INVALID_ANSWER);
}

static void test_math_unnormalized_answer(void **state)
{
    (void)state;
    char *a = math_unnormalized_answer("Final Answer: The final answer is $24$. I hope it is correct.");
    assert_string_equal(a, "$24$");
    free(a);
    /* "I hope it is correct." is appended first; "3.5I hope" has no ". I hope" */
    a = math_unnormalized_answer("blah Final Answer: The final answer is 3.5");
    assert_string_equal(a, MATH_INVALID_ANSWER);
    free(a);
    a = math_unnormalized_answer("Final Answer: The final answer is 7.");
    assert_string_equal(a, MATH_INVALID_ANSWER);     /* "7.I hope": no space before "I hope" */
    free(a);
    a = math_unnormalized_answer("Final Answer: The final answer is 7. ");
    assert_string_equal(a, "7");                     /* "7. I hope": (.*?) = " 7", stripped */
    free(a);
}

static void test_math_score(void **state)
{
    (void)state;
    assert_int_equal(math_score("Final Answer: The final answer is $24$. I hope it is correct.", "24"), 1);
    assert_int_equal(math_score("Final Answer: The final answer is $25$. I hope it is correct.", "24"), 0);
    assert_int_equal(math_score("The answer is 24.", "24"), 0);   /* no "Final Answer" phrase */
    /* equal numbers in other forms (sympy's simplify agrees on numbers) */
    assert_int_equal(math_score("Final Answer: The final answer is $0.5$. I hope it is correct.", "\\frac{1}{2}"), 1);
    assert_int_equal(math_score("Final Answer: The final answer is $-\\dfrac{2}{3}$. I hope it is correct.", "-\\frac{2}{3}"), 1);
    assert_int_equal(math_score("Final Answer: The final answer is $10.0$. I hope it is correct.", "10"), 1);
    assert_int_equal(math_score("Final Answer: The final answer is $\\sqrt{2}$. I hope it is correct.", "\\sqrt2"), 1);
    assert_int_equal(math_score("Final Answer: The final answer is $x+1$. I hope it is correct.", "1+x"), 0);
    assert_true(math_equivalent("3/4", "0.75"));
    assert_false(math_equivalent("3/4", "0.7"));
    assert_false(math_equivalent("x", "x"));      /* not numbers: string equality decides elsewhere */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_math_normalize_final_answer),
        cmocka_unit_test(test_math_boxed),
        cmocka_unit_test(test_math_unnormalized_answer),
        cmocka_unit_test(test_math_score),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
