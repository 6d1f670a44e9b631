/*
 * test_httpd.c — core/httpd: a server on 127.0.0.1 and a free port, driven
 * through libcurl: the request as the handler sees it (method, path, query,
 * headers, cookie, client address, body), the server's and the response's
 * headers, an early answer from on_headers before the body is read, the
 * body limit (413 when Content-Length announces too much, and when a
 * chunked body grows past it), a streamed response and its free callback,
 * bad hosts and a port in use, and a clean stop. The policy every request
 * passes: exact JSON Content-Type (415), the Host allow-list (403; DNS
 * rebinding), a client that trickles its headers or body (slowloris) cut
 * off at the deadline, the per-address limit (idle sockets from another
 * loopback address do not keep a real client out) and the global cap (503).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/httpd.h"
#include "core/util.h"

#define MAX_BODY 1000

typedef struct server_state {
    atomic_int handled;        /* calls of handle */
    atomic_int early;          /* answers given by on_headers */
    atomic_int stream_freed;
    atomic_int stopped;        /* on_stop ran */
    atomic_int odd;            /* something a callback saw was wrong (asserts stay on the test's thread) */
} server_state;

static server_state g_state;

static const char *const server_headers[] = {"X-Server", "tianti-test", NULL};

static int on_headers(tt_httpd_req *r)
{
    server_state *st = r->user;
    if (r->body) atomic_store(&st->odd, 1);   /* not read yet */
    if (strcmp(r->path, "/early")) return TT_HTTPD_CONTINUE;
    atomic_fetch_add(&st->early, 1);
    return tt_httpd_send_json(r, 404, json_pack("{s:s}", "error", "early"));
}

static int on_refuse(tt_httpd_req *r, unsigned status, const char *message)
{
    return tt_httpd_send_json(r, status, json_pack("{s:s,s:i}", "refused", message, "status", (int)status));
}

typedef struct counter_stream {
    int next;
} counter_stream;

/* "0\n" .. "4\n", one line per read, then the end */
static ssize_t count_read(void *cls, char *buf, size_t max)
{
    counter_stream *s = cls;
    if (s->next == 5) return TT_HTTPD_STREAM_END;
    if (max < 2) return TT_HTTPD_STREAM_ERROR;
    buf[0] = (char)('0' + s->next++);
    buf[1] = '\n';
    return 2;
}

static void count_free(void *cls)
{
    free(cls);
    atomic_fetch_add(&g_state.stream_freed, 1);
}

static int handle(tt_httpd_req *r)
{
    server_state *st = r->user;
    atomic_fetch_add(&st->handled, 1);
    if (!strcmp(r->path, "/stream")) {
        counter_stream *s = tt_calloc(1, sizeof *s);
        static const char *const h[] = {"Cache-Control", "no-cache", NULL};
        return tt_httpd_stream(r, 200, "text/plain", h, count_read, s, count_free);
    }
    if (!strcmp(r->path, "/static")) {
        static const char text[] = "static text";
        const char *const h[] = {"X-Skipped", NULL, "X-Kept", "yes", NULL};
        return tt_httpd_send(r, 201, "text/plain", text, sizeof text - 1, 1, h);
    }
    char addr[64];
    tt_httpd_client_addr(r, addr);
    const char *q = tt_httpd_query(r, "q"), *hd = tt_httpd_header(r, "x-test"), *ck = tt_httpd_cookie(r, "ck");
    json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?,s:s,s:I}", "method", r->method, "path", r->path, "version",
                          r->version, "q", q, "header", hd, "cookie", ck, "addr", addr, "body_len",
                          (json_int_t)r->body_len);
    json_object_set_new(o, "body", json_stringn(r->body, r->body_len));
    return tt_httpd_send_json(r, 200, o);
}

static void on_stop(void *user)
{
    server_state *st = user;
    atomic_store(&st->stopped, 1);
}

