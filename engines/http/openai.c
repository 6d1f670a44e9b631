/*
 * openai.c — the `openai:MODEL` engine: the OpenAI API and every
 * OpenAI-compatible server (vLLM, llama.cpp's server, ChatGLM2/3
 * openai_api.py, chatglm.cpp, `tianti serve`). Protocol facts:
 * the OpenAI API reference; docs/http.md; transport, retries and the key:
 * http_client.h.
 *
 * Requests map to endpoints as follows:
 *   CHAT                      POST /chat/completions (image parts as data: URLs)
 *   GENERATE                  POST /completions
 *   LOGLIKELIHOOD(_ROLLING)   POST /completions, echo + logprobs, max_tokens 0
 *   engine_embed(_batch)      POST /embeddings (up to 256 inputs per request)
 *   engine_moderate(_scores)  POST /moderations
 *   engine_transcribe         POST /audio/transcriptions (multipart/form-data)
 * A reasoning model's settings (engine_options: max_tokens_param,
 * omit_sampling, reasoning_effort) shape the generation parameters; a 400
 * that names a parameter they would change says which setting to set.
 * usage.completion_tokens_details.reasoning_tokens becomes
 * resp->reasoning_tokens.
 * The request is streamed (SSE) when the caller passes on_token; the first
 * content chunk then gives first_token_s.
 *
 * Log-likelihoods follow the one scoring rule (docs/scoring.md): the echoed
 * prompt is split where the context, without trailing whitespace, ends
 * (parse_echo_logprobs), so a server running the built-in engine gives the
 * numbers the engine gives directly.
 *
 * Capabilities: chat, stream, image, embed and moderate are assumed (the
 * server answers per call). Generate and the log-likelihood capabilities
 * are probed once, on the first engine_caps() call, with a zero-token
 * echo request to /completions: newer OpenAI models refuse echo+logprobs,
 * and then the engine simply lacks those capabilities (the probe's reason
 * is printed with --verbose) instead of producing meaningless scores.
 * Only a refusal counts as "lacks": a server that cannot be reached makes
 * the capabilities unknown (engine_caps_check says why, and the runner
 * reports the model as unreachable, not as missing a capability); one that
 * answers the probe only with 429 or malformed replies is taken to offer
 * them, so its requests fail with their own causes. A refusal's reason is
 * kept (engine.caps_note) for the message that skips a task. A server that
 * leaves the first token of a text unscored (no BOS) cannot give rolling
 * log-likelihoods, so that capability is dropped.
 *
 * A reply that fails (HTTP error after retries, malformed or truncated
 * JSON) becomes resp->error; an error that makes the model unusable (401,
 * 403, 404, 400, insufficient_quota) makes engine_complete() return
 * TT_ERR_ENGINE, and every later call fails fast with the same message.
 */
#include "engines/engine.h"
#include "engines/http/http_client.h"
#include "engines/kinds.h"
#include "core/log.h"
#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENAI_DEFAULT_BASE "https://api.openai.com/v1"

typedef struct openai_engine {
    engine base;
    http_client *http;
    char *model;
    char *base_url;
    int verbose;
    char *max_tokens_param; /* "max_tokens" or "max_completion_tokens" (engine_options) */
    int omit_sampling;      /* send no temperature / top_p */
    char *reasoning_effort; /* or NULL */
    pthread_mutex_t mu;     /* probe and dead state */
    int probed;
    unsigned probed_caps;
    atomic_int dead;        /* set once, after dead_msg is written */
    char dead_msg[TT_ERR_SIZE];
} openai_engine;

/* ---- reply parsing ------------------------------------------------------------- */

/* What one call accumulates; reset before every attempt. */
typedef struct oa_state {
    const engine_request *req;
    int loglik;                 /* echo scoring request */
    int n_choices;              /* wanted */
    tt_buf text[16];            /* per choice index (clamped) */
    engine_token_logprob *lp;   /* choice 0 output logprobs */
    int n_lp, cap_lp;
    char *finish;
    int prompt_tokens, completion_tokens, reasoning_tokens;
    double loglik_sum;
    int loglik_tokens, loglik_greedy, loglik_truncated;
    int first_unscored;         /* the first token with text had no logprob (no BOS) */
    double t0, first_token;
    int bad;                    /* a stream chunk was malformed */
    char why[TT_ERR_SIZE];
    int stopped;                /* on_token asked to stop */
    int no_retry;               /* the reply was well-formed but lacks what we need */
} oa_state;

#define OA_MAX_CHOICES 16

static void state_reset(oa_state *s)
{
    for (int i = 0; i < OA_MAX_CHOICES; i++) tt_buf_reset(&s->text[i]);
    for (int i = 0; i < s->n_lp; i++) free(s->lp[i].token);
    s->n_lp = 0;
    free(s->finish);
    s->finish = NULL;
    s->prompt_tokens = s->completion_tokens = -1;
    s->reasoning_tokens = 0;
    s->loglik_sum = 0;
    s->loglik_tokens = 0;
    s->loglik_greedy = 1;
    s->loglik_truncated = 0;
    s->first_unscored = 0;
    s->first_token = -1;
    s->bad = 0;
    s->why[0] = 0;
    s->no_retry = 0;
}

static void state_free(oa_state *s)
{
    state_reset(s);
    for (int i = 0; i < OA_MAX_CHOICES; i++) tt_buf_free(&s->text[i]);
    free(s->lp);
}

static void on_attempt(void *user, int attempt)
{
    (void)attempt;
    oa_state *s = user;
    state_reset(s);
    s->t0 = tt_now_s();
}

static void push_lp(oa_state *s, const char *tok, double lp)
{
    if (s->n_lp == s->cap_lp) {
        s->cap_lp = s->cap_lp ? s->cap_lp * 2 : 64;
        s->lp = tt_realloc(s->lp, (size_t)s->cap_lp * sizeof *s->lp);
    }
    s->lp[s->n_lp].token = tt_strdup(tok ? tok : "");
    s->lp[s->n_lp].logprob = lp;
    s->n_lp++;
}

