/*
 * stats.h — aggregation of per-sample metric items into a task score, its
 * standard error, and group (suite) scores, following lm-evaluation-harness
 * (lm-evaluation-harness lm_eval/api/metrics.py and
 * lm_eval/evaluator_utils.py; docs/scoring.md). Pure functions over arrays of
 * doubles: nothing here knows about engines, tasks or the store. The runner
 * calls stats_aggregate() once per (metric, filter) of a task and
 * stats_group() once per group metric; metrics.h says which aggregation each
 * metric uses and produces the items.
 *
 * Items. Each sample contributes one row of stats_item_width(agg) doubles,
 * rows stored one after another (row-major):
 *   mean, median, nanmean, brier_score : {value}
 *   perplexity                         : {loglikelihood}
 *   weighted_perplexity, bits_per_byte : {loglikelihood, weight (words or bytes)}
 *   f1, matthews_corrcoef              : {gold label, predicted label}
 *   bleu                               : {hyp_len, ref_len, match1..4, total1..4}
 *   flat_mean                          : {sum, count} of one document's list
 *
 * Values (exactly lm-eval's):
 *   mean = Σx/n; median = sorted[n/2] (upper median, as lm_eval/api/metrics.py median does;
 *   one lm-eval version indexes the unsorted items); nanmean ignores NaN;
 *   perplexity = exp(-mean ll); weighted_perplexity = exp(-Σll/Σw);
 *   bits_per_byte = -Σll/Σw/ln 2; f1 = sklearn binary F1 (label 1 positive,
 *   0 when undefined); matthews_corrcoef = sklearn multiclass MCC (0 when
 *   undefined); bleu = sacrebleu corpus BLEU 0..100 (metrics.h says how the
 *   statistics are made); brier_score = mean of per-sample Brier sums;
 *   flat_mean = Σsum/Σcount, the mean of the documents' lists flattened
 *   into one (IFEval's agg_inst_level_acc, lm_eval/tasks/ifeval/utils.py).
 *
 * Standard errors (NAN means lm-eval's "N/A"):
 *   mean          closed form sqrt(Σ(x-x̄)²/(n-1)) / sqrt(n);
 *   median, nanmean, perplexity, f1, matthews_corrcoef, bleu: bootstrap —
 *                 B resamples of n rows with replacement, the statistic on
 *                 each, stderr = sample stddev (n-1) of the B values;
 *                 B = opts.bootstrap_iters, but min(B, 100) for bleu;
 *   weighted_perplexity, bits_per_byte, brier_score, flat_mean: NAN
 *                 (lm-eval has no stderr function for them);
 *   n <= 1: NAN; bootstrap_iters <= 0: NAN for every aggregation, the mean
 *   included (lm-eval writes "N/A" for all stderrs then).
 * Bootstrap resampling, two ways (stats_opts.rng):
 *   STATS_RNG_LMEVAL (the default): exactly lm-eval's scheme — chunks of
 *     min(1000, B) replicates, chunk i drawing every index as
 *     floor(random() * n) from CPython's random.Random(i) (core/pyrandom.h),
 *     B // chunk chunks; stderr = lm-eval's sample_stddev of the replicates.
 *     The same items give the same stderr as lm-eval (checked against
 *     CPython in tests/unit/test_stats.c); the seed is not used.
 *   STATS_RNG_SEEDED: B replicates drawn with tt_rng seeded with opts.seed.
 * lm-eval's default is 100000 iterations; ours is STATS_DEFAULT_BOOTSTRAP
 * (1000): the relative error of a bootstrap stderr from B replicates is
 * about 1/sqrt(2B), i.e. ~2% at 1000, enough for a leaderboard and 100x
 * cheaper. Pass 100000 to reproduce lm-eval's numbers exactly.
 */
#ifndef TIANTI_STATS_H
#define TIANTI_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef enum stats_agg {
    STATS_MEAN = 0,
    STATS_MEDIAN,
    STATS_NANMEAN,
    STATS_PERPLEXITY,
    STATS_WEIGHTED_PERPLEXITY,
    STATS_BITS_PER_BYTE,
    STATS_F1,
    STATS_MCC,
    STATS_BLEU,
    STATS_BRIER_SCORE,
    STATS_FLAT_MEAN,
    STATS_AGG_COUNT
} stats_agg;

#define STATS_ITEM_MAX 10
#define STATS_DEFAULT_BOOTSTRAP 1000
#define STATS_DEFAULT_SEED 1234

enum { STATS_RNG_LMEVAL = 0, STATS_RNG_SEEDED = 1 };

typedef struct stats_opts {
    int bootstrap_iters;   /* <= 0: every stderr is NAN ("N/A") */
    uint64_t seed;         /* STATS_RNG_SEEDED only */
    int rng;               /* STATS_RNG_LMEVAL (0, default) or STATS_RNG_SEEDED */
} stats_opts;

/* {STATS_DEFAULT_BOOTSTRAP, STATS_DEFAULT_SEED, STATS_RNG_LMEVAL} */
stats_opts stats_opts_default(void);

/* lm-eval's aggregation name ("mean", "median", "nanmean", "perplexity",
 * "weighted_perplexity", "bits_per_byte", "f1", "matthews_corrcoef",
 * "bleu", "brier_score"); static string. */
const char *stats_agg_name(stats_agg agg);
/* Returns TT_OK and *agg, or TT_ERR_NOTFOUND for an unknown name. */
int stats_agg_from_name(const char *name, stats_agg *agg);
int stats_item_width(stats_agg agg);
/* Whether lm-eval has a stderr for this aggregation. */
int stats_agg_has_stderr(stats_agg agg);

/* The aggregate of n rows (no stderr). NAN when n == 0. */
double stats_value(stats_agg agg, const double *items, size_t n);

/* Aggregate value and stderr of n rows of items (see above). stderr_out may
 * be NULL. opts NULL = defaults. Returns TT_OK, or TT_ERR_USAGE when
 * n == 0 (message says so). Allocates only scratch memory. */
int stats_aggregate(stats_agg agg, const double *items, size_t n, const stats_opts *opts,
                    double *value, double *stderr_out, char *err);

/* Closed-form standard error of the mean (n-1 variance); NAN if n <= 1. */
double stats_mean_stderr(const double *x, size_t n);

/* Bootstrap stderr of agg over n rows, iters as given (no bleu cap):
 * with tt_rng seeded with seed, or lm-eval's chunked CPython scheme. */
double stats_bootstrap_stderr(stats_agg agg, const double *items, size_t n, int iters, uint64_t seed);
double stats_bootstrap_stderr_lmeval(stats_agg agg, const double *items, size_t n, int iters);

/* One subtask of a group: its score, stderr (NAN = N/A) and sample count. */
typedef struct stats_subtask {
    double value;
    double stderr_;
    double size;
} stats_subtask;

/* Group score as lm-eval's aggregate_subtask_metrics + pooled_sample_stderr:
 *   value  = Σ value_i·w_i / Σ w_i, with w_i = size_i (weight_by_size) or 1;
 *   stderr = sqrt( Σ (size_i − 1)·se_i²·size_i / (Σ size_i − k) / Σ size_i ),
 *            always with the real sizes; NAN if any se_i is NAN or Σ size_i <= k.
 * *sample_count = Σ size_i. Returns TT_ERR_USAGE if k == 0. */
int stats_group(const stats_subtask *subs, int k, int weight_by_size, double *value,
                double *stderr_out, double *sample_count, char *err);

#endif
