/*
 * perf_ratings.c — speed of the arena rating pipeline on one million
 * synthetic battles among 20 models of known strength (never run as a
 * test). First the whole pipeline end to end, side by side with FastChat's
 * Python pipeline on the same file: a JSON Lines battle file is written,
 * then `tianti ratings --battles FILE --bootstrap 1000` is done in-process
 * (read, clean, Bradley–Terry, 1000 bootstrap rounds, intervals; best of
 * three) and tests/perf/ratings_peer.py does the same with pandas, NumPy,
 * SciPy and scikit-learn (its leaderboard pipeline in full, and the older
 * notebook pipeline timed on a few rounds and extrapolated). The speed-up
 * and the largest rating difference are printed; without Debian's
 * python3-pandas, python3-scipy, python3-sklearn the peer is skipped with
 * a note. Then each stage, next to its baseline in the same run:
 *   - Bradley–Terry fit on aggregated (a, b, outcome) rows vs one row per
 *     battle;
 *   - 1000 bootstrap rounds drawn as per-row multinomial counts, single
 *     thread vs all threads, vs materialising the resampled battles (with
 *     and without re-aggregation; a few rounds, extrapolated);
 *   - online Elo over all battles.
 * Also checks that the fits recover the known strengths.
 * Usage: perf_ratings [battles (default 1000000)] [rounds (default 1000)] [--no-peer]
 */
#include "arena/battles.h"
#include "arena/bootstrap.h"
#include "arena/bt.h"
#include "arena/clean.h"
#include "arena/leaderboard.h"
#include "arena/elo.h"
#include "arena/rows.h"
#include "arena/sample.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* Writes idx's battles as a Chatbot Arena JSON Lines file. */
static int write_jsonl(const arena_index *idx, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    static const char *const win[] = {"model_b", "tie", "model_a"};
    for (size_t k = 0; k < idx->n; k++)
        fprintf(f, "{\"model_a\": \"%s\", \"model_b\": \"%s\", \"winner\": \"%s\", \"tstamp\": %.1f}\n",
                idx->models[idx->a[k]], idx->models[idx->b[k]], win[idx->outcome[k]], idx->tstamp[k]);
    return fclose(f);
}

typedef struct e2e {
    double total, read, clean, rate, cpu;
    arena_leaderboard lb;
} e2e;

/* `tianti ratings --battles path --bootstrap rounds` in-process. */
static int tianti_end_to_end(const char *path, int rounds, e2e *out)
{
    char err[TT_ERR_SIZE];
    double c0 = cpu_s();
    double t0 = tt_now_s();
    arena_battles l;
    arena_battles_init(&l);
    if (arena_battles_read_file(&l, path, err) != TT_OK) { fprintf(stderr, "%s\n", err); return -1; }
    double t1 = tt_now_s();
    arena_clean_opts co;
    arena_clean_opts_default(&co);
    arena_clean(&l, &co, NULL, err);
    double t2 = tt_now_s();
    arena_lb_opts o;
    arena_lb_opts_default(&o);
    o.rounds = rounds;
    if (arena_leaderboard_compute(&l, &o, &out->lb, err) != TT_OK) { fprintf(stderr, "%s\n", err); return -1; }
    double t3 = tt_now_s();
    arena_battles_free(&l);
    out->cpu = cpu_s() - c0;
    out->total = t3 - t0;
    out->read = t1 - t0;
    out->clean = t2 - t1;
    out->rate = t3 - t2;
    return 0;
}

/* Runs the Python peer; its JSON object, or NULL with why. */
static json_t *run_peer(const char *path, const char *pipeline, int rounds, char *why, size_t why_n)
{
    char *dir = tt_dirname(__FILE__);
    char *cmd = tt_asprintf("/usr/bin/python3 '%s/ratings_peer.py' '%s' --pipeline %s --rounds %d 2>&1", dir, path,
                            pipeline, rounds);
    struct rusage before, after;
    getrusage(RUSAGE_CHILDREN, &before);
    free(dir);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) {
        snprintf(why, why_n, "cannot start /usr/bin/python3");
        return NULL;
    }
    tt_buf b;
    tt_buf_init(&b);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) tt_buf_append(&b, buf, got);
    int st = pclose(p);
    getrusage(RUSAGE_CHILDREN, &after);
    double child_cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec -
                                before.ru_stime.tv_sec) +
                       (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec -
                                before.ru_stime.tv_usec) * 1e-6;
    /* the JSON object is the last line that opens with '{' (warnings may come first) */
    const char *out = tt_buf_str(&b), *last = NULL;
    for (const char *q = out; q && *q; q = strchr(q, '\n') ? strchr(q, '\n') + 1 : NULL)
        if (*q == '{') last = q;
    json_t *j = last ? json_loads(last, 0, NULL) : NULL;
    if (!j || json_object_get(j, "missing") || st != 0) {
        snprintf(why, why_n, "%s", j && json_object_get(j, "missing") ? json_string_value(json_object_get(j, "missing"))
                                   : st != 0 ? "the peer failed (is /usr/bin/python3 there?)" : "no JSON from the peer");
        json_decref(j);
        j = NULL;
    }
    if (j) json_object_set_new(j, "cpu_s", json_real(child_cpu));
    tt_buf_free(&b);
    return j;
}

