/*
 * httpd.c — the libmicrohttpd skeleton of httpd.h: the listen address, the
 * daemon, the per-request state (body gathered under the limit), the checks
 * every request passes (admit), and the send functions.
 */
#include "core/httpd.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct tt_httpd {
    tt_httpd_config cfg;
    struct MHD_Daemon *d;
    int port;
};

/* Per-request state, from the first call of the access handler to
 * request_completed. */
struct tt_httpd_conn {
    tt_httpd *h;
    struct MHD_Connection *c;
    tt_httpd_req req;
    tt_buf body;
    int too_big;    /* the body passed max_body: the rest is dropped */
    int answered;   /* a response is queued: later calls only drain */
};

/* ---- answering ------------------------------------------------------------------ */

static void add_headers(struct MHD_Response *resp, tt_httpd_headers headers)
{
    for (size_t i = 0; headers && headers[i]; i += 2)
        if (headers[i + 1]) MHD_add_response_header(resp, headers[i], headers[i + 1]);
}

/* Adds the content type and the headers (the server's, then this
 * response's), queues, and drops our reference. */
static int queue(tt_httpd_req *r, unsigned status, struct MHD_Response *resp, const char *content_type,
                 tt_httpd_headers headers)
{
    if (!resp) return TT_HTTPD_CLOSE;
    tt_httpd_conn *cn = r->conn;
    if (content_type) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    add_headers(resp, cn->h->cfg.headers);
    add_headers(resp, headers);
    enum MHD_Result ok = MHD_queue_response(cn->c, status, resp);
    MHD_destroy_response(resp);
    if (ok != MHD_YES) return TT_HTTPD_CLOSE;
    cn->answered = 1;
    return TT_HTTPD_SENT;
}

int tt_httpd_send(tt_httpd_req *r, unsigned status, const char *content_type, const void *data, size_t len,
                  int is_static, tt_httpd_headers headers)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data, is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    return queue(r, status, resp, content_type, headers);
}

int tt_httpd_send_json(tt_httpd_req *r, unsigned status, json_t *j)
{
    size_t flags = r->conn->h->cfg.json_flags ? r->conn->h->cfg.json_flags : JSON_COMPACT;
    char *text = j ? json_dumps(j, flags) : NULL;
    json_decref(j);
    int ret = tt_httpd_send(r, status, "application/json", text ? text : "{}", text ? strlen(text) : 2, 0, NULL);
    free(text);
    return ret;
}

typedef struct stream_src {
    tt_httpd_reader read;
    void *cls;
    void (*free_cls)(void *);
} stream_src;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_src *s = cls;
    ssize_t n = s->read(s->cls, buf, max);
    if (n == TT_HTTPD_STREAM_END) return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    return n;
}

static void stream_free(void *cls)
{
    stream_src *s = cls;
    if (s->free_cls) s->free_cls(s->cls);
    free(s);
}

int tt_httpd_stream(tt_httpd_req *r, unsigned status, const char *content_type, tt_httpd_headers headers,
                    tt_httpd_reader read, void *cls, void (*free_cls)(void *cls))
{
    stream_src *s = tt_malloc(sizeof *s);
    *s = (stream_src){read, cls, free_cls};
    /* 4 KiB blocks: small enough that a token's event goes out at once */
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        return TT_HTTPD_CLOSE;
    }
    /* from here on, destroying resp (in queue) runs stream_free */
    return queue(r, status, resp, content_type, headers);
}

static int refuse(tt_httpd_conn *cn, unsigned status, const char *message)
{
    if (cn->h->cfg.refuse) return cn->h->cfg.refuse(&cn->req, status, message);
    return tt_httpd_send_json(&cn->req, status, json_pack("{s:s}", "error", message));
}

/* ---- reading a request ------------------------------------------------------------ */

const char *tt_httpd_header(const tt_httpd_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn->c, MHD_HEADER_KIND, name);
}

const char *tt_httpd_query(const tt_httpd_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn->c, MHD_GET_ARGUMENT_KIND, name);
}

const char *tt_httpd_cookie(const tt_httpd_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn->c, MHD_COOKIE_KIND, name);
}

void tt_httpd_client_addr(const tt_httpd_req *r, char out[64])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    strcpy(out, "?");
    if (!ci || !ci->client_addr) return;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, out, 64, NULL, 0, NI_NUMERICHOST) != 0) strcpy(out, "?");
}

