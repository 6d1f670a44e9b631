/*
 * classify_metrics.h — binary classification numbers, as scikit-learn
 * computes them (sklearn.metrics): for moderation tasks (one binary label
 * per category, harness/classify_eval.h) and, through AP, the pair
 * classification of embedding tasks (embed_metrics.h). Pure functions.
 *
 *   precision, recall, F1 of predictions against labels (positive = 1;
 *     0 when undefined, sklearn's zero_division default for F1);
 *   average precision (average_precision_score, the area under the
 *     precision-recall curve that OpenAI's moderation paper reports as
 *     AUPRC): Σ (R_k − R_{k−1}) P_k over the distinct scores from high to
 *     low; NAN without a positive;
 *   AUROC (roc_auc_score): the probability that a positive outscores a
 *     negative, ties counting one half (Mann-Whitney U / (P·N) with
 *     average ranks); NAN without both classes.
 */
#ifndef TIANTI_CLASSIFY_METRICS_H
#define TIANTI_CLASSIFY_METRICS_H

#include <stddef.h>

typedef struct classify_prf {
    double precision, recall, f1;
    size_t tp, fp, fn, tn;
} classify_prf;

void classify_prf_compute(const int *pred, const int *labels, size_t n, classify_prf *out);
double classify_average_precision(const double *scores, const int *labels, size_t n);
double classify_auroc(const double *scores, const int *labels, size_t n);

#endif
