/*
 * serve.h — an HTTP server in front of one engine (libmicrohttpd), used by
 * `tianti serve` (cli/cmd_serve.c), by the HTTP engine tests as a real
 * server on 127.0.0.1, and by tests/perf/perf_http.c.
 *
 * Endpoints:
 *   GET  /health               {"status":"ok"} once the engine is loaded
 *   GET  /v1/models            the one model, id = its spec (or cfg.model_id)
 *   POST /v1/chat/completions  OpenAI chat: messages (text and image_url
 *                              data: parts), temperature, top_p, max_tokens /
 *                              max_completion_tokens, seed, n, stop,
 *                              logprobs/top_logprobs, stream (SSE ending in
 *                              "data: [DONE]", stream_options.include_usage)
 *   POST /v1/completions       legacy completions; echo + logprobs scores the
 *                              prompt tokens with the engine's rolling
 *                              log-likelihood (llama.cpp/vLLM style)
 *   POST /                     ChatGLM-6B api.py: prompt, history,
 *                              max_length, top_p, temperature -> response,
 *                              history, status 200, time
 *   POST /v1/embeddings, POST /tokenize, POST /detokenize, GET /metrics
 *                              llama-server's extras (serve_extra.h)
 * response_format {"type": "json_object"} (or json_schema) is refused with
 * 400: no engine here constrains decoding to JSON, and a request for JSON
 * is never silently answered with unconstrained text; {"type": "text"} is
 * accepted.
 * Errors use the OpenAI shape {"error":{"message","type","param","code"}}:
 * 400 malformed JSON / bad or unknown field, 404 unknown path, 405 wrong
 * method, 413 body over cfg.max_body, 500 engine failure.
 *
 * Concurrency (design note): libmicrohttpd (through core/httpd.h) runs one thread per
 * connection; at most cfg.parallel engine calls run at once (the others
 * wait for a slot, so requests queue to the engine). A streamed request
 * runs the engine on a worker thread that feeds the connection; when the
 * client goes away, the response is freed, the worker's on_token returns
 * nonzero, and the slot is released. serve_stop() stops new connections,
 * asks running generations to stop, and waits for every worker.
 */
#ifndef TIANTI_SERVE_H
#define TIANTI_SERVE_H

#include <stddef.h>

#include "engines/engine.h"

typedef struct serve_config {
    const char *host;      /* default "127.0.0.1" */
    int port;              /* 0: any free port (see serve_port) */
    int parallel;          /* concurrent engine calls; default 1 */
    size_t max_body;       /* request body limit in bytes; default 1 MiB */
    const char *model_id;  /* name in /v1/models; default the engine spec */
    int verbose;           /* one access-log line per request, at TT_LOG_DEBUG (core/log.h) */
    const char *const *allow_hosts; /* Host names answered (core/httpd.h); NULL: the loopback names
                                       when bound to loopback, else any */
} serve_config;

typedef struct serve_server serve_server;

void serve_config_default(serve_config *c);

/* Starts listening and returns at once; the engine stays owned by the
 * caller and must outlive the server. Caller frees with serve_stop(). */
int serve_start(engine *e, const serve_config *cfg, serve_server **out, char *err);
int serve_port(const serve_server *s);
/* Counters since start, for tests and benchmarks. */
void serve_counts(serve_server *s, long *requests, long *engine_calls, long *cancelled);
void serve_stop(serve_server *s);   /* NULL is fine */

/* "YYYY-MM-DD HH:MM:SS" in local time, as ChatGLM's api.py writes it. */
void serve_local_time(char out[32]);

#endif
