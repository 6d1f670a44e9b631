/*
 * run_lease.h — one live run per identity (store/leases.h): before a run
 * is resumed or created, the process takes the lease on the run's identity
 * (run_identity_key); a thread renews its heartbeat on a connection of its
 * own while the run works; the lease is given up when the run ends.
 *
 * A lease held by another live process is not taken: the caller refuses
 * (the default: `tianti run` exits 1 naming the holder) or waits for it
 * (--wait). A lease is taken over, and the caller says so, when its holder
 * is dead: a pid that no longer exists on this host, or a heartbeat older
 * than RUN_LEASE_STALE_S (a holder on another host, or hung).
 */
#ifndef TIANTI_RUN_LEASE_H
#define TIANTI_RUN_LEASE_H

#include <stdint.h>

#include "store/store.h"

#define RUN_LEASE_STALE_S 60.0     /* a heartbeat older than this is a dead holder's */
#define RUN_LEASE_RENEW_S 10.0     /* how often the holder renews */

typedef struct run_lease run_lease;

/* Takes the lease on identity in st (db_path: the same store, opened again
 * by the heartbeat thread). wait: poll until the lease is free or stale
 * instead of refusing. On success *out holds the lease (run_lease_drop).
 * TT_ERR when it is held and wait is 0 (err names the holder and --wait);
 * TT_ERR_STORE from the store. What happened (taken over, waited) is
 * logged (core/log.h). */
int run_lease_take(store *st, const char *db_path, const char *identity, int wait, run_lease **out, char *err);
/* Records the run id in the lease (for the message a second process gets). */
void run_lease_set_run(run_lease *l, int64_t run_id);
/* Stops the heartbeat and gives the lease up. NULL is fine. */
void run_lease_drop(run_lease *l);

#endif
