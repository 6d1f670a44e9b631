/*
 * embed_eval.h — embedding tasks (output_type embedding, task.h): the texts
 * of every document, their vectors from the engine, and the task's scores
 * (judges/embed_metrics.h). The runner (runner.c) calls, per task:
 *     embed_eval_run -> embed_eval_doc_scores per document (the sample)
 *                    -> embed_eval_score -> embed_eval_free
 *
 * Texts: a pair task's first text is doc_to_text, its second
 * embedding.text_pair, each a template or a field name; the gold is
 * doc_to_target (a number; a pair label must be 0 or 1). A retrieval
 * task's queries are the evaluated documents (doc_to_text); the corpus is
 * every record of embedding.corpus_split, with corpus_text and the id in
 * corpus_id; a query's embedding.relevant field lists the relevant ids
 * (grade 1), or maps id -> grade. Each distinct text is embedded once, in
 * as few requests as the engine allows (engine_embed_batch). A document
 * whose text is empty, whose gold is not a number, or (retrieval) that
 * names no relevant document in the corpus is not scored; its sample
 * records why.
 *
 * Scores (per kind, "metric,none", the metric names MTEB writes):
 *   sts                  cosine_spearman, cosine_pearson
 *   pair_classification  cos_sim_accuracy, cos_sim_f1, cos_sim_ap
 *   retrieval            ndcg_at_10, mrr_at_10, recall_at_1, recall_at_5,
 *                        recall_at_10 (means over queries)
 * each with a bootstrap standard error over the scored documents (the
 * run's --bootstrap-iters and --seed).
 */
#ifndef TIANTI_EMBED_EVAL_H
#define TIANTI_EMBED_EVAL_H

#include "engines/engine.h"
#include "harness/score.h"
#include "harness/task.h"
#include "judges/embed_metrics.h"
#include "judges/stats.h"

#include <jansson.h>

typedef struct embed_doc {
    size_t doc_index;
    char *text, *text_pair;       /* owned; text_pair NULL for retrieval */
    double gold;                  /* sts: score; pairs: 0 or 1 */
    double cosine;                /* sts, pairs */
    embed_retrieval_result ret;   /* retrieval */
    int n_relevant;               /* retrieval: relevant corpus documents */
    char *error;                  /* owned: why the document is not scored, or NULL */
} embed_doc;

typedef struct embed_eval {
    embed_doc *docs;
    size_t n_docs;
    size_t n_texts;               /* distinct texts embedded */
    long prompt_tokens;           /* as the engine reported; -1 unknown */
    int dim;
    double seconds;               /* embedding time */
} embed_eval;

/* Embeds and compares the first n_docs evaluated documents of t (its data
 * loaded) with engine e. Fails (err set) when the engine fails: that
 * fails the task; problems of single documents are in their error. Free
 * with embed_eval_free (also after a failure). */
int embed_eval_run(engine *e, const task *t, size_t n_docs, embed_eval *ev, char *err);
void embed_eval_free(embed_eval *ev);

/* Document i's values as the sample keeps them ({"cosine": c, "gold": g}
 * or the retrieval metrics); a new object. */
json_t *embed_eval_doc_scores(const embed_eval *ev, const task *t, size_t i);

/* The task's scores into *out (score_result_free it). */
void embed_eval_score(const embed_eval *ev, const task *t, const stats_opts *so, score_result *out);

#endif
