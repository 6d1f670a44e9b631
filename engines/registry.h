/*
 * registry.h — models.json: short names for model specs, with the
 * parameters that go with them (engine options, prices).
 *
 *   {"models": {
 *      "tiny-q4": {"spec": "glm:models/tianti-tiny.gguf@q4_0", "threads": 2},
 *      "gpt-4o-mini": {"spec": "openai:gpt-4o-mini", "api_key_env": "OPENAI_API_KEY",
 *                      "max_concurrency": 4, "rpm": 500, "tpm": 200000,
 *                      "price": {"input_per_mtok": 0.15, "output_per_mtok": 0.60}},
 *      "o3-mini": {"spec": "openai:o3-mini", "max_tokens_param": "max_completion_tokens",
 *                  "omit_sampling": true, "reasoning_effort": "low",
 *                  "price": {"input_per_mtok": 1.10, "output_per_mtok": 4.40}}}}
 *
 * Reasoning models (o-series) refuse max_tokens, temperature and top_p:
 * max_tokens_param names the output-token limit ("max_completion_tokens"),
 * omit_sampling drops temperature and top_p, reasoning_effort is passed on.
 * Their reasoning tokens are part of completion_tokens and priced as output.
 *
 * A key is never stored in this file, only the name of the environment
 * variable that holds it. The runner stores params_json (these fields, no
 * secret) with the model.
 */
#ifndef TIANTI_REGISTRY_H
#define TIANTI_REGISTRY_H

#include "engines/engine.h"

#include <jansson.h>

typedef struct registry_model {
    char *name;            /* display name (the registry key, or the spec) */
    char *spec;            /* engine spec */
    engine_options options;
    char *base_url;        /* owned copies behind options' pointers */
    char *api_key_env;
    char *max_tokens_param;        /* reasoning models: owned copies behind options' pointers */
    char *reasoning_effort;
    double price_input_per_mtok;   /* USD per million input tokens; < 0 unknown */
    double price_output_per_mtok;
    char *params_json;     /* the entry as JSON, for the store */
} registry_model;

typedef struct registry registry;

/* The registry to use when none is named: ./models.json when it exists,
 * else the shipped one (models.json in the share folders, core/share.h:
 * tiny-f32 ... tiny-q4_0), else "models.json" (then absent). explicit, when
 * non-NULL, is returned as it is. Caller frees. */
char *registry_default_path(const char *explicit_path);

/* Loads path. A missing file is an empty registry when optional is set.
 * Caller frees with registry_free(). */
int registry_load(const char *path, int optional, registry **out, char *err);
void registry_free(registry *r);

/* Resolves a name from the registry, or else treats it as a spec
 * ("KIND:ARG"). Fills *out (free with registry_model_clear). A name that is
 * neither is a usage error naming the nearest registry name; an entry with
 * a key that is not a setting is an error naming the file. */
int registry_resolve(const registry *r, const char *name_or_spec, registry_model *out, char *err);

/* Applies settings in models.json's shape (base_url, api_key_env, threads,
 * max_concurrency, rpm, tpm, timeout_s, max_retries, context_length,
 * price, max_tokens_param, omit_sampling, reasoning_effort; lm-eval's num_concurrent and timeout too) over m's, and records
 * them in m->params_json: `tianti run --model_args`. origin names where
 * they came from, for messages. An unknown key is TT_ERR_USAGE with the
 * nearest setting named. */
int registry_model_apply(registry_model *m, const json_t *params, const char *origin, char *err);
void registry_model_clear(registry_model *m);

/* The price a model's stored settings (params_json, as registry_model's)
 * give: *in and *out in USD per million tokens, -1 when not given. */
void registry_price_from_params(const char *params_json, double *in, double *out);
/* Cost in USD of prompt_tokens at the input price and completion_tokens
 * (a reasoning model's thinking included: OpenAI bills it as output) at
 * the output price; NAN when either price is unknown (< 0). */
double registry_cost_usd(double price_input_per_mtok, double price_output_per_mtok, long prompt_tokens,
                         long completion_tokens);

#endif
