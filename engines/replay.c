/*
 * replay.c — the `replay:FILE.jsonl` engine: answers from recorded
 * responses. It serves re-scoring saved generations (a run's --output
 * samples can be replayed) and gives the tests a deterministic model.
 *
 * Each line of FILE is one recorded answer:
 *   {"kind":"loglikelihood","context":"Q: 1+1=","continuation":" 2","logprob":-0.1,"is_greedy":true}
 *   {"kind":"loglikelihood_rolling","context":"some text","logprob":-42.0}
 *   {"kind":"generate","context":"Q: 1+1=","text":" 2\nQ:"}
 *   {"kind":"chat","messages":[{"role":"user","content":"hi"}],"text":"hello"}
 * An optional "error" field records a failed answer; "prompt_tokens",
 * "completion_tokens" and "truncated" are passed through. A loglikelihood
 * line without "is_greedy" (or with null) records it as unknown. A line may also be
 * {"request": {...}, "response": {...}} as the runner writes them.
 * Lines are matched on what identifies the question (engine_request_match_key),
 * so generation parameters do not matter; stop strings are applied to the
 * recorded text as a live engine would. A request with no recorded answer
 * gets a recorded error, not a crash. The capabilities are those of the kinds
 * present in the file: a replay of generations cannot answer log-likelihood
 * requests, and says so up front.
 */
#include "engines/kinds.h"
#include "engines/request_json.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct replay_entry {
    char *key;        /* engine_request_match_key of the recorded request */
    char *response;   /* engine_response_to_json form */
} replay_entry;

typedef struct replay_engine {
    engine base;
    replay_entry *entries;   /* sorted by key for bsearch */
    size_t n;
    unsigned caps;
} replay_engine;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const replay_entry *)a)->key, ((const replay_entry *)b)->key);
}

static unsigned replay_caps(engine *e) { return ((replay_engine *)e)->caps; }

static int replay_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    replay_engine *re = (replay_engine *)e;
    double t0 = tt_now_s();
    replay_entry probe = {engine_request_match_key(req), NULL};
    replay_entry *hit = bsearch(&probe, re->entries, re->n, sizeof *re->entries, cmp_entry);
    free(probe.key);
    if (!hit) {
        resp->error = tt_strdup("replay: no recorded response for this request");
        resp->latency_s = tt_now_s() - t0;
        return TT_OK;
    }
    int rc = engine_response_from_json(hit->response, resp, err);
    if (rc) return rc;
    if (resp->text && (req->kind == ENGINE_REQ_GENERATE || req->kind == ENGINE_REQ_CHAT)) {
        engine_apply_stop(resp->text, req->gen.until, req->gen.n_until);
        if (req->on_token) req->on_token(req->on_token_user, resp->text, strlen(resp->text));
    }
    resp->latency_s = tt_now_s() - t0;
    return TT_OK;
}

static void replay_close(engine *e)
{
    replay_engine *re = (replay_engine *)e;
    for (size_t i = 0; i < re->n; i++) {
        free(re->entries[i].key);
        free(re->entries[i].response);
    }
    free(re->entries);
    free(re);
}

static const engine_vtable replay_vtable = {
    .caps = replay_caps, .complete = replay_complete, .close = replay_close,
};

