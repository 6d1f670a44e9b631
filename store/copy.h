/*
 * copy.h — moving a whole store between databases and backends (`tianti
 * store copy`, `tianti merge --from`), and what a store holds (`tianti
 * store info`).
 *
 * Every table of the schema is copied, row by row, in one transaction on
 * the target (all or nothing) while the source is read in one snapshot:
 *   - STORE_COPY_EXACT: into a store with no rows; every row keeps its id,
 *     so a copy SQLite -> PostgreSQL -> SQLite gives back the same rows;
 *   - STORE_COPY_APPEND: into any store; rows get the target's new ids and
 *     every reference (a sample's run, model and task, a metric's run and
 *     model) is remapped to them. A model or task the target already has
 *     (same spec; same name, version and content hash) is that row; a
 *     request-cache entry, a vote (session token) or a pending battle the
 *     target already holds is kept as it is there.
 */
#ifndef TIANTI_STORE_COPY_H
#define TIANTI_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "store/types.h"

typedef enum store_copy_mode {
    STORE_COPY_EXACT = 0,
    STORE_COPY_APPEND
} store_copy_mode;

/* The tables of the schema, in the order they are copied (a table's
 * references come before it). */
extern const char *const store_tables[];
extern const int store_n_tables;

/* Copies every row of from into to. rows (may be NULL) gets, per table of
 * store_tables, the rows read from the source. EXACT into a store that has
 * rows is TT_ERR_USAGE naming the first such table. */
int store_copy(store *from, store *to, store_copy_mode mode, int64_t *rows, char *err);

/* What a store is and holds. */
typedef struct store_info {
    const char *backend;          /* "sqlite" or "postgresql" (static) */
    int schema_version;
    int64_t rows[16];             /* per table of store_tables */
} store_info;

int store_info_get(store *s, store_info *out, char *err);

#endif
