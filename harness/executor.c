/*
 * executor.c — see executor.h for the life cycle. Workers (tt_parallel_for)
 * take the next unanswered unique request, call the engine, and write the
 * answer to the cache before publishing it under a mutex.
 */
#include "harness/executor.h"
#include "harness/failures.h"
#include "engines/request_json.h"
#include "engines/spec.h"
#include "core/log.h"
#include "core/pool.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int executor_file_hash(store *st, const char *path, char hex[65], char *err)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) return tt_fail(err, TT_ERR_IO, "cannot resolve '%s': %s", path, strerror(errno));
    int fd;
    size_t size;
    int rc = tt_open_regular(real, 0, &fd, &size, err);
    if (rc) return rc;
    struct stat a, b;
    if (fstat(fd, &a) < 0) {
        close(fd);
        return tt_fail(err, TT_ERR_IO, "cannot stat '%s': %s", real, strerror(errno));
    }
    store_file_stat fs = {(int64_t)a.st_size, (int64_t)a.st_mtim.tv_sec * 1000000000 + a.st_mtim.tv_nsec,
                          (int64_t)a.st_ctim.tv_sec * 1000000000 + a.st_ctim.tv_nsec, (int64_t)a.st_ino,
                          (int64_t)a.st_dev};
    if (st && store_file_hash_get(st, real, &fs, hex, NULL) == TT_OK) {
        close(fd);
        return TT_OK;
    }
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    if (size && map == MAP_FAILED) {
        close(fd);
        return tt_fail(err, TT_ERR_IO, "cannot map '%s' to hash it: %s", real, strerror(errno));
    }
    tt_sha256_hex(size ? map : "", size, hex);
    if (size) munmap(map, size);
    int same = fstat(fd, &b) == 0 && b.st_size == a.st_size && b.st_mtim.tv_sec == a.st_mtim.tv_sec &&
               b.st_mtim.tv_nsec == a.st_mtim.tv_nsec && b.st_ctim.tv_sec == a.st_ctim.tv_sec &&
               b.st_ctim.tv_nsec == a.st_ctim.tv_nsec;
    close(fd);
    if (!same) return tt_fail(err, TT_ERR_IO, "'%s' changed while it was being hashed; try again", real);
    char perr[TT_ERR_SIZE];
    if (st && store_file_hash_put(st, real, &fs, hex, perr) != TT_OK) tt_log(TT_LOG_WARN, "%s", perr);
    return TT_OK;
}

int executor_identity(const char *spec, const engine *e, const engine_options *opt, store *st, char **out,
                      char *err)
{
    *out = NULL;
    engine_spec sp;
    int rc = engine_spec_parse(spec, &sp, err);
    if (rc) {
        engine_spec_clear(&sp);
        return rc;
    }
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "spec=%s", spec);
    struct stat fst;
    if (sp.arg && stat(sp.arg, &fst) == 0 && S_ISREG(fst.st_mode)) {
        char hex[65];
        rc = executor_file_hash(st, sp.arg, hex, err);
        if (rc == TT_OK) tt_buf_printf(&b, " sha256=%s", hex);
    }
    const char *endpoint = e ? engine_get_endpoint(e) : NULL;
    if (endpoint) tt_buf_printf(&b, " endpoint=%s", endpoint);
    if (opt && opt->context_length > 0) tt_buf_printf(&b, " context_length=%d", opt->context_length);
    /* a reasoning model's settings change what it answers (effort) or
     * whether sampling settings reached it */
    if (opt && opt->omit_sampling) tt_buf_puts(&b, " omit_sampling");
    if (opt && opt->reasoning_effort) tt_buf_printf(&b, " reasoning_effort=%s", opt->reasoning_effort);
    engine_spec_clear(&sp);
    if (rc) {
        tt_buf_free(&b);
        return rc;
    }
    *out = tt_buf_detach(&b);
    return TT_OK;
}

void executor_cache_key(const char *identity, const engine_request *req, char key[65])
{
    char *json = engine_request_to_json(req);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "%s\n%s\n%s", identity, engine_request_kind_name(req->kind), json);
    /* Log-likelihoods cached under an older scoring rule are not reused. */
    if (req->kind == ENGINE_REQ_LOGLIKELIHOOD || req->kind == ENGINE_REQ_LOGLIKELIHOOD_ROLLING)
        tt_buf_printf(&b, "\n%s", ENGINE_SCORING_RULE);
    tt_sha256_hex(b.data, b.len, key);
    tt_buf_free(&b);
    free(json);
}

typedef struct unique_req {
    char key[65];
    int first;            /* index into reqs of the first request with this key */
    char *request_json;
    engine_response resp;
    int done;
} unique_req;

typedef struct exec_ctx {
    engine *e;
    const char *spec;
    store *cache;
    const engine_request *reqs;
    unique_req **queue;
    int n_queue;
    int sent;             /* requests handed to the engine so far */
    int finished;
    int failed;
    int unreachable;      /* answers in a row that found no server */
    int fatal_rc;
    char fatal_err[TT_ERR_SIZE];
    pthread_mutex_t lock;
    const executor_progress *progress;
    double t0;
    int base_done, total;
} exec_ctx;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const unique_req *)a)->key, ((const unique_req *)b)->key);
}

