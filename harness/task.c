/*
 * task.c — parsing task files, loading their splits, choosing few-shot
 * examples and assembling prompts and engine requests (lm-evaluation-harness lm_eval/api/task.py; docs/tasks.md,
 * B7). See task.h for the schema. Called by the runner once per task (load)
 * and once per document (task_build).
 */
#include "harness/task.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/pyrandom.h"
#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"
#include "harness/hooks.h"
#include "harness/task_lmeval.h"
#include "harness/task_yaml.h"
#include "harness/template.h"

#define TASK_MAX_INCLUDE_DEPTH 8

/* ---- source files, for line numbers in messages --------------------------- */

typedef struct src_file {
    char *path;
    char *text;
    size_t len;
} src_file;

typedef struct src_set {
    src_file f[TASK_MAX_INCLUDE_DEPTH + 2];
    int n;
} src_set;

static void src_free(src_set *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->f[i].path);
        free(s->f[i].text);
    }
    s->n = 0;
}

/* YAML by file name (task_yaml.h); JSON text parsed without a path stays JSON. */
static int is_yaml_file(const char *path) { return task_yaml_is_yaml(path) && strcmp(path, "<task>") != 0; }

/* "path:line" of the first `"key":` in the files (in a YAML file `key:`
 * at the start of a line, after indentation or "- "), the top file first. */
static void where(const src_set *s, const char *key, char *out, size_t cap)
{
    char pat[160];
    for (int i = s->n - 1; i >= 0; i--) {
        const char *t = s->f[i].text;
        int yaml = is_yaml_file(s->f[i].path);
        snprintf(pat, sizeof pat, yaml ? "%s" : "\"%s\"", key);
        size_t pl = strlen(pat);
        for (const char *h = strstr(t, pat); h; h = strstr(h + 1, pat)) {
            const char *q = h + pl;
            if (yaml) {
                const char *b = h;
                while (b > t && (b[-1] == ' ' || b[-1] == '-' || b[-1] == '"' || b[-1] == '\'')) b--;
                if (b > t && b[-1] != '\n') continue;
                if (*q == '"' || *q == '\'') q++;
            }
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (*q != ':') continue;
            int line = 1;
            for (const char *c = t; c < h; c++)
                if (*c == '\n') line++;
            snprintf(out, cap, "%s:%d", s->f[i].path, line);
            return;
        }
    }
    snprintf(out, cap, "%s", s->n ? s->f[s->n - 1].path : "?");
}

static int field_fail(const src_set *s, const char *key, char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int field_fail(const src_set *s, const char *key, char *err, const char *fmt, ...)
{
    char loc[600], msg[TT_ERR_SIZE];
    where(s, key, loc, sizeof loc);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tt_fail(err, TT_ERR_PARSE, "%s: '%s' %s", loc, key, msg);
}

/* Loads path (and its includes, depth first) into a merged object. */
static int load_merged(const char *path, const char *text_in, size_t len_in, int depth, src_set *s,
                       json_t **out, char *err)
{
    *out = NULL;
    if (depth > TASK_MAX_INCLUDE_DEPTH || s->n >= TASK_MAX_INCLUDE_DEPTH + 2)
        return tt_fail(err, TT_ERR_PARSE, "%s: includes nested too deeply", path);
    char *text;
    size_t len;
    if (text_in) {
        text = tt_strndup(text_in, len_in);
        len = len_in;
    } else {
        /* a task file is a few KiB: a regular file of at most 16 MiB */
        int rc = tt_read_file_max(path, (size_t)16 << 20, &text, &len, err);
        if (rc) return rc;
    }
    json_t *j;
    if (is_yaml_file(path)) {
        int rc = task_yaml_parse(text, len, path, &j, err);
        if (rc) {
            free(text);
            return rc;
        }
        if (!json_is_object(j)) {
            json_decref(j);
            free(text);
            return tt_fail(err, TT_ERR_PARSE, "%s:1: a task file must be a YAML mapping", path);
        }
    } else {
        json_error_t je;
        j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!j) {
            free(text);
            return tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        }
        if (!json_is_object(j)) {
            json_decref(j);
            free(text);
            return tt_fail(err, TT_ERR_PARSE, "%s:1: a task file must be a JSON object", path);
        }
    }
    json_t *inc = json_object_get(j, "include");
    json_t *merged = json_object();
    int rc = TT_OK;
    if (inc) {
        json_t *list = json_is_string(inc) ? json_pack("[O]", inc) : json_incref(inc);
        if (!json_is_array(list)) {
            src_file tmp = { (char *)path, text, len };
            src_set one = { .n = 1 };
            one.f[0] = tmp;
            rc = field_fail(&one, "include", err, "must be a file name or a list of them");
        }
        size_t i;
        json_t *it;
        char *dir = tt_dirname(path);
        json_array_foreach(list, i, it) {
            if (rc) break;
            if (!json_is_string(it)) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: 'include' entries must be strings", path);
                break;
            }
            char *ip = tt_path_join(dir, json_string_value(it));
            json_t *base;
            rc = load_merged(ip, NULL, 0, depth + 1, s, &base, err);
            free(ip);
            if (rc) break;
            /* lm-eval's load_yaml: an included file's task_list stays its own */
            json_object_del(base, "task_list");
            json_object_update(merged, base);
            json_decref(base);
        }
        free(dir);
        json_decref(list);
        json_object_del(j, "include");
    }
    if (rc) {
        json_decref(j);
        json_decref(merged);
        free(text);
        return rc;
    }
    json_object_update(merged, j);
    json_decref(j);
    s->f[s->n].path = tt_strdup(path);
    s->f[s->n].text = text;
    s->f[s->n].len = len;
    s->n++;
    *out = merged;
    return TT_OK;
}

/* ---- field readers ------------------------------------------------------ */

static int get_string(const src_set *s, const char *key, json_t *v, char **out, char *err)
{
    if (!json_is_string(v)) return field_fail(s, key, err, "must be a string");
    free(*out);
    *out = tt_strndup(json_string_value(v), json_string_length(v));
    return TT_OK;
}

static int get_bool(const src_set *s, const char *key, json_t *v, int *out, char *err)
{
    if (!json_is_boolean(v)) return field_fail(s, key, err, "must be true or false");
    *out = json_is_true(v);
    return TT_OK;
}

static int get_nonneg_int(const src_set *s, const char *key, json_t *v, int *out, char *err)
{
    if (json_is_null(v)) {
        *out = 0;
        return TT_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
        return field_fail(s, key, err, "must be a non-negative integer");
    *out = (int)json_integer_value(v);
    return TT_OK;
}

static int parse_generation(const src_set *s, const char *key, json_t *g, task *t, char *err)
{
    if (!json_is_object(g)) return field_fail(s, key, err, "must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(g, k, v) {
        if (!strcmp(k, "until")) {
            json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
            int bad = !json_is_array(list) || json_array_size(list) > ENGINE_MAX_STOP;
            size_t i;
            json_t *it;
            json_array_foreach(list, i, it) bad |= !json_is_string(it) || json_string_length(it) == 0;
            if (bad) {
                json_decref(list);
                return field_fail(s, "until", err, "must be a list of at most %d non-empty strings",
                                  ENGINE_MAX_STOP);
            }
            for (int j = 0; j < t->gen.n_until; j++) free(t->gen.until[j]);
            free(t->gen.until);
            t->until_given = 1;
            t->gen.n_until = (int)json_array_size(list);
            t->gen.until = tt_calloc((size_t)t->gen.n_until + 1, sizeof(char *));
            json_array_foreach(list, i, it) t->gen.until[i] = tt_strdup(json_string_value(it));
            json_decref(list);
        } else if (!strcmp(k, "max_tokens") || !strcmp(k, "max_gen_toks") ||
                   !strcmp(k, "max_new_tokens")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1 << 20)
                return field_fail(s, k, err, "must be a positive integer");
            t->gen.max_tokens = (int)json_integer_value(v);
        } else if (!strcmp(k, "temperature") || !strcmp(k, "top_p")) {
            if (!json_is_number(v) || json_number_value(v) < 0)
                return field_fail(s, k, err, "must be a non-negative number");
            *(k[0] == 't' && k[1] == 'e' ? &t->gen.temperature : &t->gen.top_p) = json_number_value(v);
        } else if (!strcmp(k, "n") || !strcmp(k, "repeats")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000)
                return field_fail(s, k, err, "must be an integer from 1 to 1000");
            t->gen.n = (int)json_integer_value(v);
        } else if (!strcmp(k, "do_sample")) {
            if (get_bool(s, k, v, &t->gen.do_sample, err)) return TT_ERR_PARSE;
        } else if (!strcmp(k, "seed")) {
            if (!json_is_integer(v)) return field_fail(s, k, err, "must be an integer");
            t->gen.seed = (uint64_t)json_integer_value(v);
        } else {
            return field_fail(s, k, err, "is not a generation setting (until, max_tokens, "
                                         "temperature, top_p, n, do_sample, seed)");
        }
    }
    return TT_OK;
}

int task_set_generation(task *t, const json_t *gen, const char *origin, char *err)
{
    /* Messages name origin as their file: "--gen_kwargs:1: 'top_k' is not..." */
    src_set s;
    memset(&s, 0, sizeof s);
    s.f[0].path = tt_strdup(origin);
    s.f[0].text = json_dumps(gen, JSON_COMPACT);
    s.f[0].len = s.f[0].text ? strlen(s.f[0].text) : 0;
    s.n = 1;
    json_t *g = json_deep_copy(gen);
    int rc = parse_generation(&s, "generation", g, t, err);
    json_decref(g);
    src_free(&s);
    return rc;
}

