/*
 * request_json.c — see request_json.h. Uses jansson with sorted keys and
 * compact output so that the JSON text is a stable identity.
 */
#include "engines/request_json.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"generate", "chat", "loglikelihood", "loglikelihood_rolling"};

const char *engine_request_kind_name(enum engine_request_kind kind)
{
    if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0]) return kind_names[kind];
    return "unknown";
}

int engine_request_kind_parse(const char *name, enum engine_request_kind *kind)
{
    for (unsigned i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (enum engine_request_kind)i;
            return 0;
        }
    return -1;
}

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(j);
    char *out = tt_strdup(s ? s : "null");
    free(s);
    return out;
}

static json_t *question_json(const engine_request *req)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(engine_request_kind_name(req->kind)));
    if (req->kind == ENGINE_REQ_CHAT) {
        json_t *msgs = json_array();
        for (int i = 0; i < req->n_messages; i++) {
            json_t *m = json_object();
            json_object_set_new(m, "role", json_string(req->messages[i].role ? req->messages[i].role : "user"));
            json_object_set_new(m, "content", json_string(req->messages[i].content ? req->messages[i].content : ""));
            if (req->messages[i].image_b64) {
                /* The image itself can be large: identify it by its hash. */
                char hex[65];
                tt_sha256_hex(req->messages[i].image_b64, strlen(req->messages[i].image_b64), hex);
                json_object_set_new(m, "image_sha256", json_string(hex));
            }
            json_array_append_new(msgs, m);
        }
        json_object_set_new(o, "messages", msgs);
    } else {
        json_object_set_new(o, "context", json_string(req->context ? req->context : ""));
    }
    if (req->kind == ENGINE_REQ_LOGLIKELIHOOD)
        json_object_set_new(o, "continuation", json_string(req->continuation ? req->continuation : ""));
    return o;
}

char *engine_request_match_key(const engine_request *req) { return dump(question_json(req)); }

char *engine_request_to_json(const engine_request *req)
{
    json_t *o = question_json(req);
    if (req->kind == ENGINE_REQ_GENERATE || req->kind == ENGINE_REQ_CHAT) {
        const engine_gen_params *g = &req->gen;
        json_t *gen = json_object();
        json_t *until = json_array();
        for (int i = 0; i < g->n_until; i++) json_array_append_new(until, json_string(g->until[i]));
        json_object_set_new(gen, "until", until);
        json_object_set_new(gen, "max_tokens", json_integer(g->max_tokens));
        json_object_set_new(gen, "temperature", json_real(g->temperature));
        json_object_set_new(gen, "top_p", json_real(g->top_p));
        json_object_set_new(gen, "top_k", json_integer(g->top_k));
        json_object_set_new(gen, "seed", json_integer((json_int_t)g->seed));
        json_object_set_new(gen, "n", json_integer(g->n > 1 ? g->n : 1));
        json_object_set_new(gen, "logprobs", json_integer(g->logprobs));
        json_object_set_new(o, "gen", gen);
    }
    return dump(o);
}

char *engine_response_to_json(const engine_response *r)
{
    json_t *o = json_object();
    if (r->text) json_object_set_new(o, "text", json_string(r->text));
    if (r->n_texts > 0) {
        json_t *a = json_array();
        for (int i = 0; i < r->n_texts; i++) json_array_append_new(a, json_string(r->texts[i] ? r->texts[i] : ""));
        json_object_set_new(o, "texts", a);
    }
    json_object_set_new(o, "logprob", json_real(r->logprob));
    /* tri-state: true, false, or null when unknown (engine.h) */
    json_object_set_new(o, "is_greedy", r->is_greedy < 0 ? json_null() : json_boolean(r->is_greedy));
    if (r->truncated > 0) json_object_set_new(o, "truncated", json_integer(r->truncated));
    json_object_set_new(o, "n_tokens", json_integer(r->n_tokens));
    json_object_set_new(o, "prompt_tokens", json_integer(r->prompt_tokens));
    json_object_set_new(o, "completion_tokens", json_integer(r->completion_tokens));
    if (r->reasoning_tokens > 0) json_object_set_new(o, "reasoning_tokens", json_integer(r->reasoning_tokens));
    json_object_set_new(o, "latency_s", json_real(r->latency_s));
    json_object_set_new(o, "first_token_s", json_real(r->first_token_s));
    if (r->finish_reason) json_object_set_new(o, "finish_reason", json_string(r->finish_reason));
    if (r->error) json_object_set_new(o, "error", json_string(r->error));
    return dump(o);
}

int engine_is_greedy_from_json(const json_t *v)
{
    if (json_is_true(v)) return 1;
    if (json_is_false(v)) return 0;
    return -1;
}

static char *opt_string(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? tt_strdup(json_string_value(v)) : NULL;
}

int engine_response_from_json(const char *text, engine_response *r, char *err)
{
    memset(r, 0, sizeof *r);
    r->prompt_tokens = r->completion_tokens = -1;
    r->first_token_s = -1;
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return tt_fail(err, TT_ERR_PARSE, "cached response is not a JSON object: %s", je.text);
    }
    r->text = opt_string(o, "text");
    json_t *texts = json_object_get(o, "texts");
    if (json_is_array(texts) && json_array_size(texts) > 0) {
        r->n_texts = (int)json_array_size(texts);
        r->texts = tt_calloc((size_t)r->n_texts, sizeof(char *));
        for (int i = 0; i < r->n_texts; i++) {
            const char *t = json_string_value(json_array_get(texts, (size_t)i));
            r->texts[i] = tt_strdup(t ? t : "");
        }
    }
    r->logprob = json_number_value(json_object_get(o, "logprob"));
    json_t *v;
    r->n_tokens = (int)json_integer_value(json_object_get(o, "n_tokens"));
    r->is_greedy = engine_is_greedy_from_json(json_object_get(o, "is_greedy"));
    if (json_is_integer(v = json_object_get(o, "truncated")) && json_integer_value(v) > 0)
        r->truncated = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(o, "prompt_tokens"))) r->prompt_tokens = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(o, "completion_tokens"))) r->completion_tokens = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(o, "reasoning_tokens")) && json_integer_value(v) > 0)
        r->reasoning_tokens = (int)json_integer_value(v);
    if (json_is_number(v = json_object_get(o, "latency_s"))) r->latency_s = json_number_value(v);
    if (json_is_number(v = json_object_get(o, "first_token_s"))) r->first_token_s = json_number_value(v);
    r->finish_reason = opt_string(o, "finish_reason");
    r->error = opt_string(o, "error");
    json_decref(o);
    return TT_OK;
}