static void parse_usage(oa_state *s, json_t *root)
{
    json_t *u = json_object_get(root, "usage");
    if (!json_is_object(u)) return;
    json_t *p = json_object_get(u, "prompt_tokens"), *c = json_object_get(u, "completion_tokens");
    if (json_is_integer(p)) s->prompt_tokens = (int)json_integer_value(p);
    if (json_is_integer(c)) s->completion_tokens = (int)json_integer_value(c);
    json_t *r = json_object_get(json_object_get(u, "completion_tokens_details"), "reasoning_tokens");
    if (json_is_integer(r) && json_integer_value(r) > 0) s->reasoning_tokens = (int)json_integer_value(r);
}

/* Output logprobs of a chat choice: logprobs.content[{token, logprob}]. */
static int parse_chat_logprobs(oa_state *s, json_t *lp)
{
    if (!lp || json_is_null(lp)) return 0;
    json_t *content = json_object_get(lp, "content");
    if (json_is_null(content) || !content) return 0;
    if (!json_is_array(content)) return -1;
    size_t i;
    json_t *t;
    json_array_foreach(content, i, t) {
        json_t *lv = json_object_get(t, "logprob");
        const char *tok = json_string_value(json_object_get(t, "token"));
        if (!tok || !json_is_number(lv)) return -1;
        push_lp(s, tok, json_number_value(lv));
    }
    return 0;
}

/* Characters of s[0..n) as OpenAI's text_offset counts them (code points). */
static size_t n_chars(const char *s, size_t n) { return tt_utf8_codepoints(s, n); }

/* Legacy completions logprobs of an echoed prompt, turned into a
 * log-likelihood by the one scoring rule (docs/scoring.md): the prompt is
 * context + continuation, tokenized together by the server; a token
 * belongs to the continuation when its text ends after the context without
 * its trailing whitespace (Python's str.rstrip()), the same split the
 * built-in engine makes. text_offset (characters, OpenAI's unit) places the
 * tokens; without it their texts are added up. A token the server left
 * unscored (null) inside the context is the first token or was cut off
 * (counted as truncated); inside the continuation it makes the answer an
 * error, never a guess: a server whose model adds no BOS token cannot
 * score the first token of a text, which lm-eval conditions on a prefix
 * token that a text prompt cannot carry. */
static int parse_echo_logprobs(oa_state *s, json_t *lp, char *why)
{
    json_t *tokens = json_object_get(lp, "tokens");
    json_t *tlp = json_object_get(lp, "token_logprobs");
    json_t *offs = json_object_get(lp, "text_offset");
    json_t *top = json_object_get(lp, "top_logprobs");
    if (!json_is_array(tokens) || !json_is_array(tlp) || json_array_size(tokens) != json_array_size(tlp) ||
        json_array_size(tokens) == 0) {
        snprintf(why, TT_ERR_SIZE, "reply has no prompt token logprobs (choices[0].logprobs.tokens/token_logprobs)");
        s->no_retry = 1;
        return -1;
    }
    const engine_request *req = s->req;
    int ll = req->kind == ENGINE_REQ_LOGLIKELIHOOD;
    const char *ctx = req->context ? req->context : "";
    const char *cont = ll && req->continuation ? req->continuation : "";
    size_t n = json_array_size(tokens);
    int chars = json_is_array(offs) && json_array_size(offs) == n;
    for (size_t i = 0; chars && i < n; i++) chars = json_is_integer(json_array_get(offs, i));
    size_t ctx_len = strlen(ctx), kept = 0;
    if (ll) {
        pytext_span sp = pytext_strip(ctx, ctx_len);
        kept = sp.len ? (size_t)(sp.p - ctx) + sp.len : 0;
    }
    size_t boundary = chars ? n_chars(ctx, kept) : kept;
    size_t total = chars ? n_chars(ctx, ctx_len) + n_chars(cont, strlen(cont)) : ctx_len + strlen(cont);
    s->loglik_greedy = json_is_array(top) ? 1 : -1;
    int unscored_ctx = 0, seen_text = 0;
    size_t pos = 0, start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *tok = json_string_value(json_array_get(tokens, i));
        json_t *lv = json_array_get(tlp, i);
        if (!tok || !(json_is_number(lv) || json_is_null(lv))) {
            snprintf(why, TT_ERR_SIZE, "malformed logprobs at token %zu", i);
            return -1;
        }
        size_t end;
        if (chars) {
            json_int_t next = i + 1 < n ? json_integer_value(json_array_get(offs, i + 1)) : (json_int_t)total;
            end = next > 0 ? (size_t)next : 0;
        } else {
            end = pos += strlen(tok);
        }
        if (end > start && !seen_text) {
            seen_text = 1;
            s->first_unscored = json_is_null(lv);
        }
        start = end;
        if (end <= boundary) {   /* context (a rolling text has none) */
            unscored_ctx += json_is_null(lv);
            continue;
        }
        if (json_is_null(lv)) {
            if (unscored_ctx == 0 && s->loglik_tokens == 0)
                snprintf(why, TT_ERR_SIZE, "the server left the first token of the text unscored (its model adds no "
                                           "BOS token): lm-eval conditions it on a prefix token, which a text prompt "
                                           "cannot carry, so this log-likelihood is not available through this server");
            else
                snprintf(why, TT_ERR_SIZE, "the server left token %zu of the continuation unscored (longer than its "
                                           "context?)", i);
            s->no_retry = 1;
            return -1;
        }
        double v = json_number_value(lv);
        s->loglik_sum += v;
        s->loglik_tokens++;
        push_lp(s, tok, v);
        if (s->loglik_greedy == 1) {
            json_t *alts = json_array_get(top, i);
            if (!json_is_object(alts) || json_object_size(alts) == 0) {
                s->loglik_greedy = -1;   /* server gave no alternatives: unknown */
                continue;
            }
            const char *k;
            json_t *av;
            const char *best = NULL;
            double bv = -INFINITY;
            json_object_foreach(alts, k, av) {
                if (json_is_number(av) && json_number_value(av) > bv) { bv = json_number_value(av); best = k; }
            }
            if (!best || (strcmp(best, tok) != 0 && bv > v)) s->loglik_greedy = 0;
        }
    }
    if (s->loglik_tokens == 0) {
        snprintf(why, TT_ERR_SIZE, ll ? "no continuation tokens found in the echoed prompt" : "the echoed prompt has no tokens");
        s->no_retry = 1;
        return -1;
    }
    /* the first token of a text is never scored; more unscored tokens before
     * the continuation were cut off to fit the server's context */
    s->loglik_truncated = unscored_ctx > 1 ? unscored_ctx - 1 : 0;
    return 0;
}

