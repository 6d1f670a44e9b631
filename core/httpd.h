/*
 * httpd.h — the HTTP server skeleton both of Tianti's servers stand on: the
 * OpenAI-compatible model server (engines/serve/serve.c, `tianti serve`)
 * and the voting web arena (arena/web.c, `tianti arena serve`).
 *
 * Why it exists: each server used to drive libmicrohttpd itself: parse the
 * listen address, start the daemon, gather the request body under a size
 * limit, answer 413, send JSON, stream a response of unknown length, stop.
 * That is written once here, so that each server keeps only its routes and
 * its own rules, and so that what every connection and request must pass
 * before a server sees it lives in one place (admit() and the deadline
 * thread in httpd.c):
 *   - at most per_ip_limit connections from one client address (more are
 *     closed at once), and a global cap: past max_connections a request is
 *     answered 503 (Retry-After: 1) and its connection closed;
 *   - deadlines: the request headers within header_timeout_s of the
 *     connection (or of the previous answer on a kept-alive one), the body
 *     within body_timeout_s of the headers — a client that trickles bytes
 *     (slowloris) is cut off, however busy it looks; an answer being
 *     streamed has no deadline;
 *   - a Host allow-list (DNS rebinding): a server bound to a loopback
 *     address answers only Host localhost, 127.0.0.1 or [::1] (any port)
 *     unless allow_hosts says otherwise; others 403 naming --allow-host;
 *   - POST, PUT and PATCH carry JSON: Content-Type exactly
 *     application/json, with at most "; charset=utf-8" (415 otherwise:
 *     a web page cannot send that without CORS permission);
 *   - the body limit (413).
 *
 * Threading: a thread per connection (libmicrohttpd's
 * MHD_USE_THREAD_PER_CONNECTION, with poll()), so a handler or a stream
 * reader may block its own connection's thread; they never block the
 * others. Handlers therefore run on many threads at once.
 *
 * A request's life: on_headers (optional) once the headers are in, before
 * the body; then the body is gathered (413 through `refuse` when it passes
 * max_body, announced or not); then handle once with the whole body. Each
 * answers with one of the send functions below and returns its result.
 */
#ifndef TIANTI_HTTPD_H
#define TIANTI_HTTPD_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct tt_httpd tt_httpd;
typedef struct tt_httpd_conn tt_httpd_conn;   /* private to httpd.c */

/* One request as a server's callbacks see it. */
typedef struct tt_httpd_req {
    const char *method;    /* "GET", "HEAD", "POST", ... */
    const char *path;      /* the URL path, without the query string */
    const char *version;   /* "HTTP/1.1" */
    const char *body;      /* the whole body, NUL-terminated ("" when none; NULL in on_headers) */
    size_t body_len;
    void *user;            /* tt_httpd_config.user */
    tt_httpd_conn *conn;   /* for the lookup and send functions */
} tt_httpd_req;

/* What a callback returns: the result of the send function it called
 * (TT_HTTPD_SENT, or TT_HTTPD_CLOSE when the response could not be queued),
 * TT_HTTPD_CLOSE to drop the connection without an answer, or, from
 * on_headers only, TT_HTTPD_CONTINUE to go on and read the body. */
enum { TT_HTTPD_CLOSE = 0, TT_HTTPD_SENT = 1, TT_HTTPD_CONTINUE = 2 };

typedef int (*tt_httpd_handler)(tt_httpd_req *r);
/* Answers a request the skeleton itself turns away (status 413 today): the
 * server writes its own error body; message is a default wording. */
typedef int (*tt_httpd_refuse_fn)(tt_httpd_req *r, unsigned status, const char *message);

typedef struct tt_httpd_config {
    const char *host;           /* numeric IPv4 or IPv6 address; "localhost" is 127.0.0.1; NULL: 127.0.0.1 */
    int port;                   /* 0: any free port (see tt_httpd_port) */
    size_t max_body;            /* larger request bodies are refused with 413; 0: 1 MiB */
    unsigned max_connections;   /* the global cap (503 past it); 0: 512 */
    unsigned per_ip_limit;      /* connections from one address; 0: max_connections / 8, at least 16 */
    unsigned header_timeout_s;  /* the request headers within this; 0: 15 */
    unsigned body_timeout_s;    /* the body within this after the headers; 0: 60 */
    unsigned idle_timeout_s;    /* an idle connection is closed after this; 0: 120 */
    const char *const *allow_hosts; /* NULL-terminated Host names (no port) answered; "*" any; NULL:
                                       the loopback names when bound to loopback, else any */
    size_t json_flags;          /* jansson flags for tt_httpd_send_json; 0: JSON_COMPACT */
    const char *const *headers; /* name, value, ..., NULL: added to every response; may be NULL */
    tt_httpd_handler on_headers;   /* optional: may answer before the body is read */
    tt_httpd_handler handle;       /* required: answers the request */
    tt_httpd_refuse_fn refuse;     /* optional: NULL answers {"error": message} */
    void (*on_stop)(void *user);   /* optional: called by tt_httpd_stop first, to wake blocked stream readers */
    void *user;
} tt_httpd_config;

