/*
 * filter.h — answer-extraction filter chains, as lm-evaluation-harness runs
 * them (lm-evaluation-harness lm_eval/filters/; docs/scoring.md). A task names one or more chains in its JSON
 * `filter_list`; the runner (harness/runner.c) applies each chain to the
 * list of responses of one document (the `repeats` responses of a
 * generate_until request, usually one) and scores the chain's output with
 * judges/metrics.h under the key "<metric>,<chain name>".
 *
 * Chain JSON (one element of `filter_list`):
 *   {"name": "strict-match",
 *    "filter": [{"function": "regex", "regex_pattern": "#### (\\-?[0-9\\.\\,]+)",
 *                "group_select": 0, "fallback": "[invalid]"},
 *               {"function": "take_first"}]}
 * Functions and their fields (unknown fields are an error):
 *   regex          regex_pattern (default "#### (\-?[0-9\.\,]+)"), group_select
 *                  (default 0; negative counts from the end), fallback (default
 *                  "[invalid]"). Per response: all matches (re.findall); take
 *                  the match at group_select; with several groups use the first
 *                  non-empty one; strip whitespace. No match, group_select out
 *                  of range, or all groups empty -> fallback. Patterns are
 *                  Python `re` syntax and semantics, run by PCRE2 (pytext.h).
 *   last_number    GSM8K "flexible-extract": regex (-?[$0-9.,]{2,})|(-?[0-9]+)
 *                  with group_select -1; field fallback (default "[invalid]").
 *   take_first     keep only the first response.
 *   take_first_k   keep the first k responses (field k, required, >= 1).
 *   majority_vote  keep the most frequent response; ties go to the one seen
 *                  first (Python Counter.most_common).
 *   lowercase, uppercase   Python's str.lower() / str.upper() (Unicode,
 *                  full mappings: "ß" -> "SS", final sigma; core/pytext.h).
 *   strip          remove leading and trailing Unicode whitespace
 *                  (str.strip()).
 *   remove_whitespace   the same strip of both ends: lm-eval's current
 *                  WhitespaceFilter is resp.strip() (lm_eval/filters/
 *                  extraction.py; older versions dropped one leading space).
 *   map            mapping_dict (object of string -> string, required),
 *                  default_value (string; default: keep the response).
 * The chain named "none" with no filters is take_first (lm-eval's default).
 *
 * Ownership: a filter_chain is owned by its creator and freed with
 * filter_chain_free(). Immutable after parsing, so one chain may be applied
 * from several threads at once.
 */
#ifndef TIANTI_FILTER_H
#define TIANTI_FILTER_H

#include <jansson.h>

typedef struct filter_chain filter_chain;

/* Parses one chain object. On failure returns TT_ERR_PARSE with a message
 * naming the chain, the filter's position and function, and the field, e.g.
 * "filter chain 'strict-match' step 1 'regex': field 'group_select' must be
 * an integer". *out is set only on success. */
int filter_chain_parse(const json_t *chain, filter_chain **out, char *err);

/* Parses a whole `filter_list` array (NULL or empty -> one chain "none").
 * *out is an array of *n chains; free with filter_chains_free(). */
int filter_list_parse(const json_t *list, filter_chain ***out, int *n, char *err);
void filter_chains_free(filter_chain **chains, int n);

/* The default chain "none" (take_first). Caller frees. */
filter_chain *filter_chain_none(void);

void filter_chain_free(filter_chain *c);
const char *filter_chain_name(const filter_chain *c);   /* owned by c */

/* Applies the chain to the n responses of one document (NULL entries are
 * treated as "", as lm-eval treats non-strings). *out receives a new array
 * of *n_out new strings; free with filter_strings_free(). Score *out[0]
 * when *n_out >= 1 (after take_first or majority_vote, *n_out is 1).
 * Returns TT_OK; never fails on any response text. */
int filter_chain_apply(const filter_chain *c, const char *const *resps, int n,
                       char ***out, int *n_out);
void filter_strings_free(char **v, int n);

#endif
