/*
 * serve.c — the HTTP server behind `tianti serve` (contract, endpoints
 * and the concurrency design are in serve.h). Sections: error replies, the
 * slot semaphore, request parsing (OpenAI chat/completions, ChatGLM
 * api.py), reply building, streaming workers, and the routes given to the
 * server skeleton (core/httpd.h: listening, body limits, sending).
 */
#include "engines/serve/serve.h"
#include "engines/serve/serve_extra.h"

#include "engines/http/http_client.h"
#include "core/httpd.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERVE_MAX_N 16

struct serve_server {
    tt_httpd *http;
    engine *e;
    char *model_id;
    char *host;
    int port;
    int parallel;
    size_t max_body;
    int verbose;
    double created;
    /* engine slots */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;
    int workers;             /* live streaming workers */
    atomic_int stopping;
    atomic_long n_requests, n_engine, n_cancelled, next_id;
    serve_metrics *metrics;  /* GET /metrics (serve_extra.h) */
};

void serve_config_default(serve_config *c)
{
    memset(c, 0, sizeof *c);
    c->host = "127.0.0.1";
    c->port = 8000;
    c->parallel = 1;
    c->max_body = 1u << 20;
}

void serve_local_time(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- slots ------------------------------------------------------------------ */

/* Waits for a free engine slot; returns 0, or -1 when the server stops or
 * *cancelled becomes set while waiting. */
static int slot_acquire(serve_server *s, atomic_int *cancelled)
{
    pthread_mutex_lock(&s->mu);
    while (s->busy >= s->parallel && !s->stopping && !(cancelled && atomic_load(cancelled))) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    int ok = !s->stopping && !(cancelled && atomic_load(cancelled));
    if (ok) s->busy++;
    pthread_mutex_unlock(&s->mu);
    return ok ? 0 : -1;
}

static void slot_release(serve_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->busy--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- UTF-8 ---------------------------------------------------------------------- */

/* Engine text may hold invalid UTF-8 (byte tokens of a small model):
 * http_json_text() turns each invalid byte into U+FFFD. */
static json_t *jtext(const char *s, size_t n) { return http_json_text(s, n); }

static json_t *jstr(const char *s) { return jtext(s, s ? strlen(s) : 0); }

/* ---- replies -------------------------------------------------------------------- */

/* Replies go out through core/httpd (tt_httpd_send_json), dumped with
 * JSON_COMPACT | JSON_ENSURE_ASCII as set in serve_start. */

static json_t *error_json(const char *message, const char *type, const char *param, const char *code)
{
    json_t *e = json_object();
    json_object_set_new(e, "message", jstr(message));
    json_object_set_new(e, "type", json_string(type));
    json_object_set_new(e, "param", param ? json_string(param) : json_null());
    json_object_set_new(e, "code", code ? json_string(code) : json_null());
    json_t *o = json_object();
    json_object_set_new(o, "error", e);
    return o;
}

static int send_error(tt_httpd_req *r, unsigned status, const char *message, const char *param, const char *code)
{
    const char *type = status >= 500 ? "server_error" : "invalid_request_error";
    return tt_httpd_send_json(r, status, error_json(message, type, param, code));
}

/* A request-validation failure: HTTP status, message, param, code. */
typedef struct bad_req {
    unsigned status;
    char message[TT_ERR_SIZE];
    char param[64];
    const char *code;
} bad_req;

static int bad(bad_req *b, unsigned status, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int bad(bad_req *b, unsigned status, const char *param, const char *code, const char *fmt, ...)
{
    b->status = status;
    snprintf(b->param, sizeof b->param, "%s", param ? param : "");
    b->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->message, sizeof b->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int send_bad(tt_httpd_req *r, const bad_req *b)
{
    return send_error(r, b->status, b->message, b->param[0] ? b->param : NULL, b->code);
}

/* ---- request parsing -------------------------------------------------------------- */

/* One prompt of a completions request: text, or token ids (then text is
 * their detokenization, filled in before the engine runs). */
typedef struct prompt_item {
    char *text;
    int *ids;                /* NULL: a text prompt */
    int n_ids;
} prompt_item;

/* The parsed form of any of the three generation endpoints. */
typedef struct parsed_req {
    engine_request req;
    engine_message *msgs;
    char **owned;            /* strings the request points into */
    int n_owned;
    char *prompt;            /* completions: the prompt being answered (prompts[k].text, not owned) */
    prompt_item *prompts;    /* completions: every prompt ("prompt" may be a list) */
    int n_prompts;
    int stream;
    int include_usage;
    int logprobs;            /* chat: logprobs flag; completions: integer */
    int top_logprobs;
    int echo;
    int max_tokens_given;
    json_t *history;         /* ChatGLM: the input history (reference held) */
    json_t *body;            /* the request JSON that messages point into (reference held) */
    char *glm_prompt;
} parsed_req;

static char *own(parsed_req *p, char *s)
{
    p->owned = tt_realloc(p->owned, (size_t)(p->n_owned + 1) * sizeof *p->owned);
    p->owned[p->n_owned++] = s;
    return s;
}

static void parsed_free(parsed_req *p)
{
    for (int i = 0; i < p->n_owned; i++) free(p->owned[i]);
    free(p->owned);
    free(p->msgs);
    for (int i = 0; i < p->n_prompts; i++) {
        free(p->prompts[i].text);
        free(p->prompts[i].ids);
    }
    free(p->prompts);
    free(p->glm_prompt);
    if (p->history) json_decref(p->history);
    if (p->body) json_decref(p->body);
    memset(p, 0, sizeof *p);
}

static int check_known(json_t *body, const char *const *known, bad_req *b)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        int ok = 0;
        for (const char *const *q = known; *q; q++)
            if (!strcmp(*q, k)) { ok = 1; break; }
        if (!ok) return bad(b, 400, k, "unknown_parameter", "Unrecognized request argument supplied: %s", k);
    }
    return 0;
}

static int get_number(json_t *body, const char *name, double lo, double hi, double *out, bad_req *b)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return bad(b, 400, name, "invalid_type", "'%s' must be a number", name);
    double d = json_number_value(v);
    if (d < lo || d > hi) return bad(b, 400, name, "invalid_value", "'%s' must be between %g and %g (got %g)", name, lo, hi, d);
    *out = d;
    return 0;
}

static int get_int(json_t *body, const char *name, long long lo, long long hi, long long *out, bad_req *b)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v)) return bad(b, 400, name, "invalid_type", "'%s' must be an integer", name);
    long long d = json_integer_value(v);
    if (d < lo || d > hi) return bad(b, 400, name, "invalid_value", "'%s' must be between %lld and %lld (got %lld)", name, lo, hi, d);
    *out = d;
    return 0;
}

