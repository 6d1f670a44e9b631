/*
 * plan.c — implementation of plan.h: loading tasks and suites, the
 * capability check, and building the requests of a task (the fallback's
 * letter-answer request included).
 */
#include "harness/plan.h"
#include "core/log.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tasks and suites ---------------------------------------------------------- */

void plan_free(plan *p)
{
    for (int i = 0; i < p->n_tasks; i++) task_free(p->tasks[i]);
    free(p->tasks);
    for (int i = 0; i < p->n_groups; i++) {
        for (int k = 0; k < p->groups[i].n_metrics; k++) free(p->groups[i].metrics[k]);
        free(p->groups[i].metrics);
        free(p->groups[i].name);
        json_decref(p->groups[i].version);
        free(p->groups[i].members);
    }
    free(p->groups);
    memset(p, 0, sizeof *p);
}

/* Index of an already-loaded task file, or -1. */
static int find_task(const plan *p, const char *path)
{
    for (int i = 0; i < p->n_tasks; i++)
        if (strcmp(p->tasks[i]->path, path) == 0) return i;
    return -1;
}

static int add_task(plan *p, const char *path, const plan_settings *s, int *index, char *err)
{
    int found = find_task(p, path);
    if (found >= 0) {
        *index = found;
        return TT_OK;
    }
    task *t;
    int rc = task_load(path, &t, err);
    if (rc) return rc;
    if (s->num_fewshot >= 0) t->num_fewshot = s->num_fewshot;
    if (s->samples > 0 && t->output_type == TASK_GENERATE_UNTIL) t->gen.n = s->samples;
    /* lm-eval applies --gen_kwargs to generate_until tasks only (evaluator.py) */
    if (s->gen_kwargs && t->output_type == TASK_GENERATE_UNTIL &&
        (rc = task_set_generation(t, s->gen_kwargs, "--gen_kwargs", err)) != TT_OK) {
        task_free(t);
        return rc == TT_ERR_PARSE ? TT_ERR_USAGE : rc;   /* a command-line mistake */
    }
    if (s->chat && t->output_type == TASK_GENERATE_UNTIL) t->chat = 1;
    /* lm-eval's --seed also seeds the few-shot sampler (lm_eval/evaluator.py, fewshot_random_seed). */
    t->fewshot_seed = s->seed;
    dataset_options dopt;
    dataset_options_default(&dopt);
    if (s->data_dir) dopt.data_dir = s->data_dir;
    dopt.base_dir = t->dir;
    rc = task_load_data(t, &dopt, err);
    if (rc) {
        task_free(t);
        return rc;
    }
    p->tasks = tt_realloc(p->tasks, sizeof *p->tasks * (size_t)(p->n_tasks + 1));
    p->tasks[p->n_tasks] = t;
    *index = p->n_tasks++;
    return TT_OK;
}

/* Adds suite su (and first its nested suites) as groups; its members are
 * loaded, a member whose data is missing is left out with a warning. A
 * nested suite left with no member is left out too; the suite named on the
 * command line (depth 0) is an error then. */
