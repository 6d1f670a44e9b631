/*
 * prompts.c — loads the prompts an arena draws from (see arena/prompts.h):
 * a task file through harness/task.h, JSON Lines / JSON arrays of records,
 * or plain text with one prompt per line.
 */
#include "arena/prompts.h"
#include "harness/task.h"
#include "core/pytext.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PROMPTS_MAX_TASK_DOCS 100000

static void add(arena_prompts *p, const char *text, const char *ref, const char *id, const char *cat)
{
    p->v = tt_realloc(p->v, (p->n + 1) * sizeof *p->v);
    p->v[p->n++] = (arena_prompt){tt_strdup(text), tt_strdup(ref), tt_strdup(id), tt_strdup(cat)};
}

void arena_prompts_free(arena_prompts *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].text);
        free(p->v[i].reference);
        free(p->v[i].id);
        free(p->v[i].category);
    }
    free(p->v);
    metric_specs_free(p->metric, p->n_metric);
    memset(p, 0, sizeof *p);
}

/* A string, or (unless strings_only) a number written as text, in the
 * first of the named fields present; caller frees. */
static char *field_text(json_t *o, const char *const *names, int strings_only)
{
    for (int i = 0; names[i]; i++) {
        json_t *v = json_object_get(o, names[i]);
        if (json_is_string(v)) return tt_strdup(json_string_value(v));
        if (strings_only) continue;
        if (json_is_integer(v)) return tt_asprintf("%lld", (long long)json_integer_value(v));
        if (json_is_real(v)) {   /* as Python's str(): 18.0, 1e+16 */
            char num[PYTEXT_FLOAT_REPR_MAX];
            pytext_float_repr(json_real_value(v), num);
            return tt_strdup(num);
        }
    }
    return NULL;
}

/* One record; 0 ok, -1 when it has no prompt. */
static int add_record(arena_prompts *p, json_t *rec)
{
    static const char *const text_fields[] = {"prompt", "question", "instruction", "text", NULL};
    static const char *const ref_fields[] = {"reference", "target", "answer", NULL};
    static const char *const id_fields[] = {"question_id", "id", NULL};
    static const char *const cat_fields[] = {"category", NULL};
    if (json_is_string(rec)) {
        if (!*json_string_value(rec)) return -1;
        add(p, json_string_value(rec), NULL, NULL, NULL);
        return 0;
    }
    if (!json_is_object(rec)) return -1;
    char *text = NULL;
    json_t *turns = json_object_get(rec, "turns");
    if (json_is_array(turns) && json_is_string(json_array_get(turns, 0)))
        text = tt_strdup(json_string_value(json_array_get(turns, 0)));
    if (!text) text = field_text(rec, text_fields, 1);
    if (!text || !*text) {
        free(text);
        return -1;
    }
    char *ref = field_text(rec, ref_fields, 0), *id = field_text(rec, id_fields, 0), *cat = field_text(rec, cat_fields, 1);
    add(p, text, ref, id, cat);
    free(text);
    free(ref);
    free(id);
    free(cat);
    return 0;
}

static int load_task(const char *path, arena_prompts *p, char *err)
{
    task *t = NULL;
    int rc = task_load(path, &t, err);
    if (rc == TT_OK) rc = task_load_data(t, NULL, err);
    size_t n = rc == TT_OK ? task_num_docs(t) : 0;
    if (n > PROMPTS_MAX_TASK_DOCS) n = PROMPTS_MAX_TASK_DOCS;
    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        task_instance in;
        memset(&in, 0, sizeof in);
        rc = task_build(t, i, &in, err);
        if (rc == TT_OK && in.prompt && *in.prompt) {
            char id[32];
            snprintf(id, sizeof id, "%zu", i);
            add(p, in.prompt, in.target_text, id, t->name);
        }
        if (rc == TT_OK) task_instance_free(&in);
    }
    if (rc == TT_OK && t->metrics) {
        metric_spec *specs = NULL;
        int ns = 0;
        if (metric_spec_parse(t->metrics, &specs, &ns, err) == TT_OK) {
            for (int i = 0; i < ns && !p->metric; i++) {
                metric_kind k = specs[i].kind;
                if (k == METRIC_EXACT_MATCH || k == METRIC_CONTAINS || k == METRIC_NUMERIC_MATCH) {
                    json_t *one = json_array();
                    json_array_append(one, json_array_get(t->metrics, (size_t)i));
                    if (metric_spec_parse(one, &p->metric, &p->n_metric, err) != TT_OK) p->metric = NULL;
                    json_decref(one);
                }
            }
            metric_specs_free(specs, ns);
        }
        err[0] = 0;
    }
    task_free(t);
    return rc;
}

