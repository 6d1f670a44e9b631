/*
 * test_http_engines.c — the HTTP engines (openai, chatglm, visualglm)
 * against real servers on 127.0.0.1: engines/serve/serve.c started in-process
 * in front of a small deterministic engine defined here ("toy"), and the
 * fault-injecting server tests/tools/fault_server.py (run by Debian's
 * /usr/bin/python3, which scripts/setup.sh installs: failing without it).
 *
 * What is checked: answers through HTTP equal the toy engine's own answers
 * (chat, generate, n samples, stream pieces, output logprobs, prompt
 * scoring via echo); through the fault server every answer equals the
 * fault-free path's and each request is answered exactly once (nothing
 * lost or duplicated); fatal errors stop the model; a client that stops a
 * stream frees its server slot; and a fake API key appears in no error and
 * no verbose output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engines/engine.h"
#include "engines/http/http_client.h"
#include "engines/serve/serve.h"
#include "core/log.h"
#include "core/util.h"

#define FAKE_KEY "sk-tianti-FAKEKEY-0123456789abcdef"

/* The running fault server, killed by the group teardown if a test fails. */
static pid_t g_fault_pid;

/* ---- the toy engine ----------------------------------------------------------
 * chat:     "echo " + last user content + " #" + number of messages, streamed
 *           word by word; output logprob of word i is -0.25 * (i + 1)
 * generate: context reversed
 * rolling / loglikelihood: one token per byte, logprob -(byte % 7 + 1) / 10;
 *           is_greedy when the continuation has no 'x'
 * With gen.n > 1, sample i is the answer followed by "/i". */

typedef struct toy { engine base; } toy;

static unsigned toy_caps(engine *e)
{
    (void)e;
    return ENGINE_CAP_GENERATE | ENGINE_CAP_CHAT | ENGINE_CAP_LOGLIKELIHOOD | ENGINE_CAP_LOGLIKELIHOOD_ROLLING |
           ENGINE_CAP_STREAM | ENGINE_CAP_IMAGE;
}

static double byte_lp(unsigned char c) { return -(double)(c % 7 + 1) / 10.0; }

static void toy_add_lp(engine_response *r, const char *tok, size_t n, double lp)
{
    r->token_logprobs = tt_realloc(r->token_logprobs, (size_t)(r->n_token_logprobs + 1) * sizeof *r->token_logprobs);
    r->token_logprobs[r->n_token_logprobs].token = tt_strndup(tok, n);
    r->token_logprobs[r->n_token_logprobs].logprob = lp;
    r->n_token_logprobs++;
}

static int toy_complete(engine *e, const engine_request *req, engine_response *r, char *err)
{
    (void)e; (void)err;
    if (req->kind == ENGINE_REQ_LOGLIKELIHOOD || req->kind == ENGINE_REQ_LOGLIKELIHOOD_ROLLING) {
        const char *ctx = req->context ? req->context : "";
        const char *cont = req->kind == ENGINE_REQ_LOGLIKELIHOOD ? req->continuation : ctx;
        r->is_greedy = strchr(cont, 'x') == NULL;
        for (const char *p = cont; *p; p++) {
            r->logprob += byte_lp((unsigned char)*p);
            r->n_tokens++;
            toy_add_lp(r, p, 1, byte_lp((unsigned char)*p));
        }
        return TT_OK;
    }
    tt_buf out;
    tt_buf_init(&out);
    if (req->kind == ENGINE_REQ_GENERATE) {
        size_t n = strlen(req->context);
        for (size_t i = n; i > 0; i--) tt_buf_append(&out, req->context + i - 1, 1);
    } else {
        const engine_message *last = &req->messages[req->n_messages - 1];
        if (!strcmp(last->content, "bytes")) tt_buf_puts(&out, "b\x80\xe4");   /* invalid UTF-8 */
        else tt_buf_printf(&out, "echo %s #%d", last->content, req->n_messages);
        if (last->image_b64) tt_buf_printf(&out, " img%zu", strlen(last->image_b64));
    }
    /* stream word by word */
    const char *t = tt_buf_str(&out);
    int word = 0;
    for (const char *p = t; *p;) {
        const char *q = strchr(p + 1, ' ');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (req->gen.logprobs) toy_add_lp(r, p, n, -0.25 * (word + 1));
        word++;
        if (req->on_token && req->on_token(req->on_token_user, p, n)) break;
        if (req->on_token) usleep(15000);   /* long enough for the server to notice a client that left */
        p += n;
    }
    r->text = tt_buf_detach(&out);
    engine_apply_stop(r->text, req->gen.until, req->gen.n_until);
    if (req->gen.n > 1) {
        r->n_texts = req->gen.n;
        r->texts = tt_calloc((size_t)r->n_texts, sizeof *r->texts);
        for (int i = 0; i < r->n_texts; i++) r->texts[i] = tt_asprintf("%s/%d", r->text, i);
    }
    r->prompt_tokens = 5;
    r->completion_tokens = word;
    r->finish_reason = tt_strdup("stop");
    return TT_OK;
}

