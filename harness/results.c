/*
 * results.c — implementation of results.h: building the lm-eval-shaped
 * results document of a model, and writing its results file and the
 * per-task sample files where lm-eval's EvaluationTracker puts them.
 * Tianti's own sections beside lm-eval's: "skipped", "errors", "notes"
 * (e.g. why a value is N/A), "truncated" (per task: requests, and how many
 * had a prompt longer than the model's context), "usage".
 */
#include "harness/results.h"
#include "core/pytext.h"
#include "core/util.h"
#include "core/redact.h"
#include "core/version.h"
#include "engines/registry.h"
#include "engines/request_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

json_t *results_doc_new(const results_config *c, int64_t run_id)
{
    json_t *doc = json_object();
    /* lm-eval's order; "groups" appears with the first suite */
    const char *sections[] = {"results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples"};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) json_object_set_new(doc, sections[i], json_object());
    json_t *cfg = json_object();
    json_object_set_new(cfg, "model", json_string(c->model_spec));
    json_object_set_new(cfg, "model_name", json_string(c->model_name));
    json_object_set_new(cfg, "model_args", json_null());
    json_object_set_new(cfg, "batch_size", json_integer(c->batch_size));
    json_object_set_new(cfg, "batch_sizes", json_array());
    json_object_set_new(cfg, "device", json_null());
    json_object_set_new(cfg, "use_cache", json_null());
    json_object_set_new(cfg, "limit", c->limit > 0 ? json_real(c->limit) : json_null());
    json_object_set_new(cfg, "bootstrap_iters", json_integer(c->bootstrap_iters));
    json_object_set_new(cfg, "gen_kwargs", json_null());
    /* one --seed seeds everything, as lm-eval's --seed with one value */
    const char *seeds[] = {"random_seed", "numpy_seed", "torch_seed", "fewshot_seed"};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        json_object_set_new(cfg, seeds[i], json_integer((json_int_t)c->seed));
    json_object_set_new(doc, "config", cfg);
    json_object_set_new(doc, "git_hash", json_string(tt_source_commit()));
    double now = tt_wall_s();
    json_object_set_new(doc, "date", json_real(now));
    json_object_set_new(doc, "task_hashes", json_object());
    /* lm-eval's GeneralConfigTracker: the model's source is the engine kind */
    const char *colon = c->model_spec ? strchr(c->model_spec, ':') : NULL;
    json_object_set_new(doc, "model_source", colon ? json_stringn(c->model_spec, (size_t)(colon - c->model_spec))
                                                   : json_string(c->model_spec ? c->model_spec : ""));
    json_object_set_new(doc, "model_name", json_string(c->model_name));
    char *sane = results_sanitize_name(c->model_name ? c->model_name : "");
    json_object_set_new(doc, "model_name_sanitized", json_string(sane));
    free(sane);
    const char *nulls[] = {"system_instruction", "system_instruction_sha", "fewshot_as_multiturn", "chat_template",
                           "chat_template_sha"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) json_object_set_new(doc, nulls[i], json_null());
    json_object_set_new(doc, "start_time", json_real(now));
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

void results_doc_error(json_t *doc, const char *task_name, const char *cause, int count, int of,
                       const char *example)
{
    json_t *errors = json_object_get(doc, "errors");
    if (!errors) json_object_set_new(doc, "errors", errors = json_array());
    json_t *e = json_object();
    json_object_set_new(e, "task", json_string(task_name));
    json_object_set_new(e, "cause", json_string(cause));
    json_object_set_new(e, "count", json_integer(count));
    json_object_set_new(e, "of", json_integer(of));
    json_object_set_new(e, "example", json_string(example ? example : ""));
    json_array_append_new(errors, e);
}

void results_doc_note(json_t *doc, const char *note)
{
    json_t *notes = json_object_get(doc, "notes");
    if (!notes) json_object_set_new(doc, "notes", notes = json_array());
    json_array_append_new(notes, json_string(note));
}

