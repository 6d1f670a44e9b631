/*
 * types.h — the few types every store header shares: the opaque store
 * handle, the nullable integer of record structs, and the visitor
 * convention of reads. store.h includes it and every concept header
 * (runs.h, samples.h, ...), so that those need not include store.h.
 */
#ifndef TIANTI_STORE_TYPES_H
#define TIANTI_STORE_TYPES_H

#include <stdint.h>

typedef struct store store;

/* A nullable INTEGER: has = 0 is SQL NULL (v is then 0). */
typedef struct store_opt_int {
    int has;
    int64_t v;
} store_opt_int;

#define STORE_INT(x) ((store_opt_int){1, (int64_t)(x)})
#define STORE_NO_INT ((store_opt_int){0, 0})

/* Reads that may return many rows take a visitor (store_<noun>_fn): it is
 * called once per row, in the documented order, with a row valid only
 * during the call, and returns TT_OK to go on; any other code stops the
 * read, which returns that code (with the visitor's message in err). A
 * visitor must not write to the store. */

#endif
