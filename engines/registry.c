/*
 * registry.c — models.json parsing and name resolution (see registry.h).
 */
#include "engines/registry.h"
#include "core/suggest.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct registry {
    json_t *models;   /* object name -> entry */
    char *path;
};

int registry_load(const char *path, int optional, registry **out, char *err)
{
    *out = tt_calloc(1, sizeof **out);
    (*out)->path = tt_strdup(path);
    if (!tt_file_exists(path)) {
        if (optional) {
            (*out)->models = json_object();
            return TT_OK;
        }
        registry_free(*out);
        *out = NULL;
        return tt_fail(err, TT_ERR_IO, "model registry '%s' does not exist", path);
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    int rc = TT_OK;
    if (!root) rc = tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    else if (!json_is_object(json_object_get(root, "models")))
        rc = tt_fail(err, TT_ERR_PARSE, "%s: top level needs an object 'models'", path);
    if (rc == TT_OK) {
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(root, "models"), name, v) {
            if (!json_is_object(v) || !json_is_string(json_object_get(v, "spec"))) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: model '%s' needs a string field 'spec'", path, name);
                break;
            }
            if (json_object_get(v, "api_key")) {
                rc = tt_fail(err, TT_ERR_PARSE,
                             "%s: model '%s' has an 'api_key': keys belong in the environment; name the variable with 'api_key_env'",
                             path, name);
                break;
            }
        }
    }
    if (rc != TT_OK) {
        json_decref(root);
        registry_free(*out);
        *out = NULL;
        return rc;
    }
    (*out)->models = json_incref(json_object_get(root, "models"));
    json_decref(root);
    return TT_OK;
}

void registry_free(registry *r)
{
    if (!r) return;
    json_decref(r->models);
    free(r->path);
    free(r);
}

static double num_or(json_t *o, const char *k, double dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* The settings a model takes (models.json entries, --model_args). */
static const char *const setting_names[] = {"spec", "base_url", "api_key_env", "threads", "max_concurrency", "rpm",
                                            "tpm", "timeout_s", "max_retries", "context_length", "price", "description"};
#define N_SETTINGS (sizeof setting_names / sizeof setting_names[0])

/* lm-eval's names of the same settings (lm_eval/models/api_models.py). */
static const char *setting_alias(const char *k)
{
    if (!strcmp(k, "num_concurrent")) return "max_concurrency";
    if (!strcmp(k, "timeout")) return "timeout_s";
    return k;
}

static int is_setting(const char *k)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (!strcmp(k, setting_names[i])) return 1;
    return k[0] == '_';
}

static int apply_one(registry_model *m, const char *k, json_t *v, const char *origin, char *err)
{
    int num = !strcmp(k, "threads") || !strcmp(k, "max_concurrency") || !strcmp(k, "rpm") || !strcmp(k, "tpm") ||
              !strcmp(k, "timeout_s") || !strcmp(k, "max_retries") || !strcmp(k, "context_length");
    if (num && !json_is_number(v)) return tt_fail(err, TT_ERR_USAGE, "%s: '%s' must be a number", origin, k);
    if ((!strcmp(k, "base_url") || !strcmp(k, "api_key_env") || !strcmp(k, "spec")) && !json_is_string(v))
        return tt_fail(err, TT_ERR_USAGE, "%s: '%s' must be a string", origin, k);
    double d = num ? json_number_value(v) : 0;
    if (!strcmp(k, "base_url")) {
        free(m->base_url);
        m->options.base_url = m->base_url = tt_strdup(json_string_value(v));
    } else if (!strcmp(k, "api_key_env")) {
        free(m->api_key_env);
        m->options.api_key_env = m->api_key_env = tt_strdup(json_string_value(v));
    } else if (!strcmp(k, "threads")) m->options.threads = (int)d;
    else if (!strcmp(k, "max_concurrency")) m->options.max_concurrency = (int)d;
    else if (!strcmp(k, "rpm")) m->options.rpm_limit = d;
    else if (!strcmp(k, "tpm")) m->options.tpm_limit = d;
    else if (!strcmp(k, "timeout_s")) m->options.timeout_s = d;
    else if (!strcmp(k, "max_retries")) m->options.max_retries = (int)d;
    else if (!strcmp(k, "context_length")) m->options.context_length = (int)d;
    else if (!strcmp(k, "price") && json_is_object(v)) {
        m->price_input_per_mtok = num_or(v, "input_per_mtok", -1);
        m->price_output_per_mtok = num_or(v, "output_per_mtok", -1);
    }
    return TT_OK;
}

