/*
 * test_judges.c — judges/: pairwise verdict parsing (including garbage and
 * contradictory markers), the swapped-order agreement rule, rating parsing
 * and range, grade comparison, the reference judge's normalised match and
 * metric use, and the LLM and grading judges end to end on a replay engine
 * whose recorded answers are written from judge_requests_jsonl(). Also the
 * battle helpers they rely on (arena/match.h): identity leaks, display
 * names, pair sampling weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena/match.h"
#include "core/util.h"
#include "judges/judge.h"

static void test_judge_parse_pair_verdict_markers(void **state)
{
    (void)state;
    assert_int_equal(judge_parse_pair_verdict("A is clearer.\n[[A]]"), JUDGE_VERDICT_A);
    assert_int_equal(judge_parse_pair_verdict("[[B]]"), JUDGE_VERDICT_B);
    assert_int_equal(judge_parse_pair_verdict("equally good: [[C]]"), JUDGE_VERDICT_TIE);
    /* repeated marker of one kind is still that verdict */
    assert_int_equal(judge_parse_pair_verdict("[[B]] ... final: [[B]]"), JUDGE_VERDICT_B);
}

static void test_judge_parse_pair_verdict_garbage(void **state)
{
    (void)state;
    assert_int_equal(judge_parse_pair_verdict(NULL), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict(""), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("I prefer A."), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[A]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[[a]]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[[D]]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[[AB]]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[["), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[[A"), JUDGE_VERDICT_ERROR);
    /* two different markers: the judge quoted the format or changed its mind */
    assert_int_equal(judge_parse_pair_verdict("Output [[A]] or [[B]]. I pick [[A]]"), JUDGE_VERDICT_ERROR);
    assert_int_equal(judge_parse_pair_verdict("[[C]][[B]]"), JUDGE_VERDICT_ERROR);
}

static void test_judge_combine_swapped_agreement(void **state)
{
    (void)state;
    judge_winner w = JUDGE_TIE_BOTHBAD;
    /* game 2 shows model_b first: its "A" means model_b */
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_A, JUDGE_VERDICT_B, &w), 0);
    assert_int_equal(w, JUDGE_WIN_A);
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_B, JUDGE_VERDICT_A, &w), 0);
    assert_int_equal(w, JUDGE_WIN_B);
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_TIE, JUDGE_VERDICT_TIE, &w), 0);
    assert_int_equal(w, JUDGE_TIE);
}

static void test_judge_combine_swapped_disagreement_is_tie(void **state)
{
    (void)state;
    judge_winner w = JUDGE_WIN_A;
    /* position bias: the judge always prefers the first answer */
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_A, JUDGE_VERDICT_A, &w), 0);
    assert_int_equal(w, JUDGE_TIE);
    w = JUDGE_WIN_A;
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_B, JUDGE_VERDICT_B, &w), 0);
    assert_int_equal(w, JUDGE_TIE);
    w = JUDGE_WIN_A;
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_TIE, JUDGE_VERDICT_B, &w), 0);
    assert_int_equal(w, JUDGE_TIE);
    w = JUDGE_WIN_A;
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_A, JUDGE_VERDICT_TIE, &w), 0);
    assert_int_equal(w, JUDGE_TIE);
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_ERROR, JUDGE_VERDICT_B, &w), -1);
    assert_int_equal(judge_combine_swapped(JUDGE_VERDICT_A, JUDGE_VERDICT_ERROR, &w), -1);
}

static void test_judge_parse_rating_forms(void **state)
{
    (void)state;
    double s = 0;
    assert_int_equal(judge_parse_rating("Good answer.\nRating: [[7]]", &s), 0);
    assert_true(s == 7.0);
    assert_int_equal(judge_parse_rating("Rating: [[8.5]]", &s), 0);
    assert_true(s == 8.5);
    assert_int_equal(judge_parse_rating("Rating: [[10]]", &s), 0);
    assert_true(s == 10.0);
    /* fallback: single brackets */
    assert_int_equal(judge_parse_rating("Rating: [3]", &s), 0);
    assert_true(s == 3.0);
    /* the double-bracket form wins over an earlier single one */
    assert_int_equal(judge_parse_rating("see [2] ... Rating: [[6]]", &s), 0);
    assert_true(s == 6.0);
    /* the first double-bracket rating counts */
    assert_int_equal(judge_parse_rating("[[4]] then [[9]]", &s), 0);
    assert_true(s == 4.0);
}

