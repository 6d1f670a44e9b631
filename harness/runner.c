/*
 * runner.c — implementation of runner.h: the order of a run, top to
 * bottom. runner_run resolves the models, plans the tasks and finds the
 * run; eval_model walks the tasks of one model; eval_task takes one task
 * through build, answer, score and store. What each step does lives in its
 * module: plan.c (tasks, capability checks, requests), executor.c
 * (answers), score.c (metrics), results.c (documents and files),
 * run_identity.c (resume or create). This file only says when.
 */
#include "harness/runner.h"
#include "core/log.h"
#include "core/util.h"
#include "engines/engine.h"
#include "engines/registry.h"
#include "engines/request_json.h"
#include "engines/spec.h"
#include "harness/classify_eval.h"
#include "harness/embed_eval.h"
#include "harness/executor.h"
#include "harness/failures.h"
#include "harness/plan.h"
#include "harness/results.h"
#include "harness/run_identity.h"
#include "harness/run_lease.h"
#include "harness/score.h"
#include "harness/transcribe_eval.h"
#include "judges/stats.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void runner_options_default(runner_options *o)
{
    memset(o, 0, sizeof *o);
    o->db_path = "tianti.db";
    o->seed = 1234;
    o->jobs = 1;
    o->num_fewshot = -1;
    o->bootstrap_iters = STATS_DEFAULT_BOOTSTRAP;
}

/* Everything about the model being evaluated. */
typedef struct model_ctx {
    const runner_options *o;
    store *st;
    engine *e;
    registry_model *model;
    int64_t run_id, model_id;
    json_t *doc;                  /* the model's results document, growing task by task */
    results_usage usage;
    char *out_dir;                /* --output: DIR/<model name sanitized>, else NULL */
    char *date_id;                /* lm-eval's date id in the file names */
    FILE *samples_out;            /* --output: the task's samples_<task>_<date id>.jsonl */
    char *identity;               /* what answers, for the request cache (executor_identity) */
} model_ctx;

/* ---- one task of one model ------------------------------------------------------------ */

/* The executor's progress of one task, told to the caller with the names. */
typedef struct task_progress {
    const runner_options *o;
    const char *model, *task;
} task_progress;

static void on_progress(void *ud, const executor_progress_info *x)
{
    const task_progress *tp = ud;
    runner_progress p = {.model = tp->model, .task = tp->task, .done = x->done, .total = x->total,
                         .cached = x->cache_hits, .sent = x->sent, .failed = x->failed, .rate = x->rate,
                         .eta_s = x->eta_s, .finished = x->finished};
    tp->o->progress(tp->o->progress_ud, &p);
}

/* 2. Answers every request: de-duplicated, from the cache where it can,
 * --jobs at a time (no more than the model's max_concurrency). */
/* Concurrent requests for this model: --jobs, capped by its models.json
 * max_concurrency. */
static int model_jobs(const model_ctx *mc)
{
    int jobs = mc->o->jobs;
    if (mc->model->options.max_concurrency > 0 && jobs > mc->model->options.max_concurrency)
        jobs = mc->model->options.max_concurrency;
    return jobs;
}

/* Tasks scored over all their documents at once (embedding, classify,
 * transcription: rank correlations, thresholds and AUROC need them all)
 * cannot be split into shards. kind names the task kind, with its article. */
static int refuse_shards(const model_ctx *mc, const task *t, const char *kind, char *err)
{
    if (mc->o->shard_count <= 1) return TT_OK;
    return tt_fail(err, TT_ERR_USAGE, "task '%s': %s task is scored over all its documents at once and cannot be "
                                      "split into shards; run it without --shard", t->name, kind);
}

static int answer(model_ctx *mc, const task *t, const plan_requests *pr, engine_response *resp, const char *label,
                  char *err)
{
    const runner_options *o = mc->o;
    task_progress tp = {o, mc->model->name, t->name};
    executor_progress prog = {o->progress ? on_progress : NULL, &tp};
    int jobs = model_jobs(mc);
    executor_stats xs;
    int rc = executor_run(mc->e, mc->identity, mc->st, pr->reqs, pr->n_req, jobs, &prog, resp, &xs, err);
    mc->usage.requests += xs.total;
    mc->usage.cache_hits += xs.cache_hits;
    mc->usage.failed += xs.failed;
    tt_log(TT_LOG_DEBUG, "%s: %d requests, %d unique, %d from cache, %d sent, %d failed, %.2fs", label, xs.total,
           xs.unique, xs.cache_hits, xs.sent, xs.failed, xs.seconds);
    return rc;
}

/* 2b. Code tasks: runs every sample of every document in the sandbox and
 * says which protections were in force. */