int registry_model_apply(registry_model *m, const json_t *params, const char *origin, char *err)
{
    if (!json_is_object(params)) return tt_fail(err, TT_ERR_USAGE, "%s: model settings must be an object", origin);
    const char *k;
    json_t *v;
    json_t *merged = m->params_json ? json_loads(m->params_json, 0, NULL) : NULL;
    if (!json_is_object(merged)) {
        json_decref(merged);
        merged = json_object();
    }
    int rc = TT_OK;
    json_object_foreach((json_t *)params, k, v) {
        const char *name = setting_alias(k);
        if (!is_setting(name)) {
            const char *near = tt_suggest(name, setting_names, N_SETTINGS);
            rc = tt_fail(err, TT_ERR_USAGE, "%s: '%s' is not a model setting%s%s%s (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         origin, k, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "",
                         "base_url", "api_key_env", "threads", "max_concurrency", "rpm", "tpm", "timeout_s",
                         "max_retries", "context_length");
            break;
        }
        if (!strcmp(name, "spec") && m->spec) continue;   /* a name's spec stays */
        if ((rc = apply_one(m, name, v, origin, err)) != TT_OK) break;
        json_object_set(merged, name, v);
    }
    if (rc == TT_OK) {
        free(m->params_json);
        m->params_json = json_dumps(merged, JSON_COMPACT | JSON_SORT_KEYS);
    }
    json_decref(merged);
    return rc;
}

/* lm-eval's model types (lm_eval/models/) and what Tianti does instead. */
static const char *lmeval_hint(const char *name)
{
    static const char *const types[] = {"hf", "huggingface", "vllm", "sglang", "hf-multimodal", "vllm-vlm",
                                        "local-completions", "local-chat-completions", "openai-completions",
                                        "openai-chat-completions", "gguf", "ggml"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(name, types[i]))
            return " ('%s' is an lm-evaluation-harness model type: Tianti runs GGUF files with glm:FILE.gguf and "
                   "servers with openai:MODEL (vLLM, llama.cpp, SGLang, tianti serve; base URL from models.json, "
                   "--model_args base_url=URL or OPENAI_BASE_URL)";
    return NULL;
}

/* "model 'x' is neither in the registry nor a spec", with the nearest
 * registry name. */
static int unknown_model(const registry *r, const char *name, char *err)
{
    size_t n = r ? json_object_size(r->models) : 0;
    const char **names = tt_calloc(n + 1, sizeof *names);
    size_t k = 0;
    const char *key;
    json_t *v;
    if (r) json_object_foreach(r->models, key, v) names[k++] = key;
    const char *near = tt_suggest(name, names, k);
    const char *hint = lmeval_hint(name);
    int rc;
    if (near)
        rc = tt_fail(err, TT_ERR_USAGE, "model '%s' is neither in %s nor a spec like glm:FILE.gguf; did you mean '%s'?",
                     name, r && r->path ? r->path : "models.json", near);
    else if (hint) {
        char h[400];
        snprintf(h, sizeof h, hint, name);
        rc = tt_fail(err, TT_ERR_USAGE, "model '%s' is not a spec like glm:FILE.gguf%s)", name, h);
    } else
        rc = tt_fail(err, TT_ERR_USAGE, "model '%s' is neither in %s nor a spec like glm:FILE.gguf or openai:MODEL", name,
                     r && r->path ? r->path : "models.json");
    free(names);
    return rc;
}

int registry_resolve(const registry *r, const char *name, registry_model *out, char *err)
{
    memset(out, 0, sizeof *out);
    engine_options_default(&out->options);
    out->price_input_per_mtok = out->price_output_per_mtok = -1;
    json_t *entry = r ? json_object_get(r->models, name) : NULL;
    if (!entry) {
        if (!strchr(name, ':')) return unknown_model(r, name, err);
        out->name = tt_strdup(name);
        out->spec = tt_strdup(name);
        return TT_OK;
    }
    out->name = tt_strdup(name);
    out->spec = tt_strdup(json_string_value(json_object_get(entry, "spec")));
    char origin[600];
    snprintf(origin, sizeof origin, "%s: model '%s'", r->path ? r->path : "models.json", name);
    int rc = registry_model_apply(out, entry, origin, err);
    /* a mistake in the file, not on the command line */
    if (rc == TT_ERR_USAGE) rc = TT_ERR_PARSE;
    if (rc) registry_model_clear(out);
    return rc;
}

void registry_model_clear(registry_model *m)
{
    free(m->name);
    free(m->spec);
    free(m->base_url);
    free(m->api_key_env);
    free(m->params_json);
    memset(m, 0, sizeof *m);
}
