/*
 * run_lease.c — run_lease.h: the take (refuse, wait, or take over from a
 * dead holder) and the heartbeat thread.
 */
#include "harness/run_lease.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct run_lease {
    store *st;
    char *db_path;
    char *identity;
    char holder[33];
    int64_t run_id;
    pthread_t thread;
    int thread_started;
    int held;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
};

static void random_holder(char out[33])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r > 0) got += (size_t)r;
        else if (errno != EINTR) break;
    }
    if (got < sizeof b) {   /* no getrandom: the pid and the clock still differ between processes */
        uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(tt_wall_s() * 1e6);
        memcpy(b, &x, sizeof x);
        memcpy(b + 8, &x, sizeof x);
    }
    for (size_t i = 0; i < sizeof b; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* 1 when the holder's process is gone: on this host, and its pid does not
 * exist. */
static int holder_dead(const store_lease *l, const char *host)
{
    if (!l->host || strcmp(l->host, host) || l->pid <= 0) return 0;
    return kill((pid_t)l->pid, 0) < 0 && errno == ESRCH;
}

static void *heartbeat_main(void *arg)
{
    run_lease *l = arg;
    store *own = NULL;
    char err[TT_ERR_SIZE];
    /* a connection of its own: the run's may be inside a transaction */
    if (store_open(l->db_path, &own, err) != TT_OK) {
        tt_log(TT_LOG_WARN, "run lease: no heartbeat (%s); another process may take the run over after %.0f s", err,
               RUN_LEASE_STALE_S);
        return NULL;
    }
    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)RUN_LEASE_RENEW_S;
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        if (l->stopping) break;
        int64_t run_id = l->run_id;
        pthread_mutex_unlock(&l->mu);
        int rc = store_lease_renew(own, l->identity, l->holder, run_id, err);
        if (rc == TT_ERR_NOTFOUND) tt_log(TT_LOG_WARN, "run lease: %s", err);
        else if (rc != TT_OK) tt_log(TT_LOG_WARN, "run lease: cannot renew: %s", err);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    store_close(own);
    return NULL;
}

int run_lease_take(store *st, const char *db_path, const char *identity, int wait, run_lease **out, char *err)
{
    *out = NULL;
    run_lease *l = tt_calloc(1, sizeof *l);
    l->st = st;
    l->db_path = tt_strdup(db_path);
    l->identity = tt_strdup(identity);
    random_holder(l->holder);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0) snprintf(host, sizeof host, "?");
    store_lease mine = {.holder = l->holder, .host = host, .pid = (int64_t)getpid()};
    int rc;
    int said_waiting = 0;
    for (;;) {
        /* a holder found dead (its pid gone from this host) may be replaced */
        store_lease cur;
        char *dead = NULL;
        if (store_lease_get(st, identity, &cur, err) == TT_OK) {
            if (holder_dead(&cur, host)) dead = tt_strdup(cur.holder);
            store_lease_clear(&cur);
        }
        store_lease prev;
        rc = store_lease_acquire(st, identity, &mine, tt_wall_s() - RUN_LEASE_STALE_S, dead, &prev, err);
        if (rc == TT_OK && prev.holder) {
            int was_dead = dead && !strcmp(prev.holder, dead);
            tt_log(TT_LOG_INFO, "taking over the run left by pid %lld on '%s' (%s)", (long long)prev.pid,
                   prev.host ? prev.host : "?",
                   was_dead ? "that process is gone" : "its heartbeat stopped");
        }
        free(dead);
        if (rc != TT_ERR_USAGE) {
            store_lease_clear(&prev);
            break;
        }
        double ago = tt_wall_s() - prev.heartbeat;
        if (!wait) {
            char run[48] = "a run";
            if (prev.run_id > 0) snprintf(run, sizeof run, "run %lld", (long long)prev.run_id);
            rc = tt_fail(err, TT_ERR,
                         "%s with the same arguments is live in pid %lld on '%s' (heartbeat %.0f s ago); pass --wait "
                         "to wait for it, or stop that process (a dead one is taken over at once on the same host, "
                         "after %.0f s elsewhere)",
                         run, (long long)prev.pid, prev.host ? prev.host : "?", ago < 0 ? 0 : ago, RUN_LEASE_STALE_S);
            store_lease_clear(&prev);
            break;
        }
        if (!said_waiting)
            tt_log(TT_LOG_INFO, "waiting for pid %lld on '%s', which runs the same arguments (--wait)",
                   (long long)prev.pid, prev.host ? prev.host : "?");
        said_waiting = 1;
        store_lease_clear(&prev);
        struct timespec ts = {0, 500 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rc != TT_OK) {
        run_lease_drop(l);
        return rc;
    }
    l->held = 1;
    if (said_waiting) tt_log(TT_LOG_INFO, "the other run has ended; going on");
    if (pthread_create(&l->thread, NULL, heartbeat_main, l) == 0) l->thread_started = 1;
    *out = l;
    return TT_OK;
}

void run_lease_set_run(run_lease *l, int64_t run_id)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->run_id = run_id;
    pthread_mutex_unlock(&l->mu);
    char err[TT_ERR_SIZE];
    if (store_lease_renew(l->st, l->identity, l->holder, run_id, err) != TT_OK)
        tt_log(TT_LOG_WARN, "run lease: %s", err);
}

void run_lease_drop(run_lease *l)
{
    if (!l) return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        l->stopping = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    char err[TT_ERR_SIZE];
    if (l->held && store_lease_release(l->st, l->identity, l->holder, err) != TT_OK)
        tt_log(TT_LOG_WARN, "run lease: cannot give it up: %s", err);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l->db_path);
    free(l->identity);
    free(l);
}
