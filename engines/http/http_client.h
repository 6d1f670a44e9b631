/*
 * http_client.h — libcurl plumbing shared by the HTTP engines (openai.c,
 * chatglm.c, visualglm.c): a pool of reusable easy handles, retries with
 * capped exponential backoff and jitter, Retry-After / x-ratelimit-reset-*
 * handling, a requests- and tokens-per-minute limiter, an incremental
 * server-sent-events parser, and redaction of the API key.
 *
 * Design notes
 *  (1) One http_client per opened engine (per model). It owns the key, the
 *      handle pool, the limiter and the retry policy; http_call() is
 *      thread-safe and may run from many runner threads at once.
 *  (2) Connection reuse: easy handles go back to the pool after each call
 *      and keep their live connections, so a run does one TLS handshake per
 *      pooled handle, not one per request. A CURLSH shares DNS and TLS
 *      sessions between the handles.
 *  (3) Outcome of one attempt (http_classify):
 *        2xx + body accepted by the caller's check  -> done
 *        429 rate_limit / 408 / 409 / 5xx / timeout / connection error /
 *        malformed or truncated body               -> retry (backoff)
 *        400 401 403 404, insufficient_quota         -> fatal: the engine
 *                                                       stops that model
 *        other 4xx                                   -> failed, not retried
 *      x-should-retry: true|false overrides the status rule.
 *  (4) Delay before retry k (k = retries already made): a server hint
 *      (retry-after-ms, retry-after seconds or HTTP-date, on 429 also the
 *      larger x-ratelimit-reset-*) when 0 < hint <= 60 s; otherwise
 *      min(base * 2^k, cap) * (1 - 0.25 * U[0,1)). A retry that would end
 *      past the total deadline is not made.
 *  (5) The key is only ever placed in the Authorization header. Every
 *      string this module returns (errors, bodies quoted in errors, debug
 *      output) goes through http_redact() first.
 */
#ifndef TIANTI_HTTP_CLIENT_H
#define TIANTI_HTTP_CLIENT_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>

#include "core/util.h"

/* ---- retry policy ---------------------------------------------------------- */

typedef struct http_policy {
    double timeout_s;          /* one attempt (connect + transfer); default 120 */
    double connect_timeout_s;  /* default 10 */
    double deadline_s;         /* whole call including retries; default 600 */
    int max_retries;           /* retries after the first attempt; default 5 */
    double backoff_base_s;     /* default 0.5 */
    double backoff_cap_s;      /* default 8 */
    double retry_after_max_s;  /* server hints above this are ignored; default 60 */
} http_policy;

void http_policy_default(http_policy *p);

/* Capped exponential delay with jitter for retry k (0-based); u in [0,1). */
double http_backoff_delay(const http_policy *p, int k, double u);

/* Parses a Go-style duration as in x-ratelimit-reset-*: "1s", "6m0s",
 * "20ms", "1h2m3.5s", or a bare number of seconds. Returns seconds, or -1
 * when malformed. */
double http_parse_duration(const char *s);

/* Headers that matter for pacing, captured from one reply. Negative = absent. */
typedef struct http_hints {
    double retry_after_ms;     /* retry-after-ms */
    double retry_after_s;      /* retry-after (seconds, or HTTP-date - now) */
    double reset_requests_s;   /* x-ratelimit-reset-requests */
    double reset_tokens_s;     /* x-ratelimit-reset-tokens */
    int should_retry;          /* x-should-retry: 1 true, 0 false, -1 absent */
} http_hints;

void http_hints_clear(http_hints *h);
/* Feeds one raw header line ("Name: value\r\n"); now_wall is epoch seconds
 * (for HTTP-date values). Unknown headers are ignored. */
void http_hints_header(http_hints *h, const char *line, size_t len, double now_wall);
/* The server's requested wait in seconds for a reply with this status, or
 * -1 when it gave none within (0, max_s]. */
double http_hints_delay(const http_hints *h, long status, double max_s);

/* ---- classification -------------------------------------------------------- */

enum http_class {
    HTTP_CLASS_OK = 0,     /* 2xx */
    HTTP_CLASS_RETRY = 1,  /* transient: try again after a delay */
    HTTP_CLASS_FAIL = 2,   /* this request failed; others may succeed */
    HTTP_CLASS_FATAL = 3   /* the model cannot be used: stop its work */
};

/* status: HTTP status, 0 when no reply arrived; transport_error: nonzero
 * for a timeout or connection failure; body: reply (may be NULL), read for
 * the OpenAI error code; should_retry: x-should-retry (-1 absent). */
enum http_class http_classify(long status, int transport_error, const char *body, int should_retry);

/* Extracts error.message (or a short excerpt of the body) into out, for
 * messages. Never returns the key: callers redact afterwards. */
void http_error_text(const char *body, size_t len, char *out, size_t n);

/* ---- rate limiter ------------------------------------------------------------ */

/* Token bucket with reservations: the level may go negative; a reservation
 * returns how long the caller must wait before using what it reserved. */
typedef struct http_bucket {
    double rate;      /* units per second; <= 0: unlimited */
    double cap;       /* burst size in units */
    double level;
    double t;         /* time of the last update (monotonic seconds) */
} http_bucket;

void http_bucket_init(http_bucket *b, double per_minute, double now);
/* Debits amount at time now; returns seconds to wait (0 if none). */
double http_bucket_reserve(http_bucket *b, double now, double amount);
/* Gives back (or takes, if negative) units after the real size is known. */
void http_bucket_adjust(http_bucket *b, double amount);

typedef struct http_limiter {
    pthread_mutex_t mu;
    http_bucket requests;
    http_bucket tokens;
} http_limiter;