/* Converts one recorded line to (key, response); sets *kind_cap. */
static int parse_line(json_t *line, replay_entry *out, unsigned *kind_cap, char *what, size_t what_n)
{
    json_t *req = json_object_get(line, "request");
    json_t *rsp = json_object_get(line, "response");
    if (!req) {
        req = line;
        rsp = line;
    }
    if (!json_is_object(req) || !json_is_object(rsp)) {
        snprintf(what, what_n, "'request' and 'response' must be objects");
        return -1;
    }
    const char *kind_name = json_string_value(json_object_get(req, "kind"));
    enum engine_request_kind kind;
    if (!kind_name || engine_request_kind_parse(kind_name, &kind) != 0) {
        snprintf(what, what_n, "field 'kind' must be one of generate, chat, loglikelihood, loglikelihood_rolling");
        return -1;
    }
    engine_request r = {.kind = kind};
    engine_message *msgs = NULL;
    if (kind == ENGINE_REQ_CHAT) {
        json_t *m = json_object_get(req, "messages");
        if (!json_is_array(m)) {
            snprintf(what, what_n, "field 'messages' must be an array for kind 'chat'");
            return -1;
        }
        r.n_messages = (int)json_array_size(m);
        msgs = tt_calloc((size_t)r.n_messages + 1, sizeof *msgs);
        for (int i = 0; i < r.n_messages; i++) {
            json_t *mi = json_array_get(m, (size_t)i);
            msgs[i].role = json_string_value(json_object_get(mi, "role"));
            msgs[i].content = json_string_value(json_object_get(mi, "content"));
            if (!msgs[i].content) {
                free(msgs);
                snprintf(what, what_n, "message %d has no string 'content'", i);
                return -1;
            }
        }
        r.messages = msgs;
    } else {
        r.context = json_string_value(json_object_get(req, "context"));
        if (!r.context) {
            snprintf(what, what_n, "field 'context' must be a string");
            return -1;
        }
        if (kind == ENGINE_REQ_LOGLIKELIHOOD) {
            r.continuation = json_string_value(json_object_get(req, "continuation"));
            if (!r.continuation) {
                snprintf(what, what_n, "field 'continuation' must be a string for kind 'loglikelihood'");
                return -1;
            }
        }
    }
    engine_response resp;
    memset(&resp, 0, sizeof resp);
    resp.prompt_tokens = resp.completion_tokens = -1;
    resp.first_token_s = -1;
    json_t *v;
    int bad = 0;
    if (kind == ENGINE_REQ_GENERATE || kind == ENGINE_REQ_CHAT) {
        v = json_object_get(rsp, "text");
        if (json_is_string(v)) resp.text = (char *)json_string_value(v);
        else if (!json_object_get(rsp, "error")) bad = snprintf(what, what_n, "field 'text' must be a string");
    } else {
        v = json_object_get(rsp, "logprob");
        if (json_is_number(v)) resp.logprob = json_number_value(v);
        else if (!json_object_get(rsp, "error")) bad = snprintf(what, what_n, "field 'logprob' must be a number");
        resp.is_greedy = engine_is_greedy_from_json(json_object_get(rsp, "is_greedy"));
    }
    if (json_is_integer(v = json_object_get(rsp, "truncated")) && json_integer_value(v) > 0)
        resp.truncated = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(rsp, "prompt_tokens"))) resp.prompt_tokens = (int)json_integer_value(v);
    if (json_is_integer(v = json_object_get(rsp, "completion_tokens"))) resp.completion_tokens = (int)json_integer_value(v);
    if (json_is_string(v = json_object_get(rsp, "error"))) resp.error = (char *)json_string_value(v);
    if (bad) {
        free(msgs);
        return -1;
    }
    out->key = engine_request_match_key(&r);
    out->response = engine_response_to_json(&resp);
    *kind_cap = engine_cap_for_request(kind) | (kind == ENGINE_REQ_GENERATE || kind == ENGINE_REQ_CHAT ? ENGINE_CAP_STREAM : 0);
    free(msgs);
    return 0;
}

int replay_open(const engine_spec *spec, const engine_options *opt, engine **out, char *err)
{
    (void)opt;
    const char *arg = spec->arg;
    char *text = NULL;
    int rc = tt_read_file(arg, &text, NULL, err);
    if (rc) return rc;
    replay_engine *re = tt_calloc(1, sizeof *re);
    re->base.vt = &replay_vtable;
    size_t cap = 0;
    int lineno = 0;
    char *next = text;
    while (next && *next) {
        char *line = next;
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
            next = nl + 1;
        } else {
            next = NULL;
        }
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) continue;
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!json_is_object(j)) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: not a JSON object%s%s", arg, lineno, j ? "" : ": ", j ? "" : je.text);
            json_decref(j);
            goto fail;
        }
        if (re->n == cap) {
            cap = cap ? cap * 2 : 64;
            re->entries = tt_realloc(re->entries, cap * sizeof *re->entries);
        }
        char what[200];
        unsigned c = 0;
        if (parse_line(j, &re->entries[re->n], &c, what, sizeof what) != 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: %s", arg, lineno, what);
            json_decref(j);
            goto fail;
        }
        json_decref(j);
        re->caps |= c;
        re->n++;
    }
    free(text);
    if (re->n == 0) {   /* a wrong path or a broken recording: no model answers nothing */
        rc = tt_fail(err, TT_ERR_PARSE, "replay file '%s' holds no recordings", arg);
        replay_close(&re->base);
        return rc;
    }
    qsort(re->entries, re->n, sizeof *re->entries, cmp_entry);
    *out = &re->base;
    return TT_OK;
fail:
    free(text);
    replay_close(&re->base);
    return rc;
}
