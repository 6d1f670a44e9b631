/*
 * perf_http.c — what the HTTP layer costs. A `tianti serve` server
 * (engines/serve/serve.c, in-process, on 127.0.0.1) fronts an engine that
 * answers instantly, so every microsecond measured is harness overhead:
 * JSON building and parsing, libcurl, libmicrohttpd, threads, loopback TCP.
 *
 *   baseline      engine_complete on the instant engine directly
 *   openai chat   openai:MODEL engine -> serve -> instant engine, at 1, 8
 *                 and 64 concurrent requests: latency per request (mean,
 *                 p50, p99) and throughput
 *   stream        the same with SSE streaming at concurrency 1
 *   chatglm       chatglm:URL engine -> serve's api.py endpoint at 1
 *   limiter       http_limiter at 1200 rpm shared by 8 threads for 3 s:
 *                 admitted requests against the budget burst + rate*T, and
 *                 the worst excess over any 1 s window
 *
 * Usage: perf_http [requests per thread at concurrency 1 (default 2000)]
 */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/engine.h"
#include "engines/http/http_client.h"
#include "engines/serve/serve.h"
#include "core/util.h"

/* ---- instant engine --------------------------------------------------------- */

static unsigned inst_caps(engine *e)
{
    (void)e;
    return ENGINE_CAP_CHAT | ENGINE_CAP_GENERATE | ENGINE_CAP_STREAM;
}

static int inst_complete(engine *e, const engine_request *req, engine_response *r, char *err)
{
    (void)e; (void)err;
    const char *q = req->kind == ENGINE_REQ_CHAT ? req->messages[req->n_messages - 1].content : req->context;
    r->text = tt_asprintf("The answer to '%s' is 42.", q);
    if (req->on_token) {
        const char *t = r->text;
        size_t n = strlen(t), step = (n + 7) / 8;
        for (size_t i = 0; i < n; i += step)
            if (req->on_token(req->on_token_user, t + i, i + step > n ? n - i : step)) break;
    }
    r->prompt_tokens = 12;
    r->completion_tokens = 8;
    r->finish_reason = tt_strdup("stop");
    return TT_OK;
}

static void inst_close(engine *e)
{
    free(e);
}

static const engine_vtable inst_vt = {.caps = inst_caps, .complete = inst_complete, .close = inst_close};

static engine *inst_new(void)
{
    engine *e = tt_calloc(1, sizeof *e);
    e->vt = &inst_vt;
    e->spec = tt_strdup("instant:bench");
    e->kind = tt_strdup("instant");
    return e;
}

/* ---- load generator ------------------------------------------------------------ */

typedef struct load {
    engine *e;
    int n;            /* requests per thread */
    int stream;
    double *lat;      /* n latencies (s) */
    int errors;
} load;

static int sink(void *u, const char *p, size_t n)
{
    (void)u; (void)p; (void)n;
    return 0;
}