static tt_httpd *start(void)
{
    tt_httpd_config cfg = {.host = "127.0.0.1", .port = 0, .max_body = MAX_BODY, .headers = server_headers,
                           .on_headers = on_headers, .handle = handle, .refuse = on_refuse, .on_stop = on_stop,
                           .user = &g_state};
    tt_httpd *h = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_httpd_start(&cfg, &h, err), TT_OK);
    assert_non_null(h);
    assert_true(tt_httpd_port(h) > 0 && tt_httpd_port(h) < 65536);
    return h;
}

/* ---- a small libcurl client --------------------------------------------------- */

typedef struct reply {
    long status;
    tt_buf body, headers;
} reply;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    tt_buf_append(user, p, size * n);
    return size * n;
}

typedef struct upload {
    const char *data;
    size_t len, off;
} upload;

static size_t on_read(char *buf, size_t size, size_t n, void *user)
{
    upload *u = user;
    size_t k = u->len - u->off < size * n ? u->len - u->off : size * n;
    if (k > 100) k = 100;   /* several pieces */
    memcpy(buf, u->data + u->off, k);
    u->off += k;
    return k;
}

/* method "GET" or "POST"; chunked: POST without Content-Length; hdrs: header
 * lines, NULL-terminated (may be NULL) */
static CURLcode fetch(int port, const char *method, const char *path, const char *body, size_t len, int chunked,
                      const char *const *hdrs, reply *out)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    tt_buf_init(&out->body);
    tt_buf_init(&out->headers);
    tt_buf_append(&out->body, "", 0);
    tt_buf_append(&out->headers, "", 0);
    out->status = 0;
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    upload u = {body, len, 0};
    struct curl_slist *h = NULL;
    int typed = 0;
    for (size_t i = 0; hdrs && hdrs[i]; i++) {
        h = curl_slist_append(h, hdrs[i]);
        if (!strncasecmp(hdrs[i], "Content-Type:", 13)) typed = 1;
    }
    if (!strcmp(method, "POST") && !typed) h = curl_slist_append(h, "Content-Type: application/json");
    if (!strcmp(method, "POST") && !chunked) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    return rc;
}

static void reply_free(reply *r)
{
    tt_buf_free(&r->body);
    tt_buf_free(&r->headers);
}

static json_t *reply_json(const reply *r)
{
    json_t *j = json_loads(tt_buf_str(&r->body), 0, NULL);
    assert_non_null(j);
    return j;
}