/* One choice object (full reply or stream chunk). */
static int parse_choice(oa_state *s, json_t *ch, int chunk, char *why)
{
    json_t *ix = json_object_get(ch, "index");
    int idx = json_is_integer(ix) ? (int)json_integer_value(ix) : 0;
    if (idx < 0 || idx >= OA_MAX_CHOICES) return 0;
    const char *piece = NULL;
    json_t *msg = json_object_get(ch, chunk ? "delta" : "message");
    if (json_is_object(msg)) {
        json_t *c = json_object_get(msg, "content");
        if (json_is_string(c)) piece = json_string_value(c);
        else if (!json_is_null(c) && c && !chunk) { snprintf(why, TT_ERR_SIZE, "message.content is not a string"); return -1; }
        else if (!c && !chunk && !json_object_get(msg, "refusal")) { snprintf(why, TT_ERR_SIZE, "message has no content"); return -1; }
    } else {
        json_t *t = json_object_get(ch, "text");
        if (json_is_string(t)) piece = json_string_value(t);
        else if (!chunk) { snprintf(why, TT_ERR_SIZE, "choice has neither message nor text"); return -1; }
    }
    json_t *fr = json_object_get(ch, "finish_reason");
    if (json_is_string(fr) && idx == 0) {
        free(s->finish);
        s->finish = tt_strdup(json_string_value(fr));
    }
    json_t *lp = json_object_get(ch, "logprobs");
    if (s->loglik) {
        if (idx == 0 && parse_echo_logprobs(s, lp, why)) return -1;
        return 0;
    }
    if (idx == 0 && json_is_object(lp)) {
        if (json_object_get(lp, "content")) {
            if (parse_chat_logprobs(s, lp)) { snprintf(why, TT_ERR_SIZE, "malformed logprobs.content"); return -1; }
        } else {
            json_t *tokens = json_object_get(lp, "tokens"), *tlp = json_object_get(lp, "token_logprobs");
            for (size_t i = 0; json_is_array(tokens) && i < json_array_size(tokens); i++) {
                json_t *v = json_array_get(tlp, i);
                push_lp(s, json_string_value(json_array_get(tokens, i)), json_is_number(v) ? json_number_value(v) : 0);
            }
        }
    }
    if (piece && *piece) {
        tt_buf_puts(&s->text[idx], piece);
        if (s->first_token < 0) s->first_token = tt_now_s() - s->t0;
        if (chunk && idx == 0 && s->req->on_token &&
            s->req->on_token(s->req->on_token_user, piece, strlen(piece))) {
            s->stopped = 1;
            return 1;
        }
    } else if (piece && !s->text[idx].data) {
        tt_buf_append(&s->text[idx], "", 0);
    }
    return 0;
}

static int parse_reply(oa_state *s, json_t *root, int chunk, char *why)
{
    if (!json_is_object(root)) { snprintf(why, TT_ERR_SIZE, "reply is not a JSON object"); return -1; }
    json_t *e = json_object_get(root, "error");
    if (e && !json_is_null(e)) {
        char msg[256];
        char *txt = json_dumps(root, JSON_COMPACT);
        http_error_text(txt, txt ? strlen(txt) : 0, msg, sizeof msg);
        free(txt);
        snprintf(why, TT_ERR_SIZE, "server error in reply: %s", msg);
        return -1;
    }
    parse_usage(s, root);
    json_t *choices = json_object_get(root, "choices");
    if (!json_is_array(choices)) { snprintf(why, TT_ERR_SIZE, "reply has no 'choices' array"); return -1; }
    if (!chunk && json_array_size(choices) == 0) { snprintf(why, TT_ERR_SIZE, "reply has an empty 'choices' array"); return -1; }
    size_t i;
    json_t *ch;
    json_array_foreach(choices, i, ch) {
        if (!json_is_object(ch)) { snprintf(why, TT_ERR_SIZE, "choices[%zu] is not an object", i); return -1; }
        int rc = parse_choice(s, ch, chunk, why);
        if (rc) return rc;
    }
    return 0;
}

static int on_event(void *user, const char *data, size_t len)
{
    oa_state *s = user;
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    if (!j) {
        if (!s->bad) snprintf(s->why, sizeof s->why, "malformed stream chunk: %s", je.text);
        s->bad = 1;
        return 0;
    }
    char why[TT_ERR_SIZE];
    int rc = parse_reply(s, j, 1, why);
    json_decref(j);
    if (rc < 0) {
        if (!s->bad) snprintf(s->why, sizeof s->why, "%s", why);
        s->bad = 1;
        return 0;
    }
    return rc;   /* 1: the caller's on_token asked to stop */
}

static int check_reply(void *user, const char *body, size_t len, int *retry, char *msg)
{
    oa_state *s = user;
    *retry = 1;
    if (!body) {   /* stream finished: check what the events gave */
        if (s->bad) { snprintf(msg, TT_ERR_SIZE, "%s", s->why); return 1; }
        if (!s->text[0].data && !s->loglik) { snprintf(msg, TT_ERR_SIZE, "stream carried no content"); return 1; }
        return 0;
    }
    if (!len) { snprintf(msg, TT_ERR_SIZE, "empty reply body"); return 1; }
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    if (!j) { snprintf(msg, TT_ERR_SIZE, "malformed JSON reply (%s at byte %d)", je.text, je.position); return 1; }
    int rc = parse_reply(s, j, 0, msg);
    json_decref(j);
    if (rc && s->no_retry) *retry = 0;
    return rc != 0;
}