/* Queue order: request order (firsts are distinct). */
static int cmp_first(const void *a, const void *b)
{
    int x = (*(unique_req *const *)a)->first, y = (*(unique_req *const *)b)->first;
    return (x > y) - (x < y);
}

/* Tells the progress callback where the batch stands (under c->lock). */
static void report_progress(exec_ctx *c, int finished)
{
    if (!c->progress || !c->progress->fn) return;
    executor_progress_info p = {.done = c->base_done + c->finished, .total = c->total, .cache_hits = c->base_done,
                                .sent = c->sent, .failed = c->failed, .finished = finished};
    double el = tt_now_s() - c->t0;
    p.rate = el > 0 ? c->finished / el : 0;
    p.eta_s = p.rate > 0 ? (c->total - p.done) / p.rate : 0;
    c->progress->fn(c->progress->ud, &p);
}

/* A failure of the engine itself (not an error answer) for u: recorded,
 * and the handing out of further requests stops. */
static void record_fatal(exec_ctx *c, unique_req *u, int rc, const char *err)
{
    pthread_mutex_lock(&c->lock);
    if (!c->fatal_rc) {
        c->fatal_rc = rc;
        snprintf(c->fatal_err, sizeof c->fatal_err, "%s", err);
    }
    pthread_mutex_unlock(&c->lock);
    engine_response_free(&u->resp);
    u->resp.error = tt_strdup(err);
    u->done = 1;
}

/* u->resp holds the engine's answer: cached (answers only: a failed
 * request is tried again on resume) and counted. Returns 1 when the rest
 * should not be sent (the server is gone). */
static int record_answer(exec_ctx *c, unique_req *u)
{
    if (c->cache && !u->resp.error) {
        char *rj = engine_response_to_json(&u->resp);
        char cerr[TT_ERR_SIZE];
        if (store_cache_put(c->cache, u->key, c->spec, engine_request_kind_name(c->reqs[u->first].kind),
                            u->request_json, rj, cerr) != TT_OK)
            tt_log(TT_LOG_WARN, "%s", cerr);
        free(rj);
    }
    int stop = 0;
    int gone = u->resp.error && failures_unreachable(u->resp.error);
    pthread_mutex_lock(&c->lock);
    u->done = 1;
    c->finished++;
    if (u->resp.error) c->failed++;
    c->unreachable = gone ? c->unreachable + 1 : 0;
    if (c->unreachable >= EXECUTOR_UNREACHABLE_STOP && !c->fatal_rc) {
        /* The server is gone: the rest would each spend the whole retry
         * budget failing the same way. */
        c->fatal_rc = TT_ERR_ENGINE;
        snprintf(c->fatal_err, sizeof c->fatal_err, "stopped after %d requests in a row reached no server: %.400s",
                 c->unreachable, u->resp.error);
        stop = 1;
    }
    report_progress(c, 0);
    pthread_mutex_unlock(&c->lock);
    return stop;
}

/* Sends one request and records its answer; 1: send no more. */
static int send_request(exec_ctx *c, unique_req *u)
{
    pthread_mutex_lock(&c->lock);
    c->sent++;
    pthread_mutex_unlock(&c->lock);
    char err[TT_ERR_SIZE] = "";
    int rc = engine_complete(c->e, &c->reqs[u->first], &u->resp, err);
    if (rc != TT_OK) {
        record_fatal(c, u, rc, err);
        return 1;
    }
    return record_answer(c, u);
}

/* Sends queue[i] (a tt_parallel_for item). */
static int send_one(void *arg, size_t i, int worker)
{
    (void)worker;
    exec_ctx *c = arg;
    return send_request(c, c->queue[i]);
}

/* Sends us[0..n) (loglikelihood requests) with one engine_complete_batch
 * and records their answers; 1: send no more. */
static int send_together(exec_ctx *c, unique_req **us, int n)
{
    pthread_mutex_lock(&c->lock);
    c->sent += n;
    pthread_mutex_unlock(&c->lock);
    engine_request *reqs = tt_malloc((size_t)n * sizeof *reqs);
    engine_response *resps = tt_malloc((size_t)n * sizeof *resps);
    for (int j = 0; j < n; j++) reqs[j] = c->reqs[us[j]->first];   /* shallow: the strings stay the caller's */
    char err[TT_ERR_SIZE] = "";
    int rc = engine_complete_batch(c->e, reqs, n, resps, err), stop = 0;
    for (int j = 0; j < n; j++) {
        if (rc != TT_OK) {
            record_fatal(c, us[j], rc, err);
            stop = 1;
            continue;
        }
        us[j]->resp = resps[j];
        if (record_answer(c, us[j])) stop = 1;   /* the batch's answers all count */
    }
    free(reqs);
    free(resps);
    return stop;
}

/* Sends queue[i * EXECUTOR_BATCH ...] (a tt_parallel_for item, for engines
 * that answer loglikelihood requests in batches): runs of loglikelihood
 * requests together, since consecutive ones of a task share most of their
 * tokens, which the engine then runs once; any other request alone, its
 * answer cached and counted as soon as it comes (a generation can take
 * seconds). */