static double jnum(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static void end_to_end(const arena_index *idx, int rounds, int peer)
{
    char path[] = "/tmp/tianti-perf-ratings-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    close(fd);
    if (write_jsonl(idx, path) != 0) { fprintf(stderr, "cannot write %s\n", path); return; }
    e2e best = {0}, run;
    for (int i = 0; i < 3; i++) {
        memset(&run, 0, sizeof run);
        if (tianti_end_to_end(path, rounds, &run) != 0) break;
        if (i == 0 || run.total < best.total) {
            arena_leaderboard_free(&best.lb);
            best = run;
        } else {
            arena_leaderboard_free(&run.lb);
        }
    }
    printf("end to end: %zu battles from a JSON Lines file, BT + %d bootstrap rounds, %ld cpus\n", idx->n, rounds,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("  tianti ratings              %8.3f s  (read %.3f, clean %.3f, fit + bootstrap %.3f; best of 3; "
           "cpu %.3f s)\n", best.total, best.read, best.clean, best.rate, best.cpu);
    if (!peer) {
        printf("  peer not run (--no-peer)\n\n");
    } else {
        char why[512];
        json_t *lb = run_peer(path, "leaderboard", rounds, why, sizeof why);
        if (!lb) {
            printf("  FastChat peer not run: %s\n  (Debian: apt-get install python3-pandas python3-scipy "
                   "python3-sklearn); only Tianti's figures above\n\n", why);
        } else {
            double diff = 0;
            json_t *r = json_object_get(lb, "ratings");
            for (int i = 0; i < best.lb.n; i++) {
                json_t *v = json_object_get(r, best.lb.rows[i].model);
                if (json_is_number(v)) diff = fmax(diff, fabs(json_number_value(v) - best.lb.rows[i].rating));
            }
            printf("  FastChat leaderboard, Python %8.3f s  (read %.3f, prepare %.3f, fit %.3f, bootstrap %.3f; "
                   "cpu %.3f s)\n", jnum(lb, "total_s"), jnum(lb, "read_s"), jnum(lb, "prepare_s"), jnum(lb, "fit_s"),
                   jnum(lb, "bootstrap_s"), jnum(lb, "cpu_s"));
            printf("    pandas/NumPy/SciPy: compute_bt + compute_bootstrap_bt (L-BFGS-B, multinomial, process pool)\n");
            printf("  speed-up                    %8.1fx  (reading alone: %.1fx; cpu time: %.1fx); ratings agree "
                   "within %.4f points\n", jnum(lb, "total_s") / best.total, jnum(lb, "read_s") / best.read,
                   jnum(lb, "cpu_s") / best.cpu, diff);
            json_decref(lb);
            int nb_rounds = 2;
            json_t *nb = run_peer(path, "notebook", nb_rounds, why, sizeof why);
            if (nb) {
                double extrap = jnum(nb, "read_s") + jnum(nb, "fit_s") + jnum(nb, "per_round_s") * rounds;
                printf("  FastChat notebook, Python   %8.1f s  extrapolated (read %.2f, fit %.2f, %.2f s per round, "
                       "%d rounds timed)\n", extrap, jnum(nb, "read_s"), jnum(nb, "fit_s"), jnum(nb, "per_round_s"),
                       nb_rounds);
                printf("    scikit-learn: compute_mle_elo + get_bootstrap_result (resampled battle table)\n");
                printf("  speed-up                    %8.0fx\n", extrap / best.total);
                json_decref(nb);
            } else {
                printf("  FastChat notebook pipeline not run: %s\n", why);
            }
            printf("\n");
        }
    }
    arena_leaderboard_free(&best.lb);
    unlink(path);
}

int main(int argc, char **argv)
{
    int peer = 1;
    if (argc > 1 && !strcmp(argv[argc - 1], "--no-peer")) peer = 0, argc--;
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 1000;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    double strength[N_MODELS];
    for (int i = 0; i < N_MODELS; i++) strength[i] = -1.5 + 3.0 * i / (N_MODELS - 1);
    printf("perf_ratings: %zu battles, %d models, %d bootstrap rounds, %ld cpus\n\n", n, N_MODELS, rounds, cpus);

    arena_index idx;
    make_battles(&idx, n, strength);
    end_to_end(&idx, rounds, peer);
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
