/*
 * cmd_serve.c — `tianti serve`: opens one model and serves it over HTTP
 * (OpenAI-compatible endpoints and the ChatGLM-6B api.py protocol) until
 * SIGINT or SIGTERM. The server itself is engines/serve/serve.c.
 */
#include "cli/cli.h"
#include "engines/engine.h"
#include "engines/registry.h"
#include "engines/serve/serve.h"
#include "core/util.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "tianti serve --model SPEC|NAME [--models FILE] [--host 127.0.0.1] [--port 8000] [--threads N] [--parallel N]",
    "",
    "Serves one model over HTTP: GET /health, GET /v1/models, POST /v1/chat/completions,",
    "POST /v1/completions, POST /v1/embeddings, POST /tokenize, POST /detokenize (llama-server's",
    "shapes), GET /metrics (Prometheus text) and the ChatGLM-6B api.py protocol on POST /.",
    "response_format json_object is refused (400): decoding is not constrained to JSON.",
    "Requests queue for the engine; --parallel sets how many run at once.",
    NULL};

int cmd_serve(int argc, char **argv)
{
    const char *model = NULL, *host = "127.0.0.1", *model_id = NULL, *registry_path = NULL;
    int port = 8000, threads = 0, parallel = 1, max_body_kib = 1024, verbose = 0, ctx = 0;
    cli_list hosts = {0};
    const cli_option opts[] = {
        {OPT_STRING, 'm', "model", &model, "SPEC", "model to serve: a spec (glm:models/tianti-tiny.gguf@q8_0) or a models.json name (tiny-q8_0)", 0},
        {OPT_STRING, 0, "models", &registry_path, "FILE", "model registry (default ./models.json, else the shipped one)", 0},
        {OPT_STRING, 0, "host", &host, "ADDR", "numeric address to listen on (default 127.0.0.1)", 0},
        {OPT_INT, 0, "port", &port, "PORT", "port (default 8000; 0 picks a free one and prints it)", 0},
        {OPT_INT, 0, "threads", &threads, "N", "compute threads of a built-in engine (default all cores)", 0},
        {OPT_INT, 0, "parallel", &parallel, "N", "engine calls served at once (default 1)", 0},
        {OPT_INT, 0, "ctx-size", &ctx, "N", "context length of a built-in engine (default the model's)", 0},
        {OPT_STRING, 0, "model-id", &model_id, "NAME", "name in /v1/models (default the models.json name, else the spec)", 0},
        {OPT_INT, 0, "max-body-kib", &max_body_kib, "N", "largest request body in KiB (default 1024)", 0},
        {OPT_LIST, 0, "allow-host", &hosts, "NAME", "also answer requests for this Host name (default: localhost, 127.0.0.1 and ::1 when listening on loopback; '*' any); repeatable", 0},
        {OPT_FLAG, 'v', "verbose", &verbose, NULL, "log each request to stderr", 0},
        CLI_OPT_END};
    int rc = cli_parse(argc, argv, usage, opts, NULL);
    if (rc == 1) return 0;
    if (rc) return 2;
    if (!model) {
        cli_error("serve needs --model SPEC");
        cli_usage_short(usage, stderr);
        return 2;
    }
    if (port < 0 || port > 65535 || parallel < 1 || max_body_kib < 1 || threads < 0) {
        cli_error("--port must be 0..65535, --parallel and --max-body-kib at least 1");
        return 2;
    }
    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[TT_ERR_SIZE];
    registry_model m;
    if ((rc = cli_model("serve", registry_path, model, &m)) != 0) return rc;
    engine_options eo = m.options;   /* models.json's settings, then the options' */
    if (threads > 0) eo.threads = threads;
    if (ctx > 0) eo.context_length = ctx;
    eo.verbose = verbose;
    if (verbose) cli_log_init(1);
    engine *e;
    rc = engine_open(m.spec, &eo, &e, err);
    if (rc == TT_OK && !model_id && strcmp(m.name, m.spec) != 0) model_id = model;   /* the name it was asked by */
    if (rc != TT_OK) {
        cli_error("serve: %s", err);
        registry_model_clear(&m);
        return cli_exit_status(rc);
    }
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.host = host;
    cfg.port = port;
    cfg.parallel = parallel;
    cfg.max_body = (size_t)max_body_kib * 1024;
    cfg.model_id = model_id;
    cfg.verbose = verbose;
    const char **allow = cli_allow_hosts(&hosts);
    cfg.allow_hosts = allow;
    serve_server *s;
    if ((rc = serve_start(e, &cfg, &s, err)) != TT_OK) {
        cli_error("serve: %s", err);
        engine_close(e);
        registry_model_clear(&m);
        free(allow);
        cli_list_free(&hosts);
        return cli_exit_status(rc);
    }
    printf("tianti: serving '%s' on http://%s:%d\n", engine_get_spec(e), host, serve_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "tianti: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    serve_stop(s);
    engine_close(e);
    registry_model_clear(&m);
    free(allow);
    cli_list_free(&hosts);
    return 0;
}
