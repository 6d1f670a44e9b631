/*
 * auto.h — automatic judged battles (`tianti arena auto`): for each round a
 * prompt is drawn from the prompt set (arena/prompts.h), a pair of models is
 * drawn as the web arena does (arena/match.h: weighted toward pairs that
 * met less, a coin flip for A), both models answer, a judge
 * (judges/judge.h) decides, and the battle is stored like a human vote with
 * source 'judge:<spec>' and judge = the judge spec, so `tianti ratings
 * --source judge` rates them.
 *
 * Rounds: round r uses prompt perm[r mod P], perm a seeded shuffle of the P
 * prompts, so --rounds P covers every prompt once. With a baseline every
 * battle pairs one of the other models with it (arena/match.h,
 * arena_match_pick_against): ratings then come from each model's record
 * against one common opponent, as Arena-Hard's and AlpacaEval's do. Answers are computed once
 * per (model, prompt) and reused. A battle where a model failed is stored
 * with flags 'engine_error' and no winner (the judge is not asked); an
 * identity leak is judged but stored with flags 'identity_leak' (not rated);
 * a judge that could not decide leaves winner NULL with flags 'judge_error'
 * and its error in extra_json.
 */
#ifndef TIANTI_ARENA_AUTO_H
#define TIANTI_ARENA_AUTO_H

#include <stdint.h>
#include <stdio.h>

#include "engines/engine.h"

typedef struct arena_auto_opts {
    const char *const *models;      /* "SPEC", a registry name, or "NAME=..."; at least 2 */
    int n_models;
    const char *registry_path;      /* models.json (NULL: ./models.json if present) */
    const char *judge;              /* judge spec (judges/judge.h) */
    const char *prompts_path;       /* task or prompt file */
    const char *references_path;    /* reference answers by question id, or NULL */
    const char *db_path;
    const char *baseline;           /* a model's name: every battle is against it; NULL: all pairs */
    int rounds;                     /* 0 = one per prompt */
    uint64_t seed;                  /* prompt order, pairs, sampling seed */
    int max_tokens;                 /* per answer (default 512) */
    double temperature;             /* default 0 */
    int completion;                 /* send prompts as raw completions cut at a
                                       newline (base models), not as chat */
    const char *save_judge_requests; /* write the judge's requests (JSONL) here, or NULL */
    FILE *log;                      /* one line per battle, or NULL */
    engine_options judge_engine;    /* options for the judge's engine */
} arena_auto_opts;

typedef struct arena_auto_summary {
    int battles;                    /* stored */
    int wins_a, wins_b, ties;       /* decided (including flagged ones) */
    int judge_errors, engine_errors, identity_leaks;
} arena_auto_summary;

void arena_auto_opts_default(arena_auto_opts *o);

/* Runs the battles and stores them (each in its own transaction, so an
 * interrupted run keeps what it did). TT_ERR_USAGE for bad options, engine,
 * judge and store errors as reported. */
int arena_auto_run(const arena_auto_opts *o, arena_auto_summary *sum, char *err);

#endif
