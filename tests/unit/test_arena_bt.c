/*
 * test_arena_bt.c — arena/bt.c and arena/leaderboard.c: the two-model
 * closed form, the synthetic battle log against an independent NumPy fit
 * (Zermelo's MM iteration, tests/tools/arena_reference.py), ties excluded,
 * aggregated vs unaggregated rows, a model with a single tie, the
 * degenerate cases (never lost, disconnected graph) with ridge or refusal,
 * anchoring, empty input, and the ratings table.
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

#include "arena/bt.h"
#include "arena/leaderboard.h"
#include "store/store.h"
#include "arena_test_util.h"

static void fit_battles(const arena_battles *l, int exclude_ties, arena_bt_opts *o, arena_index *idx,
                        double *theta, arena_bt_info *info, int want_rc)
{
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_index_build(l, exclude_ties, idx, err), TT_OK);
    arena_rows rows;
    arena_rows_build(idx, &rows);
    int rc = arena_bt_fit(&rows, NULL, o, NULL, theta, info, err);
    if (rc != want_rc) fail_msg("fit returned %d (%s)", rc, err);
    arena_rows_free(&rows);
}

/* Two models: the MLE gap is ln(score_a / score_b), ties half each. */
static void test_arena_bt_fit_two_models_closed_form(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 5);
    add_n(&l, "B", "A", JUDGE_WIN_B, 2);   /* A wins from seat B */
    add_n(&l, "A", "B", JUDGE_WIN_B, 3);
    add_n(&l, "B", "A", JUDGE_TIE, 1);
    add_n(&l, "A", "B", JUDGE_TIE_BOTHBAD, 1);
    /* A scores 7 + 1 = 8, B scores 3 + 1 = 4 */
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    arena_index idx;
    double theta[2], r[2];
    arena_bt_info info;
    fit_battles(&l, 0, &o, &idx, theta, &info, TT_OK);
    assert_int_equal(info.degenerate, 0);
    assert_true(info.grad_max < 1e-10);
    assert_true(fabs(theta[0] - theta[1] - log(2.0)) < 1e-10);
    arena_bt_to_ratings(&o, 2, theta, r);
    double gap = 400 * log10(2.0);   /* 120.41 rating points */
    assert_true(fabs(r[0] - (1000 + gap / 2)) < 1e-8);
    assert_true(fabs(r[1] - (1000 - gap / 2)) < 1e-8);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void check_against_reference(int exclude_ties, const char *key)
{
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    json_t *ref = load_reference();
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    arena_index idx;
    double theta[16], r[16];
    arena_bt_info info;
    fit_battles(&l, exclude_ties, &o, &idx, theta, &info, TT_OK);
    assert_int_equal(idx.n_models, 8);
    assert_int_equal(info.degenerate, 0);
    assert_true(info.grad_max < 1e-10);
    arena_bt_to_ratings(&o, idx.n_models, theta, r);
    double mean = 0;
    for (int i = 0; i < idx.n_models; i++) mean += r[i] / idx.n_models;
    assert_true(fabs(mean - 1000) < 1e-9);
    for (size_t i = 0; i < 8; i++) {
        int id = arena_index_find(&idx, ref_model(ref, i));
        assert_true(id >= 0);
        double want = ref_num(ref, key, i);
        if (fabs(r[id] - want) > 1e-6)
            fail_msg("%s %s: got %.9f, reference %.9f", key, ref_model(ref, i), r[id], want);
    }
    json_decref(ref);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_bt_fit_matches_reference(void **state)
{
    (void)state;
    check_against_reference(0, "bt");
}

static void test_arena_bt_fit_exclude_ties_matches_reference(void **state)
{
    (void)state;
    check_against_reference(1, "bt_exclude_ties");
}

/* Aggregating identical rows must not change the optimum. */
static void test_arena_bt_fit_unaggregated_same(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    char err[TT_ERR_SIZE];
    arena_index idx;
    assert_int_equal(arena_index_build(&l, 0, &idx, err), TT_OK);
    arena_rows agg, raw;
    arena_rows_build(&idx, &agg);
    arena_rows_unaggregated(&idx, &raw);
    assert_true(agg.n < raw.n);
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    double t1[8], t2[8];
    assert_int_equal(arena_bt_fit(&agg, NULL, &o, NULL, t1, NULL, err), TT_OK);
    assert_int_equal(arena_bt_fit(&raw, NULL, &o, NULL, t2, NULL, err), TT_OK);
    for (int i = 0; i < 8; i++) assert_true(fabs(t1[i] - t2[i]) < 1e-9);
    arena_rows_free(&agg);
    arena_rows_free(&raw);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

/* X played once, a tie against A: the MLE puts X exactly level with A. */
static void test_arena_bt_fit_single_battle_tie(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 3);
    add_n(&l, "A", "B", JUDGE_WIN_B, 1);
    add_n(&l, "X", "A", JUDGE_TIE, 1);
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    arena_index idx;
    double theta[3];
    arena_bt_info info;
    fit_battles(&l, 0, &o, &idx, theta, &info, TT_OK);
    assert_int_equal(info.degenerate, 0);
    int a = arena_index_find(&idx, "A"), b = arena_index_find(&idx, "B"), x = arena_index_find(&idx, "X");
    assert_true(fabs(theta[x] - theta[a]) < 1e-9);
    /* A vs B: A scored 3 + 0.5 of its 5, B scored 1: stationarity of A and B */
    double pab = 1 / (1 + exp(-(theta[a] - theta[b])));
    assert_true(fabs(4 * pab - 3) < 1e-9);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

/* A model with a single battle that it won: the MLE is infinite; the
 * documented ridge gives θ_A = −θ_B = t with 1 − σ(2t) = ridge·t. */
static void test_arena_bt_fit_never_lost_ridge(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 1);
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    arena_index idx;
    double theta[2];
    arena_bt_info info;
    fit_battles(&l, 0, &o, &idx, theta, &info, TT_OK);
    assert_int_equal(info.degenerate, 1);
    assert_true(info.stray_model >= 0);
    double lo = 0, hi = 50;
    for (int i = 0; i < 200; i++) {
        double t = (lo + hi) / 2;
        if (1 - 1 / (1 + exp(-2 * t)) > o.ridge * t) lo = t; else hi = t;
    }
    /* curvature here is ~5e-4, so a 1e-10 gradient leaves ~2e-7 in θ */
    if (fabs(theta[0] - lo) > 1e-6) fail_msg("theta %.12g %.12g, want %.12g", theta[0], theta[1], lo);
    assert_true(fabs(theta[1] + theta[0]) < 1e-12);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_bt_fit_never_lost_refuse(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 2);
    add_n(&l, "B", "A", JUDGE_TIE, 1);
    add_n(&l, "C", "A", JUDGE_WIN_A, 4);   /* C never lost */
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.bt.degenerate = ARENA_BT_REFUSE;
    arena_leaderboard lb;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_ERR);
    assert_non_null(strstr(err, "'C'"));
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
}

