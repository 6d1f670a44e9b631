/*
 * web.c — the blind voting web arena (`tianti arena serve`): HTTP routing
 * on the server skeleton of core/httpd.h (a thread per connection, so a
 * streaming answer may block its own thread), in-memory battles with their secret tokens
 * (shared through the store once answered, so that any arena process on the
 * same store takes the vote: store/pending.h), two
 * generation threads per battle feeding an append-only event log that the
 * stream response reads, votes written through arena/match.h, per-address
 * rate limits, and the read-only leaderboard. API and rules: arena/web.h.
 */
#include "arena/web.h"
#include "arena/leaderboard.h"
#include "arena/match.h"
#include "arena/page.h"
#include "arena/prompts.h"
#include "core/escape.h"
#include "core/httpd.h"
#include "core/log.h"
#include "core/utf8.h"
#include "store/store.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WEB_BUCKETS 4096
#define WEB_RATE_BUCKETS 256
#define WEB_MAX_RATE_ENTRIES 20000
#define WEB_TTL_S 3600.0
#define WEB_MAX_BATTLES 100000       /* hard bound on battles in the table, tombstones included */
#define WEB_LB_CACHE_S 5.0
#define WEB_COOKIE "tianti_voter"

typedef struct web_battle {
    struct web_battle *next;      /* hash chain */
    char id[33];                  /* public id (hex of 16 random bytes) */
    char token_hash[65];          /* sha256 hex of the secret token */
    int a, b;                     /* model indices */
    char *prompt;
    char voter[24];               /* anonymous voter id */
    double tstamp;                /* wall clock at creation */
    double created;               /* monotonic */
    tt_buf answer[2];             /* raw bytes while streaming, clean UTF-8 once done */
    size_t emitted[2];            /* bytes of answer[] already sent as events */
    int done[2], failed[2];
    double latency[2];
    int finished;                 /* both answers done and "end" written */
    tt_buf events;                /* NDJSON event log read by the stream */
    int voting, voted;
    int refs;                     /* table + stream + generation threads */
    int in_table;
    struct web_battle *older, *newer; /* the table's battles in the order they came */
    size_t held;                  /* bytes counted in w->held_bytes (finished and not voted) */
} web_battle;

typedef struct rate_entry {
    struct rate_entry *next;
    char addr[64];
    double tokens, last;
} rate_entry;

typedef struct lb_cache {
    char *json;
    double at;
} lb_cache;

struct arena_web {
    arena_web_opts o;
    char *host;
    tt_httpd *http;
    int port;
    arena_model *models;
    int n_models;
    const char **names;
    store *st;
    pthread_mutex_t db_mu;        /* one writer/reader at a time on st */
    arena_prompts prompts;
    int has_prompts;
    pthread_mutex_t mu;           /* everything below */
    pthread_cond_t cv;
    web_battle *table[WEB_BUCKETS];
    size_t n_battles;
    web_battle *oldest, *newest;  /* creation order, for eviction */
    size_t held;                  /* finished battles not voted on, in memory */
    size_t held_bytes;            /* their prompts, answers and event logs */
    unsigned long expired;        /* such battles dropped from memory (their votes go through the store) */
    double last_sweep;
    double last_expire;           /* when pending battles were last expired in the store */
    long *counts;                 /* n_models^2 battles per pair */
    tt_rng rng;
    int active;                   /* battles still generating */
    int threads;                  /* generation threads alive */
    int stopping;
    rate_entry *rates[WEB_RATE_BUCKETS];
    size_t n_rates;
    int urandom_fd;
    pthread_mutex_t lb_mu;        /* one leaderboard computation at a time; guards lb */
    lb_cache lb[3];               /* by arena_source */
};

typedef struct web_stream {
    arena_web *w;
    web_battle *bt;
    size_t off;
} web_stream;

typedef struct gen_arg {
    arena_web *w;
    web_battle *bt;
    int side;
} gen_arg;

void arena_web_opts_default(arena_web_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    o->max_prompt_bytes = 30000;
    o->rate_per_min = 60;
    o->rate_burst = 20;
    o->max_tokens = 512;
    o->temperature = 0.7;
    o->max_active = 8;
    o->lb_rounds = 100;
    o->max_held = 10000;
    o->max_held_bytes = (size_t)256 << 20;
}

int arena_web_port(const arena_web *w) { return w->port; }

void arena_web_counts(arena_web *w, size_t *held, size_t *held_bytes, unsigned long *expired)
{
    pthread_mutex_lock(&w->mu);
    if (held) *held = w->held;
    if (held_bytes) *held_bytes = w->held_bytes;
    if (expired) *expired = w->expired;
    pthread_mutex_unlock(&w->mu);
}

/* ---- small helpers ------------------------------------------------------- */

static void random_bytes(arena_web *w, unsigned char *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(w->urandom_fd, out + got, n - got);
        if (r > 0) got += (size_t)r;
        else if (r < 0 && errno != EINTR) abort(); /* no entropy: cannot hand out secrets */
    }
}

static void random_hex(arena_web *w, char *out, size_t nbytes)
{
    unsigned char b[64];
    random_bytes(w, b, nbytes);
    for (size_t i = 0; i < nbytes; i++) sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * nbytes] = 0;
}

static int is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* Constant-time comparison of two equal-length strings. */
static int secret_equal(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static unsigned bucket_of(const char *id) { return (unsigned)(tt_fnv1a64(id, strlen(id)) % WEB_BUCKETS); }

/* ---- responses ------------------------------------------------------------ */

/* Sent with every response (core/httpd adds them). */
static const char *const common_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options", "nosniff",
    "X-Frame-Options", "DENY",
    "Referrer-Policy", "no-referrer",
    "Cache-Control", "no-store",
    NULL,
};

/* data (static: compiled into the program, else copied), with a Set-Cookie
 * header when set_cookie is not NULL. */
