/*
 * pool.h — fork-join thread fans: start workers, let them share the work,
 * wait for all of them. Written once so that every fan in Tianti starts,
 * caps and joins its threads the same way, and survives a thread that
 * cannot be started.
 *
 * Two shapes:
 *   tt_parallel_for  items 0..n-1 handed out in order from a shared counter
 *                    (uneven items balance themselves), each run exactly once
 *                    unless a call asks to stop; per-worker scratch is
 *                    indexed by the worker number.
 *   tt_parallel_run  exactly n workers running at the same time (for code
 *                    that synchronises its workers, e.g. with a barrier).
 * The calling thread is always worker 0, so one thread costs no thread.
 *
 * Who uses it: harness/executor.c (engine requests), judges/sandbox.c
 * (programs under test), arena/bootstrap.c (bootstrap rounds), bench/perf.c
 * (the read-bandwidth probe, tt_parallel_run). Not for long-lived threads
 * (serve's stream workers, the arena's generation threads, bench's memory
 * sampler) nor for engines/glm/ops.c, whose persistent pool wakes its
 * workers per matrix product without starting threads.
 */
#ifndef TIANTI_POOL_H
#define TIANTI_POOL_H

#include <stddef.h>

/* The number of online CPUs (at least 1). */
int tt_cpu_count(void);

/* How many workers tt_parallel_for(n_items, n_threads, ...) uses:
 * n_threads (<= 0: tt_cpu_count()), at most n_items, at least 1. Callers
 * that keep scratch per worker size it with this. */
int tt_pool_workers(int n_threads, size_t n_items);

/* Called once per item; worker is in [0, tt_pool_workers(...)) and no two
 * calls with the same worker run at the same time. Returns 0 to go on, or
 * nonzero to stop: no item is handed out after that (items already running
 * finish). */
typedef int (*tt_item_fn)(void *ctx, size_t item, int worker);

/* Runs fn for items 0..n_items-1 on tt_pool_workers(n_threads, n_items)
 * workers and returns when all are done: the number of items handed out
 * (n_items unless a call stopped the loop). Items are taken in increasing
 * order. When a thread cannot be started, the workers that did start (at
 * least the caller) do all the work. Zero items: returns 0 at once. */
size_t tt_parallel_for(size_t n_items, int n_threads, tt_item_fn fn, void *ctx);

/* Called once per worker. */
typedef void (*tt_worker_fn)(void *ctx, int worker);

/* Runs fn(ctx, w) for every w in [0, n_workers) at the same time (the
 * caller is worker 0) and returns when all have returned. All or nothing:
 * when a thread cannot be started, no worker runs and the result is TT_ERR
 * with a message in err; otherwise TT_OK. n_workers < 1 counts as 1. */
int tt_parallel_run(int n_workers, tt_worker_fn fn, void *ctx, char *err);

#endif
