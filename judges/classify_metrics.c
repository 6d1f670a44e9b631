/*
 * classify_metrics.c — implementation of classify_metrics.h.
 */
#include "judges/classify_metrics.h"
#include "core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void classify_prf_compute(const int *pred, const int *labels, size_t n, classify_prf *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int p = pred[i] != 0, l = labels[i] != 0;
        if (p && l) out->tp++;
        else if (p) out->fp++;
        else if (l) out->fn++;
        else out->tn++;
    }
    out->precision = out->tp + out->fp ? (double)out->tp / (double)(out->tp + out->fp) : 0;
    out->recall = out->tp + out->fn ? (double)out->tp / (double)(out->tp + out->fn) : 0;
    out->f1 = out->precision + out->recall > 0 ? 2 * out->precision * out->recall / (out->precision + out->recall) : 0;
}

typedef struct scored { double s; int label; size_t i; } scored;

/* High score first; equal scores in input order. */
static int cmp_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s > y->s) return -1;
    if (x->s < y->s) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static scored *sorted_desc(const double *scores, const int *labels, size_t n, size_t *positives)
{
    scored *r = tt_malloc((n + 1) * sizeof *r);
    *positives = 0;
    for (size_t i = 0; i < n; i++) {
        r[i] = (scored){scores[i], labels[i] != 0, i};
        *positives += labels[i] != 0;
    }
    qsort(r, n, sizeof *r, cmp_desc);
    return r;
}

double classify_average_precision(const double *scores, const int *labels, size_t n)
{
    size_t positives;
    scored *r = sorted_desc(scores, labels, n, &positives);
    double ap = NAN;
    if (positives > 0) {
        double prev_recall = 0;
        size_t tp = 0, fp = 0;
        ap = 0;
        for (size_t i = 0; i < n; i++) {
            if (r[i].label) tp++;
            else fp++;
            if (i + 1 < n && r[i + 1].s == r[i].s) continue;   /* one threshold per distinct score */
            double recall = (double)tp / (double)positives, precision = (double)tp / (double)(tp + fp);
            ap += (recall - prev_recall) * precision;
            prev_recall = recall;
        }
    }
    free(r);
    return ap;
}

double classify_auroc(const double *scores, const int *labels, size_t n)
{
    size_t positives;
    scored *r = sorted_desc(scores, labels, n, &positives);
    size_t negatives = n - positives;
    double auc = NAN;
    if (positives > 0 && negatives > 0) {
        /* ascending ranks 1..n, ties averaged: rank of row i (descending
         * order) is n - i; a tie group shares the mean of its ranks */
        double rank_sum = 0;
        for (size_t a = 0; a < n;) {
            size_t b = a;
            while (b + 1 < n && r[b + 1].s == r[a].s) b++;
            double mean_rank = ((double)(n - a) + (double)(n - b)) / 2.0;
            for (size_t k = a; k <= b; k++)
                if (r[k].label) rank_sum += mean_rank;
            a = b + 1;
        }
        double u = rank_sum - (double)positives * ((double)positives + 1) / 2.0;
        auc = u / ((double)positives * (double)negatives);
    }
    free(r);
    return auc;
}
