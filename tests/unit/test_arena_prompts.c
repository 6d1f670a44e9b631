/*
 * test_arena_prompts.c — arena/prompts.c: the shapes a prompt set may take
 * (MT-bench JSON Lines with turns, records with prompt/question and a
 * reference, a JSON array of strings, plain text lines) and the errors for
 * bad input (naming the file and line or record), plus MT-bench's real
 * question file when the shared datasets are present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/prompts.h"
#include "core/util.h"

static char *write_tmp(const char *name, const char *text)
{
    char *path = tt_asprintf("/tmp/tianti_test_prompts_%d_%s", (int)getpid(), name);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_write_file(path, text, strlen(text), err), TT_OK);
    return path;
}

static void test_arena_prompts_load_mt_bench_lines(void **state)
{
    (void)state;
    char *p = write_tmp("a.jsonl",
                        "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"Write a poem.\", \"Shorter.\"]}\n"
                        "\n"
                        "{\"id\": \"x\", \"question\": \"2+2?\", \"answer\": 4}\n"
                        "{\"prompt\": \"Capital?\", \"reference\": \"Paris\"}\n");
    arena_prompts ps;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_OK);
    assert_int_equal(ps.n, 3);
    assert_string_equal(ps.v[0].text, "Write a poem.");
    assert_string_equal(ps.v[0].id, "81");
    assert_string_equal(ps.v[0].category, "writing");
    assert_null(ps.v[0].reference);
    assert_string_equal(ps.v[1].text, "2+2?");
    assert_string_equal(ps.v[1].reference, "4");
    assert_string_equal(ps.v[1].id, "x");
    assert_string_equal(ps.v[2].reference, "Paris");
    assert_null(ps.metric);
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
}

static void test_arena_prompts_load_array_and_text(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    arena_prompts ps;
    char *p = write_tmp("b.json", "[\"one\", {\"instruction\": \"two\"}]");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_OK);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.v[1].text, "two");
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
    p = write_tmp("c.txt", "first prompt\r\n\n  \nsecond prompt  \n");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_OK);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.v[0].text, "first prompt");
    assert_string_equal(ps.v[1].text, "second prompt");
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
}

static void test_arena_prompts_load_errors(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    arena_prompts ps;
    char *p = write_tmp("d.jsonl", "{\"prompt\": \"ok\"}\n{\"prompt\": 5}\n");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, ":2: no prompt text"));
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
    p = write_tmp("e.jsonl", "{\"prompt\": \"ok\"}\n{broken\n");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, ":2:"));
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
    p = write_tmp("f.json", "[\"ok\", 3]");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "record 1"));
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
    p = write_tmp("g.txt", "\n \n");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "no prompts"));
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
    assert_int_equal(arena_prompts_load("/nonexistent/prompts.jsonl", &ps, err), TT_ERR_IO);
    arena_prompts_free(&ps);
}

static void test_arena_prompts_load_shared_mt_bench(void **state)
{
    (void)state;
    const char *shared = getenv("TIANTI_SHARED_DIR");
    char *path = tt_asprintf("%s/datasets/mt_bench/question.jsonl", shared ? shared : "../shared");
    if (!tt_file_exists(path)) {
        printf("# skipped: the shared datasets are missing: no %s\n", path);
        free(path);
        skip();
    }
    arena_prompts ps;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_prompts_load(path, &ps, err), TT_OK);
    assert_int_equal(ps.n, 80);   /* 80 questions, 10 per category */
    int writing = 0;
    for (size_t i = 0; i < ps.n; i++)
        if (ps.v[i].category && !strcmp(ps.v[i].category, "writing")) writing++;
    assert_int_equal(writing, 10);
    /* MT-bench has reference answers for its 30 math, reasoning and coding questions */
    char *refs = tt_asprintf("%s/datasets/mt_bench/reference_answer/gpt-4.jsonl", shared ? shared : "../shared");
    size_t matched = 0;
    if (tt_file_exists(refs)) {
        assert_int_equal(arena_prompts_add_references(&ps, refs, &matched, err), TT_OK);
        assert_int_equal(matched, 30);
    }
    free(refs);
    arena_prompts_free(&ps);
    free(path);
}

static void test_arena_prompts_add_references_forms(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    arena_prompts ps;
    char *p = write_tmp("h.jsonl", "{\"question_id\": 1, \"prompt\": \"a\"}\n{\"question_id\": 2, \"prompt\": \"b\"}\n"
                                   "{\"prompt\": \"c\", \"reference\": \"keep\"}\n");
    assert_int_equal(arena_prompts_load(p, &ps, err), TT_OK);
    char *r = write_tmp("h_ref.jsonl", "{\"question_id\": 2, \"choices\": [{\"turns\": [\"B1\", \"B2\"]}]}\n"
                                       "{\"question_id\": 9, \"reference\": \"none\"}\n");
    size_t matched = 0;
    assert_int_equal(arena_prompts_add_references(&ps, r, &matched, err), TT_OK);
    assert_int_equal(matched, 1);
    assert_null(ps.v[0].reference);
    assert_string_equal(ps.v[1].reference, "B1");
    assert_string_equal(ps.v[2].reference, "keep");
    unlink(r);
    free(r);
    r = write_tmp("h_bad.jsonl", "{\"question_id\": 2}\n");
    assert_int_equal(arena_prompts_add_references(&ps, r, &matched, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, ":1: expected"));
    unlink(r);
    free(r);
    arena_prompts_free(&ps);
    unlink(p);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_prompts_load_mt_bench_lines),
        cmocka_unit_test(test_arena_prompts_load_array_and_text),
        cmocka_unit_test(test_arena_prompts_load_errors),
        cmocka_unit_test(test_arena_prompts_load_shared_mt_bench),
        cmocka_unit_test(test_arena_prompts_add_references_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
