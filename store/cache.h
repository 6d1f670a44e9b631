/*
 * cache.h — the request cache: an engine's answer to a request, keyed by a
 * hash of (model spec, request kind, canonical request JSON), so a resumed
 * or repeated run asks the model nothing it has answered before. Written
 * from the executor's worker threads as answers arrive.
 */
#ifndef TIANTI_STORE_CACHE_H
#define TIANTI_STORE_CACHE_H

#include "store/types.h"

/* Looks key up. TT_OK with *response_json (caller frees), TT_ERR_NOTFOUND,
 * or TT_ERR_STORE. */
int store_cache_get(store *s, const char *key, char **response_json, char *err);
/* Writes one entry (replacing the response of an existing key) as its own
 * transaction, committed before this returns, so it survives a kill -9 that
 * comes right after. Thread-safe. Not for use while a store_begin()
 * transaction is open on the same handle: the entry would become part of
 * it (committed or rolled back with it). */
int store_cache_put(store *s, const char *key, const char *model_spec, const char *kind,
                    const char *request_json, const char *response_json, char *err);

#endif
