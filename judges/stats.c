/*
 * stats.c — aggregations, closed-form and bootstrap standard errors, and
 * group pooling as lm-evaluation-harness computes them. Called by the
 * runner via stats.h; metrics.c supplies the items; pyrandom.c supplies
 * CPython's generator for lm-eval-identical bootstrap resamples.
 */
#include "judges/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyrandom.h"
#include "core/util.h"

static const char *const agg_names[STATS_AGG_COUNT] = {
    "mean", "median", "nanmean", "perplexity", "weighted_perplexity", "bits_per_byte",
    "f1", "matthews_corrcoef", "bleu", "brier_score", "flat_mean",
};

stats_opts stats_opts_default(void)
{
    stats_opts o = { STATS_DEFAULT_BOOTSTRAP, STATS_DEFAULT_SEED, STATS_RNG_LMEVAL };
    return o;
}

const char *stats_agg_name(stats_agg agg)
{
    return (unsigned)agg < STATS_AGG_COUNT ? agg_names[agg] : "?";
}

int stats_agg_from_name(const char *name, stats_agg *agg)
{
    for (int i = 0; i < STATS_AGG_COUNT; i++)
        if (name && strcmp(name, agg_names[i]) == 0) { *agg = (stats_agg)i; return TT_OK; }
    return TT_ERR_NOTFOUND;
}

int stats_item_width(stats_agg agg)
{
    switch (agg) {
    case STATS_WEIGHTED_PERPLEXITY:
    case STATS_BITS_PER_BYTE:
    case STATS_F1:
    case STATS_MCC:
    case STATS_FLAT_MEAN: return 2;
    case STATS_BLEU: return 10;
    default: return 1;
    }
}

