/*
 * http_client.c — the libcurl side of the HTTP engines: handle pool,
 * retries, limiter, SSE parsing and key redaction. The design notes (what
 * is retried, how delays are chosen, where the key may go) are at the top
 * of http_client.h; this file follows them in the same order.
 */
#include "engines/http/http_client.h"
#include "core/redact.h"
#include "core/log.h"
#include "core/utf8.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- policy and backoff ------------------------------------------------------ */

void http_policy_default(http_policy *p)
{
    p->timeout_s = 120;
    p->connect_timeout_s = 10;
    p->deadline_s = 600;
    p->max_retries = 5;
    p->backoff_base_s = 0.5;
    p->backoff_cap_s = 8;
    p->retry_after_max_s = 60;
}

double http_backoff_delay(const http_policy *p, int k, double u)
{
    if (k < 0) k = 0;
    if (k > 60) k = 60;
    double d = p->backoff_base_s * ldexp(1.0, k);
    if (d > p->backoff_cap_s) d = p->backoff_cap_s;
    if (u < 0) u = 0;
    if (u >= 1) u = 0.999999;
    return d * (1.0 - 0.25 * u);
}

double http_parse_duration(const char *s)
{
    if (!s) return -1;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return -1;
    double total = 0;
    int parts = 0;
    while (*s && *s != '\r' && *s != '\n' && *s != ' ') {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || v < 0 || !isfinite(v)) return -1;
        s = end;
        double unit;
        if (s[0] == 'm' && s[1] == 's') { unit = 1e-3; s += 2; }
        else if (s[0] == 'u' && s[1] == 's') { unit = 1e-6; s += 2; }
        else if (s[0] == 'n' && s[1] == 's') { unit = 1e-9; s += 2; }
        else if (s[0] == 'h') { unit = 3600; s++; }
        else if (s[0] == 'm') { unit = 60; s++; }
        else if (s[0] == 's') { unit = 1; s++; }
        else if (!*s || *s == '\r' || *s == '\n' || *s == ' ') {
            if (parts) return -1;       /* "1m5" is malformed */
            unit = 1;
        } else return -1;
        total += v * unit;
        parts++;
    }
    return parts ? total : -1;
}

void http_hints_clear(http_hints *h)
{
    h->retry_after_ms = h->retry_after_s = h->reset_requests_s = h->reset_tokens_s = -1;
    h->should_retry = -1;
}

/* Matches "name:" case-insensitively; returns the value start or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, char *val, size_t vn)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return NULL;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t n = (size_t)(end - v);
    if (n >= vn) n = vn - 1;
    memcpy(val, v, n);
    val[n] = 0;
    return val;
}

static double parse_seconds(const char *v)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno || !isfinite(d)) return -1;
    while (*end == ' ') end++;
    return *end ? -1 : d;
}

void http_hints_header(http_hints *h, const char *line, size_t len, double now_wall)
{
    char v[128];
    if (header_value(line, len, "retry-after-ms", v, sizeof v)) {
        h->retry_after_ms = parse_seconds(v);
    } else if (header_value(line, len, "retry-after", v, sizeof v)) {
        double d = parse_seconds(v);
        if (d < 0) {
            struct tm tm;
            memset(&tm, 0, sizeof tm);
            const char *e = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            if (e && !*e) d = (double)timegm(&tm) - now_wall;
            if (d < 0) d = -1;
        }
        h->retry_after_s = d;
    } else if (header_value(line, len, "x-ratelimit-reset-requests", v, sizeof v)) {
        h->reset_requests_s = http_parse_duration(v);
    } else if (header_value(line, len, "x-ratelimit-reset-tokens", v, sizeof v)) {
        h->reset_tokens_s = http_parse_duration(v);
    } else if (header_value(line, len, "x-should-retry", v, sizeof v)) {
        if (!strcasecmp(v, "true")) h->should_retry = 1;
        else if (!strcasecmp(v, "false")) h->should_retry = 0;
    }
}

double http_hints_delay(const http_hints *h, long status, double max_s)
{
    double d = -1;
    if (h->retry_after_ms > 0) d = h->retry_after_ms / 1000.0;
    else if (h->retry_after_s > 0) d = h->retry_after_s;
    else if (status == 429) {
        double r = h->reset_requests_s, t = h->reset_tokens_s;
        d = r > t ? r : t;
    }
    if (d <= 0 || d > max_s) return -1;
    return d;
}

/* ---- classification ------------------------------------------------------------ */

