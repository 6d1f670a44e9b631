/*
 * glm_api.c — the engine shared by the two THUDM api.py protocols,
 * chatglm.c (`chatglm:URL`) and visualglm.c (`visualglm:URL`): turning
 * engine messages into [query, answer] history pairs, the sampling fields,
 * one POST through the shared HTTP client, and the engine object itself
 * (a server that refuses the model outright marks the engine dead). Each
 * protocol file only supplies a glm_api_protocol descriptor (glm_api.h).
 * Protocol: ChatGLM-6B api.py and VisualGLM-6B api.py (THUDM); docs/http.md.
 *
 * The protocol has no token counts, logprobs or streaming. The server
 * replaces a falsy temperature/top_p by its defaults, so greedy requests
 * send 0.01. max_length is the server's total token budget (prompt +
 * history + output), not an output limit: it is sent only when the caller
 * asks for more than the server's 2048 default would leave, and stop
 * strings and max_tokens are applied here as well as they can be (stop
 * strings exactly).
 */
#include "engines/http/glm_api.h"

#include "engines/http/http_client.h"
#include "core/util.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* [query, answer] with invalid UTF-8 made safe. */
static json_t *pair(const char *q, const char *a)
{
    json_t *p = json_array();
    json_array_append_new(p, http_json_text(q, strlen(q)));
    json_array_append_new(p, http_json_text(a, strlen(a)));
    return p;
}

/* Splits a CHAT request into history pairs plus the final user query (a
 * GENERATE request becomes its context with empty history). A leading
 * system message is prepended to the first user turn, as ChatGLM2's
 * openai_api.py does. If image is non-NULL it receives the last image
 * found in the messages. *history is a new reference; *merged_query (may
 * be NULL) backs *query and the caller frees it. Returns -1 with why set
 * when the messages cannot be expressed (no messages, last not user). */
static int glm_api_history(const engine_request *req, json_t **history, const char **query, const char **image,
                           char **merged_query, char *why)
{
    *history = NULL;
    *query = NULL;
    *merged_query = NULL;
    if (image) *image = NULL;
    if (req->kind == ENGINE_REQ_GENERATE) {
        *history = json_array();
        *query = req->context ? req->context : "";
        return 0;
    }
    if (req->kind != ENGINE_REQ_CHAT || req->n_messages <= 0) {
        snprintf(why, TT_ERR_SIZE, "request has no messages");
        return -1;
    }
    const engine_message *last = &req->messages[req->n_messages - 1];
    if (!last->role || strcmp(last->role, "user") != 0) {
        snprintf(why, TT_ERR_SIZE, "the last message must come from the user (got '%s')", last->role ? last->role : "");
        return -1;
    }
    json_t *h = json_array();
    const char *system = NULL;
    const char *pending = NULL;    /* user turn waiting for its answer */
    int first_user = 1;
    char *first_merged = NULL;
    for (int i = 0; i < req->n_messages - 1; i++) {
        const engine_message *m = &req->messages[i];
        const char *role = m->role ? m->role : "user";
        const char *c = m->content ? m->content : "";
        if (image && m->image_b64 && *m->image_b64) *image = m->image_b64;
        if (!strcmp(role, "system")) { system = c; continue; }
        if (!strcmp(role, "user")) {
            if (pending) {   /* two user turns in a row: pair with an empty answer */
                json_array_append_new(h, pair(pending, ""));
            }
            pending = c;
            if (first_user && system) {
                first_merged = tt_asprintf("%s\n\n%s", system, c);
                pending = first_merged;
            }
            first_user = 0;
            continue;
        }
        /* assistant */
        json_array_append_new(h, pair(pending ? pending : "", c));
        pending = NULL;
    }
    if (pending) json_array_append_new(h, pair(pending, ""));
    if (image && last->image_b64 && *last->image_b64) *image = last->image_b64;
    const char *q = last->content ? last->content : "";
    if (first_user && system) {
        *merged_query = tt_asprintf("%s\n\n%s", system, q);
        q = *merged_query;
    }
    /* first_merged is referenced by the pairs only through json copies */
    free(first_merged);
    *history = h;
    *query = q;
    return 0;
}

/* Adds temperature/top_p (never falsy) and max_length when needed. */
static void glm_api_params(json_t *body, const engine_gen_params *g)
{
    /* api.py replaces falsy values by its defaults: never send 0. */
    json_object_set_new(body, "temperature", json_real(g->temperature > 0.01 ? g->temperature : 0.01));
    json_object_set_new(body, "top_p", json_real(g->top_p > 0 && g->top_p < 1 ? g->top_p : (g->temperature > 0.01 ? 0.7 : 0.01)));
    if (g->max_tokens > 2048) json_object_set_new(body, "max_length", json_integer(g->max_tokens + 2048));
}

/* Validates URL (arg, else opt->base_url) and makes the client. */
static int glm_api_open_client(const char *kind, const char *arg, const engine_options *opt, http_client **hc,
                               char **url, char *err)
{
    const char *u = arg && *arg ? arg : opt->base_url;
    if (!u || !*u) return tt_fail(err, TT_ERR_USAGE, "%s engine needs a server URL (%s:http://HOST:PORT)", kind, kind);
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
        return tt_fail(err, TT_ERR_USAGE, "'%s' is not an http:// or https:// URL (%s:URL)", u, kind);
    char name[256];
    snprintf(name, sizeof name, "%s:%s", kind, u);
    int rc = http_engine_client(name, opt, NULL, 0, hc, err);
    if (rc) return rc;
    *url = tt_strdup(u);
    return TT_OK;
}