static int get_bool(json_t *body, const char *name, int *out, bad_req *b)
{
    json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return bad(b, 400, name, "invalid_type", "'%s' must be a boolean", name);
    *out = json_is_true(v);
    return 0;
}

/* Sampling fields common to chat and completions. */
static int parse_common(json_t *body, parsed_req *p, bad_req *b)
{
    engine_gen_params *g = &p->req.gen;
    g->temperature = 1.0;
    g->top_p = 1.0;
    if (get_number(body, "temperature", 0, 2, &g->temperature, b)) return -1;
    if (get_number(body, "top_p", 0, 1, &g->top_p, b)) return -1;
    long long v = -1;
    if (get_int(body, "max_tokens", 0, 1 << 20, &v, b)) return -1;
    if (get_int(body, "max_completion_tokens", 0, 1 << 20, &v, b)) return -1;
    if (v >= 0) { g->max_tokens = (int)v; p->max_tokens_given = 1; }
    v = 1;
    if (get_int(body, "n", 1, SERVE_MAX_N, &v, b)) return -1;
    g->n = (int)v;
    v = 0;
    if (get_int(body, "seed", INT64_MIN, INT64_MAX, &v, b)) return -1;
    g->seed = (uint64_t)v;
    v = 0;
    if (get_int(body, "top_k", 0, 1 << 20, &v, b)) return -1;
    g->top_k = (int)v;
    if (get_bool(body, "stream", &p->stream, b)) return -1;
    json_t *so = json_object_get(body, "stream_options");
    if (so && !json_is_null(so)) {
        if (!json_is_object(so)) return bad(b, 400, "stream_options", "invalid_type", "'stream_options' must be an object");
        if (get_bool(so, "include_usage", &p->include_usage, b)) return -1;
    }
    json_t *stop = json_object_get(body, "stop");
    if (json_is_string(stop)) {
        g->until[g->n_until++] = own(p, tt_strdup(json_string_value(stop)));
    } else if (json_is_array(stop)) {
        if (json_array_size(stop) > ENGINE_MAX_STOP)
            return bad(b, 400, "stop", "invalid_value", "at most %d stop sequences", ENGINE_MAX_STOP);
        size_t i;
        json_t *s;
        json_array_foreach(stop, i, s) {
            if (!json_is_string(s)) return bad(b, 400, "stop", "invalid_type", "'stop' must be a string or an array of strings");
            g->until[g->n_until++] = own(p, tt_strdup(json_string_value(s)));
        }
    } else if (stop && !json_is_null(stop)) {
        return bad(b, 400, "stop", "invalid_type", "'stop' must be a string or an array of strings");
    }
    json_t *m = json_object_get(body, "model");
    if (m && !json_is_string(m)) return bad(b, 400, "model", "invalid_type", "'model' must be a string");
    return 0;
}

static const char *const chat_fields[] = {
    "model", "messages", "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens",
    "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs",
    "user", "seed", "response_format", "service_tier", "store", "metadata", "top_k", "repetition_penalty",
    "parallel_tool_calls", "safety_identifier", "prompt_cache_key", NULL};

static const char *const completion_fields[] = {
    "model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options",
    "logprobs", "echo", "stop", "presence_penalty", "frequency_penalty", "best_of", "logit_bias", "user",
    "seed", "top_k", "repetition_penalty", NULL};

/* "data:image/png;base64,XXXX" -> XXXX (owned copy); NULL when not a data URL. */
static char *data_url_b64(const char *url)
{
    if (strncmp(url, "data:", 5) != 0) return NULL;
    const char *comma = strchr(url, ',');
    if (!comma) return NULL;
    const char *b64 = strstr(url, ";base64");
    if (!b64 || b64 > comma) return NULL;
    return tt_strdup(comma + 1);
}

/* response_format: plain text is what the engine gives; JSON output would
 * need decoding constrained to a grammar, which no engine here has, so
 * asking for it is refused rather than ignored. */
static int check_response_format(json_t *body, bad_req *b)
{
    json_t *rf = json_object_get(body, "response_format");
    if (!rf || json_is_null(rf)) return 0;
    const char *type = json_string_value(json_object_get(rf, "type"));
    if (!json_is_object(rf) || !type)
        return bad(b, 400, "response_format", "invalid_type", "'response_format' must be an object with a 'type'");
    if (!strcmp(type, "text")) return 0;
    return bad(b, 400, "response_format", "unsupported",
               "response_format '%s' is not supported: this server cannot constrain decoding to JSON, so it does not "
               "promise JSON output; ask for JSON in the messages and check the reply yourself", type);
}

static int parse_chat(json_t *body, unsigned caps, parsed_req *p, bad_req *b)
{
    if (check_known(body, chat_fields, b) || parse_common(body, p, b) || check_response_format(body, b)) return -1;
    if (get_bool(body, "logprobs", &p->logprobs, b)) return -1;
    long long tl = 0;
    if (get_int(body, "top_logprobs", 0, 20, &tl, b)) return -1;
    p->top_logprobs = (int)tl;
    if (json_object_get(body, "top_logprobs") && !json_is_null(json_object_get(body, "top_logprobs")) && !p->logprobs)
        return bad(b, 400, "top_logprobs", "invalid_value", "'top_logprobs' requires 'logprobs' to be true");
    json_t *msgs = json_object_get(body, "messages");
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return bad(b, 400, "messages", "invalid_value", "'messages' must be a non-empty array");
    size_t n = json_array_size(msgs);
    p->msgs = tt_calloc(n, sizeof *p->msgs);
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        char param[64];
        snprintf(param, sizeof param, "messages[%zu]", i);
        if (!json_is_object(m)) return bad(b, 400, param, "invalid_type", "'%s' must be an object", param);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!role || (strcmp(role, "system") && strcmp(role, "user") && strcmp(role, "assistant") && strcmp(role, "developer")))
            return bad(b, 400, param, "invalid_value", "'%s.role' must be system, developer, user or assistant", param);
        p->msgs[i].role = strcmp(role, "developer") ? role : "system";
        json_t *c = json_object_get(m, "content");
        if (json_is_string(c)) {
            p->msgs[i].content = json_string_value(c);
        } else if (json_is_array(c)) {
            tt_buf text;
            tt_buf_init(&text);
            tt_buf_append(&text, "", 0);
            size_t k;
            json_t *part;
            json_array_foreach(c, k, part) {
                const char *type = json_string_value(json_object_get(part, "type"));
                if (type && !strcmp(type, "text") && json_is_string(json_object_get(part, "text"))) {
                    tt_buf_puts(&text, json_string_value(json_object_get(part, "text")));
                } else if (type && !strcmp(type, "image_url")) {
                    json_t *iu = json_object_get(part, "image_url");
                    const char *url = json_is_string(iu) ? json_string_value(iu) : json_string_value(json_object_get(iu, "url"));
                    char *img = url ? data_url_b64(url) : NULL;
                    if (!img) {
                        tt_buf_free(&text);
                        return bad(b, 400, param, "invalid_image", "only data: URLs with base64 images are accepted");
                    }
                    if (!(caps & ENGINE_CAP_IMAGE)) {
                        free(img);
                        tt_buf_free(&text);
                        return bad(b, 400, param, "model_not_multimodal", "this model does not accept images");
                    }
                    p->msgs[i].image_b64 = own(p, img);
                } else {
                    tt_buf_free(&text);
                    return bad(b, 400, param, "invalid_type", "content parts must be text or image_url");
                }
            }
            p->msgs[i].content = own(p, tt_buf_detach(&text));
        } else if (json_is_null(c) && !strcmp(role, "assistant")) {
            p->msgs[i].content = "";
        } else {
            return bad(b, 400, param, "invalid_type", "'%s.content' must be a string or an array of parts", param);
        }
    }
    p->req.kind = ENGINE_REQ_CHAT;
    p->req.messages = p->msgs;
    p->req.n_messages = (int)n;
    if (p->logprobs) p->req.gen.logprobs = p->top_logprobs > 0 ? p->top_logprobs : 1;
    if (!(caps & ENGINE_CAP_CHAT)) return bad(b, 400, "messages", "unsupported", "this model cannot answer chat requests");
    return 0;
}