/* error.code or error.type of an OpenAI error body, into out ("" if none). */
static void error_code(const char *body, char *out, size_t n)
{
    out[0] = 0;
    if (!body) return;
    json_t *j = json_loads(body, JSON_DISABLE_EOF_CHECK, NULL);
    if (!j) return;
    json_t *e = json_object_get(j, "error");
    const char *code = NULL;
    if (json_is_object(e)) {
        code = json_string_value(json_object_get(e, "code"));
        if (!code) code = json_string_value(json_object_get(e, "type"));
    }
    if (code) snprintf(out, n, "%s", code);
    json_decref(j);
}

enum http_class http_classify(long status, int transport_error, const char *body, int should_retry)
{
    if (transport_error || status == 0) return HTTP_CLASS_RETRY;
    if (status >= 200 && status < 300) return HTTP_CLASS_OK;
    char code[64];
    error_code(body, code, sizeof code);
    if (!strcmp(code, "insufficient_quota")) return HTTP_CLASS_FATAL;
    if (status == 400 || status == 401 || status == 403 || status == 404) return HTTP_CLASS_FATAL;
    if (should_retry == 0) return HTTP_CLASS_FAIL;
    if (should_retry == 1) return HTTP_CLASS_RETRY;
    if (status == 408 || status == 409 || status == 429 || status >= 500) return HTTP_CLASS_RETRY;
    return HTTP_CLASS_FAIL;
}

void http_error_text(const char *body, size_t len, char *out, size_t n)
{
    if (!n) return;
    out[0] = 0;
    if (!body || !len) { snprintf(out, n, "empty body"); return; }
    json_t *j = json_loadb(body, len, 0, NULL);
    if (j) {
        json_t *e = json_object_get(j, "error");
        const char *m = json_is_object(e) ? json_string_value(json_object_get(e, "message"))
                                          : json_string_value(e);
        if (!m) m = json_string_value(json_object_get(j, "detail"));
        if (m) {
            snprintf(out, n, "%s", m);
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < n && k < 160; i++)
        out[k++] = (body[i] == '\n' || body[i] == '\r' || (unsigned char)body[i] < 0x20) ? ' ' : body[i];
    out[k] = 0;
}

/* ---- limiter ----------------------------------------------------------------------- */

void http_bucket_init(http_bucket *b, double per_minute, double now)
{
    b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
    /* One second's worth of burst, at least one unit: a 60 rpm limit is
     * paced at one request per second, as the API enforces short windows. */
    b->cap = b->rate > 1 ? b->rate : 1;
    b->level = b->cap;
    b->t = now;
}

double http_bucket_reserve(http_bucket *b, double now, double amount)
{
    if (b->rate <= 0) return 0;
    if (now > b->t) {
        b->level += (now - b->t) * b->rate;
        if (b->level > b->cap) b->level = b->cap;
        b->t = now;
    }
    /* A request larger than the burst may go when the bucket is full. */
    double need = amount > b->cap ? b->cap : amount;
    double wait = 0;
    if (b->level < need) wait = (need - b->level) / b->rate;
    b->level -= amount;
    return wait;
}

void http_bucket_adjust(http_bucket *b, double amount)
{
    if (b->rate <= 0) return;
    b->level += amount;
    if (b->level > b->cap) b->level = b->cap;
}

void http_limiter_init(http_limiter *l, double rpm, double tpm)
{
    pthread_mutex_init(&l->mu, NULL);
    double now = tt_now_s();
    http_bucket_init(&l->requests, rpm, now);
    http_bucket_init(&l->tokens, tpm, now);
}

void http_limiter_destroy(http_limiter *l) { pthread_mutex_destroy(&l->mu); }

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

double http_limiter_acquire(http_limiter *l, double tokens)
{
    pthread_mutex_lock(&l->mu);
    double now = tt_now_s();
    double w1 = http_bucket_reserve(&l->requests, now, 1);
    double w2 = http_bucket_reserve(&l->tokens, now, tokens);
    pthread_mutex_unlock(&l->mu);
    double w = w1 > w2 ? w1 : w2;
    sleep_s(w);
    return w;
}

void http_limiter_correct(http_limiter *l, double delta_tokens)
{
    pthread_mutex_lock(&l->mu);
    http_bucket_adjust(&l->tokens, -delta_tokens);
    pthread_mutex_unlock(&l->mu);
}

/* ---- SSE ----------------------------------------------------------------------------- */

void http_sse_init(http_sse *s, http_sse_cb cb, void *user)
{
    memset(s, 0, sizeof *s);
    tt_buf_init(&s->line);
    tt_buf_init(&s->data);
    s->cb = cb;
    s->user = user;
}

void http_sse_free(http_sse *s)
{
    tt_buf_free(&s->line);
    tt_buf_free(&s->data);
}

static int sse_dispatch(http_sse *s)
{
    if (!s->has_data) return s->stopped;
    s->has_data = 0;
    const char *d = tt_buf_str(&s->data);
    size_t n = s->data.len;
    if (n == 6 && !memcmp(d, "[DONE]", 6)) s->done = 1;
    else if (!s->stopped && !s->done && s->cb && s->cb(s->user, d, n)) s->stopped = 1;
    tt_buf_reset(&s->data);
    return s->stopped;
}

static int sse_line(http_sse *s, const char *p, size_t n)
{
    if (n && p[n - 1] == '\r') n--;
    if (n == 0) return sse_dispatch(s);
    if (p[0] == ':') return 0;                       /* comment / ping */
    size_t f = 0;
    while (f < n && p[f] != ':') f++;
    if (f != 4 || memcmp(p, "data", 4) != 0) return 0; /* event:, id:, retry: */
    const char *v = p + f + (f < n);
    size_t vn = n - f - (f < n);
    if (vn && *v == ' ') { v++; vn--; }
    if (s->has_data) tt_buf_append(&s->data, "\n", 1);
    tt_buf_append(&s->data, v, vn);
    if (!s->data.data) tt_buf_append(&s->data, "", 0);
    s->has_data = 1;
    return 0;
}

int http_sse_feed(http_sse *s, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !s->stopped) {
        const char *nl = memchr(p + i, '\n', n - i);
        if (!nl) {
            tt_buf_append(&s->line, p + i, n - i);
            break;
        }
        size_t k = (size_t)(nl - (p + i));
        if (s->line.len) {
            tt_buf_append(&s->line, p + i, k);
            sse_line(s, tt_buf_str(&s->line), s->line.len);
            tt_buf_reset(&s->line);
        } else {
            sse_line(s, p + i, k);
        }
        i += k + 1;
    }
    return s->stopped;
}