/* ---- request bodies ------------------------------------------------------------- */

static const char *image_mime(const char *b64)
{
    if (!strncmp(b64, "/9j/", 4)) return "image/jpeg";
    if (!strncmp(b64, "R0lGOD", 6)) return "image/gif";
    if (!strncmp(b64, "UklGR", 5)) return "image/webp";
    return "image/png";
}

/* The generation settings of a request body. A reasoning model's settings
 * (models.json: max_tokens_param, omit_sampling, reasoning_effort) change
 * the token limit's name, drop temperature and top_p, and add the effort. */
static void add_gen_params(const openai_engine *oe, json_t *o, const engine_gen_params *g, int legacy)
{
    json_object_set_new(o, legacy ? "max_tokens" : oe->max_tokens_param,
                        json_integer(g->max_tokens > 0 ? g->max_tokens : 256));
    if (!oe->omit_sampling) {
        json_object_set_new(o, "temperature", json_real(g->temperature));
        if (g->top_p > 0 && g->top_p < 1) json_object_set_new(o, "top_p", json_real(g->top_p));
    }
    if (oe->reasoning_effort && !legacy) json_object_set_new(o, "reasoning_effort", json_string(oe->reasoning_effort));
    if (g->seed) json_object_set_new(o, "seed", json_integer((json_int_t)(g->seed & 0x7fffffffffffffffULL)));
    if (g->n > 1) json_object_set_new(o, "n", json_integer(g->n > OA_MAX_CHOICES ? OA_MAX_CHOICES : g->n));
    if (g->n_until > 0) {
        json_t *stop = json_array();
        for (int i = 0; i < g->n_until && i < 4; i++)   /* the API takes at most 4; all are applied locally */
            if (g->until[i] && *g->until[i]) json_array_append_new(stop, http_json_text(g->until[i], strlen(g->until[i])));
        if (json_array_size(stop)) json_object_set_new(o, "stop", stop);
        else json_decref(stop);
    }
    if (g->logprobs > 0) {
        int k = g->logprobs;
        if (legacy) {
            json_object_set_new(o, "logprobs", json_integer(k > 5 ? 5 : k));
        } else {
            json_object_set_new(o, "logprobs", json_true());
            json_object_set_new(o, "top_logprobs", json_integer(k > 20 ? 20 : k));
        }
    }
}