/* A token-id prompt: a JSON array of integers (ids are checked against the
 * vocabulary by the engine). */
static int ids_from_json(json_t *a, prompt_item *it, const char *where, bad_req *b)
{
    size_t n = json_array_size(a);
    if (n == 0) return bad(b, 400, "prompt", "invalid_value", "%s is an empty list of token ids", where);
    it->ids = tt_malloc(n * sizeof *it->ids);
    it->n_ids = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            return bad(b, 400, "prompt", "invalid_type", "%s[%zu] is not a token id (a non-negative integer)", where, i);
        it->ids[i] = (int)json_integer_value(v);
    }
    return 0;
}

/* "prompt" as OpenAI's completions API and llama-server take it: a string,
 * a list of strings, a list of token ids, or a list of lists of token ids. */
static int parse_prompts(json_t *pr, parsed_req *p, bad_req *b)
{
    static const char *const shape =
        "'prompt' must be a string, a list of strings, a list of token ids or a list of lists of token ids";
    if (json_is_string(pr)) {
        p->prompts = tt_calloc(1, sizeof *p->prompts);
        p->n_prompts = 1;
        p->prompts[0].text = tt_strdup(json_string_value(pr));
        return 0;
    }
    if (!json_is_array(pr) || json_array_size(pr) == 0) return bad(b, 400, "prompt", "invalid_type", "%s", shape);
    json_t *first = json_array_get(pr, 0);
    if (json_is_integer(first)) {   /* one prompt of ids */
        p->prompts = tt_calloc(1, sizeof *p->prompts);
        p->n_prompts = 1;
        return ids_from_json(pr, &p->prompts[0], "'prompt'", b);
    }
    size_t n = json_array_size(pr);
    if (n > SERVE_MAX_N) return bad(b, 400, "prompt", "invalid_value", "at most %d prompts per request", SERVE_MAX_N);
    p->prompts = tt_calloc(n, sizeof *p->prompts);
    p->n_prompts = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(pr, i);
        char where[32];
        snprintf(where, sizeof where, "'prompt'[%zu]", i);
        if (json_is_string(v) && json_is_string(first)) p->prompts[i].text = tt_strdup(json_string_value(v));
        else if (json_is_array(v) && json_is_array(first)) {
            if (ids_from_json(v, &p->prompts[i], where, b)) return -1;
        } else
            return bad(b, 400, "prompt", "invalid_type", "%s", shape);
    }
    return 0;
}

static int parse_completion(json_t *body, unsigned caps, parsed_req *p, bad_req *b)
{
    if (check_known(body, completion_fields, b) || parse_common(body, p, b)) return -1;
    if (!p->max_tokens_given) p->req.gen.max_tokens = 16;   /* the API's default */
    if (parse_prompts(json_object_get(body, "prompt"), p, b)) return -1;
    if (p->prompts[0].ids && !(caps & ENGINE_CAP_TOKEN_IDS))
        return bad(b, 400, "prompt", "unsupported", "this model does not take prompts as token ids");
    p->prompt = p->prompts[0].text;
    if (get_bool(body, "echo", &p->echo, b)) return -1;
    long long lp = -1;
    if (get_int(body, "logprobs", 0, 5, &lp, b)) return -1;
    p->logprobs = lp >= 0 ? 1 : 0;
    p->top_logprobs = lp > 0 ? (int)lp : 0;
    p->req.kind = ENGINE_REQ_GENERATE;
    p->req.context = p->prompt;
    if (p->logprobs) p->req.gen.logprobs = p->top_logprobs > 0 ? p->top_logprobs : 1;
    if (p->echo && p->logprobs && !(caps & (ENGINE_CAP_LOGLIKELIHOOD_ROLLING | ENGINE_CAP_LOGLIKELIHOOD)))
        return bad(b, 400, "echo", "unsupported", "this model cannot score prompt tokens (echo with logprobs)");
    if (p->req.gen.max_tokens > 0 && !(caps & ENGINE_CAP_GENERATE))
        return bad(b, 400, "prompt", "unsupported", "this model cannot continue a raw prompt");
    if (p->stream && p->echo && p->logprobs)
        return bad(b, 400, "stream", "unsupported", "'stream' cannot be combined with 'echo' and 'logprobs'");
    if (p->stream && p->n_prompts > 1)
        return bad(b, 400, "stream", "unsupported", "'stream' takes one prompt, not a list of %d", p->n_prompts);
    return 0;
}

