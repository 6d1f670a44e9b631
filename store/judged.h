/*
 * judged.h — LLM-judged benchmarks in the store (MT-bench, Vicuna bench,
 * Arena-Hard-Auto; arena/mtbench.h, arena/arenahard.h): each model's answer
 * to each turn of each question (judged_answers), and each judgment with
 * the judge's own output kept beside the verdict (judgments). Writes are
 * upserts, so that `gen` and `judge` run again over a store (resuming, or
 * after a change) replace rows instead of adding them; the answers and
 * judge replies themselves come back from the request cache (cache.h).
 */
#ifndef TIANTI_STORE_JUDGED_H
#define TIANTI_STORE_JUDGED_H

#include "store/types.h"

#include <stddef.h>

/* One answer: key (bench, model, question_id, turn). */
typedef struct store_judged_answer {
    const char *bench;         /* 'mt_bench', 'vicuna_bench', 'arena-hard-v0.1' */
    const char *model;         /* display name */
    const char *model_spec;    /* NULL for answers read from a file */
    const char *question_id;
    const char *category;
    int turn;                  /* 1-based */
    const char *answer;        /* NULL when the model failed */
    const char *error;
    store_opt_int tokens;      /* completion tokens when known */
    double latency_s;          /* NaN when unknown */
    const char *created_at;
} store_judged_answer;

/* Upserts n answers in one transaction (all or none). */
int store_judged_answers_put(store *s, const store_judged_answer *v, size_t n, char *err);

typedef int (*store_judged_answer_fn)(void *ctx, const store_judged_answer *a, char *err);
/* Visits the answers of bench (model NULL: every model) by model,
 * question_id, turn. */
int store_judged_answers_each(store *s, const char *bench, const char *model, store_judged_answer_fn fn, void *ctx,
                              char *err);

/* One judgment: key (bench, judge, mode, question_id, turn, model, model_b). */
typedef struct store_judgment {
    const char *bench;
    const char *judge;         /* the judge model's spec */
    const char *mode;          /* 'single' or 'pair' */
    const char *prompt_name;   /* 'single-math-v1-multi-turn', 'arena-hard-v0.1', ... */
    const char *question_id;
    const char *category;
    int turn;
    const char *model;         /* single: the model; pair: model 1 */
    const char *model_b;       /* pair: model 2; "" (never NULL) for single */
    double score;              /* single: the rating, -1 when none; NaN for pair */
    const char *g1, *g2;       /* pair: each game's verdict, or NULL */
    const char *winner;        /* pair: 'model_1', 'model_2', 'tie', 'error', or NULL */
    const char *output_json;   /* the judge's prompts and replies */
    const char *created_at;
} store_judgment;

int store_judgments_put(store *s, const store_judgment *v, size_t n, char *err);

typedef int (*store_judgment_fn)(void *ctx, const store_judgment *j, char *err);
/* Visits the judgments of bench; judge and mode NULL match any. Ordered by
 * judge, mode, model, model_b, question_id, turn. */
int store_judgments_each(store *s, const char *bench, const char *judge, const char *mode, store_judgment_fn fn,
                         void *ctx, char *err);

/* One (bench, judge, mode) with judgments, and how many. */
typedef struct store_judged_set {
    const char *bench, *judge, *mode;
    int64_t n;
} store_judged_set;
typedef int (*store_judged_set_fn)(void *ctx, const store_judged_set *set, char *err);
/* Visits every (bench, judge, mode) that has judgments, in that order. */
int store_judged_sets(store *s, store_judged_set_fn fn, void *ctx, char *err);

#endif
