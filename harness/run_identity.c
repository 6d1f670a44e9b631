/*
 * run_identity.c — implementation of run_identity.h: the configuration
 * JSON, its hash, and resume-or-create in the store.
 */
#include "harness/run_identity.h"
#include "core/util.h"
#include "core/version.h"

#include <stdlib.h>
#include <string.h>

json_t *run_identity_config(const plan *p, const registry_model *models, int n_models, const run_identity_settings *s)
{
    json_t *c = json_object();
    json_t *tasks = json_array();
    for (int i = 0; i < p->n_tasks; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "name", json_string(p->tasks[i]->name));
        json_object_set_new(t, "version", json_string(p->tasks[i]->version));
        json_object_set_new(t, "content_hash", json_string(p->tasks[i]->content_hash));
        json_object_set_new(t, "num_fewshot", json_integer(p->tasks[i]->num_fewshot));
        json_array_append_new(tasks, t);
    }
    json_object_set_new(c, "tasks", tasks);
    json_t *ms = json_array();
    for (int i = 0; i < n_models; i++) json_array_append_new(ms, json_string(models[i].spec));
    json_object_set_new(c, "models", ms);
    json_object_set_new(c, "limit", json_real(s->limit));
    json_object_set_new(c, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(c, "bootstrap_iters", json_integer(s->bootstrap_iters));
    if (s->shard_count > 1)
        json_object_set_new(c, "shard", json_pack("{s:i,s:i}", "index", s->shard_index, "count", s->shard_count));
    if (s->overrides && json_object_size(s->overrides) > 0)
        json_object_set_new(c, "overrides", json_deep_copy(s->overrides));
    return c;
}

char *run_identity_canonical(const json_t *config) { return json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS); }
#define canonical run_identity_canonical

void run_identity_hash(const json_t *config, char hash[65])
{
    char *s = canonical(config);
    tt_sha256_hex(s, strlen(s), hash);
    free(s);
}

void run_identity_key(const plan *p, const registry_model *models, int n_models, const run_identity_settings *s,
                      char hash[65])
{
    json_t *cfg = run_identity_config(p, models, n_models, s);
    run_identity_hash(cfg, hash);
    json_decref(cfg);
}

int run_identity_begin(store *st, const plan *p, const registry_model *models, int n_models,
                       const run_identity_settings *s, int64_t *run_id, int *resumed, char *err)
{
    json_t *cfg = run_identity_config(p, models, n_models, s);
    char *cfg_s = canonical(cfg);
    char hash[65];
    tt_sha256_hex(cfg_s, strlen(cfg_s), hash);
    int rc;
    *resumed = store_run_find_resumable(st, hash, run_id) == TT_OK;
    if (*resumed) rc = store_run_set_status(st, *run_id, "running", err);
    else rc = store_run_create(st, hash, cfg_s, s->seed, tt_source_commit(), run_id, err);
    free(cfg_s);
    json_decref(cfg);
    return rc;
}

int run_identity_end(store *st, int64_t run_id, int ok, char *err)
{
    if (ok) return store_run_set_status(st, run_id, "finished", err);
    char ignored[TT_ERR_SIZE];
    store_run_set_status(st, run_id, "failed", ignored);
    return TT_OK;
}