static int has_header(const reply *r, const char *line)
{
    return strcasestr(tt_buf_str(&r->headers), line) != NULL;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_httpd_request_reaches_handler(void **state)
{
    (void)state;
    tt_httpd *h = start();
    reply r;
    static const char *const hd[] = {"X-Test: hello", "Cookie: ck=crumb; other=1", NULL};
    assert_int_equal(fetch(tt_httpd_port(h), "GET", "/a/b?q=v%20w&z=1", NULL, 0, 0, hd, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Content-Type: application/json"));
    assert_true(has_header(&r, "X-Server: tianti-test"));
    json_t *j = reply_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/a/b");
    assert_string_equal(json_string_value(json_object_get(j, "version")), "HTTP/1.1");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "v w");
    assert_string_equal(json_string_value(json_object_get(j, "header")), "hello");
    assert_string_equal(json_string_value(json_object_get(j, "cookie")), "crumb");
    assert_string_equal(json_string_value(json_object_get(j, "addr")), "127.0.0.1");
    assert_int_equal(json_integer_value(json_object_get(j, "body_len")), 0);
    assert_string_equal(json_string_value(json_object_get(j, "body")), "");
    json_decref(j);
    reply_free(&r);

    /* a body within the limit, in one piece and chunked */
    char body[MAX_BODY + 1];
    memset(body, 'x', MAX_BODY);
    body[MAX_BODY] = 0;
    for (int chunked = 0; chunked <= 1; chunked++) {
        assert_int_equal(fetch(tt_httpd_port(h), "POST", "/post", body, MAX_BODY, chunked, NULL, &r), CURLE_OK);
        assert_int_equal(r.status, 200);
        j = reply_json(&r);
        assert_string_equal(json_string_value(json_object_get(j, "method")), "POST");
        assert_int_equal(json_integer_value(json_object_get(j, "body_len")), MAX_BODY);
        assert_string_equal(json_string_value(json_object_get(j, "body")), body);
        json_decref(j);
        reply_free(&r);
    }
    tt_httpd_stop(h);
}

static void test_httpd_static_and_response_headers(void **state)
{
    (void)state;
    tt_httpd *h = start();
    reply r;
    assert_int_equal(fetch(tt_httpd_port(h), "GET", "/static", NULL, 0, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(tt_buf_str(&r.body), "static text");
    assert_true(has_header(&r, "Content-Type: text/plain"));
    assert_true(has_header(&r, "X-Kept: yes"));
    assert_false(has_header(&r, "X-Skipped"));
    assert_true(has_header(&r, "X-Server: tianti-test"));
    reply_free(&r);
    tt_httpd_stop(h);
}

static void test_httpd_on_headers_answers_before_body(void **state)
{
    (void)state;
    tt_httpd *h = start();
    int handled = atomic_load(&g_state.handled), early = atomic_load(&g_state.early);
    reply r;
    assert_int_equal(fetch(tt_httpd_port(h), "POST", "/early", "{}", 2, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(tt_buf_str(&r.body), "early"));
    reply_free(&r);
    assert_int_equal(atomic_load(&g_state.early), early + 1);
    assert_int_equal(atomic_load(&g_state.handled), handled);   /* handle never ran */
    tt_httpd_stop(h);
}

static void test_httpd_body_limit_413(void **state)
{
    (void)state;
    tt_httpd *h = start();
    int handled = atomic_load(&g_state.handled);
    char *big = tt_malloc(MAX_BODY * 4 + 1);
    memset(big, 'y', MAX_BODY * 4);
    big[MAX_BODY * 4] = 0;
    reply r;
    /* announced by Content-Length: refused before the body is read */
    fetch(tt_httpd_port(h), "POST", "/post", big, MAX_BODY + 1, 0, NULL, &r);
    assert_int_equal(r.status, 413);
    json_t *j = reply_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 413);
    assert_non_null(strstr(json_string_value(json_object_get(j, "refused")), "1000 bytes"));
    json_decref(j);
    reply_free(&r);
    /* chunked, no length given: refused once it grows past the limit */
    assert_int_equal(fetch(tt_httpd_port(h), "POST", "/post", big, MAX_BODY * 4, 1, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(tt_buf_str(&r.body), "refused"));
    reply_free(&r);
    assert_int_equal(atomic_load(&g_state.handled), handled);
    /* the server still answers */
    assert_int_equal(fetch(tt_httpd_port(h), "POST", "/post", "ok", 2, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    free(big);
    tt_httpd_stop(h);
}

static void test_httpd_default_refusal_is_json(void **state)
{
    (void)state;
    tt_httpd_config cfg = {.port = 0, .max_body = 10, .handle = handle, .user = &g_state};
    tt_httpd *h = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_httpd_start(&cfg, &h, err), TT_OK);
    reply r;
    fetch(tt_httpd_port(h), "POST", "/post", "0123456789abc", 13, 0, NULL, &r);
    assert_int_equal(r.status, 413);
    json_t *j = reply_json(&r);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "over the limit of 10 bytes"));
    json_decref(j);
    reply_free(&r);
    tt_httpd_stop(h);
}

static void test_httpd_stream(void **state)
{
    (void)state;
    tt_httpd *h = start();
    int freed = atomic_load(&g_state.stream_freed);
    reply r;
    assert_int_equal(fetch(tt_httpd_port(h), "GET", "/stream", NULL, 0, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(tt_buf_str(&r.body), "0\n1\n2\n3\n4\n");
    assert_true(has_header(&r, "Content-Type: text/plain"));
    assert_true(has_header(&r, "Cache-Control: no-cache"));
    assert_true(has_header(&r, "Transfer-Encoding: chunked"));   /* length unknown */
    reply_free(&r);
    tt_httpd_stop(h);   /* every connection is done: the stream was freed */
    assert_int_equal(atomic_load(&g_state.stream_freed), freed + 1);
}

static void test_httpd_start_errors_and_stop(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    tt_httpd *h = NULL;
    tt_httpd_config bad = {.host = "example.org", .handle = handle};
    assert_int_equal(tt_httpd_start(&bad, &h, err), TT_ERR_USAGE);
    assert_null(h);
    assert_non_null(strstr(err, "example.org"));
    bad = (tt_httpd_config){.port = 70000, .handle = handle};
    assert_int_equal(tt_httpd_start(&bad, &h, err), TT_ERR_USAGE);
    bad = (tt_httpd_config){.port = 0};
    assert_int_equal(tt_httpd_start(&bad, &h, err), TT_ERR_USAGE);   /* no handler */

    tt_httpd *a = start();
    int port = tt_httpd_port(a);
    tt_httpd_config same = {.host = "localhost", .port = port, .handle = handle, .user = &g_state};
    assert_int_equal(tt_httpd_start(&same, &h, err), TT_ERR_IO);    /* in use */
    assert_null(h);
    assert_non_null(strstr(err, "cannot listen"));

    atomic_store(&g_state.stopped, 0);
    tt_httpd_stop(a);
    assert_int_equal(atomic_load(&g_state.stopped), 1);
    reply r;
    assert_int_not_equal(fetch(port, "GET", "/", NULL, 0, 0, NULL, &r), CURLE_OK);   /* nobody listens */
    reply_free(&r);
    tt_httpd_stop(NULL);
}

/* ---- the policy ---------------------------------------------------------------------- */

static void test_httpd_policy_helpers(void **state)
{
    (void)state;
    assert_true(tt_httpd_content_type_is_json("application/json"));
    assert_true(tt_httpd_content_type_is_json("Application/JSON"));
    assert_true(tt_httpd_content_type_is_json("application/json; charset=utf-8"));
    assert_true(tt_httpd_content_type_is_json("application/json;charset=\"UTF-8\""));
    assert_false(tt_httpd_content_type_is_json(NULL));
    assert_false(tt_httpd_content_type_is_json("text/plain"));
    assert_false(tt_httpd_content_type_is_json("application/jsonx"));
    assert_false(tt_httpd_content_type_is_json("application/json-patch+json"));
    assert_false(tt_httpd_content_type_is_json("application/json; charset=latin1"));
    assert_false(tt_httpd_content_type_is_json("application/json; boundary=x"));
    assert_false(tt_httpd_content_type_is_json("application/x-www-form-urlencoded"));
    static const char *const lo[] = {"localhost", "127.0.0.1", "::1", NULL};
    assert_true(tt_httpd_host_allowed("localhost", lo));
    assert_true(tt_httpd_host_allowed("LOCALHOST:8080", lo));
    assert_true(tt_httpd_host_allowed("127.0.0.1:80", lo));
    assert_true(tt_httpd_host_allowed("[::1]:8000", lo));
    assert_true(tt_httpd_host_allowed("localhost.", lo));
    assert_false(tt_httpd_host_allowed("evil.example", lo));
    assert_false(tt_httpd_host_allowed("localhost.evil.example:8080", lo));
    assert_false(tt_httpd_host_allowed("127.0.0.2", lo));
    assert_false(tt_httpd_host_allowed("[::1", lo));
    assert_false(tt_httpd_host_allowed("", lo));
    static const char *const any[] = {"*", NULL};
    assert_true(tt_httpd_host_allowed("anything:1", any));
    assert_true(tt_httpd_host_allowed("x", NULL));
}

static void test_httpd_content_type_and_host(void **state)
{
    (void)state;
    tt_httpd *h = start();
    int port = tt_httpd_port(h), handled = atomic_load(&g_state.handled);
    reply r;
    static const char *const plain[] = {"Content-Type: text/plain", NULL};
    static const char *const prefix[] = {"Content-Type: application/json-seq", NULL};
    static const char *const utf8[] = {"Content-Type: application/json; charset=UTF-8", NULL};
    fetch(port, "POST", "/post", "{}", 2, 0, plain, &r);
    assert_int_equal(r.status, 415);
    assert_non_null(strstr(tt_buf_str(&r.body), "application/json"));
    reply_free(&r);
    fetch(port, "POST", "/post", "{}", 2, 0, prefix, &r);
    assert_int_equal(r.status, 415);
    reply_free(&r);
    assert_int_equal(atomic_load(&g_state.handled), handled);
    fetch(port, "POST", "/post", "{}", 2, 0, utf8, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* DNS rebinding: a page of evil.example resolved to 127.0.0.1 */
    static const char *const evil[] = {"Host: evil.example:8080", NULL};
    static const char *const local[] = {"Host: localhost:8080", NULL};
    fetch(port, "GET", "/", NULL, 0, 0, evil, &r);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(tt_buf_str(&r.body), "--allow-host"));
    reply_free(&r);
    fetch(port, "GET", "/", NULL, 0, 0, local, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    tt_httpd_stats st;
    tt_httpd_get_stats(h, &st);
    assert_int_equal(st.bad_type, 2);
    assert_int_equal(st.bad_host, 1);
    tt_httpd_stop(h);

    /* an allow-list given: its names only */
    static const char *const names[] = {"tianti.test", NULL};
    tt_httpd_config cfg = {.port = 0, .handle = handle, .allow_hosts = names, .user = &g_state};
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_httpd_start(&cfg, &h, err), TT_OK);
    static const char *const ok[] = {"Host: tianti.test:80", NULL};
    fetch(tt_httpd_port(h), "GET", "/", NULL, 0, 0, ok, &r);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    fetch(tt_httpd_port(h), "GET", "/", NULL, 0, 0, local, &r);
    assert_int_equal(r.status, 403);
    reply_free(&r);
    tt_httpd_stop(h);
}

/* A TCP connection to port from source address src (127.0.0.x), or -1. */
static int connect_from(const char *src, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    inet_pton(AF_INET, src, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when the server closed fd within ms (EOF or reset). */
static int closed_within(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 0;
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Slowloris: headers (and then a body) sent a byte at a time, each in
 * time for libmicrohttpd's idle timeout; the deadline cuts them off. */
static void test_httpd_slow_clients_cut_off(void **state)
{
    (void)state;
    tt_httpd_config cfg = {.port = 0, .handle = handle, .header_timeout_s = 1, .body_timeout_s = 1,
                           .idle_timeout_s = 30, .user = &g_state};
    tt_httpd *h = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_httpd_start(&cfg, &h, err), TT_OK);
    int port = tt_httpd_port(h);
    const char *head = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    int fd = connect_from("127.0.0.1", port);
    assert_true(fd >= 0);
    double t0 = tt_now_s();
    int closed = 0;
    for (size_t i = 0; i < 40 && !closed; i++) {
        char ch = head[i % strlen(head)];
        if (send(fd, &ch, 1, MSG_NOSIGNAL) < 0) break;
        closed = closed_within(fd, 200);
    }
    double took = tt_now_s() - t0;
    printf("# trickled headers cut off after %.1f s\n", took);
    assert_true(closed || took < 4.0);
    assert_true(took < 4.0);
    close(fd);
    /* the body: headers at once, then a byte at a time */
    fd = connect_from("127.0.0.1", port);
    assert_true(fd >= 0);
    const char *post = "POST /post HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                       "Content-Length: 500\r\n\r\n";
    assert_true(send(fd, post, strlen(post), MSG_NOSIGNAL) > 0);
    t0 = tt_now_s();
    closed = 0;
    for (int i = 0; i < 40 && !closed; i++) {
        if (send(fd, "x", 1, MSG_NOSIGNAL) < 0) break;
        closed = closed_within(fd, 200);
    }
    took = tt_now_s() - t0;
    printf("# trickled body cut off after %.1f s\n", took);
    assert_true(took < 4.0);
    close(fd);
    sleep_ms(300);
    tt_httpd_stats st;
    tt_httpd_get_stats(h, &st);
    assert_int_equal(st.header_timeouts, 1);
    assert_int_equal(st.body_timeouts, 1);
    /* a quick client is not cut off, on a kept-alive connection either */
    reply r;
    assert_int_equal(fetch(port, "POST", "/post", "{}", 2, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    tt_httpd_stop(h);
}

/* Idle sockets from one address stop at its limit; a real client from
 * another address is served; past the global cap, a clean 503. */
static void test_httpd_connection_limits(void **state)
{
    (void)state;
    tt_httpd_config cfg = {.port = 0, .handle = handle, .max_connections = 12, .per_ip_limit = 4,
                           .header_timeout_s = 30, .user = &g_state};
    tt_httpd *h = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_httpd_start(&cfg, &h, err), TT_OK);
    int port = tt_httpd_port(h);
    enum { N = 40 };
    int fds[N], held = 0;
    for (int i = 0; i < N; i++) fds[i] = connect_from("127.0.0.2", port);
    sleep_ms(300);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0 && !closed_within(fds[i], 0)) held++;
    printf("# %d idle sockets from 127.0.0.2: %d held\n", N, held);
    assert_int_equal(held, 4);
    reply r;
    assert_int_equal(fetch(port, "GET", "/", NULL, 0, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    /* more addresses, up to the cap (12): 4 + 4 + 4 held */
    int more[8];
    for (int i = 0; i < 8; i++) more[i] = connect_from(i < 4 ? "127.0.0.3" : "127.0.0.4", port);
    sleep_ms(300);
    assert_int_equal(fetch(port, "GET", "/", NULL, 0, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 503);
    assert_true(has_header(&r, "Retry-After: 1"));
    assert_non_null(strstr(tt_buf_str(&r.body), "limit of 12 connections"));
    reply_free(&r);
    tt_httpd_stats st;
    tt_httpd_get_stats(h, &st);
    assert_true(st.busy >= 1);
    for (int i = 0; i < 8; i++)
        if (more[i] >= 0) close(more[i]);
    for (int i = 0; i < N; i++)
        if (fds[i] >= 0) close(fds[i]);
    sleep_ms(300);
    assert_int_equal(fetch(port, "GET", "/", NULL, 0, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    tt_httpd_stop(h);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atomic_init(&g_state.odd, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_httpd_request_reaches_handler),
        cmocka_unit_test(test_httpd_static_and_response_headers),
        cmocka_unit_test(test_httpd_on_headers_answers_before_body),
        cmocka_unit_test(test_httpd_body_limit_413),
        cmocka_unit_test(test_httpd_default_refusal_is_json),
        cmocka_unit_test(test_httpd_stream),
        cmocka_unit_test(test_httpd_start_errors_and_stop),
        cmocka_unit_test(test_httpd_policy_helpers),
        cmocka_unit_test(test_httpd_content_type_and_host),
        cmocka_unit_test(test_httpd_slow_clients_cut_off),
        cmocka_unit_test(test_httpd_connection_limits),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    if (atomic_load(&g_state.odd)) {
        fprintf(stderr, "test_httpd: on_headers saw a body\n");
        rc = 1;
    }
    return rc;
}