static int parse_fewshot_config(const src_set *s, json_t *fc, task *t, char *err)
{
    if (!json_is_object(fc)) return field_fail(s, "fewshot_config", err, "must be an object");
    const char *k;
    json_t *v;
    json_object_foreach(fc, k, v) {
        if (!strcmp(k, "sampler")) {
            const char *sv = json_string_value(v);
            if (sv && !strcmp(sv, "first_n")) t->sampler = TASK_SAMPLER_FIRST_N;
            else if (sv && (!strcmp(sv, "default") || !strcmp(sv, "random")))
                t->sampler = TASK_SAMPLER_DEFAULT;
            else return field_fail(s, "sampler", err, "must be \"first_n\" or \"default\"");
        } else if (!strcmp(k, "samples")) {
            int bad = !json_is_array(v);
            size_t i;
            json_t *it;
            json_array_foreach(v, i, it) bad |= !json_is_object(it);
            if (bad) return field_fail(s, "samples", err, "must be a list of records (objects)");
            json_decref(t->fewshot_samples);
            t->fewshot_samples = json_incref(v);
        } else if (!strcmp(k, "split")) {
            if (get_string(s, "split", v, &t->fewshot_split, err)) return TT_ERR_PARSE;
        } else if (!strcmp(k, "doc_to_text")) {
            if (get_string(s, "doc_to_text", v, &t->shot_doc_to_text, err)) return TT_ERR_PARSE;
        } else if (!strcmp(k, "doc_to_target")) {
            if (!json_is_string(v) && !json_is_integer(v))
                return field_fail(s, "doc_to_target", err, "must be a template, a field name or an integer");
            json_decref(t->shot_doc_to_target);
            t->shot_doc_to_target = json_incref(v);
        } else {
            return field_fail(s, k, err, "is not a fewshot_config setting (sampler, samples, split, "
                                         "doc_to_text, doc_to_target)");
        }
    }
    return TT_OK;
}

static int check_list(const src_set *s, const char *key, json_t *v, char *err)
{
    if (!json_is_array(v)) return field_fail(s, key, err, "must be a list");
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) if (!json_is_object(it))
        return field_fail(s, key, err, "entry %zu must be an object", i);
    return TT_OK;
}

/* version (or metadata.version): a string or a number, kept as given for
 * the results ("versions": lm-eval writes the YAML value, 1.0 stays 1.0)
 * and as text (Python's str()) for the store. */