/* Starts listening. *out is NULL on failure (TT_ERR_USAGE for a bad host or
 * port, TT_ERR_IO when the address cannot be bound). */
int tt_httpd_start(const tt_httpd_config *cfg, tt_httpd **out, char *err);
/* The port listened on (the one picked when cfg.port was 0). */
int tt_httpd_port(const tt_httpd *h);

/* What the policy did so far (for tests and logs). */
typedef struct tt_httpd_stats {
    unsigned long connections;        /* open now */
    unsigned long busy;               /* answered 503 past the cap */
    unsigned long header_timeouts;    /* cut off before their headers were in */
    unsigned long body_timeouts;      /* cut off before their body was in */
    unsigned long bad_host;           /* 403 for a Host not allowed */
    unsigned long bad_type;           /* 415 for a body that is not JSON */
} tt_httpd_stats;
void tt_httpd_get_stats(tt_httpd *h, tt_httpd_stats *out);

/* 1 when a Content-Type value is JSON as the servers take it:
 * application/json, optionally with "; charset=utf-8" (case and spaces
 * aside); 0 for anything else (application/json-patch+json, text/plain). */
int tt_httpd_content_type_is_json(const char *ct);
/* 1 when a Host header value (with or without a port) is allowed by the
 * list (NULL-terminated; "*" allows any). */
int tt_httpd_host_allowed(const char *host, const char *const *allowed);
/* Stops: calls on_stop (which must make every stream reader return soon),
 * closes the listening socket, waits for every connection's thread, frees
 * h. Threads a server started itself are its own to wait for. NULL is fine. */
void tt_httpd_stop(tt_httpd *h);

/* ---- reading a request --------------------------------------------------- */

/* A request header (case-insensitive name), a query-string argument or a
 * cookie; NULL when absent. Valid until the request ends. */
const char *tt_httpd_header(const tt_httpd_req *r, const char *name);
const char *tt_httpd_query(const tt_httpd_req *r, const char *name);
const char *tt_httpd_cookie(const tt_httpd_req *r, const char *name);
/* The client's numeric address ("?" when unknown). */
void tt_httpd_client_addr(const tt_httpd_req *r, char out[64]);

/* ---- answering ------------------------------------------------------------- */

/* Headers of one response: name, value, ..., NULL (the list may be NULL);
 * a NULL value skips its pair. */
typedef const char *const *tt_httpd_headers;

/* len bytes of data with a Content-Type. Copied unless is_static (data
 * then outlives the server, like a page compiled into the program). */
int tt_httpd_send(tt_httpd_req *r, unsigned status, const char *content_type, const void *data, size_t len,
                  int is_static, tt_httpd_headers headers);
/* j as application/json (dumped with the configured flags); takes j's
 * reference. */
int tt_httpd_send_json(tt_httpd_req *r, unsigned status, json_t *j);

/* A streamed response of unknown length (server-sent events, NDJSON).
 * read fills buf with up to max bytes and returns how many, blocking until
 * it has some; or TT_HTTPD_STREAM_END when the stream is complete, or
 * TT_HTTPD_STREAM_ERROR to cut the connection. free_cls(cls) runs once the
 * connection is done with it, also when the stream could not be queued. */
#define TT_HTTPD_STREAM_END ((ssize_t)-1)
#define TT_HTTPD_STREAM_ERROR ((ssize_t)-2)
typedef ssize_t (*tt_httpd_reader)(void *cls, char *buf, size_t max);
int tt_httpd_stream(tt_httpd_req *r, unsigned status, const char *content_type, tt_httpd_headers headers,
                    tt_httpd_reader read, void *cls, void (*free_cls)(void *cls));

#endif
