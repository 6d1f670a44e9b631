/*
 * perf_ratings.c — speed of the arena rating pipeline on one million
 * synthetic battles among 20 models of known strength (never run as a
 * test). Prints seconds and battles/s for each stage, each next to its
 * baseline in the same run:
 *   - Bradley–Terry fit on aggregated (a, b, outcome) rows vs one row per
 *     battle;
 *   - 1000 bootstrap rounds drawn as per-row multinomial counts, single
 *     thread vs all threads, vs materialising the resampled battles (with
 *     and without re-aggregation; a few rounds, extrapolated);
 *   - online Elo over all battles.
 * Also checks that the fits recover the known strengths.
 * Usage: perf_ratings [battles (default 1000000)] [rounds (default 1000)]
 */
#include "arena/bootstrap.h"
#include "arena/bt.h"
#include "arena/elo.h"
#include "arena/rows.h"
#include "arena/sample.h"
#include "core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_MODELS 20

/* CPU seconds of the whole process (all threads). */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void make_battles(arena_index *idx, size_t n, const double *strength)
{
    memset(idx, 0, sizeof *idx);
    idx->n_models = N_MODELS;
    idx->models = tt_malloc(N_MODELS * sizeof *idx->models);
    idx->battles = tt_calloc(N_MODELS, sizeof *idx->battles);
    for (int i = 0; i < N_MODELS; i++) idx->models[i] = tt_asprintf("model-%02d", i);
    idx->n = n;
    idx->a = tt_malloc(n * sizeof *idx->a);
    idx->b = tt_malloc(n * sizeof *idx->b);
    idx->outcome = tt_malloc(n);
    idx->tstamp = tt_malloc(n * sizeof *idx->tstamp);
    tt_rng rng;
    tt_rng_seed(&rng, 2026);
    for (size_t k = 0; k < n; k++) {
        int a = (int)tt_rng_below(&rng, N_MODELS), b;
        do b = (int)tt_rng_below(&rng, N_MODELS); while (b == a);
        /* 8% ties; decisive outcomes chosen so that E[score of a] = σ(θa − θb),
         * which makes the known strengths the BT estimand (ties = half a win) */
        double p = 1 / (1 + exp(-(strength[a] - strength[b])));
        double tie = 0.08;
        double u = tt_rng_uniform(&rng);
        unsigned char o = u < tie ? ARENA_OUT_TIE
                        : tt_rng_uniform(&rng) < (p - tie / 2) / (1 - tie) ? ARENA_OUT_A : ARENA_OUT_B;
        idx->a[k] = a;
        idx->b[k] = b;
        idx->outcome[k] = o;
        idx->tstamp[k] = 1.7e9 + (double)k;
        idx->battles[a]++;
        idx->battles[b]++;
    }
}

/* A naive bootstrap round: materialise n resampled battles, then fit
 * either one row per battle or re-aggregated rows. Returns seconds. */