static int send_buf(tt_httpd_req *c, unsigned status, const char *ctype, const char *data, size_t len, int copy,
                    const char *set_cookie)
{
    const char *const headers[] = {"Set-Cookie", set_cookie, NULL};
    return tt_httpd_send(c, status, ctype, data, len, !copy, headers);
}

static int send_error(tt_httpd_req *c, unsigned status, const char *msg)
{
    return tt_httpd_send_json(c, status, json_pack("{s:s}", "error", msg));
}

/* ---- voter cookie ----------------------------------------------------------- */

/* Reads the voter cookie, or makes a new one (*set_cookie then holds the
 * header value, caller frees). voter gets the stored, anonymous id. */
static void voter_of(arena_web *w, tt_httpd_req *c, char voter[24], char **set_cookie)
{
    const char *ck = tt_httpd_cookie(c, WEB_COOKIE);
    char fresh[33];
    *set_cookie = NULL;
    if (!is_hex(ck, 32)) {
        random_hex(w, fresh, 16);
        ck = fresh;
        *set_cookie = tt_asprintf(WEB_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000", fresh);
    }
    char hex[65];
    char *salted = tt_asprintf("tianti-voter:%s", ck);
    tt_sha256_hex(salted, strlen(salted), hex);
    free(salted);
    snprintf(voter, 24, "v-%.16s", hex);
}

/* ---- rate limit --------------------------------------------------------------- */

/* 1 when the client may make one more request now. */
static int rate_allow(arena_web *w, tt_httpd_req *c)
{
    if (w->o.rate_per_min <= 0) return 1;
    char addr[64];
    tt_httpd_client_addr(c, addr);
    unsigned h = (unsigned)(tt_fnv1a64(addr, strlen(addr)) % WEB_RATE_BUCKETS);
    double now = tt_now_s();
    pthread_mutex_lock(&w->mu);
    rate_entry *e = w->rates[h];
    while (e && strcmp(e->addr, addr)) e = e->next;
    if (!e) {
        if (w->n_rates >= WEB_MAX_RATE_ENTRIES) { /* forget everyone rather than grow without bound */
            for (int i = 0; i < WEB_RATE_BUCKETS; i++)
                while (w->rates[i]) {
                    rate_entry *n = w->rates[i]->next;
                    free(w->rates[i]);
                    w->rates[i] = n;
                }
            w->n_rates = 0;
        }
        e = tt_calloc(1, sizeof *e);
        snprintf(e->addr, sizeof e->addr, "%s", addr);
        e->tokens = w->o.rate_burst > 0 ? w->o.rate_burst : 1;
        e->last = now;
        e->next = w->rates[h];
        w->rates[h] = e;
        w->n_rates++;
    }
    double cap = w->o.rate_burst > 0 ? w->o.rate_burst : 1;
    e->tokens += (now - e->last) * w->o.rate_per_min / 60.0;
    if (e->tokens > cap) e->tokens = cap;
    e->last = now;
    int ok = e->tokens >= 1.0;
    if (ok) e->tokens -= 1.0;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* ---- battles -------------------------------------------------------------- */

static void battle_free(web_battle *bt)
{
    free(bt->prompt);
    tt_buf_free(&bt->answer[0]);
    tt_buf_free(&bt->answer[1]);
    tt_buf_free(&bt->events);
    free(bt);
}

/* Drops one reference; with w->mu held. */
static void battle_unref_locked(web_battle *bt)
{
    if (--bt->refs == 0) battle_free(bt);
}

static web_battle *battle_find_locked(arena_web *w, const char *id)
{
    for (web_battle *bt = w->table[bucket_of(id)]; bt; bt = bt->next)
        if (!strcmp(bt->id, id)) return bt;
    return NULL;
}

/* What a finished battle keeps in memory until its vote. */
static size_t battle_bytes(const web_battle *bt)
{
    return sizeof *bt + (bt->prompt ? strlen(bt->prompt) + 1 : 0) + bt->answer[0].cap + bt->answer[1].cap +
           bt->events.cap;
}

/* Stops counting bt as held (voted, or leaving the table); with w->mu held. */
static void unhold_locked(arena_web *w, web_battle *bt)
{
    if (!bt->held) return;
    w->held--;
    w->held_bytes -= bt->held;
    bt->held = 0;
}

/* Takes bt out of the table; with w->mu held. An unvoted battle that
 * leaves is counted as expired: its vote can still come through the store,
 * where it was shared when its answers were finished. */
static void forget_locked(arena_web *w, web_battle *bt)
{
    web_battle **pp = &w->table[bucket_of(bt->id)];
    while (*pp && *pp != bt) pp = &(*pp)->next;
    if (*pp) *pp = bt->next;
    if (bt->older) bt->older->newer = bt->newer;
    else w->oldest = bt->newer;
    if (bt->newer) bt->newer->older = bt->older;
    else w->newest = bt->older;
    if (!bt->voted) w->expired++;
    unhold_locked(w, bt);
    bt->in_table = 0;
    w->n_battles--;
    battle_unref_locked(bt);
}

/* Forgets battles older than the TTL that nobody is using, then the oldest
 * finished ones while more than max_held (or max_held_bytes) unvoted
 * battles are in memory, or the table is full; with w->mu held. */
static void sweep_locked(arena_web *w, double now)
{
    unsigned long before = w->expired;
    for (web_battle *bt = w->oldest, *next; bt; bt = next) {
        next = bt->newer;
        int idle = bt->finished && !bt->voting;
        int over = w->held > w->o.max_held || w->held_bytes > w->o.max_held_bytes || w->n_battles >= WEB_MAX_BATTLES;
        if (idle && (now - bt->created > WEB_TTL_S || over)) forget_locked(w, bt);
        else if (!over && now - bt->created <= WEB_TTL_S) break;   /* the rest are younger */
    }
    w->last_sweep = now;
    if (w->expired > before && !w->o.quiet)
        tt_log(TT_LOG_INFO, "arena: %lu unvoted battle(s) dropped from memory (%lu in all; %zu held, %zu bytes); "
                            "their votes still go through the store",
               w->expired - before, w->expired, w->held, w->held_bytes);
}

static void event_locked(web_battle *bt, json_t *ev)
{
    if (!ev) return;   /* texts are cleaned before this; never send a broken line */
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    tt_buf_puts(&bt->events, s);
    tt_buf_append(&bt->events, "\n", 1);
    free(s);
}

/* Marks one side of bt finished (failed or not, with its final text),
 * ends the battle when both sides are done, and drops the generation
 * thread's reference; with w->mu held. */
static void side_done_locked(arena_web *w, web_battle *bt, int side, int failed, const char *text)
{
    bt->failed[side] = failed;
    bt->done[side] = 1;
    event_locked(bt, json_pack("{s:s,s:s,s:b,s:s}", "type", "done", "side", side ? "b" : "a", "failed", failed,
                               "text", text));
    if (bt->done[0] && bt->done[1]) {
        event_locked(bt, json_pack("{s:s}", "type", "end"));
        bt->finished = 1;
        w->active--;
        if (bt->in_table) {
            bt->held = battle_bytes(bt);
            w->held++;
            w->held_bytes += bt->held;
            if (w->held > w->o.max_held || w->held_bytes > w->o.max_held_bytes) w->last_sweep = 0;   /* sweep at the next battle */
        }
    }
    battle_unref_locked(bt);
    w->threads--;
    pthread_cond_broadcast(&w->cv);
}

/* ---- battles shared through the store (several servers, store/pending.h) -- */

/* A copy of battle bt for the store as its last side finishes; side is
 * that side, failed its outcome. With w->mu held. */
static store_pending_battle *pending_snapshot_locked(arena_web *w, web_battle *bt, int side, int failed)
{
    store_pending_battle *p = tt_calloc(1, sizeof *p);
    int fail[2] = {bt->failed[0], bt->failed[1]};
    fail[side] = failed;
    p->id = tt_strdup(bt->id);
    p->token_hash = tt_strdup(bt->token_hash);
    p->model_a = tt_strdup(w->models[bt->a].name);
    p->model_b = tt_strdup(w->models[bt->b].name);
    p->spec_a = tt_strdup(w->models[bt->a].rm.spec);
    p->spec_b = tt_strdup(w->models[bt->b].rm.spec);
    p->prompt = tt_strdup(bt->prompt);
    p->answer_a = fail[0] ? NULL : tt_strdup(tt_buf_str(&bt->answer[0]));
    p->answer_b = fail[1] ? NULL : tt_strdup(tt_buf_str(&bt->answer[1]));
    p->latency_a = bt->latency[0];
    p->latency_b = bt->latency[1];
    p->voter_id = tt_strdup(bt->voter);
    p->tstamp = tt_wall_s();
    return p;
}

/* Writes p into the store and frees it. Without it the battle still takes
 * its vote here, only not through another process. */
static void pending_share(arena_web *w, store_pending_battle *p)
{
    char err[TT_ERR_SIZE];
    pthread_mutex_lock(&w->db_mu);
    int rc = store_pending_put(w->st, p, err);
    pthread_mutex_unlock(&w->db_mu);
    if (rc != TT_OK && !w->o.quiet)
        tt_log(TT_LOG_INFO, "arena: battle not shared through the store (only this process takes its vote): %s", err);
    store_pending_free(p);
    free(p);
}

static int on_token(void *user, const char *piece, size_t len)
{
    gen_arg *g = user;
    arena_web *w = g->w;
    pthread_mutex_lock(&w->mu);
    int stop = w->stopping;
    if (!stop && len > 0) {
        web_battle *bt = g->bt;
        tt_buf *ans = &bt->answer[g->side];
        tt_buf_append(ans, piece, len);
        /* send whole characters only; an incomplete tail waits for the next piece */
        size_t cut = tt_utf8_complete_prefix(ans->data, ans->len);
        if (cut > bt->emitted[g->side]) {
            char *text = tt_utf8_clean(ans->data + bt->emitted[g->side], cut - bt->emitted[g->side]);
            event_locked(bt, json_pack("{s:s,s:s,s:s}", "type", "token", "side", g->side ? "b" : "a", "text", text));
            free(text);
            bt->emitted[g->side] = cut;
            pthread_cond_broadcast(&w->cv);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return stop;
}

static void *gen_main(void *arg)
{
    gen_arg *g = arg;
    arena_web *w = g->w;
    web_battle *bt = g->bt;
    arena_model *m = &w->models[g->side ? bt->b : bt->a];
    engine_message msg = {.role = "user", .content = bt->prompt};
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = &msg, .n_messages = 1};
    if (!(engine_caps(m->e) & ENGINE_CAP_CHAT)) {
        /* A base model continues the prompt; its answer ends with the line. */
        req.kind = ENGINE_REQ_GENERATE;
        req.context = bt->prompt;
        req.messages = NULL;
        req.n_messages = 0;
        req.gen.until[0] = "\n";
        req.gen.n_until = 1;
    }
    req.gen.max_tokens = w->o.max_tokens;
    req.gen.temperature = w->o.temperature;
    pthread_mutex_lock(&w->mu);
    req.gen.seed = tt_rng_next(&w->rng);
    pthread_mutex_unlock(&w->mu);
    req.on_token = on_token;
    req.on_token_user = g;
    engine_response resp;
    char err[TT_ERR_SIZE] = "";
    double t0 = tt_now_s();
    int rc = engine_complete(m->e, &req, &resp, err);
    double dt = tt_now_s() - t0;
    if (!w->o.quiet && (rc != TT_OK || resp.error))
        tt_log(TT_LOG_INFO, "arena: model '%s' failed: %s", m->name, rc != TT_OK ? err : resp.error);
    pthread_mutex_lock(&w->mu);
    int failed = rc != TT_OK || resp.error != NULL;
    tt_buf *ans = &bt->answer[g->side];
    char *final = tt_utf8_clean(!failed && resp.text ? resp.text : ans->data, !failed && resp.text ? strlen(resp.text) : ans->len);
    tt_buf_reset(ans);
    tt_buf_puts(ans, failed ? "" : final);  /* never NULL */
    free(final);
    bt->latency[g->side] = dt;
    if (bt->done[!g->side]) {
        /* The second side to finish shares the battle through the store
         * before the stream says "end": a client may vote through another
         * server as soon as it has read that. Nobody else touches the
         * battle meanwhile (it is not finished, so no vote is taken, and
         * this thread's reference keeps it). */
        store_pending_battle *pend = pending_snapshot_locked(w, bt, g->side, failed);
        pthread_mutex_unlock(&w->mu);
        pending_share(w, pend);
        pthread_mutex_lock(&w->mu);
    }
    side_done_locked(w, bt, g->side, failed, failed ? "" : tt_buf_str(ans));
    pthread_mutex_unlock(&w->mu);
    if (rc == TT_OK) engine_response_free(&resp);
    free(g);
    return NULL;
}

static ssize_t stream_read(void *cls, char *buf, size_t max)
{
    web_stream *s = cls;
    arena_web *w = s->w;
    pthread_mutex_lock(&w->mu);
    while (s->off >= s->bt->events.len && !s->bt->finished && !w->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    ssize_t n;
    if (s->off < s->bt->events.len) {
        size_t k = s->bt->events.len - s->off;
        if (k > max) k = max;
        memcpy(buf, s->bt->events.data + s->off, k);
        s->off += k;
        n = (ssize_t)k;
    } else {
        n = w->stopping && !s->bt->finished ? TT_HTTPD_STREAM_ERROR : TT_HTTPD_STREAM_END;
    }
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void stream_free(void *cls)
{
    web_stream *s = cls;
    pthread_mutex_lock(&s->w->mu);
    battle_unref_locked(s->bt);
    pthread_mutex_unlock(&s->w->mu);
    free(s);
}

static int post_battle(arena_web *w, tt_httpd_req *c)
{
    json_error_t je;
    json_t *body = json_loadb(c->body, c->body_len, 0, &je);
    json_t *jp = json_object_get(body, "prompt");
    if (!json_is_string(jp)) {
        json_decref(body);
        return send_error(c, 400, "expected a JSON object with a string field 'prompt'");
    }
    size_t plen = json_string_length(jp);
    const char *prompt = json_string_value(jp);
    int blank = 1;
    for (size_t i = 0; i < plen && blank; i++)
        if (!strchr(" \t\r\n", prompt[i])) blank = 0;
    if (blank) {
        json_decref(body);
        return send_error(c, 400, "the prompt is empty");
    }
    if (plen > w->o.max_prompt_bytes) {
        json_decref(body);
        char msg[96];
        snprintf(msg, sizeof msg, "the prompt is longer than %zu bytes", w->o.max_prompt_bytes);
        return send_error(c, 413, msg);
    }
    char *set_cookie = NULL;
    char voter[24];
    voter_of(w, c, voter, &set_cookie);

    pthread_mutex_lock(&w->mu);
    double now = tt_now_s();
    if (w->n_battles >= WEB_MAX_BATTLES || w->held > w->o.max_held || w->held_bytes > w->o.max_held_bytes ||
        now - w->last_sweep > 60)
        sweep_locked(w, now);
    if (w->stopping || w->active >= w->o.max_active || w->n_battles >= WEB_MAX_BATTLES) {
        pthread_mutex_unlock(&w->mu);
        json_decref(body);
        free(set_cookie);
        return send_error(c, 503, "the arena is busy; try again in a moment");
    }
    web_battle *bt = tt_calloc(1, sizeof *bt);
    arena_match_pick_pair(w->counts, w->n_models, &w->rng, &bt->a, &bt->b);
    w->counts[bt->a * w->n_models + bt->b]++;
    w->counts[bt->b * w->n_models + bt->a]++;
    do random_hex(w, bt->id, 16);
    while (battle_find_locked(w, bt->id));
    char token[65];
    random_hex(w, token, 32);
    tt_sha256_hex(token, 64, bt->token_hash);
    bt->prompt = tt_strndup(prompt, plen);
    snprintf(bt->voter, sizeof bt->voter, "%s", voter);
    bt->tstamp = tt_wall_s();
    bt->created = now;
    tt_buf_init(&bt->answer[0]);
    tt_buf_init(&bt->answer[1]);
    tt_buf_init(&bt->events);
    event_locked(bt, json_pack("{s:s,s:s,s:s}", "type", "battle", "id", bt->id, "token", token));
    bt->refs = 4;  /* table, stream, two generation threads */
    bt->in_table = 1;
    unsigned h = bucket_of(bt->id);
    bt->next = w->table[h];
    w->table[h] = bt;
    bt->older = w->newest;
    if (w->newest) w->newest->newer = bt;
    else w->oldest = bt;
    w->newest = bt;
    w->n_battles++;
    w->active++;
    w->threads += 2;
    int expire = now - w->last_expire > 60;
    if (expire) w->last_expire = now;
    pthread_mutex_unlock(&w->mu);
    json_decref(body);
    memset(token, 0, sizeof token);
    if (expire) {
        /* shared battles nobody voted on within the time to live */
        char xerr[TT_ERR_SIZE];
        pthread_mutex_lock(&w->db_mu);
        if (store_pending_expire(w->st, tt_wall_s() - WEB_TTL_S, NULL, xerr) != TT_OK && !w->o.quiet)
            tt_log(TT_LOG_INFO, "arena: %s", xerr);
        pthread_mutex_unlock(&w->db_mu);
    }

    for (int side = 0; side < 2; side++) {
        gen_arg *g = tt_calloc(1, sizeof *g);
        *g = (gen_arg){w, bt, side};
        pthread_t th;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &at, gen_main, g) != 0) {
            /* could not start: record the side as failed, as gen_main would */
            pthread_mutex_lock(&w->mu);
            tt_buf_puts(&bt->answer[side], "");
            side_done_locked(w, bt, side, 1, "");
            pthread_mutex_unlock(&w->mu);
            free(g);
        }
        pthread_attr_destroy(&at);
    }
    web_stream *s = tt_calloc(1, sizeof *s);
    *s = (web_stream){w, bt, 0};
    const char *const headers[] = {"X-Accel-Buffering", "no", "Set-Cookie", set_cookie, NULL};
    int ret = tt_httpd_stream(c, 200, "application/x-ndjson; charset=utf-8", headers, stream_read, s, stream_free);
    free(set_cookie);
    return ret;
}

static const char *winner_of_vote(const char *v)
{
    if (!v) return NULL;
    if (!strcmp(v, "a")) return "model_a";
    if (!strcmp(v, "b")) return "model_b";
    if (!strcmp(v, "tie")) return "tie";
    if (!strcmp(v, "bothbad")) return "tie (bothbad)";
    return NULL;
}

/* What a vote stores, from this process's memory or from the store. */
typedef struct vote_src {
    const char *id, *token_hash;
    const char *model_a, *model_b, *spec_a, *spec_b;
    const char *prompt, *answer_a, *answer_b;   /* NULL answer: that side failed */
    double latency_a, latency_b;
    const char *voter;
} vote_src;

/* Stores the vote on v (flags for identity leaks and failed sides) and
 * removes the battle from the pending ones. TT_ERR_USAGE: it was voted on
 * already, here or by another process (the UNIQUE session token). */
static int store_vote(arena_web *w, const vote_src *v, const char *winner, int *rated, char *err)
{
    int leak = (v->answer_a && arena_match_identity_leak(v->answer_a, w->names, w->n_models)) ||
               (v->answer_b && arena_match_identity_leak(v->answer_b, w->names, w->n_models));
    int failed = !v->answer_a || !v->answer_b;
    const char *flags = leak && failed ? "identity_leak,engine_error" : leak ? "identity_leak" : failed ? "engine_error" : NULL;
    json_t *extra = json_pack("{s:s,s:s,s:s,s:f,s:f}", "battle_id", v->id, "spec_a", v->spec_a ? v->spec_a : "",
                              "spec_b", v->spec_b ? v->spec_b : "", "latency_a", isfinite(v->latency_a) ? v->latency_a : 0.0,
                              "latency_b", isfinite(v->latency_b) ? v->latency_b : 0.0);
    char *extra_s = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    arena_match_record rec = {
        .model_a = v->model_a, .model_b = v->model_b, .winner = winner, .tstamp = tt_wall_s(), .source = "human",
        .judge = v->voter, .prompt = v->prompt, .answer_a = v->answer_a, .answer_b = v->answer_b,
        .voter_id = v->voter, .session_token = v->token_hash, .flags = flags, .extra_json = extra_s,
    };
    char ignored[TT_ERR_SIZE];
    pthread_mutex_lock(&w->db_mu);
    int rc = arena_match_store(w->st, &rec, NULL, err);
    if (rc == TT_OK || rc == TT_ERR_USAGE) store_pending_delete(w->st, v->id, ignored);
    pthread_mutex_unlock(&w->db_mu);
    free(extra_s);
    *rated = flags == NULL;
    return rc;
}

static int vote_answer(arena_web *w, tt_httpd_req *c, int rc, const char *err, const char *ma, const char *mb,
                       const char *winner, int rated)
{
    if (rc != TT_OK && rc != TT_ERR_USAGE && !w->o.quiet) tt_log(TT_LOG_INFO, "arena: vote not stored: %s", err);
    if (rc == TT_ERR_USAGE) return send_error(c, 409, "this battle has already been voted on");
    if (rc != TT_OK) return send_error(c, 500, "the vote could not be stored; please try again");
    return tt_httpd_send_json(c, 200, json_pack("{s:s,s:s,s:s,s:b}", "model_a", ma, "model_b", mb, "winner", winner,
                                                "rated", rated));
}

/* A vote on a battle this process does not hold: one that another arena
 * process on the same store ran (store/pending.h), or one already voted. */
static int vote_from_store(arena_web *w, tt_httpd_req *c, const char *id, const char *token, const char *winner)
{
    char hash[65], err[TT_ERR_SIZE];
    tt_sha256_hex(token, strlen(token), hash);
    store_pending_battle p;
    int voted = 0;
    pthread_mutex_lock(&w->db_mu);
    int rc = store_pending_get(w->st, id, &p, err);
    if (rc == TT_ERR_NOTFOUND && store_battle_token_stored(w->st, hash, &voted, err) != TT_OK) rc = TT_ERR_STORE;
    pthread_mutex_unlock(&w->db_mu);
    if (rc == TT_ERR_NOTFOUND)
        return voted ? send_error(c, 409, "this battle has already been voted on") : send_error(c, 404, "unknown battle");
    if (rc != TT_OK) return vote_answer(w, c, rc, err, NULL, NULL, winner, 0);
    int status;
    if (!secret_equal(hash, p.token_hash, 64)) {
        status = send_error(c, 403, "wrong token for this battle");
    } else {
        vote_src v = {p.id, p.token_hash, p.model_a, p.model_b, p.spec_a, p.spec_b, p.prompt, p.answer_a, p.answer_b,
                      p.latency_a, p.latency_b, p.voter_id};
        int rated = 0;
        rc = store_vote(w, &v, winner, &rated, err);
        status = vote_answer(w, c, rc, err, p.model_a, p.model_b, winner, rated);
    }
    store_pending_free(&p);
    return status;
}

static int post_vote(arena_web *w, tt_httpd_req *c)
{
    json_error_t je;
    json_t *body = json_loadb(c->body, c->body_len, 0, &je);
    const char *id = json_string_value(json_object_get(body, "battle"));
    const char *token = json_string_value(json_object_get(body, "token"));
    const char *winner = winner_of_vote(json_string_value(json_object_get(body, "vote")));
    if (!json_is_object(body) || !id || !winner) {
        json_decref(body);
        return send_error(c, 400, "expected {\"battle\": ID, \"token\": TOKEN, \"vote\": \"a\"|\"b\"|\"tie\"|\"bothbad\"}");
    }
    pthread_mutex_lock(&w->mu);
    web_battle *bt = is_hex(id, 32) ? battle_find_locked(w, id) : NULL;
    if (!bt && is_hex(id, 32) && token) {
        pthread_mutex_unlock(&w->mu);
        int ret = vote_from_store(w, c, id, token, winner);
        json_decref(body);
        return ret;
    }
    unsigned status = 0;
    const char *msg = NULL;
    char hash[65];
    if (token) tt_sha256_hex(token, strlen(token), hash);
    if (!bt) status = 404, msg = "unknown battle";
    else if (!token) status = 403, msg = "this battle's token is missing";
    else if (!secret_equal(hash, bt->token_hash, 64)) status = 403, msg = "wrong token for this battle";
    else if (bt->voted || bt->voting) status = 409, msg = "this battle has already been voted on";
    else if (!bt->finished) status = 409, msg = "the answers are not finished yet";
    if (status) {
        pthread_mutex_unlock(&w->mu);
        json_decref(body);
        return send_error(c, status, msg);
    }
    bt->voting = 1;
    bt->refs++;
    pthread_mutex_unlock(&w->mu);
    json_decref(body);

    /* The battle's answers no longer change: read them without the lock. */
    const char *ma = w->models[bt->a].name, *mb = w->models[bt->b].name;
    vote_src v = {bt->id, bt->token_hash, ma, mb, w->models[bt->a].rm.spec, w->models[bt->b].rm.spec, bt->prompt,
                  bt->failed[0] ? NULL : tt_buf_str(&bt->answer[0]), bt->failed[1] ? NULL : tt_buf_str(&bt->answer[1]),
                  bt->latency[0], bt->latency[1], bt->voter};
    char err[TT_ERR_SIZE];
    int rated = 0;
    int rc = store_vote(w, &v, winner, &rated, err);

    pthread_mutex_lock(&w->mu);
    bt->voting = 0;
    if (rc == TT_OK || rc == TT_ERR_USAGE) {
        bt->voted = 1;   /* the texts are in the store now; keep only a tombstone */
        unhold_locked(w, bt);
        tt_buf_free(&bt->answer[0]);
        tt_buf_free(&bt->answer[1]);
        tt_buf_free(&bt->events);
        free(bt->prompt);
        bt->prompt = NULL;
    }
    battle_unref_locked(bt);
    pthread_mutex_unlock(&w->mu);
    return vote_answer(w, c, rc, err, ma, mb, winner, rated);
}

/* ---- leaderboard ------------------------------------------------------------ */

static double finite_or_nan(double v) { return isfinite(v) ? v : NAN; }

/* Leaderboard JSON for a source (cached a few seconds); caller frees.
 * Votes wait only while the battles are read, not while ratings are fitted. */
static char *leaderboard_json(arena_web *w, arena_source src, const char *src_name)
{
    pthread_mutex_lock(&w->lb_mu);
    lb_cache *cache = &w->lb[src];
    double now = tt_now_s();
    if (cache->json && now - cache->at < WEB_LB_CACHE_S) {
        char *s = tt_strdup(cache->json);
        pthread_mutex_unlock(&w->lb_mu);
        return s;
    }
    char err[TT_ERR_SIZE];
    arena_battles l;
    arena_battles_init(&l);
    json_t *root = json_pack("{s:s,s:i}", "source", src_name, "bootstrap_rounds", w->o.lb_rounds);
    json_t *rows = json_array();
    pthread_mutex_lock(&w->db_mu);
    int rc = arena_battles_load_db(w->st, src, &l, err);
    pthread_mutex_unlock(&w->db_mu);
    json_object_set_new(root, "battles", json_integer(rc == TT_OK ? (json_int_t)l.n : 0));
    if (rc == TT_OK && l.n > 0) {
        arena_lb_opts o;
        arena_lb_opts_default(&o);
        o.rounds = w->o.lb_rounds;
        o.seed = 1;
        o.threads = 1;
        arena_leaderboard lb;
        memset(&lb, 0, sizeof lb);
        rc = arena_leaderboard_compute(&l, &o, &lb, err);
        for (int i = 0; rc == TT_OK && i < lb.n; i++) {
            const arena_lb_row *r = &lb.rows[i];
            json_t *row = json_pack("{s:i,s:s,s:f,s:I}", "rank", r->rank, "model", r->model, "rating", r->rating,
                                    "battles", (json_int_t)r->battles);
            double lo = finite_or_nan(r->lower), hi = finite_or_nan(r->upper);
            json_object_set_new(row, "lower", isnan(lo) ? json_null() : json_real(lo));
            json_object_set_new(row, "upper", isnan(hi) ? json_null() : json_real(hi));
            json_array_append_new(rows, row);
        }
        arena_leaderboard_free(&lb);
    }
    if (rc != TT_OK && !w->o.quiet) tt_log(TT_LOG_INFO, "arena: leaderboard: %s", err);
    json_object_set_new(root, "ok", json_boolean(rc == TT_OK));
    json_object_set_new(root, "models", rows);
    arena_battles_free(&l);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    free(cache->json);
    cache->json = tt_strdup(s);
    cache->at = now;
    pthread_mutex_unlock(&w->lb_mu);
    return s;
}

static int get_leaderboard(arena_web *w, tt_httpd_req *c, int html)
{
    const char *src_name = tt_httpd_query(c, "source");
    if (!src_name) src_name = "all";
    arena_source src;
    char err[TT_ERR_SIZE];
    if (arena_source_parse(src_name, &src, err) != TT_OK) return send_error(c, 400, "source must be all, human or judge");
    char *js = leaderboard_json(w, src, src_name);
    if (!html) {
        int ret = send_buf(c, 200, "application/json", js, strlen(js), 1, NULL);
        free(js);
        return ret;
    }
    json_t *root = json_loads(js, 0, NULL);
    free(js);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>Tianti Arena leaderboard</title>\n<link rel=\"stylesheet\" href=\"/app.css\">\n</head>\n"
                    "<body>\n<header><h1>Leaderboard</h1><nav><a href=\"/\">Vote</a></nav></header>\n<main>\n");
    static const char *const sources[] = {"all", "human", "judge"};
    tt_buf_puts(&b, "<p>Battles: ");
    for (int i = 0; i < 3; i++) {
        if (i) tt_buf_puts(&b, " · ");
        if (!strcmp(sources[i], src_name)) tt_buf_printf(&b, "<strong>%s</strong>", sources[i]);
        else tt_buf_printf(&b, "<a href=\"/leaderboard?source=%s\">%s</a>", sources[i], sources[i]);
    }
    tt_buf_puts(&b, "</p>\n");
    json_t *rows = json_object_get(root, "models");
    long n_battles = (long)json_integer_value(json_object_get(root, "battles"));
    if (!json_is_true(json_object_get(root, "ok"))) {
        tt_buf_puts(&b, "<p class=\"error\">The ratings could not be computed.</p>\n");
    } else if (json_array_size(rows) == 0) {
        tt_buf_puts(&b, "<p>No rated battles yet.</p>\n");
    } else {
        tt_buf_printf(&b,
                      "<p>Bradley–Terry ratings from %ld rated battle%s; 95%% intervals from %d bootstrap rounds; "
                      "rank = 1 + the number of models that are surely better.</p>\n",
                      n_battles, n_battles == 1 ? "" : "s", w->o.lb_rounds);
        tt_buf_puts(&b, "<div class=\"table-wrap\"><table>\n<thead><tr><th class=\"num\">Rank</th><th>Model</th>"
                        "<th class=\"num\">Rating</th><th class=\"num\">95% interval</th>"
                        "<th class=\"num\">Battles</th></tr></thead>\n<tbody>\n");
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            double rating = json_real_value(json_object_get(row, "rating"));
            tt_buf_printf(&b, "<tr><td class=\"num\">%d</td><td>", (int)json_integer_value(json_object_get(row, "rank")));
            tt_html_escape(&b, json_string_value(json_object_get(row, "model")));
            tt_buf_printf(&b, "</td><td class=\"num\">%.0f</td><td class=\"num\">", rating);
            json_t *lo = json_object_get(row, "lower"), *hi = json_object_get(row, "upper");
            if (json_is_real(lo) && json_is_real(hi))
                tt_buf_printf(&b, "%.0f – %.0f (+%.0f/−%.0f)", json_real_value(lo), json_real_value(hi),
                              json_real_value(hi) - rating, rating - json_real_value(lo));
            else
                tt_buf_puts(&b, "—");
            tt_buf_printf(&b, "</td><td class=\"num\">%lld</td></tr>\n",
                          (long long)json_integer_value(json_object_get(row, "battles")));
        }
        tt_buf_puts(&b, "</tbody>\n</table></div>\n");
    }
    tt_buf_puts(&b, "</main>\n</body>\n</html>\n");
    json_decref(root);
    int ret = send_buf(c, 200, "text/html; charset=utf-8", b.data, b.len, 1, NULL);
    tt_buf_free(&b);
    return ret;
}

/* ---- routing -------------------------------------------------------------- */

static int route(arena_web *w, tt_httpd_req *c, const char *url, const char *method)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html")) {
        if (!get) return send_error(c, 405, "method not allowed");
        char *set_cookie = NULL;
        char voter[24];
        voter_of(w, c, voter, &set_cookie);
        int ret = send_buf(c, 200, "text/html; charset=utf-8", arena_page_index_html, arena_page_index_html_len, 0,
                           set_cookie);
        free(set_cookie);
        return ret;
    }
    if (!strcmp(url, "/app.js")) {
        if (!get) return send_error(c, 405, "method not allowed");
        return send_buf(c, 200, "text/javascript; charset=utf-8", arena_page_app_js, arena_page_app_js_len, 0, NULL);
    }
    if (!strcmp(url, "/app.css")) {
        if (!get) return send_error(c, 405, "method not allowed");
        return send_buf(c, 200, "text/css; charset=utf-8", arena_page_app_css, arena_page_app_css_len, 0, NULL);
    }
    if (!strcmp(url, "/favicon.ico")) return send_buf(c, 204, "image/x-icon", "", 0, 0, NULL);
    if (!strcmp(url, "/leaderboard") || !strcmp(url, "/api/leaderboard")) {
        if (!get) return send_error(c, 405, "method not allowed");
        return get_leaderboard(w, c, url[1] == 'l');
    }
    if (!strcmp(url, "/api/config")) {
        if (!get) return send_error(c, 405, "method not allowed");
        return tt_httpd_send_json(c, 200, json_pack("{s:I,s:I,s:b,s:i}", "max_prompt_bytes", (json_int_t)w->o.max_prompt_bytes,
                                           "max_prompt_chars", (json_int_t)w->o.max_prompt_bytes, "has_prompts",
                                           w->has_prompts, "models", w->n_models));
    }
    if (!strcmp(url, "/api/prompt")) {
        if (!get) return send_error(c, 405, "method not allowed");
        if (!w->has_prompts) return send_error(c, 404, "this arena has no prompt set");
        pthread_mutex_lock(&w->mu);
        size_t i = (size_t)tt_rng_below(&w->rng, w->prompts.n);
        pthread_mutex_unlock(&w->mu);
        return tt_httpd_send_json(c, 200, json_pack("{s:s}", "prompt", w->prompts.v[i].text));
    }
    if (!strcmp(url, "/api/battle") || !strcmp(url, "/api/vote")) {
        if (!post) return send_error(c, 405, "method not allowed");
        const char *ct = tt_httpd_header(c, "Content-Type");
        if (!tt_httpd_content_type_is_json(ct)) return send_error(c, 415, "send the request as application/json");
        if (!rate_allow(w, c)) return send_error(c, 429, "too many requests; slow down");
        return url[5] == 'b' ? post_battle(w, c) : post_vote(w, c);
    }
    return send_error(c, 404, "not found");
}

