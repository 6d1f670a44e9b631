/*
 * files.c — the file-hash cache (files.h): one row per path, replaced when
 * the file is hashed again.
 */
#include "store/files.h"
#include "store/internal.h"
#include "core/util.h"

#include <string.h>

int store_file_hash_get(store *s, const char *path, const store_file_stat *st, char hex[65], char *err)
{
    store_q q;
    int rc = store_q_prepare(s, &q,
                             "SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ? AND "
                             "ctime_ns = ? AND inode = ? AND device = ?",
                             "read file hashes", err);
    if (rc) return rc;
    store_q_text(&q, path);
    store_q_int(&q, st->size);
    store_q_int(&q, st->mtime_ns);
    store_q_int(&q, st->ctime_ns);
    store_q_int(&q, st->inode);
    store_q_int(&q, st->device);
    int step = store_q_step(&q);
    if (step == STORE_ROW) {
        const char *h = store_q_col_text(&q, 0);
        if (h && strlen(h) == 64) memcpy(hex, h, 65);
        else rc = TT_ERR_NOTFOUND;
    } else if (step == STORE_DONE) {
        rc = TT_ERR_NOTFOUND;
    } else {
        rc = store_fail(s, err, "cannot read file hashes");
    }
    store_q_finish(&q);
    return rc;
}

int store_file_hash_put(store *s, const char *path, const store_file_stat *st, const char *hex, char *err)
{
    char now[32];
    tt_iso8601(tt_wall_s(), now);
    store_q q;
    int rc = store_q_prepare(s, &q,
                             "INSERT INTO file_hashes (path, size, mtime_ns, ctime_ns, inode, device, sha256, hashed_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, "
                             "mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, inode = excluded.inode, "
                             "device = excluded.device, sha256 = excluded.sha256, hashed_at = excluded.hashed_at",
                             "write file hashes", err);
    if (rc == TT_OK) {
        store_q_text(&q, path);
        store_q_int(&q, st->size);
        store_q_int(&q, st->mtime_ns);
        store_q_int(&q, st->ctime_ns);
        store_q_int(&q, st->inode);
        store_q_int(&q, st->device);
        store_q_text(&q, hex);
        store_q_text(&q, now);
        rc = store_q_run(&q, "write file hashes", err);
    }
    store_q_finish(&q);
    return rc;
}