static int execute_code(model_ctx *mc, const task *t, score_state *sc, const plan_requests *pr,
                        const engine_response *resp, char *err)
{
    size_t n_programs;
    char prot[256];
    sandbox_level level = SANDBOX_LEVEL_STRICT;
    sandbox_config sb;
    sandbox_config_init(&sb);
    sb.level = mc->o->sandbox;
    int rc = score_execute_code(sc, t, pr->ins, pr->n_docs, resp, pr->first, mc->o->jobs, &sb, &n_programs, prot,
                                sizeof prot, &level, err);
    if (rc == TT_OK && n_programs > 0) {
        const char *ln = sandbox_level_name(level);
        tt_log(TT_LOG_INFO, "%s: executed %zu programs in the %s sandbox; protections in force: %s", t->name,
               n_programs, ln, prot);
        char *note = tt_asprintf("%s: code executed in the %s sandbox with: %s", t->name, ln, prot);
        results_doc_note(mc->doc, note);
        results_doc_sandbox(mc->doc, t->name, ln, prot);
        free(note);
    }
    return rc;
}

/* 3. Scores document i and keeps it: the sample in the store, a line in the
 * samples file. A document that cannot be scored is kept with its error,
 * which is counted in fails by cause (and logged in full at debug level:
 * -v). Returns the store's status. */
static int keep_doc(model_ctx *mc, const task *t, int64_t task_id, score_state *sc, const plan_requests *pr, size_t i,
                    const engine_response *resp, failures *fails, char *err)
{
    const task_instance *in = &pr->ins[i];
    const engine_response *r = resp + pr->first[i];
    int n_resp = plan_requests_of_doc(pr, i);
    json_t *scores = json_object(), *filtered = json_object(), *rj = json_array();
    char derr[TT_ERR_SIZE] = "";
    size_t *mark = tt_calloc((size_t)sc->n_cols + 1, sizeof *mark);
    score_mark(sc, mark);
    int drc = score_doc(sc, t, in, r, n_resp, scores, filtered, derr);
    if (drc != TT_OK) {
        failures_add(fails, derr, 1);
        tt_log(TT_LOG_DEBUG, "%s / %s: doc %zu: %s", mc->model->name, t->name, in->doc_index, derr);
    }
    char *items_s = drc == TT_OK ? score_items_json(sc, mark) : NULL;   /* for tianti merge */
    free(mark);
    double latency = 0;
    int ptok = -1, ctok = -1, rtok = 0;
    for (int k = 0; k < n_resp; k++) {
        char *s = engine_response_to_json(&r[k]);
        json_array_append_new(rj, json_loads(s, 0, NULL));
        free(s);
        latency += r[k].latency_s;
        if (r[k].prompt_tokens >= 0) ptok = (ptok < 0 ? 0 : ptok) + r[k].prompt_tokens;
        if (r[k].completion_tokens >= 0) ctok = (ctok < 0 ? 0 : ctok) + r[k].completion_tokens;
        if (r[k].reasoning_tokens > 0) rtok += r[k].reasoning_tokens;
    }
    if (ptok > 0) mc->usage.prompt_tokens += ptok;
    if (ctok > 0) mc->usage.completion_tokens += ctok;
    mc->usage.reasoning_tokens += rtok;
    char *scores_s = json_dumps(scores, JSON_COMPACT | JSON_SORT_KEYS);
    char *filtered_s = json_dumps(filtered, JSON_COMPACT | JSON_SORT_KEYS);
    char *resp_s = json_dumps(rj, JSON_COMPACT);
    store_sample smp = {.run_id = mc->run_id, .model_id = mc->model_id, .task_id = task_id,
                        .doc_id = (int64_t)in->doc_index, .prompt = in->prompt, .target = in->target_text,
                        .responses_json = resp_s, .filtered_json = filtered_s,
                        .scores_json = drc == TT_OK ? scores_s : NULL, .error = drc == TT_OK ? NULL : derr,
                        .latency_s = latency, .prompt_tokens = ptok, .completion_tokens = ctok,
                        .items_json = items_s, .reasoning_tokens = rtok};
    int rc = store_sample_put(mc->st, &smp, err);
    free(items_s);
    if (mc->samples_out) results_sample_write(mc->samples_out, t, in, rj, filtered, scores, drc == TT_OK ? NULL : derr);
    free(scores_s);
    free(filtered_s);
    free(resp_s);
    json_decref(scores);
    json_decref(filtered);
    json_decref(rj);
    return rc;
}

/* The metric rows of a task or suite. */
static int store_metrics(model_ctx *mc, const char *name, int is_group, const score_result *r, int n_shot, char *err)
{
    int rc = TT_OK;
    for (int c = 0; c < r->n_cols && rc == TT_OK; c++)
        rc = store_metric_put(mc->st, mc->run_id, mc->model_id, name, is_group, r->filter[c], r->metric[c], r->value[c],
                              r->stderr_[c], r->n[c], n_shot, r->hib[c], err);
    return rc;
}

/* One document of a task scored whole (embedding, classification,
 * transcription): its sample in the store and the samples file, its error
 * counted in fails. resp and scores are borrowed. */