void results_doc_sandbox(json_t *doc, const char *task_name, const char *level, const char *protections)
{
    json_t *sb = json_object_get(doc, "sandbox");
    if (!sb) json_object_set_new(doc, "sandbox", sb = json_object());
    json_object_set_new(sb, task_name, json_pack("{s:s,s:s}", "level", level, "protections", protections));
}

static void json_num_or_na(json_t *o, const char *key, double v)
{
    if (isfinite(v)) json_object_set_new(o, key, json_real(v));
    else json_object_set_new(o, key, json_string("N/A"));
}

/* {"alias": name, "name": name, "sample_len": n, "metric,filter": v,
 * "metric_stderr,filter": se, ...} and {"metric": higher_is_better, ...}
 * of r. */
static void scores_json(const char *name, const score_result *r, json_t **res_out, json_t **hib_out)
{
    json_t *res = json_object();
    json_object_set_new(res, "alias", json_string(name));
    json_object_set_new(res, "name", json_string(name));
    json_object_set_new(res, "sample_len", json_integer((json_int_t)r->n_docs));
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
    /* lm-eval writes the version as the YAML has it (1.0 stays 1.0), and
     * "Yaml" for a ConfigurableTask without one */
    json_object_set_new(json_object_get(doc, "versions"), t->name,
                        t->version_value ? json_incref(t->version_value) : json_string("Yaml"));
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
                           int n_members, const json_t *version)
{
    json_t *res, *hib;
    scores_json(name, g, &res, &hib);
    json_decref(hib);
    /* sample_len: the members' total; sample_count: per metric key (lm-eval's
     * Group.aggregate) */
    json_t *results = json_object_get(doc, "results");
    long long total = 0;
    for (int i = 0; i < n_members; i++)
        total += json_integer_value(json_object_get(json_object_get(results, members[i]), "sample_len"));
    json_object_set_new(res, "sample_len", json_integer(total));
    if (g->n_cols > 0) {   /* lm-eval adds it when the group aggregated something */
        json_t *counts = json_object();
        for (int c = 0; c < g->n_cols; c++) json_object_set_new(counts, g->keys[c], json_integer(g->n[c]));
        json_object_set_new(res, "sample_count", counts);
    }
    json_t *names = json_array();
    for (int i = 0; i < n_members; i++) json_array_append_new(names, json_string(members[i]));
    json_object_set_new(json_object_get(doc, "group_subtasks"), name, names);
    json_object_set(results, name, res);
    json_t *groups = json_object_get(doc, "groups");
    if (!groups) {
        groups = json_object();
        json_object_set_new(doc, "groups", groups);
    }
    json_object_set_new(groups, name, res);
    json_object_set_new(json_object_get(doc, "versions"), name, version ? json_incref((json_t *)version) : json_null());
    /* lm-eval's _propagate_num_fewshot: the members' n-shot when they agree */
    json_t *shots = json_object_get(doc, "n-shot"), *shot = NULL;
    int agree = 1;
    for (int i = 0; i < n_members && agree; i++) {
        json_t *s = json_object_get(shots, members[i]);
        if (!s) continue;
        if (!shot) shot = s;
        else if (!json_equal(shot, s)) agree = 0;
    }
    if (shot && agree) json_object_set(shots, name, shot);
    /* _propagate_higher_is_better: each metric's direction, null on disagreement */
    json_t *hibs = json_object_get(doc, "higher_is_better"), *merged = json_object();
    for (int i = 0; i < n_members; i++) {
        const char *m;
        json_t *h;
        json_object_foreach(json_object_get(hibs, members[i]), m, h) {
            json_t *have = json_object_get(merged, m);
            if (!have) json_object_set(merged, m, h);
            else if (!json_is_null(have) && !json_equal(have, h)) json_object_set_new(merged, m, json_null());
        }
    }
    if (json_object_size(merged) > 0) json_object_set_new(hibs, name, merged);
    else json_decref(merged);
}