void http_limiter_init(http_limiter *l, double rpm, double tpm);
void http_limiter_destroy(http_limiter *l);
/* Reserves one request and `tokens` tokens and sleeps until they are due.
 * Returns the seconds slept. */
double http_limiter_acquire(http_limiter *l, double tokens);
/* Corrects the token estimate once usage is known (actual - estimated). */
void http_limiter_correct(http_limiter *l, double delta_tokens);

/* ---- server-sent events -------------------------------------------------------- */

/* Called with the data of each event (multi-line data joined by "\n").
 * Return nonzero to stop. */
typedef int (*http_sse_cb)(void *user, const char *data, size_t len);

typedef struct http_sse {
    tt_buf line;       /* partial line */
    tt_buf data;       /* data of the event being assembled */
    int has_data;
    int done;          /* saw "data: [DONE]" */
    int stopped;       /* the callback asked to stop */
    http_sse_cb cb;
    void *user;
} http_sse;

void http_sse_init(http_sse *s, http_sse_cb cb, void *user);
void http_sse_free(http_sse *s);
/* Feeds bytes (any split). Accepts \n and \r\n, comment lines (":"),
 * and ignores fields other than data. Returns nonzero once the callback
 * has asked to stop. [DONE] sets s->done and is not passed on. */
int http_sse_feed(http_sse *s, const char *p, size_t n);
/* End of stream: dispatches a last event that lacked its blank line. */
int http_sse_finish(http_sse *s);

/* ---- UTF-8-safe JSON strings ------------------------------------------------------ */

/* A new JSON string from n bytes of s, each invalid UTF-8 byte replaced by
 * U+FFFD (jansson refuses invalid UTF-8, and model text may contain it).
 * NULL s gives "". Never returns NULL. */
json_t *http_json_text(const char *s, size_t n);

/* ---- redaction --------------------------------------------------------------- */

/* Returns a copy of s with every occurrence of secret, every "sk-..." word
 * and the value of any "Authorization:" header replaced by "[REDACTED]".
 * secret may be NULL or short (keys under 8 bytes are still replaced).
 * Caller frees. */
char *http_redact(const char *s, size_t len, const char *secret);

/* ---- the client ---------------------------------------------------------------- */

typedef struct http_client http_client;

typedef struct http_client_config {
    const char *api_key_env;   /* NULL: no key; the variable's value is read at create */
    int require_key;           /* fail at create when the variable is unset or empty */
    http_policy policy;
    double rpm, tpm;           /* 0 = unlimited */
    int verbose;               /* request lines and retries at TT_LOG_DEBUG (core/log.h), Authorization redacted */
    const char *name;          /* for messages, e.g. the model spec */
} http_client_config;

void http_client_config_default(http_client_config *c);

/* Caller frees with http_client_free(). */
int http_client_create(const http_client_config *cfg, http_client **out, char *err);
void http_client_free(http_client *c);
int http_client_has_key(const http_client *c);
const http_policy *http_client_policy(const http_client *c);

typedef struct http_call_spec {
    const char *method;          /* "GET" or "POST" */
    const char *url;
    const char *body;            /* POST body (JSON); NULL for GET */
    int stream;                  /* the reply is an SSE stream: events go to on_event */
    http_sse_cb on_event;
    /* Called before every attempt so the caller can reset its state. */
    void (*on_attempt)(void *user, int attempt);
    /* Validates a 2xx reply (body, or after the stream ended). Returns 0 when
     * good; otherwise writes why into msg (TT_ERR_SIZE) and the attempt is
     * retried (malformed, truncated, empty) unless retry is set to 0. */
    int (*check)(void *user, const char *body, size_t len, int *retry, char *msg);
    void *user;
    double tokens;               /* estimate for the tokens-per-minute limiter */
    int retries_cap;             /* > 0: at most this many retries (capability probes) */
    /* multipart/form-data POST instead of a JSON body (OpenAI's
     * /audio/transcriptions): when file_path is set, form[0..2*n_form) are
     * name, value pairs sent as text parts and the file is sent as the part
     * file_field, under its base name */
    const char *const *form;
    int n_form;
    const char *file_field;
    const char *file_path;
} http_call_spec;

typedef struct http_result {
    long status;          /* of the last attempt; 0 when none arrived */
    char *body;           /* of the last attempt (redacted), caller frees via http_result_free */
    size_t body_len;
    int attempts;
    double first_byte_s;  /* since the start of the successful attempt; < 0 unknown */
    double waited_s;      /* limiter + backoff waits */
    enum http_class cls;  /* final outcome */
    char error[TT_ERR_SIZE]; /* set unless cls == HTTP_CLASS_OK; redacted */
} http_result;

/* Performs the call with the limiter, retries and deadline. Returns TT_OK
 * when a 2xx reply passed check; otherwise res->cls says whether the model
 * is unusable (FATAL) or just this request failed, and res->error says why. */
int http_call(http_client *c, const http_call_spec *spec, http_result *res);
void http_result_free(http_result *r);

/* Corrects the tokens-per-minute limiter once true usage is known
 * (actual - estimated; positive takes more). */
void http_client_correct_tokens(http_client *c, double delta);

/* Builds the client of an HTTP engine from the options all engines share
 * (timeout, retries, rpm/tpm, verbose, api_key_env over default_key_env).
 * Caller frees with http_client_free(). */
struct engine_options;
int http_engine_client(const char *name, const struct engine_options *opt, const char *default_key_env,
                       int require_key, http_client **out, char *err);

/* Joins base and path with exactly one '/' between them; caller frees. */
char *http_url_join(const char *base, const char *path);

#endif