static void toy_close(engine *e) { free(e); }

static const engine_vtable toy_vt = {.caps = toy_caps, .complete = toy_complete, .close = toy_close};

static engine *toy_new(void)
{
    toy *t = tt_calloc(1, sizeof *t);
    t->base.vt = &toy_vt;
    t->base.spec = tt_strdup("toy:test");
    t->base.kind = tt_strdup("toy");
    return &t->base;
}

/* The "nobos" toy scores like the toy but echoes a prompt as a server
 * whose model adds no BOS token (engine.h: echo): the first byte of the
 * kept text is unscored, and only the last NOBOS_CTX bytes are kept (the
 * ones before are cut off, unscored and counted as truncated). */
#define NOBOS_CTX 12

static int nobos_complete(engine *e, const engine_request *req, engine_response *r, char *err)
{
    if (req->kind != ENGINE_REQ_LOGLIKELIHOOD_ROLLING || !req->echo) return toy_complete(e, req, r, err);
    const char *t = req->context;
    size_t n = strlen(t), off = n > NOBOS_CTX ? n - NOBOS_CTX : 0;
    for (size_t i = 0; i < n; i++) {
        double lp = i <= off ? NAN : byte_lp((unsigned char)t[i]);
        toy_add_lp(r, t + i, 1, lp);
        if (i > off) {
            r->logprob += lp;
            r->n_tokens++;
        }
    }
    r->truncated = (int)off;
    return TT_OK;
}

static const engine_vtable nobos_vt = {.caps = toy_caps, .complete = nobos_complete, .close = toy_close};

/* ---- fixtures -------------------------------------------------------------------- */

typedef struct fixture {
    engine *toy;
    serve_server *srv;
    int port;
    char base[128];
} fixture;

