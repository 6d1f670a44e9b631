/*
 * judge.h — judges decide automatic arena battles: given a question and two
 * answers (A and B), a judge returns model_a / model_b / tie, or an error
 * when it could not decide (an unparsable verdict is an error, never a
 * result). `tianti arena auto` (arena/auto.c) calls judge_compare() once per
 * battle and stores the verdict like a human vote (source 'judge:<spec>').
 *
 * Judge specs:
 *   reference[:METRIC]  the task's own answer decides (judges/reference_judge.c):
 *                       each answer is scored against the reference with
 *                       METRIC (judges/metrics.h generation metric:
 *                       exact_match, contains, numeric_match, ...), or with
 *                       the metric the prompt set names, else with
 *                       Tianti's normalised exact match; one right and one
 *                       wrong is a win, both right or both wrong a tie
 *   llm:ENGINE_SPEC     pairwise LLM judge, MT-bench style (judges/llm_judge.c):
 *                       asked twice with the positions swapped; verdicts
 *                       [[A]], [[B]], [[C]] (tie); a win counts only when both
 *                       orders agree, otherwise a tie
 *   grade:ENGINE_SPEC   single-answer grading "Rating: [[x]]", 1..10, with an
 *                       optional reference answer (judges/grade_judge.c); the
 *                       higher grade wins, equal grades tie
 *
 * The parsing and combination rules are exposed as pure functions so the
 * unit tests (tests/unit/test_judges.c) check them without any model.
 * Thread safety: judge_compare() may be called from several threads when
 * the underlying engine allows it (engines are thread-safe by contract).
 */
#ifndef TIANTI_JUDGE_H
#define TIANTI_JUDGE_H

#include "judges/winner.h"
#include "engines/engine.h"
#include "judges/metrics.h"

typedef struct judge judge;

/* A verdict as the judge model states it, in the positions it was shown. */
typedef enum judge_verdict {
    JUDGE_VERDICT_A = 0,       /* [[A]]: the answer shown first is better */
    JUDGE_VERDICT_B = 1,       /* [[B]] */
    JUDGE_VERDICT_TIE = 2,     /* [[C]] */
    JUDGE_VERDICT_ERROR = 3    /* none, or contradictory markers */
} judge_verdict;

/* One battle to decide. Strings are borrowed. */
typedef struct judge_item {
    const char *question;      /* the user's prompt */
    const char *answer_a;      /* model A's answer ("" when it failed) */
    const char *answer_b;
    const char *reference;     /* reference answer or target, may be NULL */
    const metric_spec *metric; /* reference judge: the task's metric, may be NULL */
} judge_item;

/* What a judge decided. Free with judge_result_free(). */
typedef struct judge_result {
    int ok;                    /* 1: winner is valid; 0: the judge failed */
    judge_winner winner;       /* JUDGE_WIN_A, JUDGE_WIN_B or JUDGE_TIE */
    char *error;               /* owned, when !ok: why (e.g. "unparsable verdict") */
    char *detail_json;         /* owned JSON object: raw judge outputs, scores */
} judge_result;

/* Opens a judge. Engine-backed judges open their engine with opt (NULL:
 * defaults). Caller frees with judge_close(). TT_ERR_USAGE for a malformed
 * spec. */
int judge_open(const char *spec, const engine_options *opt, judge **out, char *err);
void judge_close(judge *j);                 /* NULL is fine */
const char *judge_spec(const judge *j);     /* as given to judge_open */

/* Decides one battle. Returns TT_OK also when the judge could not decide
 * (res->ok = 0, res->error set): that is recorded, not fatal. Nonzero only
 * when the judge cannot go on (its engine failed for good). */
int judge_compare(judge *j, const judge_item *item, judge_result *res, char *err);
void judge_result_free(judge_result *r);

/* Checks one answer against a reference, for judges that decide by a
 * reference (the reference judge): *right = 1 or 0. TT_ERR_UNSUPPORTED for
 * judges that compare two answers by asking a model. MT-bench's gen/judge
 * path (arena/mtbench.c) grades each turn's answer this way when the judge
 * is "reference". */
int judge_check_answer(judge *j, const char *answer, const char *reference, int *right, char *err);

/* The chat requests judge_compare() would send for item, one JSON line
 * each ({"request": {...}} as the replay engine reads them; none for the
 * reference judge). For audits and for making replay judges. Caller frees. */
char *judge_requests_jsonl(judge *j, const judge_item *item);

/* ---- pure rules (exposed for tests) --------------------------------------- */

/* Reads a pairwise verdict: the markers [[A]], [[B]], [[C]] anywhere in
 * text. Exactly one kind of marker present (possibly repeated) gives that
 * verdict; none, or two different kinds (a judge quoting the instructions
 * back, or changing its mind), is JUDGE_VERDICT_ERROR. NULL is an error. */
judge_verdict judge_parse_pair_verdict(const char *text);

/* Combines the two games of a swapped pair. g1 showed (model_a as A,
 * model_b as B); g2 showed them swapped (model_b as A). A winner only when
 * both games name the same model; any disagreement or a tie is a tie.
 * Returns 0 and sets *winner, or -1 when either game is an error. */
int judge_combine_swapped(judge_verdict g1, judge_verdict g2, judge_winner *winner);

/* Reads a single-answer grade: the first "[[x]]" with x a decimal number,
 * else the first "[x]"; the value must lie in 1..10. Returns 0 and sets
 * *score, or -1 (no rating, or out of range). */
int judge_parse_rating(const char *text, double *score);

/* Turns two grades into a winner: the higher one wins; a difference below
 * 0.1 (FastChat's TIE_DELTA) is a tie. */
judge_winner judge_grades_winner(double score_a, double score_b);

/* Tianti's normalised exact match (reference judge without a metric):
 * both sides trimmed of Unicode-ASCII whitespace, inner whitespace runs
 * collapsed to one space, ASCII lower-cased, and trailing '.', '!', '?'
 * removed; then compared for equality. Returns 1 when equal. */
int judge_normalised_equal(const char *answer, const char *reference);

/* ---- prompt building (exposed so tests and --save-judge-requests agree) -- */

/* Fills msgs[0] (system) and msgs[1] (user) for one pairwise game showing
 * first as A and second as B. *owned receives the user text (caller frees);
 * msgs point to it and to static text. */
void judge_pair_messages(const char *question, const char *first, const char *second,
                         const char *reference, engine_message msgs[2], char **owned);
/* Same for single-answer grading. */
void judge_grade_messages(const char *question, const char *answer, const char *reference,
                          engine_message msgs[2], char **owned);

#endif
