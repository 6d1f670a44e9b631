/*
 * suggest.h — "did you mean ...?": the nearest of a list of known words to
 * one that was not found (a mistyped option, task, model or command).
 *
 * The distance is the optimal string alignment form of Damerau–Levenshtein
 * (insertions, deletions, substitutions and transpositions of two adjacent
 * characters, each costing 1), as git's help.c uses for mistyped commands.
 * Letters compare case-insensitively, and '-' equals '_' so that lm-eval's
 * spellings (--num_fewshot) meet Tianti's (--num-fewshot). Knows nothing of
 * what the words are; callers pass the candidates.
 */
#ifndef TIANTI_CORE_SUGGEST_H
#define TIANTI_CORE_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b (optimal string alignment). */
size_t tt_edit_distance(const char *a, const char *b);

/* The candidate nearest to word, or NULL when none is near enough to be a
 * likely typo: distance at most max(1, strlen(word) / 3) (2 for words of 6
 * or more), or word is a prefix of exactly one candidate (at least 3
 * letters). Ties go to the first in the list. NULL entries are skipped. */
const char *tt_suggest(const char *word, const char *const *candidates, size_t n);

#endif