int http_sse_finish(http_sse *s)
{
    if (s->line.len) {
        sse_line(s, tt_buf_str(&s->line), s->line.len);
        tt_buf_reset(&s->line);
    }
    return sse_dispatch(s);
}

/* ---- UTF-8-safe JSON strings ----------------------------------------------------- */

json_t *http_json_text(const char *s, size_t n)
{
    if (!s) return json_string("");
    /* NULs are kept: jansson carries them as \u0000 */
    tt_buf b;
    tt_buf_init(&b);
    tt_utf8_clean_append(&b, s, n, 1);
    json_t *j = json_stringn(tt_buf_str(&b), b.len);
    tt_buf_free(&b);
    return j ? j : json_string("");
}

/* ---- redaction ---------------------------------------------------------------------- */

char *http_redact(const char *s, size_t len, const char *secret)
{
    tt_redact_add(secret);   /* then everywhere else too (core/redact.h) */
    return tt_redact_text(s, len);
}

/* ---- the client ---------------------------------------------------------------------- */

#define POOL_MAX 128
#define BODY_MAX (64u << 20)   /* refuse replies larger than 64 MiB */

struct http_client {
    char *key;                  /* NULL when none; never printed */
    char *auth_header;          /* "Authorization: Bearer KEY" */
    char *name;
    http_policy policy;
    http_limiter limiter;
    int verbose;
    pthread_mutex_t mu;         /* pool and rng */
    CURL *pool[POOL_MAX];
    int n_pool;
    tt_rng rng;
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void http_client_config_default(http_client_config *c)
{
    memset(c, 0, sizeof *c);
    http_policy_default(&c->policy);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *user)
{
    (void)h; (void)a;
    http_client *c = user;
    pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    http_client *c = user;
    pthread_mutex_unlock(&c->share_mu[data]);
}

int http_client_create(const http_client_config *cfg, http_client **out, char *err)
{
    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    const char *key = cfg->api_key_env ? getenv(cfg->api_key_env) : NULL;
    if (key && !*key) key = NULL;
    if (cfg->require_key && !key)
        return tt_fail(err, TT_ERR_USAGE, "no API key for '%s': set the environment variable '%s'",
                       cfg->name ? cfg->name : "model", cfg->api_key_env ? cfg->api_key_env : "OPENAI_API_KEY");
    if (key) {
        for (const char *p = key; *p; p++)
            if (*p == '\r' || *p == '\n')
                return tt_fail(err, TT_ERR_USAGE, "API key in '%s' contains a line break", cfg->api_key_env);
    }
    http_client *c = tt_calloc(1, sizeof *c);
    tt_redact_add(key);   /* never stored, logged or printed from here on */
    c->key = tt_strdup(key);
    if (key) c->auth_header = tt_asprintf("Authorization: Bearer %s", key);
    c->name = tt_strdup(cfg->name ? cfg->name : "model");
    c->policy = cfg->policy;
    c->verbose = cfg->verbose;
    http_limiter_init(&c->limiter, cfg->rpm, cfg->tpm);
    pthread_mutex_init(&c->mu, NULL);
    tt_rng_seed(&c->rng, (uint64_t)(tt_wall_s() * 1e6) ^ (uint64_t)(uintptr_t)c);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_mu[i], NULL);
    c->share = curl_share_init();
    if (c->share) {
        curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    *out = c;
    return TT_OK;
}

void http_client_free(http_client *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_pool; i++) curl_easy_cleanup(c->pool[i]);
    if (c->share) curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_mu[i]);
    if (c->key) memset(c->key, 0, strlen(c->key));
    if (c->auth_header) memset(c->auth_header, 0, strlen(c->auth_header));
    free(c->key);
    free(c->auth_header);
    free(c->name);
    http_limiter_destroy(&c->limiter);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void http_client_correct_tokens(http_client *c, double delta)
{
    http_limiter_correct(&c->limiter, delta);
}

