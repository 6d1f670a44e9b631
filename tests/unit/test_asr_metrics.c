/*
 * test_asr_metrics.c — judges/asr_metrics.c against alignments worked out
 * by hand (Levenshtein over words or characters after the normalisation
 * asr_metrics.h documents):
 *
 *   "the cat sat on the mat" / "the cat sit on mat": the cat (sat->sit) on
 *     (the deleted) mat: S 1, D 1, I 0, hits 4, N 6, WER 2/6
 *   "hello world" / "hello big world": big inserted: I 1, N 2, WER 1/2
 *   "Hello, World!" / "hello world": the same after normalisation: 0
 *   "今天天气很好。" / "今天天汽很好啊": 气->汽 and 啊 inserted: S 1, I 1
 *     over 6 characters (the 。 is not one), CER 2/6; every CJK character
 *     being a word, WER is the same
 *   "" hypothesis of "one two three": D 3
 *   characters of "abc" / "abd": S 1 over 3; spaces do not count:
 *     "a b" / "ab" has no error
 *   "GPT-4 模型，很好！" normalises to "gpt 4 模型 很好", words gpt 4 模 型 很 好
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "judges/asr_metrics.h"

static void expect(const char *ref, const char *hyp, int chars, size_t s, size_t d, size_t i, size_t n)
{
    asr_counts c;
    asr_compare(ref, hyp, chars, &c);
    assert_int_equal(c.substitutions, s);
    assert_int_equal(c.deletions, d);
    assert_int_equal(c.insertions, i);
    assert_int_equal(c.ref_len, n);
    assert_int_equal(c.hits + c.substitutions + c.deletions, n);
}

static void test_word_alignments(void **state)
{
    (void)state;
    expect("the cat sat on the mat", "the cat sit on mat", 0, 1, 1, 0, 6);
    expect("hello world", "hello big world", 0, 0, 0, 1, 2);
    expect("Hello, World!", "hello   world", 0, 0, 0, 0, 2);
    expect("one two three", "", 0, 0, 3, 0, 3);
    expect("", "extra words", 0, 0, 0, 2, 0);
}

static void test_chinese_and_characters(void **state)
{
    (void)state;
    expect("今天天气很好。", "今天天汽很好啊", 1, 1, 0, 1, 6);
    expect("今天天气很好。", "今天天汽很好啊", 0, 1, 0, 1, 6);
    expect("abc", "abd", 1, 1, 0, 0, 3);
    expect("a b", "ab", 1, 0, 0, 0, 2);
    expect("GPT-4 模型，很好！", "gpt 4 模型很好", 0, 0, 0, 0, 6);
}

static void test_normalize(void **state)
{
    (void)state;
    char *n = asr_normalize("  GPT-4 模型，很好！ \"Yes.\" ");
    assert_string_equal(n, "gpt 4 模型 很好 yes");
    free(n);
    n = asr_normalize("");
    assert_string_equal(n, "");
    free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_alignments),
        cmocka_unit_test(test_chinese_and_characters),
        cmocka_unit_test(test_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