static int set_version(const src_set *s, const char *key, json_t *v, task *t, char *err)
{
    char num[PYTEXT_FLOAT_REPR_MAX];
    if (json_is_string(v)) {
        free(t->version);
        t->version = tt_strndup(json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        free(t->version);
        t->version = tt_asprintf("%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        pytext_float_repr(json_real_value(v), num);
        free(t->version);
        t->version = tt_strdup(num);
    } else {
        return field_fail(s, key, err, "must be a string or a number");
    }
    json_decref(t->version_value);
    t->version_value = json_incref(v);
    return TT_OK;
}

/* Does the metrics list name metric `name` (as a string or {"metric": name})? */
static int metrics_name(const json_t *metrics, const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m) {
        const char *n = json_is_string(m) ? json_string_value(m) : json_string_value(json_object_get(m, "metric"));
        if (n && !strcmp(n, name)) return 1;
    }
    return 0;
}

/* {"function": NAME} naming a hook of kind kind (harness/hooks.h): *out
 * is the hook; 0 when v is not such an object, -1 on an unknown name. */
static int hook_of(const src_set *s, const char *key, json_t *v, task_hook_kind kind, const task_hook **out, char *err)
{
    if (!json_is_object(v) || !json_object_get(v, "function")) return 0;
    const char *name = json_string_value(json_object_get(v, "function"));
    *out = task_hook_find(name, kind);
    if (*out && json_object_size(v) == 1) return 1;
    char *have = task_hooks_list();
    field_fail(s, key, err, "{\"function\": \"%s\"} names no C function of that kind; there are: %s", name ? name : "?", have);
    free(have);
    return -1;
}

/* The "embedding" object of an embedding task (task.h). */
static int parse_embedding(const src_set *s, const json_t *v, task *t, char *err)
{
    if (!json_is_object(v)) return field_fail(s, "embedding", err, "must be an object {\"kind\": ...}");
    task_embedding *e = &t->embed;
    const char *k;
    json_t *x;
    int rc = TT_OK;
    json_object_foreach((json_t *)v, k, x) {
        if (rc) break;
        if (k[0] == '_') continue;
        if (!strcmp(k, "kind")) {
            const char *kind = json_string_value(x);
            if (kind && !strcmp(kind, "sts")) e->kind = TASK_EMBED_STS;
            else if (kind && !strcmp(kind, "pair_classification")) e->kind = TASK_EMBED_PAIR;
            else if (kind && !strcmp(kind, "retrieval")) e->kind = TASK_EMBED_RETRIEVAL;
            else rc = field_fail(s, k, err, "must be \"sts\", \"pair_classification\" or \"retrieval\"");
        } else if (!strcmp(k, "text_pair")) rc = get_string(s, k, x, &e->text_pair, err);
        else if (!strcmp(k, "corpus_split")) rc = get_string(s, k, x, &e->corpus_split, err);
        else if (!strcmp(k, "corpus_text")) rc = get_string(s, k, x, &e->corpus_text, err);
        else if (!strcmp(k, "corpus_id")) rc = get_string(s, k, x, &e->corpus_id, err);
        else if (!strcmp(k, "relevant")) rc = get_string(s, k, x, &e->relevant, err);
        else rc = field_fail(s, k, err, "is not an embedding key (kind, text_pair, corpus_split, corpus_text, "
                                        "corpus_id, relevant)");
    }
    if (rc) return rc;
    if (!e->kind) return field_fail(s, "embedding", err, "needs a \"kind\" (sts, pair_classification, retrieval)");
    if (e->kind != TASK_EMBED_RETRIEVAL && !e->text_pair)
        return field_fail(s, "embedding", err, "needs \"text_pair\", the template of each pair's second text");
    if (e->kind == TASK_EMBED_RETRIEVAL && (!e->corpus_split || !e->corpus_text || !e->corpus_id || !e->relevant))
        return field_fail(s, "embedding", err, "of kind retrieval needs \"corpus_split\", \"corpus_text\", "
                                               "\"corpus_id\" and \"relevant\"");
    return TT_OK;
}

/* The "classify" object of a classification task (task.h). */
static int parse_classify(const src_set *s, const json_t *v, task *t, char *err)
{
    if (!json_is_object(v)) return field_fail(s, "classify", err, "must be an object {\"categories\": ...}");
    task_classify *c = &t->classify;
    c->via = TASK_CLASSIFY_MODERATION;
    c->threshold = -1;
    const char *k;
    json_t *x;
    int rc = TT_OK;
    json_object_foreach((json_t *)v, k, x) {
        if (rc) break;
        if (k[0] == '_') continue;
        if (!strcmp(k, "categories")) {
            if (!json_is_object(x) || json_object_size(x) == 0) {
                rc = field_fail(s, k, err, "must map each label field to the classifier's category name");
                break;
            }
            const char *lk;
            json_t *lv;
            json_object_foreach(x, lk, lv) {
                if (!json_is_string(lv) || !*json_string_value(lv)) {
                    rc = field_fail(s, k, err, "'%s' must name a category (a string)", lk);
                    break;
                }
                c->keys = tt_realloc(c->keys, (size_t)(c->n + 1) * sizeof *c->keys);
                c->names = tt_realloc(c->names, (size_t)(c->n + 1) * sizeof *c->names);
                c->keys[c->n] = tt_strdup(lk);
                c->names[c->n] = tt_strdup(json_string_value(lv));
                c->n++;
            }
        } else if (!strcmp(k, "via")) {
            const char *via = json_string_value(x);
            if (via && !strcmp(via, "moderation")) c->via = TASK_CLASSIFY_MODERATION;
            else if (via && !strcmp(via, "chat")) c->via = TASK_CLASSIFY_CHAT;
            else rc = field_fail(s, k, err, "must be \"moderation\" or \"chat\"");
        } else if (!strcmp(k, "threshold")) {
            if (!json_is_number(x) || json_number_value(x) < 0 || json_number_value(x) > 1)
                rc = field_fail(s, k, err, "must be a number from 0 to 1");
            else c->threshold = json_number_value(x);
        } else if (!strcmp(k, "positive")) {
            rc = get_string(s, k, x, &c->positive, err);
        } else if (!strcmp(k, "group_by")) {
            size_t gi;
            json_t *gv;
            if (!json_is_array(x)) rc = field_fail(s, k, err, "must be a list of field names");
            else json_array_foreach(x, gi, gv) {
                if (!json_is_string(gv)) {
                    rc = field_fail(s, k, err, "must be a list of field names");
                    break;
                }
                c->group_by = tt_realloc(c->group_by, (size_t)(c->n_group_by + 1) * sizeof *c->group_by);
                c->group_by[c->n_group_by++] = tt_strdup(json_string_value(gv));
            }
        } else rc = field_fail(s, k, err, "is not a classify key (categories, via, threshold, positive, group_by)");
    }
    if (!rc && c->n == 0) rc = field_fail(s, "classify", err, "needs \"categories\": {label field: category}");
    return rc;
}

/* Parses the merged config into t. */
static int parse_config(const src_set *s, json_t *c, task *t, char *err)
{
    const char *k;
    json_t *v;
    /* training/validation/test split names are kept in these */
    char *test_split = NULL, *validation_split = NULL, *training_split = NULL, *fewshot_split = NULL;
    int rc = TT_OK;
    json_t *gen_kwargs = NULL;
    json_object_foreach(c, k, v) {
        if (rc) break;
        if (k[0] == '_' || !strcmp(k, "metadata") || !strcmp(k, "group_alias") ||
            !strcmp(k, "task_alias")) {
            if (!strcmp(k, "metadata") && json_is_object(v)) {
                json_t *ver = json_object_get(v, "version");
                if (ver && !json_object_get(c, "version")) rc = set_version(s, "version", ver, t, err);
            }
            continue;
        }
        if (!strcmp(k, "name") || !strcmp(k, "task")) rc = get_string(s, k, v, &t->name, err);
        else if (!strcmp(k, "version")) rc = set_version(s, k, v, t, err); else if (!strcmp(k, "group")) rc = get_string(s, k, v, &t->group, err);
        else if (!strcmp(k, "dataset")) {
            if (!json_is_object(v)) rc = field_fail(s, k, err, "must be an object");
            else {
                const char *dk;
                json_t *dv;
                json_object_foreach(v, dk, dv) {
                    if (strcmp(dk, "path") && strcmp(dk, "splits") && dk[0] != '_') {
                        rc = field_fail(s, dk, err, "is not a dataset key (path, splits)");
                        break;
                    }
                }
                json_t *sp = json_object_get(v, "splits");
                if (!rc && !json_object_get(v, "path") && !sp)
                    rc = field_fail(s, k, err, "needs 'path' or 'splits'");
                if (!rc && json_object_get(v, "path") && sp)
                    rc = field_fail(s, k, err, "has both 'path' and 'splits'");
                if (!rc && sp && (!json_is_object(sp) || json_object_size(sp) == 0))
                    rc = field_fail(s, "splits", err, "must be an object naming at least one split");
                if (!rc) t->dataset = json_incref(v);
            }
        } else if (!strcmp(k, "test_split")) rc = get_string(s, k, v, &test_split, err);
        else if (!strcmp(k, "validation_split")) rc = get_string(s, k, v, &validation_split, err);
        else if (!strcmp(k, "training_split")) rc = get_string(s, k, v, &training_split, err);
        else if (!strcmp(k, "fewshot_split")) rc = get_string(s, k, v, &fewshot_split, err);
        else if (!strcmp(k, "fewshot_fallback_split")) rc = get_string(s, k, v, &t->fewshot_fallback_split, err);
        else if (!strcmp(k, "process_results")) {
            const task_hook *h = NULL;
            int hk = hook_of(s, k, v, HOOK_PROCESS_RESULTS, &h, err);
            const char *pr = hk > 0 ? h->value : json_string_value(v);
            if (hk < 0) rc = TT_ERR_PARSE;
            else if (pr && !strcmp(pr, "truthfulqa_mc2")) t->process_results = TASK_PROCESS_TRUTHFULQA_MC2;
            else if (pr && !strcmp(pr, "ifeval")) t->process_results = TASK_PROCESS_IFEVAL;
            else if (pr && !strcmp(pr, "math")) t->process_results = TASK_PROCESS_MATH;
            else rc = field_fail(s, k, err, "must name a built-in per-document hook: \"truthfulqa_mc2\", \"ifeval\" or \"math\"");
        } else if (!strcmp(k, "process_docs")) {
            int hk = hook_of(s, k, v, HOOK_PROCESS_DOCS, &t->hook_docs, err);
            if (hk < 0) rc = TT_ERR_PARSE;
            else if (hk == 0) rc = field_fail(s, k, err, "must be {\"function\": NAME} naming a C process_docs (harness/hooks.h)");
        }
        else if (!strcmp(k, "description")) rc = get_string(s, k, v, &t->description, err);
        else if (!strcmp(k, "system_prompt")) rc = get_string(s, k, v, &t->system_prompt, err);
        else if (!strcmp(k, "doc_to_text")) {
            int hk = hook_of(s, k, v, HOOK_DOC_TO_TEXT, &t->hook_text, err);
            if (hk < 0) rc = TT_ERR_PARSE;
            else if (hk > 0) t->doc_to_text = tt_strdup(t->hook_text->name);
            else rc = get_string(s, k, v, &t->doc_to_text, err);
        }
        else if (!strcmp(k, "doc_to_image")) rc = get_string(s, k, v, &t->doc_to_image, err);
        else if (!strcmp(k, "doc_to_target")) {
            int hk = hook_of(s, k, v, HOOK_DOC_TO_TARGET, &t->hook_target, err);
            if (hk < 0) rc = TT_ERR_PARSE;
            else if (hk > 0) t->doc_to_target = json_string(t->hook_target->name);
            else if (!json_is_string(v) && !json_is_integer(v))
                rc = field_fail(s, k, err, "must be a template, a field name or an integer");
            else t->doc_to_target = json_incref(v);
        } else if (!strcmp(k, "doc_to_choice") && json_is_object(v) && json_object_get(v, "function")) {
            int hk = hook_of(s, k, v, HOOK_DOC_TO_CHOICE, &t->hook_choice, err);
            if (hk < 0) rc = TT_ERR_PARSE;
            else t->doc_to_choice = json_string(t->hook_choice->name);
        } else if (!strcmp(k, "doc_to_choice")) {
            /* a dict stands for its values, in order (lm-eval's doc_to_choice) */
            json_t *list = json_is_object(v) ? json_array() : json_incref(v);
            const char *dk;
            json_t *dv;
            if (json_is_object(v)) json_object_foreach(v, dk, dv) json_array_append(list, dv);
            int bad = !json_is_string(list) && !json_is_array(list);
            size_t i;
            json_t *it;
            if (json_is_array(list)) json_array_foreach(list, i, it) bad |= !json_is_string(it);
            if (bad) rc = field_fail(s, k, err, "must be a template, a field name, or a list or object of strings");
            else t->doc_to_choice = json_incref(list);
            json_decref(list);
        } else if (!strcmp(k, "output_type")) {
            const char *o = json_string_value(v);
            if (!o) rc = field_fail(s, k, err, "must be a string");
            else if (!strcmp(o, "generate_until")) t->output_type = TASK_GENERATE_UNTIL;
            else if (!strcmp(o, "multiple_choice")) t->output_type = TASK_MULTIPLE_CHOICE;
            else if (!strcmp(o, "loglikelihood")) t->output_type = TASK_LOGLIKELIHOOD;
            else if (!strcmp(o, "loglikelihood_rolling")) t->output_type = TASK_LOGLIKELIHOOD_ROLLING;
            else if (!strcmp(o, "embedding")) t->output_type = TASK_EMBEDDING;
            else if (!strcmp(o, "classify")) t->output_type = TASK_CLASSIFY;
            else if (!strcmp(o, "transcription")) t->output_type = TASK_TRANSCRIPTION;
            else rc = field_fail(s, k, err, "unknown output type '%s' (multiple_choice, generate_until, loglikelihood, "
                                           "loglikelihood_rolling, embedding, classify, transcription)", o);
        } else if (!strcmp(k, "transcription")) {
            const char *tk;
            json_t *tv;
            if (!json_is_object(v)) rc = field_fail(s, k, err, "must be an object {\"audio\": template}");
            else json_object_foreach(v, tk, tv) {
                if (rc) break;
                if (!strcmp(tk, "audio")) rc = get_string(s, tk, tv, &t->audio, err);
                else if (!strcmp(tk, "language")) rc = get_string(s, tk, tv, &t->language, err);
                else if (tk[0] != '_') rc = field_fail(s, tk, err, "is not a transcription key (audio, language)");
            }
        } else if (!strcmp(k, "classify")) {
            rc = parse_classify(s, v, t, err);
        } else if (!strcmp(k, "embedding")) {
            rc = parse_embedding(s, v, t, err);
        } else if (!strcmp(k, "num_fewshot")) rc = get_nonneg_int(s, k, v, &t->num_fewshot, err);
        else if (!strcmp(k, "fewshot_config")) rc = parse_fewshot_config(s, v, t, err);
        else if (!strcmp(k, "fewshot_seed")) {
            if (!json_is_integer(v)) rc = field_fail(s, k, err, "must be an integer");
            else t->fewshot_seed = (uint64_t)json_integer_value(v);
        } else if (!strcmp(k, "target_delimiter")) rc = get_string(s, k, v, &t->target_delimiter, err);
        else if (!strcmp(k, "fewshot_delimiter")) rc = get_string(s, k, v, &t->fewshot_delimiter, err);
        else if (!strcmp(k, "generation") || !strcmp(k, "generation_kwargs")) {
            if (gen_kwargs) rc = field_fail(s, k, err, "is given twice (as 'generation' and 'generation_kwargs'); keep one");
            gen_kwargs = v;
        }
        else if (!strcmp(k, "repeats")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000)
                rc = field_fail(s, k, err, "must be an integer from 1 to 1000");
            else t->gen.n = (int)json_integer_value(v);
        } else if (!strcmp(k, "filters") || !strcmp(k, "filter_list")) {
            /* one meaning, two spellings (lm-eval's filter_list): one of them */
            rc = t->filters ? field_fail(s, k, err, "is given twice (as 'filters' and 'filter_list'); keep one")
                            : check_list(s, k, v, err);
            if (!rc) t->filters = json_incref(v);
        } else if (!strcmp(k, "metrics") || !strcmp(k, "metric_list")) {
            rc = t->metrics ? field_fail(s, k, err, "is given twice (as 'metrics' and 'metric_list'); keep one")
                            : check_list(s, k, v, err);
            if (!rc) t->metrics = json_incref(v);
        } else if (!strcmp(k, "chat")) rc = get_bool(s, k, v, &t->chat, err);
        else if (!strcmp(k, "unsafe") || !strcmp(k, "unsafe_code")) rc = get_bool(s, k, v, &t->unsafe, err);
        else if (!strcmp(k, "generative_fallback")) rc = get_bool(s, k, v, &t->generative_fallback, err);
        else rc = field_fail(s, k, err, "is not a task key");
    }
    /* generation after the rest: `until` defaults to the fewshot delimiter */
    if (!rc && gen_kwargs) rc = parse_generation(s, "generation", gen_kwargs, t, err);
    if (!rc) {
        if (!t->target_delimiter) t->target_delimiter = tt_strdup(" ");
        if (!t->fewshot_delimiter) t->fewshot_delimiter = tt_strdup("\n\n");
        if (!t->version) t->version = tt_strdup("0");
        if (t->gen.n_until == 0 && !t->until_given && t->output_type == TASK_GENERATE_UNTIL) {
            t->gen.until = tt_calloc(2, sizeof(char *));
            t->gen.until[0] = tt_strdup(t->fewshot_delimiter);
            t->gen.n_until = 1;
        }
        /* a transcription's prompt is its audio file's path */
        if (t->output_type == TASK_TRANSCRIPTION && !t->doc_to_text && t->audio) t->doc_to_text = tt_strdup(t->audio);
        if (!t->name) rc = field_fail(s, "name", err, "is missing");
        else if (!t->dataset) rc = field_fail(s, "dataset", err, "is missing");
        else if (!t->doc_to_text && t->output_type != TASK_LOGLIKELIHOOD_ROLLING && t->output_type != TASK_TRANSCRIPTION)
            rc = field_fail(s, "doc_to_text", err, "is missing");
        else if (!t->doc_to_choice && t->output_type == TASK_MULTIPLE_CHOICE)
            rc = field_fail(s, "doc_to_choice", err, "is missing (needed by multiple_choice)");
        else if (t->output_type == TASK_EMBEDDING && !t->embed.kind)
            rc = field_fail(s, "embedding", err, "is missing (needed by output_type embedding)");
        else if (t->embed.kind && t->output_type != TASK_EMBEDDING)
            rc = field_fail(s, "embedding", err, "works only with output_type embedding");
        else if (t->output_type == TASK_TRANSCRIPTION && !t->audio)
            rc = field_fail(s, "transcription", err, "needs \"audio\", the template of each document's audio file");
        else if (t->audio && t->output_type != TASK_TRANSCRIPTION)
            rc = field_fail(s, "transcription", err, "works only with output_type transcription");
        else if (t->output_type == TASK_TRANSCRIPTION && (t->metrics || t->filters || t->num_fewshot > 0))
            rc = field_fail(s, t->metrics ? "metrics" : t->filters ? "filters" : "num_fewshot", err,
                            "does not apply to output_type transcription (its metrics are wer and cer)");
        else if (t->output_type == TASK_CLASSIFY && !t->classify.n)
            rc = field_fail(s, "classify", err, "is missing (needed by output_type classify)");
        else if (t->classify.n && t->output_type != TASK_CLASSIFY)
            rc = field_fail(s, "classify", err, "works only with output_type classify");
        else if (t->output_type == TASK_CLASSIFY && (t->metrics || t->filters || t->num_fewshot > 0))
            rc = field_fail(s, t->metrics ? "metrics" : t->filters ? "filters" : "num_fewshot", err,
                            "does not apply to output_type classify (its metrics are per category)");
        else if (t->output_type == TASK_EMBEDDING && (t->metrics || t->filters))
            rc = field_fail(s, t->metrics ? "metrics" : "filters", err, "does not apply to output_type embedding "
                            "(its metrics follow from embedding.kind)");
        else if (t->output_type == TASK_EMBEDDING && t->num_fewshot > 0)
            rc = field_fail(s, "num_fewshot", err, "must be 0 for output_type embedding");
        else if (!t->doc_to_target && t->output_type != TASK_GENERATE_UNTIL && t->output_type != TASK_CLASSIFY &&
                 !(t->output_type == TASK_EMBEDDING && t->embed.kind == TASK_EMBED_RETRIEVAL))
            rc = field_fail(s, "doc_to_target", err, "is missing (needed by %s)",
                            task_output_type_name(t->output_type));
        else if (t->chat && t->output_type != TASK_GENERATE_UNTIL)
            rc = field_fail(s, "chat", err, "works only with output_type generate_until");
        else if (t->doc_to_image && !t->chat)
            rc = field_fail(s, "doc_to_image", err, "needs \"chat\": true");
        else if (t->output_type == TASK_LOGLIKELIHOOD_ROLLING && t->num_fewshot > 0)
            rc = field_fail(s, "num_fewshot", err, "must be 0 for loglikelihood_rolling");
    }
    if (!rc) {
        /* fewshot_config.split wins over fewshot_split (lm-eval's FewshotConfig.from_dict) */
        if (!t->fewshot_split && fewshot_split) t->fewshot_split = tt_strdup(fewshot_split);
        t->cfg_fewshot_split = t->fewshot_split ? tt_strdup(t->fewshot_split) : NULL;
        t->cfg_test_split = test_split ? tt_strdup(test_split) : NULL;
        /* lm-eval's fewshot_context passes the eval doc to the sampler when
         * fewshot_cfg.split == config.test_split (None == None included) */
        t->exclude_eval_doc = (!t->cfg_fewshot_split && !t->cfg_test_split) ||
                              (t->cfg_fewshot_split && t->cfg_test_split &&
                               !strcmp(t->cfg_fewshot_split, t->cfg_test_split));
        t->mutual_info = t->output_type == TASK_MULTIPLE_CHOICE && metrics_name(t->metrics, "acc_mutual_info");
        if (t->process_results == TASK_PROCESS_TRUTHFULQA_MC2 && t->output_type != TASK_MULTIPLE_CHOICE)
            rc = field_fail(s, "process_results", err, "\"truthfulqa_mc2\" works only with output_type multiple_choice");
        else if ((t->process_results == TASK_PROCESS_IFEVAL || t->process_results == TASK_PROCESS_MATH) &&
                 t->output_type != TASK_GENERATE_UNTIL)
            rc = field_fail(s, "process_results", err, "\"%s\" works only with output_type generate_until",
                            t->process_results == TASK_PROCESS_IFEVAL ? "ifeval" : "math");
    }
    if (!rc) {
        /* the eval split: test_split, else validation_split (B1) */
        t->eval_split = test_split ? tt_strdup(test_split)
                                   : validation_split ? tt_strdup(validation_split) : NULL;
        if (!t->fewshot_split && !t->fewshot_samples)
            t->fewshot_split = training_split ? tt_strdup(training_split)
                               : validation_split && test_split ? tt_strdup(validation_split)
                                                                : NULL;
    }
    free(test_split);
    free(validation_split);
    free(training_split);
    free(fewshot_split);
    return rc;
}

