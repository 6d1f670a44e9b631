/*
 * task_lmeval.c — lm-evaluation-harness task keys to Tianti's; see
 * task_lmeval.h. Each step is one function over the merged config, run in
 * order by task_lmeval_normalize.
 */
#include "harness/task_lmeval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "harness/hooks.h"
#include "harness/task_yaml.h"

typedef struct nctx {
    json_t *c;
    char *bad_key;
    size_t bad_key_n;
    char *msg;
} nctx;

static int nfail(nctx *x, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int nfail(nctx *x, const char *key, const char *fmt, ...)
{
    snprintf(x->bad_key, x->bad_key_n, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, TT_ERR_SIZE, fmt, ap);
    va_end(ap);
    return TT_ERR_PARSE;
}

/* null is unset (lm-eval's TaskConfig defaults) */
static void drop_nulls(nctx *x)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(x->c, tmp, k, v) if (json_is_null(v)) json_object_del(x->c, k);
}

static int check_task_kind(nctx *x)
{
    json_t *task = json_object_get(x->c, "task");
    if (json_is_array(task))
        return nfail(x, "task", "is a list: this file is a group (group: NAME, task: [...]); run it as a suite (--suite)");
    json_t *group = json_object_get(x->c, "group");
    if (group && !json_is_string(group)) json_object_del(x->c, "group");
    static const char *const dropped[] = {"tag", "should_decontaminate", "doc_to_decontamination_query", NULL};
    for (int i = 0; dropped[i]; i++) json_object_del(x->c, dropped[i]);
    return TT_OK;
}

static const char *dataset_path(nctx *x) { return json_string_value(json_object_get(x->c, "dataset_path")); }

/* A hook-valued key: `!function` -> {"function": NAME}. */
static int map_hook(nctx *x, const char *key, task_hook_kind kind)
{
    const char *qual = task_yaml_function(json_object_get(x->c, key));
    if (!qual) return TT_OK;
    char err[TT_ERR_SIZE];
    const task_hook *h = task_hook_for_lmeval(qual, kind, dataset_path(x), err);
    if (!h) return nfail(x, key, "%s", err);
    json_object_set_new(x->c, key, json_pack("{s:s}", "function", h->name));
    return TT_OK;
}

static int map_metrics(nctx *x)
{
    const char *key = json_object_get(x->c, "metric_list") ? "metric_list" : "metrics";
    json_t *list = json_object_get(x->c, key);
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        if (!json_is_object(m)) continue;
        if (task_yaml_function(json_object_get(m, "metric")))
            return nfail(x, key, "entry %zu: '!function %s' as a metric is Python code, which Tianti cannot run", i,
                         task_yaml_function(json_object_get(m, "metric")));
        const char *qual = task_yaml_function(json_object_get(m, "aggregation"));
        if (qual) {
            char err[TT_ERR_SIZE];
            const task_hook *h = task_hook_for_lmeval(qual, HOOK_AGGREGATION, dataset_path(x), err);
            if (!h) return nfail(x, key, "entry %zu: %s", i, err);
            json_object_set_new(m, "aggregation", json_string(h->value));
        }
    }
    return TT_OK;
}

static int map_fewshot_config(nctx *x)
{
    json_t *fc = json_object_get(x->c, "fewshot_config");
    if (!json_is_object(fc)) return TT_OK;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(fc, tmp, k, v) if (json_is_null(v)) json_object_del(fc, k);
    if (task_yaml_function(json_object_get(fc, "samples")))
        return nfail(x, "samples", "'!function %s' is Python code, which Tianti cannot run: write the samples in the "
                                   "task file as a list of records",
                     task_yaml_function(json_object_get(fc, "samples")));
    /* delimiters equal to the task's (or lm-eval's defaults) change nothing */
    static const struct {
        const char *key, *dflt;
    } delims[] = {{"target_delimiter", " "}, {"fewshot_delimiter", "\n\n"}};
    for (int i = 0; i < 2; i++) {
        json_t *fv = json_object_get(fc, delims[i].key);
        if (!fv) continue;
        json_t *tv = json_object_get(x->c, delims[i].key);
        const char *task_value = tv ? json_string_value(tv) : delims[i].dflt;
        if (json_is_string(fv) && task_value && !strcmp(json_string_value(fv), task_value)) json_object_del(fc, delims[i].key);
        else return nfail(x, delims[i].key, "in fewshot_config: shots with delimiters other than the task's are not supported");
    }
    return TT_OK;
}

/* Any `!function` left (a filter, a sampler, ...) is Python Tianti cannot run. */
static int find_function(json_t *v, char *path, size_t n)
{
    if (task_yaml_function(v)) return 1;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            size_t l = strlen(path);
            snprintf(path + l, n - l, "%s%s", l ? "." : "", k);
            if (find_function(x, path, n)) return 1;
            path[l] = 0;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            size_t l = strlen(path);
            snprintf(path + l, n - l, "[%zu]", i);
            if (find_function(x, path, n)) return 1;
            path[l] = 0;
        }
    }
    return 0;
}