int http_client_has_key(const http_client *c) { return c->key != NULL; }
const http_policy *http_client_policy(const http_client *c) { return &c->policy; }

static CURL *pool_get(http_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->n_pool) h = c->pool[--c->n_pool];
    pthread_mutex_unlock(&c->mu);
    if (h) curl_easy_reset(h);   /* keeps live connections and caches */
    else h = curl_easy_init();
    return h;
}

static void pool_put(http_client *c, CURL *h)
{
    pthread_mutex_lock(&c->mu);
    if (c->n_pool < POOL_MAX) {
        c->pool[c->n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (h) curl_easy_cleanup(h);
}

static double jitter(http_client *c)
{
    pthread_mutex_lock(&c->mu);
    double u = tt_rng_uniform(&c->rng);
    pthread_mutex_unlock(&c->mu);
    return u;
}

/* State of one attempt, shared with the curl callbacks. */
typedef struct attempt {
    http_client *c;
    const http_call_spec *spec;
    CURL *h;
    tt_buf body;            /* non-stream body, or error body of a stream */
    http_sse sse;
    int streaming;          /* decided at the first body byte: 2xx + spec->stream */
    int decided;
    int aborted;            /* on_event asked to stop */
    int too_big;
    http_hints hints;
    double t0, first_byte;
} attempt;

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    attempt *a = user;
    size_t len = size * n;
    if (len >= 5 && !memcmp(p, "HTTP/", 5)) http_hints_clear(&a->hints);
    else http_hints_header(&a->hints, p, len, tt_wall_s());
    return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *user)
{
    attempt *a = user;
    size_t len = size * n;
    if (a->first_byte < 0) a->first_byte = tt_now_s() - a->t0;
    if (!a->decided) {
        long st = 0;
        curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &st);
        a->streaming = a->spec->stream && st >= 200 && st < 300;
        a->decided = 1;
    }
    if (a->streaming) {
        if (http_sse_feed(&a->sse, p, len)) {
            a->aborted = 1;
            return 0;
        }
        return len;
    }
    if (a->body.len + len > BODY_MAX) {
        a->too_big = 1;
        return 0;
    }
    tt_buf_append(&a->body, p, len);
    return len;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *user)
{
    (void)h;
    http_client *c = user;
    if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN && type != CURLINFO_TEXT) return 0;
    char *red = http_redact(data, size, c->key);
    const char *tag = type == CURLINFO_HEADER_OUT ? ">" : type == CURLINFO_HEADER_IN ? "<" : "*";
    /* One prefix per line; header blocks arrive with several lines. */
    for (char *line = red, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') line[l - 1] = 0;
        if (*line) tt_log(TT_LOG_DEBUG, "http %s %s %s", c->name, tag, line);
    }
    free(red);
    return 0;
}