static int parse_chatglm(json_t *body, unsigned caps, parsed_req *p, bad_req *b)
{
    const char *prompt = json_string_value(json_object_get(body, "prompt"));
    if (!prompt) return bad(b, 400, "prompt", "invalid_value", "'prompt' must be a string");
    engine_gen_params *g = &p->req.gen;
    /* api.py semantics: a missing or falsy value takes the default. */
    g->temperature = 0.95;
    g->top_p = 0.7;
    double d = 0;
    if (get_number(body, "temperature", 0, 100, &d, b)) return -1;
    if (d > 0) g->temperature = d;
    d = 0;
    if (get_number(body, "top_p", 0, 1, &d, b)) return -1;
    if (d > 0) g->top_p = d;
    /* Tianti's own clients send 0.01 for greedy decoding (0 would become
     * the default): treat such tiny temperatures as greedy. */
    if (g->temperature <= 0.01) g->temperature = 0;
    long long ml = 0;
    if (get_int(body, "max_length", 0, 1 << 20, &ml, b)) return -1;
    g->max_tokens = ml > 0 ? (int)ml : 2048;
    json_t *h = json_object_get(body, "history");
    if (h && !json_is_null(h) && !json_is_array(h))
        return bad(b, 400, "history", "invalid_type", "'history' must be an array of [query, response] pairs");
    size_t nh = json_is_array(h) ? json_array_size(h) : 0;
    p->msgs = tt_calloc(nh * 2 + 1, sizeof *p->msgs);
    int n = 0;
    for (size_t i = 0; i < nh; i++) {
        json_t *pair = json_array_get(h, i);
        const char *q = json_string_value(json_array_get(pair, 0)), *a = json_string_value(json_array_get(pair, 1));
        if (!json_is_array(pair) || json_array_size(pair) != 2 || !q || !a)
            return bad(b, 400, "history", "invalid_value", "history[%zu] must be a [query, response] pair of strings", i);
        p->msgs[n++] = (engine_message){.role = "user", .content = q};
        p->msgs[n++] = (engine_message){.role = "assistant", .content = a};
    }
    p->msgs[n++] = (engine_message){.role = "user", .content = prompt};
    p->history = json_is_array(h) ? json_incref(h) : json_array();
    p->glm_prompt = tt_strdup(prompt);
    p->req.kind = ENGINE_REQ_CHAT;
    p->req.messages = p->msgs;
    p->req.n_messages = n;
    if (!(caps & ENGINE_CAP_CHAT)) return bad(b, 400, "prompt", "unsupported", "this model cannot answer chat requests");
    return 0;
}

/* ---- reply building --------------------------------------------------------------------- */

static json_t *bytes_json(const char *s)
{
    json_t *a = json_array();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) json_array_append_new(a, json_integer(*p));
    return a;
}

static json_t *chat_logprobs_json(const engine_response *r, int top)
{
    if (!r->n_token_logprobs) return json_null();
    if (top > r->top_k || !r->top_logprobs) top = r->top_logprobs ? r->top_k : 0;
    json_t *content = json_array();
    for (int i = 0; i < r->n_token_logprobs; i++) {
        json_t *t = json_object();
        const char *tok = r->token_logprobs[i].token ? r->token_logprobs[i].token : "";
        json_object_set_new(t, "token", jstr(tok));
        json_object_set_new(t, "logprob", json_real(r->token_logprobs[i].logprob));
        json_object_set_new(t, "bytes", bytes_json(tok));
        json_t *alts = json_array();   /* empty when the engine gives no alternatives */
        for (int k = 0; k < top; k++) {
            const engine_top_logprob *a = &r->top_logprobs[(size_t)i * (size_t)r->top_k + (size_t)k];
            if (!a->token) continue;
            json_array_append_new(alts, json_pack("{s:o,s:f,s:o}", "token", jstr(a->token), "logprob", a->logprob,
                                                  "bytes", bytes_json(a->token)));
        }
        json_object_set_new(t, "top_logprobs", alts);
        json_array_append_new(content, t);
    }
    json_t *o = json_object();
    json_object_set_new(o, "content", content);
    json_object_set_new(o, "refusal", json_null());
    return o;
}

static json_t *usage_json(int prompt, int completion)
{
    if (prompt < 0 && completion < 0) return NULL;
    if (prompt < 0) prompt = 0;
    if (completion < 0) completion = 0;
    return json_pack("{s:i,s:i,s:i}", "prompt_tokens", prompt, "completion_tokens", completion, "total_tokens",
                     prompt + completion);
}

static json_t *envelope(serve_server *s, const char *object, const char *prefix, long id)
{
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "%s-%08lx%06lx", prefix, (long)s->created & 0xffffffffL, id);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(idbuf));
    json_object_set_new(o, "object", json_string(object));
    json_object_set_new(o, "created", json_integer((json_int_t)tt_wall_s()));
    json_object_set_new(o, "model", jstr(s->model_id));
    json_object_set_new(o, "system_fingerprint", json_string("tianti-" TIANTI_VERSION));
    return o;
}

static const char *sample_text(const engine_response *r, int i)
{
    if (r->n_texts > i && r->texts[i]) return r->texts[i];
    return i == 0 && r->text ? r->text : "";
}

/* Runs the engine for a non-streamed request. Returns 0, or -1 with b set. */
static int run_engine(serve_server *s, engine_request *req, engine_response *resp, bad_req *b)
{
    char err[TT_ERR_SIZE];
    if (slot_acquire(s, NULL)) return bad(b, 503, NULL, "server_shutting_down", "the server is shutting down");
    atomic_fetch_add(&s->n_engine, 1);
    int rc = engine_complete(s->e, req, resp, err);
    slot_release(s);
    if (rc != TT_OK) return bad(b, rc == TT_ERR_UNSUPPORTED ? 400 : 500, NULL, rc == TT_ERR_UNSUPPORTED ? "unsupported" : "engine_error", "%s", err);
    if (resp->error) return bad(b, 500, NULL, "engine_error", "%s", resp->error);
    serve_metrics_tokens(s->metrics, resp->prompt_tokens, resp->completion_tokens);
    return 0;
}

static json_t *chat_reply(serve_server *s, parsed_req *p, engine_response *r, long id)
{
    json_t *o = envelope(s, "chat.completion", "chatcmpl", id);
    json_t *choices = json_array();
    int n = p->req.gen.n > 1 ? p->req.gen.n : 1;
    for (int i = 0; i < n; i++) {
        json_t *msg = json_object();
        json_object_set_new(msg, "role", json_string("assistant"));
        json_object_set_new(msg, "content", jstr(sample_text(r, i)));
        json_object_set_new(msg, "refusal", json_null());
        json_t *ch = json_object();
        json_object_set_new(ch, "index", json_integer(i));
        json_object_set_new(ch, "message", msg);
        json_object_set_new(ch, "logprobs", p->logprobs && i == 0 ? chat_logprobs_json(r, p->top_logprobs) : json_null());
        json_object_set_new(ch, "finish_reason", json_string(r->finish_reason ? r->finish_reason : "stop"));
        json_array_append_new(choices, ch);
    }
    json_object_set_new(o, "choices", choices);
    json_t *u = usage_json(r->prompt_tokens, r->completion_tokens);
    if (u) json_object_set_new(o, "usage", u);
    return o;
}