typedef struct plain_doc {
    size_t doc_index;
    const char *prompt, *target, *error;
    json_t *resp, *scores;
    int prompt_tokens, completion_tokens, reasoning_tokens;
    double latency_s;
} plain_doc;

static int keep_plain_doc(model_ctx *mc, const task *t, int64_t task_id, const plain_doc *d, failures *fails, char *err)
{
    char *scores_s = json_dumps(d->scores, JSON_COMPACT | JSON_SORT_KEYS), *resp_s = json_dumps(d->resp, JSON_COMPACT);
    store_sample smp = {.run_id = mc->run_id, .model_id = mc->model_id, .task_id = task_id,
                        .doc_id = (int64_t)d->doc_index, .prompt = d->prompt, .target = d->target,
                        .responses_json = resp_s, .filtered_json = "{}", .scores_json = d->error ? NULL : scores_s,
                        .error = d->error, .latency_s = d->latency_s, .prompt_tokens = d->prompt_tokens,
                        .completion_tokens = d->completion_tokens,
                        .reasoning_tokens = d->reasoning_tokens > 0 ? d->reasoning_tokens : 0};
    int rc = store_sample_put(mc->st, &smp, err);
    if (d->error) failures_add(fails, d->error, 1);
    if (rc == TT_OK && mc->samples_out) {
        task_instance in;
        char berr[TT_ERR_SIZE];
        if (task_build(t, d->doc_index, &in, berr) == TT_OK) {
            json_t *filtered = json_object();
            results_sample_write(mc->samples_out, t, &in, d->resp, filtered, d->scores, d->error);
            json_decref(filtered);
            task_instance_free(&in);
        }
    }
    free(scores_s);
    free(resp_s);
    return rc;
}

/* After a task scored whole: its failures into the document, its scores
 * into the store, commit (or roll back), its usage. */
static int finish_plain_task(model_ctx *mc, const task *t, int rc, int began, failures *fails, size_t n_docs,
                             score_result *res, const results_usage *before, char *err)
{
    if (rc == TT_OK && fails->total > 0) {
        failures_sort(fails);
        for (int k = 0; k < fails->n; k++)
            results_doc_error(mc->doc, t->name, fails->items[k].cause, fails->items[k].count, (int)n_docs,
                              fails->items[k].example);
    }
    if (rc == TT_OK) {
        rc = store_metrics(mc, t->name, 0, res, t->num_fewshot, err);
        res->ok = rc == TT_OK;
    }
    if (rc == TT_OK) rc = store_commit(mc->st, err);
    else if (began) store_rollback(mc->st);
    if (rc == TT_OK) {
        results_usage mine = {mc->usage.requests - before->requests, 0, mc->usage.failed - before->failed,
                              mc->usage.prompt_tokens - before->prompt_tokens,
                              mc->usage.completion_tokens - before->completion_tokens,
                              mc->usage.reasoning_tokens - before->reasoning_tokens};
        results_doc_task_usage(mc->doc, t->name, &mine, mc->model->price_input_per_mtok, mc->model->price_output_per_mtok);
    }
    if (mc->samples_out) fclose(mc->samples_out);
    mc->samples_out = NULL;
    return rc;
}

/* A speech recognition task (transcribe_eval.h): transcribe, compare and
 * store every document, then wer and cer. Transcripts are not cached. */
static int eval_transcription(model_ctx *mc, const task *t, int64_t task_id, size_t n_docs, score_result *res,
                              char *err)
{
    if (refuse_shards(mc, t, "a transcription", err) != TT_OK) return TT_ERR_USAGE;
    int jobs = model_jobs(mc);
    transcribe_eval ev;
    int rc = transcribe_eval_run(mc->e, t, n_docs, jobs, &ev, err);
    results_usage before = mc->usage;
    if (rc == TT_OK && mc->out_dir) rc = results_samples_open(mc->out_dir, t->name, mc->date_id, &mc->samples_out, err);
    if (rc == TT_OK) rc = store_begin(mc->st, err);
    int began = rc == TT_OK;
    failures fails;
    failures_init(&fails);
    for (size_t i = 0; i < ev.n_docs && rc == TT_OK; i++) {
        const transcribe_doc *d = &ev.docs[i];
        mc->usage.requests += d->transcript || d->resp.error;
        mc->usage.failed += d->resp.error != NULL;
        if (d->resp.prompt_tokens > 0) mc->usage.prompt_tokens += d->resp.prompt_tokens;
        if (d->resp.completion_tokens > 0) mc->usage.completion_tokens += d->resp.completion_tokens;
        json_t *scores = transcribe_eval_doc_scores(&ev, i), *resp = json_array();
        if (d->transcript) json_array_append_new(resp, json_string(d->transcript));
        plain_doc pd = {.doc_index = d->doc_index, .prompt = d->audio, .target = d->reference, .error = d->error,
                        .resp = resp, .scores = scores, .prompt_tokens = d->resp.prompt_tokens,
                        .completion_tokens = d->resp.completion_tokens, .latency_s = d->resp.latency_s};
        rc = keep_plain_doc(mc, t, task_id, &pd, &fails, err);
        json_decref(scores);
        json_decref(resp);
    }
    if (rc == TT_OK) {
        stats_opts so = {.bootstrap_iters = mc->o->bootstrap_iters, .seed = mc->o->seed, .rng = STATS_RNG_SEEDED};
        transcribe_eval_score(&ev, &so, res);
    }
    rc = finish_plain_task(mc, t, rc, began, &fails, ev.n_docs, res, &before, err);
    failures_free(&fails);
    transcribe_eval_free(&ev);
    return rc;
}

