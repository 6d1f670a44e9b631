/*
 * perf_arena_votes.c — load on the web arena's vote endpoint (never run as
 * a test), on one SQLite store and on one PostgreSQL store shared by 1, 2
 * and 4 arena servers (docs/scale.md). Per configuration, child processes
 * run the arena servers (arena/web.h) on 127.0.0.1 with two replay models;
 * this process is the client, with several threads on keep-alive HTTP/1.1
 * connections to every server:
 *   1. creates N battles (POST /api/battle on server i % S, reading each
 *      NDJSON stream for the battle id and token);
 *   2. baseline: N requests of GET /api/config (routing and HTTP only);
 *   3. votes once on every battle (POST /api/vote) through ANOTHER server
 *      than the one that ran it when there are several, timing each;
 *   4. votes again on a sample (every answer must be 409).
 * Prints requests/s and p50/p99 latency per phase, a summary line per
 * configuration, then counts rows in the store: every vote must be stored
 * exactly once.
 * PostgreSQL: the server of $TIANTI_TEST_PG (eval "$(tests/tools/pg_cluster.sh
 * start)"); each configuration gets a new database there. Without it only
 * SQLite is measured, and the program says so.
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

#define MAX_SERVERS 4
static int ports[MAX_SERVERS];
static int n_servers;

static int conn_open(conn *c, int port)
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

/* The server request i goes to: battles on i % S, votes on the next one. */
static int server_of(int kind, int i) { return (i + (kind >= 2 ? 1 : 0)) % n_servers; }

static void *worker(void *arg)
{
    job *j = arg;
    conn *c = tt_calloc(MAX_SERVERS, sizeof *c);
    tt_buf body;
    tt_buf_init(&body);
    for (int k = 0; k < n_servers; k++)
        if (conn_open(&c[k], ports[k])) {
            j->bad = j->to - j->from;
            for (int m = 0; m < k; m++) close(c[m].fd);
            free(c);
            tt_buf_free(&body);
            return NULL;
        }
    for (int i = j->from; i < j->to; i++) {
        char json[256];
        int k = server_of(j->kind, i);
        double t0 = tt_now_s();
        int st;
        if (j->kind == 0) {
            st = request(&c[k], "POST", "/api/battle", "{\"prompt\":\"hi\"}", &body);
            const char *p = strstr(tt_buf_str(&body), "\"id\":\"");
            const char *q = strstr(tt_buf_str(&body), "\"token\":\"");
            if (st == 200 && p && q) {
                memcpy(j->battles[i].id, p + 6, 32);
                memcpy(j->battles[i].token, q + 9, 64);
            } else {
                st = -1;
            }
        } else if (j->kind == 1) {
            st = request(&c[k], "GET", "/api/config", NULL, &body);
        } else {
            snprintf(json, sizeof json, "{\"battle\":\"%s\",\"token\":\"%s\",\"vote\":\"%s\"}", j->battles[i].id,
                     j->battles[i].token, i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "tie");
            st = request(&c[k], "POST", "/api/vote", json, &body);
        }
        j->lat[i] = tt_now_s() - t0;
        int want = j->kind == 3 ? 409 : 200;
        if (st == want) j->ok++;
        else j->bad++;
        if (st < 0) { /* reconnect after a broken connection */
            close(c[k].fd);
            if (conn_open(&c[k], ports[k])) break;
        }
    }
    for (int k = 0; k < n_servers; k++) close(c[k].fd);
    tt_buf_free(&body);
    free(c);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct phase_result {
    double rate, p50, p99;
    int bad;
} phase_result;

static phase_result phase(const char *name, int kind, battle_ref *battles, int n, int threads)
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
    phase_result r = {n / dt, lat[n / 2] * 1e3, lat[(size_t)(n * 0.99)] * 1e3, bad};
    printf("  %-28s %7d requests  %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms  (%d as expected, %d not)\n", name, n,
           r.rate, r.p50, r.p99, ok, bad);
    free(lat);
    free(jobs);
    free(th);
    return r;
}

/* Forks one arena server on db; its pid, its port in *port (-1: failed). */
static pid_t server_start(const char *db, const char *replay_a, const char *replay_b, int *port)
{
    int pfd[2];
    *port = -1;
    if (pipe(pfd)) return -1;
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        char err[TT_ERR_SIZE];
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
    if (read(pfd[0], port, sizeof *port) != sizeof *port) *port = -1;
    close(pfd[0]);
    return child;
}

/* One configuration: servers arena servers on db. 0 when every vote was
 * stored exactly once. */
