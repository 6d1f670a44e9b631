/*
 * test_runner.c — pieces of the runner that stand alone: the letter
 * extraction used by the generative fallback for multiple choice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "harness/score.h"

static void test_score_extract_choice_letters(void **state)
{
    (void)state;
    const char *ch[] = {"Paris", "London", "Berlin", "Rome"};
    assert_int_equal(score_extract_choice(" B", ch, 4), 1);
    assert_int_equal(score_extract_choice("(C) Berlin", ch, 4), 2);
    assert_int_equal(score_extract_choice("答案：D", ch, 4), 3);
    assert_int_equal(score_extract_choice("The answer is A.", ch, 4), 0);
    /* Letters inside words do not count; a letter past the choices does not either. */
    assert_int_equal(score_extract_choice("Because London", ch, 4), 1);
    assert_int_equal(score_extract_choice("E", ch, 4), -1);
    assert_int_equal(score_extract_choice("no idea", ch, 4), -1);
    assert_int_equal(score_extract_choice("", ch, 4), -1);
    assert_int_equal(score_extract_choice(NULL, ch, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_score_extract_choice_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
