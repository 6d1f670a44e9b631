/*
 * classify_eval.h — classification tasks (output_type classify, task.h):
 * moderation data sets, one binary label per category. Every document's
 * text (doc_to_text) goes to the classifier: the engine's moderation
 * endpoint (engine_moderation_scores: each category's score, and the
 * classifier's own decision or score >= classify.threshold), or a chat
 * model asked with that text as the prompt (its reply names the
 * categories that apply: a category is predicted when its name appears in
 * the reply as a whole word, case ignored; its score is then 1, else 0).
 * The runner (runner.c) calls, per task:
 *     classify_eval_run -> classify_eval_doc_scores per document
 *                       -> classify_eval_score -> classify_eval_free
 *
 * Scores: for each category (the filter column is the label field, e.g.
 * "S"), over the documents that carry its label (a missing label is
 * unknown, never 0): precision, recall, f1, accuracy and macro_f1 (the
 * mean of both classes' F1) of the predictions, auroc and auprc
 * (judges/classify_metrics.h, from the scores); with several categories,
 * under the filter "macro" the mean of each over the categories that have
 * it; for each classify.group_by field, the first category's accuracy per
 * value of the field (filter "FIELD=VALUE"). Standard
 * errors by bootstrap over the labelled documents. A document whose
 * request failed is not scored (its sample says why); one for which the
 * classifier gave no score of a category does not count for that
 * category.
 */
#ifndef TIANTI_CLASSIFY_EVAL_H
#define TIANTI_CLASSIFY_EVAL_H

#include "engines/engine.h"
#include "harness/score.h"
#include "harness/task.h"
#include "judges/stats.h"

#include <jansson.h>

typedef struct classify_doc {
    size_t doc_index;
    char *text;                  /* owned */
    char *reply;                 /* owned: the moderation result JSON or the chat reply */
    int *label;                  /* per category: 1, 0 or -1 unknown */
    double *score;               /* per category; NAN when the classifier gave none */
    int *pred;                   /* per category: 0/1 */
    int prompt_tokens, completion_tokens, reasoning_tokens;   /* chat usage; -1 unknown */
    char *error;                 /* owned: why the document is not scored, or NULL */
} classify_doc;

typedef struct classify_eval {
    classify_doc *docs;
    size_t n_docs;
    int n_cat;
} classify_eval;

/* Classifies the first n_docs evaluated documents of t with engine e, jobs
 * requests at a time. Fails (err set) only when the engine cannot go on
 * (TT_ERR_ENGINE, e.g. a refused key); a failed request is the document's
 * error. Free with classify_eval_free (also after a failure). */
int classify_eval_run(engine *e, const task *t, size_t n_docs, int jobs, classify_eval *ev, char *err);
void classify_eval_free(classify_eval *ev);

/* Document i's labels, scores and predictions per category; a new object. */
json_t *classify_eval_doc_scores(const classify_eval *ev, const task *t, size_t i);

/* The task's scores into *out (score_result_free it). */
void classify_eval_score(const classify_eval *ev, const task *t, const stats_opts *so, score_result *out);

#endif
