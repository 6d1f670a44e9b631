/*
 * pool.c — fork-join thread fans (contract and users in pool.h).
 */
#include "core/pool.h"
#include "core/util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tt_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int tt_pool_workers(int n_threads, size_t n_items)
{
    size_t n = n_threads > 0 ? (size_t)n_threads : (size_t)tt_cpu_count();
    if (n > n_items) n = n_items;
    return n > 0 ? (int)n : 1;
}

/* One started thread: what it runs and which worker it is. */
typedef struct worker_arg {
    void *(*main)(struct worker_arg *);
    void *shared;
    int worker;
} worker_arg;

static void *thread_entry(void *p)
{
    worker_arg *a = p;
    return a->main(a);
}

/* Starts workers 1..n-1 running main; returns how many started (from worker
 * 1 up, stopping at the first failure). */
static int start_workers(pthread_t *th, worker_arg *args, int n, void *(*main)(worker_arg *), void *shared,
                         int *create_rc)
{
    int started = 0;
    *create_rc = 0;
    for (int w = 0; w < n; w++) args[w] = (worker_arg){main, shared, w};
    for (int w = 1; w < n; w++) {
        int rc = pthread_create(&th[w], NULL, thread_entry, &args[w]);
        if (rc != 0) {
            *create_rc = rc;
            break;
        }
        started = w;
    }
    return started;
}

/* ---- tt_parallel_for ---------------------------------------------------- */

typedef struct for_job {
    size_t n;
    tt_item_fn fn;
    void *ctx;
    atomic_size_t next;   /* next item to hand out */
    atomic_int stop;      /* a call asked to stop */
} for_job;

static void *for_main(worker_arg *a)
{
    for_job *j = a->shared;
    while (!atomic_load(&j->stop)) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        if (j->fn(j->ctx, i, a->worker)) atomic_store(&j->stop, 1);
    }
    return NULL;
}

size_t tt_parallel_for(size_t n_items, int n_threads, tt_item_fn fn, void *ctx)
{
    if (n_items == 0) return 0;
    int n = tt_pool_workers(n_threads, n_items);
    for_job j = {.n = n_items, .fn = fn, .ctx = ctx};
    atomic_init(&j.next, 0);
    atomic_init(&j.stop, 0);
    pthread_t *th = tt_calloc((size_t)n, sizeof *th);
    worker_arg *args = tt_calloc((size_t)n, sizeof *args);
    int create_rc;
    int started = start_workers(th, args, n, for_main, &j, &create_rc);
    for_main(&args[0]);   /* the calling thread works too */
    for (int w = 1; w <= started; w++) pthread_join(th[w], NULL);
    free(th);
    free(args);
    size_t handed = atomic_load(&j.next);
    return handed < n_items ? handed : n_items;
}

/* ---- tt_parallel_run ------------------------------------------------------ */

/* Workers wait at a gate until every thread has started, so that either all
 * of them run or none does (code with a barrier would hang otherwise). */
typedef struct run_job {
    tt_worker_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int gate;   /* 0 wait, 1 run, -1 give up */
} run_job;

static void *run_main(worker_arg *a)
{
    run_job *j = a->shared;
    pthread_mutex_lock(&j->mu);
    while (j->gate == 0) pthread_cond_wait(&j->cv, &j->mu);
    int go = j->gate > 0;
    pthread_mutex_unlock(&j->mu);
    if (go) j->fn(j->ctx, a->worker);
    return NULL;
}

static void open_gate(run_job *j, int value)
{
    pthread_mutex_lock(&j->mu);
    j->gate = value;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

int tt_parallel_run(int n_workers, tt_worker_fn fn, void *ctx, char *err)
{
    int n = n_workers > 0 ? n_workers : 1;
    run_job j = {.fn = fn, .ctx = ctx, .gate = 0};
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    pthread_t *th = tt_calloc((size_t)n, sizeof *th);
    worker_arg *args = tt_calloc((size_t)n, sizeof *args);
    int create_rc;
    int started = start_workers(th, args, n, run_main, &j, &create_rc);
    int all = started == n - 1;
    open_gate(&j, all ? 1 : -1);
    if (all) fn(ctx, 0);
    for (int w = 1; w <= started; w++) pthread_join(th[w], NULL);
    free(th);
    free(args);
    pthread_mutex_destroy(&j.mu);
    pthread_cond_destroy(&j.cv);
    if (!all)
        return tt_fail(err, TT_ERR, "cannot start %d threads (%d started): %s", n, started + 1, strerror(create_rc));
    return TT_OK;
}