/* An embedding task (embed_eval.h): embed, compare and store every
 * document, then its scores; samples and metrics in one transaction. The
 * vectors are not cached: the request cache holds answers to requests. */
static int eval_embedding(model_ctx *mc, const task *t, int64_t task_id, size_t n_docs, score_result *res, char *err)
{
    if (refuse_shards(mc, t, "an embedding", err) != TT_OK) return TT_ERR_USAGE;
    embed_eval ev;
    int rc = embed_eval_run(mc->e, t, n_docs, &ev, err);
    results_usage before = mc->usage;
    mc->usage.requests += (int)ev.n_texts;
    if (ev.prompt_tokens > 0) mc->usage.prompt_tokens += ev.prompt_tokens;
    tt_log(TT_LOG_DEBUG, "%s / %s: %zu distinct texts embedded (%d dimensions) in %.2fs", mc->model->name, t->name,
           ev.n_texts, ev.dim, ev.seconds);
    if (rc == TT_OK && mc->out_dir) rc = results_samples_open(mc->out_dir, t->name, mc->date_id, &mc->samples_out, err);
    if (rc == TT_OK) rc = store_begin(mc->st, err);
    int began = rc == TT_OK;
    failures fails;
    failures_init(&fails);
    for (size_t i = 0; i < ev.n_docs && rc == TT_OK; i++) {
        const embed_doc *d = &ev.docs[i];
        json_t *scores = embed_eval_doc_scores(&ev, t, i);
        json_t *resp = json_array();   /* the vectors themselves are not kept: their size is */
        if (!d->error) json_array_append_new(resp, json_pack("{s:i}", "embedding_dim", ev.dim));
        char *target = t->embed.kind == TASK_EMBED_RETRIEVAL ? NULL : tt_asprintf("%.17g", d->gold);
        char *prompt = d->text_pair ? tt_asprintf("%s\n%s", d->text ? d->text : "", d->text_pair) : NULL;
        /* the document's share of the tokens is not known per text */
        plain_doc pd = {.doc_index = d->doc_index, .prompt = prompt ? prompt : d->text, .target = target,
                        .error = d->error, .resp = resp, .scores = scores, .prompt_tokens = -1,
                        .completion_tokens = -1};
        rc = keep_plain_doc(mc, t, task_id, &pd, &fails, err);
        free(prompt);
        free(target);
        json_decref(scores);
        json_decref(resp);
    }
    if (rc == TT_OK) {
        stats_opts so = {.bootstrap_iters = mc->o->bootstrap_iters, .seed = mc->o->seed, .rng = STATS_RNG_SEEDED};
        embed_eval_score(&ev, t, &so, res);
    }
    rc = finish_plain_task(mc, t, rc, began, &fails, ev.n_docs, res, &before, err);
    failures_free(&fails);
    embed_eval_free(&ev);
    return rc;
}

/* A classification task (classify_eval.h): classify, store every
 * document, then the per-category scores; samples and metrics in one
 * transaction. Answers are not cached (moderation is not a request the
 * cache knows). */