/* Characters of s that start before byte i (continuation bytes are no
 * starts): OpenAI's text_offset counts characters, and a token that holds
 * the tail of a character split across tokens gets the offset after it. */
static size_t char_offset(const char *s, size_t i)
{
    size_t n = 0;
    for (size_t k = 0; k < i; k++) n += !tt_utf8_is_cont((unsigned char)s[k]);
    return n;
}

/* Appends the tokens of r (NULL: none) to a legacy logprobs object, their
 * raw bytes continuing text at byte *pos; a logprob that is NAN (not
 * scored: the first token of a prompt, tokens cut off) is null. With top > 0
 * each position's alternatives ({token: logprob}, null where none) go to tops. */
static void legacy_append(json_t *tokens, json_t *lps, json_t *offs, json_t *tops, int top, const engine_response *r,
                          const char *text, size_t text_len, size_t *pos)
{
    for (int i = 0; r && i < r->n_token_logprobs; i++) {
        const char *t = r->token_logprobs[i].token ? r->token_logprobs[i].token : "";
        double v = r->token_logprobs[i].logprob;
        json_array_append_new(tokens, jstr(t));
        json_array_append_new(lps, isfinite(v) ? json_real(v) : json_null());
        json_array_append_new(offs, json_integer((json_int_t)char_offset(text, *pos < text_len ? *pos : text_len)));
        *pos += strlen(t);
        if (top <= 0) continue;
        json_t *d = NULL;
        int k_have = r->top_logprobs ? (top < r->top_k ? top : r->top_k) : 0;
        for (int k = 0; k < k_have; k++) {
            const engine_top_logprob *a = &r->top_logprobs[(size_t)i * (size_t)r->top_k + (size_t)k];
            if (!a->token) continue;
            if (!d) d = json_object();
            char *key = tt_utf8_clean(a->token, strlen(a->token));
            if (!json_object_get(d, key)) json_object_set_new(d, key, json_real(a->logprob));
            free(key);
        }
        json_array_append_new(tops, d ? d : json_null());
    }
}

/* Legacy logprobs object {tokens, token_logprobs, top_logprobs, text_offset}
 * from the prompt scoring (may be NULL) and the output tokens (may be NULL),
 * text being the choice's text (the echoed prompt, then the output); top:
 * the alternatives asked for per position (0: top_logprobs is null). */
static json_t *legacy_logprobs(const engine_response *prompt, const engine_response *out, const char *text,
                               size_t out_offset, int top)
{
    json_t *tokens = json_array(), *lps = json_array(), *offs = json_array(), *tops = json_array();
    size_t pos = 0, len = strlen(text);
    legacy_append(tokens, lps, offs, tops, top, prompt, text, len, &pos);
    pos = out_offset;
    legacy_append(tokens, lps, offs, tops, top, out, text, len, &pos);
    json_t *o = json_object();
    json_object_set_new(o, "tokens", tokens);
    json_object_set_new(o, "token_logprobs", lps);
    if (top > 0) {
        json_object_set_new(o, "top_logprobs", tops);
    } else {
        json_decref(tops);
        json_object_set_new(o, "top_logprobs", json_null());
    }
    json_object_set_new(o, "text_offset", offs);
    return o;
}

/* Runs prompt k of a completions request: the echo scoring (when echo and
 * logprobs) into scored, the generation (when max_tokens > 0) into out. */
static int complete_prompt(serve_server *s, parsed_req *p, int k, engine_response *scored, int *have_scored,
                           engine_response *out, int *have_out, bad_req *b)
{
    prompt_item *it = &p->prompts[k];
    p->prompt = it->text;
    p->req.context = it->text;
    p->req.prompt_ids = it->ids;
    p->req.n_prompt_ids = it->n_ids;
    if (p->echo && p->logprobs) {
        engine_request rq;
        memset(&rq, 0, sizeof rq);
        unsigned caps = engine_caps(s->e);
        rq.gen.logprobs = p->top_logprobs;   /* alternatives per prompt position */
        rq.prompt_ids = it->ids;             /* ids: scored exactly as given */
        rq.n_prompt_ids = it->n_ids;
        if (caps & ENGINE_CAP_LOGLIKELIHOOD_ROLLING) {
            /* the prompt as the model reads a prompt (engine.h: echo), so that
             * a client splitting it at a context's end gets the engine's own
             * log-likelihood of the continuation (docs/scoring.md) */
            rq.kind = ENGINE_REQ_LOGLIKELIHOOD_ROLLING;
            rq.context = it->text;
            rq.echo = 1;
        } else {
            rq.kind = ENGINE_REQ_LOGLIKELIHOOD;
            rq.context = "";
            rq.continuation = it->text;
        }
        if (run_engine(s, &rq, scored, b)) return -1;
        *have_scored = 1;
        if (scored->n_token_logprobs == 0)
            return bad(b, 400, "echo", "unsupported", "this model scores prompts but gives no per-token logprobs");
    }
    if (p->req.gen.max_tokens > 0) {
        if (run_engine(s, &p->req, out, b)) return -1;
        *have_out = 1;
    }
    return 0;
}

/* The text of token-id prompts (what echo returns), from the engine's
 * tokenizer; special tokens rendered. */
static int prompt_texts(serve_server *s, parsed_req *p, bad_req *b)
{
    for (int k = 0; k < p->n_prompts; k++) {
        prompt_item *it = &p->prompts[k];
        if (!it->ids) continue;
        char err[TT_ERR_SIZE];
        if (engine_detokenize(s->e, it->ids, it->n_ids, 1, &it->text, err))
            return bad(b, 400, "prompt", "unsupported", "%s", err);
    }
    p->prompt = p->prompts[0].text;
    p->req.context = p->prompt;
    p->req.prompt_ids = p->prompts[0].ids;
    p->req.n_prompt_ids = p->prompts[0].n_ids;
    return 0;
}

