/*
 * ifeval.h — the instruction checkers of IFEval (Zhou et al. 2023), as the
 * Open LLM Leaderboard runs them (lm-evaluation-harness
 * lm_eval/tasks/leaderboard/ifeval/instructions.py, instructions_util.py,
 * utils.py), written in C. Called by harness/score.c for tasks whose
 * process_results is "ifeval"; pure functions, thread-safe.
 *
 * A document carries instruction_id_list and kwargs (one object per
 * instruction, null values dropped as lm-eval's utils.py drops every falsy
 * value). Each of the 25 instruction types of the data set is checked as
 * instructions.py checks it (docs/scoring.md lists them):
 *   keywords:existence, :frequency, :forbidden_words, :letter_frequency;
 *   language:response_language; length_constraints:number_sentences,
 *   :number_paragraphs, :number_words, :nth_paragraph_first_word;
 *   detectable_content:number_placeholders, :postscript;
 *   detectable_format:number_bullet_lists, :constrained_response,
 *   :number_highlighted_sections, :multiple_sections, :json_format, :title;
 *   combination:two_responses, :repeat_prompt; startend:end_checker,
 *   :quotation; change_case:capital_word_frequency, :english_capital,
 *   :english_lowercase; punctuation:no_comma.
 * Keywords are regular expressions with Python's re semantics
 * (core/pytext.h), as in instructions.py.
 *
 * Three helpers stand in for Python libraries, and may differ from them on
 * unusual text (docs/scoring.md says how):
 *   - ifeval_count_sentences: NLTK's punkt English model splits sentences
 *     in lm-eval; here a sentence ends at . ! ? (with closing quotes or
 *     brackets) before white space or the end, except after common
 *     abbreviations (Mr. Dr. e.g. ...), initials and a few others punkt
 *     knows; a line break alone does not end one, as with punkt;
 *   - ifeval_word_tokens: NLTK's word_tokenize (Treebank) for
 *     capital_word_frequency: white-space words with punctuation split off
 *     and contractions (n't 's 're 've 'll 'd 'm) separated; hyphenated
 *     words stay one token;
 *   - ifeval_detect_language: langdetect for language:response_language and
 *     the English check of english_capital / english_lowercase: the
 *     dominant script decides (Hangul ko, Thai th, Tamil ta, ...), and
 *     within Latin, Cyrillic, Arabic and Devanagari script common function
 *     words and letters tell the languages of IFEval's kwargs apart (en de
 *     fr es it pt nl fi sw vi id pl tr sv; ru bg uk; ar fa ur; hi mr ne).
 *     Text without letters gives NULL, where langdetect raises and lm-eval
 *     counts the instruction as followed.
 */
#ifndef TIANTI_IFEVAL_H
#define TIANTI_IFEVAL_H

#include <jansson.h>
#include <stddef.h>

/* Is instruction id one of the 25 types checked here? */
int ifeval_known(const char *instruction_id);

/* Checks one instruction on one response: *followed = 1 or 0. kwargs is
 * the instruction's object (NULL or {} for none); prompt is the document's
 * prompt (repeat_prompt compares against it when prompt_to_repeat is
 * absent). An unknown id, or kwargs the instruction cannot work with, is
 * TT_ERR_PARSE with a message. An empty response (only white space) never
 * follows, as in utils.py. */
int ifeval_check(const char *instruction_id, const json_t *kwargs, const char *prompt, const char *response,
                 int *followed, char *err);

/* The whole document: for each of its n instructions, strict (the response
 * as it is) and loose (any of the eight variants of utils.py's
 * test_instruction_following_loose: without the first and/or last line,
 * without '*'). strict and loose get *n flags each (caller frees). */
int ifeval_score(const json_t *doc, const char *response, int **strict, int **loose, int *n, char *err);

/* ---- building blocks (exposed for tests) --------------------------------------- */

/* count_words: the number of \w+ runs (Unicode word characters). */
size_t ifeval_count_words(const char *s);

/* count_sentences: see above. */
size_t ifeval_count_sentences(const char *s);

/* word_tokenize: see above. Returns the count; *tokens (NULL allowed)
 * receives owned strings (free each, then the array). */
size_t ifeval_word_tokens(const char *s, char ***tokens);

/* ISO 639-1 code of the text's language, or NULL when it has no letters. */
const char *ifeval_detect_language(const char *s);

/* Python's str.isupper() / str.islower(): some cased character, and every
 * cased character upper (lower) case. */
int ifeval_isupper(const char *s);
int ifeval_islower(const char *s);

#endif
