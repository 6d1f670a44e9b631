/*
 * httpd.c — the libmicrohttpd skeleton of httpd.h: the listen address, the
 * daemon, the per-request state (body gathered under the limit), the checks
 * every request passes (admit), the deadlines (a thread that cuts off
 * connections whose headers or body are late), and the send functions.
 *
 * The deadlines: libmicrohttpd's own timeout is for inactivity, which a
 * client sending a byte every few seconds never reaches. So each connection
 * has a record (made in the connection-started notification, found again
 * through its socket context) saying in which phase it is and since when;
 * a thread looks every 250 ms and shuts down (shutdown(2), under the lock)
 * the socket of a connection past its phase's deadline, which ends its
 * thread's wait. The record leaves the list, under the same lock, in the
 * connection-closed notification, which libmicrohttpd calls before it
 * closes the socket: a socket is never shut down after its number could
 * have been reused.
 */
#include "core/httpd.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Phases of a connection, each with its deadline. */
enum { PH_HEADERS, PH_BODY, PH_ANSWER };

typedef struct conn_rec {
    struct conn_rec *prev, *next;
    int fd;
    int phase;
    double since;      /* when the phase began (monotonic) */
    int cut;           /* shut down by the deadline thread */
} conn_rec;

struct tt_httpd {
    tt_httpd_config cfg;
    struct MHD_Daemon *d;
    int port;
    const char *const *allow_hosts;    /* the list in force (cfg's, or the loopback names), NULL: any */
    pthread_mutex_t mu;                /* conns, n_conns, stats, stopping */
    pthread_cond_t cv;
    conn_rec *conns;
    tt_httpd_stats stats;
    pthread_t reaper;
    int reaper_started;
    int stopping;
};

static const char *const k_loopback_hosts[] = {"localhost", "127.0.0.1", "::1", NULL};

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

/* ---- the policy ------------------------------------------------------------------ */

int tt_httpd_content_type_is_json(const char *ct)
{
    if (!ct) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, "application/json", 16)) return 0;
    const char *p = ct + 16;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) return 1;
    if (*p++ != ';') return 0;
    while (*p == ' ' || *p == '\t') p++;
    if (strncasecmp(p, "charset", 7)) return 0;
    p += 7;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != '=') return 0;
    while (*p == ' ' || *p == '\t') p++;
    int quoted = *p == '"';
    if (quoted) p++;
    if (strncasecmp(p, "utf-8", 5)) return 0;
    p += 5;
    if (quoted && *p++ != '"') return 0;
    while (*p == ' ' || *p == '\t') p++;
    return *p == '\0';
}

int tt_httpd_host_allowed(const char *host, const char *const *allowed)
{
    if (!allowed) return 1;
    if (!host) return 0;
    /* the name without the port: "[::1]:8080" -> "::1", "localhost:8080" -> "localhost" */
    char name[256];
    size_t n;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end || (end[1] && end[1] != ':')) return 0;
        n = (size_t)(end - host - 1);
        host++;
    } else {
        const char *colon = strchr(host, ':');
        n = colon ? (size_t)(colon - host) : strlen(host);
        if (colon && strchr(colon + 1, ':')) return 0;   /* a bare IPv6 literal is not a Host value */
    }
    if (n == 0 || n >= sizeof name) return 0;
    memcpy(name, host, n);
    name[n] = '\0';
    if (name[n - 1] == '.') name[--n] = '\0';   /* "localhost." */
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(allowed[i], "*") || !strcasecmp(allowed[i], name)) return 1;
    return 0;
}

static conn_rec *rec_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Moves the connection of cn to phase ph, its deadline counted from now. */
static void set_phase(tt_httpd *h, struct MHD_Connection *c, int ph)
{
    conn_rec *r = rec_of(c);
    if (!r) return;
    pthread_mutex_lock(&h->mu);
    r->phase = ph;
    r->since = tt_now_s();
    pthread_mutex_unlock(&h->mu);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    tt_httpd *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_rec *r = tt_calloc(1, sizeof *r);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        r->fd = ci ? ci->connect_fd : -1;
        r->phase = PH_HEADERS;
        r->since = tt_now_s();
        pthread_mutex_lock(&h->mu);
        r->next = h->conns;
        if (h->conns) h->conns->prev = r;
        h->conns = r;
        h->stats.connections++;
        pthread_mutex_unlock(&h->mu);
        *socket_context = r;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_rec *r = *socket_context;
        if (!r) return;
        pthread_mutex_lock(&h->mu);
        if (r->prev) r->prev->next = r->next;
        else h->conns = r->next;
        if (r->next) r->next->prev = r->prev;
        h->stats.connections--;
        pthread_mutex_unlock(&h->mu);
        free(r);
        *socket_context = NULL;
    }
}

/* The deadline thread: cuts off connections whose headers or body are
 * late. */