/* ---- call state ------------------------------------------------------------ */

typedef struct glm_state {
    const char *field;       /* "response" or "result" */
    char *text;
} glm_state;

static void glm_on_attempt(void *user, int attempt)
{
    (void)attempt;
    glm_state *s = user;
    free(s->text);
    s->text = NULL;
}

static int glm_check(void *user, const char *body, size_t len, int *retry, char *msg)
{
    glm_state *s = user;
    *retry = 1;
    if (!body || !len) { snprintf(msg, TT_ERR_SIZE, "empty reply body"); return 1; }
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) { snprintf(msg, TT_ERR_SIZE, "malformed JSON reply (%s at byte %d)", je.text, je.position); return 1; }
    json_t *st = json_object_get(j, "status");
    if (json_is_integer(st) && json_integer_value(st) != 200) {
        snprintf(msg, TT_ERR_SIZE, "reply status %lld", (long long)json_integer_value(st));
        json_decref(j);
        return 1;
    }
    const char *t = json_string_value(json_object_get(j, s->field));
    if (!t) {
        snprintf(msg, TT_ERR_SIZE, "reply has no string field '%s'", s->field);
        json_decref(j);
        return 1;
    }
    s->text = tt_strdup(t);
    json_decref(j);
    return 0;
}

/* Posts body and reads the string `field` from the reply into resp. A
 * recorded failure sets resp->error and returns TT_OK; *fatal and
 * TT_ERR_ENGINE when the server refuses the model outright. */
static int glm_api_post(http_client *hc, const char *url, json_t *body, const char *field, const engine_request *req,
                        engine_response *resp, int *fatal, char *err)
{
    *fatal = 0;
    char *js = json_dumps(body, JSON_COMPACT);
    glm_state s = {.field = field, .text = NULL};
    http_call_spec spec = {.method = "POST", .url = url, .body = js, .on_attempt = glm_on_attempt,
                           .check = glm_check, .user = &s, .tokens = (double)strlen(js) / 4 + 256};
    http_result res;
    double t0 = tt_now_s();
    int rc = http_call(hc, &spec, &res);
    free(js);
    resp->latency_s = tt_now_s() - t0;
    if (rc == TT_OK) {
        resp->text = s.text;
        s.text = NULL;
        if (req->on_token && resp->text && *resp->text)
            req->on_token(req->on_token_user, resp->text, strlen(resp->text));
        engine_apply_stop(resp->text, req->gen.until, req->gen.n_until);
        resp->finish_reason = tt_strdup("stop");
    } else if (res.cls == HTTP_CLASS_FATAL) {
        *fatal = 1;
        tt_fail(err, TT_ERR_ENGINE, "%s", res.error);
    } else {
        resp->error = tt_strdup(res.error);
    }
    free(s.text);
    http_result_free(&res);
    return *fatal ? TT_ERR_ENGINE : TT_OK;
}

/* ---- the engine ------------------------------------------------------------ */

typedef struct glm_api_engine {
    engine base;
    const glm_api_protocol *proto;
    http_client *http;
    char *url;
    pthread_mutex_t mu;
    int dead;
    char dead_msg[TT_ERR_SIZE];
} glm_api_engine;

static unsigned ga_caps(engine *e)
{
    return ((glm_api_engine *)e)->proto->caps;
}

static int ga_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    glm_api_engine *ge = (glm_api_engine *)e;
    const glm_api_protocol *p = ge->proto;
    pthread_mutex_lock(&ge->mu);
    int dead = ge->dead;
    pthread_mutex_unlock(&ge->mu);
    if (dead) return tt_fail(err, TT_ERR_ENGINE, "%s", ge->dead_msg);
    json_t *history;
    const char *query, *image = NULL;
    char *merged;
    char why[TT_ERR_SIZE];
    if (glm_api_history(req, &history, &query, p->images ? &image : NULL, &merged, why)) {
        resp->error = tt_strdup(why);
        return TT_OK;
    }
    json_t *body = json_object();
    json_object_set_new(body, p->query_field, http_json_text(query, strlen(query)));
    if (image) json_object_set_new(body, "image", http_json_text(image, strlen(image)));
    json_object_set_new(body, "history", history);
    glm_api_params(body, &req->gen);
    free(merged);
    int fatal;
    int rc = glm_api_post(ge->http, ge->url, body, p->reply_field, req, resp, &fatal, err);
    json_decref(body);
    if (fatal) {
        pthread_mutex_lock(&ge->mu);
        ge->dead = 1;
        snprintf(ge->dead_msg, sizeof ge->dead_msg, "%s", err);
        pthread_mutex_unlock(&ge->mu);
    }
    return rc;
}

static void ga_close(engine *e)
{
    glm_api_engine *ge = (glm_api_engine *)e;
    http_client_free(ge->http);
    free(ge->url);
    pthread_mutex_destroy(&ge->mu);
    free(ge);
}

static const engine_vtable glm_api_vt = {.caps = ga_caps, .complete = ga_complete, .close = ga_close};

int glm_api_open(const glm_api_protocol *proto, const char *arg, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    http_client *hc;
    char *url;
    int rc = glm_api_open_client(proto->kind, arg, opt, &hc, &url, err);
    if (rc) return rc;
    glm_api_engine *ge = tt_calloc(1, sizeof *ge);
    ge->base.vt = &glm_api_vt;
    ge->proto = proto;
    ge->http = hc;
    ge->url = url;
    ge->base.endpoint = tt_strdup(url);
    pthread_mutex_init(&ge->mu, NULL);
    *out = &ge->base;
    return TT_OK;
}
