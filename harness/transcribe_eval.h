/*
 * transcribe_eval.h — speech recognition tasks (output_type transcription,
 * task.h): every document's audio file (transcription.audio, relative to
 * the task file's folder) goes to the engine (engine_transcribe, several
 * at once), and the transcript is compared with the reference
 * (doc_to_target) by judges/asr_metrics.h: its normalisation, words (CJK
 * characters one by one) and characters. The runner (runner.c) calls, per
 * task:
 *     transcribe_eval_run -> transcribe_eval_doc_scores per document
 *                         -> transcribe_eval_score -> transcribe_eval_free
 *
 * Scores ("metric,none", lower is better): wer = Σ word errors / Σ
 * reference words and cer = Σ character errors / Σ reference characters
 * over the scored documents, each with a bootstrap standard error. A
 * document whose audio file is missing or whose request failed is not
 * scored; its sample says why.
 */
#ifndef TIANTI_TRANSCRIBE_EVAL_H
#define TIANTI_TRANSCRIBE_EVAL_H

#include "engines/engine.h"
#include "harness/score.h"
#include "harness/task.h"
#include "judges/asr_metrics.h"
#include "judges/stats.h"

#include <jansson.h>

typedef struct transcribe_doc {
    size_t doc_index;
    char *audio;                 /* owned: the file's path */
    char *reference, *transcript; /* owned; transcript NULL when none came */
    asr_counts words, chars;
    engine_response resp;        /* usage and latency (text moved to transcript) */
    char *error;                 /* owned: why the document is not scored, or NULL */
} transcribe_doc;

typedef struct transcribe_eval {
    transcribe_doc *docs;
    size_t n_docs;
} transcribe_eval;

/* Transcribes the first n_docs evaluated documents of t with engine e,
 * jobs at a time. Fails only when the engine cannot go on. Free with
 * transcribe_eval_free (also after a failure). */
int transcribe_eval_run(engine *e, const task *t, size_t n_docs, int jobs, transcribe_eval *ev, char *err);
void transcribe_eval_free(transcribe_eval *ev);

/* Document i's counts and rates; a new object. */
json_t *transcribe_eval_doc_scores(const transcribe_eval *ev, size_t i);

/* The task's wer and cer into *out (score_result_free it). */
void transcribe_eval_score(const transcribe_eval *ev, const stats_opts *so, score_result *out);

#endif
