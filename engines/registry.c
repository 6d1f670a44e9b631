/*
 * registry.c — models.json parsing and name resolution (see registry.h).
 */
#include "engines/registry.h"
#include "core/share.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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

int registry_resolve(const registry *r, const char *name, registry_model *out, char *err)
{
    memset(out, 0, sizeof *out);
    engine_options_default(&out->options);
    out->price_input_per_mtok = out->price_output_per_mtok = -1;
    json_t *entry = r ? json_object_get(r->models, name) : NULL;
    if (!entry) {
        if (!strchr(name, ':'))
            return tt_fail(err, TT_ERR_USAGE, "model '%s' is neither in the registry nor a spec like glm:FILE.gguf", name);
        out->name = tt_strdup(name);
        out->spec = tt_strdup(name);
        return TT_OK;
    }
    out->name = tt_strdup(name);
    out->spec = tt_strdup(json_string_value(json_object_get(entry, "spec")));
    json_t *v;
    if (json_is_string(v = json_object_get(entry, "base_url"))) out->options.base_url = out->base_url = tt_strdup(json_string_value(v));
    if (json_is_string(v = json_object_get(entry, "api_key_env"))) out->options.api_key_env = out->api_key_env = tt_strdup(json_string_value(v));
    out->options.threads = (int)num_or(entry, "threads", 0);
    out->options.max_concurrency = (int)num_or(entry, "max_concurrency", 0);
    out->options.rpm_limit = num_or(entry, "rpm", 0);
    out->options.tpm_limit = num_or(entry, "tpm", 0);
    out->options.timeout_s = num_or(entry, "timeout_s", 0);
    out->options.max_retries = (int)num_or(entry, "max_retries", -1);
    out->options.context_length = (int)num_or(entry, "context_length", 0);
    json_t *price = json_object_get(entry, "price");
    if (json_is_object(price)) {
        out->price_input_per_mtok = num_or(price, "input_per_mtok", -1);
        out->price_output_per_mtok = num_or(price, "output_per_mtok", -1);
    }
    char *pj = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    out->params_json = tt_strdup(pj);
    free(pj);
    (void)err;
    return TT_OK;
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