static int setup(void **state)
{
    fixture *f = tt_calloc(1, sizeof *f);
    f->toy = toy_new();
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.port = 0;
    cfg.parallel = 4;
    char err[TT_ERR_SIZE];
    if (serve_start(f->toy, &cfg, &f->srv, err) != TT_OK) {
        fprintf(stderr, "serve_start: %s\n", err);
        return -1;
    }
    f->port = serve_port(f->srv);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d/v1", f->port);
    setenv("TIANTI_TEST_KEY", FAKE_KEY, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (g_fault_pid > 0) {
        kill(g_fault_pid, SIGTERM);
        waitpid(g_fault_pid, NULL, 0);
    }
    serve_stop(f->srv);
    engine_close(f->toy);
    free(f);
    return 0;
}

static engine *open_engine(const char *spec, const char *base, double timeout, int verbose)
{
    engine_options o;
    engine_options_default(&o);
    o.base_url = base;
    o.api_key_env = "TIANTI_TEST_KEY";
    o.timeout_s = timeout;
    o.max_retries = 6;
    o.verbose = verbose;
    engine *e = NULL;
    char err[TT_ERR_SIZE];
    int rc = engine_open(spec, &o, &e, err);
    if (rc) fprintf(stderr, "engine_open %s: %s\n", spec, err);
    assert_int_equal(rc, TT_OK);
    return e;
}

static engine_response chat1(engine *e, const char *text, int n, int logprobs)
{
    engine_message m = {.role = "user", .content = text};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
    req.gen.n = n;
    req.gen.logprobs = logprobs;
    engine_response r;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    return r;
}

/* ---- openai against tianti serve ------------------------------------------------------ */

static void test_openai_chat_matches_engine(void **state)
{
    fixture *f = *state;
    engine *e = open_engine("openai:toy", f->base, 10, 0);
    unsigned caps = engine_caps(e);
    assert_true(caps & ENGINE_CAP_CHAT);
    assert_true(caps & ENGINE_CAP_LOGLIKELIHOOD);   /* the probe found echo scoring */
    engine_response r = chat1(e, "hello world", 1, 0);
    assert_null(r.error);
    assert_string_equal(r.text, "echo hello world #1");
    assert_int_equal(r.prompt_tokens, 5);
    assert_int_equal(r.completion_tokens, 4);
    assert_string_equal(r.finish_reason, "stop");
    engine_response_free(&r);

    r = chat1(e, "a b", 3, 2);
    assert_int_equal(r.n_texts, 3);
    assert_string_equal(r.texts[2], "echo a b #1/2");
    assert_int_equal(r.n_token_logprobs, 4);      /* "echo", " a", " b", " #1" */
    assert_string_equal(r.token_logprobs[1].token, " a");
    assert_float_equal(r.token_logprobs[3].logprob, -1.0, 1e-9);
    engine_response_free(&r);

    /* system + multi-turn + stop string */
    engine_message ms[3] = {{.role = "system", .content = "be brief"}, {.role = "user", .content = "q1"},
                            {.role = "user", .content = "stop here please"}};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = ms, .n_messages = 3};
    req.gen.until[0] = " here";
    req.gen.n_until = 1;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_string_equal(r.text, "echo stop");
    engine_response_free(&r);

    /* invalid UTF-8, sent by the client or made by the engine (byte tokens),
     * travels as U+FFFD instead of breaking the JSON */
    r = chat1(e, "raw\x80", 1, 0);
    assert_null(r.error);
    assert_string_equal(r.text, "echo raw\xEF\xBF\xBD #1");
    engine_response_free(&r);
    r = chat1(e, "bytes", 1, 0);
    assert_null(r.error);
    assert_string_equal(r.text, "b\xEF\xBF\xBD\xEF\xBF\xBD");
    engine_response_free(&r);

    engine_request g = {.kind = ENGINE_REQ_GENERATE, .context = "abc"};
    assert_int_equal(engine_complete(e, &g, &r, err), TT_OK);
    assert_string_equal(r.text, "cba");
    engine_response_free(&r);
    engine_close(e);
}

static void test_openai_loglikelihood_via_echo(void **state)
{
    fixture *f = *state;
    engine *e = open_engine("openai:toy", f->base, 10, 0);
    char err[TT_ERR_SIZE];
    engine_request req = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 1+1=", .continuation = " 2"};
    engine_response via, direct;
    assert_int_equal(engine_complete(e, &req, &via, err), TT_OK);
    assert_null(via.error);
    assert_int_equal(engine_complete(f->toy, &req, &direct, err), TT_OK);
    /* ' ' = 32 -> -(32%7+1)/10 = -0.5; '2' = 50 -> -(50%7+1)/10 = -0.2 */
    assert_float_equal(direct.logprob, -0.7, 1e-12);
    assert_float_equal(via.logprob, direct.logprob, 1e-9);
    assert_int_equal(via.n_tokens, 2);
    assert_int_equal(via.is_greedy, -1);   /* serve gives no alternatives */
    engine_response_free(&via);
    engine_response_free(&direct);

    /* text_offset counts characters (OpenAI's unit); the toy's tokens are
     * bytes, so a character spans three tokens: the split still falls
     * where the context ends */
    engine_request cjk = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "中 ", .continuation = "文"};
    assert_int_equal(engine_complete(e, &cjk, &via, err), TT_OK);
    assert_int_equal(engine_complete(f->toy, &cjk, &direct, err), TT_OK);
    assert_null(via.error);
    /* the context's trailing space moves to the continuation (docs/scoring.md) */
    assert_int_equal(via.n_tokens, 4);
    assert_float_equal(via.logprob, direct.logprob + byte_lp(' '), 1e-9);
    engine_response_free(&via);
    engine_response_free(&direct);

    engine_request roll = {.kind = ENGINE_REQ_LOGLIKELIHOOD_ROLLING, .context = "abc"};
    assert_int_equal(engine_complete(e, &roll, &via, err), TT_OK);
    /* a=97 -> -0.7, b=98 -> -0.1, c=99 -> -0.2 */
    assert_float_equal(via.logprob, -1.0, 1e-9);
    engine_response_free(&via);
    engine_close(e);
}

/* Echo scoring from a server whose model adds no BOS token: the
 * continuation after a context is scored exactly; what needs the first
 * token (an empty context, a rolling text) is an error or not offered,
 * never a number without it; tokens cut off before the continuation are
 * counted as truncated. */