static int run_config(const char *label, const char *db, int servers, const char *ra, const char *rb, int n,
                      int threads, char *summary, size_t summary_n)
{
    pid_t pids[MAX_SERVERS];
    n_servers = servers;
    int started = 0;
    for (int k = 0; k < servers; k++) {
        pids[k] = server_start(db, ra, rb, &ports[k]);
        if (pids[k] > 0) started++;
        if (ports[k] < 0) break;
    }
    int ok = started == servers;
    for (int k = 0; k < servers && ok; k++) ok = ports[k] > 0;
    printf("%s: %d server(s)\n", label, servers);
    phase_result vote = {0};
    if (ok) {
        battle_ref *battles = tt_calloc((size_t)n, sizeof *battles);
        phase("create battles (stream)", 0, battles, n, threads);
        phase("baseline GET /api/config", 1, battles, n, threads);
        vote = phase(servers > 1 ? "vote via another server" : "vote POST /api/vote", 2, battles, n, threads);
        phase("second vote (must be 409)", 3, battles, n / 10, threads);
        free(battles);
    } else {
        fprintf(stderr, "perf_arena_votes: a server did not start\n");
    }
    for (int k = 0; k < started; k++) {
        kill(pids[k], SIGTERM);
        int status = 0;
        waitpid(pids[k], &status, 0);
    }
    char err[TT_ERR_SIZE];
    store *st = NULL;
    long rows = -1, distinct = -1;
    if (store_open(db, &st, err) == TT_OK) {
        store_battle_tally tally;
        if (store_battles_tally(st, &tally, err) == TT_OK) {
            rows = (long)tally.total;
            distinct = (long)tally.votes;
        }
        store_close(st);
    }
    int exact = ok && rows == n && distinct == n;
    printf("  stored votes: %ld rows, %ld distinct battles, %d voted: %s\n", rows, distinct, n,
           exact ? "every vote stored exactly once" : "MISMATCH");
    snprintf(summary, summary_n, "%-34s %10.0f votes/s  p99 %8.3f ms%s", label, vote.rate, vote.p99,
             exact ? "" : "  (MISMATCH)");
    return exact ? 0 : 1;
}

/* A new database on the $TIANTI_TEST_PG server (tests/tools/pg_cluster.sh
 * newdb), its URI in uri; -1 when there is none. */
static int pg_newdb(const char *name, char *uri, size_t n)
{
    const char *pg = getenv("TIANTI_TEST_PG");
    if (!pg || !*pg) return -1;
    /* the script beside this program's source: tests/tools/ */
    char *src = tt_strdup(__FILE__);
    char *slash = strrchr(src, '/');
    if (slash) *slash = 0;
    char *cmd = tt_asprintf("bash '%s/../tools/pg_cluster.sh' newdb %s", slash ? src : ".", name);
    FILE *f = popen(cmd, "r");
    free(cmd);
    free(src);
    if (!f) return -1;
    uri[0] = 0;
    if (fgets(uri, (int)n, f)) uri[strcspn(uri, "\n")] = 0;
    return pclose(f) == 0 && uri[0] ? 0 : -1;
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
    printf("%d battles per configuration, %d client threads\n", n, threads);
    char summary[4][160];
    int n_summary = 0, failed = 0;
    failed |= run_config("SQLite, 1 server", db, 1, replay_a, replay_b, n, threads, summary[n_summary++],
                         sizeof summary[0]);
    static const int servers[] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        char uri[1024], name[64], label[64];
        snprintf(name, sizeof name, "tianti_perf_votes_%d_%d", (int)getpid(), servers[i]);
        if (pg_newdb(name, uri, sizeof uri) != 0) {
            printf("PostgreSQL: not measured (no server: eval \"$(tests/tools/pg_cluster.sh start)\" sets "
                   "TIANTI_TEST_PG)\n");
            break;
        }
        snprintf(label, sizeof label, "PostgreSQL, %d server%s", servers[i], servers[i] > 1 ? "s" : "");
        failed |= run_config(label, uri, servers[i], replay_a, replay_b, n, threads, summary[n_summary++],
                             sizeof summary[0]);
    }
    printf("\nsummary (votes; p99 latency of a vote):\n");
    for (int i = 0; i < n_summary; i++) printf("  %s\n", summary[i]);
    char *cmd = tt_asprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "perf_arena_votes: could not remove %s\n", dir);
    free(cmd);
    free(replay_a);
    free(replay_b);
    free(db);
    return failed;
}
