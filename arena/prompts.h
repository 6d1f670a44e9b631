/*
 * prompts.h — the prompts an arena draws from: `tianti arena serve
 * --prompts` (the page's "random prompt" button) and `tianti arena auto
 * --prompts` (every automatic battle). One loader for several shapes:
 *   - a task file (JSON object with doc_to_text, harness/task.h): each eval
 *     doc's assembled prompt, its target as the reference, and the task's
 *     first right/wrong metric (exact_match, contains, numeric_match) for
 *     the reference judge;
 *   - JSON Lines or a JSON array of records: the prompt is turns[0]
 *     (MT-bench question.jsonl), else "prompt", "question", "instruction" or
 *     "text"; the reference is "reference", "target" or "answer" (string or
 *     number) when present; "question_id"/"id" and "category" are kept;
 *     strings in an array are prompts;
 *   - any other text file: one prompt per non-blank line.
 */
#ifndef TIANTI_ARENA_PROMPTS_H
#define TIANTI_ARENA_PROMPTS_H

#include <stddef.h>

#include "judges/metrics.h"

typedef struct arena_prompt {
    char *text;          /* owned, never NULL or empty */
    char *reference;     /* owned or NULL */
    char *id;            /* owned or NULL */
    char *category;      /* owned or NULL */
} arena_prompt;

typedef struct arena_prompts {
    arena_prompt *v;
    size_t n;
    metric_spec *metric;  /* task's right/wrong metric, or NULL (owned) */
    int n_metric;
} arena_prompts;

/* Loads path (see above). TT_OK with out->n >= 1; TT_ERR_IO when
 * unreadable; TT_ERR_PARSE naming the file and line/record when a record
 * has no prompt text, or when there is no prompt at all. Caller frees with
 * arena_prompts_free (also after a failure). */
int arena_prompts_load(const char *path, arena_prompts *out, char *err);
void arena_prompts_free(arena_prompts *p);   /* NULL is fine */

/* Sets the reference of every prompt whose id matches a record of the
 * JSON Lines file path: {"question_id": ID, "reference" | "answer" |
 * "choices": [{"turns": [TEXT, ...]}]} (MT-bench's reference_answer/gpt-4.jsonl
 * form; the first turn is used). Prompts without a match keep theirs.
 * *matched receives the count. TT_ERR_IO / TT_ERR_PARSE naming the line. */
int arena_prompts_add_references(arena_prompts *p, const char *path, size_t *matched, char *err);

#endif