/* Two groups that never met: each group keeps mean 0 under the ridge. */
static void test_arena_bt_fit_disconnected(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "A", "B", JUDGE_WIN_A, 3);
    add_n(&l, "A", "B", JUDGE_WIN_B, 1);
    add_n(&l, "C", "D", JUDGE_WIN_A, 2);
    add_n(&l, "C", "D", JUDGE_WIN_B, 2);
    arena_bt_opts o;
    arena_bt_opts_default(&o);
    arena_index idx;
    double theta[4];
    arena_bt_info info;
    fit_battles(&l, 0, &o, &idx, theta, &info, TT_OK);
    assert_int_equal(info.degenerate, 1);
    int a = arena_index_find(&idx, "A"), b = arena_index_find(&idx, "B");
    int c = arena_index_find(&idx, "C"), d = arena_index_find(&idx, "D");
    assert_true(fabs(theta[a] + theta[b]) < 1e-9);
    assert_true(fabs(theta[c]) < 1e-9 && fabs(theta[d]) < 1e-9);
    /* the ridge shrinks the A–B gap only slightly below ln 3 */
    double gap = theta[a] - theta[b];
    assert_true(gap < log(3.0) && gap > log(3.0) - 1e-3);
    arena_index_free(&idx);
    arena_battles_free(&l);
}

