/*
 * bootstrap.c — bootstrap rounds of bootstrap.h, one tt_parallel_for item
 * per round (core/pool.h hands round numbers out from a shared counter);
 * each round's RNG and output row depend only on (seed, round), which makes
 * the result independent of the thread count and of scheduling.
 */
#include "arena/bootstrap.h"
#include "arena/sample.h"
#include "core/pool.h"
#include "core/util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void arena_boot_opts_default(arena_boot_opts *o)
{
    o->rounds = 1000;
    o->seed = 0;
    o->threads = 0;
}

static void round_rng(tt_rng *rng, uint64_t seed, int round)
{
    tt_rng_seed(rng, seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(round + 1)));
}

/* Buffers one worker reuses from round to round. */
typedef struct boot_scratch {
    uint64_t *counts;   /* BT: multinomial counts per row */
    double *w;          /* BT: the same as weights */
    double *theta;      /* BT: the fit */
    size_t *order;      /* Elo: battle indices in replay order */
} boot_scratch;

typedef struct boot_job {
    /* inputs */
    const arena_rows *rows;
    const arena_bt_opts *bt;
    arena_bt_opts bt_connected;  /* bt with assume_connected, for full resamples */
    int full_connected;          /* the full data's graph is strongly connected */
    const double *theta_hat;
    const arena_index *idx;
    const arena_elo_opts *eo;
    uint64_t seed;
    int rounds;
    double *samples;
    /* shared state */
    boot_scratch *scratch;   /* [workers] */
    pthread_mutex_t lock;
    int fail_round;          /* smallest failing round, or rounds */
    int fail_rc;
    char fail_msg[TT_ERR_SIZE];
} boot_job;

static void record_failure(boot_job *j, int round, int rc, const char *msg)
{
    pthread_mutex_lock(&j->lock);
    if (round < j->fail_round) {
        j->fail_round = round;
        j->fail_rc = rc;
        snprintf(j->fail_msg, sizeof j->fail_msg, "bootstrap round %d: %.400s", round, msg);
    }
    pthread_mutex_unlock(&j->lock);
}

/* One Bradley–Terry round (a tt_parallel_for item). */
static int bt_round(void *arg, size_t round, int worker)
{
    boot_job *j = arg;
    const arena_rows *rows = j->rows;
    int n = rows->n_models, r = (int)round;
    boot_scratch *sc = &j->scratch[worker];
    if (!sc->theta) {
        sc->counts = tt_malloc((rows->n ? rows->n : 1) * sizeof *sc->counts);
        sc->w = tt_malloc((rows->n ? rows->n : 1) * sizeof *sc->w);
        sc->theta = tt_malloc((size_t)(n ? n : 1) * sizeof *sc->theta);
    }
    char err[TT_ERR_SIZE];
    tt_rng rng;
    round_rng(&rng, j->seed, r);
    arena_multinomial(&rng, (uint64_t)rows->total, rows->w, rows->n, sc->counts);
    int every_row = 1;
    for (size_t k = 0; k < rows->n; k++) {
        sc->w[k] = (double)sc->counts[k];
        if (rows->w[k] > 0 && sc->counts[k] == 0) every_row = 0;
    }
    /* a resample holding every row has the full data's graph: no need to test it again */
    const arena_bt_opts *bt = every_row && j->full_connected ? &j->bt_connected : j->bt;
    int rc = arena_bt_fit(rows, sc->w, bt, j->theta_hat, sc->theta, NULL, err);
    if (rc != TT_OK) record_failure(j, r, rc, err);   /* and go on: the smallest failing round is reported */
    else arena_bt_to_ratings(j->bt, n, sc->theta, j->samples + (size_t)r * n);
    return 0;
}

/* One Elo round (a tt_parallel_for item). */
static int elo_round(void *arg, size_t round, int worker)
{
    boot_job *j = arg;
    const arena_index *idx = j->idx;
    boot_scratch *sc = &j->scratch[worker];
    if (!sc->order) sc->order = tt_malloc((idx->n ? idx->n : 1) * sizeof *sc->order);
    tt_rng rng;
    round_rng(&rng, j->seed, (int)round);
    for (size_t k = 0; k < idx->n; k++) sc->order[k] = (size_t)tt_rng_below(&rng, idx->n);
    arena_elo_fit_order(idx, sc->order, idx->n, j->eo, j->samples + round * (size_t)idx->n_models);
    return 0;
}

static int run_rounds(boot_job *j, int threads, tt_item_fn fn, char *err)
{
    size_t rounds = j->rounds > 0 ? (size_t)j->rounds : 0;
    int workers = tt_pool_workers(threads, rounds);
    j->scratch = tt_calloc((size_t)workers, sizeof *j->scratch);
    pthread_mutex_init(&j->lock, NULL);
    j->fail_round = j->rounds;
    j->fail_rc = TT_OK;
    tt_parallel_for(rounds, threads, fn, j);
    for (int w = 0; w < workers; w++) {
        free(j->scratch[w].counts);
        free(j->scratch[w].w);
        free(j->scratch[w].theta);
        free(j->scratch[w].order);
    }
    free(j->scratch);
    pthread_mutex_destroy(&j->lock);
    if (j->fail_rc != TT_OK) return tt_fail(err, j->fail_rc, "%s", j->fail_msg);
    return TT_OK;
}

int arena_bootstrap_bt(const arena_rows *rows, const arena_bt_opts *bt, const double *theta_hat,
                       const arena_boot_opts *bo, double *samples, char *err)
{
    boot_job j;
    memset(&j, 0, sizeof j);
    j.rows = rows;
    j.bt = bt;
    j.bt_connected = *bt;
    j.bt_connected.assume_connected = 1;
    j.full_connected = arena_bt_connected(rows, NULL);
    j.theta_hat = theta_hat;
    j.seed = bo->seed;
    j.rounds = bo->rounds;
    j.samples = samples;
    return run_rounds(&j, bo->threads, bt_round, err);
}

int arena_bootstrap_elo(const arena_index *idx, const arena_elo_opts *eo,
                        const arena_boot_opts *bo, double *samples, char *err)
{
    boot_job j;
    memset(&j, 0, sizeof j);
    j.idx = idx;
    j.eo = eo;
    j.seed = bo->seed;
    j.rounds = bo->rounds;
    j.samples = samples;
    return run_rounds(&j, bo->threads, elo_round, err);
}

double arena_quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0) return NAN;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

void arena_bootstrap_summary(const double *samples, int rounds, int n_models,
                             double *median, double *lower, double *upper)
{
    double *col = tt_malloc((size_t)(rounds > 0 ? rounds : 1) * sizeof *col);
    for (int i = 0; i < n_models; i++) {
        for (int r = 0; r < rounds; r++) col[r] = samples[(size_t)r * n_models + i];
        qsort(col, (size_t)rounds, sizeof *col, cmp_double);
        if (median) median[i] = arena_quantile_sorted(col, (size_t)rounds, 0.5);
        if (lower) lower[i] = arena_quantile_sorted(col, (size_t)rounds, 0.025);
        if (upper) upper[i] = arena_quantile_sorted(col, (size_t)rounds, 0.975);
    }
    free(col);
}

void arena_rank_by_interval(int n, const double *lower, const double *upper, int *rank)
{
    for (int i = 0; i < n; i++) {
        int r = 1;
        for (int j = 0; j < n; j++)
            if (j != i && lower[j] > upper[i]) r++;
        rank[i] = r;
    }
}