static void test_openai_echo_without_bos(void **state)
{
    (void)state;
    toy *t = tt_calloc(1, sizeof *t);
    t->base.vt = &nobos_vt;
    t->base.spec = tt_strdup("toy:nobos");
    t->base.kind = tt_strdup("toy");
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.port = 0;
    serve_server *srv;
    char err[TT_ERR_SIZE];
    assert_int_equal(serve_start(&t->base, &cfg, &srv, err), TT_OK);
    char base[128];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", serve_port(srv));
    engine *e = open_engine("openai:nobos", base, 10, 0);
    unsigned caps = engine_caps(e);
    assert_true(caps & ENGINE_CAP_LOGLIKELIHOOD);
    assert_false(caps & ENGINE_CAP_LOGLIKELIHOOD_ROLLING);   /* the probe saw the first token unscored */

    engine_request req = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "1+1=", .continuation = " 2"};
    engine_response r;
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_null(r.error);
    assert_float_equal(r.logprob, -0.7, 1e-9);   /* ' ' -0.5, '2' -0.2 */
    assert_int_equal(r.n_tokens, 2);
    assert_int_equal(r.truncated, 0);
    engine_response_free(&r);

    /* 20 bytes: the first 8 are cut off, the 9th is the window's first */
    engine_request longer = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "what is 1+1? 1+1=", .continuation = " 2"};
    assert_int_equal(engine_complete(e, &longer, &r, err), TT_OK);
    assert_null(r.error);
    assert_float_equal(r.logprob, -0.7, 1e-9);
    assert_int_equal(r.truncated, 19 - NOBOS_CTX);
    engine_response_free(&r);

    engine_request empty = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "", .continuation = "ab"};
    assert_int_equal(engine_complete(e, &empty, &r, err), TT_OK);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "first token of the text unscored"));
    engine_response_free(&r);
    /* a continuation longer than the server's context cannot be scored whole */
    engine_request toolong = {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q:", .continuation = " a long continuation"};
    assert_int_equal(engine_complete(e, &toolong, &r, err), TT_OK);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "of the continuation unscored"));
    engine_response_free(&r);
    engine_close(e);
    serve_stop(srv);
    engine_close(&t->base);
}

typedef struct pieces { tt_buf all; int n; int stop_after; } pieces;

static int on_piece(void *user, const char *p, size_t n)
{
    pieces *pc = user;
    tt_buf_append(&pc->all, p, n);
    pc->n++;
    return pc->stop_after && pc->n >= pc->stop_after;
}

static void test_openai_stream_pieces_and_cancel(void **state)
{
    fixture *f = *state;
    engine *e = open_engine("openai:toy", f->base, 10, 0);
    engine_message m = {.role = "user", .content = "one two three four five six"};
    pieces pc = {.n = 0};
    tt_buf_init(&pc.all);
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1, .on_token = on_piece, .on_token_user = &pc};
    engine_response r;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_null(r.error);
    assert_string_equal(r.text, "echo one two three four five six #1");
    assert_string_equal(tt_buf_str(&pc.all), r.text);
    assert_true(pc.n >= 2);
    assert_true(r.first_token_s >= 0 && r.first_token_s <= r.latency_s);
    assert_int_equal(r.completion_tokens, 8);     /* usage chunk */
    engine_response_free(&r);

    /* the client stops after one piece: recorded as an error, server slot freed */
    long cancelled0;
    serve_counts(f->srv, NULL, NULL, &cancelled0);
    tt_buf_reset(&pc.all);
    pc.n = 0;
    pc.stop_after = 1;
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_non_null(r.error);
    assert_non_null(strstr(r.error, "stopped"));
    engine_response_free(&r);
    long cancelled = cancelled0;
    for (int i = 0; i < 500 && cancelled == cancelled0; i++) {
        usleep(10000);
        serve_counts(f->srv, NULL, NULL, &cancelled);
    }
    assert_int_equal(cancelled, cancelled0 + 1);
    tt_buf_free(&pc.all);
    engine_close(e);
}

