/*
 * judged.h — the pure parts of LLM-as-a-judge benchmarks, as FastChat's
 * MT-bench (fastchat/llm_judge: common.py, gen_judgment.py,
 * show_result.py) and lmarena's Arena-Hard-Auto (gen_judgment.py,
 * show_result.py) define them: the judge prompt file, Python-style
 * template filling, reading a rating or a verdict out of the judge's
 * reply, and the categories that get reference-guided prompts. The
 * orchestration (answers, requests, storing, scores) is arena/mtbench.h
 * and arena/arenahard.h; these functions are tested without any model
 * (tests/unit/test_judged.c).
 *
 * The judge prompt texts are never part of Tianti: they are read at run
 * time from FastChat's judge_prompts.jsonl (../shared/datasets/mt_bench),
 * whose records have name, type ("single" / "pairwise"), system_prompt,
 * prompt_template, output_format ("[[rating]]" / "[[A]]") and category.
 */
#ifndef TIANTI_JUDGES_JUDGED_H
#define TIANTI_JUDGES_JUDGED_H

#include "judges/judge.h"

#include <stddef.h>

typedef struct judge_prompt {
    char *name, *type, *system_prompt, *prompt_template, *output_format, *category;
} judge_prompt;

typedef struct judge_prompts {
    judge_prompt *v;
    size_t n;
} judge_prompts;

/* Loads a judge prompt file (JSON Lines). TT_ERR_IO naming the file;
 * TT_ERR_PARSE naming file, line and field. Caller frees with
 * judge_prompts_free (also after a failure). */
int judge_prompts_load(const char *path, judge_prompts *out, char *err);
void judge_prompts_free(judge_prompts *p);   /* NULL is fine */
/* The prompt called name, or NULL. */
const judge_prompt *judge_prompts_find(const judge_prompts *p, const char *name);

/* MT-bench's prompt for a question: "single" or "pair" mode, a category
 * that needs a reference answer (judge_needs_reference), the turn (1 or
 * 2): "single-v1", "single-math-v1", "single-v1-multi-turn",
 * "single-math-v1-multi-turn", "pair-v2", "pair-math-v1",
 * "pair-v2-multi-turn", "pair-math-v1-multi-turn" (gen_judgment.py's
 * make_judge_single / make_judge_pairwise). */
const char *judge_mtbench_prompt_name(int pairwise, int with_reference, int turn);

/* 1 for the categories FastChat judges against a reference answer
 * (NEED_REF_CATS: math, reasoning, coding, arena-hard-200). */
int judge_needs_reference(const char *category);

/* The sampling temperature FastChat's answer generation uses for an
 * MT-bench category (temperature_config): 0.7 writing and roleplay, 0.0
 * extraction, math, coding, reasoning, 0.1 stem and humanities, 0.7 for
 * anything else. */
double judge_mtbench_temperature(const char *category);

/* Fills a Python str.format template with named fields: "{name}" takes
 * the value of name, "{{" and "}}" are braces; values are not formatted
 * again. TT_OK with *out (caller frees), or TT_ERR_PARSE naming a field
 * that has no value, or a lone brace. */
int judge_format(const char *tmpl, const char *const *names, const char *const *values, int n, char **out,
                 char *err);

/* A single-answer rating as FastChat reads it: the first "[[x]]" with x
 * matching \d+\.?\d* anywhere in the text, else the first "[x]"; any
 * value is taken (no range check). Returns 0 and sets *score, or -1 and
 * *score = -1 when there is none (the judgment is kept with score -1 and
 * left out of the averages). */
int judge_parse_rating_fastchat(const char *text, double *score);

/* A pairwise verdict as FastChat reads it: "[[A]]" anywhere gives A, else
 * "[[B]]" gives B, else "[[C]]" a tie, else an error. (Unlike
 * judge_parse_pair_verdict, a reply holding two markers is not an error:
 * the first kind in that order wins.) */
judge_verdict judge_parse_pair_fastchat(const char *text);

/* Arena-Hard-Auto's verdict: in the reply upper-cased, every match of
 * \[\[([AB<>=]+)\]\], and when there is none every match of \[([AB<>=]+)\];
 * the last match is the verdict. Returns 0 with label (at most 15 bytes,
 * else cut), or -1 when there is none. */
int judge_parse_arena_hard(const char *text, char label[16]);

/* The battle one Arena-Hard game gives (show_result.py): label as above,
 * game 1 shows the baseline as A and the model as B, game 2 the model as
 * A. *winner_is_model: 1 the model won, 0 the baseline won, 2 a tie;
 * *weight: 3 for a strong verdict (">>"), 1 otherwise, 0 for a label
 * that is not one of A>>B, A>B, A=B, B>A, B>>A (the game is dropped). */
void judge_arena_hard_battle(const char *label, int game, int *winner_is_model, int *weight);

#endif