static void test_arena_leaderboard_anchor(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_synthetic(&l);
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    arena_leaderboard plain, anchored;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_leaderboard_compute(&l, &o, &plain, err), TT_OK);
    o.anchor_model = "mistral-m";
    o.anchor_rating = 1114;
    o.rounds = 20;
    o.threads = 2;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &anchored, err), TT_OK);
    int m = arena_index_find(&anchored.idx, "mistral-m");
    assert_true(fabs(anchored.ratings[m] - 1114) < 1e-9);
    double shift = 1114 - plain.ratings[m];
    for (int i = 0; i < plain.n; i++) assert_true(fabs(anchored.ratings[i] - plain.ratings[i] - shift) < 1e-9);
    for (int r = 0; r < anchored.rounds; r++) assert_true(fabs(anchored.samples[r * anchored.n + m] - 1114) < 1e-9);
    /* rows sorted by rating, highest first */
    for (int i = 1; i < anchored.n; i++) assert_true(anchored.rows[i - 1].rating >= anchored.rows[i].rating);
    assert_string_equal(anchored.rows[0].model, "gpt-x");
    arena_leaderboard_free(&anchored);
    o.anchor_model = "nobody";
    assert_int_equal(arena_leaderboard_compute(&l, &o, &anchored, err), TT_ERR_NOTFOUND);
    assert_non_null(strstr(err, "'nobody'"));
    arena_leaderboard_free(&anchored);
    arena_leaderboard_free(&plain);
    arena_battles_free(&l);
}

static void test_arena_leaderboard_empty(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.rounds = 10;
    arena_leaderboard lb;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_OK);
    assert_int_equal(lb.n, 0);
    arena_leaderboard_free(&lb);
    o.method = ARENA_METHOD_ELO;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_OK);
    assert_int_equal(lb.n, 0);
    arena_leaderboard_free(&lb);
}

/* Totals over the ratings rows the store hands back. */
typedef struct stored_ratings {
    int rows, inside;
    int64_t max_rounds, min_seed, battles;
} stored_ratings;

static int sum_rating(void *ctx, const store_rating *r, char *err)
{
    (void)err;
    stored_ratings *t = ctx;
    assert_string_equal(r->method, "bt");
    assert_string_equal(r->source, "all");
    assert_true(r->bootstrap_rounds.has && r->seed.has && r->rank.has);
    if (t->rows == 0 || r->seed.v < t->min_seed) t->min_seed = r->seed.v;
    if (r->bootstrap_rounds.v > t->max_rounds) t->max_rounds = r->bootstrap_rounds.v;
    t->inside += r->lower <= r->rating && r->rating <= r->upper;
    t->battles += r->battles;
    t->rows++;
    return TT_OK;
}

static void test_arena_leaderboard_store(void **state)
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
    load_synthetic(&l);
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.rounds = 50;
    o.seed = 7;
    arena_leaderboard lb;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_OK);
    assert_int_equal(arena_leaderboard_store(s, &lb, &o, "all", err), TT_OK);
    stored_ratings got = {0};
    assert_int_equal(store_ratings_latest(s, "bt", sum_rating, &got, err), TT_OK);
    assert_int_equal(got.rows, 8);
    assert_int_equal(got.inside, 8);            /* lower <= rating <= upper */
    assert_int_equal(got.max_rounds, 50);
    assert_int_equal(got.min_seed, 7);
    assert_int_equal(got.battles, 2 * (int64_t)l.n);
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
    store_close(s);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_bt_fit_two_models_closed_form),
        cmocka_unit_test(test_arena_bt_fit_matches_reference),
        cmocka_unit_test(test_arena_bt_fit_exclude_ties_matches_reference),
        cmocka_unit_test(test_arena_bt_fit_unaggregated_same),
        cmocka_unit_test(test_arena_bt_fit_single_battle_tie),
        cmocka_unit_test(test_arena_bt_fit_never_lost_ridge),
        cmocka_unit_test(test_arena_bt_fit_never_lost_refuse),
        cmocka_unit_test(test_arena_bt_fit_disconnected),
        cmocka_unit_test(test_arena_leaderboard_anchor),
        cmocka_unit_test(test_arena_leaderboard_empty),
        cmocka_unit_test(test_arena_leaderboard_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