typedef struct worker_arg { engine *e; int id; int ok; } worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    w->ok = 1;
    for (int i = 0; i < 10; i++) {
        char q[64], want[96];
        snprintf(q, sizeof q, "w%d q%d", w->id, i);
        snprintf(want, sizeof want, "echo %s #1", q);
        engine_message m = {.role = "user", .content = q};
        engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
        pieces pc = {.n = 0};
        tt_buf_init(&pc.all);
        if (i % 2) {
            req.on_token = on_piece;
            req.on_token_user = &pc;
        }
        engine_response r;
        char err[TT_ERR_SIZE];
        if (engine_complete(w->e, &req, &r, err) != TT_OK || r.error || strcmp(r.text, want) != 0) w->ok = 0;
        if (i % 2 && strcmp(tt_buf_str(&pc.all), want) != 0) w->ok = 0;
        tt_buf_free(&pc.all);
        engine_response_free(&r);
    }
    return NULL;
}

static void test_openai_concurrent_requests_not_mixed(void **state)
{
    fixture *f = *state;
    engine *e = open_engine("openai:toy", f->base, 10, 0);
    enum { N = 16 };
    pthread_t t[N];
    worker_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (worker_arg){.e = e, .id = i};
        pthread_create(&t[i], NULL, worker, &a[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_true(a[i].ok);
    }
    engine_close(e);
}

static void test_chatglm_engine_against_serve(void **state)
{
    fixture *f = *state;
    char url[128];
    snprintf(url, sizeof url, "chatglm:http://127.0.0.1:%d/", f->port);
    engine *e = open_engine(url, NULL, 10, 0);
    engine_message ms[3] = {{.role = "user", .content = "hi"}, {.role = "assistant", .content = "yo"},
                            {.role = "user", .content = "again"}};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = ms, .n_messages = 3};
    engine_response r;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_null(r.error);
    assert_string_equal(r.text, "echo again #3");   /* history became two messages again */
    engine_response_free(&r);
    engine_close(e);
}

static void test_openai_fatal_errors_stop_model(void **state)
{
    fixture *f = *state;
    char base[160];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/nowhere", f->port);
    engine *e = open_engine("openai:toy", base, 10, 0);
    engine_message m = {.role = "user", .content = "x"};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
    engine_response r;
    char err[TT_ERR_SIZE];
    long before, after;
    engine_caps(e);   /* the probe's own request comes first */
    serve_counts(f->srv, &before, NULL, NULL);
    assert_int_equal(engine_complete(e, &req, &r, err), TT_ERR_ENGINE);
    assert_non_null(strstr(err, "404"));
    engine_response_free(&r);
    serve_counts(f->srv, &after, NULL, NULL);
    assert_int_equal(after, before + 1);             /* a 404 is not retried */
    assert_int_equal(engine_complete(e, &req, &r, err), TT_ERR_ENGINE);
    engine_response_free(&r);
    serve_counts(f->srv, &after, NULL, NULL);
    assert_int_equal(after, before + 1);             /* and the model is stopped */
    assert_false(engine_caps(e) & ENGINE_CAP_LOGLIKELIHOOD);
    engine_close(e);
}

/* ---- the fault server ------------------------------------------------------------------ */

typedef struct fault { pid_t pid; int port; } fault;

static int fault_start(fault *fs)
{
    if (g_fault_pid > 0) {   /* left by a failed test */
        kill(g_fault_pid, SIGTERM);
        waitpid(g_fault_pid, NULL, 0);
        g_fault_pid = 0;
    }
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (!src || access("/usr/bin/python3", X_OK) != 0) return -1;
    char *script = tt_asprintf("%s/tests/tools/fault_server.py", src);
    int pfd[2];
    if (pipe(pfd)) { free(script); return -1; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        execl("/usr/bin/python3", "python3", script, "--port", "0", "--slow", "1.5", (char *)NULL);
        _exit(127);
    }
    free(script);
    close(pfd[1]);
    FILE *in = fdopen(pfd[0], "r");
    int port = 0;
    if (!in || fscanf(in, "PORT %d", &port) != 1) port = 0;
    if (in) fclose(in);
    fs->pid = pid;
    fs->port = port;
    g_fault_pid = pid;
    if (!port) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return 0;
}

static void fault_stop(fault *fs)
{
    kill(fs->pid, SIGTERM);
    waitpid(fs->pid, NULL, 0);
    g_fault_pid = 0;
}

static json_t *fault_stats(int port)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", port);
    http_client_config cfg;
    http_client_config_default(&cfg);
    http_client *c;
    char err[TT_ERR_SIZE];
    assert_int_equal(http_client_create(&cfg, &c, err), TT_OK);
    http_call_spec spec = {.method = "GET", .url = url};
    http_result res;
    assert_int_equal(http_call(c, &spec, &res), TT_OK);
    json_t *j = json_loadb(res.body, res.body_len, 0, NULL);
    http_result_free(&res);
    http_client_free(c);
    assert_non_null(j);
    return j;
}