const char *task_output_type_name(enum task_output_type t)
{
    switch (t) {
    case TASK_GENERATE_UNTIL: return "generate_until";
    case TASK_MULTIPLE_CHOICE: return "multiple_choice";
    case TASK_LOGLIKELIHOOD: return "loglikelihood";
    case TASK_LOGLIKELIHOOD_ROLLING: return "loglikelihood_rolling";
    case TASK_EMBEDDING: return "embedding";
    case TASK_CLASSIFY: return "classify";
    case TASK_TRANSCRIPTION: return "transcription";
    }
    return "?";
}

static task *task_new(void)
{
    task *t = tt_calloc(1, sizeof *t);
    t->gen.max_tokens = 256;
    t->gen.n = 1;
    t->gen.seed = 1234;
    t->fewshot_seed = 1234;
    t->sampler = TASK_SAMPLER_DEFAULT;
    return t;
}

static int task_parse_impl(const char *text, size_t len, const char *path, task **out, char *err)
{
    *out = NULL;
    const char *p = path ? path : "<task>";
    src_set s = { .n = 0 };
    json_t *c;
    int rc = load_merged(p, text, len, 0, &s, &c, err);
    if (rc) {
        src_free(&s);
        return rc;
    }
    task *t = task_new();
    t->path = tt_strdup(p);
    t->dir = path ? tt_dirname(path) : tt_strdup(".");
    t->config = c;
    /* lm-eval's own keys (dataset_path, !function, nulls, ...) to Tianti's */
    char bad_key[128] = "", msg[TT_ERR_SIZE] = "";
    rc = task_lmeval_normalize(c, bad_key, sizeof bad_key, msg);
    if (rc) rc = field_fail(&s, bad_key[0] ? bad_key : "task", err, "%s", msg);
    if (!rc) rc = parse_config(&s, c, t, err);
    if (rc == TT_OK) {
        tt_buf b;
        tt_buf_init(&b);
        for (int i = 0; i < s.n; i++) tt_buf_append(&b, s.f[i].text, s.f[i].len);
        tt_sha256_hex(b.data ? b.data : "", b.len, t->file_hash);
        tt_buf_free(&b);
        memcpy(t->content_hash, t->file_hash, sizeof t->file_hash);
    }
    src_free(&s);
    if (rc) {
        task_free(t);
        return rc;
    }
    *out = t;
    return TT_OK;
}