static int eval_classify(model_ctx *mc, const task *t, int64_t task_id, size_t n_docs, score_result *res, char *err)
{
    if (refuse_shards(mc, t, "a classification", err) != TT_OK) return TT_ERR_USAGE;
    int jobs = model_jobs(mc);
    classify_eval ev;
    int rc = classify_eval_run(mc->e, t, n_docs, jobs, &ev, err);
    results_usage before = mc->usage;
    if (rc == TT_OK && mc->out_dir) rc = results_samples_open(mc->out_dir, t->name, mc->date_id, &mc->samples_out, err);
    if (rc == TT_OK) rc = store_begin(mc->st, err);
    int began = rc == TT_OK;
    failures fails;
    failures_init(&fails);
    for (size_t i = 0; i < ev.n_docs && rc == TT_OK; i++) {
        const classify_doc *d = &ev.docs[i];
        mc->usage.requests += d->reply || d->error;
        mc->usage.failed += d->error != NULL;
        if (d->prompt_tokens > 0) mc->usage.prompt_tokens += d->prompt_tokens;
        if (d->completion_tokens > 0) mc->usage.completion_tokens += d->completion_tokens;
        if (d->reasoning_tokens > 0) mc->usage.reasoning_tokens += d->reasoning_tokens;
        json_t *scores = classify_eval_doc_scores(&ev, t, i), *resp = json_array();
        if (d->reply) json_array_append_new(resp, json_string(d->reply));
        plain_doc pd = {.doc_index = d->doc_index, .prompt = d->text, .error = d->error, .resp = resp,
                        .scores = scores, .prompt_tokens = d->prompt_tokens, .completion_tokens = d->completion_tokens,
                        .reasoning_tokens = d->reasoning_tokens};
        rc = keep_plain_doc(mc, t, task_id, &pd, &fails, err);
        json_decref(scores);
        json_decref(resp);
    }
    if (rc == TT_OK) {
        stats_opts so = {.bootstrap_iters = mc->o->bootstrap_iters, .seed = mc->o->seed, .rng = STATS_RNG_SEEDED};
        classify_eval_score(&ev, t, &so, res);
    }
    rc = finish_plain_task(mc, t, rc, began, &fails, ev.n_docs, res, &before, err);
    failures_free(&fails);
    classify_eval_free(&ev);
    return rc;
}

/* Evaluates task t: build, answer, score and store every document, then
 * aggregate; samples and metrics in one transaction. fallback: as
 * plan_fit.fallback. On success *res holds the task's scores. */
