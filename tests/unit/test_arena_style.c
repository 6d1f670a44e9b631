/*
 * test_arena_style.c — style control (arena/style.c through
 * arena/leaderboard.c) against the NumPy re-implementation of Chatbot
 * Arena's method in tests/tools/style_reference.py: on the committed
 * battle file with style metadata (tests/data/arena/style.jsonl) the
 * ratings agree within 0.01 rating points, the coefficients and feature
 * statistics to many digits; the bootstrap is reproducible whatever the
 * thread count and its intervals hold the point estimates; a battle
 * without style counts, and style control with Elo, are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena/leaderboard.h"
#include "arena/style.h"
#include "core/util.h"
#include "arena_test_util.h"

static void load_style(arena_battles *l)
{
    char err[TT_ERR_SIZE];
    char *p = source_path("tests/data/arena/style.jsonl");
    int rc = arena_battles_read_file(l, p, err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, TT_OK);
    free(p);
}

static json_t *style_reference(void)
{
    char *p = source_path("tests/data/arena/style_reference.json");
    json_error_t je;
    json_t *ref = json_load_file(p, 0, &je);
    free(p);
    assert_non_null(ref);
    return ref;
}

static void test_style_control_matches_numpy(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_style(&l);
    json_t *ref = style_reference();
    assert_int_equal(l.n, (size_t)json_integer_value(json_object_get(ref, "battles")));
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.style_control = 1;
    o.rounds = 0;
    arena_leaderboard lb;
    char err[TT_ERR_SIZE];
    int rc = arena_leaderboard_compute(&l, &o, &lb, err);
    if (rc) fail_msg("%s", err);
    assert_true(lb.style);
    json_t *models = json_object_get(ref, "models");
    assert_int_equal(lb.idx.n_models, (int)json_array_size(models));
    for (int i = 0; i < lb.idx.n_models; i++) {
        /* the same ids: both follow pd.factorize(concat(model_a, model_b)) */
        assert_string_equal(lb.idx.models[i], json_string_value(json_array_get(models, (size_t)i)));
        double want = json_number_value(json_array_get(json_object_get(ref, "ratings"), (size_t)i));
        if (fabs(lb.ratings[i] - want) > 0.01)
            fail_msg("%s: %.6f, numpy %.6f", lb.idx.models[i], lb.ratings[i], want);
    }
    for (int k = 0; k < ARENA_STYLE_K; k++) {
        double c = json_number_value(json_array_get(json_object_get(ref, "coefficients"), (size_t)k));
        double m = json_number_value(json_array_get(json_object_get(ref, "feature_mean"), (size_t)k));
        double s = json_number_value(json_array_get(json_object_get(ref, "feature_sd"), (size_t)k));
        if (fabs(lb.coef[k] - c) > 1e-6) fail_msg("coefficient %s: %.9f, numpy %.9f", arena_style_feature_name(k), lb.coef[k], c);
        assert_true(fabs(lb.feat_mean[k] - m) < 1e-12);
        assert_true(fabs(lb.feat_sd[k] - s) < 1e-12);
    }
    /* the data were made with a real length effect: the reference and we both see it */
    assert_true(lb.coef[0] > 0.1);
    /* the penalty pins the mean rating at 1000 */
    double mean = 0;
    for (int i = 0; i < lb.idx.n_models; i++) mean += lb.ratings[i] / lb.idx.n_models;
    assert_true(fabs(mean - 1000) < 1e-6);
    arena_leaderboard_free(&lb);
    json_decref(ref);
    arena_battles_free(&l);
}

static void test_style_bootstrap_reproducible(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_style(&l);
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.style_control = 1;
    o.rounds = 40;
    o.seed = 5;
    arena_leaderboard one, many;
    char err[TT_ERR_SIZE];
    o.threads = 1;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &one, err), TT_OK);
    o.threads = 3;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &many, err), TT_OK);
    assert_int_equal(one.n, many.n);
    for (int i = 0; i < one.n; i++) {
        assert_string_equal(one.rows[i].model, many.rows[i].model);
        assert_true(one.rows[i].lower == many.rows[i].lower && one.rows[i].upper == many.rows[i].upper);
        assert_true(one.rows[i].lower < one.rows[i].rating && one.rows[i].rating < one.rows[i].upper);
    }
    for (int k = 0; k < ARENA_STYLE_K; k++) {
        assert_true(one.coef_lower[k] == many.coef_lower[k] && one.coef_upper[k] == many.coef_upper[k]);
        assert_true(one.coef_lower[k] < one.coef[k] && one.coef[k] < one.coef_upper[k]);
    }
    arena_leaderboard_free(&one);
    arena_leaderboard_free(&many);
    arena_battles_free(&l);
}

static void test_style_refusals(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    load_style(&l);
    arena_battles_add(&l, "atlas", "fjord", JUDGE_WIN_A, 2e9, NULL, NULL);   /* no style counts */
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.style_control = 1;
    arena_leaderboard lb;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "1 of 3001"));
    arena_leaderboard_free(&lb);
    o.method = ARENA_METHOD_ELO;
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "elo"));
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
}

/* min_battles hides models and ranks the rest among themselves. */
static void test_min_battles_hides(void **state)
{
    (void)state;
    arena_battles l;
    arena_battles_init(&l);
    add_n(&l, "a", "b", JUDGE_WIN_A, 30);
    add_n(&l, "b", "a", JUDGE_WIN_A, 10);
    add_n(&l, "c", "a", JUDGE_WIN_A, 3);
    add_n(&l, "a", "c", JUDGE_WIN_A, 1);
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.min_battles = 10;
    arena_leaderboard lb;
    char err[TT_ERR_SIZE];
    assert_int_equal(arena_leaderboard_compute(&l, &o, &lb, err), TT_OK);
    assert_int_equal(lb.n, 2);
    assert_int_equal(lb.n_hidden, 1);
    assert_string_equal(lb.rows[0].model, "a");
    assert_int_equal(lb.rows[0].rank, 1);
    assert_int_equal(lb.rows[1].rank, 2);
    arena_leaderboard_free(&lb);
    arena_battles_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_style_control_matches_numpy),
        cmocka_unit_test(test_style_bootstrap_reproducible),
        cmocka_unit_test(test_style_refusals),
        cmocka_unit_test(test_min_battles_hides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
