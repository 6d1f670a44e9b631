/*
 * merge.c — implementation of merge.h: find the shards, copy their
 * samples into one run, aggregate the stored items again. The order of the
 * work follows runner.c (models, then tasks, then suites; a transaction
 * per task), and so does what it writes, so that a merged run and an
 * unsharded one cannot be told apart in the store but by their ids.
 */
#include "harness/merge.h"
#include "core/log.h"
#include "core/util.h"
#include "core/version.h"
#include "engines/spec.h"
#include "harness/plan.h"
#include "harness/results.h"
#include "harness/run_identity.h"
#include "harness/score.h"
#include "judges/stats.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* One stored document of a task, from whichever shard. */
typedef struct doc_items {
    int64_t doc_id;
    char *items;                  /* owned; NULL: no items */
} doc_items;

typedef struct doc_list {
    doc_items *v;
    size_t n, cap;
    int fallback;                 /* some document was scored by letter fallback */
} doc_list;

static int collect(void *ctx, const store_sample_items *r, char *err)
{
    (void)err;
    doc_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = tt_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (doc_items){r->doc_id, r->items_json ? tt_strdup(r->items_json) : NULL};
    if (r->items_json && strstr(r->items_json, ",letter_fallback\"")) l->fallback = 1;
    return TT_OK;
}

static int by_doc(const void *a, const void *b)
{
    int64_t x = ((const doc_items *)a)->doc_id, y = ((const doc_items *)b)->doc_id;
    return x < y ? -1 : x > y;
}

static void doc_list_free(doc_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].items);
    free(l->v);
    memset(l, 0, sizeof *l);
}

typedef struct merge_ctx {
    const runner_options *o;
    store *st;
    const int64_t *shards;        /* the shard runs, by shard index */
    int n_shards;
    int64_t run_id, model_id;
    const char *model_name;
} merge_ctx;

/* The metric rows of a task or suite (as the runner stores them). */
static int put_metrics(merge_ctx *m, const char *name, int is_group, const score_result *r, int n_shot, char *err)
{
    int rc = TT_OK;
    for (int c = 0; c < r->n_cols && rc == TT_OK; c++)
        rc = store_metric_put(m->st, m->run_id, m->model_id, name, is_group, r->filter[c], r->metric[c], r->value[c],
                              r->stderr_[c], r->n[c], n_shot, r->hib[c], err);
    return rc;
}

/* Merges task t of the current model into *res. TT_ERR_NOTFOUND (with a
 * reason in err) when no shard stored it: it was skipped. */
static int merge_task(merge_ctx *m, const task *t, score_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    size_t n_docs = task_limit_count(task_num_docs(t), m->o->limit);
    char *cfg = json_dumps(t->config, JSON_COMPACT | JSON_SORT_KEYS);
    int64_t task_id;
    int rc = store_task_ensure(m->st, t->name, t->version, t->content_hash, cfg, &task_id, err);
    free(cfg);
    if (rc) return rc;

    /* every shard's documents, then in document order */
    doc_list docs = {0};
    for (int k = 0; k < m->n_shards && rc == TT_OK; k++)
        rc = store_sample_items_each(m->st, m->shards[k], m->model_id, task_id, collect, &docs, err);
    if (rc == TT_OK && docs.n == 0)
        rc = tt_fail(err, TT_ERR_NOTFOUND, "no shard scored task '%s' for model '%s'", t->name, m->model_name);
    if (rc == TT_OK) qsort(docs.v, docs.n, sizeof *docs.v, by_doc);
    for (size_t i = 0; rc == TT_OK && i < docs.n; i++)
        if (docs.v[i].doc_id < 0 || (size_t)docs.v[i].doc_id >= n_docs || (i && docs.v[i].doc_id == docs.v[i - 1].doc_id))
            rc = tt_fail(err, TT_ERR, "task '%s', model '%s': document %lld is stored by two shards or is not in the "
                         "task (were the shards run with other settings?)", t->name, m->model_name,
                         (long long)docs.v[i].doc_id);
    if (rc == TT_OK && docs.n != n_docs)
        rc = tt_fail(err, TT_ERR, "task '%s', model '%s': the shards hold %zu of its %zu documents (a shard did not "
                     "finish it: run that shard again, it resumes)", t->name, m->model_name, docs.n, n_docs);

    score_state sc;
    int have_sc = 0;
    if (rc == TT_OK) {
        rc = score_init(&sc, t, docs.fallback, n_docs, err);
        have_sc = rc == TT_OK;
    }
    for (size_t i = 0; rc == TT_OK && i < docs.n; i++) {
        if (!docs.v[i].items) continue;
        char ierr[TT_ERR_SIZE];
        rc = score_items_add(&sc, docs.v[i].items, ierr);
        if (rc) rc = tt_fail(err, rc, "task '%s', document %lld: %s", t->name, (long long)docs.v[i].doc_id, ierr);
    }

    /* the samples and the metrics of the task, in one transaction */
    if (rc == TT_OK) rc = store_begin(m->st, err);
    if (rc == TT_OK) {
        for (int k = 0; k < m->n_shards && rc == TT_OK; k++)
            rc = store_samples_copy_run(m->st, m->shards[k], m->run_id, m->model_id, task_id, NULL, err);
        if (rc == TT_OK) {
            stats_opts so = {.bootstrap_iters = m->o->bootstrap_iters, .seed = m->o->seed};
            score_aggregate(&sc, &so, res);
            rc = put_metrics(m, t->name, 0, res, t->num_fewshot, err);
            res->ok = rc == TT_OK;
        }
        if (rc == TT_OK) rc = store_commit(m->st, err);
        else store_rollback(m->st);
    }
    if (have_sc) score_free(&sc);
    doc_list_free(&docs);
    return rc;
}

