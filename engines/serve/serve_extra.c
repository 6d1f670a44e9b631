/*
 * serve_extra.c — /v1/embeddings, /tokenize, /detokenize and /metrics of
 * `tianti serve`; see serve_extra.h. The metrics are atomics plus one mutex
 * for the duration histogram; the endpoints are one function each.
 */
#include "engines/serve/serve_extra.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"
#include "engines/http/http_client.h"

/* ---- metrics ------------------------------------------------------------------- */

static const char *const endpoints[] = {"/v1/chat/completions", "/v1/completions", "/", "/v1/embeddings", "/tokenize",
                                        "/detokenize", "/v1/models", "/health", "/metrics", "other"};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])
static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

struct serve_metrics {
    atomic_long requests[N_ENDPOINTS];
    atomic_long prompt_tokens, completion_tokens;
    pthread_mutex_t mu;                 /* the histogram */
    long bucket[N_BUCKETS];
    long count;
    double sum;
};

serve_metrics *serve_metrics_new(void)
{
    serve_metrics *m = tt_calloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void serve_metrics_free(serve_metrics *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void serve_metrics_request(serve_metrics *m, const char *path, double seconds)
{
    size_t k = N_ENDPOINTS - 1;
    for (size_t i = 0; i + 1 < N_ENDPOINTS; i++)
        if (!strcmp(path, endpoints[i])) k = i;
    atomic_fetch_add(&m->requests[k], 1);
    pthread_mutex_lock(&m->mu);
    for (size_t b = 0; b < N_BUCKETS; b++)
        if (seconds <= buckets[b]) m->bucket[b]++;
    m->count++;
    m->sum += seconds;
    pthread_mutex_unlock(&m->mu);
}

void serve_metrics_tokens(serve_metrics *m, long prompt, long completion)
{
    if (prompt > 0) atomic_fetch_add(&m->prompt_tokens, prompt);
    if (completion > 0) atomic_fetch_add(&m->completion_tokens, completion);
}

/* A label value as the exposition format writes it (\ " and newline escaped). */
static void label(tt_buf *b, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"') tt_buf_printf(b, "\\%c", *p);
        else if (*p == '\n') tt_buf_puts(b, "\\n");
        else tt_buf_append(b, p, 1);
    }
}

char *serve_metrics_text(serve_metrics *m, const char *model_id, long in_flight, long engine_calls, long cancelled)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "# HELP tianti_info The model served.\n# TYPE tianti_info gauge\ntianti_info{model=\"");
    label(&b, model_id ? model_id : "");
    tt_buf_puts(&b, "\"} 1\n");
    tt_buf_puts(&b, "# HELP tianti_requests_total Requests received, by endpoint.\n# TYPE tianti_requests_total counter\n");
    for (size_t i = 0; i < N_ENDPOINTS; i++)
        tt_buf_printf(&b, "tianti_requests_total{endpoint=\"%s\"} %ld\n", endpoints[i], atomic_load(&m->requests[i]));
    tt_buf_printf(&b, "# HELP tianti_requests_processing Engine calls running or waiting for a slot.\n"
                      "# TYPE tianti_requests_processing gauge\ntianti_requests_processing %ld\n", in_flight);
    tt_buf_printf(&b, "# HELP tianti_engine_calls_total Engine calls made.\n# TYPE tianti_engine_calls_total counter\n"
                      "tianti_engine_calls_total %ld\n", engine_calls);
    tt_buf_printf(&b, "# HELP tianti_streams_cancelled_total Streamed replies whose client went away.\n"
                      "# TYPE tianti_streams_cancelled_total counter\ntianti_streams_cancelled_total %ld\n", cancelled);
    tt_buf_printf(&b, "# HELP tianti_prompt_tokens_total Prompt tokens processed.\n# TYPE tianti_prompt_tokens_total counter\n"
                      "tianti_prompt_tokens_total %ld\n", atomic_load(&m->prompt_tokens));
    tt_buf_printf(&b, "# HELP tianti_completion_tokens_total Tokens generated.\n"
                      "# TYPE tianti_completion_tokens_total counter\ntianti_completion_tokens_total %ld\n",
                  atomic_load(&m->completion_tokens));
    tt_buf_puts(&b, "# HELP tianti_request_duration_seconds Time from a request's arrival to its reply (to the "
                    "start of a streamed one).\n# TYPE tianti_request_duration_seconds histogram\n");
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < N_BUCKETS; i++)
        tt_buf_printf(&b, "tianti_request_duration_seconds_bucket{le=\"%g\"} %ld\n", buckets[i], m->bucket[i]);
    tt_buf_printf(&b, "tianti_request_duration_seconds_bucket{le=\"+Inf\"} %ld\n", m->count);
    tt_buf_printf(&b, "tianti_request_duration_seconds_sum %.6f\ntianti_request_duration_seconds_count %ld\n", m->sum,
                  m->count);
    pthread_mutex_unlock(&m->mu);
    return tt_buf_detach(&b);
}

