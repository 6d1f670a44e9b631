/*
 * metrics.h — per-sample metrics of lm-evaluation-harness (lm_eval/api/metrics.py; docs/scoring.md)
 * plus a few of Tianti's own, and the parsing of a task's `metrics` list.
 * Pure functions: the runner (harness/runner.c) gets model outputs from an
 * engine, filters generations with harness/filter.h, calls the metric_score_*
 * function that matches the task's output type for every metric of the task,
 * keeps the item rows, and hands them to stats_aggregate() (judges/stats.h)
 * with the metric's aggregation.
 *
 * Metrics (name — input kind — default aggregation — higher_is_better):
 *   acc               mc, ll  mean   yes  mc: argmax lls == gold; ll: is_greedy
 *   acc_norm          mc      mean   yes  argmax lls[i]/codepoints(choice_i)
 *   acc_bytes         mc      mean   yes  argmax lls[i]/utf8_bytes(choice_i)
 *   acc_mutual_info   mc      mean   yes  argmax (lls[i] − lls_uncond[i])
 *   mc1               mc      mean   yes  TruthfulQA MC1: acc (gold index 0 in
 *                                         the data; pass gold as usual)
 *   mc2               mc      mean   yes  TruthfulQA MC2: Σ_{label 1} e^ll_i / Σ_i e^ll_i,
 *                                         lm-eval's process_results_mc2
 *                                         (lm_eval/tasks/truthfulqa/utils.py),
 *                                         which reports it as "acc": a task
 *                                         gets that name with "process_results":
 *                                         "truthfulqa_mc2" (harness/task.h)
 *   brier_score       mc      brier_score no Σ_i (softmax(lls)_i − onehot(gold)_i)²
 *   f1                mc      f1     yes  item {gold, pred}; corpus binary F1
 *   mcc               mc      matthews_corrcoef yes  item {gold, pred}
 *   exact_match       mc, gen mean   yes  mc: is_greedy of the gold choice;
 *                                         gen: HF exact_match, any target
 *   contains          gen     mean   yes  some target (after the same options
 *                                         as exact_match) is a substring of the
 *                                         response (Tianti's own)
 *   numeric_match     gen     mean   yes  numbers equal within tolerance after
 *                                         removing ',' '$' and outer space
 *                                         (Tianti's own)
 *   token_f1          gen     mean   yes  SQuAD token F1, max over targets
 *                                         (alias "squad_f1")
 *   bleu              gen     bleu   yes  sacrebleu corpus BLEU, 0..100
 *   rouge_l           gen     mean   yes  rouge_score ROUGE-L F1, max over targets
 *   perplexity        ll      perplexity no  item = ll
 *   word_perplexity   rolling weighted_perplexity no  item {ll, words}
 *   byte_perplexity   rolling weighted_perplexity no  item {ll, bytes}
 *   bits_per_byte     rolling bits_per_byte no        item {ll, bytes}
 *   pass@1, pass@5,   code    mean   yes  item = one problem's unbiased pass@k
 *   pass@10, pass@100                     over its n samples (judges/passk.h),
 *                                         each sample run by judges/code_judge.h;
 *                                         not scorable from text alone, so
 *                                         metric_score_generation refuses them
 *   prompt_level_strict_acc, gen mean yes   IFEval (lm_eval/tasks/ifeval/utils.py
 *   prompt_level_loose_acc                  process_results): all instructions
 *                                           followed; inst_level_* : each
 *   inst_level_strict_acc,   gen flat_mean  instruction, pooled over documents
 *   inst_level_loose_acc                    (item {followed, instructions});
 *                                           scored by judges/ifeval.h for
 *                                           tasks whose process_results is
 *                                           "ifeval", so metric_score_generation
 *                                           refuses them
 *
 * Text rules (so that numbers match lm-eval's Python):
 *   - lengths for acc_norm are Unicode code points, never bytes (CJK!);
 *   - exact_match: delete each regexes_to_ignore match (pattern applied to
 *     response and target), then ignore_case (Python's str.lower(): Unicode,
 *     final sigma, 'İ' -> 'i̇'; core/pytext.h), then
 *     ignore_punctuation (Python string.punctuation, ASCII only), then
 *     ignore_numbers (ASCII digits); no stripping; plain string equality;
 *   - token_f1: str.lower(), drop string.punctuation, drop the words a/an/the,
 *     split on Unicode whitespace; F1 of the token multisets; if either side
 *     has no tokens the score is 1 when both are empty, else 0 (SQuAD v2);
 *   - bleu: each hypothesis and reference is right-stripped and tokenised
 *     with sacrebleu's default "13a" tokeniser (mteval-v13a: drop
 *     "<skipped>", join "-\n", newlines to spaces, unescape &quot; &amp;
 *     &lt; &gt;, split off ASCII punctuation except '.,-' and "'", split
 *     '.' and ',' unless between digits... exactly the four sacrebleu regex
 *     passes), no lowercasing; clipped n-gram counts use the max count over
 *     the references; ref_len is the closest reference length (ties to the
 *     shorter); "exp" smoothing, but 0.0 when no n-gram matches at all
 *     (sacrebleu >= 2.0's early stop); score 0..100;
 *   - rouge_l: rouge_score's default tokeniser (lowercase, every run of
 *     characters outside [a-z0-9] is a separator), no stemming; so text
 *     without ASCII letters or digits (e.g. Chinese) scores 0, as in
 *     rouge_score; F = 2PR/(P+R) from the LCS length;
 *   - word_perplexity words = pieces of re.split(r"\s+", text) (empty pieces
 *     at the ends count); bytes = UTF-8 bytes.
 *
 * Ownership: metric_spec arrays come from metric_spec_parse() or
 * metric_spec_defaults() and are freed with metric_specs_free(). A parsed
 * spec is immutable: score functions may run on it from many threads.
 */
