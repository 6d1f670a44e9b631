/*
 * results.c — implementation of results.h: building the lm-eval-shaped
 * results document of a model, and writing results.json and the per-sample
 * JSONL files. Tianti's own sections beside lm-eval's: "skipped", "notes"
 * (e.g. why a value is N/A), "truncated" (per task: requests, and how many
 * had a prompt longer than the model's context), "usage".
 */
#include "harness/results.h"
#include "core/util.h"
#include "core/version.h"
#include "engines/request_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

json_t *results_doc_new(const results_config *c, int64_t run_id)
{
    json_t *doc = json_object();
    const char *sections[] = {"results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) json_object_set_new(doc, sections[i], json_object());
    json_t *cfg = json_object();
    json_object_set_new(cfg, "model", json_string(c->model_spec));
    json_object_set_new(cfg, "model_name", json_string(c->model_name));
    json_object_set_new(cfg, "limit", c->limit > 0 ? json_real(c->limit) : json_null());
    json_object_set_new(cfg, "bootstrap_iters", json_integer(c->bootstrap_iters));
    json_object_set_new(cfg, "random_seed", json_integer((json_int_t)c->seed));
    json_object_set_new(cfg, "batch_size", json_integer(c->batch_size));
    json_object_set_new(doc, "config", cfg);
    json_object_set_new(doc, "date", json_real(tt_wall_s()));
    json_object_set_new(doc, "tianti_version", json_string(tt_version()));
    json_object_set_new(doc, "tianti_commit", json_string(tt_source_commit()));
    json_object_set_new(doc, "run_id", json_integer(run_id));
    json_object_set_new(doc, "skipped", json_array());
    return doc;
}

void results_doc_skip(json_t *doc, const char *task_name, const char *reason)
{
    json_t *s = json_object();
    json_object_set_new(s, "task", json_string(task_name));
    json_object_set_new(s, "reason", json_string(reason));
    json_array_append_new(json_object_get(doc, "skipped"), s);
}

void results_doc_note(json_t *doc, const char *note)
{
    json_t *notes = json_object_get(doc, "notes");
    if (!notes) json_object_set_new(doc, "notes", notes = json_array());
    json_array_append_new(notes, json_string(note));
}

static void json_num_or_na(json_t *o, const char *key, double v)
{
    if (isfinite(v)) json_object_set_new(o, key, json_real(v));
    else json_object_set_new(o, key, json_string("N/A"));
}

/* {"alias": name, "metric,filter": v, "metric_stderr,filter": se, ...} and
 * {"metric": higher_is_better, ...} of r. */
static void scores_json(const char *name, const score_result *r, json_t **res_out, json_t **hib_out)
{
    json_t *res = json_object();
    json_object_set_new(res, "alias", json_string(name));
    json_t *hib = json_object();
    for (int c = 0; c < r->n_cols; c++) {
        json_num_or_na(res, r->keys[c], r->value[c]);
        char *se_key = tt_asprintf("%s_stderr,%s", r->metric[c], r->filter[c]);
        json_num_or_na(res, se_key, r->stderr_[c]);
        free(se_key);
        json_object_set_new(hib, r->metric[c], json_boolean(r->hib[c]));
    }
    *res_out = res;
    *hib_out = hib;
}

void results_doc_add_task(json_t *doc, const task *t, const score_result *r, size_t n_original)
{
    json_t *res, *hib;
    scores_json(t->name, r, &res, &hib);
    json_object_set_new(json_object_get(doc, "results"), t->name, res);
    json_object_set_new(json_object_get(doc, "higher_is_better"), t->name, hib);
    json_object_set(json_object_get(doc, "configs"), t->name, t->config);
    json_object_set_new(json_object_get(doc, "versions"), t->name, json_string(t->version));
    json_object_set_new(json_object_get(doc, "n-shot"), t->name, json_integer(t->num_fewshot));
    json_t *ns = json_object();
    json_object_set_new(ns, "original", json_integer((json_int_t)n_original));
    json_object_set_new(ns, "effective", json_integer((json_int_t)r->n_docs));
    json_object_set_new(json_object_get(doc, "n-samples"), t->name, ns);
    for (int c = 0; c < r->n_cols; c++)
        if (r->note && r->note[c]) {
            char *note = tt_asprintf("%s: %s is %s", t->name, r->keys[c], r->note[c]);
            results_doc_note(doc, note);
            free(note);
        }
}

void results_doc_truncated(json_t *doc, const char *task_name, int n_truncated, int n_requests)
{
    json_t *tr = json_object_get(doc, "truncated");
    if (!tr) json_object_set_new(doc, "truncated", tr = json_object());
    json_t *o = json_object();
    json_object_set_new(o, "requests", json_integer(n_requests));
    json_object_set_new(o, "truncated", json_integer(n_truncated));
    json_object_set_new(tr, task_name, o);
}

void results_doc_add_group(json_t *doc, const char *name, const score_result *g, const char *const *members,
                           int n_members)
{
    json_t *res, *hib;
    scores_json(name, g, &res, &hib);
    json_t *names = json_array();
    for (int i = 0; i < n_members; i++) json_array_append_new(names, json_string(members[i]));
    json_object_set_new(json_object_get(doc, "group_subtasks"), name, names);
    json_object_set_new(json_object_get(doc, "groups"), name, res);
    json_object_set_new(json_object_get(doc, "higher_is_better"), name, hib);
}

void results_doc_set_usage(json_t *doc, const results_usage *u, double price_input_per_mtok,
                           double price_output_per_mtok)
{
    json_t *usage = json_object();
    json_object_set_new(usage, "requests", json_integer(u->requests));
    json_object_set_new(usage, "cache_hits", json_integer(u->cache_hits));
    json_object_set_new(usage, "failed_requests", json_integer(u->failed));
    json_object_set_new(usage, "prompt_tokens", json_integer(u->prompt_tokens));
    json_object_set_new(usage, "completion_tokens", json_integer(u->completion_tokens));
    if (price_input_per_mtok >= 0 && price_output_per_mtok >= 0)
        json_object_set_new(usage, "cost_usd", json_real(u->prompt_tokens * price_input_per_mtok / 1e6 +
                                                         u->completion_tokens * price_output_per_mtok / 1e6));
    json_object_set_new(doc, "usage", usage);
}

int results_write(const json_t *docs, const char *dir, char *err)
{
    char *path = tt_asprintf("%s/results.json", dir);
    int rc = TT_OK;
    if (json_dump_file(docs, path, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
        rc = tt_fail(err, TT_ERR_IO, "cannot write '%s'", path);
    free(path);
    return rc;
}

/* A model name as a file name: letters, digits, '-' and '.'; '_' for the rest. */
static char *safe_name(const char *s)
{
    char *d = tt_strdup(s);
    for (char *p = d; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')) *p = '_';
    return d;
}

int results_samples_open(const char *dir, const char *model_name, FILE **out, char *err)
{
    char *sn = safe_name(model_name);
    char *path = tt_asprintf("%s/samples_%s.jsonl", dir, sn);
    *out = fopen(path, "w");
    int rc = *out ? TT_OK : tt_fail(err, TT_ERR_IO, "cannot write '%s'", path);
    free(path);
    free(sn);
    return rc;
}

/* The requests of a document as JSON (the "arguments" of a sample line). */
static json_t *requests_json(const task_instance *in)
{
    json_t *a = json_array();
    for (int r = 0; r < in->n_requests; r++) {
        char *rj = engine_request_to_json(&in->requests[r]);
        json_array_append_new(a, json_loads(rj, 0, NULL));
        free(rj);
    }
    return a;
}

void results_sample_write(FILE *out, const task *t, const task_instance *in, json_t *resps, json_t *filtered,
                          json_t *scores, const char *error)
{
    json_t *line = json_object();
    json_object_set_new(line, "doc_id", json_integer((json_int_t)in->doc_index));
    json_object_set(line, "doc", in->doc);
    json_object_set_new(line, "target", json_string(in->target_text ? in->target_text : ""));
    json_object_set_new(line, "prompt", json_string(in->prompt ? in->prompt : ""));
    json_object_set_new(line, "arguments", requests_json(in));
    json_object_set(line, "resps", resps);
    json_object_set(line, "filtered_resps", filtered);
    json_object_set(line, "metrics", scores);
    if (error) json_object_set_new(line, "error", json_string(error));
    json_object_set_new(line, "task", json_string(t->name));
    json_dumpf(line, out, JSON_COMPACT | JSON_ENSURE_ASCII);
    fputc('\n', out);
    json_decref(line);
}