static int eval_task(model_ctx *mc, const task *t, unsigned fallback, score_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    const runner_options *o = mc->o;
    size_t n_docs = task_limit_count(task_num_docs(t), o->limit);
    int64_t task_id;
    char *cfg = json_dumps(t->config, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = store_task_ensure(mc->st, t->name, t->version, t->content_hash, cfg, &task_id, err);
    free(cfg);
    if (rc) return rc;
    if (t->output_type == TASK_EMBEDDING) return eval_embedding(mc, t, task_id, n_docs, res, err);
    if (t->output_type == TASK_CLASSIFY) return eval_classify(mc, t, task_id, n_docs, res, err);
    if (t->output_type == TASK_TRANSCRIPTION) return eval_transcription(mc, t, task_id, n_docs, res, err);
    score_state sc;
    rc = score_init(&sc, t, fallback != 0, n_docs, err);
    if (rc) return rc;
    if (mc->out_dir && (rc = results_samples_open(mc->out_dir, t->name, mc->date_id, &mc->samples_out, err))) {
        score_free(&sc);
        return rc;
    }

    /* 1. Build every document's requests. */
    plan_requests pr;
    rc = plan_requests_build_shard(&pr, t, n_docs, o->shard_index, o->shard_count, fallback, o->seed, err);
    if (rc) {
        plan_requests_free(&pr);
        score_free(&sc);
        if (mc->samples_out) fclose(mc->samples_out);
        mc->samples_out = NULL;
        return rc;
    }

    results_usage before = mc->usage;   /* this task's usage is what it adds */

    /* 2. Answer them; code tasks also run every sample. */
    char label[160];
    snprintf(label, sizeof label, "%s / %s", mc->model->name, t->name);
    engine_response *resp = tt_calloc((size_t)pr.n_req + 1, sizeof *resp);
    int xrc = answer(mc, t, &pr, resp, label, err);
    if (xrc == TT_OK && sc.code) xrc = execute_code(mc, t, &sc, &pr, resp, err);
    int n_truncated = 0;
    for (int i = 0; i < pr.n_req; i++) n_truncated += resp[i].truncated > 0;
    if (xrc == TT_OK && n_truncated > 0)
        tt_log(TT_LOG_WARN, "%s: %d of %d requests were longer than the model's context and were left-truncated",
               label, n_truncated, pr.n_req);

    /* 3. Score and store every document, in one transaction. */
    rc = xrc == TT_OK ? store_begin(mc->st, err) : xrc;
    failures fails;
    failures_init(&fails);
    for (size_t i = 0; i < pr.n_docs && rc == TT_OK; i++) rc = keep_doc(mc, t, task_id, &sc, &pr, i, resp, &fails, err);
    if (rc == TT_OK && fails.total > 0) {
        failures_sort(&fails);
        for (int k = 0; k < fails.n; k++)
            results_doc_error(mc->doc, t->name, fails.items[k].cause, fails.items[k].count, (int)pr.n_docs,
                              fails.items[k].example);
    }
    failures_free(&fails);

    /* 4. Aggregate. */
    if (rc == TT_OK) {
        stats_opts so = {.bootstrap_iters = o->bootstrap_iters, .seed = o->seed};
        score_aggregate(&sc, &so, res);
        rc = store_metrics(mc, t->name, 0, res, t->num_fewshot, err);
        res->ok = rc == TT_OK;
    }
    if (rc == TT_OK) rc = store_commit(mc->st, err);
    else if (xrc == TT_OK) store_rollback(mc->st);
    if (rc == TT_OK) {
        results_doc_truncated(mc->doc, t->name, n_truncated, pr.n_req);
        results_usage mine = {mc->usage.requests - before.requests, mc->usage.cache_hits - before.cache_hits,
                              mc->usage.failed - before.failed, mc->usage.prompt_tokens - before.prompt_tokens,
                              mc->usage.completion_tokens - before.completion_tokens,
                              mc->usage.reasoning_tokens - before.reasoning_tokens};
        results_doc_task_usage(mc->doc, t->name, &mine, mc->model->price_input_per_mtok,
                               mc->model->price_output_per_mtok);
    }
    if (mc->samples_out) fclose(mc->samples_out);
    mc->samples_out = NULL;

    for (int i = 0; i < pr.n_req; i++) engine_response_free(&resp[i]);
    free(resp);
    plan_requests_free(&pr);
    score_free(&sc);
    return rc;
}

/* ---- one model ----------------------------------------------------------------------- */

/* Task t of the model could not be evaluated at all: each of its documents
 * counts as not scored, for the cause of why. */
static void fail_task(model_ctx *mc, const task *t, const char *why)
{
    char cause[TT_ERR_SIZE];
    failures_cause(why, cause, sizeof cause);
    int n = (int)task_limit_count(task_num_docs(t), mc->o->limit);
    results_doc_error(mc->doc, t->name, cause, n, n, why);
}

/* A suite's scores from its members', into the document and the store. */
static int add_group(model_ctx *mc, const plan *p, const plan_group *g, const score_result *results, char *err)
{
    score_result gr;
    score_group_metrics(results, g->members, g->n_members, g->aggregate == SUITE_SIZE_WEIGHTED, (const char *const *)g->metrics,
                        g->n_metrics, g->has_metric_list, &gr);
    int rc = TT_OK;
    if (gr.ok) {
        const char **names = tt_calloc((size_t)g->n_members + 1, sizeof *names);
        for (int i = 0; i < g->n_members; i++) names[i] = p->tasks[g->members[i]]->name;
        results_doc_add_group(mc->doc, g->name, &gr, names, g->n_members, g->version);
        free(names);
        rc = store_metrics(mc, g->name, 1, &gr, -1, err);
    }
    score_result_free(&gr);
    return rc;
}

/* Evaluates model m on every task of the plan, then its suites. *doc_out
 * is its results document (also on failure); *scored counts the tasks
 * scored. Fails only when the model cannot be opened or the store fails. */
static int eval_model(const runner_options *o, const plan *p, store *st, int64_t run_id, registry_model *m,
                      json_t **doc_out, int *scored, char *err)
{
    *scored = 0;
    model_ctx mc = {.o = o, .st = st, .model = m, .run_id = run_id};
    results_config rcfg = {.model_spec = m->spec, .model_name = m->name, .limit = o->limit,
                           .bootstrap_iters = o->bootstrap_iters, .seed = o->seed, .batch_size = o->jobs};
    mc.doc = results_doc_new(&rcfg, run_id);
    *doc_out = mc.doc;
    engine_options eo = m->options;
    if (o->threads > 0) eo.threads = o->threads;
    eo.verbose = o->verbose;
    int rc = engine_open(m->spec, &eo, &mc.e, err);
    if (rc) return rc;
    /* what answers: the cache must not hand one model's answers to another */
    rc = executor_identity(m->spec, mc.e, &eo, st, &mc.identity, err);
    if (rc == TT_OK) tt_log(TT_LOG_DEBUG, "model '%s' answers as: %s", m->name, mc.identity);
    engine_spec sp;
    if (rc == TT_OK) rc = engine_spec_parse(m->spec, &sp, err);
    else memset(&sp, 0, sizeof sp);
    if (rc == TT_OK)
        rc = store_model_ensure(st, m->spec, m->name, sp.kind, sp.precision, m->params_json, &mc.model_id, err);
    engine_spec_clear(&sp);
    if (rc == TT_OK && o->output_dir) {
        rc = results_model_dir(o->output_dir, m->name, &mc.out_dir, err);
        mc.date_id = results_date_id();
    }

    score_result *results = tt_calloc((size_t)p->n_tasks + 1, sizeof *results);
    unsigned caps = rc == TT_OK ? engine_caps(mc.e) : 0;
    /* A model whose capabilities could not be found out (its server cannot
     * be reached) fails every task for that reason; nothing is sent. */
    char stop[TT_ERR_SIZE] = "";
    if (rc == TT_OK && engine_caps_check(mc.e, stop) != TT_OK)
        tt_log(TT_LOG_INFO, "model '%s' cannot be evaluated: %s", m->name, stop);
    for (int i = 0; i < p->n_tasks && rc == TT_OK; i++) {
        const task *t = p->tasks[i];
        if (stop[0]) {
            fail_task(&mc, t, stop);
            continue;
        }
        plan_fit fit;
        plan_task_fit(t, m->name, caps, o->allow_code_execution, &fit);
        if (fit.fallback)
            tt_log(TT_LOG_INFO, "model '%s' has no log-likelihoods: task '%s' is answered by a generated letter "
                                "and scored as 'acc,letter_fallback'", m->name, t->name);
        if (fit.skip && mc.e->caps_note && (plan_task_needs(t) & ~caps)) {
            /* say what the engine was told, e.g. the probe's HTTP error */
            size_t l = strlen(fit.why);
            snprintf(fit.why + l, sizeof fit.why - l, " (%s)", mc.e->caps_note);
        }
        if (fit.skip) {
            tt_log(TT_LOG_INFO, "%s; skipped", fit.why);
            results_doc_skip(mc.doc, t->name, fit.why);
            continue;
        }
        char terr[TT_ERR_SIZE] = "";
        int trc = eval_task(&mc, t, fit.fallback, &results[i], terr);
        if (trc == TT_ERR_STORE) {
            rc = tt_fail(err, trc, "%s", terr);
            break;
        }
        if (trc != TT_OK) {
            tt_log(TT_LOG_INFO, "model '%s', task '%s': %s", m->name, t->name, terr);
            fail_task(&mc, t, terr);
            /* The engine cannot go on (e.g. a 401): stop this model (its
             * remaining tasks fail for the same reason), keep the run. */
            if (trc == TT_ERR_ENGINE || trc == TT_ERR_UNSUPPORTED) snprintf(stop, sizeof stop, "%s", terr);
            continue;
        }
        results_doc_add_task(mc.doc, t, &results[i], task_num_docs(t));
        (*scored)++;
    }
    for (int g = 0; g < p->n_groups && rc == TT_OK; g++) {
        rc = store_begin(st, err);
        if (rc == TT_OK) rc = add_group(&mc, p, &p->groups[g], results, err);
        if (rc == TT_OK) rc = store_commit(st, err);
        else store_rollback(st);
    }
    results_doc_set_usage(mc.doc, &mc.usage, m->price_input_per_mtok, m->price_output_per_mtok);
    results_doc_finish(mc.doc);
    /* --output: this model's results file, as lm-eval writes one per model */
    char werr[TT_ERR_SIZE];
    if (rc == TT_OK && mc.out_dir && results_write(mc.doc, mc.out_dir, mc.date_id, werr) != TT_OK)
        tt_log(TT_LOG_WARN, "%s", werr);
    for (int i = 0; i < p->n_tasks; i++) score_result_free(&results[i]);
    free(results);
    free(mc.out_dir);
    free(mc.date_id);
    free(mc.identity);
    engine_close(mc.e);
    return rc;
}

/* ---- the run ----------------------------------------------------------------------------- */

/* Resolves every --model (a registry name or a spec) and puts its spec in
 * canonical form (engines/spec.h), so "@Q8_0" and "@q8_0" are one model.
 * *out has o->n_models entries also on failure (registry_model_clear each). */
int runner_models_resolve(const runner_options *o, registry_model **out, char *err)
{
    *out = tt_calloc((size_t)o->n_models + 1, sizeof **out);
    registry *reg = NULL;
    char *reg_path = registry_default_path(o->registry_path);
    int rc = registry_load(reg_path, o->registry_path == NULL, &reg, err);
    free(reg_path);
    for (int i = 0; i < o->n_models && rc == TT_OK; i++) {
        registry_model *m = &(*out)[i];
        engine_spec sp = {0};
        rc = registry_resolve(reg, o->models[i], m, err);
        if (rc == TT_OK && o->model_args) rc = registry_model_apply(m, o->model_args, "--model_args", err);
        if (rc == TT_OK) rc = engine_spec_parse(m->spec, &sp, err);
        if (rc == TT_OK) {
            free(m->spec);
            m->spec = engine_spec_format(&sp);
        }
        engine_spec_clear(&sp);
    }
    registry_free(reg);
    return rc;
}

void runner_models_free(registry_model *models, int n)
{
    for (int i = 0; i < n; i++) registry_model_clear(&models[i]);
    free(models);
}

int runner_run(const runner_options *o, json_t **results, int64_t *run_id_out, char *err)
{
    *results = NULL;
    if (o->n_models == 0) return tt_fail(err, TT_ERR_USAGE, "no model given (--model SPEC)");
    if (o->n_tasks == 0) return tt_fail(err, TT_ERR_USAGE, "no task given (--task NAME or --suite NAME)");

    /* 1. The models and the plan. */
    registry_model *models;
    int rc = runner_models_resolve(o, &models, err);
    plan p;
    plan_settings ps = {.tasks = o->tasks, .n_tasks = o->n_tasks, .tasks_dir = o->tasks_dir, .data_dir = o->data_dir,
                        .num_fewshot = o->num_fewshot, .samples = o->samples, .seed = o->seed,
                        .gen_kwargs = o->gen_kwargs, .chat = o->chat};
    if (rc == TT_OK) rc = plan_load(&p, &ps, err);
    if (rc) {
        runner_models_free(models, o->n_models);
        return rc;
    }
    for (int i = 0; o->chat && i < p.n_tasks; i++)
        if (p.tasks[i]->output_type != TASK_GENERATE_UNTIL)
            tt_log(TT_LOG_INFO, "task '%s' (%s) is scored on its plain prompt: chat mode applies to generation tasks",
                   p.tasks[i]->name, task_output_type_name(p.tasks[i]->output_type));
    store *st = NULL;
    run_lease *lease = NULL;
    if (o->output_dir) rc = tt_mkdir_p(o->output_dir, err);
    if (rc == TT_OK) rc = store_open(o->db_path, &st, err);
    if (rc) goto out;

    /* Code tasks: the sandbox must run at the level asked for before any
     * model is asked anything (a refusal says what is missing and how to
     * accept a weaker level). */
    int code_tasks = 0;
    for (int i = 0; i < p.n_tasks; i++) code_tasks |= p.tasks[i]->unsafe;
    if (code_tasks && o->allow_code_execution) {
        sandbox_config sb;
        sandbox_config_init(&sb);
        sb.level = o->sandbox;
        sandbox_level got;
        char prot[256];
        rc = sandbox_check(&sb, &got, prot, sizeof prot, err);
        if (rc) goto out;
        if (got == SANDBOX_LEVEL_NONE)
            tt_log(TT_LOG_WARN, "WARNING: --sandbox=none: model-written code runs WITHOUT isolation, with this "
                                "user's access to files, network and processes; use it for trusted code only");
        else
            tt_log(TT_LOG_INFO, "sandbox: level %s (protections: %s)", sandbox_level_name(got), prot);
    }

    /* 2. The run: resumed or new. */
    json_t *overrides = json_object();
    if (code_tasks && o->allow_code_execution)
        json_object_set_new(overrides, "sandbox", json_string(sandbox_level_name(o->sandbox)));
    if (o->gen_kwargs) json_object_set(overrides, "gen_kwargs", (json_t *)o->gen_kwargs);
    if (o->model_args) json_object_set(overrides, "model_args", (json_t *)o->model_args);
    if (o->chat) json_object_set_new(overrides, "chat", json_true());
    run_identity_settings ids = {.limit = o->limit, .seed = o->seed, .bootstrap_iters = o->bootstrap_iters,
                                 .shard_index = o->shard_index, .shard_count = o->shard_count,
                                 .overrides = overrides};
    int64_t run_id;
    int resumed = 0;
    /* one live run per identity: a second process with the same arguments
     * refuses (or waits), a dead one's run is taken over */
    char ident[65];
    run_identity_key(&p, models, o->n_models, &ids, ident);
    rc = run_lease_take(st, o->db_path, ident, o->wait_for_run, &lease, err);
    if (rc == TT_OK) rc = run_identity_begin(st, &p, models, o->n_models, &ids, &run_id, &resumed, err);
    json_decref(overrides);
    if (resumed) tt_log(TT_LOG_INFO, "resuming run %lld (same tasks, models and settings)", (long long)run_id);
    if (rc) goto out;
    run_lease_set_run(lease, run_id);
    *run_id_out = run_id;

    /* 3. Every model on every task. */
    json_t *docs = json_array();
    int total_scored = 0;
    for (int i = 0; i < o->n_models && rc == TT_OK; i++) {
        json_t *doc = NULL;
        int scored = 0;
        char merr[TT_ERR_SIZE] = "";
        int mrc = eval_model(o, &p, st, run_id, &models[i], &doc, &scored, merr);
        if (mrc == TT_ERR_STORE) rc = tt_fail(err, mrc, "%s", merr);
        else if (mrc != TT_OK) {
            char cause[TT_ERR_SIZE];
            tt_log(TT_LOG_INFO, "model '%s': %s", models[i].name, merr);
            failures_cause(merr, cause, sizeof cause);
            results_doc_error(doc, "*", cause, 0, 0, merr);
        }
        total_scored += scored;
        json_array_append_new(docs, doc);
    }
    int nothing = rc == TT_OK && total_scored == 0;
    if (nothing) rc = tt_fail(err, TT_ERR, "nothing was scored: every (model, task) pair failed or was skipped");

    /* 4. Finished (or failed), and the results: also when nothing was
     * scored, so that the caller can say why. */
    if (rc == TT_OK) rc = run_identity_end(st, run_id, 1, err);
    else run_identity_end(st, run_id, 0, err);
    if (rc == TT_OK || nothing) *results = docs;
    else json_decref(docs);
out:
    run_lease_drop(lease);
    store_close(st);
    plan_free(&p);
    runner_models_free(models, o->n_models);
    return rc;
}
