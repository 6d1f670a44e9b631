/*
 * request_json.h — canonical JSON forms of engine requests and responses.
 *
 * The runner hashes engine_request_to_json() (with the model spec) to key the
 * request cache, stores engine_response_to_json() as the cached answer, and
 * reads it back with engine_response_from_json(). The replay engine matches
 * recorded lines with engine_request_match_key(). Keys are sorted and output
 * compact, so equal requests always give byte-identical JSON.
 */
#ifndef TIANTI_REQUEST_JSON_H
#define TIANTI_REQUEST_JSON_H

#include "engines/engine.h"

#include <jansson.h>

const char *engine_request_kind_name(enum engine_request_kind kind);
/* Returns 0 and sets *kind, or -1 for an unknown name. */
int engine_request_kind_parse(const char *name, enum engine_request_kind *kind);

/* Full request including generation parameters; caller frees. */
char *engine_request_to_json(const engine_request *req);
/* Only what identifies the question (kind, context, continuation, messages),
 * not how to sample: what a recorded answer is matched on. Caller frees. */
char *engine_request_match_key(const engine_request *req);

/* Caller frees. */
char *engine_response_to_json(const engine_response *resp);
/* Fills resp (zeroed first; free with engine_response_free). */
int engine_response_from_json(const char *json, engine_response *resp, char *err);

/* is_greedy as recorded: true 1, false 0, null or absent -1 (unknown;
 * engine.h: never a guess). */
int engine_is_greedy_from_json(const json_t *v);

#endif