/* Every task of the plan for model md, then its suites. */
static int merge_model(merge_ctx *m, const plan *p, const registry_model *md, json_t *doc, char *err)
{
    engine_spec sp;
    int rc = engine_spec_parse(md->spec, &sp, err);
    if (rc == TT_OK)
        rc = store_model_ensure(m->st, md->spec, md->name, sp.kind, sp.precision, md->params_json, &m->model_id, err);
    engine_spec_clear(&sp);
    m->model_name = md->name;
    score_result *results = tt_calloc((size_t)p->n_tasks + 1, sizeof *results);
    for (int i = 0; i < p->n_tasks && rc == TT_OK; i++) {
        char terr[TT_ERR_SIZE] = "";
        int trc = merge_task(m, p->tasks[i], &results[i], terr);
        if (trc == TT_ERR_NOTFOUND) {
            tt_log(TT_LOG_INFO, "%s; skipped", terr);
            results_doc_skip(doc, p->tasks[i]->name, terr);
        } else if (trc != TT_OK) {
            rc = tt_fail(err, trc, "%s", terr);
        } else {
            results_doc_add_task(doc, p->tasks[i], &results[i], task_num_docs(p->tasks[i]));
        }
    }
    for (int g = 0; g < p->n_groups && rc == TT_OK; g++) {
        const plan_group *pg = &p->groups[g];
        score_result gr;
        score_group_metrics(results, pg->members, pg->n_members, pg->aggregate == SUITE_SIZE_WEIGHTED,
                            (const char *const *)pg->metrics, pg->n_metrics, pg->has_metric_list, &gr);
        if (gr.ok) {
            const char **names = tt_calloc((size_t)pg->n_members + 1, sizeof *names);
            for (int i = 0; i < pg->n_members; i++) names[i] = p->tasks[pg->members[i]]->name;
            results_doc_add_group(doc, pg->name, &gr, names, pg->n_members, pg->version);
            free(names);
            rc = store_begin(m->st, err);
            if (rc == TT_OK) rc = put_metrics(m, pg->name, 1, &gr, -1, err);
            if (rc == TT_OK) rc = store_commit(m->st, err);
            else store_rollback(m->st);
        }
        score_result_free(&gr);
    }
    for (int i = 0; i < p->n_tasks; i++) score_result_free(&results[i]);
    free(results);
    return rc;
}