static double naive_rounds(const arena_index *idx, const arena_bt_opts *bt, int rounds, int aggregate,
                           const double *theta0, double *theta_out)
{
    arena_index res = *idx;
    res.a = tt_malloc(idx->n * sizeof *res.a);
    res.b = tt_malloc(idx->n * sizeof *res.b);
    res.outcome = tt_malloc(idx->n);
    char err[TT_ERR_SIZE];
    double t0 = tt_now_s();
    for (int r = 0; r < rounds; r++) {
        tt_rng rng;
        tt_rng_seed(&rng, 1000 + (uint64_t)r);
        for (size_t k = 0; k < idx->n; k++) {
            size_t j = (size_t)tt_rng_below(&rng, idx->n);
            res.a[k] = idx->a[j];
            res.b[k] = idx->b[j];
            res.outcome[k] = idx->outcome[j];
        }
        arena_rows rows;
        if (aggregate) arena_rows_build(&res, &rows);
        else arena_rows_unaggregated(&res, &rows);
        if (arena_bt_fit(&rows, NULL, bt, theta0, theta_out, NULL, err) != TT_OK) fprintf(stderr, "%s\n", err);
        arena_rows_free(&rows);
    }
    double dt = tt_now_s() - t0;
    free(res.a);
    free(res.b);
    free(res.outcome);
    return dt;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 1000;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    double strength[N_MODELS];
    for (int i = 0; i < N_MODELS; i++) strength[i] = -1.5 + 3.0 * i / (N_MODELS - 1);
    printf("perf_ratings: %zu battles, %d models, %d bootstrap rounds, %ld cpus\n\n", n, N_MODELS, rounds, cpus);

    arena_index idx;
    make_battles(&idx, n, strength);
    arena_bt_opts bt;
    arena_bt_opts_default(&bt);
    char err[TT_ERR_SIZE];

    double t0 = tt_now_s();
    arena_rows agg;
    arena_rows_build(&idx, &agg);
    double t_agg = tt_now_s() - t0;
    arena_rows raw;
    arena_rows_unaggregated(&idx, &raw);
    printf("aggregate rows          %8.4f s  %12.0f battles/s  (%zu distinct rows)\n", t_agg, n / t_agg, agg.n);

    double th_agg[N_MODELS], th_raw[N_MODELS];
    arena_bt_info info;
    t0 = tt_now_s();
    if (arena_bt_fit(&agg, NULL, &bt, NULL, th_agg, &info, err)) { fprintf(stderr, "%s\n", err); return 1; }
    double t_fit_agg = tt_now_s() - t0;
    int it_agg = info.iterations;
    t0 = tt_now_s();
    if (arena_bt_fit(&raw, NULL, &bt, NULL, th_raw, &info, err)) { fprintf(stderr, "%s\n", err); return 1; }
    double t_fit_raw = tt_now_s() - t0;
    double diff = 0, err_true = 0, mean_s = 0;
    for (int i = 0; i < N_MODELS; i++) mean_s += strength[i] / N_MODELS;
    for (int i = 0; i < N_MODELS; i++) {
        diff = fmax(diff, fabs(th_agg[i] - th_raw[i]));
        err_true = fmax(err_true, fabs(th_agg[i] - (strength[i] - mean_s)));
    }
    double pts = bt.scale / log(bt.base);
    printf("BT fit, aggregated      %8.4f s  %12.0f battles/s  (%d newton steps)\n", t_fit_agg, n / t_fit_agg, it_agg);
    printf("BT fit, row per battle  %8.4f s  %12.0f battles/s  (%d newton steps)  baseline: %.0fx slower\n",
           t_fit_raw, n / t_fit_raw, info.iterations, t_fit_raw / t_fit_agg);
    printf("  same optimum: max |diff| %.2e rating points; max error vs true strengths %.2f points\n\n",
           diff * pts, err_true * pts);

    double *samples = tt_malloc((size_t)rounds * N_MODELS * sizeof *samples);
    arena_boot_opts b1 = {rounds, 7, 1}, ball = {rounds, 7, 0};
    t0 = tt_now_s();
    double c1 = cpu_s();
    if (arena_bootstrap_bt(&agg, &bt, th_agg, &b1, samples, err)) { fprintf(stderr, "%s\n", err); return 1; }
    double t_b1 = tt_now_s() - t0, c_b1 = cpu_s() - c1;
    t0 = tt_now_s();
    double c0 = cpu_s();
    if (arena_bootstrap_bt(&agg, &bt, th_agg, &ball, samples, err)) { fprintf(stderr, "%s\n", err); return 1; }
    double t_ball = tt_now_s() - t0, c_ball = cpu_s() - c0;
    double lo[N_MODELS], hi[N_MODELS], r_true[N_MODELS];
    arena_bootstrap_summary(samples, rounds, N_MODELS, NULL, lo, hi);
    arena_bt_to_ratings(&bt, N_MODELS, strength, r_true);
    int covered = 0;
    for (int i = 0; i < N_MODELS; i++) {
        double tr = r_true[i] - pts * mean_s;
        covered += lo[i] <= tr && tr <= hi[i];
    }
    printf("bootstrap %d rounds, multinomial counts:\n", rounds);
    printf("  1 thread              %8.4f s  %12.0f battle-resamples/s  (process cpu %.2f s)\n", t_b1,
           (double)n * rounds / t_b1, c_b1);
    printf("  %ld threads             %8.4f s  %12.0f battle-resamples/s  (%.2fx vs 1 thread; "
           "process cpu %.2f s = %.2f cores busy)\n", cpus, t_ball, (double)n * rounds / t_ball, t_b1 / t_ball,
           c_ball, c_ball / t_ball);
    printf("  95%% intervals cover the true rating for %d of %d models\n", covered, N_MODELS);

    int nr_raw = 3, nr_mat = 10;
    double th[N_MODELS];
    double t_raw = naive_rounds(&idx, &bt, nr_raw, 0, th_agg, th) / nr_raw;
    double t_mat = naive_rounds(&idx, &bt, nr_mat, 1, th_agg, th) / nr_mat;
    printf("baselines, 1 thread, per round (extrapolated to %d rounds):\n", rounds);
    printf("  materialise + row per battle   %8.4f s/round  -> %8.1f s  (%.0fx slower than multinomial)\n",
           t_raw, t_raw * rounds, t_raw * rounds / t_b1);
    printf("  materialise + re-aggregate     %8.4f s/round  -> %8.1f s  (%.0fx slower than multinomial)\n\n",
           t_mat, t_mat * rounds, t_mat * rounds / t_b1);

    arena_elo_opts eo;
    arena_elo_opts_default(&eo);
    double elo[N_MODELS];
    t0 = tt_now_s();
    arena_elo_fit(&idx, &eo, elo);
    double t_elo = tt_now_s() - t0;
    printf("online elo (K=4)        %8.4f s  %12.0f battles/s\n", t_elo, n / t_elo);

    free(samples);
    arena_rows_free(&agg);
    arena_rows_free(&raw);
    arena_index_free(&idx);
    return 0;
}
