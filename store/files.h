/*
 * files.h — the hashes of files that answer requests (model weights, replay
 * files), kept so that a file is read through once per change and not at
 * every run: the request cache's identity includes the hash of what
 * answered (harness/executor.h, executor_identity).
 *
 * A row holds the sha256 of a file's contents together with what stat(2)
 * said while it was hashed: size, mtime and ctime in nanoseconds, inode and
 * device. The caller looks the hash up with what stat says now; any change
 * (new weights written in place, a file replaced by rename, a copy with
 * its mtime set back — ctime cannot be set back) misses, and the file is
 * hashed again.
 */
#ifndef TIANTI_STORE_FILES_H
#define TIANTI_STORE_FILES_H

#include "store/types.h"

typedef struct store_file_stat {
    int64_t size, mtime_ns, ctime_ns, inode, device;
} store_file_stat;

/* The hash of path recorded with exactly st: TT_OK with hex (65 bytes),
 * TT_ERR_NOTFOUND (no row, or the file changed since), TT_ERR_STORE. */
int store_file_hash_get(store *s, const char *path, const store_file_stat *st, char hex[65], char *err);
/* Records (replaces) the hash of path with st. Its own transaction. */
int store_file_hash_put(store *s, const char *path, const store_file_stat *st, const char *hex, char *err);

#endif