static void test_judge_parse_rating_garbage(void **state)
{
    (void)state;
    double s = -5;
    assert_int_equal(judge_parse_rating(NULL, &s), -1);
    assert_int_equal(judge_parse_rating("", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: seven", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: [[x]]", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: [[0]]", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: [[11]]", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: [[-3]]", &s), -1);
    assert_int_equal(judge_parse_rating("Rating: [[7", &s), -1);
    assert_int_equal(judge_parse_rating("[[.5]]", &s), -1);
    assert_true(s == -5);
}

static void test_judge_grades_winner_delta(void **state)
{
    (void)state;
    assert_int_equal(judge_grades_winner(8, 6), JUDGE_WIN_A);
    assert_int_equal(judge_grades_winner(6, 8), JUDGE_WIN_B);
    assert_int_equal(judge_grades_winner(7, 7), JUDGE_TIE);
    assert_int_equal(judge_grades_winner(7.05, 7.0), JUDGE_TIE);
    assert_int_equal(judge_grades_winner(7.5, 7.0), JUDGE_WIN_A);
}

static void test_judge_normalised_equal_rules(void **state)
{
    (void)state;
    assert_true(judge_normalised_equal("  Paris. ", "paris"));
    assert_true(judge_normalised_equal("New   York\n", "new york"));
    assert_true(judge_normalised_equal("42!", "42"));
    assert_false(judge_normalised_equal("Paris, France", "Paris"));
    assert_false(judge_normalised_equal("", "x"));
    assert_true(judge_normalised_equal("", ""));
}

static void compare_reference(const char *spec, const char *a, const char *b, const char *ref, int ok,
                              judge_winner want)
{
    char err[TT_ERR_SIZE];
    judge *j = NULL;
    assert_int_equal(judge_open(spec, NULL, &j, err), TT_OK);
    judge_item it = {.question = "q", .answer_a = a, .answer_b = b, .reference = ref};
    judge_result r;
    assert_int_equal(judge_compare(j, &it, &r, err), TT_OK);
    assert_int_equal(r.ok, ok);
    if (ok) assert_int_equal(r.winner, want);
    else assert_non_null(r.error);
    judge_result_free(&r);
    judge_close(j);
}

static void test_judge_reference_compare_outcomes(void **state)
{
    (void)state;
    compare_reference("reference", "Paris", "Lyon", "paris", 1, JUDGE_WIN_A);
    compare_reference("reference", "Lyon", "Paris.", "paris", 1, JUDGE_WIN_B);
    compare_reference("reference", "Paris", "PARIS", "paris", 1, JUDGE_TIE);      /* both right */
    compare_reference("reference", "Lyon", "Nice", "paris", 1, JUDGE_TIE);        /* both wrong */
    compare_reference("reference", "Paris", "Lyon", NULL, 0, JUDGE_TIE);          /* no reference: error */
    /* a metric from the spec: contains */
    compare_reference("reference:contains", "It is Paris.", "Lyon", "Paris", 1, JUDGE_WIN_A);
    compare_reference("reference:numeric_match", "1,000", "999", "1000", 1, JUDGE_WIN_A);
}

static void test_judge_open_bad_specs(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    judge *j = NULL;
    assert_int_equal(judge_open("", NULL, &j, err), TT_ERR_USAGE);
    assert_int_equal(judge_open("oracle", NULL, &j, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "'oracle'"));
    assert_int_equal(judge_open("llm", NULL, &j, err), TT_ERR_USAGE);
    assert_int_equal(judge_open("reference:bleu", NULL, &j, err), TT_ERR_USAGE);
    assert_int_equal(judge_open("reference:nonsense", NULL, &j, err), TT_ERR_USAGE);
    assert_null(j);
}

/* Writes a replay file answering each request in `requests` (JSON lines)
 * with answers[i]; returns the path (static buffer). */
static const char *write_replay(const char *requests, const char *const *answers, int n)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/tianti_test_judges_%d.jsonl", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int i = 0;
    for (const char *p = requests; *p && i < n; i++) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
        assert_non_null(line);
        json_object_set_new(line, "response", json_pack("{s:s}", "text", answers[i]));
        char *s = json_dumps(line, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(line);
        p = nl + 1;
    }
    assert_int_equal(i, n);
    fclose(f);
    return path;
}

static void run_llm(const char *g1, const char *g2, int ok, judge_winner want)
{
    char err[TT_ERR_SIZE];
    judge_item it = {.question = "Name a prime.", .answer_a = "7", .answer_b = "8", .reference = NULL};
    /* a throwaway reference judge cannot list requests; build them from an llm judge on an empty replay */
    char empty[256];
    snprintf(empty, sizeof empty, "/tmp/tianti_test_judges_empty_%d.jsonl", (int)getpid());
    FILE *f = fopen(empty, "w");
    fputs("{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"text\":\"y\"}\n", f);
    fclose(f);
    char *spec = tt_asprintf("llm:replay:%s", empty);
    judge *j0 = NULL;
    assert_int_equal(judge_open(spec, NULL, &j0, err), TT_OK);
    char *reqs = judge_requests_jsonl(j0, &it);
    judge_close(j0);
    free(spec);
    unlink(empty);
    const char *answers[2] = {g1, g2};
    const char *path = write_replay(reqs, answers, 2);
    free(reqs);
    spec = tt_asprintf("llm:replay:%s", path);
    judge *j = NULL;
    assert_int_equal(judge_open(spec, NULL, &j, err), TT_OK);
    assert_string_equal(judge_spec(j), spec);
    judge_result r;
    assert_int_equal(judge_compare(j, &it, &r, err), TT_OK);
    assert_int_equal(r.ok, ok);
    if (ok) assert_int_equal(r.winner, want);
    else assert_non_null(r.error);
    assert_non_null(r.detail_json);
    json_t *d = json_loads(r.detail_json, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(d, "games")), 2);
    json_decref(d);
    judge_result_free(&r);
    judge_close(j);
    unlink(path);
    free(spec);
}

