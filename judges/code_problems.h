/*
 * code_problems.h — HumanEval-format problems and a reader for the gzipped
 * JSON Lines file they come in (task_id, prompt, entry_point,
 * canonical_solution, test; all strings).
 *
 * Called by judges/code_judge.c (the code_problem struct), its tests and
 * tests/perf/perf_sandbox.c. The runner's own dataset reader
 * (harness/dataset.c) may replace code_problems_load() for task files; the
 * struct is what the judge needs either way.
 */
#ifndef TIANTI_CODE_PROBLEMS_H
#define TIANTI_CODE_PROBLEMS_H

#include <jansson.h>
#include <stddef.h>

#include "core/util.h"

typedef struct code_problem {
    char *task_id;             /* "HumanEval/0" */
    char *prompt;              /* signature + docstring */
    char *entry_point;         /* function name check() is given */
    char *canonical_solution;  /* reference body (may be NULL) */
    char *test;                /* defines check(candidate) */
} code_problem;

/* Reads a gzip-compressed (or plain: zlib reads both) JSON Lines file.
 * *out (caller frees with code_problems_free(*out, *n)). Blank lines are
 * skipped. TT_ERR_IO when the file cannot be read, TT_ERR_PARSE naming the
 * file, line and field for a malformed record. */
int code_problems_load(const char *path, code_problem **out, size_t *n, char err[TT_ERR_SIZE]);

/* Fills *p from one dataset record (a JSON object as harness/dataset.c
 * yields), copying the strings; release with code_problem_clear(). name
 * (e.g. "HumanEval.jsonl.gz record 3") is used in messages. TT_ERR_PARSE
 * naming the field when one is missing or not a string. */
int code_problem_from_doc(const json_t *doc, const char *name, code_problem *p,
                          char err[TT_ERR_SIZE]);

/* Frees the strings of one problem and zeroes it. */
void code_problem_clear(code_problem *p);

/* Frees an array of n problems (NULL is fine). */
void code_problems_free(code_problem *p, size_t n);

#endif