static int handle_completion(serve_server *s, tt_httpd_req *c, parsed_req *p, long id)
{
    bad_req b;
    json_t *o = envelope(s, "text_completion", "cmpl", id);
    json_t *choices = json_array();
    int pt_total = 0, ct_total = 0, have_pt = 0, have_any_out = 0;
    for (int k = 0; k < p->n_prompts; k++) {
        engine_response scored, out;
        memset(&scored, 0, sizeof scored);
        memset(&out, 0, sizeof out);
        int have_scored = 0, have_out = 0;
        if (complete_prompt(s, p, k, &scored, &have_scored, &out, &have_out, &b)) {
            engine_response_free(&scored);
            engine_response_free(&out);
            json_decref(o);
            json_decref(choices);
            return send_bad(c, &b);
        }
        int n = have_out && p->req.gen.n > 1 ? p->req.gen.n : 1;
        for (int i = 0; i < n; i++) {
            const char *gen = have_out ? sample_text(&out, i) : "";
            char *text = tt_asprintf("%s%s", p->echo ? p->prompt : "", gen);
            json_t *ch = json_object();
            json_object_set_new(ch, "text", jstr(text));
            json_object_set_new(ch, "index", json_integer(k * (p->req.gen.n > 1 ? p->req.gen.n : 1) + i));
            if (p->logprobs && i == 0)
                json_object_set_new(ch, "logprobs",
                                    legacy_logprobs(have_scored ? &scored : NULL, have_out ? &out : NULL, text,
                                                    p->echo ? strlen(p->prompt) : 0, p->top_logprobs));
            else
                json_object_set_new(ch, "logprobs", json_null());
            json_object_set_new(ch, "finish_reason", json_string(have_out && out.finish_reason ? out.finish_reason : (have_out ? "stop" : "length")));
            json_array_append_new(choices, ch);
            free(text);
        }
        int pt = have_scored ? (scored.prompt_tokens > 0 ? scored.prompt_tokens : scored.n_tokens) : (have_out ? out.prompt_tokens : -1);
        if (pt >= 0) { pt_total += pt; have_pt = 1; }
        if (have_out) { ct_total += out.completion_tokens; have_any_out = 1; }
        engine_response_free(&scored);
        engine_response_free(&out);
    }
    json_object_set_new(o, "choices", choices);
    json_t *u = usage_json(have_pt ? pt_total : -1, have_any_out ? ct_total : 0);
    if (u) json_object_set_new(o, "usage", u);
    return tt_httpd_send_json(c, 200, o);
}

/* ---- streaming ------------------------------------------------------------------------------ */

typedef struct stream_job {
    serve_server *s;
    parsed_req p;
    int chat;                 /* chat.completion.chunk, else text_completion */
    long id;
    char idbuf[64];
    long created;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tt_buf out;               /* SSE bytes not yet sent */
    size_t off;
    int finished;
    atomic_int cancelled;
    int refs;
} stream_job;

static void job_unref(stream_job *j)
{
    pthread_mutex_lock(&j->mu);
    int left = --j->refs;
    pthread_mutex_unlock(&j->mu);
    if (left) return;
    parsed_free(&j->p);
    tt_buf_free(&j->out);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

static void job_emit(stream_job *j, json_t *chunk)
{
    char *text = chunk ? json_dumps(chunk, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (chunk) json_decref(chunk);
    pthread_mutex_lock(&j->mu);
    tt_buf_printf(&j->out, "data: %s\n\n", text ? text : "[DONE]");
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    free(text);
}

static json_t *chunk_base(stream_job *j)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->idbuf));
    json_object_set_new(o, "object", json_string(j->chat ? "chat.completion.chunk" : "text_completion"));
    json_object_set_new(o, "created", json_integer(j->created));
    json_object_set_new(o, "model", jstr(j->s->model_id));
    json_object_set_new(o, "system_fingerprint", json_string("tianti-" TIANTI_VERSION));
    return o;
}

static json_t *chunk_choice(stream_job *j, const char *piece, size_t len, int role, const char *finish)
{
    json_t *ch = json_object();
    json_object_set_new(ch, "index", json_integer(0));
    if (j->chat) {
        json_t *d = json_object();
        if (role) json_object_set_new(d, "role", json_string("assistant"));
        if (piece) json_object_set_new(d, "content", jtext(piece, len));
        json_object_set_new(ch, "delta", d);
    } else {
        json_object_set_new(ch, "text", jtext(piece ? piece : "", piece ? len : 0));
    }
    json_object_set_new(ch, "logprobs", json_null());
    json_object_set_new(ch, "finish_reason", finish ? json_string(finish) : json_null());
    json_t *o = chunk_base(j);
    json_t *arr = json_array();
    json_array_append_new(arr, ch);
    json_object_set_new(o, "choices", arr);
    return o;
}

/* Stop strings may only be known to match once more text arrives, so the
 * worker holds back text that could be the start of a stop string. */
typedef struct stream_gen {
    stream_job *j;
    tt_buf text;       /* all text so far */
    size_t sent;       /* bytes of text already emitted */
    int stopped;       /* a stop string matched */
} stream_gen;

static size_t safe_prefix(const stream_gen *g, const engine_gen_params *p)
{
    const char *t = tt_buf_str(&g->text);
    size_t n = g->text.len;
    size_t keep = n;
    for (int i = 0; i < p->n_until; i++) {
        const char *u = p->until[i];
        if (!u || !*u) continue;
        size_t ul = strlen(u);
        /* longest suffix of t that is a proper prefix of u */
        for (size_t k = ul - 1; k > 0; k--) {
            if (k <= n && !memcmp(t + n - k, u, k)) {
                if (n - k < keep) keep = n - k;
                break;
            }
        }
    }
    /* never split a UTF-8 sequence */
    if (keep < n) keep = tt_utf8_char_start(t, g->sent, keep);
    else keep = tt_utf8_complete_prefix(t, n);
    return keep;
}

static int stream_on_token(void *user, const char *piece, size_t len)
{
    stream_gen *g = user;
    stream_job *j = g->j;
    if (atomic_load(&j->cancelled) || j->s->stopping) return 1;
    if (g->stopped) return 1;
    tt_buf_append(&g->text, piece, len);
    const engine_gen_params *p = &j->p.req.gen;
    char *copy = tt_strndup(tt_buf_str(&g->text), g->text.len);
    if (engine_apply_stop(copy, p->until, p->n_until)) {
        size_t cut = strlen(copy);
        if (cut > g->sent) job_emit(j, chunk_choice(j, copy + g->sent, cut - g->sent, 0, NULL));
        g->sent = cut;
        g->stopped = 1;
        free(copy);
        return 1;
    }
    free(copy);
    size_t safe = safe_prefix(g, p);
    if (safe > g->sent) {
        job_emit(j, chunk_choice(j, tt_buf_str(&g->text) + g->sent, safe - g->sent, 0, NULL));
        g->sent = safe;
    }
    return 0;
}