static char *upper_echo(const char *s)
{
    char *o = tt_asprintf("echo:%s", s);
    for (char *p = o + 5; *p; p++) *p = (char)toupper((unsigned char)*p);
    return o;
}

static void test_engines_against_fault_server(void **state)
{
    (void)state;
    fault fs;
    if (fault_start(&fs))
        fail_msg("cannot start /usr/bin/python3 $TIANTI_SOURCE_DIR/tests/tools/fault_server.py");
    char faulty[96], clean[96];
    snprintf(faulty, sizeof faulty, "http://127.0.0.1:%d/v1", fs.port);
    snprintf(clean, sizeof clean, "http://127.0.0.1:%d/clean/v1", fs.port);
    engine *ef = open_engine("openai:m", faulty, 1.0, 0);
    engine *ec = open_engine("openai:m", clean, 1.0, 0);
    enum { NQ = 24 };
    int n_stream = 0;
    for (int i = 0; i < NQ; i++) {
        char q[32];
        snprintf(q, sizeof q, "question %d", i);
        engine_message m = {.role = "user", .content = q};
        pieces pc = {.n = 0};
        tt_buf_init(&pc.all);
        engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
        if (i % 3 == 0) {
            req.on_token = on_piece;
            req.on_token_user = &pc;
            n_stream++;
        }
        engine_response rf, rc;
        char err[TT_ERR_SIZE];
        assert_int_equal(engine_complete(ef, &req, &rf, err), TT_OK);
        req.on_token = NULL;
        assert_int_equal(engine_complete(ec, &req, &rc, err), TT_OK);
        if (rf.error) fprintf(stderr, "q%d: %s\n", i, rf.error);
        assert_null(rf.error);
        assert_null(rc.error);
        char *want = upper_echo(q);
        assert_string_equal(rc.text, want);
        assert_string_equal(rf.text, rc.text);
        free(want);
        engine_response_free(&rf);
        engine_response_free(&rc);
        tt_buf_free(&pc.all);
    }
    (void)n_stream;
    engine_close(ef);
    engine_close(ec);

    /* ChatGLM and VisualGLM protocols through the same faults */
    char url[128];
    snprintf(url, sizeof url, "chatglm:http://127.0.0.1:%d/chatglm", fs.port);
    engine *cg = open_engine(url, NULL, 1.0, 0);
    snprintf(url, sizeof url, "visualglm:http://127.0.0.1:%d/visualglm", fs.port);
    engine *vg = open_engine(url, NULL, 1.0, 0);
    assert_true(engine_caps(vg) & ENGINE_CAP_IMAGE);
    for (int i = 0; i < 8; i++) {
        char q[32], want[96];
        snprintf(q, sizeof q, "glm %d", i);
        engine_message ms[3] = {{.role = "user", .content = "first"}, {.role = "assistant", .content = "ok"},
                                {.role = "user", .content = q, .image_b64 = "aGVsbG8gd29ybGQ="}};
        engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = ms, .n_messages = 3};
        engine_response r;
        char err[TT_ERR_SIZE];
        assert_int_equal(engine_complete(cg, &req, &r, err), TT_OK);
        assert_null(r.error);
        snprintf(want, sizeof want, "glm:%s|h=1", q);
        assert_string_equal(r.text, want);
        engine_response_free(&r);
        assert_int_equal(engine_complete(vg, &req, &r, err), TT_OK);
        assert_null(r.error);
        snprintf(want, sizeof want, "vis:%s|bytes=11|h=1", q);   /* "hello world" */
        assert_string_equal(r.text, want);
        engine_response_free(&r);
    }
    engine_close(cg);
    engine_close(vg);

    /* every distinct request was answered successfully exactly once */
    json_t *st = fault_stats(fs.port);
    const char *k;
    json_t *v;
    size_t faults = 0, keys = 0;
    json_object_foreach(st, k, v) {
        keys++;
        if (json_integer_value(json_array_get(v, 1)) != 1)
            fprintf(stderr, "request %s: %lld attempts, %lld answers, fault kind %lld\n", k,
                    (long long)json_integer_value(json_array_get(v, 0)), (long long)json_integer_value(json_array_get(v, 1)),
                    (long long)json_integer_value(json_array_get(v, 2)));
        assert_int_equal(json_integer_value(json_array_get(v, 1)), 1);
        faults += (size_t)(json_integer_value(json_array_get(v, 0)) - 1);
    }
    json_decref(st);
    assert_true(keys >= NQ * 2 + 16);
    assert_true(faults > 10);   /* the pattern did inject faults */
    fault_stop(&fs);
}

