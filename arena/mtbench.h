/*
 * mtbench.h — MT-bench (and the Vicuna bench) as FastChat's llm_judge runs
 * it (fastchat/llm_judge: gen_model_answer.py, gen_judgment.py,
 * show_result.py; docs/arena.md), in three steps over the store:
 *
 *   gen    every model answers every question, turn 1 and then turn 2
 *          with the first exchange before it; temperature by category
 *          (judges/judged.h), 1024 new tokens by default; answers stored
 *          in judged_answers (bench = the question set's name).
 *   judge  single-answer grading (default): each answer of each turn is
 *          graded 1-10 by the judge with FastChat's prompts from
 *          judge_prompts.jsonl: "single-v1" for turn 1, the reference-
 *          guided "single-math-v1" for math, reasoning and coding (with
 *          FastChat's GPT-4 reference answers), and the "-multi-turn"
 *          prompts for turn 2, which show the whole dialogue and grade the
 *          second answer. The rating is "[[x]]", else "[x]"; a reply with
 *          neither is kept with score -1 and left out of the averages.
 *          Pairwise (against a baseline model, or all pairs): every pair
 *          and turn is judged twice with the answers swapped ("pair-v2",
 *          "pair-math-v1", their "-multi-turn" forms); a win counts only
 *          when both orders name the same model, otherwise a tie; a game
 *          without a verdict makes the judgment an error, left out.
 *          The judge's prompts and replies are stored with each judgment.
 *   show   single: each model's mean score per turn, over both turns, and
 *          per category; pairwise: wins, losses, ties, win rate, loss rate
 *          and the adjusted win rate (ties half a win) each model scored
 *          (against the baseline: the baseline's own row left out).
 *
 * Both steps are resumable: every request goes through the request cache
 * (judged.h), and rows are upserted.
 */
#ifndef TIANTI_ARENA_MTBENCH_H
#define TIANTI_ARENA_MTBENCH_H

#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

typedef enum arena_mtbench_mode {
    ARENA_MTBENCH_SINGLE = 0,
    ARENA_MTBENCH_PAIR_BASELINE,
    ARENA_MTBENCH_PAIR_ALL
} arena_mtbench_mode;

typedef struct arena_mtbench_opts {
    const char *bench;               /* "mt_bench" (default) or "vicuna_bench" */
    const char *data_dir;            /* the datasets folder; NULL: $TIANTI_DATA */
    const char *questions_path;      /* default <data>/<bench>/question.jsonl */
    const char *references_path;     /* default <data>/<bench>/reference_answer/gpt-4.jsonl (if present) */
    const char *judge_prompts_path;  /* default <data>/mt_bench/judge_prompts.jsonl */
    const char *registry_path;       /* models.json (NULL: ./models.json if present) */
    const char *const *models;       /* gen: specs, registry names or NAME=SPEC; judge: names (none: every model with answers) */
    int n_models;
    const char *judge;               /* judge: engine spec or registry name */
    arena_mtbench_mode mode;
    const char *baseline;            /* pairwise against a baseline: its name */
    int max_tokens;                  /* answers (1024) */
    int judge_max_tokens;            /* judge replies (2048) */
    int jobs;                        /* requests in flight per engine (4) */
    size_t limit;                    /* the first N questions; 0 = all */
    uint64_t seed;                   /* sampling seed of the answers (1) */
    const char *save_judge_requests; /* write the judge's requests as replay lines, or NULL */
    FILE *log;                       /* progress lines, or NULL */
} arena_mtbench_opts;

void arena_mtbench_opts_default(arena_mtbench_opts *o);
/* "single", "pairwise-baseline", "pairwise-all"; TT_ERR_USAGE otherwise. */
int arena_mtbench_mode_parse(const char *s, arena_mtbench_mode *out, char *err);

typedef struct arena_mtbench_summary {
    int answered, failed;            /* gen */
    int judged, no_verdict, skipped; /* judge: judgments stored, of them without a rating/verdict, answers missing */
} arena_mtbench_summary;

int arena_mtbench_gen(const char *db_path, const arena_mtbench_opts *o, arena_mtbench_summary *sum, char *err);
int arena_mtbench_judge(const char *db_path, const arena_mtbench_opts *o, arena_mtbench_summary *sum, char *err);
/* 1 when spec names the reference judge ("reference" or "reference:METRIC",
 * judges/judge.h): judge then grades each turn's answer against the turn's
 * reference with no model and no judge prompts (10 right, 1 wrong; pairwise:
 * right beats wrong), for question sets that carry their answers, such as
 * tasks/demo/data/chat_two_turn.jsonl. */
int arena_mtbench_is_reference_judge(const char *spec);

/* ---- scores (show, the report) ------------------------------------------------------------ */

#define ARENA_MTBENCH_MAX_CATS 16

typedef struct arena_mtbench_row {
    char *model;
    double turn[2];        /* mean score per turn; NaN when none */
    int n_turn[2];
    double average;        /* over every scored judgment */
    int n;
    int failed;            /* judgments without a rating (score -1) */
    double cat[ARENA_MTBENCH_MAX_CATS];   /* mean per category (both turns); NaN when none */
    int n_cat[ARENA_MTBENCH_MAX_CATS];
    /* pairwise */
    int win, loss, tie, errors;
    double win_rate, loss_rate, win_rate_adjusted;
} arena_mtbench_row;

typedef struct arena_mtbench_scores {
    char *bench, *judge;
    int pairwise;                   /* 0 single grading, 1 pairwise */
    char *baseline;                 /* pairwise against a baseline, or NULL */
    int n_cats;
    char *cats[ARENA_MTBENCH_MAX_CATS];   /* categories in first-seen order (MT-bench's own order) */
    arena_mtbench_row *rows;        /* by average (single) or adjusted win rate (pairwise), best first */
    int n_rows;
    int questions;                  /* distinct questions judged */
} arena_mtbench_scores;

/* Scores of bench from the store. judge NULL: the judge with the most
 * judgments of that mode. pairwise: 0 single, 1 pairwise (baseline NULL:
 * all pairs, else only the judgments involving it, the baseline left out
 * of the rows). TT_ERR_NOTFOUND when there are no such judgments. Caller
 * frees with arena_mtbench_scores_free. */
int arena_mtbench_scores_load(store *s, const char *bench, const char *judge, int pairwise, const char *baseline,
                              arena_mtbench_scores *out, char *err);
void arena_mtbench_scores_free(arena_mtbench_scores *sc);

#endif