static void *reaper_main(void *arg)
{
    tt_httpd *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        double now = tt_now_s();
        for (conn_rec *r = h->conns; r; r = r->next) {
            if (r->cut || r->fd < 0 || r->phase == PH_ANSWER) continue;
            double limit = r->phase == PH_HEADERS ? h->cfg.header_timeout_s : h->cfg.body_timeout_s;
            if (now - r->since <= limit) continue;
            shutdown(r->fd, SHUT_RDWR);
            r->cut = 1;
            if (r->phase == PH_HEADERS) h->stats.header_timeouts++;
            else h->stats.body_timeouts++;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

void tt_httpd_get_stats(tt_httpd *h, tt_httpd_stats *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->stats;
    pthread_mutex_unlock(&h->mu);
}

static void count(tt_httpd *h, unsigned long *field)
{
    pthread_mutex_lock(&h->mu);
    (*field)++;
    pthread_mutex_unlock(&h->mu);
}

/* Checks every request passes once its headers are in, before any server
 * code sees it (httpd.h lists them). Returns TT_HTTPD_CONTINUE, or the
 * result of a refusal. */
static int admit(tt_httpd_conn *cn)
{
    tt_httpd *h = cn->h;
    pthread_mutex_lock(&h->mu);
    int busy = h->stats.connections > h->cfg.max_connections;
    pthread_mutex_unlock(&h->mu);
    if (busy) {
        count(h, &h->stats.busy);
        MHD_set_connection_option(cn->c, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
        const char *const hdrs[] = {"Retry-After", "1", "Connection", "close", NULL};
        char msg[128];
        snprintf(msg, sizeof msg, "the server is at its limit of %u connections; try again in a moment",
                 h->cfg.max_connections);
        cn->too_big = 1;   /* drop any body */
        json_t *j = json_pack("{s:s}", "error", msg);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        int r = tt_httpd_send(&cn->req, 503, "application/json", text, strlen(text), 0, hdrs);
        free(text);
        return r;
    }
    const char *host = MHD_lookup_connection_value(cn->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    /* HTTP/1.0 may leave Host out; libmicrohttpd refuses HTTP/1.1 without one */
    if (h->allow_hosts && host && !tt_httpd_host_allowed(host, h->allow_hosts)) {
        count(h, &h->stats.bad_host);
        cn->too_big = 1;
        char msg[400];
        snprintf(msg, sizeof msg, "host '%.200s' is not served here (start the server with --allow-host NAME to allow a name)",
                 host);
        return refuse(cn, 403, msg);
    }
    const char *m = cn->req.method;
    if (!strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH")) {
        const char *ct = MHD_lookup_connection_value(cn->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!tt_httpd_content_type_is_json(ct)) {
            count(h, &h->stats.bad_type);
            cn->too_big = 1;
            char msg[300];
            snprintf(msg, sizeof msg, "send the request body as Content-Type: application/json (got '%.120s')",
                     ct ? ct : "none");
            return refuse(cn, 415, msg);
        }
    }
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
        set_phase(h, c, PH_BODY);
        int r = admit(cn);
        if (r == TT_HTTPD_CONTINUE && h->cfg.on_headers) r = h->cfg.on_headers(&cn->req);
        if (r == TT_HTTPD_CONTINUE) return MHD_YES;
        cn->answered = 1;
        set_phase(h, c, PH_ANSWER);
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
    set_phase(h, c, PH_ANSWER);
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
    (void)tc;
    /* kept alive: the next request's headers have their deadline from now */
    set_phase(cls, c, PH_HEADERS);
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
    if (!h->cfg.max_connections) h->cfg.max_connections = 512;
    if (!h->cfg.per_ip_limit) h->cfg.per_ip_limit = h->cfg.max_connections / 8 > 16 ? h->cfg.max_connections / 8 : 16;
    if (!h->cfg.header_timeout_s) h->cfg.header_timeout_s = 15;
    if (!h->cfg.body_timeout_s) h->cfg.body_timeout_s = 60;
    /* loopback: only the loopback names (a page of another site that
     * resolves its name to 127.0.0.1 is not a client of ours) */
    int loopback = (s4->sin_family == AF_INET && (ntohl(s4->sin_addr.s_addr) >> 24) == 127) ||
                   (s6->sin6_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
    h->allow_hosts = cfg->allow_hosts ? cfg->allow_hosts : loopback ? k_loopback_hosts : NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    /* past the cap, room for a few more connections to be told 503 */
    unsigned headroom = h->cfg.max_connections / 8 > 32 ? h->cfg.max_connections / 8 : 32;
    h->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR, &ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
                            on_connection, h, MHD_OPTION_CONNECTION_LIMIT, h->cfg.max_connections + headroom,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->cfg.per_ip_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s ? cfg->idle_timeout_s : 120u,
                            MHD_OPTION_END);
    if (!h->d) {
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        free(h);
        return tt_fail(err, TT_ERR_IO, "cannot listen on '%s' port %d (in use, or not permitted)", host, cfg->port);
    }
    if (pthread_create(&h->reaper, NULL, reaper_main, h) == 0) h->reaper_started = 1;
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
    if (h->reaper_started) {
        pthread_mutex_lock(&h->mu);
        h->stopping = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->reaper, NULL);
    }
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}