static json_t *chat_messages(const engine_request *req, size_t *chars)
{
    json_t *arr = json_array();
    for (int i = 0; i < req->n_messages; i++) {
        const engine_message *m = &req->messages[i];
        json_t *o = json_object();
        json_object_set_new(o, "role", json_string(m->role ? m->role : "user"));
        const char *text = m->content ? m->content : "";
        *chars += strlen(text);
        if (m->image_b64 && *m->image_b64) {
            json_t *parts = json_array();
            json_t *tp = json_object();
            json_object_set_new(tp, "type", json_string("text"));
            json_object_set_new(tp, "text", http_json_text(text, strlen(text)));
            json_array_append_new(parts, tp);
            char *url = tt_asprintf("data:%s;base64,%s", image_mime(m->image_b64), m->image_b64);
            json_t *ip = json_object(), *iu = json_object();
            json_object_set_new(iu, "url", json_string(url));
            free(url);
            json_object_set_new(ip, "type", json_string("image_url"));
            json_object_set_new(ip, "image_url", iu);
            json_array_append_new(parts, ip);
            json_object_set_new(o, "content", parts);
            *chars += 1000;   /* rough token cost of an image, for the limiter */
        } else {
            json_object_set_new(o, "content", http_json_text(text, strlen(text)));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ---- engine functions ---------------------------------------------------------------- */

static int fail_dead(openai_engine *oe, char *err)
{
    return tt_fail(err, TT_ERR_ENGINE, "%s", oe->dead_msg);
}

static void mark_dead(openai_engine *oe, const char *msg)
{
    pthread_mutex_lock(&oe->mu);
    if (!atomic_load(&oe->dead)) {
        snprintf(oe->dead_msg, sizeof oe->dead_msg, "model '%.100s' cannot be used: %.380s", oe->base.spec ? oe->base.spec : oe->model, msg);
        atomic_store(&oe->dead, 1);
    }
    pthread_mutex_unlock(&oe->mu);
}

/* A 400 that names a request parameter is usually a reasoning model
 * refusing one a chat model takes: the message then says which setting of
 * models.json (or --model_args) to change. */
static void param_hint(const openai_engine *oe, long status, const char *msg, char *out, size_t n)
{
    const char *hint = NULL;
    if (status == 400 && msg) {
        if (strstr(msg, "max_tokens") && !strcmp(oe->max_tokens_param, "max_tokens"))
            hint = "set \"max_tokens_param\": \"max_completion_tokens\" for this model in models.json "
                   "(or --model_args max_tokens_param=max_completion_tokens)";
        else if ((strstr(msg, "temperature") || strstr(msg, "top_p")) && !oe->omit_sampling)
            hint = "set \"omit_sampling\": true for this model in models.json (or --model_args omit_sampling=true)";
        else if (strstr(msg, "reasoning_effort") && oe->reasoning_effort)
            hint = "remove \"reasoning_effort\" from this model's settings in models.json";
    }
    if (hint) snprintf(out, n, "%.300s; %s", msg, hint);
    else snprintf(out, n, "%s", msg ? msg : "");
}

/* Posts body to path and runs the state machine; fills resp or returns the
 * fatal status. */
static int oa_post(openai_engine *oe, const char *path, json_t *body, int stream, oa_state *s,
                   double tokens, engine_response *resp, char *err)
{
    char *js = json_dumps(body, JSON_COMPACT);
    char *url = http_url_join(oe->base_url, path);
    http_call_spec spec = {.method = "POST", .url = url, .body = js, .stream = stream,
                           .on_event = on_event, .on_attempt = on_attempt, .check = check_reply,
                           .user = s, .tokens = tokens};
    http_result res;
    double t0 = tt_now_s();
    int rc = http_call(oe->http, &spec, &res);
    free(js);
    free(url);
    resp->latency_s = tt_now_s() - t0;
    if (rc == TT_OK) {
        http_result_free(&res);
        return TT_OK;
    }
    int fatal = res.cls == HTTP_CLASS_FATAL;
    if (fatal) {
        char hinted[TT_ERR_SIZE];
        param_hint(oe, res.status, res.error, hinted, sizeof hinted);
        mark_dead(oe, hinted);
        http_result_free(&res);
        return fail_dead(oe, err);
    }
    resp->error = tt_strdup(s->stopped ? "stopped by the caller" : res.error);
    http_result_free(&res);
    return TT_ERR_IO;   /* recorded failure: the caller turns it into TT_OK */
}

static void finish_response(oa_state *s, const engine_request *req, engine_response *resp)
{
    int n = req->gen.n > 1 ? req->gen.n : 1;
    if (n > OA_MAX_CHOICES) n = OA_MAX_CHOICES;
    resp->text = tt_strdup(tt_buf_str(&s->text[0]));
    engine_apply_stop(resp->text, req->gen.until, req->gen.n_until);
    if (n > 1) {
        resp->texts = tt_calloc((size_t)n, sizeof *resp->texts);
        resp->n_texts = n;
        for (int i = 0; i < n; i++) {
            resp->texts[i] = tt_strdup(tt_buf_str(&s->text[i]));
            engine_apply_stop(resp->texts[i], req->gen.until, req->gen.n_until);
        }
    }
    resp->finish_reason = s->finish;
    s->finish = NULL;
    resp->prompt_tokens = s->prompt_tokens;
    resp->completion_tokens = s->completion_tokens;
    resp->reasoning_tokens = s->reasoning_tokens;
    resp->first_token_s = s->first_token;
    resp->token_logprobs = s->lp;
    resp->n_token_logprobs = s->n_lp;
    s->lp = NULL;
    s->n_lp = s->cap_lp = 0;
}

static int oa_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    openai_engine *oe = (openai_engine *)e;
    if (atomic_load(&oe->dead)) return fail_dead(oe, err);
    oa_state s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < OA_MAX_CHOICES; i++) tt_buf_init(&s.text[i]);
    s.req = req;
    state_reset(&s);
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(oe->model));
    size_t chars = 0;
    const char *path;
    int stream = req->on_token != NULL;
    switch (req->kind) {
    case ENGINE_REQ_CHAT:
        path = "chat/completions";
        json_object_set_new(body, "messages", chat_messages(req, &chars));
        add_gen_params(oe, body, &req->gen, 0);
        break;
    case ENGINE_REQ_GENERATE:
        path = "completions";
        json_object_set_new(body, "prompt", http_json_text(req->context, req->context ? strlen(req->context) : 0));
        chars = req->context ? strlen(req->context) : 0;
        add_gen_params(oe, body, &req->gen, 1);
        break;
    default: {
        path = "completions";
        s.loglik = 1;
        stream = 0;
        char *prompt = tt_asprintf("%s%s", req->context ? req->context : "",
                                   req->kind == ENGINE_REQ_LOGLIKELIHOOD && req->continuation ? req->continuation : "");
        chars = strlen(prompt);
        json_object_set_new(body, "prompt", http_json_text(prompt, strlen(prompt)));
        free(prompt);
        json_object_set_new(body, "max_tokens", json_integer(0));
        json_object_set_new(body, "echo", json_true());
        json_object_set_new(body, "logprobs", json_integer(1));
        json_object_set_new(body, "temperature", json_real(0));
        break;
    }
    }
    if (stream) {
        json_object_set_new(body, "stream", json_true());
        json_t *so = json_object();
        json_object_set_new(so, "include_usage", json_true());
        json_object_set_new(body, "stream_options", so);
    }
    double est = (double)chars / 4.0 + (s.loglik ? 0 : (req->gen.max_tokens > 0 ? req->gen.max_tokens : 256));
    int rc = oa_post(oe, path, body, stream, &s, est, resp, err);
    json_decref(body);
    if (rc == TT_OK) {
        if (s.loglik) {
            resp->logprob = s.loglik_sum;
            resp->n_tokens = s.loglik_tokens;
            resp->is_greedy = s.loglik_greedy;
            resp->truncated = s.loglik_truncated;
            resp->prompt_tokens = s.prompt_tokens;
            resp->completion_tokens = s.completion_tokens;
            resp->token_logprobs = s.lp;
            resp->n_token_logprobs = s.n_lp;
            s.lp = NULL;
            s.n_lp = s.cap_lp = 0;
        } else {
            finish_response(&s, req, resp);
        }
        if (s.prompt_tokens >= 0) {   /* true usage replaces the limiter's estimate */
            double used = s.prompt_tokens + (s.completion_tokens > 0 ? s.completion_tokens : 0);
            http_client_correct_tokens(oe->http, used - est);
        }
    }
    state_free(&s);
    if (rc == TT_ERR_IO) return TT_OK;   /* recorded in resp->error */
    return rc;
}

/* One zero-token echo request decides generate / loglikelihood support:
 * a server whose echo leaves the first token of the text unscored (its
 * model adds no BOS token) cannot give lm-eval's rolling log-likelihood,
 * which scores that token after a prefix token (docs/scoring.md), so the
 * engine then does not offer loglikelihood_rolling. */
