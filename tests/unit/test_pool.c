/*
 * test_pool.c — core/pool: every item runs exactly once for 1..N threads,
 * with more threads than items and with none; workers never share a worker
 * number at the same time; a call that stops the loop stops the handing out;
 * tt_parallel_run runs all its workers at the same time; and when threads
 * cannot be started (a low address-space limit in a child process), the
 * loop still finishes on the threads it has and tt_parallel_run runs nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/pool.h"
#include "core/util.h"

#define MAX_WORKERS 64

typedef struct count_ctx {
    atomic_int *hits;                   /* [n_items] */
    atomic_int busy[MAX_WORKERS];       /* 1 while a call with that worker runs */
    atomic_int overlap;                 /* a worker number was used twice at once */
    atomic_int bad_worker;              /* a worker number out of range */
    int workers;
} count_ctx;

static int count_item(void *arg, size_t item, int worker)
{
    count_ctx *c = arg;
    if (worker < 0 || worker >= c->workers) {
        atomic_store(&c->bad_worker, 1);
        return 0;
    }
    if (atomic_exchange(&c->busy[worker], 1)) atomic_store(&c->overlap, 1);
    atomic_fetch_add(&c->hits[item], 1);
    if (item % 7 == 0) usleep(100);   /* uneven items, so workers interleave */
    atomic_store(&c->busy[worker], 0);
    return 0;
}

static void check_each_once(size_t n_items, int threads)
{
    count_ctx c;
    memset(&c, 0, sizeof c);
    c.hits = calloc(n_items ? n_items : 1, sizeof *c.hits);
    c.workers = tt_pool_workers(threads, n_items);
    assert_true(c.workers >= 1 && c.workers <= MAX_WORKERS);
    size_t handed = tt_parallel_for(n_items, threads, count_item, &c);
    assert_int_equal(handed, n_items);
    for (size_t i = 0; i < n_items; i++) assert_int_equal(atomic_load(&c.hits[i]), 1);
    assert_int_equal(atomic_load(&c.overlap), 0);
    assert_int_equal(atomic_load(&c.bad_worker), 0);
    free(c.hits);
}

static void test_pool_every_item_once(void **state)
{
    (void)state;
    for (int t = 1; t <= 8; t++) check_each_once(1000, t);
    check_each_once(1, 4);       /* more threads than items */
    check_each_once(3, 16);
    check_each_once(500, 0);     /* 0: one per CPU */
    check_each_once(0, 4);       /* no items: nothing runs */
}

static void test_pool_workers_count(void **state)
{
    (void)state;
    assert_int_equal(tt_pool_workers(4, 100), 4);
    assert_int_equal(tt_pool_workers(4, 2), 2);
    assert_int_equal(tt_pool_workers(4, 0), 1);
    assert_int_equal(tt_pool_workers(-3, 1000), tt_cpu_count() < 1000 ? tt_cpu_count() : 1000);
    assert_true(tt_cpu_count() >= 1);
}

typedef struct stop_ctx {
    atomic_int ran;
    size_t stop_at;
} stop_ctx;

static int stop_item(void *arg, size_t item, int worker)
{
    (void)worker;
    stop_ctx *c = arg;
    atomic_fetch_add(&c->ran, 1);
    return item == c->stop_at;
}

static void test_pool_stop_ends_the_handing_out(void **state)
{
    (void)state;
    stop_ctx c = {.stop_at = 9};
    atomic_init(&c.ran, 0);
    /* one thread: items in order, nothing after the one that stopped */
    assert_int_equal(tt_parallel_for(100, 1, stop_item, &c), 10);
    assert_int_equal(atomic_load(&c.ran), 10);
    /* several threads: at most one item per other worker slips past */
    atomic_store(&c.ran, 0);
    size_t handed = tt_parallel_for(100000, 4, stop_item, &c);
    assert_true(handed >= 10 && handed < 100000);
    assert_int_equal((size_t)atomic_load(&c.ran), handed);
}

typedef struct meet_ctx {
    int n;
    atomic_int arrived;
    atomic_int met;        /* workers that saw all n arrive */
    atomic_int seen[MAX_WORKERS];
} meet_ctx;

/* Each worker arrives and waits (up to 10 s) for all the others: only
 * workers that really run at the same time can all meet. */
static void meet(void *arg, int worker)
{
    meet_ctx *c = arg;
    atomic_fetch_add(&c->seen[worker], 1);
    atomic_fetch_add(&c->arrived, 1);
    double t0 = tt_now_s();
    while (atomic_load(&c->arrived) < c->n && tt_now_s() - t0 < 10) usleep(100);
    if (atomic_load(&c->arrived) == c->n) atomic_fetch_add(&c->met, 1);
}

static void test_pool_run_workers_meet(void **state)
{
    (void)state;
    for (int n = 1; n <= 8; n++) {
        meet_ctx c;
        memset(&c, 0, sizeof c);
        c.n = n;
        char err[TT_ERR_SIZE] = "";
        assert_int_equal(tt_parallel_run(n, meet, &c, err), TT_OK);
        assert_int_equal(atomic_load(&c.met), n);
        for (int w = 0; w < n; w++) assert_int_equal(atomic_load(&c.seen[w]), 1);
    }
}

static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

static void test_pool_survives_threads_that_cannot_start(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();   /* ASan's shadow memory does not fit under an address-space limit */
#endif
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* room for the process and a few thread stacks, not for 64 */
        static atomic_int hits[2000];
        count_ctx c;
        memset(&c, 0, sizeof c);
        c.hits = hits;
        c.workers = tt_pool_workers(MAX_WORKERS, 2000);
        meet_ctx m;
        memset(&m, 0, sizeof m);
        m.n = MAX_WORKERS;
        long kb = vm_size_kb();
        if (kb <= 0) _exit(10);
        struct rlimit rl = {.rlim_cur = (rlim_t)(kb + 24 * 1024) * 1024, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(11);
        char err[TT_ERR_SIZE] = "";
        if (tt_parallel_run(MAX_WORKERS, meet, &m, err) != TT_ERR) _exit(12);
        if (atomic_load(&m.arrived) != 0) _exit(13);   /* all or nothing */
        if (!strstr(err, "cannot start")) _exit(14);
        if (tt_parallel_for(2000, MAX_WORKERS, count_item, &c) != 2000) _exit(15);
        for (int i = 0; i < 2000; i++)
            if (atomic_load(&hits[i]) != 1) _exit(16);
        if (atomic_load(&c.overlap) || atomic_load(&c.bad_worker)) _exit(17);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_every_item_once),
        cmocka_unit_test(test_pool_workers_count),
        cmocka_unit_test(test_pool_stop_ends_the_handing_out),
        cmocka_unit_test(test_pool_run_workers_meet),
        cmocka_unit_test(test_pool_survives_threads_that_cannot_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
