/*
 * serve_extra.h — the endpoints of `tianti serve` beyond chat and
 * completions, in the shapes llama.cpp's llama-server gives them, and the
 * counters behind /metrics. serve.c routes to them and times every request.
 *
 *   POST /v1/embeddings   {"input": "text" | ["text", ...] | [ids] | [[ids]],
 *                          "model"?, "encoding_format"?: "float"} ->
 *                         {"object": "list", "data": [{"object": "embedding",
 *                          "index", "embedding": [...]}], "model",
 *                          "usage": {"prompt_tokens", "total_tokens"}}
 *                         (OpenAI's shape; the engine's engine_embed(): the
 *                         built-in engine mean-pools its final normed hidden
 *                         states and L2-normalises them; "base64" is refused)
 *   POST /tokenize        {"content", "add_special"? (false), "with_pieces"?
 *                          (false)} -> {"tokens": [ids]} or, with pieces,
 *                          {"tokens": [{"id", "piece"}]} (a piece that is
 *                          not valid UTF-8 is its list of byte values)
 *   POST /detokenize      {"tokens": [ids]} -> {"content"}
 *   GET  /metrics         Prometheus text format (version 0.0.4): requests
 *                         by endpoint, engine calls, cancelled streams,
 *                         requests in flight, prompt and completion tokens,
 *                         and a histogram of request durations
 * The engine is called between the caller's slot acquire and release, like
 * every engine call of the server.
 */
#ifndef TIANTI_SERVE_EXTRA_H
#define TIANTI_SERVE_EXTRA_H

#include <jansson.h>

#include "engines/engine.h"

/* ---- /metrics ---------------------------------------------------------------- */

typedef struct serve_metrics serve_metrics;

serve_metrics *serve_metrics_new(void);
void serve_metrics_free(serve_metrics *m);
/* One request to path, answered after seconds (a stream: when it started). */
void serve_metrics_request(serve_metrics *m, const char *path, double seconds);
void serve_metrics_tokens(serve_metrics *m, long prompt, long completion);
/* The Prometheus text; in_flight, engine_calls, cancelled from the server.
 * Caller frees. */
char *serve_metrics_text(serve_metrics *m, const char *model_id, long in_flight, long engine_calls, long cancelled);

/* ---- the endpoints ------------------------------------------------------------ */

/* 1: GET /metrics; 2: one of the POST endpoints above; 0: none of them. */
int serve_extra_route(const char *path);

/* Engine slots of the server (serve.c's semaphore). */
typedef struct serve_slot {
    int (*acquire)(void *ud);   /* 0, or -1 when the server stops */
    void (*release)(void *ud);
    void *ud;
} serve_slot;

/* Answers a POST to path with body: *reply is the JSON to send with
 * *status 200, or NULL with *status (400, 500, 503) and msg, *param and
 * *code for an OpenAI-shaped error. Tokens counted go to m. */
void serve_extra_post(engine *e, const char *model_id, const char *path, const json_t *body, const serve_slot *slot,
                      serve_metrics *m, json_t **reply, unsigned *status, char *msg, const char **param,
                      const char **code);

#endif
