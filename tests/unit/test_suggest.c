/*
 * test_suggest.c — core/suggest.c: the optimal-string-alignment distance
 * on textbook pairs (worked out here by hand), its case and '-'/'_'
 * folding, and which near misses tt_suggest offers and which it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/suggest.h"

static void test_edit_distance_textbook_pairs(void **state)
{
    (void)state;
    assert_int_equal(tt_edit_distance("", ""), 0);
    assert_int_equal(tt_edit_distance("", "abc"), 3);
    assert_int_equal(tt_edit_distance("abc", ""), 3);
    /* kitten -> sitten -> sittin -> sitting */
    assert_int_equal(tt_edit_distance("kitten", "sitting"), 3);
    /* one transposition costs 1 (Levenshtein alone would say 2) */
    assert_int_equal(tt_edit_distance("ab", "ba"), 1);
    assert_int_equal(tt_edit_distance("demo_arth", "demo_arith"), 1);
    assert_int_equal(tt_edit_distance("rnu", "run"), 1);
    /* optimal string alignment: no edit of a transposed pair, so CA -> ABC
     * is 3 (unrestricted Damerau-Levenshtein would give 2) */
    assert_int_equal(tt_edit_distance("ca", "abc"), 3);
    /* symmetric */
    assert_int_equal(tt_edit_distance("sitting", "kitten"), 3);
}

static void test_edit_distance_folds_case_and_dashes(void **state)
{
    (void)state;
    assert_int_equal(tt_edit_distance("Q8_0", "q8_0"), 0);
    assert_int_equal(tt_edit_distance("num_fewshot", "num-fewshot"), 0);
    assert_int_equal(tt_edit_distance("NUM_FEWSHOT", "num-fewshot"), 0);
}

static void test_suggest_near_misses_only(void **state)
{
    (void)state;
    const char *tasks[] = {"demo_arith", "demo_facts_gen", "demo_facts_mc_en", "gsm8k", NULL, "mmlu"};
    size_t n = sizeof tasks / sizeof tasks[0];
    assert_string_equal(tt_suggest("demo_arth", tasks, n), "demo_arith");
    assert_string_equal(tt_suggest("gsm8", tasks, n), "gsm8k");
    assert_string_equal(tt_suggest("MMLU", tasks, n), "mmlu");
    /* nothing close: no guess */
    assert_null(tt_suggest("hellaswag", tasks, n));
    assert_null(tt_suggest("", tasks, n));
    assert_null(tt_suggest(NULL, tasks, n));
    /* a prefix of exactly one name is offered, of several is not */
    assert_string_equal(tt_suggest("demo_ar", tasks, n), "demo_arith");
    assert_null(tt_suggest("demo_facts", tasks, n));
    /* short words allow one edit only */
    const char *cmds[] = {"run", "results", "tasks", "serve", "bench"};
    assert_string_equal(tt_suggest("rnu", cmds, 5), "run");
    assert_null(tt_suggest("xyz", cmds, 5));
    /* ties go to the first candidate */
    const char *two[] = {"tiny-f32", "tiny-f16"};
    assert_string_equal(tt_suggest("tiny-f3", two, 2), "tiny-f32");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance_textbook_pairs),
        cmocka_unit_test(test_edit_distance_folds_case_and_dashes),
        cmocka_unit_test(test_suggest_near_misses_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
