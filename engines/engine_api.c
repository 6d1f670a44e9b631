/*
 * engine_api.c — the kind-independent part of the engine interface
 * (engine.h): options, the thin dispatch around the vtable every engine
 * carries, and the response and stop-string helpers that the engine kinds
 * use. It does not know the table of kinds (engine.c), so the kinds
 * (engines/glm, engines/http, engines/replay.c) link against it without a
 * cycle.
 */
#include "engines/engine.h"
#include "core/util.h"
#include "core/redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void engine_options_default(engine_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->max_retries = -1;
}

void engine_close(engine *e)
{
    if (!e) return;
    char *spec = e->spec, *kind = e->kind, *caps_error = e->caps_error, *caps_note = e->caps_note;
    char *endpoint = e->endpoint;
    e->vt->close(e);
    free(endpoint);
    free(spec);
    free(kind);
    free(caps_error);
    free(caps_note);
}

unsigned engine_caps(engine *e) { return e->vt->caps(e); }

int engine_caps_check(engine *e, char *err)
{
    engine_caps(e);
    return e->caps_error ? tt_fail(err, TT_ERR_IO, "%s", e->caps_error) : TT_OK;
}
const char *engine_get_spec(const engine *e) { return e->spec; }
const char *engine_get_endpoint(const engine *e) { return e->endpoint; }

void engine_caps_string(unsigned caps, char *out, size_t n)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {ENGINE_CAP_GENERATE, "generate"}, {ENGINE_CAP_CHAT, "chat"},
        {ENGINE_CAP_LOGLIKELIHOOD, "loglikelihood"}, {ENGINE_CAP_LOGLIKELIHOOD_ROLLING, "loglikelihood_rolling"},
        {ENGINE_CAP_IMAGE, "image"}, {ENGINE_CAP_EMBED, "embed"}, {ENGINE_CAP_MODERATE, "moderate"},
        {ENGINE_CAP_STREAM, "stream"}, {ENGINE_CAP_TRANSCRIBE, "transcribe"}, {ENGINE_CAP_TOKEN_IDS, "token_ids"}};
    size_t used = 0;
    if (n) out[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(caps & names[i].bit)) continue;
        int w = snprintf(out + used, n > used ? n - used : 0, "%s%s", used ? "," : "", names[i].name);
        if (w > 0) used += (size_t)w;
        if (used >= n) break;
    }
}

unsigned engine_cap_for_request(enum engine_request_kind kind)
{
    switch (kind) {
    case ENGINE_REQ_GENERATE: return ENGINE_CAP_GENERATE;
    case ENGINE_REQ_CHAT: return ENGINE_CAP_CHAT;
    case ENGINE_REQ_LOGLIKELIHOOD: return ENGINE_CAP_LOGLIKELIHOOD;
    case ENGINE_REQ_LOGLIKELIHOOD_ROLLING: return ENGINE_CAP_LOGLIKELIHOOD_ROLLING;
    }
    return 0;
}

static void response_init(engine_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->prompt_tokens = resp->completion_tokens = -1;
    resp->first_token_s = -1;
}

static int check_cap(engine *e, const engine_request *req, char *err)
{
    unsigned need = engine_cap_for_request(req->kind);
    if (engine_caps(e) & need) return TT_OK;
    char caps[128];
    engine_caps_string(need, caps, sizeof caps);
    return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' cannot answer %s requests", e->spec, caps);
}

/* An answer that echoes an API key (a prompt that held one, a server that
 * repeats the request) is redacted before anyone keeps it: the cache, the
 * store, the results, the arena. */
static void response_redact(engine_response *resp)
{
    resp->text = tt_redact_owned(resp->text);
    for (int i = 0; resp->texts && i < resp->n_texts; i++) resp->texts[i] = tt_redact_owned(resp->texts[i]);
    resp->error = tt_redact_owned(resp->error);
}

int engine_complete(engine *e, const engine_request *req, engine_response *resp, char *err)
{
    response_init(resp);
    int rc = check_cap(e, req, err);
    if (rc) return rc;
    rc = e->vt->complete(e, req, resp, err);
    response_redact(resp);
    if (rc != TT_OK && err) tt_redact_buf(err, TT_ERR_SIZE);
    return rc;
}

int engine_complete_batch(engine *e, const engine_request *reqs, int n, engine_response *resps, char *err)
{
    int rc = TT_OK, i = 0;
    for (int j = 0; j < n; j++) response_init(&resps[j]);
    while (i < n && rc == TT_OK) {
        int k = 0;   /* a run of loglikelihood requests */
        while (e->loglikelihood_batch && i + k < n && reqs[i + k].kind == ENGINE_REQ_LOGLIKELIHOOD) k++;
        if (k >= 2 && (rc = check_cap(e, &reqs[i], err)) == TT_OK) {
            rc = e->loglikelihood_batch(e, reqs + i, k, resps + i, err);
            for (int j = i; j < i + k; j++) response_redact(&resps[j]);
            i += k;
        } else if (rc == TT_OK) {
            rc = engine_complete(e, &reqs[i], &resps[i], err);
            i++;
        }
    }
    if (rc != TT_OK) {
        for (int j = 0; j < n; j++) engine_response_free(&resps[j]);
        if (err) tt_redact_buf(err, TT_ERR_SIZE);
    }
    return rc;
}