static void probe(openai_engine *oe)
{
    static const char context[] = "The capital of France is", continuation[] = " Paris";
    static const char prompt[] = "The capital of France is Paris";
    engine_request req;
    memset(&req, 0, sizeof req);
    req.kind = ENGINE_REQ_LOGLIKELIHOOD;
    req.context = context;
    req.continuation = continuation;
    oa_state s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < OA_MAX_CHOICES; i++) tt_buf_init(&s.text[i]);
    s.req = &req;
    s.loglik = 1;
    state_reset(&s);
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(oe->model));
    json_object_set_new(body, "prompt", json_string(prompt));
    json_object_set_new(body, "max_tokens", json_integer(0));
    json_object_set_new(body, "echo", json_true());
    json_object_set_new(body, "logprobs", json_integer(1));
    char *js = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char *url = http_url_join(oe->base_url, "completions");
    http_call_spec spec = {.method = "POST", .url = url, .body = js, .on_attempt = on_attempt,
                           .check = check_reply, .user = &s, .tokens = 8, .retries_cap = 2};
    http_result res;
    int rc = http_call(oe->http, &spec, &res);
    unsigned caps = 0;
    const unsigned scoring = ENGINE_CAP_GENERATE | ENGINE_CAP_LOGLIKELIHOOD | ENGINE_CAP_LOGLIKELIHOOD_ROLLING;
    long st = res.status;
    char why[TT_ERR_SIZE] = "";   /* the probe could not find out */
    if (rc == TT_OK) {
        caps = ENGINE_CAP_GENERATE | ENGINE_CAP_LOGLIKELIHOOD | (s.first_unscored ? 0 : ENGINE_CAP_LOGLIKELIHOOD_ROLLING);
        if (s.first_unscored)
            tt_log(TT_LOG_DEBUG, "%s: the server leaves the first token of a text unscored (no BOS token): "
                                 "rolling log-likelihoods are not offered", oe->model);
    } else if (st == 0) {
        /* No reply at all: nothing is known about the server. */
        snprintf(why, sizeof why, "cannot reach '%.100s': %.360s", oe->base_url, res.error);
    } else if (st == 401 || st == 403) {
        /* The key is refused: every request would be. */
        snprintf(why, sizeof why, "'%.100s' refused the request: %.360s", oe->base_url, res.error);
    } else if (st == 408 || st == 409 || st == 429 || (st >= 200 && st < 300 && !s.no_retry)) {
        /* Busy, or a garbled reply: not a refusal. Assume it scores
         * prompts, so that its requests fail (and are reported) with their
         * own causes. */
        caps = scoring;
        tt_log(TT_LOG_INFO, "model '%s': could not learn whether its server scores prompts (%s); assuming it does",
               oe->base.spec ? oe->base.spec : oe->model, res.error);
    } else if (st != 404 && st != 405) {
        /* The endpoint exists and refused echo scoring (or failed at it):
         * raw-prompt generation is offered, prompt scoring is not. A
         * chat-only API answers 404 here. */
        caps = ENGINE_CAP_GENERATE;
    }
    if (rc != TT_OK && !why[0])
        oe->base.caps_note = tt_asprintf("its server did not score a prompt (echo with logprobs): %s", res.error);
    if (oe->verbose)
        tt_log(TT_LOG_DEBUG, "%s: prompt scoring (echo+logprobs) %s%s%s", oe->model,
                    rc == TT_OK ? "supported" : "not supported", rc == TT_OK ? "" : ": ", rc == TT_OK ? "" : res.error);
    http_result_free(&res);
    free(js);
    free(url);
    state_free(&s);
    oe->probed_caps = caps;
    if (why[0]) oe->base.caps_error = tt_strdup(why);
}

static unsigned oa_caps(engine *e)
{
    openai_engine *oe = (openai_engine *)e;
    pthread_mutex_lock(&oe->mu);
    if (!oe->probed) {
        probe(oe);
        oe->probed = 1;
    }
    unsigned caps = oe->probed_caps;
    pthread_mutex_unlock(&oe->mu);
    return caps | ENGINE_CAP_CHAT | ENGINE_CAP_STREAM | ENGINE_CAP_IMAGE | ENGINE_CAP_EMBED | ENGINE_CAP_MODERATE |
           ENGINE_CAP_TRANSCRIBE;
}

/* A 2xx reply of simple_post must be a JSON object without "error": else
 * the attempt is retried (a malformed or truncated body). */
static int check_json_object(void *user, const char *body, size_t len, int *retry, char *msg)
{
    (void)user;
    *retry = 1;
    if (!body) return 0;
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    int bad = !json_is_object(j);
    if (bad) snprintf(msg, TT_ERR_SIZE, "malformed JSON reply (%s at byte %d)", je.text, je.position);
    else if (json_object_get(j, "error") && !json_is_null(json_object_get(j, "error")))
        bad = snprintf(msg, TT_ERR_SIZE, "server error in reply") > 0;
    json_decref(j);
    return bad;
}

static int simple_post(openai_engine *oe, const char *path, json_t *body, json_t **out, char *err)
{
    *out = NULL;
    if (atomic_load(&oe->dead)) return fail_dead(oe, err);
    char *js = json_dumps(body, JSON_COMPACT);
    char *url = http_url_join(oe->base_url, path);
    http_call_spec spec = {.method = "POST", .url = url, .body = js, .tokens = (double)strlen(js) / 4,
                           .check = check_json_object};
    http_result res;
    int rc = http_call(oe->http, &spec, &res);
    free(js);
    free(url);
    if (rc != TT_OK) {
        if (res.cls == HTTP_CLASS_FATAL) {
            rc = tt_fail(err, TT_ERR_ENGINE, "%s", res.error);
        } else {
            rc = tt_fail(err, TT_ERR_IO, "%s", res.error);
        }
        http_result_free(&res);
        return rc;
    }
    json_error_t je;
    *out = json_loadb(res.body, res.body_len, 0, &je);
    http_result_free(&res);
    if (!*out) return tt_fail(err, TT_ERR_PARSE, "malformed JSON from '%s/%s': %s", oe->base_url, path, je.text);
    return TT_OK;
}

