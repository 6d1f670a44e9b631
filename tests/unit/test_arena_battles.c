/*
 * test_arena_battles.c — arena/battles.c and arena/rows.c: Chatbot Arena
 * JSON Lines and array import, errors that name file, line or record and
 * field, export round trip, store insert/load with the rated-battle and
 * source filters, and aggregation of identical rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/battles.h"
#include "arena/match.h"
#include "arena/rows.h"
#include "store/store.h"
#include "core/util.h"
#include "arena_test_util.h"

static int parse(arena_battles *l, const char *text, char *err)
{
    return arena_battles_parse(l, text, strlen(text), "x.jsonl", err);
}

static void test_arena_battles_parse_jsonl(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    const char *text =
        "{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_a\",\"tstamp\":5,\"extra\":[1,2]}\n"
        "\n"
        "  {\"model_a\":\"b\",\"model_b\":\"c\",\"winner\":\"tie (bothbad)\",\"tstamp\":3.5,"
        "\"judge\":\"u1\",\"source\":\"human\",\"anony\":true}\r\n"
        "{\"model_a\":\"c\",\"model_b\":\"a\",\"winner\":\"tie\"}";
    assert_int_equal(parse(&l, text, err), TT_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].model_a, "a");
    assert_int_equal(l.v[0].winner, JUDGE_WIN_A);
    assert_true(l.v[0].tstamp == 5.0);
    assert_null(l.v[0].source);
    assert_int_equal(l.v[1].winner, JUDGE_TIE_BOTHBAD);
    assert_string_equal(l.v[1].judge, "u1");
    assert_string_equal(l.v[1].source, "human");
    assert_int_equal(l.v[2].winner, JUDGE_TIE);
    assert_true(l.v[2].tstamp == 0.0);
    arena_battles_free(&l);
}

static void test_arena_battles_parse_array(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    const char *text = " [ {\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_b\",\"tstamp\":1},"
                       "{\"model_a\":\"b\",\"model_b\":\"a\",\"winner\":\"model_a\",\"tstamp\":2} ]";
    assert_int_equal(parse(&l, text, err), TT_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].winner, JUDGE_WIN_B);
    arena_battles_free(&l);
}

static void test_arena_battles_parse_empty(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    assert_int_equal(parse(&l, "", err), TT_OK);
    assert_int_equal(parse(&l, "\n  \n", err), TT_OK);
    assert_int_equal(parse(&l, "[]", err), TT_OK);
    assert_int_equal(l.n, 0);
    arena_battles_free(&l);
}

/* Each malformed input must fail with a message naming where and what. */
static void test_arena_battles_parse_malformed(void **state)
{
    (void)state;
    static const struct { const char *text, *want; } cases[] = {
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_a\"}\n{\"model_a\":\"a\",",
         "x.jsonl:2: invalid JSON"},
        {"\n\n{\"model_b\":\"b\",\"winner\":\"model_a\"}", "x.jsonl:3: missing field 'model_a'"},
        {"{\"model_a\":\"a\",\"model_b\":7,\"winner\":\"model_a\"}", "x.jsonl:1: field 'model_b' must be"},
        {"{\"model_a\":\"a\",\"model_b\":\"\",\"winner\":\"model_a\"}", "x.jsonl:1: field 'model_b' must be"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\"}", "x.jsonl:1: missing field 'winner'"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"A\"}", "x.jsonl:1: field 'winner' must be"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\",\"tstamp\":\"noon\"}",
         "x.jsonl:1: field 'tstamp' must be a number"},
        {"{\"model_a\":\"a\",\"model_b\":\"a\",\"winner\":\"tie\"}", "x.jsonl:1: field 'model_b' names the same"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\",\"judge\":3}", "x.jsonl:1: field 'judge' must be"},
        {"[1]", "x.jsonl: record 0: a battle must be a JSON object"},
        {"[{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\"},{\"model_a\":\"a\",\"model_b\":\"b\"}]",
         "x.jsonl: record 1: missing field 'winner'"},
        {"[{\"model_a\":\"a\",", "x.jsonl:1: invalid JSON"},
        {"42", "x.jsonl:1: a battle must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arena_battles l;
        arena_battles_init(&l);
        char err[TT_ERR_SIZE] = "";
        assert_int_equal(parse(&l, cases[i].text, err), TT_ERR_PARSE);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want prefix '%s'", i, err, cases[i].want);
        arena_battles_free(&l);
    }
}

static void test_arena_battles_read_file_missing(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    assert_int_not_equal(arena_battles_read_file(&l, "/nonexistent/battles.jsonl", err), TT_OK);
    assert_non_null(strstr(err, "/nonexistent/battles.jsonl"));
    arena_battles_free(&l);
}

