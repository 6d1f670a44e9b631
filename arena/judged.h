/*
 * judged.h — what MT-bench (arena/mtbench.h) and Arena-Hard-Auto
 * (arena/arenahard.h) share: their question files, the models' answers
 * turn by turn (a turn's request holds the whole conversation before it),
 * the judge's chat requests, and the answers stored in the store
 * (store/judged.h). Every request, answer or judge reply, goes through
 * the runner's executor (harness/executor.h): de-duplicated, run on a
 * pool, and cached in the store's request cache as it arrives, so that a
 * killed `gen` or `judge` started again asks nothing twice.
 */
#ifndef TIANTI_ARENA_JUDGED_H
#define TIANTI_ARENA_JUDGED_H

#include "arena/match.h"
#include "engines/engine.h"
#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

/* One question; turns are the user messages, ref the reference answer
 * per turn when there is one. */
typedef struct judged_question {
    char *id;
    char *category;
    char *turns[2];
    int n_turns;          /* 1 or 2 (MT-bench's turns past the second are not used) */
    char *ref[2];
    int n_ref;
    /* "reference" written in the question file itself (one per turn; FastChat's
     * question.jsonl has them for some math questions, Tianti's demo two-turn
     * set for all). Only the reference judge reads them: LLM judges take the
     * reference answer file, as FastChat's gen_judgment.py does. */
    char *own_ref[2];
    int n_own_ref;
} judged_question;

typedef struct judged_questions {
    judged_question *v;
    size_t n;
} judged_questions;

void judged_questions_free(judged_questions *q);   /* NULL is fine */

/* MT-bench / Vicuna bench question.jsonl: question_id (number or
 * string), category, turns (1 or more strings). limit > 0 keeps the first
 * limit questions. TT_ERR_IO / TT_ERR_PARSE naming file, line and field. */
int judged_questions_load_mtbench(const char *path, size_t limit, judged_questions *out, char *err);
/* Arena-Hard question.jsonl: uid, category, prompt (one turn). */
int judged_questions_load_arena_hard(const char *path, size_t limit, judged_questions *out, char *err);
/* Reference answers (MT-bench reference_answer/gpt-4.jsonl: question_id,
 * choices[0].turns) for the questions that have one; *matched counts. */
int judged_references_load(const char *path, judged_questions *q, size_t *matched, char *err);

/* The answers of one bench from the store, looked up by (model, question,
 * turn). */
typedef struct judged_answers judged_answers;
int judged_answers_load(store *s, const char *bench, judged_answers **out, char *err);
void judged_answers_free(judged_answers *a);   /* NULL is fine */
/* The answer, or NULL when the model has none or failed. tokens (may be
 * NULL) gets the completion tokens, -1 when unknown. */
const char *judged_answer(const judged_answers *a, const char *model, const char *qid, int turn, long *tokens);
/* The models with answers, in name order (borrowed; *n their count). */
const char *const *judged_answer_models(const judged_answers *a, int *n);

/* Answers every question with each model: turn 1 for all questions in one
 * executor batch, then turn 2 (the conversation so far: question 1, the
 * model's answer, question 2) for the questions with two turns; stores
 * every answer (judged_answers, one transaction per model and turn).
 * temperature(category) gives the sampling temperature (NULL: 0).
 * *answered / *failed count answers (may be NULL). */
typedef struct judged_gen_opts {
    const char *bench;
    int max_tokens;
    double (*temperature)(const char *category);
    int jobs;
    uint64_t seed;
    FILE *log;
} judged_gen_opts;
int judged_generate(store *st, const judged_questions *q, arena_model *models, int n_models,
                    const judged_gen_opts *o, int *answered, int *failed, char *err);

/* judged_generate for model specs (specs, registry names or NAME=SPEC,
 * looked up in registry_path) into the store at db_path: opens the models
 * and the store, generates, closes them. */
int judged_generate_specs(const char *db_path, const judged_questions *q, const char *const *specs, int n_models,
                          const char *registry_path, const judged_gen_opts *o, int *answered, int *failed,
                          char *err);

/* One chat request to the judge: system and user messages. */
typedef struct judged_ask {
    const char *system;
    const char *user;
} judged_ask;

/* Asks the judge every request (temperature 0, max_tokens), through the
 * executor and the store's cache; replies[i] gets the text (caller frees;
 * NULL when the request failed, failures[i] then the reason, caller
 * frees). save (may be NULL) gets every request as a replay-engine line.
 * TT_OK, or the engine's fatal error. */
int judged_ask_all(engine *judge, store *cache, const judged_ask *asks, int n, int max_tokens, int jobs, FILE *save,
                   FILE *log, char **replies, char **failures, char *err);

/* Opens an engine named by a spec or a registry name (registry_path NULL:
 * models.json when present) and checks it can chat. */
int judged_open_judge(const char *what, const char *registry_path, engine **out, char *err);

#endif
