/*
 * test_arena_clean.c — arena/clean.c and the facts the battle reader takes
 * from a record (arena/battles_read.c): each cleaning rule and its count
 * (not anonymous, identity, error, unfinished, other flags, category,
 * daily cap), the order in which rules claim a battle, and Chatbot Arena's
 * sequential outlier test on a case worked out by hand below, including
 * the pair without decisive battles that makes NumPy's products NaN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/clean.h"
#include "core/util.h"
#include "arena_test_util.h"

static const char *conv(const char *q, const char *a, char *buf, size_t n)
{
    if (a) snprintf(buf, n, "[{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":\"%s\"}]", q, a);
    else snprintf(buf, n, "[{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":null}]", q);
    return buf;
}

static void test_clean_rules_and_counts(void **state)
{
    (void)state;
    tt_buf t;
    tt_buf_init(&t);
    char ca[512], cb[512];
    /* 0: clean, English, code */
    tt_buf_printf(&t, "{\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"model_a\",\"tstamp\":1,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("write ```c``` code", "ok", ca, sizeof ca), conv("write ```c``` code", "fine", cb, sizeof cb));
    /* 1: identity in an answer */
    tt_buf_printf(&t, "{\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"model_b\",\"tstamp\":2,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("hi", "I am Claude", ca, sizeof ca), conv("hi", "hello", cb, sizeof cb));
    /* 2: identity in the prompt, and not anonymous: the first rule claims it */
    tt_buf_printf(&t, "{\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"tie\",\"tstamp\":3,\"anony\":false,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("are you m2?", "no", ca, sizeof ca), conv("are you m2?", "yes", cb, sizeof cb));
    /* 3: a failed answer */
    tt_buf_printf(&t, "{\"model_a\":\"m2\",\"model_b\":\"m1\",\"winner\":\"model_b\",\"tstamp\":4,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("q", NULL, ca, sizeof ca), conv("q", "a", cb, sizeof cb));
    /* 4: an error banner */
    tt_buf_printf(&t, "{\"model_a\":\"m2\",\"model_b\":\"m1\",\"winner\":\"model_b\",\"tstamp\":5,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("q", "NETWORK ERROR DUE TO HIGH TRAFFIC. PLEASE REGENERATE", ca, sizeof ca),
                  conv("q", "a", cb, sizeof cb));
    /* 5: unfinished (cursor) */
    tt_buf_printf(&t, "{\"model_a\":\"m2\",\"model_b\":\"m1\",\"winner\":\"model_a\",\"tstamp\":6,"
                      "\"conversation_a\":%s,\"conversation_b\":%s}\n",
                  conv("q", "half an answer \xE2\x96\x8C", ca, sizeof ca), conv("q", "a", cb, sizeof cb));
    /* 6: Chinese, given by the language field; 7: a Chatbot Arena hard prompt (6 of 7 criteria) */
    tt_buf_puts(&t, "{\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"model_a\",\"tstamp\":7,\"language\":\"Chinese\"}\n");
    tt_buf_puts(&t, "{\"model_a\":\"m1\",\"model_b\":\"m2\",\"winner\":\"model_b\",\"tstamp\":8,\"category_tag\":"
                    "{\"criteria_v0.1\":{\"specificity\":true,\"domain_knowledge\":true,\"complexity\":true,"
                    "\"problem_solving\":true,\"creativity\":false,\"technical_accuracy\":true,\"real_world\":true},"
                    "\"math_v0.1\":{\"math\":true}},\"categories\":[\"long\",\"nonsense\"],\"turn\":3}\n");
    arena_battles l;
    arena_battles_init(&l);
    char err[TT_ERR_SIZE];
    int rc = arena_battles_parse(&l, t.data, t.len, "c.jsonl", err);
    if (rc) fail_msg("%s", err);
    tt_buf_free(&t);
    assert_int_equal(l.n, 8);
    assert_true(l.v[0].cats & ARENA_CAT_CODE);
    assert_true(l.v[0].cats & ARENA_CAT_EN);
    assert_true(l.v[6].cats & ARENA_CAT_ZH);
    assert_true(l.v[7].cats & ARENA_CAT_HARD);
    assert_true(l.v[7].cats & ARENA_CAT_MATH);
    assert_true(l.v[7].cats & ARENA_CAT_LONG);
    assert_true(l.v[7].cats & ARENA_CAT_MULTITURN);
    assert_int_equal(l.v[7].turns, 3);
    assert_non_null(arena_battles_style(&l, 0));   /* counted from the conversations */
    assert_null(arena_battles_style(&l, 6));

    arena_clean_opts o;
    arena_clean_opts_default(&o);
    arena_clean_report r;
    arena_battles all;
    arena_battles_init(&all);
    arena_battles_parse(&all, "", 0, "x", err);
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.read, 8);
    assert_int_equal(r.not_anonymous, 1);
    assert_int_equal(r.identity, 1);
    assert_int_equal(r.error, 2);
    assert_int_equal(r.unfinished, 1);
    assert_int_equal(r.flagged, 0);
    assert_int_equal(r.kept, 3);
    assert_int_equal(l.n, 3);
    assert_true(l.v[0].tstamp == 1 && l.v[1].tstamp == 7 && l.v[2].tstamp == 8);

    /* a category keeps its own battles only */
    o.category = ARENA_CAT_HARD;
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.category, 2);
    assert_int_equal(l.n, 1);
    arena_battles_free(&l);
    arena_battles_free(&all);
}

static void test_clean_daily_cap(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    double day = 86400;
    /* v1: 4 votes on day 10, 2 on day 11; v2: 2 on day 10; no voter: 5 */
    for (int i = 0; i < 4; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_A, 10 * day + i, "human", "v1");
    for (int i = 0; i < 2; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_B, 11 * day + i, "human", "v1");
    for (int i = 0; i < 2; i++) arena_battles_add(&l, "b", "a", JUDGE_TIE, 10 * day + 100 + i, "human", "v2");
    for (int i = 0; i < 5; i++) arena_battles_add(&l, "b", "a", JUDGE_TIE, 10 * day + 200 + i, "import", NULL);
    arena_clean_opts o;
    arena_clean_opts_default(&o);
    o.daily_cap = 3;
    arena_clean_report r;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.daily_cap, 1);          /* v1's fourth vote of day 10 */
    assert_int_equal(l.n, 12);
    for (size_t i = 0; i < l.n; i++) assert_false(l.v[i].tstamp == 10 * day + 3);
    arena_battles_free(&l);
}