static void test_arena_battles_write_roundtrip(void **state)
{
    (void)state;
    arena_battles l, back;
    arena_battles_init(&l);
    arena_battles_init(&back);
    arena_battles_add(&l, "a\"quote", "b/\u00e9", JUDGE_TIE_BOTHBAD, 1700000000.1234, "judge:x", "u\n1");
    arena_battles_add(&l, "b/\u00e9", "c", JUDGE_WIN_B, 0.1, NULL, NULL);
    char path[] = "/tmp/tianti-arena-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_battles_write_file(&l, path, err), TT_OK);
    assert_int_equal(arena_battles_read_file(&back, path, err), TT_OK);
    assert_int_equal(back.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(back.v[i].model_a, l.v[i].model_a);
        assert_string_equal(back.v[i].model_b, l.v[i].model_b);
        assert_int_equal(back.v[i].winner, l.v[i].winner);
        assert_true(back.v[i].tstamp == l.v[i].tstamp);
    }
    assert_string_equal(back.v[0].judge, "u\n1");
    assert_string_equal(back.v[0].source, "judge:x");
    assert_null(back.v[1].source);
    unlink(path);
    arena_battles_free(&l);
    arena_battles_free(&back);
}

static void test_arena_battles_sort_stable(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    arena_battles_add(&l, "a", "b", JUDGE_WIN_A, 2, NULL, "first");
    arena_battles_add(&l, "a", "b", JUDGE_WIN_A, 1, NULL, NULL);
    arena_battles_add(&l, "a", "b", JUDGE_WIN_A, 2, NULL, "second");
    arena_battles_sort(&l);
    assert_true(l.v[0].tstamp == 1);
    assert_string_equal(l.v[1].judge, "first");
    assert_string_equal(l.v[2].judge, "second");
    arena_battles_free(&l);
}

static void test_arena_battles_db_roundtrip_and_filters(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/tianti-arena-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    char *path = tt_asprintf("%s.db", tmpl);
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    arena_battles l;
    arena_battles_init(&l);
    arena_battles_add(&l, "a", "b", JUDGE_WIN_A, 3, "human", "u1");
    arena_battles_add(&l, "b", "c", JUDGE_TIE, 1, "judge:glm", NULL);
    arena_battles_add(&l, "c", "a", JUDGE_WIN_B, 2, NULL, NULL);
    assert_int_equal(arena_battles_insert_db(s, &l, err), TT_OK);
    /* not rated: unvoted and flagged battles */
    const store_battle unrated[] = {
        {.model_a = "a", .model_b = "b", .winner = NULL, .tstamp = 0, .source = "human"},
        {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 0, .source = "human", .flags = "identity_leak"},
    };
    assert_int_equal(store_battles_put(s, unrated, 2, err), TT_OK);
    arena_battles all, human, judge;
    arena_battles_init(&all);
    arena_battles_init(&human);
    arena_battles_init(&judge);
    assert_int_equal(arena_battles_load_db(s, ARENA_SOURCE_ALL, &all, err), TT_OK);
    assert_int_equal(arena_battles_load_db(s, ARENA_SOURCE_HUMAN, &human, err), TT_OK);
    assert_int_equal(arena_battles_load_db(s, ARENA_SOURCE_JUDGE, &judge, err), TT_OK);
    assert_int_equal(all.n, 3);
    /* tstamp order */
    assert_string_equal(all.v[0].model_a, "b");
    assert_string_equal(all.v[1].source, "import");
    assert_int_equal(all.v[1].winner, JUDGE_WIN_B);
    assert_int_equal(human.n, 1);
    assert_string_equal(human.v[0].judge, "u1");
    assert_int_equal(judge.n, 1);
    assert_string_equal(judge.v[0].source, "judge:glm");
    /* the same filter in memory */
    arena_battles_filter_source(&l, ARENA_SOURCE_JUDGE);
    assert_int_equal(l.n, 1);
    arena_battles_free(&l);
    arena_battles_free(&all);
    arena_battles_free(&human);
    arena_battles_free(&judge);
    store_close(s);
    unlink(path);
    free(path);
}

/* A vote is stored once: the second arena_match_store with the same session
 * token writes nothing and says TT_ERR_USAGE (the web arena answers 409);
 * the pair counts then see one battle. */