static int add_suite(plan *p, const suite *su, const plan_settings *s, int depth, char *err)
{
    int rc = TT_OK;
    for (int k = 0; k < su->n_subsuites && rc == TT_OK && depth < 8; k++) rc = add_suite(p, su->subsuites[k], s, depth + 1, err);
    if (rc) return rc;
    for (int g = 0; g < p->n_groups; g++)
        if (!strcmp(p->groups[g].name, su->name)) return TT_OK;   /* already there (nested twice) */
    plan_group g = {.name = tt_strdup(su->name), .aggregate = su->aggregate,
                    .version = su->version ? json_incref(su->version) : NULL, .has_metric_list = su->has_metric_list};
    g.metrics = tt_calloc((size_t)su->n_metrics + 1, sizeof(char *));
    for (int k = 0; k < su->n_metrics; k++) g.metrics[g.n_metrics++] = tt_strdup(su->metrics[k]);
    g.members = tt_calloc((size_t)su->n_tasks + 1, sizeof(int));
    for (int k = 0; k < su->n_tasks && rc == TT_OK; k++) {
        char terr[TT_ERR_SIZE];
        int idx, trc = TT_OK;
        /* a member already left out (in a nested suite) stays out quietly */
        int known = -1;
        for (int i = 0; i < p->n_tasks && known < 0; i++)
            if (!strcmp(p->tasks[i]->path, su->task_paths[k])) known = i;
        int nested = 0;
        for (int i = 0; i < su->n_subsuites; i++)
            for (int j = 0; j < su->subsuites[i]->n_tasks; j++) nested |= !strcmp(su->subsuites[i]->task_paths[j], su->task_paths[k]);
        if (known < 0 && nested) continue;
        trc = known >= 0 ? TT_OK : add_task(p, su->task_paths[k], s, &idx, terr);
        if (known >= 0) idx = known;
        if (trc == TT_OK) g.members[g.n_members++] = idx;
        else if (trc == TT_ERR_NOTFOUND) tt_log(TT_LOG_WARN, "suite '%s': left out: %s", su->name, terr);
        else rc = tt_fail(err, trc, "%s", terr);
    }
    if (rc == TT_OK && g.n_members == 0) {
        if (depth == 0)
            rc = tt_fail(err, TT_ERR_NOTFOUND, "suite '%s': the data of none of its %d tasks is here (see the warnings "
                         "above; pass --data-dir)", su->name, su->n_tasks);
        else
            tt_log(TT_LOG_WARN, "suite '%s' is left out: the data of none of its tasks is here", su->name);
        for (int k = 0; k < g.n_metrics; k++) free(g.metrics[k]);
        free(g.metrics);
        free(g.members);
        free(g.name);
        json_decref(g.version);
        return rc;
    }
    p->groups = tt_realloc(p->groups, sizeof *p->groups * (size_t)(p->n_groups + 1));
    p->groups[p->n_groups++] = g;
    return rc;
}

int plan_load(plan *p, const plan_settings *s, char *err)
{
    memset(p, 0, sizeof *p);
    int rc = TT_OK;
    for (int i = 0; i < s->n_tasks && rc == TT_OK; i++) {
        char *path = NULL;
        int is_suite = 0;
        rc = suite_find(s->tasks_dir, s->tasks[i], &path, &is_suite, err);
        if (rc) break;
        if (!is_suite) {
            int idx;
            rc = add_task(p, path, s, &idx, err);
            free(path);
            continue;
        }
        suite *su;
        rc = suite_load(path, s->tasks_dir, &su, err);
        free(path);
        if (rc) break;
        rc = add_suite(p, su, s, 0, err);
        suite_free(su);
    }
    if (rc == TT_OK && p->n_tasks == 0) rc = tt_fail(err, TT_ERR_USAGE, "no tasks to run");
    if (rc) plan_free(p);
    return rc;
}

/* ---- what a task needs from an engine ---------------------------------------------- */

unsigned plan_task_needs(const task *t)
{
    unsigned need = 0;
    switch (t->output_type) {
    case TASK_MULTIPLE_CHOICE:
    case TASK_LOGLIKELIHOOD: need = ENGINE_CAP_LOGLIKELIHOOD; break;
    case TASK_LOGLIKELIHOOD_ROLLING: need = ENGINE_CAP_LOGLIKELIHOOD_ROLLING; break;
    case TASK_GENERATE_UNTIL: need = t->chat ? ENGINE_CAP_CHAT : ENGINE_CAP_GENERATE; break;
    case TASK_EMBEDDING: need = ENGINE_CAP_EMBED; break;
    case TASK_TRANSCRIPTION: need = ENGINE_CAP_TRANSCRIBE; break;
    case TASK_CLASSIFY: need = t->classify.via == TASK_CLASSIFY_CHAT ? ENGINE_CAP_CHAT : ENGINE_CAP_MODERATE; break;
    }
    if (t->doc_to_image) need |= ENGINE_CAP_IMAGE;
    return need;
}

