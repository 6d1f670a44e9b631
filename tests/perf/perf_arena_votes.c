/*
 * perf_arena_votes.c — load on the web arena's vote endpoint (never run as
 * a test). A child process runs the arena server (arena/web.h) on
 * 127.0.0.1 with two replay models; this process is the client, with
 * several threads on keep-alive HTTP/1.1 connections:
 *   1. creates N battles (POST /api/battle, reading each NDJSON stream for
 *      the battle id and token);
 *   2. baseline: N requests of GET /api/config (routing and HTTP only);
 *   3. votes once on every battle (POST /api/vote), timing each;
 *   4. votes again on a sample (every answer must be 409).
 * Prints requests/s and p50/p99 latency for the baseline and for votes,
 * then counts rows in the store: every vote must be stored exactly once.
 * Usage: perf_arena_votes [battles (default 5000)] [client threads (default 8)]
 */
#include "arena/web.h"
#include "store/store.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    char buf[65536];
    size_t len;
} conn;

static int port;

static int conn_open(conn *c)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(c->fd);
        return -1;
    }
    return 0;
}

static int fill(conn *c)
{
    if (c->len == sizeof c->buf) return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n <= 0) return -1;
    c->len += (size_t)n;
    return 0;
}

static void consume(conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Sends one request and reads the response (Content-Length or chunked)
 * into body. Returns the status, or -1. */
static int request(conn *c, const char *method, const char *path, const char *json, tt_buf *body)
{
    char head[512];
    size_t blen = json ? strlen(json) : 0;
    static const char common[] = "Host: 127.0.0.1\r\nCookie: tianti_voter=0123456789abcdef0123456789abcdef\r\n";
    int hl = json ? snprintf(head, sizeof head,
                             "%s %s HTTP/1.1\r\n%sContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                             method, path, common, blen)
                  : snprintf(head, sizeof head, "%s %s HTTP/1.1\r\n%s\r\n", method, path, common);
    if (send(c->fd, head, (size_t)hl, MSG_NOSIGNAL) != hl) return -1;
    if (json && send(c->fd, json, blen, MSG_NOSIGNAL) != (ssize_t)blen) return -1;
    char *end;
    for (;;) {
        if ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) break;
        if (fill(c)) return -1;
    }
    size_t hdr_len = (size_t)(end - c->buf) + 4;
    int status = atoi(c->buf + 9);
    char *hdrs = tt_strndup(c->buf, hdr_len);
    consume(c, hdr_len);
    tt_buf_reset(body);
    char *cl = strcasestr(hdrs, "\r\ncontent-length:");
    int chunked = strcasestr(hdrs, "\r\ntransfer-encoding: chunked") != NULL;
    free(hdrs);
    if (cl && !chunked) {
        size_t n = strtoul(cl + 17, NULL, 10);
        while (c->len < n)
            if (fill(c)) return -1;
        tt_buf_append(body, c->buf, n);
        consume(c, n);
    } else if (chunked) {
        for (;;) {
            char *nl;
            while (!(nl = memmem(c->buf, c->len, "\r\n", 2)))
                if (fill(c)) return -1;
            size_t n = strtoul(c->buf, NULL, 16);
            consume(c, (size_t)(nl - c->buf) + 2);
            while (c->len < n + 2)
                if (fill(c)) return -1;
            tt_buf_append(body, c->buf, n);
            consume(c, n + 2);
            if (n == 0) break;
        }
    }
    tt_buf_puts(body, "");
    return status;
}

typedef struct battle_ref {
    char id[33];
    char token[65];
} battle_ref;

typedef struct job {
    int kind;             /* 0 create, 1 baseline, 2 vote, 3 revote */
    battle_ref *battles;
    int from, to;         /* this thread's range */
    double *lat;          /* per request */
    int ok, bad;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    conn *c = tt_calloc(1, sizeof *c);
    tt_buf body;
    tt_buf_init(&body);
    if (conn_open(c)) {
        j->bad = j->to - j->from;
        free(c);
        return NULL;
    }
    for (int i = j->from; i < j->to; i++) {
        char json[256];
        double t0 = tt_now_s();
        int st;
        if (j->kind == 0) {
            st = request(c, "POST", "/api/battle", "{\"prompt\":\"hi\"}", &body);
            const char *p = strstr(tt_buf_str(&body), "\"id\":\"");
            const char *q = strstr(tt_buf_str(&body), "\"token\":\"");
            if (st == 200 && p && q) {
                memcpy(j->battles[i].id, p + 6, 32);
                memcpy(j->battles[i].token, q + 9, 64);
            } else {
                st = -1;
            }
        } else if (j->kind == 1) {
            st = request(c, "GET", "/api/config", NULL, &body);
        } else {
            snprintf(json, sizeof json, "{\"battle\":\"%s\",\"token\":\"%s\",\"vote\":\"%s\"}", j->battles[i].id,
                     j->battles[i].token, i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "tie");
            st = request(c, "POST", "/api/vote", json, &body);
        }
        j->lat[i] = tt_now_s() - t0;
        int want = j->kind == 3 ? 409 : 200;
        if (st == want) j->ok++;
        else j->bad++;
        if (st < 0) { /* reconnect after a broken connection */
            close(c->fd);
            if (conn_open(c)) break;
        }
    }
    close(c->fd);
    tt_buf_free(&body);
    free(c);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void phase(const char *name, int kind, battle_ref *battles, int n, int threads)
{
    double *lat = tt_calloc((size_t)n, sizeof *lat);
    job *jobs = tt_calloc((size_t)threads, sizeof *jobs);
    pthread_t *th = tt_calloc((size_t)threads, sizeof *th);
    double t0 = tt_now_s();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){.kind = kind, .battles = battles, .from = n * t / threads, .to = n * (t + 1) / threads, .lat = lat};
        pthread_create(&th[t], NULL, worker, &jobs[t]);
    }
    int ok = 0, bad = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        ok += jobs[t].ok;
        bad += jobs[t].bad;
    }
    double dt = tt_now_s() - t0;
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("%-28s %7d requests  %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  (%d as expected, %d not)\n", name, n,
           n / dt, lat[n / 2] * 1e3, lat[(size_t)(n * 0.99)] * 1e3, ok, bad);
    free(lat);
    free(jobs);
    free(th);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int threads = argc > 2 ? atoi(argv[2]) : 8;
    if (n < 10 || threads < 1) {
        fprintf(stderr, "usage: perf_arena_votes [battles >= 10] [threads >= 1]\n");
        return 2;
    }
    char dir[] = "/tmp/tianti_bench_votes_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char *replay_a = tt_asprintf("%s/a.jsonl", dir), *replay_b = tt_asprintf("%s/b.jsonl", dir);
    char *db = tt_asprintf("%s/arena.db", dir);
    char err[TT_ERR_SIZE];
    const char *ra = "{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"text\":\"Hello.\"}\n";
    const char *rb = "{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"text\":\"Hi there.\"}\n";
    if (tt_write_file(replay_a, ra, strlen(ra), err) || tt_write_file(replay_b, rb, strlen(rb), err)) {
        fprintf(stderr, "perf_arena_votes: %s\n", err);
        return 1;
    }
    int pfd[2];
    if (pipe(pfd)) return 1;
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        char *ma = tt_asprintf("one=replay:%s", replay_a), *mb = tt_asprintf("two=replay:%s", replay_b);
        const char *models[2] = {ma, mb};
        arena_web_opts o;
        arena_web_opts_default(&o);
        o.port = 0;
        o.db_path = db;
        o.models = models;
        o.n_models = 2;
        o.rate_per_min = 0;
        o.max_active = 256;
        o.quiet = 1;
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        arena_web *w = NULL;
        int p = -1;
        if (arena_web_start(&o, &w, err) == TT_OK) p = arena_web_port(w);
        else fprintf(stderr, "perf_arena_votes: server: %s\n", err);
        if (write(pfd[1], &p, sizeof p) != sizeof p) _exit(1);
        close(pfd[1]);
        if (p < 0) _exit(1);
        int sig;
        sigwait(&set, &sig);
        arena_web_stop(w);
        _exit(0);
    }
    close(pfd[1]);
    if (read(pfd[0], &port, sizeof port) != sizeof port || port < 0) {
        fprintf(stderr, "perf_arena_votes: the server did not start\n");
        return 1;
    }
    close(pfd[0]);
    printf("arena server pid %d on 127.0.0.1:%d; %d battles, %d client threads\n", (int)child, port, n, threads);
    battle_ref *battles = tt_calloc((size_t)n, sizeof *battles);
    phase("create battles (stream)", 0, battles, n, threads);
    phase("baseline GET /api/config", 1, battles, n, threads);
    phase("vote POST /api/vote", 2, battles, n, threads);
    int sample = n / 10;
    phase("second vote (must be 409)", 3, battles, sample, threads);
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);

    store *st = NULL;
    int rc = store_open(db, &st, err);
    long rows = -1, distinct = -1;
    if (rc == TT_OK) {
        store_battle_tally tally;
        if (store_battles_tally(st, &tally, err) == TT_OK) {
            rows = (long)tally.total;
            distinct = (long)tally.votes;
        }
        store_close(st);
    }
    int exact = rows == n && distinct == n;
    printf("stored votes: %ld rows, %ld distinct battles, %d voted: %s\n", rows, distinct, n,
           exact ? "every vote stored exactly once" : "MISMATCH");
    char *cmd = tt_asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "perf_arena_votes: could not remove %s\n", dir);
    free(cmd);
    free(battles);
    free(replay_a);
    free(replay_b);
    free(db);
    return exact ? 0 : 1;
}