int engine_embed(engine *e, const char *text, float **vec, int *dim, char *err)
{
    if (!e->vt->embed || !(engine_caps(e) & ENGINE_CAP_EMBED))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no embeddings", e->spec);
    return e->vt->embed(e, text, vec, dim, err);
}

int engine_embed_batch(engine *e, const char *const *texts, int n, float **vecs, int *dim, long *prompt_tokens,
                       char *err)
{
    for (int i = 0; i < n; i++) vecs[i] = NULL;
    *dim = 0;
    if (prompt_tokens) *prompt_tokens = -1;
    if (!(e->vt->embed || e->embed_batch) || !(engine_caps(e) & ENGINE_CAP_EMBED))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no embeddings", e->spec);
    if (n <= 0) return TT_OK;
    if (e->embed_batch) return e->embed_batch(e, texts, n, vecs, dim, prompt_tokens, err);
    int rc = TT_OK;
    for (int i = 0; i < n && rc == TT_OK; i++) {
        int d = 0;
        rc = e->vt->embed(e, texts[i], &vecs[i], &d, err);
        if (rc == TT_OK && i > 0 && d != *dim)
            rc = tt_fail(err, TT_ERR_ENGINE, "model '%s' gave vectors of %d and %d dimensions", e->spec, *dim, d);
        *dim = d;
    }
    if (rc != TT_OK)
        for (int i = 0; i < n; i++) {
            free(vecs[i]);
            vecs[i] = NULL;
        }
    return rc;
}

int engine_moderation_scores(engine *e, const char *text, char **result_json, char *err)
{
    *result_json = NULL;
    if (!e->moderation_scores || !(engine_caps(e) & ENGINE_CAP_MODERATE))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no moderation scores", e->spec);
    return e->moderation_scores(e, text, result_json, err);
}

int engine_transcribe(engine *e, const char *audio_path, const char *language, engine_response *resp, char *err)
{
    memset(resp, 0, sizeof *resp);
    resp->prompt_tokens = resp->completion_tokens = -1;
    resp->first_token_s = -1;
    if (!e->transcribe || !(engine_caps(e) & ENGINE_CAP_TRANSCRIBE))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no speech recognition", e->spec);
    return e->transcribe(e, audio_path, language, resp, err);
}

int engine_tokenize(engine *e, const char *text, int add_special, int **ids, int *n, char *err)
{
    *ids = NULL;
    *n = 0;
    if (!e->vt->tokenize) return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no tokenizer Tianti can reach", e->spec);
    return e->vt->tokenize(e, text, add_special, ids, n, err);
}

int engine_detokenize(engine *e, const int *ids, int n, int render_special, char **text, char *err)
{
    *text = NULL;
    if (!e->vt->detokenize) return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no tokenizer Tianti can reach", e->spec);
    return e->vt->detokenize(e, ids, n, render_special, text, err);
}

int engine_moderate(engine *e, const char *text, int *flagged, char **categories_json, char *err)
{
    if (!e->vt->moderate || !(engine_caps(e) & ENGINE_CAP_MODERATE))
        return tt_fail(err, TT_ERR_UNSUPPORTED, "model '%s' has no moderation", e->spec);
    return e->vt->moderate(e, text, flagged, categories_json, err);
}

int engine_get_stats(engine *e, engine_stats *out)
{
    memset(out, 0, sizeof *out);
    out->weights_bytes = out->kv_cache_bytes = out->scratch_bytes = out->file_bytes = out->n_params = -1;
    out->load_s = -1;
    if (!e->vt->stats) return TT_ERR_UNSUPPORTED;
    return e->vt->stats(e, out);
}

void engine_response_free(engine_response *r)
{
    if (!r) return;
    free(r->text);
    for (int i = 0; i < r->n_texts; i++) free(r->texts[i]);
    free(r->texts);
    for (int i = 0; i < r->n_token_logprobs; i++) free(r->token_logprobs[i].token);
    free(r->token_logprobs);
    for (int i = 0; r->top_logprobs && i < r->n_token_logprobs * r->top_k; i++) free(r->top_logprobs[i].token);
    free(r->top_logprobs);
    free(r->finish_reason);
    free(r->error);
    memset(r, 0, sizeof *r);
}

int engine_apply_stop(char *text, const char *const *until, int n_until)
{
    if (!text) return 0;
    char *cut = NULL;
    for (int i = 0; i < n_until; i++) {
        if (!until[i] || !*until[i]) continue;
        char *p = strstr(text, until[i]);
        if (p && (!cut || p < cut)) cut = p;
    }
    if (!cut) return 0;
    *cut = 0;
    return 1;
}