static int send_batch(void *arg, size_t i, int worker)
{
    (void)worker;
    exec_ctx *c = arg;
    int first = (int)(i * EXECUTOR_BATCH);
    int n = c->n_queue - first < EXECUTOR_BATCH ? c->n_queue - first : EXECUTOR_BATCH, stop = 0;
    unique_req **us = c->queue + first;
    for (int j = 0; j < n && !stop;) {
        int k = 0;
        while (j + k < n && c->reqs[us[j + k]->first].kind == ENGINE_REQ_LOGLIKELIHOOD) k++;
        if (k == 0) {
            stop = send_request(c, us[j++]);
            continue;
        }
        stop = send_together(c, us + j, k);
        j += k;
    }
    return stop;
}

int executor_run(engine *e, const char *spec, store *cache, const engine_request *reqs, int n,
                 int jobs, const executor_progress *progress, engine_response *responses,
                 executor_stats *stats, char *err)
{
    double t0 = tt_now_s();
    executor_stats st = {.total = n};
    if (jobs <= 0) jobs = 1;

    /* 1. De-duplicate: sort (key, first index) pairs and keep one per key. */
    unique_req *all = tt_calloc((size_t)n + 1, sizeof *all);
    char (*keys)[65] = tt_calloc((size_t)n + 1, sizeof *keys);
    for (int i = 0; i < n; i++) {
        executor_cache_key(spec, &reqs[i], keys[i]);
        memcpy(all[i].key, keys[i], sizeof keys[i]);
        all[i].first = i;
    }
    qsort(all, (size_t)n, sizeof *all, cmp_key);
    int n_unique = 0;
    for (int i = 0; i < n; i++) {
        if (n_unique > 0 && strcmp(all[n_unique - 1].key, all[i].key) == 0) {
            if (all[i].first < all[n_unique - 1].first) all[n_unique - 1].first = all[i].first;
            continue;
        }
        all[n_unique++] = all[i];
    }
    st.unique = n_unique;

    /* 2. Cache lookups. */
    unique_req **queue = tt_calloc((size_t)n_unique + 1, sizeof *queue);
    int n_queue = 0;
    for (int i = 0; i < n_unique; i++) {
        unique_req *u = &all[i];
        char *cached = NULL;
        if (cache && store_cache_get(cache, u->key, &cached, NULL) == TT_OK &&
            engine_response_from_json(cached, &u->resp, NULL) == TT_OK) {
            u->done = 1;
            st.cache_hits++;
        } else {
            u->request_json = engine_request_to_json(&reqs[u->first]);
            queue[n_queue++] = u;
        }
        free(cached);
    }
    /* Keep the engine's work in request order: a runner builds a document's
     * requests together and a task's documents in turn, so requests that
     * share a prefix (the choices of a document, the few-shot block of a
     * task) reach the engine one after another, which a KV prefix cache
     * (engines/glm/glm_engine.c) turns into saved work; also readable
     * progress. (qsort: the keys' order is random, so an insertion sort
     * was quadratic here, some 8e8 steps at MMLU's 56,000 requests.) */
    qsort(queue, (size_t)n_queue, sizeof *queue, cmp_first);

    /* 3. The pool. */
    exec_ctx c = {.e = e, .spec = spec, .cache = cache, .reqs = reqs, .queue = queue, .n_queue = n_queue,
                  .progress = progress, .t0 = tt_now_s(), .base_done = n_unique - n_queue, .total = n_unique};
    pthread_mutex_init(&c.lock, NULL);
    if (e->loglikelihood_batch)
        tt_parallel_for(((size_t)n_queue + EXECUTOR_BATCH - 1) / EXECUTOR_BATCH, jobs, send_batch, &c);
    else tt_parallel_for((size_t)n_queue, jobs, send_one, &c);
    st.sent = c.sent;
    report_progress(&c, 1);
    pthread_mutex_destroy(&c.lock);
    st.failed = c.failed;

    /* 4. Hand every original request its answer (copies for duplicates). */
    for (int i = 0; i < n_unique; i++) {
        unique_req *u = &all[i];
        if (!u->done) u->resp.error = tt_strdup(c.fatal_rc ? c.fatal_err : "not sent");
    }
    for (int i = 0; i < n; i++) {
        unique_req probe;
        memcpy(probe.key, keys[i], sizeof keys[i]);
        unique_req *u = bsearch(&probe, all, (size_t)n_unique, sizeof *all, cmp_key);
        char *j = engine_response_to_json(&u->resp);
        engine_response_from_json(j, &responses[i], NULL);
        free(j);
    }
    for (int i = 0; i < n_unique; i++) {
        engine_response_free(&all[i].resp);
        free(all[i].request_json);
    }
    free(all);
    free(keys);
    free(queue);
    st.seconds = tt_now_s() - t0;
    if (stats) *stats = st;
    if (c.fatal_rc) return tt_fail(err, c.fatal_rc, "%s", c.fatal_err);
    return TT_OK;
}