/* ---- endpoints ------------------------------------------------------------------- */

int serve_extra_route(const char *path)
{
    if (!strcmp(path, "/metrics")) return 1;
    if (!strcmp(path, "/v1/embeddings") || !strcmp(path, "/tokenize") || !strcmp(path, "/detokenize")) return 2;
    return 0;
}

typedef struct xres {
    json_t **reply;
    unsigned *status;
    char *msg;
    const char **param, **code;
} xres;

static void xfail(xres *x, unsigned status, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void xfail(xres *x, unsigned status, const char *param, const char *code, const char *fmt, ...)
{
    *x->reply = NULL;
    *x->status = status;
    *x->param = param;
    *x->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, TT_ERR_SIZE, fmt, ap);
    va_end(ap);
}

/* Unknown fields are errors, as in the rest of the server. */
static int known_fields(const json_t *body, const char *const *known, xres *x)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++) ok = !strcmp(k, known[i]);
        if (!ok) {
            xfail(x, 400, NULL, "unknown_field", "unknown field '%s'", k);
            return -1;
        }
    }
    return 0;
}

/* An engine failure code as HTTP. */
static void engine_fail(xres *x, int rc, const char *err)
{
    xfail(x, rc == TT_ERR_UNSUPPORTED ? 400 : rc == TT_ERR_USAGE ? 400 : 500, NULL,
          rc == TT_ERR_UNSUPPORTED ? "unsupported" : rc == TT_ERR_USAGE ? "invalid_value" : "engine_error", "%s", err);
}

static int get_flag(const json_t *body, const char *name, int *out, xres *x)
{
    json_t *v = json_object_get(body, name);
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) {
        xfail(x, 400, name, "invalid_type", "'%s' must be a boolean", name);
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

/* A list of token ids from v, or -1 with x set. */
static int id_list(const json_t *v, const char *param, int **ids, int *n, xres *x)
{
    *ids = NULL;
    *n = 0;
    if (!json_is_array(v)) {
        xfail(x, 400, param, "invalid_type", "'%s' must be a list of token ids", param);
        return -1;
    }
    *ids = tt_calloc(json_array_size(v) + 1, sizeof **ids);
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t) {
        if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 0x7fffffff) {
            free(*ids);
            *ids = NULL;
            xfail(x, 400, param, "invalid_type", "'%s' must be a list of token ids", param);
            return -1;
        }
        (*ids)[(*n)++] = (int)json_integer_value(t);
    }
    return 0;
}

static void do_tokenize(engine *e, const json_t *body, xres *x)
{
    static const char *const known[] = {"content", "add_special", "with_pieces", "parse_special", "model", NULL};
    if (known_fields(body, known, x)) return;
    const char *content = json_string_value(json_object_get(body, "content"));
    int add_special, with_pieces;
    if (!content) {
        xfail(x, 400, "content", "invalid_type", "'content' must be a string");
        return;
    }
    if (get_flag(body, "add_special", &add_special, x) || get_flag(body, "with_pieces", &with_pieces, x)) return;
    int *ids, n;
    char err[TT_ERR_SIZE];
    int rc = engine_tokenize(e, content, add_special, &ids, &n, err);
    if (rc) {
        engine_fail(x, rc, err);
        return;
    }
    json_t *tokens = json_array();
    for (int i = 0; i < n && rc == TT_OK; i++) {
        if (!with_pieces) {
            json_array_append_new(tokens, json_integer(ids[i]));
            continue;
        }
        char *piece = NULL;
        rc = engine_detokenize(e, &ids[i], 1, 1, &piece, err);
        if (rc) break;
        json_t *p;
        size_t pl = strlen(piece);
        if (tt_utf8_valid(piece, pl)) {
            p = json_stringn(piece, pl);
        } else {   /* llama-server: the bytes of a piece that is not UTF-8 */
            p = json_array();
            for (size_t k = 0; k < pl; k++) json_array_append_new(p, json_integer((unsigned char)piece[k]));
        }
        free(piece);
        json_array_append_new(tokens, json_pack("{s:i, s:o}", "id", ids[i], "piece", p));
    }
    free(ids);
    if (rc) {
        json_decref(tokens);
        {
        engine_fail(x, rc, err);
        return;
    }
    }
    *x->reply = json_pack("{s:o}", "tokens", tokens);
}

