/*
 * stats.c — aggregations, closed-form and bootstrap standard errors, and
 * group pooling as lm-evaluation-harness computes them. Called by the
 * runner via stats.h; metrics.c supplies the items.
 */
#include "harness/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/util.h"

static const char *const agg_names[STATS_AGG_COUNT] = {
    "mean", "median", "nanmean", "perplexity", "weighted_perplexity", "bits_per_byte",
    "f1", "matthews_corrcoef", "bleu", "brier_score",
};

stats_opts stats_opts_default(void)
{
    stats_opts o = { STATS_DEFAULT_BOOTSTRAP, STATS_DEFAULT_SEED };
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
    case STATS_MCC: return 2;
    case STATS_BLEU: return 10;
    default: return 1;
    }
}

int stats_agg_has_stderr(stats_agg agg)
{
    return !(agg == STATS_WEIGHTED_PERPLEXITY || agg == STATS_BITS_PER_BYTE || agg == STATS_BRIER_SCORE);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* sacrebleu compute_bleu on summed statistics; 0..100. */
static double bleu_from_stats(const double *s)
{
    double sys_len = s[0], ref_len = s[1];
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

double stats_bootstrap_stderr(stats_agg agg, const double *items, size_t n, int iters, uint64_t seed)
{
    if (n <= 1 || iters <= 1) return NAN;
    int w = stats_item_width(agg);
    double *res = tt_malloc(n * (size_t)w * sizeof(double));
    double *reps = tt_malloc((size_t)iters * sizeof(double));
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    for (int b = 0; b < iters; b++) {
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)tt_rng_below(&rng, n);
            memcpy(res + i * (size_t)w, items + j * (size_t)w, (size_t)w * sizeof(double));
        }
        reps[b] = stats_value(agg, res, n);
    }
    double se = stats_mean_stderr(reps, (size_t)iters) * sqrt((double)iters);
    free(res);
    free(reps);
    return se;
}

int stats_aggregate(stats_agg agg, const double *items, size_t n, const stats_opts *opts,
                    double *value, double *stderr_out, char *err)
{
    stats_opts o = opts ? *opts : stats_opts_default();
    if ((unsigned)agg >= STATS_AGG_COUNT) return tt_fail(err, TT_ERR_USAGE, "unknown aggregation %d", (int)agg);
    if (n == 0) return tt_fail(err, TT_ERR_USAGE, "aggregation '%s': no samples", stats_agg_name(agg));
    *value = stats_value(agg, items, n);
    if (!stderr_out) return TT_OK;
    if (agg == STATS_MEAN) {
        *stderr_out = stats_mean_stderr(items, n);
    } else if (!stats_agg_has_stderr(agg) || o.bootstrap_iters <= 0) {
        *stderr_out = NAN;
    } else {
        int iters = o.bootstrap_iters;
        if (agg == STATS_BLEU && iters > 100) iters = 100;
        *stderr_out = stats_bootstrap_stderr(agg, items, n, iters, o.seed);
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