int task_parse(const char *text, size_t len, const char *path, task **out, char *err)
{
    return task_parse_impl(text, len, path, out, err);
}

int task_load(const char *path, task **out, char *err)
{
    return task_parse_impl(NULL, 0, path, out, err);
}

int task_config_load(const char *path, json_t **out, char *err)
{
    src_set s = {.n = 0};
    int rc = load_merged(path, NULL, 0, 0, &s, out, err);
    src_free(&s);
    return rc;
}

void task_free(task *t)
{
    if (!t) return;
    free(t->path);
    free(t->dir);
    free(t->name);
    free(t->version);
    json_decref(t->version_value);
    free(t->group);
    json_decref(t->config);
    json_decref(t->dataset);
    free(t->description);
    free(t->system_prompt);
    free(t->doc_to_text);
    json_decref(t->doc_to_target);
    json_decref(t->doc_to_choice);
    free(t->doc_to_image);
    free(t->embed.text_pair);
    free(t->embed.corpus_split);
    free(t->embed.corpus_text);
    free(t->embed.corpus_id);
    free(t->embed.relevant);
    free(t->audio);
    free(t->language);
    for (int i = 0; i < t->classify.n; i++) {
        free(t->classify.keys[i]);
        free(t->classify.names[i]);
    }
    free(t->classify.keys);
    free(t->classify.names);
    free(t->classify.positive);
    for (int i = 0; i < t->classify.n_group_by; i++) free(t->classify.group_by[i]);
    free(t->classify.group_by);
    json_decref(t->fewshot_samples);
    free(t->shot_doc_to_text);
    json_decref(t->shot_doc_to_target);
    free(t->eval_split);
    free(t->fewshot_split);
    free(t->cfg_test_split);
    free(t->cfg_fewshot_split);
    free(t->fewshot_fallback_split);
    free(t->shot_draws);
    free(t->target_delimiter);
    free(t->fewshot_delimiter);
    for (int i = 0; i < t->gen.n_until; i++) free(t->gen.until[i]);
    free(t->gen.until);
    json_decref(t->filters);
    json_decref(t->metrics);
    json_decref(t->splits);
    free(t);
}

static void draw_shots(task *t);
static int text_value(const task *t, const json_t *doc, int shot, json_t **out, char *err);

/* ---- data ----------------------------------------------------------------- */

static json_t *split_entry(const task *t, const char *name)
{
    json_t *path = json_object_get(t->dataset, "path");
    if (path) return !strcmp(name, "test") ? path : NULL;
    return json_object_get(json_object_get(t->dataset, "splits"), name);
}

static const char *first_present(const task *t, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (split_entry(t, names[i])) return names[i];
    return NULL;
}

static int load_split(task *t, const char *name, const dataset_options *opt, json_t *hashes,
                      char *err)
{
    if (json_object_get(t->splits, name)) return TT_OK;
    json_t *e = split_entry(t, name);
    if (!e) return tt_fail(err, TT_ERR_NOTFOUND, "task '%s': dataset has no split '%s'", t->name, name);
    dataset_options o;
    if (opt) o = *opt;
    else dataset_options_default(&o);
    o.base_dir = t->dir;
    json_t *docs = json_array();
    int rc = TT_OK;
    if (json_is_array(e)) {
        size_t i;
        json_t *it;
        json_array_foreach(e, i, it) {
            if ((rc = dataset_load_entry(it, &o, docs, hashes, err)) != TT_OK) break;
        }
    } else {
        rc = dataset_load_entry(e, &o, docs, hashes, err);
    }
    if (rc == TT_OK && t->hook_docs) {
        /* lm-eval applies process_docs to every split it loads */
        json_t *processed = NULL;
        rc = t->hook_docs->docs(docs, &processed, err);
        if (rc == TT_OK) {
            json_decref(docs);
            docs = processed;
        }
    }
    if (rc) {
        char inner[TT_ERR_SIZE];
        snprintf(inner, sizeof inner, "%s", err ? err : "");
        json_decref(docs);
        return tt_fail(err, rc, "task '%s' split '%s': %s", t->name, name, inner);
    }
    json_object_set_new(t->splits, name, docs);
    return TT_OK;
}

int task_load_data(task *t, const dataset_options *opt, char *err)
{
    json_decref(t->splits);
    t->splits = json_object();
    t->eval_docs = t->shot_docs = NULL;
    free(t->shot_draws);
    t->shot_draws = NULL;
    t->shot_draw_docs = 0;
    static const char *const eval_names[] = { "test", "validation", "val", NULL };
    const char *ev = t->eval_split ? t->eval_split : first_present(t, eval_names);
    if (!ev) {
        json_t *sp = json_object_get(t->dataset, "splits");
        if (json_object_size(sp) == 1) ev = json_object_iter_key(json_object_iter(sp));
    }
    if (!ev)
        return tt_fail(err, TT_ERR_PARSE, "%s: task '%s': set 'test_split' (no split named test or validation)",
                       t->path, t->name);
    json_t *hashes = json_array();
    int rc = load_split(t, ev, opt, hashes, err);
    char *ev_copy = tt_strdup(ev);
    if (!rc && t->num_fewshot > 0) {
        if (t->fewshot_samples && !t->fewshot_split) {
            t->shot_docs = t->fewshot_samples;
        } else {
            static const char *const shot_names[] = { "train", "dev", "validation", "val", NULL };
            const char *fs = t->fewshot_split ? t->fewshot_split : first_present(t, shot_names);
            if (!fs) fs = ev_copy; /* lm-eval falls back to the test split too */
            rc = load_split(t, fs, opt, hashes, err);
            const char *fb = t->fewshot_fallback_split;
            if (rc == TT_ERR_NOTFOUND && fb && strcmp(fs, fb) && split_entry(t, fb)) {
                /* the few-shot split's data is not here: the task's own
                 * fallback, said out loud (its shots differ from lm-eval's) */
                int same = !strcmp(fb, ev_copy);
                tt_log(TT_LOG_WARN, "%s; so task '%s' draws its %d shots from split '%s' instead%s", err ? err : "",
                       t->name, t->num_fewshot, fb, same ? ", leaving out the document itself" : "");
                fs = fb;
                rc = load_split(t, fs, opt, hashes, err);
                if (!rc && same && !t->exclude_eval_doc) {
                    t->exclude_eval_doc = 1;
                }
            }
            if (!rc) t->shot_docs = json_object_get(t->splits, fs);
        }
        if (!rc) {
            size_t have = json_array_size(t->shot_docs);
            size_t need = (size_t)t->num_fewshot + (t->exclude_eval_doc && t->sampler == TASK_SAMPLER_DEFAULT);
            if (have < need)
                rc = tt_fail(err, TT_ERR_PARSE, "task '%s': %d shots asked for, the shot split has %zu records",
                             t->name, t->num_fewshot, have);
        }
    }
    if (!rc && t->output_type == TASK_EMBEDDING && t->embed.kind == TASK_EMBED_RETRIEVAL)
        rc = load_split(t, t->embed.corpus_split, opt, hashes, err);
    if (!rc) {
        t->eval_docs = json_object_get(t->splits, ev_copy);
        /* lm-eval decides from the first document: a doc_to_text giving an
         * integer makes a task of multiple inputs (WinoGrande) */
        t->multiple_input = 0;
        if (t->output_type == TASK_MULTIPLE_CHOICE && t->doc_to_choice && json_array_size(t->eval_docs) > 0) {
            json_t *v = NULL;
            char inner[TT_ERR_SIZE];
            if (text_value(t, json_array_get(t->eval_docs, 0), 0, &v, inner) == TT_OK && json_is_integer(v)) {
                t->multiple_input = 1;
                if (t->mutual_info)
                    rc = tt_fail(err, TT_ERR_PARSE, "%s: task '%s': acc_mutual_info does not work with multiple inputs "
                                 "(doc_to_text gives an index)", t->path, t->name);
            }
            json_decref(v);
        }
    }
    if (!rc) {
        draw_shots(t);
        /* content hash: task file bytes, then each data file's sha256 */
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_puts(&b, t->file_hash);
        size_t i;
        json_t *h;
        json_array_foreach(hashes, i, h) {
            tt_buf_puts(&b, "\n");
            tt_buf_puts(&b, json_string_value(h));
        }
        tt_sha256_hex(b.data, b.len, t->content_hash);
        tt_buf_free(&b);
        /* fail now, not in the middle of a run, if the templates do not fit the data */
        if (json_array_size(t->eval_docs) > 0) {
            task_instance in;
            rc = task_build(t, 0, &in, err);
            if (!rc) task_instance_free(&in);
        }
    }
    free(ev_copy);
    json_decref(hashes);
    return rc;
}