static void *stream_worker(void *arg)
{
    stream_job *j = arg;
    serve_server *s = j->s;
    stream_gen g = {.j = j, .sent = 0, .stopped = 0};
    tt_buf_init(&g.text);
    if (j->chat) job_emit(j, chunk_choice(j, "", 0, 1, NULL));
    engine_response r;
    memset(&r, 0, sizeof r);
    char err[TT_ERR_SIZE] = "";
    int rc = TT_ERR_INTERRUPTED;
    if (slot_acquire(s, &j->cancelled) == 0) {
        atomic_fetch_add(&s->n_engine, 1);
        j->p.req.on_token = stream_on_token;
        j->p.req.on_token_user = &g;
        rc = engine_complete(s->e, &j->p.req, &r, err);
        slot_release(s);
    }
    if (atomic_load(&j->cancelled)) {
        atomic_fetch_add(&s->n_cancelled, 1);
    } else if (rc != TT_OK || r.error) {
        json_t *e = error_json(rc != TT_OK ? (err[0] ? err : "the server is shutting down") : r.error, "server_error",
                               NULL, "engine_error");
        job_emit(j, e);
        job_emit(j, NULL);
    } else {
        /* Text the engine returned but did not stream (or held back). */
        const char *final = r.text ? r.text : "";
        if (!g.stopped && strlen(final) > g.sent && !strncmp(final, tt_buf_str(&g.text), g.sent))
            job_emit(j, chunk_choice(j, final + g.sent, strlen(final) - g.sent, 0, NULL));
        serve_metrics_tokens(s->metrics, r.prompt_tokens, r.completion_tokens);
        const char *finish = g.stopped ? "stop" : (r.finish_reason ? r.finish_reason : "stop");
        job_emit(j, chunk_choice(j, NULL, 0, 0, finish));
        if (j->p.include_usage) {
            json_t *o = chunk_base(j);
            json_object_set_new(o, "choices", json_array());
            json_t *u = usage_json(r.prompt_tokens, r.completion_tokens);
            json_object_set_new(o, "usage", u ? u : json_null());
            job_emit(j, o);
        }
        job_emit(j, NULL);
    }
    engine_response_free(&r);
    tt_buf_free(&g.text);
    pthread_mutex_lock(&j->mu);
    j->finished = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
    pthread_mutex_lock(&s->mu);
    s->workers--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static ssize_t stream_reader(void *cls, char *buf, size_t max)
{
    stream_job *j = cls;
    pthread_mutex_lock(&j->mu);
    while (j->off == j->out.len && !j->finished) pthread_cond_wait(&j->cv, &j->mu);
    ssize_t n;
    if (j->off < j->out.len) {
        size_t k = j->out.len - j->off;
        if (k > max) k = max;
        memcpy(buf, j->out.data + j->off, k);
        j->off += k;
        if (j->off == j->out.len) {
            tt_buf_reset(&j->out);
            j->off = 0;
        }
        n = (ssize_t)k;
    } else {
        n = TT_HTTPD_STREAM_END;
    }
    pthread_mutex_unlock(&j->mu);
    return n;
}

static void stream_free(void *cls)
{
    stream_job *j = cls;
    atomic_store(&j->cancelled, 1);   /* no-op when the worker already finished */
    job_unref(j);
}

static int start_stream(serve_server *s, tt_httpd_req *c, parsed_req *p, int chat, long id)
{
    stream_job *j = tt_calloc(1, sizeof *j);
    j->s = s;
    j->p = *p;
    memset(p, 0, sizeof *p);
    j->chat = chat;
    j->id = id;
    j->created = (long)tt_wall_s();
    snprintf(j->idbuf, sizeof j->idbuf, "%s-%08lx%06lx", chat ? "chatcmpl" : "cmpl", (long)s->created & 0xffffffffL, id);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    tt_buf_init(&j->out);
    j->refs = 2;   /* the worker and the response */
    pthread_mutex_lock(&s->mu);
    s->workers++;
    pthread_mutex_unlock(&s->mu);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&t, &at, stream_worker, j) == 0;
    pthread_attr_destroy(&at);
    if (!started) {
        pthread_mutex_lock(&s->mu);
        s->workers--;
        pthread_mutex_unlock(&s->mu);
        j->refs = 1;
        job_unref(j);
        return send_error(c, 503, "cannot start a worker thread", NULL, "server_busy");
    }
    /* the worker may already be writing events: the reader waits for them */
    static const char *const headers[] = {"Cache-Control", "no-cache", NULL};
    return tt_httpd_stream(c, 200, "text/event-stream", headers, stream_reader, j, stream_free);
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

/* The slot semaphore for serve_extra.c's engine calls. */
static int extra_acquire(void *ud)
{
    serve_server *s = ud;
    if (slot_acquire(s, NULL)) return -1;
    atomic_fetch_add(&s->n_engine, 1);
    return 0;
}

static void extra_release(void *ud) { slot_release(ud); }

static int handle_post(serve_server *s, tt_httpd_req *c, const char *url, const char *body, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) {
        char msg[TT_ERR_SIZE];
        snprintf(msg, sizeof msg, "malformed JSON body: %s (line %d, column %d)", je.text, je.line, je.column);
        return send_error(c, 400, msg, NULL, "invalid_json");
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return send_error(c, 400, "the request body must be a JSON object", NULL, "invalid_json");
    }
    long id = atomic_fetch_add(&s->next_id, 1);
    unsigned caps = engine_caps(s->e);
    parsed_req p;
    memset(&p, 0, sizeof p);
    p.body = json_incref(j);
    bad_req b;
    int ret;
    if (!strcmp(url, "/v1/chat/completions")) {
        if (parse_chat(j, caps, &p, &b)) { ret = send_bad(c, &b); goto done; }
        if (p.stream) { ret = start_stream(s, c, &p, 1, id); goto done; }
        engine_response r;
        memset(&r, 0, sizeof r);
        if (run_engine(s, &p.req, &r, &b)) ret = send_bad(c, &b);
        else ret = tt_httpd_send_json(c, 200, chat_reply(s, &p, &r, id));
        engine_response_free(&r);
    } else if (!strcmp(url, "/v1/completions")) {
        if (parse_completion(j, caps, &p, &b) || prompt_texts(s, &p, &b)) { ret = send_bad(c, &b); goto done; }
        if (p.stream) { ret = start_stream(s, c, &p, 0, id); goto done; }
        ret = handle_completion(s, c, &p, id);
    } else if (serve_extra_route(url) == 2) {   /* /v1/embeddings, /tokenize, /detokenize */
        json_t *reply;
        unsigned status;
        char msg[TT_ERR_SIZE];
        const char *param, *code;
        serve_slot slot = {extra_acquire, extra_release, s};
        serve_extra_post(s->e, s->model_id, url, j, &slot, s->metrics, &reply, &status, msg, &param, &code);
        ret = reply ? tt_httpd_send_json(c, 200, reply) : send_error(c, status, msg, param, code);
    } else {   /* "/": ChatGLM api.py */
        if (parse_chatglm(j, caps, &p, &b)) { ret = send_bad(c, &b); goto done; }
        engine_response r;
        memset(&r, 0, sizeof r);
        if (run_engine(s, &p.req, &r, &b)) {
            ret = send_bad(c, &b);
        } else {
            json_t *h = json_deep_copy(p.history);
            json_t *pair = json_array();
            json_array_append_new(pair, jstr(p.glm_prompt));
            json_array_append_new(pair, jstr(r.text));
            json_array_append_new(h, pair);
            char tm[32];
            serve_local_time(tm);
            json_t *o = json_object();
            json_object_set_new(o, "response", jstr(r.text));
            json_object_set_new(o, "history", h);
            json_object_set_new(o, "status", json_integer(200));
            json_object_set_new(o, "time", json_string(tm));
            ret = tt_httpd_send_json(c, 200, o);
        }
        engine_response_free(&r);
    }
done:
    parsed_free(&p);
    json_decref(j);
    return ret;
}