static void test_judge_llm_compare_swapped_games(void **state)
{
    (void)state;
    /* game 1 (A=7, B=8) says A; game 2 (A=8, B=7) says B: both favour model_a */
    run_llm("7 is prime. [[A]]", "8 is not prime. [[B]]", 1, JUDGE_WIN_A);
    run_llm("[[B]]", "[[A]]", 1, JUDGE_WIN_B);
    /* always the first position: inconsistent, so a tie */
    run_llm("[[A]]", "[[A]]", 1, JUDGE_TIE);
    /* an unparsable verdict is an error, not a tie */
    run_llm("I cannot decide.", "[[B]]", 0, JUDGE_TIE);
}

static void test_judge_grade_compare_ratings(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    judge_item it = {.question = "2+2?", .answer_a = "4", .answer_b = "5", .reference = "4"};
    char empty[256];
    snprintf(empty, sizeof empty, "/tmp/tianti_test_judges_g_%d.jsonl", (int)getpid());
    FILE *f = fopen(empty, "w");
    fputs("{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"text\":\"y\"}\n", f);
    fclose(f);
    char *spec = tt_asprintf("grade:replay:%s", empty);
    judge *j = NULL;
    assert_int_equal(judge_open(spec, NULL, &j, err), TT_OK);
    char *reqs = judge_requests_jsonl(j, &it);
    judge_close(j);
    free(spec);
    unlink(empty);
    /* the reference answer is shown to the grader */
    assert_non_null(strstr(reqs, "REFERENCE ANSWER"));
    const char *answers[2] = {"Correct. Rating: [[9]]", "Wrong sum. Rating: [[2]]"};
    const char *path = write_replay(reqs, answers, 2);
    free(reqs);
    spec = tt_asprintf("grade:replay:%s", path);
    assert_int_equal(judge_open(spec, NULL, &j, err), TT_OK);
    judge_result r;
    assert_int_equal(judge_compare(j, &it, &r, err), TT_OK);
    assert_int_equal(r.ok, 1);
    assert_int_equal(r.winner, JUDGE_WIN_A);
    judge_result_free(&r);
    judge_close(j);
    unlink(path);
    free(spec);
}

static void test_arena_match_identity_leak_words(void **state)
{
    (void)state;
    const char *names[] = {"tianti-tiny@q4_0", "ab", "alpha"};
    assert_true(arena_match_identity_leak("I am Tianti-Tiny, a small model.", names, 3));
    assert_true(arena_match_identity_leak("As ChatGPT, I think", names, 3));
    assert_true(arena_match_identity_leak("Made by OpenAI.", names, 3));
    assert_true(arena_match_identity_leak("alpha", names, 3));
    /* whole words only; names shorter than 3 bytes are ignored */
    assert_false(arena_match_identity_leak("The alphabet has letters.", names, 3));
    assert_false(arena_match_identity_leak("ab ab ab", names, 3));
    assert_false(arena_match_identity_leak("Paris is the capital of France.", names, 3));
    assert_false(arena_match_identity_leak(NULL, names, 3));
}