static void do_detokenize(engine *e, const json_t *body, xres *x)
{
    static const char *const known[] = {"tokens", "model", NULL};
    if (known_fields(body, known, x)) return;
    int *ids, n;
    if (id_list(json_object_get(body, "tokens"), "tokens", &ids, &n, x)) return;
    char *text = NULL, err[TT_ERR_SIZE];
    int rc = engine_detokenize(e, ids, n, 0, &text, err);
    free(ids);
    if (rc) {
        engine_fail(x, rc, err);
        return;
    }
    *x->reply = json_pack("{s:o}", "content", http_json_text(text, strlen(text)));
    free(text);
}

static void do_embeddings(engine *e, const char *model_id, const json_t *body, const serve_slot *slot, serve_metrics *m,
                          xres *x)
{
    static const char *const known[] = {"input", "model", "encoding_format", "user", "dimensions", NULL};
    if (known_fields(body, known, x)) return;
    const json_t *fmt = json_object_get(body, "encoding_format");
    if (fmt && !json_is_null(fmt) && !(json_is_string(fmt) && !strcmp(json_string_value(fmt), "float")))
        {
        xfail(x, 400, "encoding_format", "unsupported", "only encoding_format \"float\" is supported");
        return;
    }
    if (json_object_get(body, "dimensions") && !json_is_null(json_object_get(body, "dimensions")))
        {
        xfail(x, 400, "dimensions", "unsupported", "'dimensions' is not supported: the vectors have the model's size");
        return;
    }
    /* the inputs as texts: a string, strings, token ids, lists of token ids */
    const json_t *in = json_object_get(body, "input");
    json_t *texts = json_array();
    char err[TT_ERR_SIZE];
    if (json_is_string(in)) json_array_append(texts, (json_t *)in);
    else if (json_is_array(in) && json_array_size(in) > 0 && json_is_integer(json_array_get(in, 0)))
        json_array_append(texts, (json_t *)in);   /* one list of ids */
    else if (json_is_array(in) && json_array_size(in) > 0)
        json_array_extend(texts, (json_t *)in);
    if (json_array_size(texts) == 0 || json_array_size(texts) > 2048) {
        json_decref(texts);
        {
        xfail(x, 400, "input", "invalid_type", "'input' must be a string, a list of 1 to 2048 strings, or token ids");
        return;
    }
    }
    json_t *data = json_array();
    long prompt_tokens = 0;
    int rc = TT_OK;
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t) {
        char *text = NULL;
        if (json_is_string(t)) {
            text = tt_strdup(json_string_value(t));
        } else {
            int *ids, n;
            if (id_list(t, "input", &ids, &n, x)) {
                rc = TT_ERR_USAGE;
                break;
            }
            rc = engine_detokenize(e, ids, n, 1, &text, err);
            free(ids);
            if (rc) {
                engine_fail(x, rc, err);
                break;
            }
        }
        if (slot->acquire(slot->ud)) {
            free(text);
            xfail(x, 503, NULL, "server_shutting_down", "the server is shutting down");
            rc = TT_ERR_INTERRUPTED;
            break;
        }
        float *vec = NULL;
        int dim = 0;
        rc = engine_embed(e, text, &vec, &dim, err);
        int *ids = NULL, nt = 0;
        if (rc == TT_OK && engine_tokenize(e, text, 0, &ids, &nt, err) == TT_OK) prompt_tokens += nt;
        slot->release(slot->ud);
        free(ids);
        free(text);
        if (rc) {
            engine_fail(x, rc, err);
            break;
        }
        json_t *v = json_array();
        for (int d = 0; d < dim; d++) json_array_append_new(v, json_real(vec[d]));
        free(vec);
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding", "index", (json_int_t)i, "embedding", v));
    }
    json_decref(texts);
    if (rc) {
        json_decref(data);
        return;
    }
    serve_metrics_tokens(m, prompt_tokens, 0);
    *x->reply = json_pack("{s:s, s:o, s:s, s:{s:I, s:I}}", "object", "list", "data", data, "model", model_id, "usage",
                          "prompt_tokens", (json_int_t)prompt_tokens, "total_tokens", (json_int_t)prompt_tokens);
}

void serve_extra_post(engine *e, const char *model_id, const char *path, const json_t *body, const serve_slot *slot,
                      serve_metrics *m, json_t **reply, unsigned *status, char *msg, const char **param,
                      const char **code)
{
    xres x = {reply, status, msg, param, code};
    *reply = NULL;
    *status = 200;
    *param = *code = NULL;
    msg[0] = 0;
    if (!strcmp(path, "/tokenize")) do_tokenize(e, body, &x);
    else if (!strcmp(path, "/detokenize")) do_detokenize(e, body, &x);
    else do_embeddings(e, model_id, body, slot, m, &x);
}
