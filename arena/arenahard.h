/*
 * arenahard.h — Arena-Hard-Auto v0.1 as lmarena/arena-hard-auto runs it
 * (gen_answer.py, gen_judgment.py, show_result.py at e883410; docs/arena.md),
 * in three steps over the store:
 *
 *   gen    every model answers the 500 hard prompts (one turn each);
 *   judge  each answer is judged against the baseline's (gpt-4-0314, whose
 *          answers ship with the dataset and are read into the store the
 *          first time) in two games: game 1 shows the baseline as
 *          assistant A, game 2 shows the model as A. The user prompt is the
 *          dataset's template (config/arena-hard-v0.1.yaml: {QUESTION},
 *          {ANSWER_A}, {ANSWER_B}); the system prompt is Tianti's own
 *          statement of the same task (answer it yourself first, then
 *          compare, then give one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]],
 *          [[B>>A]]), or a file given with --judge-system. The verdict is
 *          the last [[...]] label in the upper-cased reply, else the last
 *          [...] label (judges/judged.h);
 *   show   the games become battles (model_a = baseline, model_b = the
 *          model): a strong verdict counts as 3 battles, a plain one as 1,
 *          an unreadable one as none; Bradley–Terry over them with the
 *          baseline anchored at 1000; the score is the predicted win rate
 *          against the baseline, 100/(1 + 10^((R_baseline − R)/400)); the
 *          95% interval the 2.5/97.5 percentiles of the bootstrap ratings
 *          (resampling battles: 100 rounds by default) turned into win
 *          rates the same way; average tokens per answer (the engine's
 *          count, else arena/conv.h's approximation).
 */
#ifndef TIANTI_ARENA_ARENAHARD_H
#define TIANTI_ARENA_ARENAHARD_H

#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

typedef struct arena_hard_opts {
    const char *bench;               /* "arena-hard-v0.1" */
    const char *data_dir;            /* NULL: $TIANTI_DATA; files under <data>/arena_hard/ */
    const char *questions_path;      /* default <data>/arena_hard/data/arena-hard-v0.1/question.jsonl */
    const char *baseline_path;       /* default .../model_answer/<baseline>.jsonl */
    const char *config_path;         /* default <data>/arena_hard/config/arena-hard-v0.1.yaml */
    const char *system_path;         /* the judge's system prompt from a file, or NULL: Tianti's */
    const char *registry_path;
    const char *const *models;       /* gen: specs; judge: names (none: every model with answers) */
    int n_models;
    const char *judge;
    const char *baseline;            /* "gpt-4-0314" */
    int max_tokens;                  /* answers (4096) */
    int judge_max_tokens;            /* judge replies (4096) */
    int jobs;                        /* 4 */
    size_t limit;                    /* the first N prompts; 0 = all */
    uint64_t seed;
    const char *save_judge_requests;
    FILE *log;
} arena_hard_opts;

void arena_hard_opts_default(arena_hard_opts *o);

typedef struct arena_hard_summary {
    int answered, failed;            /* gen */
    int judged, no_verdict, skipped; /* judge: judgments stored, games without a label, answers missing */
    int baseline_loaded;             /* baseline answers read into the store */
} arena_hard_summary;

int arena_hard_gen(const char *db_path, const arena_hard_opts *o, arena_hard_summary *sum, char *err);
int arena_hard_judge(const char *db_path, const arena_hard_opts *o, arena_hard_summary *sum, char *err);

typedef struct arena_hard_row {
    char *model;
    double score, lower, upper;      /* win rate against the baseline, % */
    double rating, rating_lower, rating_upper;
    double avg_tokens;               /* NaN when it has no answers */
    long battles;                    /* weighted battles */
} arena_hard_row;

typedef struct arena_hard_result {
    char *judge, *baseline;
    int rounds;
    arena_hard_row *rows;            /* by score, best first; the baseline at 50 */
    int n_rows;
    int degenerate;                  /* a model never lost or never won: ridge used (arena/bt.h) */
} arena_hard_result;

/* Scores from the store's judgments (judge NULL: the judge with the most;
 * baseline NULL: the one its judgments name).
 * TT_ERR_NOTFOUND without judgments. Caller frees with
 * arena_hard_result_free. */
int arena_hard_scores(store *s, const char *bench, const char *judge, const char *baseline, int rounds, uint64_t seed,
                      int threads, arena_hard_result *out, char *err);
void arena_hard_result_free(arena_hard_result *r);

#endif
