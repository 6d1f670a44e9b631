/*
 * registry.c — models.json parsing and name resolution (see registry.h).
 *
 * The file is read whole (at most REGISTRY_MAX_BYTES, a regular file only)
 * and checked whole when loaded: every entry, every key, every type and
 * range, so that a typo in any model ("rpm": -5, "timeout_s": "10",
 * "max_concurency") is an error naming the file, the model and the key —
 * never a setting silently ignored. Keys starting with '_' are comments.
 */
#include "engines/registry.h"
#include "core/redact.h"
#include "core/share.h"
#include "core/suggest.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_MAX_BYTES ((size_t)4 << 20)

struct registry {
    json_t *models;   /* object name -> entry */
    char *path;
};

char *registry_default_path(const char *explicit_path)
{
    if (explicit_path) return tt_strdup(explicit_path);
    if (tt_file_exists("models.json")) return tt_strdup("models.json");
    char *shipped = tt_share_find("models.json");
    return shipped ? shipped : tt_strdup("models.json");
}

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
    char *text = NULL;
    size_t len = 0;
    int rc = tt_read_file_max(path, REGISTRY_MAX_BYTES, &text, &len, err);
    json_t *root = NULL;
    if (rc == TT_OK) {
        json_error_t je;
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) rc = tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    }
    free(text);
    if (rc == TT_OK && !json_is_object(root))
        rc = tt_fail(err, TT_ERR_PARSE, "%s: the top level must be an object {\"models\": {...}}", path);
    if (rc == TT_OK) {
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
            if (strcmp(k, "models") && k[0] != '_') {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: unknown top-level key '%s' (the file holds 'models'; keys starting "
                                                "with '_' are comments)", path, k);
                break;
            }
        }
    }
    if (rc == TT_OK && !json_is_object(json_object_get(root, "models")))
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
            /* the key its variable holds is redacted everywhere from now on */
            json_t *ke = json_object_get(v, "api_key_env");
            if (json_is_string(ke)) tt_redact_add_env(json_string_value(ke));
            /* every entry checked now, not only the one asked for */
            registry_model m;
            memset(&m, 0, sizeof m);
            engine_options_default(&m.options);
            char origin[600];
            snprintf(origin, sizeof origin, "%s: model '%s'", path, name);
            rc = registry_model_apply(&m, v, origin, err);
            registry_model_clear(&m);
            if (rc) {
                rc = TT_ERR_PARSE;
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

/* The settings a model takes (models.json entries, --model_args). */
static const char *const setting_names[] = {"spec", "base_url", "api_key_env", "threads", "max_concurrency", "rpm",
                                            "tpm", "timeout_s", "max_retries", "context_length", "price", "description",
                                            "max_tokens_param", "omit_sampling", "reasoning_effort"};
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

/* A whole number in [lo, hi] (1.0 counts as 1). */
static int get_int(const json_t *v, long lo, long hi, const char *origin, const char *k, int *out, char *err)
{
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!json_is_number(v) || !isfinite(d) || d != floor(d))
        return tt_fail(err, TT_ERR_USAGE, "%s: '%s' must be a whole number", origin, k);
    if (d < (double)lo || d > (double)hi)
        return tt_fail(err, TT_ERR_USAGE, "%s: '%s' is %g; it must be between %ld and %ld", origin, k, d, lo, hi);
    *out = (int)d;
    return TT_OK;
}

/* A number in [lo, hi] (above lo when open_lo). */
static int get_num(const json_t *v, double lo, int open_lo, double hi, const char *origin, const char *k, double *out,
                   char *err)
{
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!json_is_number(v) || !isfinite(d)) return tt_fail(err, TT_ERR_USAGE, "%s: '%s' must be a number", origin, k);
    if (d < lo || (open_lo && d == lo) || d > hi)
        return tt_fail(err, TT_ERR_USAGE, "%s: '%s' is %g; it must be %s %g and at most %g", origin, k, d,
                       open_lo ? "above" : "at least", lo, hi);
    *out = d;
    return TT_OK;
}

