/*
 * fuzz_serve.c — libFuzzer target for what parses a request in `tianti
 * serve` (engines/serve/serve.c): a server of this process, in front of a
 * replay model, gets the input as the JSON body of a POST to one of its
 * endpoints (the first byte picks /v1/chat/completions, /v1/completions or
 * ChatGLM's /), over a real socket through core/httpd; the answer is read
 * to the end. Any body must be answered (400, 413, 200) or refused, never
 * crash the server or read out of bounds.
 *
 * Built as fuzz_serve_replay in every build (ctest fuzz/serve_corpus on
 * tests/fuzz/corpus_serve/) and as fuzz_serve with libFuzzer.
 */
#include "engines/engine.h"
#include "engines/serve/serve.h"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static engine *g_engine;
static serve_server *g_server;
static char *g_model;
static int g_port;

static void stop_server(void)
{
    serve_stop(g_server);
    engine_close(g_engine);
    unlink(g_model);
    free(g_model);
}

static void start_once(void)
{
    if (g_server) return;
    g_model = fuzz_replay_model();
    char *spec = tt_asprintf("replay:%s", g_model);
    char err[TT_ERR_SIZE];
    if (engine_open(spec, NULL, &g_engine, err) != TT_OK) {
        fprintf(stderr, "fuzz_serve: %s\n", err);
        abort();
    }
    free(spec);
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.port = 0;
    cfg.parallel = 4;
    if (serve_start(g_engine, &cfg, &g_server, err) != TT_OK) {
        fprintf(stderr, "fuzz_serve: %s\n", err);
        abort();
    }
    g_port = serve_port(g_server);
    atexit(stop_server);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    start_once();
    if (size < 1 || size > (1u << 20)) return 0;
    static const char *const paths[] = {"/v1/chat/completions", "/v1/completions", "/"};
    fuzz_post(g_port, paths[data[0] % 3], data + 1, size - 1);
    return 0;
}
