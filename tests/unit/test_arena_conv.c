/*
 * test_arena_conv.c — arena/conv.c: the markdown counts against Python's
 * own regular expressions applied as FastChat's add_markdown_info.py does
 * (tests/tools/markdown_reference.py wrote the expected numbers), the
 * approximate token count, language and topic, identity words (whole
 * words, the battle's own model names, a word file), failed and
 * unfinished answers, turns, and the same facts from JSON conversations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/conv.h"
#include "core/util.h"
#include "arena_test_util.h"

static void test_markdown_counts_match_python(void **state)
{
    (void)state;
    char *p = source_path("tests/data/arena/markdown_cases.json");
    json_error_t je;
    json_t *cases = json_load_file(p, 0, &je);
    free(p);
    assert_non_null(cases);
    assert_true(json_array_size(cases) >= 10);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        const char *text = json_string_value(json_object_get(c, "text"));
        double got[3];
        arena_markdown_counts(text, strlen(text), got);
        const char *keys[3] = {"headers", "lists", "bold"};
        for (int k = 0; k < 3; k++) {
            double want = json_number_value(json_object_get(c, keys[k]));
            if (got[k] != want) fail_msg("case %zu (%s): %s = %g, python says %g", i, text, keys[k], got[k], want);
        }
    }
    json_decref(cases);
}

static void test_tokens_approx(void **state)
{
    (void)state;
    assert_true(arena_tokens_approx("", 0) == 0);
    /* "hello" 1, "," 1, "world" 1, "!" 1 */
    assert_true(arena_tokens_approx("hello, world!", 13) == 4);
    /* a 13-letter word: 1 + 12/6 = 3 */
    assert_true(arena_tokens_approx("international", 13) == 3);
    /* three Han characters, one token each */
    assert_true(arena_tokens_approx("天梯赛", strlen("天梯赛")) == 3);
}

static void test_language_and_topics(void **state)
{
    (void)state;
    const char *en = "How do I sort a list in Python?";
    const char *zh = "请用中文解释一下快速排序的原理。";
    const char *mixed_zh = "用 Python 写一个快速排序";
    const char *ru = "Как отсортировать список?";
    const char *ja = "これは日本語の文です";
    assert_int_equal(arena_language_of(en, strlen(en)), ARENA_CAT_EN);
    assert_int_equal(arena_language_of(zh, strlen(zh)), ARENA_CAT_ZH);
    assert_int_equal(arena_language_of(mixed_zh, strlen(mixed_zh)), ARENA_CAT_ZH);
    assert_int_equal(arena_language_of(ru, strlen(ru)), ARENA_CAT_OTHER_LANG);
    assert_int_equal(arena_language_of(ja, strlen(ja)), ARENA_CAT_OTHER_LANG);
    assert_int_equal(arena_language_of("123 ?!", 6), ARENA_CAT_EN);

    const char *math[] = {"What is 12 * 7?", "Solve x^2 = 4", "Compute 3 + 4", "计算 3 加 5", "find \\frac{1}{2} of it",
                          "what is 6 / 3"};
    const char *not_math[] = {"Write a poem about 2020-2021", "Plan a trip for 3-4 days", "Tell me about COVID-19",
                              "the date 2024/01/02 matters"};
    for (size_t i = 0; i < sizeof math / sizeof *math; i++)
        if (!arena_text_is_math(math[i], strlen(math[i]))) fail_msg("not math: %s", math[i]);
    for (size_t i = 0; i < sizeof not_math / sizeof *not_math; i++)
        if (arena_text_is_math(not_math[i], strlen(not_math[i]))) fail_msg("math: %s", not_math[i]);
    assert_true(arena_text_has_code("see ```c\nint x;\n```", 20));
    assert_false(arena_text_has_code("no code `here`", 14));

    char err[TT_ERR_SIZE];
    unsigned bit;
    assert_int_equal(arena_category_parse("multiturn", &bit, err), TT_OK);
    assert_int_equal(bit, ARENA_CAT_MULTITURN);
    assert_int_equal(arena_category_parse("all", &bit, err), TT_OK);
    assert_int_equal(bit, 0);
    assert_int_equal(arena_category_parse("poetry", &bit, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "poetry"));
    char *s = arena_categories_format(ARENA_CAT_CODE | ARENA_CAT_HARD | ARENA_CAT_ZH);
    assert_string_equal(s, "zh,code,hard");
    assert_int_equal(arena_categories_parse_list(s), ARENA_CAT_CODE | ARENA_CAT_HARD | ARENA_CAT_ZH);
    free(s);
}