#ifndef TIANTI_METRICS_H
#define TIANTI_METRICS_H

#include <jansson.h>

#include "core/pytext.h"
#include "judges/stats.h"

typedef enum metric_kind {
    METRIC_ACC, METRIC_ACC_NORM, METRIC_ACC_BYTES, METRIC_ACC_MUTUAL_INFO, METRIC_MC1, METRIC_MC2,
    METRIC_BRIER_SCORE, METRIC_F1, METRIC_MCC,
    METRIC_EXACT_MATCH, METRIC_CONTAINS, METRIC_NUMERIC_MATCH, METRIC_TOKEN_F1, METRIC_BLEU,
    METRIC_ROUGE_L,
    METRIC_PERPLEXITY, METRIC_WORD_PERPLEXITY, METRIC_BYTE_PERPLEXITY, METRIC_BITS_PER_BYTE,
    METRIC_PASS_AT_1, METRIC_PASS_AT_5, METRIC_PASS_AT_10, METRIC_PASS_AT_100,
    METRIC_PROMPT_LEVEL_STRICT_ACC, METRIC_INST_LEVEL_STRICT_ACC, METRIC_PROMPT_LEVEL_LOOSE_ACC,
    METRIC_INST_LEVEL_LOOSE_ACC,
    METRIC_KIND_COUNT
} metric_kind;

/* One metric of a task, with its options. Read the public fields freely. */
typedef struct metric_spec {
    metric_kind kind;
    const char *name;      /* canonical name, static ("acc", "exact_match", ...) */
    stats_agg agg;         /* default or the task's "aggregation" */
    int higher_is_better;  /* default or the task's "higher_is_better" */
    /* exact_match / contains options */
    int ignore_case, ignore_punctuation, ignore_numbers;
    pytext_regex *ignore;  /* regexes_to_ignore, n_ignore of them (owned) */
    int n_ignore;
    /* numeric_match: |p − t| <= max(abs_tol, rel_tol·|t|) */
    double abs_tol, rel_tol;
} metric_spec;

/* Parses a task's `metrics` list: a JSON array whose elements are a metric
 * name ("acc") or an object {"metric": "exact_match", "aggregation": "mean",
 * "higher_is_better": true, "ignore_case": true, "ignore_punctuation": false,
 * "ignore_numbers": false, "regexes_to_ignore": [",", "\\$"]} (numeric_match
 * takes "abs_tol" (default 1e-6) and "rel_tol" (default 0)). An aggregation
 * must produce the metric's item shape (e.g. acc may use "median" but not
 * "bleu"). Errors name the element and field: "metrics[2]: unknown metric
 * 'acc_nrom'". On success *out is an array of *n specs (caller frees with
 * metric_specs_free); on failure nothing is allocated. */
int metric_spec_parse(const json_t *metrics, metric_spec **out, int *n, char *err);

/* lm-eval's defaults for an output type ("multiple_choice" -> acc, acc_norm;
 * "loglikelihood" -> perplexity, acc; "loglikelihood_rolling" ->
 * word_perplexity, byte_perplexity, bits_per_byte; "generate_until" ->
 * exact_match). TT_ERR_PARSE for another type. */
int metric_spec_defaults(const char *output_type, metric_spec **out, int *n, char *err);