static int oa_embed_batch(engine *e, const char *const *texts, int n, float **vecs, int *dim, long *prompt_tokens,
                          char *err);

static int oa_embed(engine *e, const char *text, float **vec, int *dim, char *err)
{
    const char *texts[1] = {text ? text : ""};
    *dim = 0;
    return oa_embed_batch(e, texts, 1, vec, dim, NULL, err);
}

/* OpenAI's /embeddings takes at most 2048 inputs and 300k tokens per
 * request; these limits stay well inside both (bytes / 4 estimates tokens
 * for the limiter, and a Chinese character counts as a token or more). */
#define OA_EMBED_MAX_INPUTS 256
#define OA_EMBED_MAX_BYTES (256 * 1024)

/* One request: texts[0..n) into vecs. */
static int embed_request(openai_engine *oe, const char *const *texts, int n, float **vecs, int *dim, long *tokens,
                         char *err)
{
    json_t *body = json_object();
    json_object_set_new(body, "model", json_string(oe->model));
    json_t *in = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(in, http_json_text(texts[i], strlen(texts[i])));
    json_object_set_new(body, "input", in);
    json_object_set_new(body, "encoding_format", json_string("float"));
    json_t *r;
    int rc = simple_post(oe, "embeddings", body, &r, err);
    json_decref(body);
    if (rc) return rc;
    json_t *data = json_object_get(r, "data");
    if (!json_is_array(data) || json_array_size(data) != (size_t)n) {
        json_decref(r);
        return tt_fail(err, TT_ERR_PARSE, "embeddings reply has %zu vectors for %d inputs",
                       json_is_array(data) ? json_array_size(data) : 0, n);
    }
    size_t k;
    json_t *item;
    json_array_foreach(data, k, item) {
        json_t *ix = json_object_get(item, "index"), *emb = json_object_get(item, "embedding");
        long i = json_is_integer(ix) ? (long)json_integer_value(ix) : (long)k;   /* the API says which input */
        if (i < 0 || i >= n || vecs[i] || !json_is_array(emb) || json_array_size(emb) == 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "embeddings reply: data[%zu] has a bad index or no 'embedding' array", k);
            break;
        }
        size_t d = json_array_size(emb);
        if (*dim && (size_t)*dim != d) {
            rc = tt_fail(err, TT_ERR_PARSE, "embeddings reply: vectors of %d and %zu dimensions", *dim, d);
            break;
        }
        *dim = (int)d;
        float *v = tt_malloc(d * sizeof *v);
        for (size_t j = 0; j < d && rc == TT_OK; j++) {
            json_t *x = json_array_get(emb, j);
            if (!json_is_number(x)) rc = tt_fail(err, TT_ERR_PARSE, "embeddings reply: data[%zu] element %zu is not a number", k, j);
            else v[j] = (float)json_number_value(x);
        }
        vecs[i] = v;
        if (rc) break;
    }
    json_t *pt = json_object_get(json_object_get(r, "usage"), "prompt_tokens");
    if (rc == TT_OK && json_is_integer(pt)) *tokens = (*tokens < 0 ? 0 : *tokens) + (long)json_integer_value(pt);
    json_decref(r);
    return rc;
}

static int oa_embed_batch(engine *e, const char *const *texts, int n, float **vecs, int *dim, long *prompt_tokens,
                          char *err)
{
    openai_engine *oe = (openai_engine *)e;
    long tokens = -1;
    int rc = TT_OK;
    for (int start = 0; start < n && rc == TT_OK;) {
        int end = start;
        size_t bytes = 0;
        while (end < n && end - start < OA_EMBED_MAX_INPUTS && (end == start || bytes + strlen(texts[end]) <= OA_EMBED_MAX_BYTES))
            bytes += strlen(texts[end++]);
        rc = embed_request(oe, texts + start, end - start, vecs + start, dim, &tokens, err);
        start = end;
    }
    if (rc != TT_OK)
        for (int i = 0; i < n; i++) {
            free(vecs[i]);
            vecs[i] = NULL;
        }
    if (prompt_tokens) *prompt_tokens = rc == TT_OK ? tokens : -1;
    return rc;
}

static int oa_moderate(engine *e, const char *text, int *flagged, char **categories_json, char *err)
{
    openai_engine *oe = (openai_engine *)e;
    *flagged = 0;
    if (categories_json) *categories_json = NULL;
    json_t *body = json_object();
    if (strstr(oe->model, "moderation")) json_object_set_new(body, "model", json_string(oe->model));
    json_object_set_new(body, "input", http_json_text(text, text ? strlen(text) : 0));
    json_t *r;
    int rc = simple_post(oe, "moderations", body, &r, err);
    json_decref(body);
    if (rc) return rc;
    json_t *res0 = json_array_get(json_object_get(r, "results"), 0);
    json_t *fl = json_object_get(res0, "flagged");
    if (!json_is_boolean(fl)) {
        json_decref(r);
        return tt_fail(err, TT_ERR_PARSE, "moderation reply has no 'results[0].flagged'");
    }
    *flagged = json_is_true(fl);
    if (categories_json) {
        json_t *cat = json_object_get(res0, "categories");
        *categories_json = cat ? json_dumps(cat, JSON_COMPACT | JSON_SORT_KEYS) : tt_strdup("{}");
    }
    json_decref(r);
    return TT_OK;
}

