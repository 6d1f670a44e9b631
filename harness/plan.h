/*
 * plan.h — what a run will do, decided before any model is asked:
 *   - the tasks: suites expanded into task files, each file loaded once with
 *     its data and the run's overrides (few-shot count, samples, seed), and
 *     the suites that group them (aggregated after their members);
 *   - whether a model can run a task: what the task needs from an engine
 *     (capabilities), the generative fallback for multiple choice, and the
 *     permission code-executing tasks need;
 *   - the requests of every document of a task, in document order.
 * The runner (runner.c) walks the plan model by model; the run's identity
 * (run_identity.h) hashes it; scoring (score.h) reads the instances built
 * here. Nothing here talks to a model or the store.
 */
#ifndef TIANTI_PLAN_H
#define TIANTI_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/engine.h"
#include "harness/suite.h"
#include "harness/task.h"

/* The run's settings that shape its tasks. */
typedef struct plan_settings {
    const char *const *tasks;     /* task or suite names / files */
    int n_tasks;
    const char *tasks_dir;        /* NULL: suite_tasks_dir() */
    const char *data_dir;         /* NULL: $TIANTI_DATA */
    int num_fewshot;              /* < 0: each task's own */
    int samples;                  /* > 0: samples per generation doc */
    uint64_t seed;                /* also seeds the few-shot sampler (lm-eval's --seed) */
    const json_t *gen_kwargs;     /* NULL, or generation settings over each generation task's */
    int chat;                     /* generation tasks run in chat mode (lm-eval's --apply_chat_template) */
} plan_settings;

/* A suite: the tasks it aggregates. */
typedef struct plan_group {
    char *name;
    json_t *version;              /* the suite's "version", or NULL */
    enum suite_aggregate aggregate;
    char **metrics;               /* the suite's aggregate metric list (suite.h), or NULL */
    int n_metrics;
    int has_metric_list;
    int *members;                 /* indices into plan.tasks */
    int n_members;
} plan_group;

typedef struct plan {
    task **tasks;                 /* each task file once, in first-mention order */
    int n_tasks;
    plan_group *groups;
    int n_groups;
} plan;

/* Loads the tasks and suites of s. Errors name the task or suite that
 * failed; "no tasks to run" (TT_ERR_USAGE) when nothing was named. A suite
 * is a group, and so is each suite nested in it (before it). A member of a
 * suite whose data is not here (TT_ERR_NOTFOUND from its data) is left out
 * with a warning that says where to get it; a task named alone fails. On
 * failure *p is empty. Free with plan_free. */
int plan_load(plan *p, const plan_settings *s, char *err);
void plan_free(plan *p);

/* ---- can a model run a task? ------------------------------------------------ */

/* The engine capabilities (ENGINE_CAP_*) a task needs. */
unsigned plan_task_needs(const task *t);

typedef struct plan_fit {
    /* 0, or ENGINE_CAP_GENERATE / ENGINE_CAP_CHAT: a multiple-choice task
     * that allows it is answered by a generated letter through that
     * capability (the model has no log-likelihoods). */
    unsigned fallback;
    int skip;                     /* 1: the model cannot or may not run it */
    char why[400];                /* when skip: the sentence saying why */
} plan_fit;

/* Decides how model model_name with capabilities caps runs task t. */
void plan_task_fit(const task *t, const char *model_name, unsigned caps, int allow_code_execution, plan_fit *fit);

/* ---- the requests of a task ----------------------------------------------------- */

typedef struct plan_requests {
    task_instance *ins;           /* the n_docs built documents */
    size_t n_docs;
    int *first;                   /* first[i]: index in reqs of doc i's first request */
    engine_request *reqs;         /* every request, doc after doc (point into ins) */
    int n_req;
    unsigned fallback;            /* as plan_fit.fallback */
} plan_requests;

/* Builds documents 0..n_docs-1 of t and their requests: the task's own, or
 * with fallback one generation request per document (the letter answer).
 * A request without a seed gets the run's seed. Free with
 * plan_requests_free, also after a failure. */
int plan_requests_build(plan_requests *r, const task *t, size_t n_docs, unsigned fallback, uint64_t seed, char *err);
/* The same for one shard of a sharded run (`tianti run --shard K/N`):
 * only the documents whose index i (0-based, of the first n_docs) has
 * i % shard_count == shard_index, in index order; r->ins[j].doc_index is
 * the document's index in the whole task. The split depends on nothing but
 * the index, so every machine cuts a task the same way, and the N shards
 * together hold each document exactly once. */
int plan_requests_build_shard(plan_requests *r, const task *t, size_t n_docs, int shard_index, int shard_count,
                              unsigned fallback, uint64_t seed, char *err);
/* How many of n_docs documents shard shard_index of shard_count holds. */
size_t plan_shard_size(size_t n_docs, int shard_index, int shard_count);
/* Number of requests (and responses) of document i (0-based in r->ins). */
int plan_requests_of_doc(const plan_requests *r, size_t i);
void plan_requests_free(plan_requests *r);

#endif
