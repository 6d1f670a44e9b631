/*
 * fuzz_arena.c — libFuzzer target for what parses a request in `tianti
 * arena serve` (arena/web.c): an arena of this process with two replay
 * models and a store in a temporary folder gets the input as the JSON body
 * of a POST (the first byte picks /api/battle or /api/vote) over a real
 * socket through core/httpd; the answer (a battle's stream, too) is read to
 * the end. Any body must be answered or refused, never crash the server or
 * read out of bounds; battles in memory stay bounded (max_held).
 *
 * Built as fuzz_arena_replay in every build (ctest fuzz/arena_corpus on
 * tests/fuzz/corpus_arena/) and as fuzz_arena with libFuzzer.
 */
#include "arena/web.h"
#include "fuzz_http.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static arena_web *g_web;
static char *g_model, *g_db, *g_dir;
static char *g_models[2];
static int g_port;

static void stop_arena(void)
{
    arena_web_stop(g_web);
    unlink(g_model);
    char *p;
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        p = tt_asprintf("%s%s", g_db, sfx[i]);
        unlink(p);
        free(p);
    }
    rmdir(g_dir);
    free(g_model);
    free(g_db);
    free(g_dir);
    free(g_models[0]);
    free(g_models[1]);
}

static void start_once(void)
{
    if (g_web) return;
    g_model = fuzz_replay_model();
    char tmpl[] = "/tmp/tianti-fuzz-arena-XXXXXX";
    if (!mkdtemp(tmpl)) abort();
    g_dir = tt_asprintf("%s", tmpl);
    g_db = tt_asprintf("%s/votes.db", g_dir);
    g_models[0] = tt_asprintf("a=replay:%s", g_model);
    g_models[1] = tt_asprintf("b=replay:%s", g_model);
    arena_web_opts o;
    arena_web_opts_default(&o);
    o.port = 0;
    o.db_path = g_db;
    o.models = (const char *const *)g_models;
    o.n_models = 2;
    o.rate_per_min = 0;
    o.max_active = 16;
    o.max_held = 32;
    o.quiet = 1;
    o.seed = 7;
    char err[TT_ERR_SIZE];
    if (arena_web_start(&o, &g_web, err) != TT_OK) {
        fprintf(stderr, "fuzz_arena: %s\n", err);
        abort();
    }
    g_port = arena_web_port(g_web);
    atexit(stop_arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    start_once();
    if (size < 1 || size > (1u << 18)) return 0;
    fuzz_post(g_port, data[0] & 1 ? "/api/vote" : "/api/battle", data + 1, size - 1);
    return 0;
}