int arena_prompts_load(const char *path, arena_prompts *out, char *err)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    const char *s = text;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    json_error_t je;
    json_t *whole = NULL;
    if (*s == '{' || *s == '[') whole = json_loadb(text, len, 0, &je);
    if (json_is_object(whole) && json_object_get(whole, "doc_to_text")) {
        json_decref(whole);
        free(text);
        rc = load_task(path, out, err);
        if (rc == TT_OK && out->n == 0) rc = tt_fail(err, TT_ERR_PARSE, "'%s': task has no documents", path);
        return rc;
    }
    if (json_is_array(whole)) {
        for (size_t i = 0; i < json_array_size(whole) && rc == TT_OK; i++)
            if (add_record(out, json_array_get(whole, i)) != 0)
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': record %zu: no prompt text (turns[0], prompt, question, instruction or text)",
                             path, i);
    } else if (*s == '{') {
        /* JSON Lines (a single object is one line) */
        json_decref(whole);
        whole = NULL;
        size_t line = 0;
        for (char *p = text; p && *p && rc == TT_OK;) {
            char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            line++;
            size_t k = 0;
            while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) k++;
            if (k < n) {
                json_t *rec = json_loadb(p, n, 0, &je);
                if (!rec) rc = tt_fail(err, TT_ERR_PARSE, "'%s':%zu: %s", path, line, je.text);
                else if (add_record(out, rec) != 0)
                    rc = tt_fail(err, TT_ERR_PARSE,
                                 "'%s':%zu: no prompt text (turns[0], prompt, question, instruction or text)", path, line);
                json_decref(rec);
            }
            p = nl ? nl + 1 : NULL;
        }
    } else {
        for (char *p = text; p && *p;) {
            char *nl = strchr(p, '\n');
            if (nl) *nl = 0;
            size_t n = strlen(p);
            while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = 0;
            if (n > 0) add(out, p, NULL, NULL, NULL);
            p = nl ? nl + 1 : NULL;
        }
    }
    json_decref(whole);
    free(text);
    if (rc == TT_OK && out->n == 0) rc = tt_fail(err, TT_ERR_PARSE, "'%s': no prompts", path);
    return rc;
}

int arena_prompts_add_references(arena_prompts *p, const char *path, size_t *matched, char *err)
{
    static const char *const id_fields[] = {"question_id", "id", NULL};
    static const char *const ref_fields[] = {"reference", "answer", NULL};
    *matched = 0;
    char *text = NULL;
    size_t len = 0;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    size_t line = 0;
    for (char *s = text; s && *s && rc == TT_OK;) {
        char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        line++;
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        if (k < n) {
            json_error_t je;
            json_t *rec = json_loadb(s, n, 0, &je);
            char *id = json_is_object(rec) ? field_text(rec, id_fields, 0) : NULL;
            char *ref = id ? field_text(rec, ref_fields, 1) : NULL;
            if (id && !ref) {
                json_t *t0 = json_array_get(json_object_get(json_array_get(json_object_get(rec, "choices"), 0), "turns"), 0);
                if (json_is_string(t0)) ref = tt_strdup(json_string_value(t0));
            }
            if (!rec) rc = tt_fail(err, TT_ERR_PARSE, "'%s':%zu: %s", path, line, je.text);
            else if (!id || !ref)
                rc = tt_fail(err, TT_ERR_PARSE, "'%s':%zu: expected 'question_id' and a reference "
                                                "('reference', 'answer' or choices[0].turns[0])", path, line);
            for (size_t i = 0; rc == TT_OK && i < p->n; i++)
                if (p->v[i].id && !strcmp(p->v[i].id, id)) {
                    free(p->v[i].reference);
                    p->v[i].reference = tt_strdup(ref);
                    (*matched)++;
                }
            free(id);
            free(ref);
            json_decref(rec);
        }
        s = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}
