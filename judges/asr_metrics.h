/*
 * asr_metrics.h — word and character error rates of speech recognition
 * (harness/transcribe_eval.h), after one text normalisation applied to the
 * reference and the transcript alike:
 *
 *   1. lower-case (Python's str.lower(), core/pytext.h);
 *   2. every character that is neither a word character nor whitespace in
 *      Python's Unicode sense (punctuation and symbols of any script:
 *      ",.!?'\"" and "，。！？、“”" alike) becomes a space, as Whisper's
 *      BasicTextNormalizer replaces punctuation and symbols;
 *   3. runs of whitespace become one space; leading and trailing spaces go.
 *
 * Words are the whitespace-separated pieces of the normalised text, except
 * that each CJK ideograph is a word of its own (Chinese has no spaces, so
 * its WER is its CER). Characters are the code points of the normalised
 * text without its spaces (as Chinese CER is usually counted).
 *
 * The alignment is Levenshtein's (substitution, deletion, insertion each
 * cost 1); among the cheapest alignments the counts reported are those of
 * the backtrace that prefers a substitution, then a deletion, then an
 * insertion (jiwer's numbers; the total is the same either way). A
 * document's error rate is (S + D + I) / N over its N reference units; a
 * task's is Σ(S + D + I) / ΣN over its documents (jiwer and Hugging Face
 * evaluate over a list), so long utterances weigh more.
 */
#ifndef TIANTI_ASR_METRICS_H
#define TIANTI_ASR_METRICS_H

#include <stddef.h>

/* The normalised text (steps 1-3); caller frees. */
char *asr_normalize(const char *text);

typedef struct asr_counts {
    size_t substitutions, deletions, insertions, hits;
    size_t ref_len;                 /* N: hits + substitutions + deletions */
} asr_counts;

/* Counts for the words (chars = 0) or characters (chars = 1) of the two
 * texts, each normalised here first. */
void asr_compare(const char *reference, const char *hypothesis, int chars, asr_counts *out);

/* Levenshtein alignment of two sequences of tokens (NUL-terminated
 * strings). */
void asr_align(const char *const *ref, size_t n_ref, const char *const *hyp, size_t n_hyp, asr_counts *out);

#endif