static int refuse_functions(nctx *x)
{
    const char *k;
    json_t *v;
    json_object_foreach(x->c, k, v) {
        char path[256] = "";
        if (!find_function(v, path, sizeof path)) continue;
        /* the marker itself, to name the function */
        json_t *m = v;
        for (const char *p = path; *p && m;) {
            if (*p == '.') p++;
            if (*p == '[') {
                size_t i = strtoul(p + 1, NULL, 10);
                m = json_array_get(m, i);
                p = strchr(p, ']') + 1;
            } else {
                const char *e = p + strcspn(p, ".[");
                char key[128];
                snprintf(key, sizeof key, "%.*s", (int)(e - p), p);
                m = json_object_get(m, key);
                p = e;
            }
        }
        return nfail(x, k, "%s%s'!function %s' is Python code, which Tianti cannot run (it has C versions of the "
                           "functions its shipped tasks use: docs/tasks.md)",
                     path, *path ? ": " : "", task_yaml_function(m) ? task_yaml_function(m) : "?");
    }
    return TT_OK;
}

/* A split's dataset entry from data_files: a file or a list of them. */
static json_t *files_entry(json_t *files)
{
    if (json_is_string(files)) return json_incref(files);
    if (!json_is_array(files)) return NULL;
    json_t *e = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        if (!json_is_string(f)) {
            json_decref(e);
            return NULL;
        }
        json_array_append(e, f);
    }
    return e;
}

static void add_split_name(json_t *names, json_t *v)
{
    if (!json_is_string(v)) return;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) if (json_equal(n, v)) return;
    json_array_append(names, v);
}

static int map_dataset(nctx *x)
{
    json_t *path = json_object_get(x->c, "dataset_path");
    if (!path) {
        json_object_del(x->c, "dataset_name");
        json_object_del(x->c, "dataset_kwargs");
        return TT_OK;
    }
    if (json_object_get(x->c, "dataset"))
        return nfail(x, "dataset_path", "and 'dataset' both name the data: keep one");
    if (!json_is_string(path)) return nfail(x, "dataset_path", "must be a string");
    json_t *name = json_object_get(x->c, "dataset_name");
    if (name && !json_is_string(name)) return nfail(x, "dataset_name", "must be a string");
    json_t *kwargs = json_object_get(x->c, "dataset_kwargs");
    json_t *data_files = json_is_object(kwargs) ? json_object_get(kwargs, "data_files") : NULL;
    const char *p = json_string_value(path);
    json_t *splits = json_object();
    int rc = TT_OK;
    if (data_files && (!strcmp(p, "json") || !strcmp(p, "csv"))) {
        /* local files: {split: file(s)}, or file(s) as split "train" (datasets' default) */
        if (json_is_object(data_files)) {
            const char *k;
            json_t *v;
            json_object_foreach(data_files, k, v) {
                json_t *e = files_entry(v);
                if (!e) {
                    rc = nfail(x, "data_files", "must name files (a string or a list of strings per split)");
                    break;
                }
                json_object_set_new(splits, k, e);
            }
        } else {
            json_t *e = files_entry(data_files);
            if (!e) rc = nfail(x, "data_files", "must name files (a string, a list, or an object of splits)");
            else json_object_set_new(splits, "train", e);
        }
    } else if (!strcmp(p, "json") || !strcmp(p, "csv") || !strcmp(p, "parquet") || !strcmp(p, "text")) {
        rc = nfail(x, "dataset_path", "'%s' needs dataset_kwargs.data_files%s", p,
                   !strcmp(p, "parquet") || !strcmp(p, "text") ? " (and Tianti reads json and csv files only)" : "");
    } else {
        json_t *names = json_array();
        static const char *const keys[] = {"test_split", "validation_split", "training_split", "fewshot_split", NULL};
        for (int i = 0; keys[i]; i++) add_split_name(names, json_object_get(x->c, keys[i]));
        add_split_name(names, json_object_get(json_object_get(x->c, "fewshot_config"), "split"));
        if (json_array_size(names) == 0)
            rc = nfail(x, "dataset_path", "needs a split name: test_split or validation_split (lm-eval's keys)");
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
            json_t *e = json_pack("{s:O, s:O}", "hub", path, "split", n);
            if (name) json_object_set(e, "name", name);
            json_object_set_new(splits, json_string_value(n), e);
        }
        json_decref(names);
    }
    if (rc == TT_OK) json_object_set_new(x->c, "dataset", json_pack("{s:o}", "splits", splits));
    else json_decref(splits);
    if (rc == TT_OK) {
        json_object_del(x->c, "dataset_path");
        json_object_del(x->c, "dataset_name");
        json_object_del(x->c, "dataset_kwargs");
    }
    return rc;
}

int task_lmeval_normalize(json_t *config, char *bad_key, size_t bad_key_n, char *msg)
{
    nctx x = {config, bad_key, bad_key_n, msg};
    if (!json_is_object(config)) return TT_OK;
    drop_nulls(&x);
    int rc = check_task_kind(&x);
    if (!rc) rc = map_hook(&x, "process_docs", HOOK_PROCESS_DOCS);
    if (!rc) rc = map_hook(&x, "doc_to_text", HOOK_DOC_TO_TEXT);
    if (!rc) rc = map_hook(&x, "doc_to_choice", HOOK_DOC_TO_CHOICE);
    if (!rc) rc = map_hook(&x, "doc_to_target", HOOK_DOC_TO_TARGET);
    if (!rc) rc = map_hook(&x, "process_results", HOOK_PROCESS_RESULTS);
    if (!rc) rc = map_metrics(&x);
    if (!rc) rc = map_fewshot_config(&x);
    if (!rc) rc = refuse_functions(&x);
    if (!rc) rc = map_dataset(&x);
    return rc;
}