static void test_arena_match_model_name_forms(void **state)
{
    (void)state;
    const char *spec;
    char *n = arena_match_model_name("glm:models/tianti-tiny.gguf@q4_0", &spec);
    assert_string_equal(n, "tianti-tiny@q4_0");
    assert_string_equal(spec, "glm:models/tianti-tiny.gguf@q4_0");
    free(n);
    n = arena_match_model_name("mine=replay:a/b.jsonl", &spec);
    assert_string_equal(n, "mine");
    assert_string_equal(spec, "replay:a/b.jsonl");
    free(n);
    n = arena_match_model_name("openai:gpt-4o-mini", &spec);
    assert_string_equal(n, "gpt-4o-mini");
    free(n);
    n = arena_match_model_name("chatglm:http://127.0.0.1:8000", &spec);
    assert_string_equal(n, "http://127.0.0.1:8000");
    free(n);
}

static void test_arena_match_pick_pair_weights(void **state)
{
    (void)state;
    /* 3 models; pair (0,1) met 3 times, others never: weights 1/4, 1, 1 */
    long counts[9] = {0, 3, 0, 3, 0, 0, 0, 0, 0};
    tt_rng rng;
    tt_rng_seed(&rng, 7);
    int hits[3][3] = {{0}};
    int first_low = 0;
    const int N = 90000;
    for (int i = 0; i < N; i++) {
        int a, b;
        arena_match_pick_pair(counts, 3, &rng, &a, &b);
        assert_true(a != b && a >= 0 && a < 3 && b >= 0 && b < 3);
        int lo = a < b ? a : b, hi = a < b ? b : a;
        hits[lo][hi]++;
        if (a == lo) first_low++;
    }
    /* expected shares 1/9, 4/9, 4/9; binomial sd ≈ 0.0017 */
    assert_true(fabs(hits[0][1] / (double)N - 1.0 / 9) < 0.01);
    assert_true(fabs(hits[0][2] / (double)N - 4.0 / 9) < 0.01);
    assert_true(fabs(hits[1][2] / (double)N - 4.0 / 9) < 0.01);
    /* coin flip for seat A */
    assert_true(fabs(first_low / (double)N - 0.5) < 0.01);
}

static void test_arena_match_pick_against_baseline(void **state)
{
    (void)state;
    /* 4 models, baseline 2; model 0 met it 3 times, 1 and 3 never: weights
     * 1/4, 1, 1 over the others; pairs without the baseline never drawn */
    long counts[16] = {0};
    counts[0 * 4 + 2] = counts[2 * 4 + 0] = 3;
    counts[1 * 4 + 3] = counts[3 * 4 + 1] = 50;
    tt_rng rng;
    tt_rng_seed(&rng, 11);
    int other_hits[4] = {0}, baseline_a = 0;
    const int N = 90000;
    for (int i = 0; i < N; i++) {
        int a, b;
        arena_match_pick_against(counts, 4, 2, &rng, &a, &b);
        assert_true(a != b && (a == 2 || b == 2));
        other_hits[a == 2 ? b : a]++;
        if (a == 2) baseline_a++;
    }
    assert_int_equal(other_hits[2], 0);
    assert_true(fabs(other_hits[0] / (double)N - 1.0 / 9) < 0.01);
    assert_true(fabs(other_hits[1] / (double)N - 4.0 / 9) < 0.01);
    assert_true(fabs(other_hits[3] / (double)N - 4.0 / 9) < 0.01);
    assert_true(fabs(baseline_a / (double)N - 0.5) < 0.01);
    /* the baseline first or last in the list, and only two models */
    int a, b;
    arena_match_pick_against(counts, 2, 0, &rng, &a, &b);
    assert_true((a == 0 && b == 1) || (a == 1 && b == 0));
    arena_match_pick_against(counts, 2, 1, &rng, &a, &b);
    assert_true((a == 0 && b == 1) || (a == 1 && b == 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_parse_pair_verdict_markers),
        cmocka_unit_test(test_judge_parse_pair_verdict_garbage),
        cmocka_unit_test(test_judge_combine_swapped_agreement),
        cmocka_unit_test(test_judge_combine_swapped_disagreement_is_tie),
        cmocka_unit_test(test_judge_parse_rating_forms),
        cmocka_unit_test(test_judge_parse_rating_garbage),
        cmocka_unit_test(test_judge_grades_winner_delta),
        cmocka_unit_test(test_judge_normalised_equal_rules),
        cmocka_unit_test(test_judge_reference_compare_outcomes),
        cmocka_unit_test(test_judge_open_bad_specs),
        cmocka_unit_test(test_judge_llm_compare_swapped_games),
        cmocka_unit_test(test_judge_grade_compare_ratings),
        cmocka_unit_test(test_arena_match_identity_leak_words),
        cmocka_unit_test(test_arena_match_model_name_forms),
        cmocka_unit_test(test_arena_match_pick_pair_weights),
        cmocka_unit_test(test_arena_match_pick_against_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