static size_t max_body(const arena_web *w) { return w->o.max_prompt_bytes * 6 + 4096; }

/* core/httpd callbacks: the whole request, after the body limit. */
static int on_request(tt_httpd_req *r)
{
    arena_web *w = r->user;
    int ret = route(w, r, r->path, r->method);
    if (!w->o.quiet) tt_log(TT_LOG_INFO, "%s %s", r->method, r->path);
    return ret;
}

static int on_refuse(tt_httpd_req *r, unsigned status, const char *message)
{
    return send_error(r, status, status == 413 ? "the request is too large" : message);
}

/* Stream readers wake at least every 200 ms and end when they see this. */
static void on_stop(void *user)
{
    arena_web *w = user;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* ---- start and stop ----------------------------------------------------------- */

static void web_free(arena_web *w)
{
    for (int i = 0; i < WEB_BUCKETS; i++)
        while (w->table[i]) {
            web_battle *bt = w->table[i];
            w->table[i] = bt->next;
            battle_free(bt);
        }
    for (int i = 0; i < WEB_RATE_BUCKETS; i++)
        while (w->rates[i]) {
            rate_entry *n = w->rates[i]->next;
            free(w->rates[i]);
            w->rates[i] = n;
        }
    arena_match_models_close(w->models, w->n_models);
    for (int i = 0; i < 3; i++) free(w->lb[i].json);
    free(w->names);
    free(w->counts);
    free(w->host);
    arena_prompts_free(&w->prompts);
    store_close(w->st);
    if (w->urandom_fd >= 0) close(w->urandom_fd);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->db_mu);
    pthread_mutex_destroy(&w->lb_mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int arena_web_start(const arena_web_opts *o, arena_web **out, char *err)
{
    *out = NULL;
    if (o->n_models < 2) return tt_fail(err, TT_ERR_USAGE, "the arena needs at least two models (--model)");
    if (!o->db_path) return tt_fail(err, TT_ERR_USAGE, "no database given");
    if (o->max_prompt_bytes == 0 || o->max_active < 1 || o->max_held < 1 || o->max_held_bytes == 0)
        return tt_fail(err, TT_ERR_USAGE, "prompt limit, concurrent battles and held battles must be at least 1");
    arena_web *w = tt_calloc(1, sizeof *w);
    w->o = *o;
    w->host = tt_strdup(o->host ? o->host : "127.0.0.1");
    w->o.host = w->host;
    w->o.models = NULL;
    w->o.prompts_path = NULL;
    w->o.db_path = NULL;
    w->o.registry_path = NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->db_mu, NULL);
    pthread_mutex_init(&w->lb_mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->urandom_fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (w->urandom_fd < 0) {
        web_free(w);
        return tt_fail(err, TT_ERR_IO, "cannot open '/dev/urandom': %s", strerror(errno));
    }
    uint64_t seed = o->seed;
    if (!seed) random_bytes(w, (unsigned char *)&seed, sizeof seed);
    tt_rng_seed(&w->rng, seed);

    int rc = TT_OK;
    rc = arena_match_models_open(o->models, o->n_models, o->registry_path, &w->models, err);
    if (rc == TT_OK) {
        w->n_models = o->n_models;
        w->names = tt_calloc((size_t)o->n_models, sizeof *w->names);
        for (int i = 0; i < w->n_models; i++) w->names[i] = w->models[i].name;
    }
    if (rc == TT_OK && o->prompts_path) {
        rc = arena_prompts_load(o->prompts_path, &w->prompts, err);
        w->has_prompts = rc == TT_OK;
    }
    if (rc == TT_OK) rc = store_open(o->db_path, &w->st, err);
    if (rc == TT_OK) {
        w->counts = tt_calloc((size_t)w->n_models * (size_t)w->n_models, sizeof *w->counts);
        rc = arena_match_load_counts(w->st, w->names, w->n_models, w->counts, err);
    }
    if (rc != TT_OK) {
        web_free(w);
        return rc;
    }
    w->last_sweep = tt_now_s();

    tt_httpd_config hc = {
        .host = w->host, .port = o->port, .max_body = max_body(w), .max_connections = 512, .idle_timeout_s = 120,
        .allow_hosts = o->allow_hosts,
        .json_flags = JSON_COMPACT, .headers = common_headers, .handle = on_request, .refuse = on_refuse,
        .on_stop = on_stop, .user = w,
    };
    rc = tt_httpd_start(&hc, &w->http, err);
    if (rc != TT_OK) {
        web_free(w);
        return rc;
    }
    w->port = tt_httpd_port(w->http);
    *out = w;
    return TT_OK;
}

void arena_web_stop(arena_web *w)
{
    if (!w) return;
    tt_httpd_stop(w->http);   /* on_stop first, then every connection's thread */
    pthread_mutex_lock(&w->mu);
    while (w->threads > 0) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    web_free(w);
}