static int handle_get(serve_server *s, tt_httpd_req *c, const char *url)
{
    if (!strcmp(url, "/health")) return tt_httpd_send(c, 200, "application/json", "{\"status\":\"ok\"}", 15, 1, NULL);
    if (!strcmp(url, "/metrics")) {
        pthread_mutex_lock(&s->mu);
        long busy = s->busy;
        pthread_mutex_unlock(&s->mu);
        char *text = serve_metrics_text(s->metrics, s->model_id, busy, atomic_load(&s->n_engine), atomic_load(&s->n_cancelled));
        int ret = tt_httpd_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), 0, NULL);
        free(text);
        return ret;
    }
    json_t *m = json_object();
    json_object_set_new(m, "id", jstr(s->model_id));
    json_object_set_new(m, "object", json_string("model"));
    json_object_set_new(m, "created", json_integer((json_int_t)s->created));
    json_object_set_new(m, "owned_by", json_string("tianti"));
    char caps[128];
    engine_caps_string(engine_caps(s->e), caps, sizeof caps);
    json_object_set_new(m, "capabilities", json_string(caps));
    json_t *o = json_pack("{s:s,s:[o]}", "object", "list", "data", m);
    return tt_httpd_send_json(c, 200, o);
}

typedef enum route { R_NONE, R_GET, R_POST } route;

static route route_of(const char *url, const char *method, int *wrong_method)
{
    *wrong_method = 0;
    int get = !strcmp(url, "/health") || !strcmp(url, "/v1/models") || serve_extra_route(url) == 1;
    int post = !strcmp(url, "/v1/chat/completions") || !strcmp(url, "/v1/completions") || !strcmp(url, "/") ||
               serve_extra_route(url) == 2;
    if (get) {
        if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) return R_GET;
        *wrong_method = 1;
    } else if (post) {
        if (!strcmp(method, "POST")) return R_POST;
        *wrong_method = 1;
    }
    return R_NONE;
}

/* core/httpd callbacks. Unknown endpoints and wrong methods are answered
 * as soon as the headers are in, before any body is read. */
static int on_headers(tt_httpd_req *r)
{
    serve_server *s = r->user;
    atomic_fetch_add(&s->n_requests, 1);
    if (s->verbose) tt_log(TT_LOG_DEBUG, "serve %s %s", r->method, r->path);
    int wrong;
    if (route_of(r->path, r->method, &wrong) != R_NONE) return TT_HTTPD_CONTINUE;
    char msg[300];
    if (wrong) {
        snprintf(msg, sizeof msg, "method %.16s is not allowed on %.200s", r->method, r->path);
        return send_error(r, 405, msg, NULL, "method_not_allowed");
    }
    snprintf(msg, sizeof msg, "unknown endpoint %.200s", r->path);
    return send_error(r, 404, msg, NULL, "unknown_url");
}

static int on_refuse(tt_httpd_req *r, unsigned status, const char *message)
{
    return send_error(r, status, message, NULL, status == 413 ? "request_too_large" : "request_refused");
}

static int on_request(tt_httpd_req *r)
{
    serve_server *s = r->user;
    int wrong;
    double t0 = tt_now_s();
    int ret = route_of(r->path, r->method, &wrong) == R_GET ? handle_get(s, r, r->path)
                                                             : handle_post(s, r, r->path, r->body, r->body_len);
    serve_metrics_request(s->metrics, r->path, tt_now_s() - t0);
    return ret;
}

/* Wakes everything that waits for a slot; streams then end with their
 * worker (stream_on_token sees the flag). */
static void on_stop(void *user)
{
    serve_server *s = user;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int serve_start(engine *e, const serve_config *cfg, serve_server **out, char *err)
{
    *out = NULL;
    serve_config def;
    if (!cfg) {
        serve_config_default(&def);
        cfg = &def;
    }
    serve_server *s = tt_calloc(1, sizeof *s);
    s->e = e;
    s->model_id = tt_strdup(cfg->model_id && *cfg->model_id ? cfg->model_id : engine_get_spec(e));
    s->host = tt_strdup(cfg->host && *cfg->host ? cfg->host : "127.0.0.1");
    s->parallel = cfg->parallel > 0 ? cfg->parallel : 1;
    s->max_body = cfg->max_body ? cfg->max_body : (1u << 20);
    s->verbose = cfg->verbose;
    s->created = tt_wall_s();
    s->metrics = serve_metrics_new();
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    tt_httpd_config hc = {
        .host = s->host, .port = cfg->port, .max_body = s->max_body, .max_connections = 1024, .idle_timeout_s = 600,
        .allow_hosts = cfg->allow_hosts,
        .json_flags = JSON_COMPACT | JSON_ENSURE_ASCII, .on_headers = on_headers, .handle = on_request,
        .refuse = on_refuse, .on_stop = on_stop, .user = s,
    };
    int rc = tt_httpd_start(&hc, &s->http, err);
    if (rc != TT_OK) {
        serve_stop(s);
        return rc;
    }
    s->port = tt_httpd_port(s->http);
    *out = s;
    return TT_OK;
}

int serve_port(const serve_server *s) { return s->port; }

void serve_counts(serve_server *s, long *requests, long *engine_calls, long *cancelled)
{
    if (requests) *requests = atomic_load(&s->n_requests);
    if (engine_calls) *engine_calls = atomic_load(&s->n_engine);
    if (cancelled) *cancelled = atomic_load(&s->n_cancelled);
}

void serve_stop(serve_server *s)
{
    if (!s) return;
    on_stop(s);                 /* also when the server never listened */
    tt_httpd_stop(s->http);     /* calls on_stop, waits for the connections */
    pthread_mutex_lock(&s->mu);
    while (s->workers > 0) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    serve_metrics_free(s->metrics);
    free(s->model_id);
    free(s->host);
    free(s);
}
