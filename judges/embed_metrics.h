/*
 * embed_metrics.h — the numbers of embedding tasks (output_type embedding,
 * harness/embed_eval.h), as MTEB computes them (embeddings-benchmark/mteb,
 * mteb/evaluation/evaluators/): pure functions over arrays, nothing here
 * knows about engines or tasks.
 *
 *   semantic similarity (STSEvaluator): cosine similarity of each pair's
 *     two vectors against the gold score: cosine_spearman (scipy's
 *     spearmanr: Pearson of the ranks, ties given their average rank) and
 *     cosine_pearson (scipy's pearsonr);
 *   pair classification (PairClassificationEvaluator, cosine rows):
 *     cos_sim_accuracy and cos_sim_f1 at the best threshold (pairs sorted
 *     by cosine, high first; every cut between neighbours tried, the last
 *     row never a cut: MTEB's find_best_acc_and_threshold and
 *     find_best_f1_and_threshold), cos_sim_ap (sklearn's
 *     average_precision_score: Σ (R_k − R_{k−1}) P_k over the distinct
 *     scores, high first);
 *   retrieval (RetrievalEvaluator via pytrec_eval): per query, the corpus
 *     ranked by cosine (ties keep corpus order), ndcg_at_10 (gain = the
 *     relevance grade, discount log2(rank + 1), divided by the ideal
 *     ordering's), recall_at_k (relevant documents in the top k / relevant
 *     documents), mrr_at_10 (1 / rank of the first relevant document in
 *     the top 10, else 0); the task's value is the mean over queries.
 *
 * Standard errors: embed_bootstrap_stderr, resampling the rows (pairs or
 * queries) with replacement B times and taking the sample standard
 * deviation of the statistic, as judges/stats.h's seeded bootstrap.
 */
#ifndef TIANTI_EMBED_METRICS_H
#define TIANTI_EMBED_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Cosine similarity of a and b (dim floats); 0 when either is zero. */
double embed_cosine(const float *a, const float *b, int dim);

/* Correlations of x and y (n values each); NAN when n < 2 or either is
 * constant. */
double embed_pearson(const double *x, const double *y, size_t n);
double embed_spearman(const double *x, const double *y, size_t n);

/* Pair classification over scores and labels (0/1), n pairs. */
typedef struct embed_pair_result {
    double accuracy, accuracy_threshold;
    double f1, precision, recall, f1_threshold;
    double ap;                    /* NAN when no pair is positive */
} embed_pair_result;
void embed_pair_classify(const double *scores, const int *labels, size_t n, embed_pair_result *out);

/* One query of a retrieval task: scores[0..n_docs) its cosine with every
 * corpus document, grades[0..n_docs) the relevance (0 = not relevant). */
typedef struct embed_retrieval_result {
    double ndcg_at_10, mrr_at_10, recall_at_1, recall_at_5, recall_at_10;
} embed_retrieval_result;
/* Returns -1 (and leaves out alone) when the query has no relevant
 * document (pytrec_eval leaves such a query out too). */
int embed_retrieval_query(const double *scores, const double *grades, size_t n_docs, embed_retrieval_result *out);

/* The statistic a bootstrap recomputes on resampled rows: idx[0..n) are
 * the rows drawn. */
typedef double (*embed_statistic_fn)(void *ctx, const size_t *idx, size_t n);
/* Sample standard deviation of fn over iters resamples (tt_rng seeded with
 * seed); NAN when n < 2 or iters < 2. Replicates whose statistic is NAN
 * (e.g. a constant resample) are left out. */
double embed_bootstrap_stderr(embed_statistic_fn fn, void *ctx, size_t n, int iters, uint64_t seed);

#endif