/* ---- the request cycle ------------------------------------------------------------ */

/* Checks every request passes once its headers are in, before any server
 * code sees it. Returns TT_HTTPD_CONTINUE, or the result of a refusal.
 * This is the place for per-address connection limits, a deadline for the
 * headers, a Host allow-list and exact Content-Type checks: they belong to
 * every server, so they go here, next to the body limit. */
static int admit(tt_httpd_conn *cn)
{
    const char *cl = MHD_lookup_connection_value(cn->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > cn->h->cfg.max_body) {
        cn->too_big = 1;
        char msg[128];
        snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", cn->h->cfg.max_body);
        return refuse(cn, 413, msg);
    }
    return TT_HTTPD_CONTINUE;
}

static enum MHD_Result mhd_result(int r) { return r == TT_HTTPD_CLOSE ? MHD_NO : MHD_YES; }

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    tt_httpd *h = cls;
    tt_httpd_conn *cn = *con_cls;
    if (!cn) {   /* first call: the headers are in */
        cn = tt_calloc(1, sizeof *cn);
        cn->h = h;
        cn->c = c;
        tt_buf_init(&cn->body);
        cn->req = (tt_httpd_req){.method = method, .path = url, .version = version, .user = h->cfg.user, .conn = cn};
        *con_cls = cn;
        int r = TT_HTTPD_CONTINUE;
        if (h->cfg.on_headers) r = h->cfg.on_headers(&cn->req);
        if (r == TT_HTTPD_CONTINUE) r = admit(cn);
        if (r == TT_HTTPD_CONTINUE) return MHD_YES;
        cn->answered = 1;
        return mhd_result(r);
    }
    if (*upload_size) {   /* a piece of the body */
        if (!cn->answered && !cn->too_big) {
            if (cn->body.len + *upload_size > h->cfg.max_body) cn->too_big = 1;
            else tt_buf_append(&cn->body, upload, *upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->answered) return MHD_YES;
    cn->answered = 1;
    if (cn->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body over the limit of %zu bytes", h->cfg.max_body);
        return mhd_result(refuse(cn, 413, msg));
    }
    tt_buf_append(&cn->body, "", 0);   /* never NULL */
    cn->req.body = cn->body.data;
    cn->req.body_len = cn->body.len;
    return mhd_result(h->cfg.handle(&cn->req));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)cls;
    (void)c;
    (void)tc;
    tt_httpd_conn *cn = *con_cls;
    if (!cn) return;
    tt_buf_free(&cn->body);
    free(cn);
    *con_cls = NULL;
}

/* ---- start and stop --------------------------------------------------------------- */

int tt_httpd_start(const tt_httpd_config *cfg, tt_httpd **out, char *err)
{
    *out = NULL;
    if (!cfg->handle) return tt_fail(err, TT_ERR_USAGE, "the HTTP server has no request handler");
    const char *host = cfg->host && *cfg->host ? cfg->host : "127.0.0.1";
    if (!strcmp(host, "localhost")) host = "127.0.0.1";
    if (cfg->port < 0 || cfg->port > 65535) return tt_fail(err, TT_ERR_USAGE, "port %d is out of range", cfg->port);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    /* a thread per connection: stream readers and handlers may block */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        return tt_fail(err, TT_ERR_USAGE, "host '%s' is not a numeric IPv4 or IPv6 address", host);
    }
    tt_httpd *h = tt_calloc(1, sizeof *h);
    h->cfg = *cfg;
    if (!h->cfg.max_body) h->cfg.max_body = 1u << 20;
    h->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR, &ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections ? cfg->max_connections : 512u,
                            MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s ? cfg->idle_timeout_s : 120u,
                            MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return tt_fail(err, TT_ERR_IO, "cannot listen on '%s' port %d (in use, or not permitted)", host, cfg->port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di && di->port ? di->port : cfg->port;
    *out = h;
    return TT_OK;
}

int tt_httpd_port(const tt_httpd *h) { return h->port; }

void tt_httpd_stop(tt_httpd *h)
{
    if (!h) return;
    if (h->cfg.on_stop) h->cfg.on_stop(h->cfg.user);
    MHD_stop_daemon(h->d);
    free(h);
}