static int is_env_name(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_')) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static int apply_one(registry_model *m, const char *k, json_t *v, const char *origin, char *err)
{
    int rc = TT_OK, i = 0;
    double d = 0;
    if ((!strcmp(k, "base_url") || !strcmp(k, "api_key_env") || !strcmp(k, "spec") || !strcmp(k, "description")) &&
        !json_is_string(v))
        return tt_fail(err, TT_ERR_USAGE, "%s: '%s' must be a string", origin, k);
    if (!strcmp(k, "spec")) {
        rc = engine_spec_check(json_string_value(v), err);
        if (rc) {
            char inner[TT_ERR_SIZE];
            snprintf(inner, sizeof inner, "%s", err);
            return tt_fail(err, TT_ERR_USAGE, "%s: 'spec': %s", origin, inner);
        }
        if (!m->spec) m->spec = tt_strdup(json_string_value(v));
    } else if (!strcmp(k, "description")) {
        /* for people */
    } else if (!strcmp(k, "base_url")) {
        const char *u = json_string_value(v);
        if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
            return tt_fail(err, TT_ERR_USAGE, "%s: 'base_url' '%.200s' is not an http:// or https:// URL", origin, u);
        free(m->base_url);
        m->options.base_url = m->base_url = tt_strdup(u);
    } else if (!strcmp(k, "api_key_env")) {
        if (!is_env_name(json_string_value(v)))
            return tt_fail(err, TT_ERR_USAGE, "%s: 'api_key_env' must name an environment variable (letters, digits, _), "
                                              "not hold a key", origin);
        free(m->api_key_env);
        m->options.api_key_env = m->api_key_env = tt_strdup(json_string_value(v));
        tt_redact_add_env(m->api_key_env);
    } else if (!strcmp(k, "threads")) {
        if ((rc = get_int(v, 0, 4096, origin, k, &i, err)) == TT_OK) m->options.threads = i;
    } else if (!strcmp(k, "max_concurrency")) {
        if ((rc = get_int(v, 1, 4096, origin, k, &i, err)) == TT_OK) m->options.max_concurrency = i;
    } else if (!strcmp(k, "max_retries")) {
        if ((rc = get_int(v, 0, 100, origin, k, &i, err)) == TT_OK) m->options.max_retries = i;
    } else if (!strcmp(k, "context_length")) {
        if ((rc = get_int(v, 0, 1 << 24, origin, k, &i, err)) == TT_OK) m->options.context_length = i;
    } else if (!strcmp(k, "rpm")) {
        if ((rc = get_num(v, 0, 0, 1e9, origin, k, &d, err)) == TT_OK) m->options.rpm_limit = d;
    } else if (!strcmp(k, "tpm")) {
        if ((rc = get_num(v, 0, 0, 1e12, origin, k, &d, err)) == TT_OK) m->options.tpm_limit = d;
    } else if (!strcmp(k, "timeout_s")) {
        if ((rc = get_num(v, 0, 1, 86400, origin, k, &d, err)) == TT_OK) m->options.timeout_s = d;
    } else if (!strcmp(k, "max_tokens_param")) {
        const char *p = json_string_value(v);
        if (!p || (strcmp(p, "max_tokens") && strcmp(p, "max_completion_tokens")))
            return tt_fail(err, TT_ERR_USAGE, "%s: 'max_tokens_param' must be \"max_tokens\" or \"max_completion_tokens\" "
                                              "(reasoning models)", origin);
        free(m->max_tokens_param);
        m->options.max_tokens_param = m->max_tokens_param = tt_strdup(p);
    } else if (!strcmp(k, "omit_sampling")) {
        if (!json_is_boolean(v)) return tt_fail(err, TT_ERR_USAGE, "%s: 'omit_sampling' must be true or false", origin);
        m->options.omit_sampling = json_is_true(v);
    } else if (!strcmp(k, "reasoning_effort")) {
        const char *p = json_string_value(v);
        if (!p || !*p || strlen(p) > 32)
            return tt_fail(err, TT_ERR_USAGE, "%s: 'reasoning_effort' must be a short string (minimal, low, medium, high)",
                           origin);
        free(m->reasoning_effort);
        m->options.reasoning_effort = m->reasoning_effort = tt_strdup(p);
    } else if (!strcmp(k, "price")) {
        if (!json_is_object(v))
            return tt_fail(err, TT_ERR_USAGE, "%s: 'price' must be an object {\"input_per_mtok\": N, \"output_per_mtok\": N}",
                           origin);
        const char *pk;
        json_t *pv;
        double in = -1, out = -1;
        json_object_foreach(v, pk, pv) {
            char what[64];
            snprintf(what, sizeof what, "price.%s", pk);
            if (!strcmp(pk, "input_per_mtok")) rc = get_num(pv, 0, 0, 1e9, origin, what, &in, err);
            else if (!strcmp(pk, "output_per_mtok")) rc = get_num(pv, 0, 0, 1e9, origin, what, &out, err);
            else if (pk[0] != '_')
                rc = tt_fail(err, TT_ERR_USAGE, "%s: '%s' is not a price (input_per_mtok, output_per_mtok)", origin, what);
            if (rc) return rc;
        }
        m->price_input_per_mtok = in;
        m->price_output_per_mtok = out;
    }
    return rc;
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
        if (name[0] == '_') continue;   /* a comment */
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
    free(m->max_tokens_param);
    free(m->reasoning_effort);
    free(m->params_json);
    memset(m, 0, sizeof *m);
}

void registry_price_from_params(const char *params_json, double *in, double *out)
{
    *in = *out = -1;
    json_t *p = params_json ? json_loads(params_json, 0, NULL) : NULL;
    json_t *price = json_object_get(p, "price");
    json_t *i = json_object_get(price, "input_per_mtok"), *o = json_object_get(price, "output_per_mtok");
    if (json_is_number(i) && json_number_value(i) >= 0) *in = json_number_value(i);
    if (json_is_number(o) && json_number_value(o) >= 0) *out = json_number_value(o);
    json_decref(p);
}

double registry_cost_usd(double price_input_per_mtok, double price_output_per_mtok, long prompt_tokens,
                         long completion_tokens)
{
    if (price_input_per_mtok < 0 || price_output_per_mtok < 0) return NAN;
    return (double)prompt_tokens * price_input_per_mtok / 1e6 + (double)completion_tokens * price_output_per_mtok / 1e6;
}