static void test_identity_words(void **state)
{
    (void)state;
    const arena_words *w = arena_words_builtin();
    assert_true(arena_words_match("As ChatGPT, I cannot", w, NULL, 0));
    assert_true(arena_words_match("I am Claude.", w, NULL, 0));
    assert_false(arena_words_match("I am a helpful assistant (a llamas fan)", w, NULL, 0));  /* whole words */
    const char *names[] = {"tiny@q4_0", "me"};
    assert_true(arena_words_match("This is Tiny speaking", w, names, 2));    /* the part before '@' */
    assert_false(arena_words_match("me and you", w, names, 2));              /* under 3 bytes: ignored */

    char path[] = "/tmp/tianti-words-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *file = "# our own list\nAcme Model\n\n  zeta  \n";
    assert_int_equal(write(fd, file, strlen(file)), (ssize_t)strlen(file));
    close(fd);
    arena_words mine;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_words_load(path, &mine, err), TT_OK);
    unlink(path);
    assert_int_equal(mine.n, 2);
    assert_true(arena_words_match("I was made by ACME MODEL labs", &mine, NULL, 0));
    assert_true(arena_words_match("zeta!", &mine, NULL, 0));
    assert_false(arena_words_match("I am ChatGPT", &mine, NULL, 0));     /* the file replaces the list */
    arena_words_free(&mine);
    assert_int_equal(arena_words_load("/nonexistent/words.txt", &mine, err), TT_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/words.txt"));
}

static void test_conversation_facts(void **state)
{
    (void)state;
    arena_msg a[] = {{"user", "What is 2 + 2?"}, {"assistant", "## Answer\n- **4**"},
                     {"user", "and 3 + 3?"}, {"assistant", "6"}};
    arena_msg b[] = {{"user", "What is 2 + 2?"}, {"assistant", "It is 4."}, {"user", "and 3 + 3?"},
                     {"assistant", "Six, says GPT-4 \xE2\x96\x8C"}};
    arena_conv_facts f;
    arena_conv_analyse(a, 4, b, 4, NULL, "alpha", "beta", &f);
    assert_int_equal(f.turns, 2);
    assert_true(f.cats & ARENA_CAT_EN);
    assert_true(f.cats & ARENA_CAT_MATH);
    assert_true(f.cats & ARENA_CAT_MULTITURN);
    assert_false(f.cats & ARENA_CAT_CODE);
    assert_true(f.bad & ARENA_BAD_IDENTITY);     /* "GPT-4" */
    assert_true(f.bad & ARENA_BAD_UNFINISHED);   /* the cursor */
    assert_false(f.bad & ARENA_BAD_ERROR);
    assert_true(f.style[0][ARENA_STYLE_HEADERS] == 1);
    assert_true(f.style[0][ARENA_STYLE_LISTS] == 1);
    assert_true(f.style[0][ARENA_STYLE_BOLD] == 1);
    assert_true(f.style[1][ARENA_STYLE_HEADERS] == 0);

    /* a failed side, a conversation that ends on the user, a model naming itself */
    arena_msg c[] = {{"user", "hi"}, {"assistant", NULL}};
    arena_msg d[] = {{"user", "hi"}};
    arena_conv_analyse(c, 2, d, 1, NULL, "alpha", "beta", &f);
    assert_true(f.bad & ARENA_BAD_ERROR);
    assert_true(f.bad & ARENA_BAD_UNFINISHED);
    arena_msg e[] = {{"user", "who are you"}, {"assistant", "I am Alpha, a model."}};
    arena_conv_analyse(e, 2, e, 2, NULL, "alpha", "beta", &f);
    assert_true(f.bad & ARENA_BAD_IDENTITY);
    assert_int_equal(f.turns, 1);

    /* the same from JSON */
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_conv_analyse_json("[{\"role\":\"user\",\"content\":\"写一个 ```python``` 函数\"},"
                                             "{\"role\":\"assistant\",\"content\":\"好\"}]",
                                             "[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":null}]",
                                             NULL, "m1", "m2", &f, err),
                     TT_OK);
    assert_true(f.cats & ARENA_CAT_ZH);
    assert_true(f.cats & ARENA_CAT_CODE);
    assert_true(f.bad & ARENA_BAD_ERROR);
    assert_int_equal(arena_conv_analyse_json("{\"role\":\"user\"}", "[]", NULL, "m1", "m2", &f, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "conversation_a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_counts_match_python),
        cmocka_unit_test(test_tokens_approx),
        cmocka_unit_test(test_language_and_topics),
        cmocka_unit_test(test_identity_words),
        cmocka_unit_test(test_conversation_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
