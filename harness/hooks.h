/*
 * hooks.h — C implementations of the Python functions lm-evaluation-harness
 * task files name with `!function` (process_docs, doc_to_text,
 * doc_to_choice, doc_to_target, process_results, a metric's aggregation),
 * for the tasks Tianti ships: HellaSwag, WinoGrande, GPQA, MMLU-Pro, MuSR,
 * MATH (the leaderboard's Level 5 set), TruthfulQA MC2 and IFEval. A task
 * file (JSON or YAML) names one as {"function": "winogrande.doc_to_text"};
 * harness/task_lmeval.c maps lm-eval's `!function MODULE.NAME` to the hook
 * written for that function of the task's dataset_path, and refuses any
 * other Python function with a message naming it. harness/task.c calls the
 * per-document hooks; harness/score.c turns the process_results hooks into
 * scores (judges/ifeval.h, judges/math_answer.h).
 *
 * Each hook reproduces its lm-eval function (file and function named in
 * docs/tasks.md and at each implementation); the document hooks also read
 * the derived shapes of the data in ../shared/datasets where the upstream
 * records are not available (WinoGrande's {context_options, continuation,
 * gold}, HellaSwag's already preprocessed {query, choices, label}).
 */
#ifndef TIANTI_HOOKS_H
#define TIANTI_HOOKS_H

#include <jansson.h>
#include <stdint.h>

typedef enum task_hook_kind {
    HOOK_PROCESS_DOCS = 0,    /* docs -> docs (filter, add fields) */
    HOOK_DOC_TO_TEXT,         /* doc -> string, or an integer (multiple inputs) */
    HOOK_DOC_TO_CHOICE,       /* doc -> list of strings */
    HOOK_DOC_TO_TARGET,       /* doc -> string or integer */
    HOOK_PROCESS_RESULTS,     /* scored in harness/score.c; see task.h */
    HOOK_AGGREGATION          /* a metric's aggregation: a stats.h name */
} task_hook_kind;

typedef struct task_hook {
    const char *name;            /* Tianti's name: "winogrande.doc_to_text" */
    task_hook_kind kind;
    const char *lmeval;          /* the function as lm-eval's YAML names it */
    const char *const *datasets; /* dataset_path values of the lm-eval tasks using it */
    /* HOOK_PROCESS_DOCS: a new array of records from docs (new reference) */
    int (*docs)(const json_t *docs, json_t **out, char *err);
    /* HOOK_DOC_TO_*: the value for one record (new reference) */
    int (*doc)(const json_t *doc, json_t **out, char *err);
    /* HOOK_PROCESS_RESULTS: task.h's process_results name ("ifeval");
     * HOOK_AGGREGATION: the aggregation's stats.h name ("flat_mean") */
    const char *value;
} task_hook;

/* The hook named name and of kind kind, or NULL. */
const task_hook *task_hook_find(const char *name, task_hook_kind kind);

/* The hook for lm-eval's `!function qual` in a task whose dataset_path is
 * dataset_path (may be NULL): the one written for that function and data
 * set, or the only hook for that function name. NULL when there is none,
 * with a message in err naming the function and the hooks there are. */
const task_hook *task_hook_for_lmeval(const char *qual, task_hook_kind kind, const char *dataset_path, char *err);

/* Names of every hook, one line each ("winogrande.doc_to_text (lm-eval
 * preprocess_winogrande.doc_to_text)"), for docs and messages. Caller frees. */
char *task_hooks_list(void);

/* Building blocks, exposed for tests. */
/* lm-eval's hellaswag/gpqa preprocess(): strip, " [title]" -> ". ", drop
 * "[...]" spans, "  " -> " ". Caller frees. */
char *hook_hellaswag_preprocess(const char *text);

#endif
