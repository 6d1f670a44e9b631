/*
 * math_answer.h — scoring MATH answers as the Open LLM Leaderboard's
 * "MATH Lvl 5" does (lm-evaluation-harness lm_eval/tasks/leaderboard/math/
 * utils.py; the answer normalisation is appendix D of Lewkowycz et al.
 * 2022, "Minerva"): the reference answer is the content of the solution's
 * last \boxed{}; the model's answer is what follows "Final Answer: The
 * final answer is" up to ". I hope it is correct."; both are normalised
 * (normalize_final_answer) and compared as strings, or as equal numbers.
 *
 * lm-eval's process_result_v1 also calls sympy to decide whether two
 * normalised LaTeX answers are equal (is_equiv: parse_latex, simplify the
 * difference). Tianti has no computer algebra: math_equivalent() decides
 * equality for answers that are plain numbers — integers, decimals,
 * fractions \frac{a}{b} (\dfrac, \tfrac), a/b, with a sign — which is where
 * sympy's simplification agrees with arithmetic; any other pair counts as
 * different unless the strings are equal. The leaderboard's newer
 * math_verify-based exact_match is not reproduced (docs/scoring.md).
 * Called by harness/score.c for tasks with process_results "math", and by
 * harness/hooks.c (the reference answer of each document).
 */
#ifndef TIANTI_MATH_ANSWER_H
#define TIANTI_MATH_ANSWER_H

/* lm-eval's INVALID_ANSWER. */
#define MATH_INVALID_ANSWER "[invalidanswer]"

/* last_boxed_only_string: the last "\boxed{...}" (braces balanced) or
 * "\fbox{...}" of s, or "\boxed " followed by the text up to the next '$';
 * MATH_INVALID_ANSWER when there is none. Caller frees. */
char *math_last_boxed(const char *s);

/* remove_boxed: the inside of "\boxed{...}" / after "\boxed "; else
 * MATH_INVALID_ANSWER. Caller frees. */
char *math_remove_boxed(const char *s);

/* get_unnormalized_answer: the text after "Final Answer: The final answer
 * is" up to ". I hope it is correct." (any character before the final
 * ". I hope", as the regex reads it), stripped; MATH_INVALID_ANSWER when the
 * phrase is not there. Caller frees. */
char *math_unnormalized_answer(const char *response);

/* normalize_final_answer, exactly as written in lm-eval (substitutions,
 * removed units, $...$, \text{}, \textbf{}, \overline{}, \boxed{},
 * \fracab -> \frac{a}{b}, \sqrta -> \sqrt{a}, "$" dropped, 100,000 ->
 * 100000). Caller frees. */
char *math_normalize_final_answer(const char *answer);

/* 1 when both normalised answers are the same number (see above). */
int math_equivalent(const char *a, const char *b);

/* process_result_v1: 1 when the response's final answer, normalised,
 * equals the normalised reference answer (as strings after strip(), or by
 * math_equivalent), 0 otherwise (also for "[invalidanswer]"). */
int math_score(const char *response, const char *reference_answer);

#endif
