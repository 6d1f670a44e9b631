/*
 * embed_metrics.c — implementation of embed_metrics.h: MTEB's similarity,
 * pair-classification and retrieval numbers, and a row bootstrap.
 */
#include "judges/embed_metrics.h"
#include "judges/classify_metrics.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double embed_cosine(const float *a, const float *b, int dim)
{
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < dim; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa <= 0 || bb <= 0) return 0;
    return ab / (sqrt(aa) * sqrt(bb));
}

double embed_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;   /* scipy clips rounding the same way */
}

typedef struct rank_item { double v; size_t i; } rank_item;

static int cmp_rank_item(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Ranks 1..n, ties given their average rank (scipy.stats.rankdata). */
static void average_ranks(const double *x, size_t n, double *rank)
{
    rank_item *it = tt_malloc((n + 1) * sizeof *it);
    for (size_t i = 0; i < n; i++) it[i] = (rank_item){x[i], i};
    qsort(it, n, sizeof *it, cmp_rank_item);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b + 1 < n && it[b + 1].v == it[a].v) b++;
        double r = (double)(a + b) / 2.0 + 1.0;
        for (size_t k = a; k <= b; k++) rank[it[k].i] = r;
        a = b + 1;
    }
    free(it);
}

double embed_spearman(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double *rx = tt_malloc(n * sizeof *rx), *ry = tt_malloc(n * sizeof *ry);
    average_ranks(x, n, rx);
    average_ranks(y, n, ry);
    double r = embed_pearson(rx, ry, n);
    free(rx);
    free(ry);
    return r;
}

/* Rows sorted by score, highest first (Python's sorted(reverse=True) is
 * stable: equal scores keep their order). */
typedef struct pair_row { double s; int label; size_t i; } pair_row;

static int cmp_pair_desc(const void *a, const void *b)
{
    const pair_row *x = a, *y = b;
    if (x->s > y->s) return -1;
    if (x->s < y->s) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

void embed_pair_classify(const double *scores, const int *labels, size_t n, embed_pair_result *out)
{
    memset(out, 0, sizeof *out);
    out->accuracy_threshold = -1;
    out->ap = NAN;
    if (n == 0) return;
    pair_row *r = tt_malloc(n * sizeof *r);
    size_t positives = 0, negatives;
    for (size_t i = 0; i < n; i++) {
        r[i] = (pair_row){scores[i], labels[i] != 0, i};
        positives += labels[i] != 0;
    }
    negatives = n - positives;
    qsort(r, n, sizeof *r, cmp_pair_desc);
    /* best accuracy: everything above the cut called positive */
    size_t pos_so_far = 0, neg_left = negatives;
    for (size_t i = 0; i + 1 < n; i++) {
        if (r[i].label) pos_so_far++;
        else neg_left--;
        double acc = (double)(pos_so_far + neg_left) / (double)n;
        if (acc > out->accuracy) {
            out->accuracy = acc;
            out->accuracy_threshold = (r[i].s + r[i + 1].s) / 2;
        }
    }
    /* best F1 */
    size_t extracted = 0, correct = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        extracted++;
        if (r[i].label) correct++;
        if (correct > 0) {
            double p = (double)correct / (double)extracted, rc = (double)correct / (double)positives;
            double f1 = 2 * p * rc / (p + rc);
            if (f1 > out->f1) {
                out->f1 = f1;
                out->precision = p;
                out->recall = rc;
                out->f1_threshold = (r[i].s + r[i + 1].s) / 2;
            }
        }
    }
    out->ap = classify_average_precision(scores, labels, n);
    free(r);
}

int embed_retrieval_query(const double *scores, const double *grades, size_t n_docs, embed_retrieval_result *out)
{
    size_t n_rel = 0;
    for (size_t i = 0; i < n_docs; i++) n_rel += grades[i] > 0;
    if (n_rel == 0) return -1;
    pair_row *r = tt_malloc((n_docs + 1) * sizeof *r);
    for (size_t i = 0; i < n_docs; i++) r[i] = (pair_row){scores[i], 0, i};
    qsort(r, n_docs, sizeof *r, cmp_pair_desc);
    double dcg = 0;
    size_t hits1 = 0, hits5 = 0, hits10 = 0;
    double mrr = 0;
    for (size_t k = 0; k < n_docs && k < 10; k++) {
        double g = grades[r[k].i];
        if (g > 0) {
            dcg += g / log2((double)k + 2.0);
            if (mrr == 0) mrr = 1.0 / (double)(k + 1);
            hits10++;
            if (k < 5) hits5++;
            if (k < 1) hits1++;
        }
    }
    /* the ideal ordering: grades high to low */
    double *ideal = tt_malloc((n_docs + 1) * sizeof *ideal);
    size_t m = 0;
    for (size_t i = 0; i < n_docs; i++)
        if (grades[i] > 0) ideal[m++] = grades[i];
    for (size_t a = 1; a < m; a++)   /* insertion sort, descending (few relevant documents) */
        for (size_t b = a; b > 0 && ideal[b] > ideal[b - 1]; b--) {
            double t = ideal[b];
            ideal[b] = ideal[b - 1];
            ideal[b - 1] = t;
        }
    double idcg = 0;
    for (size_t k = 0; k < m && k < 10; k++) idcg += ideal[k] / log2((double)k + 2.0);
    out->ndcg_at_10 = idcg > 0 ? dcg / idcg : 0;
    out->mrr_at_10 = mrr;
    out->recall_at_1 = (double)hits1 / (double)n_rel;
    out->recall_at_5 = (double)hits5 / (double)n_rel;
    out->recall_at_10 = (double)hits10 / (double)n_rel;
    free(ideal);
    free(r);
    return 0;
}

double embed_bootstrap_stderr(embed_statistic_fn fn, void *ctx, size_t n, int iters, uint64_t seed)
{
    if (n < 2 || iters < 2) return NAN;
    tt_rng rng;
    tt_rng_seed(&rng, seed);
    size_t *idx = tt_malloc(n * sizeof *idx);
    double *vals = tt_malloc((size_t)iters * sizeof *vals);
    int k = 0;
    for (int b = 0; b < iters; b++) {
        for (size_t i = 0; i < n; i++) idx[i] = (size_t)tt_rng_below(&rng, n);
        double v = fn(ctx, idx, n);
        if (!isnan(v)) vals[k++] = v;
    }
    free(idx);
    double sd = NAN;
    if (k >= 2) {   /* two passes: no cancellation */
        double mean = 0, ss = 0;
        for (int i = 0; i < k; i++) mean += vals[i];
        mean /= k;
        for (int i = 0; i < k; i++) ss += (vals[i] - mean) * (vals[i] - mean);
        sd = sqrt(ss / (k - 1));
    }
    free(vals);
    return sd;
}