static void set_error(http_client *c, http_result *res, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_error(http_client *c, http_result *res, const char *fmt, ...)
{
    char raw[TT_ERR_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    char *red = http_redact(raw, strlen(raw), c->key);
    snprintf(res->error, sizeof res->error, "%s", red);
    free(red);
}

void http_result_free(http_result *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

char *http_url_join(const char *base, const char *path)
{
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    while (*path == '/') path++;
    return tt_asprintf("%.*s/%s", (int)bl, base, path);
}

int http_call(http_client *c, const http_call_spec *spec, http_result *res)
{
    memset(res, 0, sizeof *res);
    res->first_byte_s = -1;
    res->cls = HTTP_CLASS_FAIL;
    const http_policy *pol = &c->policy;
    double start = tt_now_s();
    double deadline = start + (pol->deadline_s > 0 ? pol->deadline_s : 1e9);
    int max_retries = pol->max_retries < 0 ? 0 : pol->max_retries;
    if (spec->retries_cap > 0 && max_retries > spec->retries_cap) max_retries = spec->retries_cap;

    for (int k = 0;; k++) {
        res->waited_s += http_limiter_acquire(&c->limiter, k == 0 ? spec->tokens : 0);
        double now = tt_now_s();
        if (now >= deadline) {
            set_error(c, res, "deadline of %.0f s passed after %d attempts (%s)", pol->deadline_s, k,
                      res->error[0] ? res->error : "no reply");
            res->cls = HTTP_CLASS_FAIL;
            return TT_ERR_INTERRUPTED;
        }
        if (spec->on_attempt) spec->on_attempt(spec->user, k);

        attempt a;
        memset(&a, 0, sizeof a);
        a.c = c;
        a.spec = spec;
        a.first_byte = -1;
        a.t0 = now;
        tt_buf_init(&a.body);
        http_sse_init(&a.sse, spec->on_event, spec->user);
        http_hints_clear(&a.hints);
        a.h = pool_get(c);
        if (!a.h) {
            set_error(c, res, "cannot create a curl handle");
            res->cls = HTTP_CLASS_FATAL;
            http_sse_free(&a.sse);
            return TT_ERR_IO;
        }
        CURL *h = a.h;
        struct curl_slist *hdrs = NULL;
        curl_mime *mime = NULL;
        if (!spec->file_path) hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        hdrs = curl_slist_append(hdrs, spec->stream ? "Accept: text/event-stream" : "Accept: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        if (c->auth_header) hdrs = curl_slist_append(hdrs, c->auth_header);
        double tmo = pol->timeout_s > 0 ? pol->timeout_s : 120;
        if (tmo > deadline - now) tmo = deadline - now;
        curl_easy_setopt(h, CURLOPT_URL, spec->url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "tianti/" TIANTI_VERSION);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(tmo * 1000) + 1);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((pol->connect_timeout_s > 0 ? pol->connect_timeout_s : 10) * 1000));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        if (c->share) curl_easy_setopt(h, CURLOPT_SHARE, c->share);
        if (spec->file_path) {   /* multipart: the text parts, then the file (curl sets the boundary) */
            mime = curl_mime_init(h);
            for (int f = 0; f < spec->n_form; f++) {
                curl_mimepart *part = curl_mime_addpart(mime);
                curl_mime_name(part, spec->form[2 * f]);
                curl_mime_data(part, spec->form[2 * f + 1], CURL_ZERO_TERMINATED);
            }
            curl_mimepart *part = curl_mime_addpart(mime);
            curl_mime_name(part, spec->file_field ? spec->file_field : "file");
            curl_mime_filedata(part, spec->file_path);
            curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
        } else if (spec->body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, spec->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(spec->body));
        } else if (spec->method && strcmp(spec->method, "GET") != 0) {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, spec->method);
        }
        if (c->verbose) {
            curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
            curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
            curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
        }
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(h, CURLOPT_SHARE, NULL);
        if (mime) {
            curl_easy_setopt(h, CURLOPT_MIMEPOST, NULL);
            curl_mime_free(mime);
        }
        curl_slist_free_all(hdrs);
        pool_put(c, h);
        if (a.streaming && cc == CURLE_OK) http_sse_finish(&a.sse);
        res->status = status;
        res->attempts = k + 1;
        free(res->body);
        res->body = http_redact(tt_buf_str(&a.body), a.body.len, c->key);
        res->body_len = strlen(res->body);

        enum http_class cls;
        char why[TT_ERR_SIZE];
        why[0] = 0;
        if (a.aborted || a.sse.stopped) {
            set_error(c, res, "stopped by the caller");
            res->cls = HTTP_CLASS_FAIL;
            tt_buf_free(&a.body);
            http_sse_free(&a.sse);
            return TT_ERR_INTERRUPTED;
        }
        if (a.too_big) {
            cls = HTTP_CLASS_FAIL;
            snprintf(why, sizeof why, "reply larger than %u bytes", BODY_MAX);
        } else if (cc != CURLE_OK) {
            cls = HTTP_CLASS_RETRY;
            snprintf(why, sizeof why, "%s", curl_easy_strerror(cc));
        } else {
            cls = http_classify(status, 0, tt_buf_str(&a.body), a.hints.should_retry);
            if (cls == HTTP_CLASS_OK) {
                int retry = 1;
                int bad = 0;
                if (spec->stream && !a.streaming) {
                    /* Server answered 2xx without a stream: pass it to check. */
                    bad = spec->check ? spec->check(spec->user, tt_buf_str(&a.body), a.body.len, &retry, why) : 0;
                } else if (spec->stream && !a.sse.done) {
                    bad = 1;
                    snprintf(why, sizeof why, "stream ended before 'data: [DONE]' (truncated)");
                } else if (spec->check) {
                    bad = spec->check(spec->user, spec->stream ? NULL : tt_buf_str(&a.body),
                                      spec->stream ? 0 : a.body.len, &retry, why);
                }
                if (bad) cls = retry ? HTTP_CLASS_RETRY : HTTP_CLASS_FAIL;
            } else {
                char msg[256];
                http_error_text(tt_buf_str(&a.body), a.body.len, msg, sizeof msg);
                snprintf(why, sizeof why, "HTTP %ld: %s", status, msg);
            }
        }
        if (cls == HTTP_CLASS_OK) {
            res->cls = HTTP_CLASS_OK;
            res->first_byte_s = a.first_byte;
            res->error[0] = 0;
            tt_buf_free(&a.body);
            http_sse_free(&a.sse);
            return TT_OK;
        }
        set_error(c, res, "%s %s: %s", spec->method ? spec->method : "POST", spec->url, why);
        double hint = http_hints_delay(&a.hints, status, pol->retry_after_max_s);
        tt_buf_free(&a.body);
        http_sse_free(&a.sse);
        res->cls = cls;
        if (cls != HTTP_CLASS_RETRY) return cls == HTTP_CLASS_FATAL ? TT_ERR_ENGINE : TT_ERR_IO;
        if (k >= max_retries) {
            char last[TT_ERR_SIZE];
            snprintf(last, sizeof last, "%s", res->error);
            set_error(c, res, "gave up after %d attempts: %s", k + 1, last);
            res->cls = HTTP_CLASS_FAIL;
            return TT_ERR_IO;
        }
        double d = hint >= 0 ? hint : http_backoff_delay(pol, k, jitter(c));
        if (tt_now_s() + d >= deadline) {
            char last[TT_ERR_SIZE];
            snprintf(last, sizeof last, "%s", res->error);
            set_error(c, res, "deadline of %.0f s would pass before retry %d: %s", pol->deadline_s, k + 1, last);
            res->cls = HTTP_CLASS_FAIL;
            return TT_ERR_INTERRUPTED;
        }
        if (c->verbose)
            tt_log(TT_LOG_DEBUG, "http %s: retry %d in %.2f s (%s)", c->name, k + 1, d, res->error);
        sleep_s(d);
        res->waited_s += d;
    }
}