static void *load_thread(void *arg)
{
    load *l = arg;
    char q[64];
    for (int i = 0; i < l->n; i++) {
        snprintf(q, sizeof q, "question %d", i);
        engine_message m = {.role = "user", .content = q};
        engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
        req.gen.max_tokens = 16;
        if (l->stream) {
            req.on_token = sink;
            req.on_token_user = NULL;
        }
        engine_response r;
        char err[TT_ERR_SIZE];
        double t0 = tt_now_s();
        int rc = engine_complete(l->e, &req, &r, err);
        l->lat[i] = tt_now_s() - t0;
        if (rc || r.error || !r.text) l->errors++;
        engine_response_free(&r);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs `threads` x `per` requests; prints one row. */
static void run_load(const char *label, engine *e, int threads, int per, int stream, double baseline_us)
{
    load *ls = tt_calloc((size_t)threads, sizeof *ls);
    pthread_t *t = tt_calloc((size_t)threads, sizeof *t);
    double t0 = tt_now_s();
    for (int i = 0; i < threads; i++) {
        ls[i] = (load){.e = e, .n = per, .stream = stream, .lat = tt_calloc((size_t)per, sizeof(double))};
        pthread_create(&t[i], NULL, load_thread, &ls[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double wall = tt_now_s() - t0;
    size_t n = (size_t)threads * (size_t)per;
    double *all = tt_malloc(n * sizeof *all);
    int errors = 0;
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + (size_t)i * (size_t)per, ls[i].lat, (size_t)per * sizeof(double));
        errors += ls[i].errors;
        free(ls[i].lat);
    }
    for (size_t i = 0; i < n; i++) sum += all[i];
    qsort(all, n, sizeof *all, cmp_double);
    double mean = sum / (double)n * 1e6;
    printf("%-22s %5d %7zu %10.1f %9.1f %9.1f %10.1f %11.0f %6d\n", label, threads, n, mean, all[n / 2] * 1e6,
           all[(size_t)((double)n * 0.99)] * 1e6, mean - baseline_us, (double)n / wall, errors);
    free(all);
    free(ls);
    free(t);
}

/* ---- limiter accuracy ------------------------------------------------------------ */

typedef struct lim_arg {
    http_limiter *l;
    double until;
    double *times;
    int n, cap;
    pthread_mutex_t *mu;
} lim_arg;

static void *lim_thread(void *p)
{
    lim_arg *a = p;
    while (tt_now_s() < a->until) {
        http_limiter_acquire(a->l, 0);
        double now = tt_now_s();
        if (now >= a->until) break;
        pthread_mutex_lock(a->mu);
        if (a->n < a->cap) a->times[a->n++] = now;
        pthread_mutex_unlock(a->mu);
    }
    return NULL;
}

static void bench_limiter(void)
{
    const double rpm = 1200, secs = 3.0;
    http_limiter l;
    http_limiter_init(&l, rpm, 0);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    double t0 = tt_now_s();
    lim_arg a = {.l = &l, .until = t0 + secs, .cap = 100000, .mu = &mu};
    a.times = tt_calloc((size_t)a.cap, sizeof(double));
    enum { T = 8 };
    pthread_t t[T];
    for (int i = 0; i < T; i++) pthread_create(&t[i], NULL, lim_thread, &a);
    for (int i = 0; i < T; i++) pthread_join(t[i], NULL);
    double rate = rpm / 60.0, burst = rate > 1 ? rate : 1;
    double budget = burst + rate * secs;
    qsort(a.times, (size_t)a.n, sizeof(double), cmp_double);
    /* worst 1 s window: requests in [t_i, t_i + 1) against burst + rate */
    int worst = 0;
    for (int i = 0, j = 0; i < a.n; i++) {
        while (j < a.n && a.times[j] < a.times[i] + 1.0) j++;
        if (j - i > worst) worst = j - i;
    }
    double late = 0;   /* how far past its slot the last admission came */
    if (a.n > burst) {
        double slot = t0 + (a.n - burst) / rate;
        late = a.times[a.n - 1] - slot;
    }
    printf("\nlimiter: %.0f rpm (%.0f/s, burst %.0f), %d threads for %.1f s\n", rpm, rate, burst, T, secs);
    printf("  admitted %d, budget burst+rate*T = %.0f (%.1f%% of budget)\n", a.n, budget, 100.0 * a.n / budget);
    printf("  busiest 1 s window: %d requests, bound burst+rate = %.0f\n", worst, burst + rate);
    printf("  last admission %+.1f ms from its ideal slot\n", late * 1e3);
    free(a.times);
    http_limiter_destroy(&l);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    int per1 = argc > 1 ? atoi(argv[1]) : 2000;
    if (per1 < 10) per1 = 10;
    engine *inst = inst_new();
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.port = 0;
    cfg.parallel = 64;
    serve_server *srv;
    char err[TT_ERR_SIZE];
    if (serve_start(inst, &cfg, &srv, err)) {
        fprintf(stderr, "perf_http: %s\n", err);
        return 1;
    }
    char base[96], glm[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", serve_port(srv));
    snprintf(glm, sizeof glm, "chatglm:http://127.0.0.1:%d/", serve_port(srv));
    engine_options o;
    engine_options_default(&o);
    o.base_url = base;
    o.api_key_env = "BENCH_HTTP_NO_KEY";
    engine *oa, *cg;
    if (engine_open("openai:bench", &o, &oa, err) || engine_open(glm, &o, &cg, err)) {
        fprintf(stderr, "perf_http: %s\n", err);
        return 1;
    }
    engine_caps(oa);   /* the capability probe, outside the timings */

    printf("perf_http: harness overhead against tianti serve on 127.0.0.1 (instant engine)\n");
    printf("%-22s %5s %7s %10s %9s %9s %10s %11s %6s\n", "path", "conc", "reqs", "mean_us", "p50_us", "p99_us",
           "overhead", "req_per_s", "errors");
    /* baseline: the engine itself */
    double t0 = tt_now_s();
    int nb = per1 * 10;
    for (int i = 0; i < nb; i++) {
        engine_message m = {.role = "user", .content = "question"};
        engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
        engine_response r;
        engine_complete(inst, &req, &r, err);
        engine_response_free(&r);
    }
    double base_us = (tt_now_s() - t0) / nb * 1e6;
    printf("%-22s %5d %7d %10.2f %9s %9s %10s %11.0f %6d\n", "baseline (direct)", 1, nb, base_us, "-", "-", "-",
           nb / (base_us * nb / 1e6), 0);
    /* warm-up: connections and the serve thread pool */
    run_load("warm-up", oa, 8, 50, 0, base_us);
    run_load("openai chat", oa, 1, per1, 0, base_us);
    run_load("openai chat", oa, 8, per1 / 4, 0, base_us);
    run_load("openai chat", oa, 64, per1 / 16, 0, base_us);
    run_load("openai chat stream", oa, 1, per1 / 2, 1, base_us);
    run_load("chatglm api.py", cg, 1, per1, 0, base_us);
    long reqs, calls, canc;
    serve_counts(srv, &reqs, &calls, &canc);
    printf("server: %ld requests, %ld engine calls, %ld cancelled\n", reqs, calls, canc);
    engine_close(oa);
    engine_close(cg);
    serve_stop(srv);
    engine_close(inst);
    bench_limiter();
    return 0;
}