/* A log sink that keeps every line (the library never prints: a verbose
 * engine's debug lines come here). */
static void record_log(void *ud, tt_log_level level, const char *msg)
{
    tt_buf *b = ud;
    tt_buf_printf(b, "%s: %s\n", tt_log_level_name(level), msg);
}

static void test_api_key_never_leaks(void **state)
{
    (void)state;
    fault fs;
    if (fault_start(&fs))
        fail_msg("cannot start /usr/bin/python3 $TIANTI_SOURCE_DIR/tests/tools/fault_server.py");
    char base[96];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", fs.port);
    /* capture the debug lines of a verbose engine; stderr must stay empty */
    tt_buf logged;
    tt_buf_init(&logged);
    tt_log_set_sink(record_log, &logged, TT_LOG_DEBUG);
    char path[] = "/tmp/tianti-key-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    engine *e = open_engine("openai:fatal-401", base, 2.0, 1);
    engine_message m = {.role = "user", .content = "hi"};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
    engine_response r;
    char err[TT_ERR_SIZE];
    int rc = engine_complete(e, &req, &r, err);
    engine_response_free(&r);
    engine *q = open_engine("openai:no-quota", base, 2.0, 1);
    char err2[TT_ERR_SIZE];
    int rc2 = engine_complete(q, &req, &r, err2);
    engine_response_free(&r);
    engine_close(e);
    engine_close(q);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    tt_log_set_sink(NULL, NULL, TT_LOG_INFO);
    assert_int_equal(rc, TT_ERR_ENGINE);
    assert_int_equal(rc2, TT_ERR_ENGINE);
    assert_non_null(strstr(err, "401"));
    assert_non_null(strstr(err2, "quota"));
    assert_null(strstr(err, "FAKEKEY"));
    const char *log = tt_buf_str(&logged);
    assert_non_null(strstr(log, "debug: http openai:fatal-401 > POST"));   /* verbose lines were logged */
    assert_non_null(strstr(log, "Authorization: [REDACTED]"));
    assert_null(strstr(log, "FAKEKEY"));
    assert_null(strstr(log, "0123456789abcdef"));
    tt_buf_free(&logged);
    char *printed;
    size_t len;
    assert_int_equal(tt_read_file(path, &printed, &len, NULL), TT_OK);
    assert_int_equal(len, 0);                           /* nothing printed */
    free(printed);
    close(fd);
    unlink(path);
    fault_stop(&fs);
}

/* Reasoning models (the fault server's "o-" models refuse max_tokens,
 * temperature and top_p like OpenAI's o-series): without the settings the
 * 400 stops the model with a message naming the setting to change; with
 * them the request carries max_completion_tokens and reasoning_effort, and
 * the reply's reasoning tokens reach the response. */
static engine *open_reasoning(const char *base, const char *param, int omit, const char *effort)
{
    engine_options o;
    engine_options_default(&o);
    o.base_url = base;
    o.api_key_env = "TIANTI_TEST_KEY";
    o.timeout_s = 5;
    o.max_tokens_param = param;
    o.omit_sampling = omit;
    o.reasoning_effort = effort;
    engine *e = NULL;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_open("openai:o-mini", &o, &e, err), TT_OK);
    return e;
}