/* The finished run of each shard. */
static int find_shards(store *st, const plan *p, const registry_model *models, const runner_options *o, int n_shards,
                       int64_t *shards, char *err)
{
    for (int k = 0; k < n_shards; k++) {
        run_identity_settings ids = {.limit = o->limit, .seed = o->seed, .bootstrap_iters = o->bootstrap_iters,
                                     .shard_index = k, .shard_count = n_shards};
        json_t *cfg = run_identity_config(p, models, o->n_models, &ids);
        char hash[65];
        run_identity_hash(cfg, hash);
        json_decref(cfg);
        char ferr[TT_ERR_SIZE];
        int rc = store_run_find_finished(st, hash, &shards[k], ferr);
        if (rc == TT_ERR_NOTFOUND)
            return tt_fail(err, rc, "shard %d/%d has no finished run in the store (run the same command as "
                           "`tianti run --shard %d/%d ...` into it, or copy its store in with --from)",
                           k, n_shards, k, n_shards);
        if (rc) return tt_fail(err, rc, "%s", ferr);
    }
    return TT_OK;
}

int runner_merge(const runner_options *o, int n_shards, json_t **results, int64_t *run_id_out, char *err)
{
    *results = NULL;
    if (n_shards < 2) return tt_fail(err, TT_ERR_USAGE, "merging needs at least 2 shards (--shards N)");
    if (o->n_models == 0) return tt_fail(err, TT_ERR_USAGE, "no model given (--model SPEC)");
    if (o->n_tasks == 0) return tt_fail(err, TT_ERR_USAGE, "no task given (--task NAME or --suite NAME)");
    registry_model *models;
    int rc = runner_models_resolve(o, &models, err);
    plan p;
    memset(&p, 0, sizeof p);
    plan_settings ps = {.tasks = o->tasks, .n_tasks = o->n_tasks, .tasks_dir = o->tasks_dir, .data_dir = o->data_dir,
                        .num_fewshot = o->num_fewshot, .samples = o->samples, .seed = o->seed};
    if (rc == TT_OK) rc = plan_load(&p, &ps, err);
    store *st = NULL;
    if (rc == TT_OK && o->output_dir) rc = tt_mkdir_p(o->output_dir, err);
    if (rc == TT_OK) rc = store_open(o->db_path, &st, err);
    int64_t *shards = tt_calloc((size_t)n_shards + 1, sizeof *shards);
    if (rc == TT_OK) rc = find_shards(st, &p, models, o, n_shards, shards, err);

    /* the merged run: the unsharded configuration */
    int64_t run_id = 0;
    if (rc == TT_OK) {
        run_identity_settings ids = {.limit = o->limit, .seed = o->seed, .bootstrap_iters = o->bootstrap_iters};
        json_t *cfg = run_identity_config(&p, models, o->n_models, &ids);
        char *cfg_s = run_identity_canonical(cfg);
        char hash[65];
        run_identity_hash(cfg, hash);
        rc = store_run_create(st, hash, cfg_s, o->seed, tt_source_commit(), &run_id, err);
        free(cfg_s);
        json_decref(cfg);
    }
    json_t *docs = json_array();
    merge_ctx m = {.o = o, .st = st, .shards = shards, .n_shards = n_shards, .run_id = run_id};
    for (int i = 0; i < o->n_models && rc == TT_OK; i++) {
        results_config rcfg = {.model_spec = models[i].spec, .model_name = models[i].name, .limit = o->limit,
                               .bootstrap_iters = o->bootstrap_iters, .seed = o->seed, .batch_size = o->jobs};
        json_t *doc = results_doc_new(&rcfg, run_id);
        char note[160];
        snprintf(note, sizeof note, "merged from %d shards", n_shards);
        results_doc_note(doc, note);
        json_array_append_new(docs, doc);
        rc = merge_model(&m, &p, &models[i], doc, err);
    }
    if (run_id) {
        if (rc == TT_OK) rc = run_identity_end(st, run_id, 1, err);
        else run_identity_end(st, run_id, 0, err);
    }
    if (rc == TT_OK) {
        *results = docs;
        *run_id_out = run_id;
        /* --output: one lm-eval results file per model, as `tianti run` writes */
        char *date_id = o->output_dir ? results_date_id() : NULL;
        for (int i = 0; o->output_dir && i < o->n_models; i++) {
            char werr[TT_ERR_SIZE], *dir = NULL;
            if (results_model_dir(o->output_dir, models[i].name, &dir, werr) != TT_OK ||
                results_write(json_array_get(docs, (size_t)i), dir, date_id, werr) != TT_OK)
                tt_log(TT_LOG_WARN, "%s", werr);
            free(dir);
        }
        free(date_id);
    } else {
        json_decref(docs);
    }
    free(shards);
    store_close(st);
    plan_free(&p);
    runner_models_free(models, o->n_models);
    return rc;
}