size_t task_num_docs(const task *t) { return t->eval_docs ? json_array_size(t->eval_docs) : 0; }

size_t task_limit_count(size_t n, double limit)
{
    if (!(limit > 0) || !isfinite(limit)) return n;
    if (limit < 1.0) {
        double c = ceil((double)n * limit);
        return c > (double)n ? n : (size_t)c;
    }
    double f = floor(limit);
    return f >= (double)n ? n : (size_t)f;
}

/* ---- per-document fields ---------------------------------------------- */

static int doc_fail(const task *t, size_t i, int rc, const char *inner, char *err)
{
    char tmp[TT_ERR_SIZE];
    snprintf(tmp, sizeof tmp, "%s", inner);
    return tt_fail(err, rc, "task '%s' doc %zu: %s", t->name, i, tmp);
}

/* lm-eval: a string naming a field of the doc yields that field; anything
 * else is a template. Returns a new reference. */
static int field_or_template(const char *what, const char *tmpl, const json_t *doc, int as_value,
                             json_t **out, char *err)
{
    if (!template_has_syntax(tmpl)) {
        json_t *f = json_object_get(doc, tmpl);
        if (f) {
            *out = json_incref(f);
            return TT_OK;
        }
    }
    if (as_value) return template_eval(what, tmpl, doc, out, err);
    char *s;
    int rc = template_render(what, tmpl, doc, &s, err);
    if (rc) return rc;
    *out = json_string(s);
    free(s);
    return *out ? TT_OK : tt_fail(err, TT_ERR_PARSE, "'%s' is not valid UTF-8", what);
}

/* Python's str() of a value (Jinja's rendering; "18.0", "True", "None"). */
static char *value_text(const json_t *v) { return template_value_text(v); }

static int is_digits(const char *s);

/* doc_to_text's value as lm-eval's ConfigurableTask.doc_to_text gives it:
 * a C hook's value, a field's value untouched, or a template's text (an
 * integer when it is digits and the task has doc_to_choice). */
static int text_value(const task *t, const json_t *doc, int shot, json_t **out, char *err)
{
    *out = NULL;
    if (t->hook_text && !(shot && t->shot_doc_to_text)) return t->hook_text->doc(doc, out, err);
    const char *tmpl = shot && t->shot_doc_to_text ? t->shot_doc_to_text : t->doc_to_text;
    json_t *v;
    int rc = field_or_template("doc_to_text", tmpl, doc, 0, &v, err);
    if (rc) return rc;
    if (json_is_string(v) && template_has_syntax(tmpl) && t->doc_to_choice && is_digits(json_string_value(v)) &&
        json_string_length(v) < 18) {
        json_t *i = json_integer(strtoll(json_string_value(v), NULL, 10));
        json_decref(v);
        v = i;
    }
    *out = v;
    return TT_OK;
}

static int choices_of(const task *t, const json_t *doc, char ***out, int *n, char *err);

/* The text of doc_to_text; with multiple inputs the context its integer
 * picks among the choices (lm-eval's fewshot_context: q = c[q]). */
static int text_of(const task *t, const json_t *doc, int shot, char **out, char *err)
{
    json_t *v;
    int rc = text_value(t, doc, shot, &v, err);
    if (rc) return rc;
    if (t->multiple_input && json_is_integer(v)) {
        char **choices = NULL;
        int n = 0;
        rc = choices_of(t, doc, &choices, &n, err);
        long long i = json_integer_value(v);
        if (!rc && (i < 0 || i >= n)) rc = tt_fail(err, TT_ERR_PARSE, "doc_to_text gave %lld, not one of the %d contexts", i, n);
        if (!rc) *out = tt_strdup(choices[i]);
        for (int k = 0; k < n; k++) free(choices[k]);
        free(choices);
        json_decref(v);
        return rc;
    }
    *out = value_text(v);
    json_decref(v);
    return TT_OK;
}

int task_doc_text(const task *t, const json_t *doc, char **out, char *err)
{
    *out = NULL;
    if (!t->doc_to_text) {
        *out = tt_strdup("");
        return TT_OK;
    }
    return text_of(t, doc, 0, out, err);
}

static json_t *list_literal(const char *text);

/* Choices as owned strings; *n = 0 when the task has none. */
static int choices_of(const task *t, const json_t *doc, char ***out, int *n, char *err)
{
    *out = NULL;
    *n = 0;
    if (!t->doc_to_choice) return TT_OK;
    json_t *list;
    if (t->hook_choice) {
        int rc = t->hook_choice->doc(doc, &list, err);
        if (rc) return rc;
    } else if (json_is_array(t->doc_to_choice)) {
        list = json_incref(t->doc_to_choice);
    } else {
        /* lm-eval: a field's list, or ast.literal_eval of the rendered template */
        const char *tmpl = json_string_value(t->doc_to_choice);
        int rc = field_or_template("doc_to_choice", tmpl, doc, 1, &list, err);
        if (rc) return rc;
        json_t *lit;
        if (json_is_string(list) && template_has_syntax(tmpl) && (lit = list_literal(json_string_value(list)))) {
            json_decref(list);
            list = lit;
        }
    }
    if (!json_is_array(list) || json_array_size(list) == 0) {
        json_decref(list);
        return tt_fail(err, TT_ERR_PARSE, "'doc_to_choice' did not give a non-empty list");
    }
    *n = (int)json_array_size(list);
    *out = tt_calloc((size_t)*n + 1, sizeof(char *));
    for (int i = 0; i < *n; i++) (*out)[i] = value_text(json_array_get(list, (size_t)i));
    json_decref(list);
    return TT_OK;
}