void metric_specs_free(metric_spec *specs, int n);

/* Looks a metric name up; TT_ERR_NOTFOUND if unknown. */
int metric_kind_from_name(const char *name, metric_kind *kind);
const char *metric_kind_name(metric_kind kind);

/* k of a pass@k metric (judges/passk.h), 0 for any other metric. */
int metric_pass_k(const metric_spec *m);

/* Width of this metric's item rows (stats_item_width of its aggregation). */
int metric_item_width(const metric_spec *m);

/* ---- scoring: each writes one item row into item[STATS_ITEM_MAX] -------- */

/* The model's answers for one multiple-choice document. */
typedef struct metric_mc_input {
    int n_choices;
    const double *lls;            /* n_choices conditional loglikelihoods */
    const int *is_greedy;         /* n_choices flags (1, 0, -1 unknown); needed by exact_match */
    const char *const *choices;   /* choice strings as doc_to_choice gives them
                                     (no target delimiter); acc_norm/acc_bytes */
    const double *lls_uncond;     /* acc_mutual_info: ll of each choice with an
                                     empty context */
    const int *gold;              /* n_gold gold indices; >1 = any of them is
                                     right; out of range = always wrong (-100) */
    int n_gold;
    const int *labels;            /* mc2: n_choices labels, 1 true / 0 false */
} metric_mc_input;

/* Multiple-choice metrics (acc, acc_norm, acc_bytes, acc_mutual_info, mc1,
 * mc2, brier_score, f1, mcc, exact_match). Returns TT_ERR_UNSUPPORTED for a
 * metric of another kind, TT_ERR_USAGE (with message) when an input the
 * metric needs is missing (no choices for acc_norm, no labels for mc2,
 * gold out of range for brier_score). */
int metric_score_mc(const metric_spec *m, const metric_mc_input *in, double *item, char *err);

/* Generation metrics (exact_match, contains, numeric_match, token_f1, bleu,
 * rouge_l) on one filtered response (NULL = "") against n_targets targets
 * (n_targets >= 1; NULL entries are ""). Multi-target rule: exact_match,
 * contains, numeric_match score 1 if any target matches; token_f1 and
 * rouge_l take the max; bleu uses all targets as references. */
int metric_score_generation(const metric_spec *m, const char *response,
                            const char *const *targets, int n_targets, double *item, char *err);

/* loglikelihood-task metrics: perplexity (item ll) and acc (is_greedy).
 * is_greedy is tri-state (engines/engine.h): -1 (unknown) gives acc the
 * item NAN, which means "no value for this document", as does exact_match
 * of a multiple-choice document whose gold choice's is_greedy is unknown. */
int metric_score_loglikelihood(const metric_spec *m, double ll, int is_greedy, double *item, char *err);

/* loglikelihood_rolling metrics: word_perplexity, byte_perplexity,
 * bits_per_byte; text is the whole document whose ll was computed. */
int metric_score_rolling(const metric_spec *m, double ll, const char *text, double *item, char *err);

/* A per-sample number for logs: the item for one-column metrics; the ll for
 * perplexities; the prediction for f1/mcc; sentence BLEU for bleu. */
double metric_item_display(const metric_spec *m, const double *item);

/* ---- building blocks, exposed for tests and other modules --------------- */

/* Index of the maximum with numpy.argmax semantics: the first NaN if any,
 * otherwise the first maximum. -1 if n <= 0. */
int metric_argmax(const double *v, int n);

/* sacrebleu 13a tokenisation of s (after rstrip); returns a new string with
 * tokens separated by single spaces. Caller frees. */
char *metric_bleu_tokenize_13a(const char *s);

/* Sentence statistics for corpus BLEU: item = {hyp_len, ref_len, m1..m4,
 * t1..t4} from already tokenised strings. */
void metric_bleu_stats(const char *hyp_tok, const char *const *refs_tok, int n_refs, double *item);
/* The same with the counting method chosen: 0 automatic (direct comparison
 * up to 256 tokens in all, sorting above), 1 direct, 2 sorting. For tests. */
void metric_bleu_stats_method(const char *hyp_tok, const char *const *refs_tok, int n_refs, double *item,
                              int method);

/* SQuAD v2 token F1 of one pair (0..1). */
double metric_token_f1(const char *prediction, const char *target);

/* rouge_score ROUGE-L F-measure of one pair (0..1). */
double metric_rouge_l(const char *prediction, const char *target);

/* Parses a number the way numeric_match does; returns 1 and *out on success. */
int metric_parse_number(const char *s, double *out);

#endif
