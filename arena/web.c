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
#include "arena/clean.h"
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
#define WEB_MAX_REGENERATE 10         /* regenerations of one turn */
#define WEB_N_CATS 9                  /* leaderboard tabs: all and the eight categories of arena/conv.h */

/* The leaderboard's category tabs, in order. */
static const unsigned web_cats[WEB_N_CATS] = {0, ARENA_CAT_EN, ARENA_CAT_ZH, ARENA_CAT_OTHER_LANG, ARENA_CAT_CODE,
                                              ARENA_CAT_MATH, ARENA_CAT_LONG, ARENA_CAT_MULTITURN, ARENA_CAT_HARD};

/* The events of one generation (a turn, or its regeneration): the NDJSON
 * lines its stream sends. A stream holds its generation's events, so that
 * a stream still reading one turn never sees the next. */
typedef struct web_events {
    tt_buf buf;
    int finished;                 /* "end" written */
    int refs;                     /* the battle while current + streams */
} web_events;

/* One turn of a battle: the prompt and both answers. */
typedef struct web_turn {
    char *prompt;
    char *answer[2];              /* NULL: that side failed */
    double latency[2];
} web_turn;

typedef struct web_battle {
    struct web_battle *next;      /* hash chain */
    char id[33];                  /* public id (hex of 16 random bytes) */
    char token_hash[65];          /* sha256 hex of the secret token */
    int a, b;                     /* model indices */
    char voter[24];               /* anonymous voter id */
    double tstamp;                /* wall clock at creation */
    double created;               /* monotonic, at the last turn: the time to live runs from it */
    web_turn *turns;              /* [n_turns]; the last one is the one generating or just done */
    int n_turns, cap_turns;
    int regenerations;            /* of the last turn */
    tt_buf answer[2];             /* the last turn, raw bytes while streaming, clean UTF-8 once done */
    size_t emitted[2];            /* bytes of answer[] already sent as events */
    int done[2], failed[2];
    double latency[2];
    int finished;                 /* the last turn's answers are done and "end" written */
    web_events *ev;               /* the current generation's events */
    int voting, voted;
    int refs;                     /* table + generation threads */
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
    engine *mod;                  /* the moderation engine, or NULL */
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
    lb_cache lb[3][WEB_N_CATS][2]; /* by arena_source, category tab, style control */
};