static int is_digits(const char *s)
{
    if (!s) return 0;
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* ast.literal_eval of a text "[...]", as far as the template language reads
 * Python literals (lists of strings and integers, nested): a new reference,
 * or NULL when it is not one (lm-eval then keeps the text). */
static json_t *list_literal(const char *text)
{
    char *tmpl = tt_asprintf("{{%s}}", text);
    json_t *empty = json_object(), *v = NULL;
    char err[TT_ERR_SIZE];
    if (template_eval("doc_to_target", tmpl, empty, &v, err) != TT_OK || !json_is_array(v)) {
        json_decref(v);
        v = NULL;
    }
    json_decref(empty);
    free(tmpl);
    return v;
}

/* The doc_to_target value as lm-eval's ConfigurableTask.doc_to_target
 * (lm_eval/api/task.py) gives it. New reference in *out.
 *  - an integer is the target itself;
 *  - a string naming a field of the doc gives that field's value untouched:
 *    a string of digits stays a string (a choice text), only an integer is
 *    an index;
 *  - any other string is a template, rendered to text (Python's str() of
 *    its value): with doc_to_choice a text of decimal digits is an index
 *    (ast.literal_eval), a text "[...]" that reads as a list literal is that
 *    list (a template whose value is a list gives the list), anything else
 *    stays text. */
static int target_of(const task *t, const json_t *doc, int shot, json_t **out, char *err)
{
    *out = NULL;
    const json_t *tt = shot && t->shot_doc_to_target ? t->shot_doc_to_target : t->doc_to_target;
    if (!tt) return TT_OK;
    if (t->hook_target && tt == t->doc_to_target) return t->hook_target->doc(doc, out, err);
    if (json_is_integer(tt)) {
        *out = json_incref((json_t *)tt);
        return TT_OK;
    }
    const char *tmpl = json_string_value(tt);
    if (!template_has_syntax(tmpl)) {
        json_t *f = json_object_get(doc, tmpl);
        if (f) {
            *out = json_incref(f);
            return TT_OK;
        }
    }
    json_t *v;
    int rc = template_eval("doc_to_target", tmpl, doc, &v, err);
    if (rc) return rc;
    if (json_is_array(v)) {   /* str(list) read back by literal_eval: the same list */
        *out = v;
        return TT_OK;
    }
    char *text = value_text(v);
    json_decref(v);
    size_t len = strlen(text);
    if (t->doc_to_choice && is_digits(text)) {
        errno = 0;
        long long g = strtoll(text, NULL, 10);
        *out = json_integer(errno == ERANGE ? LLONG_MAX : g);
    } else if (len >= 2 && text[0] == '[' && text[len - 1] == ']' && (*out = list_literal(text))) {
        /* the list */
    } else {
        *out = json_string(text);
        if (!*out) {
            free(text);
            return tt_fail(err, TT_ERR_PARSE, "'doc_to_target' is not valid UTF-8");
        }
    }
    free(text);
    return TT_OK;
}

/* One gold as lm-eval's process_results reads it: an integer is an index
 * (kept when below the number of choices), a string is the position of the
 * equal choice; TASK_GOLD_INVALID (-100) otherwise. Booleans are the ints
 * they are in Python; a whole float equals that index. A negative index is
 * invalid here (Python would index from the end). */
static int gold_index(const json_t *x, char **choices, int n)
{
    long long g = -1;
    if (json_is_integer(x)) g = json_integer_value(x);
    else if (json_is_boolean(x)) g = json_is_true(x);
    else if (json_is_real(x) && floor(json_real_value(x)) == json_real_value(x) && fabs(json_real_value(x)) < 1e15)
        g = (long long)json_real_value(x);
    else if (json_is_string(x)) {
        for (int i = 0; i < n; i++)
            if (!strcmp(choices[i], json_string_value(x))) return i;
        return TASK_GOLD_INVALID;
    }
    return g >= 0 && g < n ? (int)g : TASK_GOLD_INVALID;
}

/* The golds of a multiple-choice doc: one per element of a list target
 * (lm-eval's multiple_target), else one. */
static void golds_of(task_instance *in)
{
    const json_t *t = in->target;
    size_t n = json_is_array(t) ? json_array_size(t) : 1;
    in->golds = tt_calloc(n + 1, sizeof *in->golds);
    if (json_is_array(t)) {
        size_t i;
        json_t *x;
        json_array_foreach(t, i, x) in->golds[in->n_golds++] = gold_index(x, in->choices, in->n_choices);
    } else if (t) {
        in->golds[in->n_golds++] = gold_index(t, in->choices, in->n_choices);
    }
    if (in->n_golds == 0) in->golds[in->n_golds++] = TASK_GOLD_INVALID;
    for (int i = 0; i < in->n_golds; i++)
        if (in->golds[i] == TASK_GOLD_INVALID) in->gold_error = 1;
    in->gold = !json_is_array(t) && in->golds[0] >= 0 ? in->golds[0] : -1;
}

/* Answer text of a doc: the text of a few-shot example's answer (B2; lm-eval's
 * build_qa_turn: choices[a] for an index, a[0] for a list, else a), or the
 * target text of the doc itself. An index out of range is an error for a
 * shot (lm-eval fails there too) and the raw value for the doc itself. */
static int answer_text(const task *t, const json_t *doc, int shot, char **out, char *err)
{
    *out = NULL;
    json_t *target;
    int rc = target_of(t, doc, shot, &target, err);
    if (rc) return rc;
    if (!target) {
        *out = tt_strdup("");
        return TT_OK;
    }
    char **choices = NULL;
    int n = 0;
    const json_t *first = json_is_array(target) ? json_array_get(target, 0) : target;
    if (json_is_integer(first) && t->doc_to_choice) {
        rc = choices_of(t, doc, &choices, &n, err);
        if (!rc) {
            long long g = json_integer_value(first);
            if (g >= 0 && g < n) *out = tt_strdup(choices[g]);
            else if (shot) rc = tt_fail(err, TT_ERR_PARSE, "few-shot target index %lld out of range (%d choices)", g, n);
            else *out = value_text(first);
        }
        for (int i = 0; i < n; i++) free(choices[i]);
        free(choices);
    } else {
        *out = first ? value_text(first) : tt_strdup("");
    }
    json_decref(target);
    return rc;
}

/* ---- few-shot selection --------------------------------------------------- */

/* The default sampler, as lm-eval's ContextSampler (lm_eval/api/samplers.py):
 * one random.Random(fewshot_seed) per task, and for each evaluated document
 * in order rnd.sample(shot_docs, n), or n + 1 when the eval doc is passed
 * to it (exclude_eval_doc). The draws depend only on the draw count, never
 * on the documents, so they are made once here for every eval doc; which
 * drawn record is dropped as equal to the doc is decided when building. */
static void draw_shots(task *t)
{
    free(t->shot_draws);
    t->shot_draws = NULL;
    t->shot_draw_docs = 0;
    if (t->num_fewshot <= 0 || t->sampler != TASK_SAMPLER_DEFAULT || !t->shot_docs || !t->eval_docs) return;
    size_t m = json_array_size(t->shot_docs), n_docs = json_array_size(t->eval_docs);
    int k = t->num_fewshot + (t->exclude_eval_doc ? 1 : 0);
    if ((size_t)k > m) return;   /* task_load_data has already refused this */
    t->shot_draw_k = k;
    t->shot_draws = tt_malloc((n_docs ? n_docs : 1) * (size_t)k * sizeof *t->shot_draws);
    size_t *one = tt_malloc((size_t)k * sizeof *one);
    pyrandom r;
    pyrandom_seed(&r, t->fewshot_seed);
    for (size_t d = 0; d < n_docs; d++) {
        pyrandom_sample(&r, m, (size_t)k, one);
        for (int j = 0; j < k; j++) t->shot_draws[d * (size_t)k + (size_t)j] = (uint32_t)one[j];
    }
    free(one);
    t->shot_draw_docs = n_docs;
}

/* Fills idx[0..n-1] with the shot indices into t->shot_docs for the doc
 * with index doc_index (its record: doc). first_n takes the first records;
 * the default sampler the draws made for doc_index (recomputed from the
 * seed for an index past the eval docs). With exclude_eval_doc, records
 * equal to doc are dropped (lm-eval's rm_eval_doc compares by value).
 * Fails when fewer than n records are left. */
static int pick_shots(const task *t, const json_t *doc, size_t doc_index, size_t *idx, char *err)
{
    size_t n = (size_t)t->num_fewshot, m = json_array_size(t->shot_docs), got = 0;
    if (t->sampler == TASK_SAMPLER_FIRST_N) {
        for (size_t k = 0; k < m && got < n; k++) {
            if (t->exclude_eval_doc && json_equal(json_array_get(t->shot_docs, k), (json_t *)doc)) continue;
            idx[got++] = k;
        }
    } else {
        size_t k = (size_t)t->shot_draw_k;
        uint32_t *own = NULL;
        const uint32_t *drawn;
        if (t->shot_draws && doc_index < t->shot_draw_docs) {
            drawn = t->shot_draws + doc_index * k;
        } else {
            /* not an eval doc of this task: replay the generator up to it */
            k = n + (t->exclude_eval_doc ? 1 : 0);
            if (k > m) return tt_fail(err, TT_ERR_PARSE, "%zu shots asked for, the shot split has %zu records", n, m);
            size_t *one = tt_malloc(k * sizeof *one);
            own = tt_malloc(k * sizeof *own);
            pyrandom r;
            pyrandom_seed(&r, t->fewshot_seed);
            for (size_t d = 0; d <= doc_index; d++) pyrandom_sample(&r, m, k, one);
            for (size_t j = 0; j < k; j++) own[j] = (uint32_t)one[j];
            free(one);
            drawn = own;
        }
        for (size_t j = 0; j < k && got < n; j++) {
            if (t->exclude_eval_doc && json_equal(json_array_get(t->shot_docs, drawn[j]), (json_t *)doc)) continue;
            idx[got++] = drawn[j];
        }
        free(own);
    }
    if (got < n)
        return tt_fail(err, TT_ERR_PARSE, "only %zu of the %zu shots are left after dropping the records equal to "
                       "the document itself", got, n);
    return TT_OK;
}

/* lm-eval's maybe_delimit (lm_eval/api/utils.py): prefix and suffix joined
 * by delimiter unless either has whitespace at the joint. */
static char *maybe_delimit(const char *prefix, const char *suffix, const char *delimiter)
{
    size_t pl = strlen(prefix);
    size_t last = tt_utf8_char_start(prefix, 0, pl - 1);
    int space = pytext_space_len(prefix + last, pl - last) == pl - last || pytext_space_len(suffix, strlen(suffix)) > 0;
    return tt_asprintf("%s%s%s", prefix, space ? "" : delimiter, suffix);
}

/* ---- assembly -------------------------------------------------------------- */

static void add_msg(task_instance *in, const char *role, char *content)
{
    in->messages = tt_realloc(in->messages, (size_t)(in->n_messages + 1) * sizeof *in->messages);
    in->messages[in->n_messages].role = role;
    in->messages[in->n_messages].content = content;
    in->messages[in->n_messages].image_b64 = NULL;
    in->n_messages++;
}

static void set_gen(const task *t, engine_gen_params *g)
{
    memset(g, 0, sizeof *g);
    for (int i = 0; i < t->gen.n_until && i < ENGINE_MAX_STOP; i++) g->until[i] = t->gen.until[i];
    g->n_until = t->gen.n_until < ENGINE_MAX_STOP ? t->gen.n_until : ENGINE_MAX_STOP;
    g->max_tokens = t->gen.max_tokens;
    g->temperature = t->gen.temperature; /* passed as given, like lm-eval's API backends */
    g->top_p = t->gen.top_p;
    g->seed = t->gen.seed;
    g->n = t->gen.n;
}

int task_build_doc(const task *t, const json_t *doc, size_t doc_index, task_instance *in, char *err)
{
    memset(in, 0, sizeof *in);
    in->doc_index = doc_index;
    in->doc = json_incref((json_t *)doc);
    in->gold = -1;
    char inner[TT_ERR_SIZE] = "";
    int rc = TT_OK;
    tt_buf prompt;
    tt_buf_init(&prompt);
    tt_buf_puts(&prompt, "");
    size_t *shots = NULL;

    /* 1. system part: system_prompt and description joined by fewshot_delimiter */
    char *desc = NULL;
    if (t->description && t->output_type != TASK_LOGLIKELIHOOD_ROLLING) {
        if ((rc = template_render("description", t->description, doc, &desc, inner))) goto fail;
        if (!*desc) {
            free(desc);
            desc = NULL;
        }
    }
    if (t->system_prompt || desc) {
        char *sys = (t->system_prompt && *t->system_prompt && desc) ? maybe_delimit(t->system_prompt, desc, t->fewshot_delimiter)
                                                                     : tt_strdup(t->system_prompt && *t->system_prompt ? t->system_prompt : desc ? desc : "");
        tt_buf_puts(&prompt, sys);
        add_msg(in, "system", sys);
    }
    free(desc);

    /* 2. shots */
    if (t->num_fewshot > 0 && t->output_type != TASK_LOGLIKELIHOOD_ROLLING) {
        if (!t->shot_docs) {
            rc = tt_fail(inner, TT_ERR, "few-shot data not loaded (call task_load_data)");
            goto fail;
        }
        shots = tt_malloc((size_t)t->num_fewshot * sizeof *shots);
        if ((rc = pick_shots(t, doc, doc_index, shots, inner))) goto fail;
        for (int k = 0; k < t->num_fewshot; k++) {
            const json_t *sd = json_array_get(t->shot_docs, shots[k]);
            char *q, *a;
            if ((rc = text_of(t, sd, 1, &q, inner))) goto fail;
            if ((rc = answer_text(t, sd, 1, &a, inner))) {
                free(q);
                goto fail;
            }
            tt_buf_puts(&prompt, q);
            add_msg(in, "user", q);
            /* lm-eval's build_qa_turn: a shot without an answer is its
             * question alone, with neither delimiter */
            if (!*a) {
                free(a);
                continue;
            }
            tt_buf_puts(&prompt, t->target_delimiter);
            tt_buf_puts(&prompt, a);
            tt_buf_puts(&prompt, t->fewshot_delimiter);
            add_msg(in, "assistant", a);
        }
    }

    /* 3. the doc itself; with multiple inputs each choice is a context
     * (lm-eval's multiple_input_context) */
    if (t->multiple_input) {
        json_t *g = NULL;
        if ((rc = text_value(t, doc, 0, &g, inner))) goto fail;
        if (!json_is_integer(g)) {
            json_decref(g);
            rc = tt_fail(inner, TT_ERR_PARSE, "doc_to_text must give an integer for every document of a task of "
                                              "multiple inputs (it did for the first)");
            goto fail;
        }
        if ((rc = choices_of(t, doc, &in->choices, &in->n_choices, inner))) {
            json_decref(g);
            goto fail;
        }
        long long gi = json_integer_value(g);
        json_decref(g);
        in->contexts = tt_calloc((size_t)in->n_choices + 1, sizeof(char *));
        for (int c = 0; c < in->n_choices; c++) in->contexts[c] = tt_asprintf("%s%s", tt_buf_str(&prompt), in->choices[c]);
        in->golds = tt_calloc(2, sizeof *in->golds);
        in->golds[0] = gi >= 0 && gi < in->n_choices ? (int)gi : TASK_GOLD_INVALID;
        in->n_golds = 1;
        in->gold_error = in->golds[0] == TASK_GOLD_INVALID;
        in->gold = in->golds[0] >= 0 ? in->golds[0] : -1;
        const char *shown = in->gold >= 0 ? in->choices[in->gold] : "";
        tt_buf_puts(&prompt, shown);
        add_msg(in, "user", tt_strdup(shown));
        in->prompt = tt_buf_detach(&prompt);
        if ((rc = target_of(t, doc, 0, &in->target, inner))) goto fail;
        in->target_text = json_is_string(in->target) ? tt_strdup(json_string_value(in->target))
                                                      : in->target ? value_text(in->target) : tt_strdup("");
        in->n_requests = in->n_choices;
        in->requests = tt_calloc((size_t)in->n_choices + 1, sizeof *in->requests);
        in->continuations = tt_calloc(2, sizeof(char *));
        in->continuations[0] = tt_asprintf("%s%s", t->target_delimiter, in->target_text);
        for (int c = 0; c < in->n_choices; c++) {
            in->requests[c].kind = ENGINE_REQ_LOGLIKELIHOOD;
            in->requests[c].context = in->contexts[c];
            in->requests[c].continuation = in->continuations[0];
        }
        free(shots);
        return TT_OK;
    }
    if (t->output_type != TASK_LOGLIKELIHOOD_ROLLING) {
        char *q;
        if ((rc = text_of(t, doc, 0, &q, inner))) goto fail;
        tt_buf_puts(&prompt, q);
        add_msg(in, "user", q);
        if (t->doc_to_image) {
            char *img;
            if ((rc = template_render("doc_to_image", t->doc_to_image, doc, &img, inner))) goto fail;
            in->messages[in->n_messages - 1].image_b64 = img;
        }
    }
    in->prompt = tt_buf_detach(&prompt);

    /* targets */
    if ((rc = choices_of(t, doc, &in->choices, &in->n_choices, inner))) goto fail;
    if ((rc = target_of(t, doc, 0, &in->target, inner))) goto fail;
    if (in->n_choices > 0) golds_of(in);
    if (in->gold >= 0) in->target_text = tt_strdup(in->choices[in->gold]);
    else if ((rc = answer_text(t, doc, 0, &in->target_text, inner))) goto fail;

    /* requests (B3) */
    switch (t->output_type) {
    case TASK_MULTIPLE_CHOICE: {
        /* (context, delimiter + choice) per choice; with acc_mutual_info also
         * ("", delimiter + choice) per choice after them (lm-eval's
         * construct_requests) */
        int per = in->n_choices, total = t->mutual_info ? 2 * per : per;
        in->n_requests = total;
        in->requests = tt_calloc((size_t)total + 1, sizeof *in->requests);
        in->continuations = tt_calloc((size_t)total + 1, sizeof(char *));
        for (int c = 0; c < total; c++) {
            in->continuations[c] = tt_asprintf("%s%s", t->target_delimiter, in->choices[c % per]);
            in->requests[c].kind = ENGINE_REQ_LOGLIKELIHOOD;
            in->requests[c].context = c < per ? in->prompt : "";
            in->requests[c].continuation = in->continuations[c];
        }
        break;
    }
    case TASK_LOGLIKELIHOOD:
        /* (context, target): no delimiter, the target carries its own
         * leading space (lm-eval's construct_requests; lambada_openai) */
        in->n_requests = 1;
        in->requests = tt_calloc(1, sizeof *in->requests);
        in->continuations = tt_calloc(2, sizeof(char *));
        in->continuations[0] = tt_strdup(in->target_text);
        in->requests[0].kind = ENGINE_REQ_LOGLIKELIHOOD;
        in->requests[0].context = in->prompt;
        in->requests[0].continuation = in->continuations[0];
        break;
    case TASK_LOGLIKELIHOOD_ROLLING:
        in->n_requests = 1;
        in->requests = tt_calloc(1, sizeof *in->requests);
        in->requests[0].kind = ENGINE_REQ_LOGLIKELIHOOD_ROLLING;
        in->requests[0].context = in->target_text;
        break;
    case TASK_GENERATE_UNTIL:
        in->n_requests = 1;
        in->requests = tt_calloc(1, sizeof *in->requests);
        if (t->chat) {
            in->requests[0].kind = ENGINE_REQ_CHAT;
            in->requests[0].messages = in->messages;
            in->requests[0].n_messages = in->n_messages;
        } else {
            in->requests[0].kind = ENGINE_REQ_GENERATE;
            in->requests[0].context = in->prompt;
        }
        set_gen(t, &in->requests[0].gen);
        break;
    case TASK_EMBEDDING:
        /* no engine requests: harness/embed_eval.c embeds the texts */
        break;
    case TASK_TRANSCRIPTION:
        /* harness/transcribe_eval.c sends the audio */
        break;
    case TASK_CLASSIFY:
        /* harness/classify_eval.c asks the moderation endpoint, or chats */
        if (t->classify.via == TASK_CLASSIFY_CHAT) {
            in->n_requests = 1;
            in->requests = tt_calloc(1, sizeof *in->requests);
            in->requests[0].kind = ENGINE_REQ_CHAT;
            in->requests[0].messages = in->messages;
            in->requests[0].n_messages = in->n_messages;
            set_gen(t, &in->requests[0].gen);
        }
        break;
    }
    free(shots);
    return TT_OK;
fail:
    free(shots);
    tt_buf_free(&prompt);
    task_instance_free(in);
    return doc_fail(t, doc_index, rc, inner, err);
}

int task_build(const task *t, size_t i, task_instance *out, char *err)
{
    if (!t->eval_docs || i >= json_array_size(t->eval_docs)) {
        memset(out, 0, sizeof *out);
        return tt_fail(err, TT_ERR_NOTFOUND, "task '%s' has no doc %zu", t->name, i);
    }
    return task_build_doc(t, json_array_get(t->eval_docs, i), i, out, err);
}

void task_instance_free(task_instance *in)
{
    if (!in) return;
    json_decref(in->doc);
    free(in->prompt);
    for (int i = 0; i < in->n_messages; i++) {
        free((char *)in->messages[i].content);
        free((char *)in->messages[i].image_b64);
    }
    free(in->messages);
    for (int i = 0; i < in->n_choices; i++) free(in->choices[i]);
    free(in->choices);
    json_decref(in->target);
    free(in->golds);
    free(in->target_text);
    free(in->requests);
    if (in->continuations)
        for (int i = 0; in->continuations[i]; i++) free(in->continuations[i]);
    free(in->continuations);
    if (in->contexts)
        for (int i = 0; in->contexts[i]; i++) free(in->contexts[i]);
    free(in->contexts);
    memset(in, 0, sizeof *in);
    in->gold = -1;
}