/* The outlier test, worked out by hand (clean.h's rule):
 *   others: 8 voters x 5 votes "a beats b", in either seat -> 40 wins for a (a sorts first);
 *   troll: 6 votes "b beats a"; nan_voter: a tie between c and d first (that pair has
 *   no decisive battle: both shares NaN), then 5 votes "b beats a"; few: 4 votes "b beats
 *   a" (under 5 votes: not checked, but counted in the record).
 *   Record of (a, b): 40 wins, 15 losses, n = 55.
 *   troll, vote 0: p_upper = 15/55, factor 55/30 = 1.833; products 1.83, 3.36, 6.16, 11.3,
 *   20.7 > 1/0.05 at the fifth vote: flagged.
 *   others, vote 1: p_upper = 1 (factor 0.5), p_lower = 40/55 (factor 0.6875): never.
 *   nan_voter: NaN from the first vote on, so never flagged. */
static void test_outlier_test(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    double t = 0;
    char voter[16];
    for (int v = 0; v < 8; v++)
        for (int i = 0; i < 5; i++) {
            snprintf(voter, sizeof voter, "ok%d", v);
            arena_battles_add(&l, i % 2 ? "a" : "b", i % 2 ? "b" : "a", i % 2 ? JUDGE_WIN_A : JUDGE_WIN_B, t++, "human",
                              voter);
        }
    for (int i = 0; i < 6; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_B, t++, "human", "troll");
    arena_battles_add(&l, "d", "c", JUDGE_TIE, t++, "human", "nan_voter");
    for (int i = 0; i < 5; i++) arena_battles_add(&l, "b", "a", JUDGE_WIN_A, t++, "human", "nan_voter");
    /* a voter with 4 votes is not checked */
    for (int i = 0; i < 4; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_B, t++, "human", "few");
    arena_clean_opts o;
    arena_clean_opts_default(&o);
    o.outlier = 1;
    arena_clean_report r;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.outlier_voters, 1);
    assert_int_equal(r.outlier, 6);
    for (size_t i = 0; i < l.n; i++) assert_string_not_equal(l.v[i].judge, "troll");
    arena_battles_free(&l);

    /* with a stricter alpha nobody is flagged: 1.833^6 = 37.9 < 1/0.02 */
    arena_battles_init(&l);
    t = 0;
    for (int v = 0; v < 8; v++)
        for (int i = 0; i < 5; i++) {
            snprintf(voter, sizeof voter, "ok%d", v);
            arena_battles_add(&l, "a", "b", JUDGE_WIN_A, t++, "human", voter);
        }
    for (int i = 0; i < 6; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_B, t++, "human", "troll");
    for (int i = 0; i < 9; i++) arena_battles_add(&l, "a", "b", JUDGE_WIN_B, t++, "human", NULL);
    /* record: 40 wins, 15 losses: factor 55/30 per troll vote; 1.833^6 = 37.9 */
    o.outlier_alpha = 0.02;
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.outlier_voters, 0);
    o.outlier_alpha = 0.05;   /* 37.9 > 20 */
    assert_int_equal(arena_clean(&l, &o, &r, err), TT_OK);
    assert_int_equal(r.outlier_voters, 1);
    arena_battles_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_rules_and_counts),
        cmocka_unit_test(test_clean_daily_cap),
        cmocka_unit_test(test_outlier_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