typedef struct web_stream {
    arena_web *w;
    web_events *ev;
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
    o->max_turns = 50;
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

static web_events *events_new(void)
{
    web_events *ev = tt_calloc(1, sizeof *ev);
    tt_buf_init(&ev->buf);
    ev->refs = 1;
    return ev;
}

/* With w->mu held. */
static void events_unref_locked(web_events *ev)
{
    if (ev && --ev->refs == 0) {
        tt_buf_free(&ev->buf);
        free(ev);
    }
}

static void turns_free(web_battle *bt)
{
    for (int i = 0; i < bt->n_turns; i++) {
        free(bt->turns[i].prompt);
        free(bt->turns[i].answer[0]);
        free(bt->turns[i].answer[1]);
    }
    free(bt->turns);
    bt->turns = NULL;
    bt->n_turns = bt->cap_turns = 0;
}

static void battle_free(web_battle *bt)
{
    turns_free(bt);
    tt_buf_free(&bt->answer[0]);
    tt_buf_free(&bt->answer[1]);
    events_unref_locked(bt->ev);
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
    size_t n = sizeof *bt + (size_t)bt->cap_turns * sizeof *bt->turns + bt->answer[0].cap + bt->answer[1].cap +
               (bt->ev ? bt->ev->buf.cap : 0);
    for (int i = 0; i < bt->n_turns; i++) {
        const web_turn *t = &bt->turns[i];
        n += (t->prompt ? strlen(t->prompt) + 1 : 0) + (t->answer[0] ? strlen(t->answer[0]) + 1 : 0) +
             (t->answer[1] ? strlen(t->answer[1]) + 1 : 0);
    }
    return n;
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

/* Moves bt to the young end of the creation list: a new turn restarts its
 * time to live, and sweep_locked relies on the list being in that order.
 * With w->mu held. */
static void relink_newest_locked(arena_web *w, web_battle *bt)
{
    if (!bt->in_table || w->newest == bt) return;
    if (bt->older) bt->older->newer = bt->newer;
    else w->oldest = bt->newer;
    if (bt->newer) bt->newer->older = bt->older;
    bt->older = w->newest;
    bt->newer = NULL;
    if (w->newest) w->newest->newer = bt;
    else w->oldest = bt;
    w->newest = bt;
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
    tt_buf_puts(&bt->ev->buf, s);
    tt_buf_append(&bt->ev->buf, "\n", 1);
    free(s);
}

/* Appends a turn with this prompt; with w->mu held. */
static void turn_add_locked(web_battle *bt, const char *prompt, size_t len)
{
    if (bt->n_turns == bt->cap_turns) {
        bt->cap_turns = bt->cap_turns ? bt->cap_turns * 2 : 4;
        bt->turns = tt_realloc(bt->turns, (size_t)bt->cap_turns * sizeof *bt->turns);
    }
    web_turn *t = &bt->turns[bt->n_turns++];
    memset(t, 0, sizeof *t);
    t->prompt = tt_strndup(prompt, len);
}

/* Marks one side of bt's last turn finished (failed or not, with its final
 * text), ends the turn when both sides are done (its answers go into
 * bt->turns), and drops the generation thread's reference; with w->mu held. */
static void side_done_locked(arena_web *w, web_battle *bt, int side, int failed, const char *text)
{
    bt->failed[side] = failed;
    bt->done[side] = 1;
    event_locked(bt, json_pack("{s:s,s:s,s:b,s:s}", "type", "done", "side", side ? "b" : "a", "failed", failed,
                               "text", text));
    if (bt->done[0] && bt->done[1]) {
        web_turn *t = &bt->turns[bt->n_turns - 1];
        for (int s = 0; s < 2; s++) {
            free(t->answer[s]);
            t->answer[s] = bt->failed[s] ? NULL : tt_strdup(tt_buf_str(&bt->answer[s]));
            t->latency[s] = bt->latency[s];
        }
        event_locked(bt, json_pack("{s:s,s:i}", "type", "end", "turn", bt->n_turns));
        bt->ev->finished = 1;
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

/* The answers of side s, turn by turn, with the last turn's from the
 * stream buffers (fail: that side failed); borrowed strings. */
static const char **side_answers_locked(web_battle *bt, int side, int fail)
{
    const char **v = tt_calloc((size_t)bt->n_turns, sizeof *v);
    for (int i = 0; i + 1 < bt->n_turns; i++) v[i] = bt->turns[i].answer[side];
    v[bt->n_turns - 1] = fail ? NULL : tt_buf_str(&bt->answer[side]);
    return v;
}

/* A copy of battle bt for the store as its last side of the last turn
 * finishes; side is that side, failed its outcome. With w->mu held. */
static store_pending_battle *pending_snapshot_locked(arena_web *w, web_battle *bt, int side, int failed)
{
    store_pending_battle *p = tt_calloc(1, sizeof *p);
    int fail[2] = {bt->failed[0], bt->failed[1]};
    fail[side] = failed;
    const char **prompts = tt_calloc((size_t)bt->n_turns, sizeof *prompts);
    for (int i = 0; i < bt->n_turns; i++) prompts[i] = bt->turns[i].prompt;
    const char **ans_a = side_answers_locked(bt, 0, fail[0]), **ans_b = side_answers_locked(bt, 1, fail[1]);
    p->id = tt_strdup(bt->id);
    p->token_hash = tt_strdup(bt->token_hash);
    p->model_a = tt_strdup(w->models[bt->a].name);
    p->model_b = tt_strdup(w->models[bt->b].name);
    p->spec_a = tt_strdup(w->models[bt->a].rm.spec);
    p->spec_b = tt_strdup(w->models[bt->b].rm.spec);
    p->prompt = tt_strdup(bt->turns[0].prompt);
    p->answer_a = fail[0] ? NULL : tt_strdup(tt_buf_str(&bt->answer[0]));
    p->answer_b = fail[1] ? NULL : tt_strdup(tt_buf_str(&bt->answer[1]));
    p->latency_a = bt->latency[0];
    p->latency_b = bt->latency[1];
    p->voter_id = tt_strdup(bt->voter);
    p->tstamp = tt_wall_s();
    p->conversation_a = arena_match_conversation_turns_json(prompts, ans_a, bt->n_turns);
    p->conversation_b = arena_match_conversation_turns_json(prompts, ans_b, bt->n_turns);
    p->turns = bt->n_turns;
    free(prompts);
    free(ans_a);
    free(ans_b);
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

/* The conversation one side answers: every earlier turn with that side's
 * answers, then the last prompt. The turns do not change while a
 * generation runs (a new turn or a vote waits for it), so this reads them
 * without the lock. msgs has room for 2 * n_turns - 1 messages. */
static int side_messages(const web_battle *bt, int side, engine_message *msgs)
{
    int n = 0;
    for (int i = 0; i < bt->n_turns; i++) {
        msgs[n++] = (engine_message){.role = "user", .content = bt->turns[i].prompt};
        if (i + 1 < bt->n_turns) msgs[n++] = (engine_message){.role = "assistant", .content = bt->turns[i].answer[side]};
    }
    return n;
}

static void *gen_main(void *arg)
{
    gen_arg *g = arg;
    arena_web *w = g->w;
    web_battle *bt = g->bt;
    arena_model *m = &w->models[g->side ? bt->b : bt->a];
    engine_message *msgs = tt_calloc((size_t)bt->n_turns * 2, sizeof *msgs);
    int n_msgs = side_messages(bt, g->side, msgs);
    engine_request req = {.kind = ENGINE_REQ_CHAT, .messages = msgs, .n_messages = n_msgs};
    tt_buf context;
    tt_buf_init(&context);
    if (!(engine_caps(m->e) & ENGINE_CAP_CHAT)) {
        /* A base model continues the conversation as text, one line per
         * message; its answer ends with the line. */
        for (int i = 0; i < n_msgs; i++) tt_buf_printf(&context, "%s%s", i ? "\n" : "", msgs[i].content ? msgs[i].content : "");
        req.kind = ENGINE_REQ_GENERATE;
        req.context = tt_buf_str(&context);
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
    tt_buf_free(&context);
    free(msgs);
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
    while (s->off >= s->ev->buf.len && !s->ev->finished && !w->stopping) {
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
    if (s->off < s->ev->buf.len) {
        size_t k = s->ev->buf.len - s->off;
        if (k > max) k = max;
        memcpy(buf, s->ev->buf.data + s->off, k);
        s->off += k;
        n = (ssize_t)k;
    } else {
        n = w->stopping && !s->ev->finished ? TT_HTTPD_STREAM_ERROR : TT_HTTPD_STREAM_END;
    }
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void stream_free(void *cls)
{
    web_stream *s = cls;
    pthread_mutex_lock(&s->w->mu);
    events_unref_locked(s->ev);
    pthread_mutex_unlock(&s->w->mu);
    free(s);
}

/* Starts a generation of bt's last turn: fresh answer buffers and events
 * (whose first line is first_event), the two generation threads, and the
 * stream that answers the request. With w->mu held on entry; released. */
static int generate_and_stream(arena_web *w, tt_httpd_req *c, web_battle *bt, json_t *first_event,
                               const char *set_cookie)
{
    for (int s = 0; s < 2; s++) {
        tt_buf_reset(&bt->answer[s]);
        tt_buf_puts(&bt->answer[s], "");
        bt->emitted[s] = 0;
        bt->done[s] = bt->failed[s] = 0;
        bt->latency[s] = NAN;
    }
    bt->finished = 0;
    unhold_locked(w, bt);      /* generating again (a follow-up or regenerated turn) */
    relink_newest_locked(w, bt);
    events_unref_locked(bt->ev);
    bt->ev = events_new();
    event_locked(bt, first_event);
    bt->created = tt_now_s();
    bt->refs += 2;     /* the generation threads */
    bt->ev->refs++;    /* the stream */
    w->active++;
    w->threads += 2;
    web_stream *st = tt_calloc(1, sizeof *st);
    *st = (web_stream){w, bt->ev, 0};
    pthread_mutex_unlock(&w->mu);

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
            side_done_locked(w, bt, side, 1, "");
            pthread_mutex_unlock(&w->mu);
            free(g);
        }
        pthread_attr_destroy(&at);
    }
    const char *const headers[] = {"X-Accel-Buffering", "no", "Set-Cookie", set_cookie, NULL};
    return tt_httpd_stream(c, 200, "application/x-ndjson; charset=utf-8", headers, stream_read, st, stream_free);
}

/* ---- moderation --------------------------------------------------------------- */

/* Asks the moderation engine about text. 0: pass; 1: flagged (recorded in
 * the store, *reply set to the page's message); -1: the moderator failed
 * (*reply set). */
static int moderate(arena_web *w, const char *text, const char *voter, const char *battle_id, int turn,
                    const char **reply)
{
    if (!w->mod) return 0;
    int flagged = 0;
    char *cats = NULL;
    char err[TT_ERR_SIZE];
    if (engine_moderate(w->mod, text, &flagged, &cats, err) != TT_OK) {
        if (!w->o.quiet) tt_log(TT_LOG_INFO, "arena: moderation failed: %s", err);
        *reply = "the moderation service is unavailable; the prompt was not sent";
        return -1;
    }
    if (!flagged) {
        free(cats);
        return 0;
    }
    store_moderation m = {.tstamp = tt_wall_s(), .voter_id = voter, .battle_id = battle_id, .turn = turn,
                          .prompt = text, .moderator = engine_get_spec(w->mod), .categories_json = cats};
    pthread_mutex_lock(&w->db_mu);
    int rc = store_moderation_put(w->st, &m, err);
    pthread_mutex_unlock(&w->db_mu);
    if (rc != TT_OK && !w->o.quiet) tt_log(TT_LOG_INFO, "arena: moderated prompt not recorded: %s", err);
    free(cats);
    *reply = "Your prompt was not sent: it does not pass this arena's content moderation.";
    return 1;
}

static int send_moderated(tt_httpd_req *c, int verdict, const char *reply)
{
    if (verdict < 0) return send_error(c, 503, reply);
    return tt_httpd_send_json(c, 422, json_pack("{s:s,s:b}", "error", reply, "moderated", 1));
}

/* ---- a battle's turns ----------------------------------------------------------- */

/* The prompt of a request body: TT_OK with *prompt and *len, else the
 * status to answer with and *msg. */
static unsigned prompt_of(arena_web *w, json_t *body, const char **prompt, size_t *len, const char **msg, char *buf,
                          size_t bufn)
{
    json_t *jp = json_object_get(body, "prompt");
    if (!json_is_string(jp)) {
        *msg = "expected a JSON object with a string field 'prompt'";
        return 400;
    }
    *len = json_string_length(jp);
    *prompt = json_string_value(jp);
    int blank = 1;
    for (size_t i = 0; i < *len && blank; i++)
        if (!strchr(" \t\r\n", (*prompt)[i])) blank = 0;
    if (blank) {
        *msg = "the prompt is empty";
        return 400;
    }
    if (*len > w->o.max_prompt_bytes) {
        snprintf(buf, bufn, "the prompt is longer than %zu bytes", w->o.max_prompt_bytes);
        *msg = buf;
        return 413;
    }
    return 0;
}

/* Looks battle id up for a request carrying token: NULL with *status and
 * *msg when it may not go on; else the battle, with a reference taken.
 * With w->mu held. */
static web_battle *battle_for_request_locked(arena_web *w, const char *id, const char *token, unsigned *status,
                                             const char **msg)
{
    web_battle *bt = id && is_hex(id, 32) ? battle_find_locked(w, id) : NULL;
    char hash[65];
    if (token) tt_sha256_hex(token, strlen(token), hash);
    *status = 0;
    if (!bt) *status = 404, *msg = "unknown battle (a battle's follow-up turns go to the server that holds it)";
    else if (!token) *status = 403, *msg = "this battle's token is missing";
    else if (!secret_equal(hash, bt->token_hash, 64)) *status = 403, *msg = "wrong token for this battle";
    else if (bt->voted || bt->voting) *status = 409, *msg = "this battle has already been voted on";
    else if (!bt->finished) *status = 409, *msg = "the answers are not finished yet";
    if (*status) return NULL;
    return bt;
}

static int post_battle(arena_web *w, tt_httpd_req *c)
{
    json_error_t je;
    json_t *body = json_loadb(c->body, c->body_len, 0, &je);
    const char *prompt, *msg;
    size_t plen;
    char buf[96];
    unsigned status = prompt_of(w, body, &prompt, &plen, &msg, buf, sizeof buf);
    if (status) {
        json_decref(body);
        return send_error(c, status, msg);
    }
    const char *follow_id = json_string_value(json_object_get(body, "battle"));
    const char *follow_token = json_string_value(json_object_get(body, "token"));
    char *set_cookie = NULL;
    char voter[24];
    voter_of(w, c, voter, &set_cookie);

    if (follow_id) {
        /* a follow-up turn: both models see the whole conversation */
        pthread_mutex_lock(&w->mu);
        web_battle *bt = battle_for_request_locked(w, follow_id, follow_token, &status, &msg);
        int turn = bt ? bt->n_turns + 1 : 0;
        if (bt && bt->n_turns >= w->o.max_turns) {
            status = 409;
            snprintf(buf, sizeof buf, "this battle has reached its limit of %d turns; vote or start a new round",
                     w->o.max_turns);
            msg = buf;
        } else if (bt && (bt->failed[0] || bt->failed[1])) {
            status = 409;
            msg = "a model failed in the last turn; regenerate, vote, or start a new round";
        } else if (bt && (w->stopping || w->active >= w->o.max_active)) {
            status = 503;
            msg = "the arena is busy; try again in a moment";
        }
        if (status) {
            pthread_mutex_unlock(&w->mu);
            json_decref(body);
            free(set_cookie);
            return send_error(c, status, msg);
        }
        bt->refs++;   /* kept while moderation runs without the lock */
        pthread_mutex_unlock(&w->mu);
        const char *reply = NULL;
        int verdict = moderate(w, prompt, bt->voter, bt->id, turn, &reply);
        pthread_mutex_lock(&w->mu);
        if (verdict == 0 && (!bt->in_table || !bt->finished || bt->voted || bt->voting || bt->n_turns + 1 != turn)) {
            status = 409;
            msg = "this battle changed meanwhile; try again";
        } else if (verdict == 0 && (w->stopping || w->active >= w->o.max_active)) {
            status = 503;
            msg = "the arena is busy; try again in a moment";
        }
        if (verdict != 0 || status) {
            battle_unref_locked(bt);
            pthread_mutex_unlock(&w->mu);
            json_decref(body);
            free(set_cookie);
            return verdict ? send_moderated(c, verdict, reply) : send_error(c, status, msg);
        }
        turn_add_locked(bt, prompt, plen);
        bt->regenerations = 0;
        json_decref(body);
        json_t *first = json_pack("{s:s,s:s,s:i}", "type", "battle", "id", bt->id, "turn", bt->n_turns);
        bt->refs--;   /* the generation threads take their own */
        int ret = generate_and_stream(w, c, bt, first, set_cookie);
        free(set_cookie);
        return ret;
    }

    const char *reply = NULL;
    int verdict = moderate(w, prompt, voter, NULL, 1, &reply);
    if (verdict) {
        json_decref(body);
        free(set_cookie);
        return send_moderated(c, verdict, reply);
    }
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
    turn_add_locked(bt, prompt, plen);
    snprintf(bt->voter, sizeof bt->voter, "%s", voter);
    bt->tstamp = tt_wall_s();
    tt_buf_init(&bt->answer[0]);
    tt_buf_init(&bt->answer[1]);
    bt->refs = 1;  /* the table */
    bt->in_table = 1;
    unsigned h = bucket_of(bt->id);
    bt->next = w->table[h];
    w->table[h] = bt;
    bt->older = w->newest;
    if (w->newest) w->newest->newer = bt;
    else w->oldest = bt;
    w->newest = bt;
    w->n_battles++;
    int expire = now - w->last_expire > 60;
    if (expire) w->last_expire = now;
    json_decref(body);
    json_t *first = json_pack("{s:s,s:s,s:s,s:i}", "type", "battle", "id", bt->id, "token", token, "turn", 1);
    memset(token, 0, sizeof token);
    if (expire) {
        /* shared battles nobody voted on within the time to live; the lock
         * is released for the database and taken again */
        pthread_mutex_unlock(&w->mu);
        char xerr[TT_ERR_SIZE];
        pthread_mutex_lock(&w->db_mu);
        if (store_pending_expire(w->st, tt_wall_s() - WEB_TTL_S, NULL, xerr) != TT_OK && !w->o.quiet)
            tt_log(TT_LOG_INFO, "arena: %s", xerr);
        pthread_mutex_unlock(&w->db_mu);
        pthread_mutex_lock(&w->mu);
    }
    int ret = generate_and_stream(w, c, bt, first, set_cookie);
    free(set_cookie);
    return ret;
}

/* POST /api/regenerate: both models answer the last turn again. */
static int post_regenerate(arena_web *w, tt_httpd_req *c)
{
    json_error_t je;
    json_t *body = json_loadb(c->body, c->body_len, 0, &je);
    const char *id = json_string_value(json_object_get(body, "battle"));
    const char *token = json_string_value(json_object_get(body, "token"));
    if (!json_is_object(body) || !id) {
        json_decref(body);
        return send_error(c, 400, "expected {\"battle\": ID, \"token\": TOKEN}");
    }
    unsigned status;
    const char *msg;
    pthread_mutex_lock(&w->mu);
    web_battle *bt = battle_for_request_locked(w, id, token, &status, &msg);
    json_decref(body);
    if (bt && bt->regenerations >= WEB_MAX_REGENERATE) status = 409, msg = "this turn has been regenerated too often";
    else if (bt && (w->stopping || w->active >= w->o.max_active)) status = 503, msg = "the arena is busy; try again in a moment";
    if (status) {
        pthread_mutex_unlock(&w->mu);
        return send_error(c, status, msg);
    }
    bt->regenerations++;
    web_turn *t = &bt->turns[bt->n_turns - 1];
    for (int s = 0; s < 2; s++) {
        free(t->answer[s]);
        t->answer[s] = NULL;
    }
    json_t *first = json_pack("{s:s,s:s,s:i,s:b}", "type", "battle", "id", bt->id, "turn", bt->n_turns, "regenerate", 1);
    return generate_and_stream(w, c, bt, first, NULL);
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
    int n_turns;
    const char *const *prompts;
    const char *const *answers_a, *const *answers_b;   /* NULL entries: that side failed */
    double latency_a, latency_b;                       /* of the last turn */
    const char *voter;
} vote_src;

/* Stores the vote on v (flags for identity leaks and failed sides) and
 * removes the battle from the pending ones. TT_ERR_USAGE: it was voted on
 * already, here or by another process (the UNIQUE session token). */
static int store_vote(arena_web *w, const vote_src *v, const char *winner, int *rated, char *err)
{
    int leak = 0, failed = 0;
    for (int i = 0; i < v->n_turns; i++) {
        leak |= (v->answers_a[i] && arena_match_identity_leak(v->answers_a[i], w->names, w->n_models)) ||
                (v->answers_b[i] && arena_match_identity_leak(v->answers_b[i], w->names, w->n_models));
        failed |= !v->answers_a[i] || !v->answers_b[i];
    }
    const char *flags = leak && failed ? "identity_leak,engine_error" : leak ? "identity_leak" : failed ? "engine_error" : NULL;
    json_t *extra = json_pack("{s:s,s:s,s:s,s:f,s:f}", "battle_id", v->id, "spec_a", v->spec_a ? v->spec_a : "",
                              "spec_b", v->spec_b ? v->spec_b : "", "latency_a", isfinite(v->latency_a) ? v->latency_a : 0.0,
                              "latency_b", isfinite(v->latency_b) ? v->latency_b : 0.0);
    char *extra_s = json_dumps(extra, JSON_COMPACT);
    json_decref(extra);
    arena_match_record rec = {
        .model_a = v->model_a, .model_b = v->model_b, .winner = winner, .tstamp = tt_wall_s(), .source = "human",
        .judge = v->voter, .prompt = v->prompts[0], .answer_a = v->answers_a[0], .answer_b = v->answers_b[0],
        .voter_id = v->voter, .session_token = v->token_hash, .flags = flags, .extra_json = extra_s,
        .n_turns = v->n_turns, .prompts = v->prompts, .answers_a = v->answers_a, .answers_b = v->answers_b,
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

static const char *role_of(json_t *msg)
{
    const char *r = json_string_value(json_object_get(msg, "role"));
    return r ? r : "";
}

/* The turns of a stored pending battle: from its conversations when it
 * has them (one entry per user message; the assistant reply after it, or
 * NULL), else its one prompt and answers. Strings borrowed from p or from
 * the JSON (*keep, caller json_decrefs both). */
static int pending_turns(const store_pending_battle *p, const char ***prompts, const char ***ans_a,
                         const char ***ans_b, json_t **keep_a, json_t **keep_b)
{
    *keep_a = p->conversation_a ? json_loads(p->conversation_a, 0, NULL) : NULL;
    *keep_b = p->conversation_b ? json_loads(p->conversation_b, 0, NULL) : NULL;
    size_t na = json_array_size(*keep_a);
    int n = 0;
    for (size_t i = 0; i < na; i++)
        n += !strcmp(role_of(json_array_get(*keep_a, i)), "user");
    if (n == 0 || !json_is_array(*keep_b)) {
        *prompts = tt_calloc(1, sizeof **prompts);
        *ans_a = tt_calloc(1, sizeof **ans_a);
        *ans_b = tt_calloc(1, sizeof **ans_b);
        (*prompts)[0] = p->prompt;
        (*ans_a)[0] = p->answer_a;
        (*ans_b)[0] = p->answer_b;
        return 1;
    }
    *prompts = tt_calloc((size_t)n, sizeof **prompts);
    *ans_a = tt_calloc((size_t)n, sizeof **ans_a);
    *ans_b = tt_calloc((size_t)n, sizeof **ans_b);
    json_t *convs[2] = {*keep_a, *keep_b};
    const char **answers[2] = {*ans_a, *ans_b};
    for (int s = 0; s < 2; s++) {
        int t = -1;
        for (size_t i = 0; i < json_array_size(convs[s]); i++) {
            json_t *m = json_array_get(convs[s], i);
            const char *role = json_string_value(json_object_get(m, "role"));
            const char *content = json_string_value(json_object_get(m, "content"));
            if (role && !strcmp(role, "user") && t + 1 < n) {
                t++;
                if (s == 0) (*prompts)[t] = content ? content : "";
            } else if (role && !strcmp(role, "assistant") && t >= 0) {
                answers[s][t] = content;
            }
        }
    }
    for (int t = 0; t < n; t++)
        if (!(*prompts)[t]) (*prompts)[t] = "";
    return n;
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
        const char **prompts, **ans_a, **ans_b;
        json_t *ka, *kb;
        int n = pending_turns(&p, &prompts, &ans_a, &ans_b, &ka, &kb);
        vote_src v = {p.id, p.token_hash, p.model_a, p.model_b, p.spec_a, p.spec_b, n, prompts, ans_a, ans_b,
                      p.latency_a, p.latency_b, p.voter_id};
        int rated = 0;
        rc = store_vote(w, &v, winner, &rated, err);
        status = vote_answer(w, c, rc, err, p.model_a, p.model_b, winner, rated);
        free(prompts);
        free(ans_a);
        free(ans_b);
        json_decref(ka);
        json_decref(kb);
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
    unsigned status;
    const char *msg;
    bt = battle_for_request_locked(w, id, token, &status, &msg);
    if (status) {
        pthread_mutex_unlock(&w->mu);
        json_decref(body);
        return send_error(c, status, msg);
    }
    bt->voting = 1;
    bt->refs++;
    pthread_mutex_unlock(&w->mu);
    json_decref(body);

    /* The battle's turns no longer change: read them without the lock. */
    const char *ma = w->models[bt->a].name, *mb = w->models[bt->b].name;
    const char **prompts = tt_calloc((size_t)bt->n_turns, sizeof *prompts);
    const char **ans_a = tt_calloc((size_t)bt->n_turns, sizeof *ans_a);
    const char **ans_b = tt_calloc((size_t)bt->n_turns, sizeof *ans_b);
    for (int i = 0; i < bt->n_turns; i++) {
        prompts[i] = bt->turns[i].prompt;
        ans_a[i] = bt->turns[i].answer[0];
        ans_b[i] = bt->turns[i].answer[1];
    }
    const web_turn *last = &bt->turns[bt->n_turns - 1];
    vote_src v = {bt->id, bt->token_hash, ma, mb, w->models[bt->a].rm.spec, w->models[bt->b].rm.spec, bt->n_turns,
                  prompts, ans_a, ans_b, last->latency[0], last->latency[1], bt->voter};
    char err[TT_ERR_SIZE];
    int rated = 0;
    int rc = store_vote(w, &v, winner, &rated, err);
    free(prompts);
    free(ans_a);
    free(ans_b);

    pthread_mutex_lock(&w->mu);
    bt->voting = 0;
    if (rc == TT_OK || rc == TT_ERR_USAGE) {
        bt->voted = 1;   /* the texts are in the store now; keep only a tombstone */
        unhold_locked(w, bt);
        tt_buf_free(&bt->answer[0]);
        tt_buf_free(&bt->answer[1]);
        turns_free(bt);
        events_unref_locked(bt->ev);
        bt->ev = NULL;
    }
    battle_unref_locked(bt);
    pthread_mutex_unlock(&w->mu);
    return vote_answer(w, c, rc, err, ma, mb, winner, rated);
}

/* ---- leaderboard ------------------------------------------------------------ */

static double finite_or_nan(double v) { return isfinite(v) ? v : NAN; }

/* Leaderboard JSON for a source, category tab and style control (cached a
 * few seconds); caller frees. The battles are cleaned as `tianti ratings`
 * cleans them (arena/clean.h); models under --min-battles are hidden.
 * Votes wait only while the battles are read, not while ratings are
 * fitted. */
static char *leaderboard_json(arena_web *w, arena_source src, const char *src_name, int cat, int style)
{
    pthread_mutex_lock(&w->lb_mu);
    lb_cache *cache = &w->lb[src][cat][style];
    double now = tt_now_s();
    if (cache->json && now - cache->at < WEB_LB_CACHE_S) {
        char *s = tt_strdup(cache->json);
        pthread_mutex_unlock(&w->lb_mu);
        return s;
    }
    char err[TT_ERR_SIZE];
    arena_battles l;
    arena_battles_init(&l);
    json_t *root = json_pack("{s:s,s:i,s:s,s:b,s:i}", "source", src_name, "bootstrap_rounds", w->o.lb_rounds,
                             "category", arena_category_name(web_cats[cat]), "style_control", style, "min_battles",
                             w->o.min_battles);
    json_t *rows = json_array();
    arena_load_opts lo = {.with_flagged = 1, .analyse = 1, .identity = NULL};
    pthread_mutex_lock(&w->db_mu);
    int rc = arena_battles_load_db_opts(w->st, src, &lo, &l, err);
    pthread_mutex_unlock(&w->db_mu);
    arena_clean_opts co;
    arena_clean_opts_default(&co);
    co.category = web_cats[cat];
    arena_clean_report rep;
    memset(&rep, 0, sizeof rep);
    if (rc == TT_OK) rc = arena_clean(&l, &co, &rep, err);
    json_object_set_new(root, "battles", json_integer(rc == TT_OK ? (json_int_t)l.n : 0));
    int hidden = 0;
    if (rc == TT_OK && l.n > 0) {
        arena_lb_opts o;
        arena_lb_opts_default(&o);
        o.rounds = w->o.lb_rounds;
        o.seed = 1;
        o.threads = 1;
        o.style_control = style;
        o.min_battles = w->o.min_battles;
        arena_leaderboard lb;
        memset(&lb, 0, sizeof lb);
        rc = arena_leaderboard_compute(&l, &o, &lb, err);
        hidden = lb.n_hidden;
        for (int i = 0; rc == TT_OK && i < lb.n; i++) {
            const arena_lb_row *r = &lb.rows[i];
            json_t *row = json_pack("{s:i,s:s,s:f,s:I}", "rank", r->rank, "model", r->model, "rating", r->rating,
                                    "battles", (json_int_t)r->battles);
            double lo_ = finite_or_nan(r->lower), hi = finite_or_nan(r->upper);
            json_object_set_new(row, "lower", isnan(lo_) ? json_null() : json_real(lo_));
            json_object_set_new(row, "upper", isnan(hi) ? json_null() : json_real(hi));
            json_array_append_new(rows, row);
        }
        if (rc == TT_OK && lb.style) {
            json_t *coef = json_array();
            for (int k = 0; k < ARENA_STYLE_K; k++)
                json_array_append_new(coef, json_pack("{s:s,s:f}", "feature", arena_style_feature_name(k), "coef",
                                                      lb.coef[k]));
            json_object_set_new(root, "style_coefficients", coef);
        }
        arena_leaderboard_free(&lb);
    }
    if (rc != TT_OK && !w->o.quiet) tt_log(TT_LOG_INFO, "arena: leaderboard: %s", err);
    json_object_set_new(root, "ok", json_boolean(rc == TT_OK));
    json_object_set_new(root, "hidden_models", json_integer(hidden));
    json_object_set_new(root, "dropped", json_integer((json_int_t)(rep.read - rep.kept - rep.category)));
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
    const char *cat_name = tt_httpd_query(c, "category");
    unsigned bit = 0;
    if (cat_name && arena_category_parse(cat_name, &bit, err) != TT_OK)
        return send_error(c, 400, "category must be all, en, zh, other, code, math, long, multiturn or hard");
    int cat = 0;
    while (cat < WEB_N_CATS && web_cats[cat] != bit) cat++;
    const char *style_q = tt_httpd_query(c, "style");
    int style = style_q && !strcmp(style_q, "1");
    char *js = leaderboard_json(w, src, src_name, cat, style);
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
    const char *here_cat = arena_category_name(web_cats[cat]);
    tt_buf_puts(&b, "<p>Battles: ");
    for (int i = 0; i < 3; i++) {
        if (i) tt_buf_puts(&b, " · ");
        if (!strcmp(sources[i], src_name)) tt_buf_printf(&b, "<strong>%s</strong>", sources[i]);
        else tt_buf_printf(&b, "<a href=\"/leaderboard?source=%s&amp;category=%s&amp;style=%d\">%s</a>", sources[i],
                           here_cat, style, sources[i]);
    }
    tt_buf_puts(&b, "</p>\n<nav class=\"tabs\" aria-label=\"Category\"><p>Category: ");
    static const char *const labels[WEB_N_CATS] = {"Overall", "English", "Chinese", "Other languages", "Coding",
                                                   "Math", "Longer query", "Multi-turn", "Hard prompts"};
    for (int i = 0; i < WEB_N_CATS; i++) {
        if (i) tt_buf_puts(&b, " · ");
        if (i == cat) tt_buf_printf(&b, "<strong id=\"tab-%s\">%s</strong>", arena_category_name(web_cats[i]), labels[i]);
        else tt_buf_printf(&b, "<a id=\"tab-%s\" href=\"/leaderboard?source=%s&amp;category=%s&amp;style=%d\">%s</a>",
                           arena_category_name(web_cats[i]), src_name, arena_category_name(web_cats[i]), style, labels[i]);
    }
    tt_buf_printf(&b, "</p><p>Style control: %s</p></nav>\n",
                  style ? "<strong>on</strong>" : "off");
    if (style) tt_buf_printf(&b, "<p><a href=\"/leaderboard?source=%s&amp;category=%s&amp;style=0\">Turn style control off</a></p>\n",
                             src_name, here_cat);
    else tt_buf_printf(&b, "<p><a href=\"/leaderboard?source=%s&amp;category=%s&amp;style=1\">Turn style control on</a> "
                           "(ratings with answer length and markdown held equal)</p>\n", src_name, here_cat);
    json_t *rows = json_object_get(root, "models");
    long n_battles = (long)json_integer_value(json_object_get(root, "battles"));
    if (!json_is_true(json_object_get(root, "ok"))) {
        tt_buf_puts(&b, "<p class=\"error\">The ratings could not be computed.</p>\n");
    } else if (json_array_size(rows) == 0) {
        tt_buf_puts(&b, "<p>No rated battles yet.</p>\n");
    } else {
        tt_buf_printf(&b,
                      "<p>%sBradley–Terry ratings from %ld rated battle%s; 95%% intervals from %d bootstrap rounds; "
                      "rank = 1 + the number of models that are surely better.",
                      style ? "Style-controlled " : "", n_battles, n_battles == 1 ? "" : "s", w->o.lb_rounds);
        long hidden = (long)json_integer_value(json_object_get(root, "hidden_models"));
        if (hidden)
            tt_buf_printf(&b, " %ld model%s with fewer than %d battles %s not shown.", hidden, hidden == 1 ? "" : "s",
                          w->o.min_battles, hidden == 1 ? "is" : "are");
        tt_buf_puts(&b, "</p>\n");
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
        return tt_httpd_send_json(c, 200, json_pack("{s:I,s:I,s:b,s:i,s:i,s:b}", "max_prompt_bytes",
                                                    (json_int_t)w->o.max_prompt_bytes, "max_prompt_chars",
                                                    (json_int_t)w->o.max_prompt_bytes, "has_prompts", w->has_prompts,
                                                    "models", w->n_models, "max_turns", w->o.max_turns, "moderation",
                                                    w->mod != NULL));
    }
    if (!strcmp(url, "/api/prompt")) {
        if (!get) return send_error(c, 405, "method not allowed");
        if (!w->has_prompts) return send_error(c, 404, "this arena has no prompt set");
        pthread_mutex_lock(&w->mu);
        size_t i = (size_t)tt_rng_below(&w->rng, w->prompts.n);
        pthread_mutex_unlock(&w->mu);
        return tt_httpd_send_json(c, 200, json_pack("{s:s}", "prompt", w->prompts.v[i].text));
    }
    if (!strcmp(url, "/api/battle") || !strcmp(url, "/api/vote") || !strcmp(url, "/api/regenerate")) {
        if (!post) return send_error(c, 405, "method not allowed");
        const char *ct = tt_httpd_header(c, "Content-Type");
        if (!tt_httpd_content_type_is_json(ct)) return send_error(c, 415, "send the request as application/json");
        if (!rate_allow(w, c)) return send_error(c, 429, "too many requests; slow down");
        return url[5] == 'b' ? post_battle(w, c) : url[5] == 'v' ? post_vote(w, c) : post_regenerate(w, c);
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

/* Opens the moderation engine (a spec or a registry name) and checks that
 * it can moderate. */
static int open_moderator(const char *what, const char *registry_path, engine **out, char *err)
{
    registry *reg = NULL;
    int rc = registry_load(registry_path ? registry_path : "models.json", registry_path == NULL, &reg, err);
    registry_model rm;
    memset(&rm, 0, sizeof rm);
    if (rc == TT_OK) rc = registry_resolve(reg, what, &rm, err);
    if (rc == TT_OK) rc = engine_open(rm.spec, &rm.options, out, err);
    if (rc == TT_OK && !(engine_caps(*out) & ENGINE_CAP_MODERATE)) {
        rc = tt_fail(err, TT_ERR_UNSUPPORTED, "moderation engine '%s' cannot moderate (an openai: engine can)", rm.spec);
        engine_close(*out);
        *out = NULL;
    }
    registry_model_clear(&rm);
    registry_free(reg);
    return rc;
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
    engine_close(w->mod);
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < WEB_N_CATS; c++)
            for (int k = 0; k < 2; k++) free(w->lb[i][c][k].json);
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
    if (o->max_prompt_bytes == 0 || o->max_active < 1 || o->max_turns < 1 || o->max_held < 1 || o->max_held_bytes == 0)
        return tt_fail(err, TT_ERR_USAGE, "prompt limit, turns, concurrent battles and held battles must be at least 1");
    arena_web *w = tt_calloc(1, sizeof *w);
    w->o = *o;
    w->host = tt_strdup(o->host ? o->host : "127.0.0.1");
    w->o.host = w->host;
    w->o.models = NULL;
    w->o.prompts_path = NULL;
    w->o.db_path = NULL;
    w->o.registry_path = NULL;
    w->o.moderation = NULL;
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
    if (rc == TT_OK && o->moderation) rc = open_moderator(o->moderation, o->registry_path, &w->mod, err);
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