void plan_task_fit(const task *t, const char *model_name, unsigned caps, int allow_code_execution, plan_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    unsigned need = plan_task_needs(t);
    /* Multiple choice without log-likelihoods (and nothing else missing):
     * a generated letter, if the task allows it and the model generates. */
    if ((caps & need) != need && t->output_type == TASK_MULTIPLE_CHOICE && t->generative_fallback &&
        !(need & ~caps & ~ENGINE_CAP_LOGLIKELIHOOD))
        fit->fallback = (caps & ENGINE_CAP_GENERATE) ? ENGINE_CAP_GENERATE : (caps & ENGINE_CAP_CHAT) ? ENGINE_CAP_CHAT : 0;
    if ((caps & need) != need && !fit->fallback) {
        char needs[128], has[128];
        engine_caps_string(need & ~caps, needs, sizeof needs);
        engine_caps_string(caps, has, sizeof has);
        snprintf(fit->why, sizeof fit->why, "model '%s' cannot run task '%s': it needs %s, the model offers %s", model_name,
                 t->name, needs, has[0] ? has : "nothing");
        fit->skip = 1;
        return;
    }
    if (t->unsafe && !allow_code_execution) {
        snprintf(fit->why, sizeof fit->why, "task '%s' runs model-written code; pass --allow-code-execution to allow it",
                 t->name);
        fit->skip = 1;
    }
}

/* ---- the requests of a task ------------------------------------------------------------- */

/* The one generation request a multiple-choice doc gets in fallback mode. */
static const char *const fallback_until[] = {"\n\n"};

static void fallback_request(const task_instance *in, int use_chat, uint64_t seed, engine_request *out)
{
    memset(out, 0, sizeof *out);
    if (use_chat && in->n_messages > 0) {
        out->kind = ENGINE_REQ_CHAT;
        out->messages = in->messages;
        out->n_messages = in->n_messages;
    } else {
        out->kind = ENGINE_REQ_GENERATE;
        out->context = in->prompt;
    }
    out->gen.until[0] = fallback_until[0];
    out->gen.n_until = 1;
    out->gen.max_tokens = 16;
    out->gen.seed = seed;
}

int plan_requests_of_doc(const plan_requests *r, size_t i) { return r->fallback ? 1 : r->ins[i].n_requests; }

int plan_requests_build(plan_requests *r, const task *t, size_t n_docs, unsigned fallback, uint64_t seed, char *err)
{
    return plan_requests_build_shard(r, t, n_docs, 0, 1, fallback, seed, err);
}

size_t plan_shard_size(size_t n_docs, int shard_index, int shard_count)
{
    if (shard_count <= 1) return n_docs;
    if ((size_t)shard_index >= n_docs) return 0;
    return (n_docs - (size_t)shard_index + (size_t)shard_count - 1) / (size_t)shard_count;
}

int plan_requests_build_shard(plan_requests *r, const task *t, size_t n_docs, int shard_index, int shard_count,
                              unsigned fallback, uint64_t seed, char *err)
{
    memset(r, 0, sizeof *r);
    if (shard_count < 1) shard_count = 1;
    size_t total = n_docs;
    n_docs = plan_shard_size(total, shard_index, shard_count);
    r->n_docs = n_docs;
    r->fallback = fallback;
    r->ins = tt_calloc(n_docs + 1, sizeof *r->ins);
    r->first = tt_calloc(n_docs + 1, sizeof(int));
    int rc = TT_OK;
    for (size_t i = 0; i < n_docs && rc == TT_OK; i++) {
        /* the shard's i-th document: every shard_count-th from shard_index */
        rc = task_build(t, (size_t)shard_index + i * (size_t)shard_count, &r->ins[i], err);
        r->first[i] = r->n_req;
        if (rc == TT_OK) r->n_req += plan_requests_of_doc(r, i);
    }
    if (rc) return rc;
    r->reqs = tt_calloc((size_t)r->n_req + 1, sizeof *r->reqs);
    for (size_t i = 0; i < n_docs; i++) {
        engine_request *q = &r->reqs[r->first[i]];
        if (fallback) {
            fallback_request(&r->ins[i], fallback == ENGINE_CAP_CHAT, seed, q);
            continue;
        }
        for (int k = 0; k < r->ins[i].n_requests; k++) {
            q[k] = r->ins[i].requests[k];
            if (q[k].gen.seed == 0) q[k].gen.seed = seed;
        }
    }
    return TT_OK;
}

void plan_requests_free(plan_requests *r)
{
    for (size_t i = 0; r->ins && i < r->n_docs; i++) task_instance_free(&r->ins[i]);
    free(r->ins);
    free(r->first);
    free(r->reqs);
    memset(r, 0, sizeof *r);
}