static void test_arena_match_store_once(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/tianti-arena-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    unlink(tmpl);
    char *path = tt_asprintf("%s.db", tmpl);
    char err[TT_ERR_SIZE];
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    arena_match_record rec = {.model_a = "a", .model_b = "b", .winner = "model_a", .tstamp = 1, .source = "human",
                              .prompt = "hi", .answer_a = "x", .answer_b = NULL, .session_token = "hash1"};
    int64_t id = 0;
    assert_int_equal(arena_match_store(s, &rec, &id, err), TT_OK);
    assert_true(id > 0);
    rec.winner = "model_b";
    assert_int_equal(arena_match_store(s, &rec, NULL, err), TT_ERR_USAGE);
    const char *names[] = {"a", "b"};
    long counts[4];
    assert_int_equal(arena_match_load_counts(s, names, 2, counts, err), TT_OK);
    assert_int_equal(counts[0 * 2 + 1], 1);
    assert_int_equal(counts[1 * 2 + 0], 1);
    arena_battles l;
    arena_battles_init(&l);
    assert_int_equal(arena_battles_load_db(s, ARENA_SOURCE_HUMAN, &l, err), TT_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].winner, JUDGE_WIN_A);   /* the first vote stands */
    arena_battles_free(&l);
    store_close(s);
    unlink(path);
    free(path);
}

static void test_arena_rows_aggregate(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "x", "y", JUDGE_WIN_A, 3);
    add_n(&l, "y", "x", JUDGE_TIE, 1);
    add_n(&l, "x", "y", JUDGE_TIE_BOTHBAD, 2);
    add_n(&l, "z", "x", JUDGE_WIN_B, 1);
    arena_index idx;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(&l, 0, &idx, err), TT_OK);
    /* factorize(concat(model_a, model_b)): x, y, z */
    assert_int_equal(idx.n_models, 3);
    assert_string_equal(idx.models[0], "x");
    assert_string_equal(idx.models[1], "y");
    assert_string_equal(idx.models[2], "z");
    assert_int_equal(idx.battles[0], 7);
    assert_int_equal(idx.battles[2], 1);
    arena_rows r;
    arena_rows_build(&idx, &r);
    /* rows in (a, b, outcome) order: (x,y,tie)=2, (x,y,A)=3, (y,x,tie)=1, (z,x,B)=1 */
    assert_int_equal(r.n, 4);
    assert_true(r.total == 7);
    assert_int_equal(r.a[0], 0); assert_int_equal(r.b[0], 1); assert_true(r.y[0] == 0.5); assert_true(r.w[0] == 2);
    assert_int_equal(r.a[1], 0); assert_true(r.y[1] == 1.0); assert_true(r.w[1] == 3);
    assert_int_equal(r.a[2], 1); assert_true(r.y[2] == 0.5); assert_true(r.w[2] == 1);
    assert_int_equal(r.a[3], 2); assert_true(r.y[3] == 0.0); assert_true(r.w[3] == 1);
    arena_rows_free(&r);
    arena_index_free(&idx);
    /* excluding ties */
    assert_int_equal(arena_index_build(&l, 1, &idx, err), TT_OK);
    assert_int_equal(idx.n, 4);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

/* The battle reader's own scanner: escapes, numbers read exactly, syntax
 * errors the whole-record parser caught, and a file big enough to be read
 * in parallel chunks gives what one chunk gives. */