static void test_openai_reasoning_settings(void **state)
{
    (void)state;
    fault fs;
    if (fault_start(&fs))
        fail_msg("cannot start /usr/bin/python3 $TIANTI_SOURCE_DIR/tests/tools/fault_server.py");
    char base[96];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/clean/v1", fs.port);
    engine_message m = {.role = "user", .content = "think hard"};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &m, .n_messages = 1};
    req.gen.max_tokens = 300;
    engine_response r;
    char err[TT_ERR_SIZE];

    /* plain settings: max_tokens refused, the message names the fix */
    engine *e = open_reasoning(base, NULL, 0, NULL);
    assert_int_equal(engine_complete(e, &req, &r, err), TT_ERR_ENGINE);
    engine_response_free(&r);
    assert_non_null(strstr(err, "max_tokens"));
    assert_non_null(strstr(err, "\"max_tokens_param\": \"max_completion_tokens\""));
    engine_close(e);
    /* the token limit renamed, temperature still sent: that setting named */
    e = open_reasoning(base, "max_completion_tokens", 0, NULL);
    assert_int_equal(engine_complete(e, &req, &r, err), TT_ERR_ENGINE);
    engine_response_free(&r);
    assert_non_null(strstr(err, "temperature"));
    assert_non_null(strstr(err, "\"omit_sampling\": true"));
    engine_close(e);
    /* all three: answered, effort passed, reasoning tokens kept
     * (max_completion_tokens 300 -> 30 reasoning tokens, 32 completion) */
    e = open_reasoning(base, "max_completion_tokens", 1, "high");
    assert_int_equal(engine_complete(e, &req, &r, err), TT_OK);
    assert_null(r.error);
    assert_string_equal(r.text, "echo:THINK HARD|effort=high");
    assert_int_equal(r.prompt_tokens, 2);
    assert_int_equal(r.completion_tokens, 32);
    assert_int_equal(r.reasoning_tokens, 30);
    engine_response_free(&r);
    engine_close(e);
    fault_stop(&fs);
}

/* engine_embed_batch through /v1/embeddings: 600 texts go in requests of
 * at most 256 inputs (256 + 256 + 88), every vector comes back under its
 * own input (the server lists them in reverse order; "index" says which),
 * equal texts get equal vectors. */
static void test_openai_embeddings_batched(void **state)
{
    (void)state;
    fault fs;
    if (fault_start(&fs))
        fail_msg("cannot start /usr/bin/python3 $TIANTI_SOURCE_DIR/tests/tools/fault_server.py");
    char base[96];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/clean/v1", fs.port);
    engine *e = open_engine("openai:embed-test", base, 5, 0);
    enum { N = 600 };
    char *texts[N];
    float *vecs[N];
    for (int i = 0; i < N; i++) texts[i] = tt_asprintf("word%d common", i % 300);
    int dim = 0;
    long tokens = 0;
    char err[TT_ERR_SIZE];
    assert_int_equal(engine_embed_batch(e, (const char *const *)texts, N, vecs, &dim, &tokens, err), TT_OK);
    assert_int_equal(dim, 8);
    assert_int_equal(tokens, 2 * N);   /* two words each */
    for (int i = 0; i < N; i++) {
        double sum = 0;
        for (int k = 0; k < dim; k++) sum += vecs[i][k];
        assert_true(sum == 2.0);       /* one count per word */
        if (i >= 300) assert_memory_equal(vecs[i], vecs[i - 300], (size_t)dim * sizeof(float));
    }
    for (int i = 0; i < N; i++) {
        free(vecs[i]);
        free(texts[i]);
    }
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/embed_stats", fs.port);
    http_client_config cfg;
    http_client_config_default(&cfg);
    http_client *c;
    assert_int_equal(http_client_create(&cfg, &c, err), TT_OK);
    http_call_spec spec = {.method = "GET", .url = url};
    http_result res;
    assert_int_equal(http_call(c, &spec, &res), TT_OK);
    json_t *st = json_loadb(res.body, res.body_len, 0, NULL);
    http_result_free(&res);
    http_client_free(c);
    assert_int_equal(json_integer_value(json_object_get(st, "requests")), 3);
    json_t *inputs = json_object_get(st, "inputs");
    assert_int_equal(json_integer_value(json_array_get(inputs, 0)), 256);
    assert_int_equal(json_integer_value(json_array_get(inputs, 2)), 88);
    json_decref(st);
    engine_close(e);
    fault_stop(&fs);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_chat_matches_engine),
        cmocka_unit_test(test_openai_loglikelihood_via_echo),
        cmocka_unit_test(test_openai_echo_without_bos),
        cmocka_unit_test(test_openai_stream_pieces_and_cancel),
        cmocka_unit_test(test_openai_concurrent_requests_not_mixed),
        cmocka_unit_test(test_chatglm_engine_against_serve),
        cmocka_unit_test(test_openai_fatal_errors_stop_model),
        cmocka_unit_test(test_engines_against_fault_server),
        cmocka_unit_test(test_api_key_never_leaks),
        cmocka_unit_test(test_openai_reasoning_settings),
        cmocka_unit_test(test_openai_embeddings_batched),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