/* results[0] of /moderations, whole: flagged, categories, category_scores. */
static int oa_moderation_scores(engine *e, const char *text, char **result_json, char *err)
{
    openai_engine *oe = (openai_engine *)e;
    *result_json = NULL;
    json_t *body = json_object();
    if (strstr(oe->model, "moderation")) json_object_set_new(body, "model", json_string(oe->model));
    json_object_set_new(body, "input", http_json_text(text, text ? strlen(text) : 0));
    json_t *r;
    int rc = simple_post(oe, "moderations", body, &r, err);
    json_decref(body);
    if (rc) return rc;
    json_t *res0 = json_array_get(json_object_get(r, "results"), 0);
    if (!json_is_object(json_object_get(res0, "category_scores"))) {
        json_decref(r);
        return tt_fail(err, TT_ERR_PARSE, "moderation reply has no 'results[0].category_scores' object");
    }
    *result_json = json_dumps(res0, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(r);
    return TT_OK;
}

/* A 2xx reply of /audio/transcriptions must carry "text". */
static int check_transcript(void *user, const char *body, size_t len, int *retry, char *msg)
{
    (void)user;
    *retry = 1;
    if (!body) return 0;
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    int bad = !json_is_string(json_object_get(j, "text"));
    if (bad) snprintf(msg, TT_ERR_SIZE, "transcription reply has no 'text'%s%s", j ? "" : ": ", j ? "" : je.text);
    json_decref(j);
    return bad;
}

/* POST /audio/transcriptions, multipart: the file, the model, JSON out. */
static int oa_transcribe(engine *e, const char *audio_path, const char *language, engine_response *resp, char *err)
{
    openai_engine *oe = (openai_engine *)e;
    if (atomic_load(&oe->dead)) return fail_dead(oe, err);
    if (!tt_file_exists(audio_path)) return tt_fail(err, TT_ERR_NOTFOUND, "audio file '%s' not found", audio_path);
    const char *form[6] = {"model", oe->model, "response_format", "json", "language", language};
    char *url = http_url_join(oe->base_url, "audio/transcriptions");
    http_call_spec spec = {.method = "POST", .url = url, .check = check_transcript, .form = form,
                           .n_form = language && *language ? 3 : 2, .file_field = "file", .file_path = audio_path,
                           .tokens = 500};
    http_result res;
    double t0 = tt_now_s();
    int rc = http_call(oe->http, &spec, &res);
    resp->latency_s = tt_now_s() - t0;
    free(url);
    if (rc != TT_OK) {
        if (res.cls == HTTP_CLASS_FATAL) {
            mark_dead(oe, res.error);
            http_result_free(&res);
            return fail_dead(oe, err);
        }
        resp->error = tt_strdup(res.error);
        http_result_free(&res);
        return TT_OK;
    }
    json_t *j = json_loadb(res.body, res.body_len, 0, NULL);
    http_result_free(&res);
    resp->text = tt_strdup(json_string_value(json_object_get(j, "text")));
    /* gpt-4o-transcribe reports tokens; whisper-1 none */
    json_t *u = json_object_get(j, "usage");
    json_t *in = json_object_get(u, "input_tokens"), *out = json_object_get(u, "output_tokens");
    if (json_is_integer(in)) resp->prompt_tokens = (int)json_integer_value(in);
    if (json_is_integer(out)) resp->completion_tokens = (int)json_integer_value(out);
    json_decref(j);
    return TT_OK;
}

static void oa_close(engine *e)
{
    openai_engine *oe = (openai_engine *)e;
    http_client_free(oe->http);
    free(oe->model);
    free(oe->base_url);
    free(oe->max_tokens_param);
    free(oe->reasoning_effort);
    pthread_mutex_destroy(&oe->mu);
    free(oe);
}

static const engine_vtable openai_vt = {
    .caps = oa_caps, .complete = oa_complete, .embed = oa_embed, .moderate = oa_moderate,
    .stats = NULL, .close = oa_close};

int http_engine_client(const char *name, const engine_options *opt, const char *default_key_env,
                       int require_key, http_client **out, char *err)
{
    http_client_config cfg;
    http_client_config_default(&cfg);
    cfg.name = name;
    cfg.api_key_env = opt->api_key_env ? opt->api_key_env : default_key_env;
    cfg.require_key = require_key;
    cfg.rpm = opt->rpm_limit;
    cfg.tpm = opt->tpm_limit;
    cfg.verbose = opt->verbose;
    if (opt->timeout_s > 0) {
        cfg.policy.timeout_s = opt->timeout_s;
        if (cfg.policy.deadline_s < opt->timeout_s * 4) cfg.policy.deadline_s = opt->timeout_s * 4;
    }
    if (opt->max_retries >= 0) cfg.policy.max_retries = opt->max_retries;
    return http_client_create(&cfg, out, err);
}

int openai_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err)
{
    *out = NULL;
    const char *arg = spec->arg;
    if (!arg || !*arg) return tt_fail(err, TT_ERR_USAGE, "openai engine needs a model name (openai:MODEL)");
    const char *base = opt->base_url;
    if (!base || !*base) base = getenv("OPENAI_BASE_URL");
    if (!base || !*base) base = OPENAI_DEFAULT_BASE;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
        return tt_fail(err, TT_ERR_USAGE, "base URL '%s' is not http:// or https://", base);
    /* The official service needs a key; local servers usually do not. */
    int official = strstr(base, "api.openai.com") != NULL;
    http_client *hc;
    char name[256];
    snprintf(name, sizeof name, "openai:%s", arg);
    int rc = http_engine_client(name, opt, "OPENAI_API_KEY", official, &hc, err);
    if (rc) return rc;
    openai_engine *oe = tt_calloc(1, sizeof *oe);
    oe->base.vt = &openai_vt;
    oe->http = hc;
    oe->model = tt_strdup(arg);
    oe->base_url = tt_strdup(base);
    oe->base.endpoint = tt_strdup(base);
    oe->base.embed_batch = oa_embed_batch;
    oe->base.moderation_scores = oa_moderation_scores;
    oe->base.transcribe = oa_transcribe;
    oe->verbose = opt->verbose;
    oe->max_tokens_param = tt_strdup(opt->max_tokens_param && *opt->max_tokens_param ? opt->max_tokens_param : "max_tokens");
    oe->omit_sampling = opt->omit_sampling;
    oe->reasoning_effort = opt->reasoning_effort && *opt->reasoning_effort ? tt_strdup(opt->reasoning_effort) : NULL;
    pthread_mutex_init(&oe->mu, NULL);
    *out = &oe->base;
    return TT_OK;
}