static void test_arena_battles_reader_details(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    const char *text =
        "{\"model_a\":\"caf\\u00e9\",\"model_b\":\"\\ud83d\\ude00 b\\n\",\"winner\":\"tie\",\"tstamp\":1700000000.1234,"
        "\"judge\":\"q\\\"uote\",\"nested\":{\"a\":[1,2,{\"b\":null}],\"c\":-1.5e-3},\"anony\":true}\n"
        "{\"tstamp\":-0.5e2,\"winner\":\"model_b\",\"model_b\":\"x\",\"model_a\":\"y\",\"source\":null}\n";
    assert_int_equal(arena_battles_parse(&l, text, strlen(text), "r.jsonl", err), TT_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].model_a, "caf\xc3\xa9");
    assert_string_equal(l.v[0].model_b, "\xf0\x9f\x98\x80 b\n");
    assert_string_equal(l.v[0].judge, "q\"uote");
    assert_true(l.v[0].tstamp == strtod("1700000000.1234", NULL));
    assert_true(l.v[1].tstamp == -50.0);
    assert_null(l.v[1].source);
    assert_int_equal(l.v[0].bad, 0);
    arena_battles_free(&l);

    static const struct { const char *text, *want; } bad[] = {
        {"{\"model_a\":\"a\\x\",\"model_b\":\"b\",\"winner\":\"tie\"}", "r.jsonl:1: invalid JSON"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\"} x", "r.jsonl:1: invalid JSON"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\",\"tstamp\":01}", "r.jsonl:1: invalid JSON"},
        {"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\",\"x\":tru}", "r.jsonl:1: invalid JSON"},
        {"{\"model_a\":\"a\tb\",\"model_b\":\"b\",\"winner\":\"tie\"}", "r.jsonl:1: invalid JSON"},
        {"{\"model_a\":\"\\ud800\",\"model_b\":\"b\",\"winner\":\"tie\"}", "r.jsonl:1: field 'model_a' must be"},
        {"[{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\"},\n{\"model_b\":\"b\"}, 7}]", "r.jsonl:2: invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        arena_battles_init(&l);
        err[0] = 0;
        assert_int_equal(arena_battles_parse(&l, bad[i].text, strlen(bad[i].text), "r.jsonl", err), TT_ERR_PARSE);
        if (strncmp(err, bad[i].want, strlen(bad[i].want)))
            fail_msg("case %zu: got '%s', want prefix '%s'", i, err, bad[i].want);
        arena_battles_free(&l);
    }

    /* > 1 MiB: parsed in chunks on several threads, the same as in one */
    tt_buf big;
    tt_buf_init(&big);
    static const char *const names[] = {"m0", "m1", "m2", "m3", "m4"};
    for (int k = 0; k < 30000; k++)
        tt_buf_printf(&big, "{\"model_a\": \"%s\", \"model_b\": \"%s\", \"winner\": \"%s\", \"tstamp\": %d.25}\n",
                      names[k % 5], names[(k / 5 + 1 + k) % 5 == k % 5 ? (k + 1) % 5 : (k / 5 + 1 + k) % 5],
                      k % 3 == 0 ? "model_a" : k % 3 == 1 ? "model_b" : "tie", k);
    tt_buf_puts(&big, "{\"model_a\": \"m0\", \"model_b\": \"m0\", \"winner\": \"tie\"}\n");
    assert_true(big.len > (1u << 20));
    arena_battles one, many;
    arena_battles_init(&one);
    arena_battles_init(&many);
    arena_read_opts o1 = {.threads = 1}, o4 = {.threads = 4};
    char err1[TT_ERR_SIZE], err4[TT_ERR_SIZE];
    assert_int_equal(arena_battles_parse_opts(&one, big.data, big.len, "big", &o1, err1), TT_ERR_PARSE);
    assert_int_equal(arena_battles_parse_opts(&many, big.data, big.len, "big", &o4, err4), TT_ERR_PARSE);
    assert_string_equal(err1, err4);
    assert_non_null(strstr(err1, "big:30001: field 'model_b' names the same model"));
    big.len -= strlen("{\"model_a\": \"m0\", \"model_b\": \"m0\", \"winner\": \"tie\"}\n");
    arena_battles_free(&one);
    arena_battles_free(&many);
    arena_battles_init(&one);
    arena_battles_init(&many);
    assert_int_equal(arena_battles_parse_opts(&one, big.data, big.len, "big", &o1, err1), TT_OK);
    assert_int_equal(arena_battles_parse_opts(&many, big.data, big.len, "big", &o4, err4), TT_OK);
    assert_int_equal(one.n, 30000);
    assert_int_equal(many.n, 30000);
    for (size_t i = 0; i < one.n; i++) {
        assert_string_equal(one.v[i].model_a, many.v[i].model_a);
        assert_string_equal(one.v[i].model_b, many.v[i].model_b);
        assert_int_equal(one.v[i].winner, many.v[i].winner);
        assert_true(one.v[i].tstamp == (double)i + 0.25 && many.v[i].tstamp == one.v[i].tstamp);
    }
    /* interned: equal names are one pointer */
    assert_ptr_equal(many.v[0].model_a, many.v[5].model_a);
    arena_battles_free(&one);
    arena_battles_free(&many);
    tt_buf_free(&big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_battles_parse_jsonl),
        cmocka_unit_test(test_arena_battles_parse_array),
        cmocka_unit_test(test_arena_battles_parse_empty),
        cmocka_unit_test(test_arena_battles_parse_malformed),
        cmocka_unit_test(test_arena_battles_reader_details),
        cmocka_unit_test(test_arena_battles_read_file_missing),
        cmocka_unit_test(test_arena_battles_write_roundtrip),
        cmocka_unit_test(test_arena_battles_sort_stable),
        cmocka_unit_test(test_arena_battles_db_roundtrip_and_filters),
        cmocka_unit_test(test_arena_match_store_once),
        cmocka_unit_test(test_arena_rows_aggregate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