int stats_agg_has_stderr(stats_agg agg)
{
    return !(agg == STATS_WEIGHTED_PERPLEXITY || agg == STATS_BITS_PER_BYTE || agg == STATS_BRIER_SCORE ||
             agg == STATS_FLAT_MEAN);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sacrebleu (>= 2.0) BLEU.compute_bleu on summed statistics, as lm-eval's
 * bleu aggregation calls it (corpus_bleu, default "exp" smoothing); 0..100.
 * With no matching n-gram at all it returns 0.0 before any smoothing
 * (sacrebleu's early stop, its issue #141). */
static double bleu_from_stats(const double *s)
{
    double sys_len = s[0], ref_len = s[1];
    if (s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0) return 0.0;
    double prec[4] = { 0, 0, 0, 0 };
    double smooth = 1.0;
    for (int k = 0; k < 4; k++) {
        double correct = s[2 + k], total = s[6 + k];
        if (total == 0) break;
        if (correct == 0) {
            smooth *= 2;
            prec[k] = 100.0 / (smooth * total);
        } else {
            prec[k] = 100.0 * correct / total;
        }
    }
    double bp = 1.0;
    if (sys_len < ref_len) bp = sys_len > 0 ? exp(1.0 - ref_len / sys_len) : 0.0;
    double sum = 0;
    for (int k = 0; k < 4; k++) sum += prec[k] > 0 ? log(prec[k]) : -9999999999.0;
    return bp * exp(sum / 4);
}

/* Labels of f1/mcc: rows {gold, pred}. */
static double f1_value(const double *it, size_t n)
{
    double tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        int g = it[2 * i] == 1.0, p = it[2 * i + 1] == 1.0;
        tp += g && p;
        fp += !g && p;
        fn += g && !p;
    }
    double den = 2 * tp + fp + fn;
    return den > 0 ? 2 * tp / den : 0.0;
}

static double mcc_value(const double *it, size_t n)
{
    /* sklearn: cov_ytyp = c·s − Σ t_k p_k; cov_ypyp = s² − Σ p_k²;
     * cov_ytyt = s² − Σ t_k²; mcc = cov_ytyp / sqrt(cov_ytyt·cov_ypyp). */
    double *labels = tt_malloc(2 * n * sizeof(double) + 1);
    for (size_t i = 0; i < 2 * n; i++) labels[i] = it[i];
    qsort(labels, 2 * n, sizeof(double), cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (u == 0 || labels[i] != labels[u - 1]) labels[u++] = labels[i];
    double *t = tt_calloc(u + 1, sizeof(double)), *p = tt_calloc(u + 1, sizeof(double));
    double c = 0, s = (double)n;
    for (size_t i = 0; i < n; i++) {
        double g = it[2 * i], q = it[2 * i + 1];
        double *gk = bsearch(&g, labels, u, sizeof(double), cmp_double);
        double *qk = bsearch(&q, labels, u, sizeof(double), cmp_double);
        t[gk - labels] += 1;
        p[qk - labels] += 1;
        c += g == q;
    }
    double tp = 0, pp = 0, tt = 0;
    for (size_t k = 0; k < u; k++) { tp += t[k] * p[k]; pp += p[k] * p[k]; tt += t[k] * t[k]; }
    free(labels);
    free(t);
    free(p);
    double cov_tp = c * s - tp, cov_pp = s * s - pp, cov_tt = s * s - tt;
    if (cov_pp * cov_tt == 0) return 0.0;
    return cov_tp / sqrt(cov_tt * cov_pp);
}

double stats_value(stats_agg agg, const double *it, size_t n)
{
    if (n == 0) return NAN;
    switch (agg) {
    case STATS_MEAN:
    case STATS_BRIER_SCORE: {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += it[i];
        return s / (double)n;
    }
    case STATS_NANMEAN: {
        double s = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(it[i])) { s += it[i]; m++; }
        return m ? s / (double)m : NAN;
    }
    case STATS_MEDIAN: {
        double *v = tt_malloc(n * sizeof *v);
        memcpy(v, it, n * sizeof *v);
        qsort(v, n, sizeof *v, cmp_double);
        double r = v[n / 2];
        free(v);
        return r;
    }
    case STATS_PERPLEXITY: {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += it[i];
        return exp(-s / (double)n);
    }
    case STATS_WEIGHTED_PERPLEXITY:
    case STATS_BITS_PER_BYTE: {
        double ll = 0, w = 0;
        for (size_t i = 0; i < n; i++) { ll += it[2 * i]; w += it[2 * i + 1]; }
        return agg == STATS_WEIGHTED_PERPLEXITY ? exp(-ll / w) : -ll / w / log(2.0);
    }
    case STATS_FLAT_MEAN: {
        double sum = 0, count = 0;
        for (size_t i = 0; i < n; i++) { sum += it[2 * i]; count += it[2 * i + 1]; }
        return count > 0 ? sum / count : NAN;
    }
    case STATS_F1: return f1_value(it, n);
    case STATS_MCC: return mcc_value(it, n);
    case STATS_BLEU: {
        double s[10] = { 0 };
        for (size_t i = 0; i < n; i++)
            for (int k = 0; k < 10; k++) s[k] += it[10 * i + k];
        return bleu_from_stats(s);
    }
    default: return NAN;
    }
}

double stats_mean_stderr(const double *x, size_t n)
{
    if (n <= 1) return NAN;
    double mu = 0;
    for (size_t i = 0; i < n; i++) mu += x[i];
    mu /= (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
    return sqrt(ss / (double)(n - 1)) / sqrt((double)n);
}

/* Aggregations that are a function of column sums (and the row count):
 * their resamples need no copy of the rows. */
static int sum_decomposable(stats_agg agg)
{
    return agg == STATS_PERPLEXITY || agg == STATS_BLEU || agg == STATS_NANMEAN || agg == STATS_MEAN ||
           agg == STATS_WEIGHTED_PERPLEXITY || agg == STATS_BITS_PER_BYTE || agg == STATS_BRIER_SCORE;
}

/* The statistic from column sums sum[w] over m counted rows. */
static double value_from_sums(stats_agg agg, const double *sum, double m)
{
    switch (agg) {
    case STATS_PERPLEXITY: return exp(-sum[0] / m);
    case STATS_BLEU: return bleu_from_stats(sum);
    case STATS_WEIGHTED_PERPLEXITY: return exp(-sum[0] / sum[1]);
    case STATS_BITS_PER_BYTE: return -sum[0] / sum[1] / log(2.0);
    default: return m > 0 ? sum[0] / m : NAN;   /* mean, nanmean, brier */
    }
}

/* lm-eval's sample_stddev: mu = Σx/n, sqrt(Σ(x − mu)² / (n − 1)), summed in order. */
static double sample_stddev(const double *x, size_t n)
{
    double mu = 0, ss = 0;
    for (size_t i = 0; i < n; i++) mu += x[i];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
    return sqrt(ss / (double)(n - 1));
}

/* Index source for resampling: either tt_rng or CPython's MT19937. */
typedef struct drawer {
    int lmeval;
    tt_rng tt;
    pyrandom py;
} drawer;

static size_t draw(drawer *d, size_t n)
{
    return d->lmeval ? pyrandom_choice_index(&d->py, n) : (size_t)tt_rng_below(&d->tt, n);
}

/* One replicate of agg on n rows drawn with replacement. */
static double replicate(stats_agg agg, const double *items, size_t n, int w, double *res, drawer *d)
{
    if (res) {
        for (size_t i = 0; i < n; i++)
            memcpy(res + i * (size_t)w, items + draw(d, n) * (size_t)w, (size_t)w * sizeof(double));
        return stats_value(agg, res, n);
    }
    double sum[STATS_ITEM_MAX] = { 0 };
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = items + draw(d, n) * (size_t)w;
        if (agg == STATS_NANMEAN && isnan(row[0])) continue;
        for (int k = 0; k < w; k++) sum[k] += row[k];
        m += 1;
    }
    return value_from_sums(agg, sum, m);
}

static double bootstrap(stats_agg agg, const double *items, size_t n, int iters, uint64_t seed, int lmeval)
{
    if (n <= 1 || iters <= 1) return NAN;
    int w = stats_item_width(agg);
    double *reps = tt_malloc((size_t)iters * sizeof(double));
    double *res = sum_decomposable(agg) ? NULL : tt_malloc(n * (size_t)w * sizeof(double));
    drawer d;
    d.lmeval = lmeval;
    size_t nrep = 0;
    if (lmeval) {
        /* chunks of min(1000, iters) replicates; chunk i draws from
         * random.Random(i); iters // chunk chunks in all */
        int chunk = iters < 1000 ? iters : 1000;
        for (int c = 0; c < iters / chunk; c++) {
            pyrandom_seed(&d.py, (uint64_t)c);
            for (int b = 0; b < chunk; b++) reps[nrep++] = replicate(agg, items, n, w, res, &d);
        }
    } else {
        tt_rng_seed(&d.tt, seed);
        for (int b = 0; b < iters; b++) reps[nrep++] = replicate(agg, items, n, w, res, &d);
    }
    double se = nrep > 1 ? sample_stddev(reps, nrep) : NAN;
    free(res);
    free(reps);
    return se;
}

double stats_bootstrap_stderr(stats_agg agg, const double *items, size_t n, int iters, uint64_t seed)
{
    return bootstrap(agg, items, n, iters, seed, 0);
}

double stats_bootstrap_stderr_lmeval(stats_agg agg, const double *items, size_t n, int iters)
{
    return bootstrap(agg, items, n, iters, 0, 1);
}

int stats_aggregate(stats_agg agg, const double *items, size_t n, const stats_opts *opts,
                    double *value, double *stderr_out, char *err)
{
    stats_opts o = opts ? *opts : stats_opts_default();
    if ((unsigned)agg >= STATS_AGG_COUNT) return tt_fail(err, TT_ERR_USAGE, "unknown aggregation %d", (int)agg);
    if (n == 0) return tt_fail(err, TT_ERR_USAGE, "aggregation '%s': no samples", stats_agg_name(agg));
    *value = stats_value(agg, items, n);
    if (!stderr_out) return TT_OK;
    if (o.bootstrap_iters <= 0 || !stats_agg_has_stderr(agg)) {
        *stderr_out = NAN;
    } else if (agg == STATS_MEAN) {
        *stderr_out = stats_mean_stderr(items, n);
    } else {
        int iters = o.bootstrap_iters;
        if (agg == STATS_BLEU && iters > 100) iters = 100;
        *stderr_out = o.rng == STATS_RNG_SEEDED ? stats_bootstrap_stderr(agg, items, n, iters, o.seed)
                                                : stats_bootstrap_stderr_lmeval(agg, items, n, iters);
    }
    return TT_OK;
}

int stats_group(const stats_subtask *subs, int k, int weight_by_size, double *value,
                double *stderr_out, double *sample_count, char *err)
{
    if (k <= 0) return tt_fail(err, TT_ERR_USAGE, "group aggregation: no subtasks");
    double num = 0, den = 0, total = 0, pooled = 0;
    int na = 0;
    for (int i = 0; i < k; i++) {
        double w = weight_by_size ? subs[i].size : 1.0;
        num += subs[i].value * w;
        den += w;
        total += subs[i].size;
        if (isnan(subs[i].stderr_)) na = 1;
        pooled += (subs[i].size - 1) * subs[i].stderr_ * subs[i].stderr_ * subs[i].size;
    }
    *value = den != 0 ? num / den : NAN;
    if (sample_count) *sample_count = total;
    if (stderr_out) {
        if (na || total - k <= 0) *stderr_out = NAN;
        else *stderr_out = sqrt(pooled / (total - k) / total);
    }
    return TT_OK;
}
