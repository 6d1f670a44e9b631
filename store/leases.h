/*
 * leases.h — one live run per identity: a run holds a lease on its
 * identity (runs.config_hash) while it works, so that a second `tianti run`
 * with the same arguments neither resumes a run that is still going in
 * another process nor doubles its requests (harness/run_identity.h decides
 * what to do about a held lease; docs/DESIGN.md, "Run leases").
 *
 * A lease names its holder (a random token of the process), the pid and
 * host, and a heartbeat the holder refreshes while it lives. The store only
 * does the atomic parts: take a free lease, or one whose heartbeat is older
 * than a bound, or one still held by a holder the caller found dead; renew;
 * release. Deciding staleness (a dead pid on this host) is the caller's.
 */
#ifndef TIANTI_STORE_LEASES_H
#define TIANTI_STORE_LEASES_H

#include "store/types.h"

typedef struct store_lease {
    char *holder;        /* owned strings */
    char *host;
    int64_t pid;
    int64_t run_id;      /* 0 when not known yet */
    double started_at;   /* seconds since the epoch */
    double heartbeat;
} store_lease;

void store_lease_clear(store_lease *l);   /* frees the strings; l is zeroed */

/* The lease on identity: TT_OK with *out (free with store_lease_clear),
 * TT_ERR_NOTFOUND when nobody holds it. */
int store_lease_get(store *s, const char *identity, store_lease *out, char *err);

/* Takes the lease on identity for mine (holder, host, pid, run_id; started
 * and heartbeat now), in one transaction, when it is free, already mine,
 * its heartbeat is older than stale_before, or its holder is
 * dead_holder (non-NULL: a holder the caller found dead). TT_OK; *prev then
 * holds the lease that was taken over (holder NULL when it was free or
 * mine). Otherwise TT_ERR_USAGE with *prev the live holder. */
int store_lease_acquire(store *s, const char *identity, const store_lease *mine, double stale_before,
                        const char *dead_holder, store_lease *prev, char *err);

/* Refreshes the heartbeat (and run_id when > 0) of holder's lease.
 * TT_ERR_NOTFOUND when holder no longer holds it (taken over). */
int store_lease_renew(store *s, const char *identity, const char *holder, int64_t run_id, char *err);

/* Gives the lease up if holder still holds it. */
int store_lease_release(store *s, const char *identity, const char *holder, char *err);

#endif