static json_t *usage_json(const results_usage *u, double price_input_per_mtok, double price_output_per_mtok)
{
    json_t *usage = json_object();
    json_object_set_new(usage, "requests", json_integer(u->requests));
    json_object_set_new(usage, "cache_hits", json_integer(u->cache_hits));
    json_object_set_new(usage, "failed_requests", json_integer(u->failed));
    json_object_set_new(usage, "prompt_tokens", json_integer(u->prompt_tokens));
    json_object_set_new(usage, "completion_tokens", json_integer(u->completion_tokens));
    json_object_set_new(usage, "reasoning_tokens", json_integer(u->reasoning_tokens));
    double cost = registry_cost_usd(price_input_per_mtok, price_output_per_mtok, u->prompt_tokens, u->completion_tokens);
    if (!isnan(cost)) json_object_set_new(usage, "cost_usd", json_real(cost));
    return usage;
}

void results_doc_set_usage(json_t *doc, const results_usage *u, double price_input_per_mtok,
                           double price_output_per_mtok)
{
    json_object_set_new(doc, "usage", usage_json(u, price_input_per_mtok, price_output_per_mtok));
}

void results_doc_task_usage(json_t *doc, const char *task, const results_usage *u, double price_input_per_mtok,
                            double price_output_per_mtok)
{
    json_t *by = json_object_get(doc, "usage_by_task");
    if (!json_is_object(by)) {
        by = json_object();
        json_object_set_new(doc, "usage_by_task", by);
    }
    json_object_set_new(by, task, usage_json(u, price_input_per_mtok, price_output_per_mtok));
}

void results_doc_finish(json_t *doc)
{
    double end = tt_wall_s(), start = json_real_value(json_object_get(doc, "start_time"));
    json_object_set_new(doc, "end_time", json_real(end));
    char secs[PYTEXT_FLOAT_REPR_MAX];
    pytext_float_repr(end - start, secs);
    json_object_set_new(doc, "total_evaluation_time_seconds", json_string(secs));
}

char *results_date_id(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t secs = tv.tv_sec;
    localtime_r(&secs, &tm);
    char base[64];
    strftime(base, sizeof base, "%Y-%m-%dT%H-%M-%S", &tm);
    if (tv.tv_usec == 0) return tt_strdup(base);   /* isoformat() drops a zero fraction */
    return tt_asprintf("%s.%06ld", base, (long)tv.tv_usec);
}

char *results_sanitize_name(const char *name)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (const char *p = name; *p;) {
        if (strchr("\"<>:/|\\?*[]", *p)) {
            while (*p && strchr("\"<>:/|\\?*[]", *p)) p++;
            tt_buf_puts(&b, "__");
        } else {
            tt_buf_append(&b, p, 1);
            p++;
        }
    }
    return tt_buf_detach(&b);
}

int results_model_dir(const char *dir, const char *model_name, char **out, char *err)
{
    char *sane = results_sanitize_name(model_name);
    /* a name of dots only would climb out of dir */
    if (!*sane || strspn(sane, ".") == strlen(sane)) {
        free(sane);
        sane = tt_strdup("model");
    }
    *out = tt_path_join(dir, sane);
    free(sane);
    int rc = tt_mkdir_p(*out, err);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int results_write(const json_t *doc, const char *model_dir, const char *date_id, char *err)
{
    char *path = tt_asprintf("%s/results_%s.json", model_dir, date_id);
    char *text = tt_redact_owned(json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII));   /* core/redact.h */
    int rc = text ? tt_write_file(path, text, strlen(text), err) : tt_fail(err, TT_ERR_IO, "cannot write '%s'", path);
    free(text);
    free(path);
    return rc;
}

int results_samples_open(const char *model_dir, const char *task_name, const char *date_id, FILE **out, char *err)
{
    char *sn = results_sanitize_name(task_name);
    char *path = tt_asprintf("%s/samples_%s_%s.jsonl", model_dir, sn, date_id);
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
    char *text = tt_redact_owned(json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII));   /* core/redact.h */
    if (text) fprintf(out, "%s\n", text);
    free(text);
    json_decref(line);
}
