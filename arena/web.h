/*
 * web.h — the blind voting web arena behind `tianti arena serve`: an HTTP
 * server (libmicrohttpd, a thread per connection) that serves the page
 * (arena/page.h), runs battles between two randomly paired models, streams
 * both answers, takes one vote per battle and stores it (arena/match.h),
 * and shows a read-only leaderboard (arena/leaderboard.h).
 *
 * HTTP API (JSON; errors are {"error": "..."} with fixed texts, never
 * internal messages):
 *   GET  /                 the page (sets the anonymous voter cookie)
 *   GET  /app.js, /app.css its script and style
 *   GET  /leaderboard      ratings with 95% intervals (HTML; ?source=all|human|judge,
 *                          &category=all|en|zh|other|code|math|long|multiturn|hard
 *                          (the tabs), &style=1 style control; battles cleaned as
 *                          `tianti ratings` cleans them, models with fewer than
 *                          min_battles hidden)
 *   GET  /api/leaderboard  the same as JSON
 *   GET  /api/config       {"max_prompt_bytes", "max_prompt_chars", "has_prompts", "models",
 *                           "max_turns", "moderation"}
 *   GET  /api/prompt       {"prompt"} drawn from --prompts (404 without)
 *   POST /api/battle       {"prompt": TEXT} -> 200 application/x-ndjson stream:
 *                          {"type":"battle","id":ID,"token":TOKEN,"turn":1}
 *                          {"type":"token","side":"a"|"b","text":PIECE} ...
 *                          {"type":"done","side":"a"|"b","failed":BOOL,"text":FINAL}
 *                          {"type":"end","turn":N}
 *                          400 bad JSON/empty prompt, 413 prompt too long,
 *                          415 not JSON, 422 {"error","moderated":true} the
 *                          moderation refused the prompt (recorded in
 *                          moderated_prompts, never sent to a model),
 *                          429 rate limit, 503 busy or moderation failing
 *   POST /api/battle       {"battle": ID, "token": TOKEN, "prompt": TEXT}: a
 *                          follow-up turn; both models see the whole
 *                          conversation. The same stream (its first line
 *                          without the token, "turn" N); 403/404 as for a
 *                          vote, 409 voted, still answering, a side failed
 *                          in the last turn, or max_turns reached
 *   POST /api/regenerate   {"battle": ID, "token": TOKEN}: both models answer
 *                          the last turn again (at most 10 times a turn); the
 *                          same stream, first line with "regenerate": true
 *   POST /api/vote         {"battle": ID, "token": TOKEN, "vote": "a"|"b"|"tie"|"bothbad"}
 *                          -> 200 {"model_a","model_b","winner","rated"}; 400 bad
 *                          request, 403 missing/wrong token, 404 unknown battle,
 *                          409 already voted or answers unfinished, 429 rate limit
 *
 * Battles live in memory while they are answered; once both answers of a
 * turn are finished the battle is also written to the store's pending
 * battles, with every turn so far
 * (store/pending.h), so that several `arena serve` processes on one
 * PostgreSQL store, behind a load balancer, each take the votes of battles
 * another ran (docs/scale.md). A vote is one INSERT, in one transaction,
 * with both conversations, models, winner, time, hashed voter id and the
 * sha256 of the battle token as session_token, so the UNIQUE constraint
 * refuses a second vote even across restarts and across processes; the
 * pending row is removed then. The vote keeps both conversations with every
 * turn, the turn count, language, categories and style counts (arena/conv.h)
 * and the voter's pseudonymous id. Unvoted battles expire an hour after
 * their last turn. Identity leaks and engine failures are stored with flags
 * and are not rated. Follow-up turns and regenerations are served by the
 * process that holds the battle in memory (sticky sessions behind a load
 * balancer); votes go to any.
 */
#ifndef TIANTI_ARENA_WEB_H
#define TIANTI_ARENA_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "engines/engine.h"

typedef struct arena_web_opts {
    const char *host;            /* default "127.0.0.1" */
    int port;                    /* default 8080; 0 = any free port (see arena_web_port) */
    const char *db_path;         /* store file */
    const char *const *models;   /* "SPEC", a registry name, or "NAME=..."; at least 2 */
    int n_models;
    const char *registry_path;   /* models.json (NULL: ./models.json if present) */
    const char *prompts_path;    /* task or prompt file for /api/prompt, or NULL */
    size_t max_prompt_bytes;     /* default 30000 */
    double rate_per_min;         /* POSTs per client address per minute; 0 = no limit (default 60) */
    int rate_burst;              /* bucket size (default 20) */
    int max_tokens;              /* per answer (default 512) */
    double temperature;          /* default 0.7 */
    int max_active;              /* battles generating at once (default 8) */
    int max_turns;               /* turns of one battle (default 50, FastChat's CONVERSATION_TURN_LIMIT) */
    const char *moderation;      /* engine spec or registry name that can moderate, or NULL: no moderation */
    int lb_rounds;               /* bootstrap rounds for /leaderboard (default 100) */
    int min_battles;             /* /leaderboard hides models with fewer battles (default 0) */
    uint64_t seed;               /* pair sampling; 0 = from /dev/urandom */
    int quiet;                   /* no access log (TT_LOG_INFO lines, core/log.h) */
    const char *const *allow_hosts; /* Host names answered (core/httpd.h); NULL: the loopback names
                                       when bound to loopback, else any */
    size_t max_held;             /* finished battles awaiting a vote kept in memory (default 10000) */
    size_t max_held_bytes;       /* and their bytes (default 256 MiB); past either, the oldest are
                                    dropped from memory and counted: their votes still go through
                                    the store, where each was shared when finished */
} arena_web_opts;

typedef struct arena_web arena_web;

void arena_web_opts_default(arena_web_opts *o);

/* Opens the models and the store, and starts listening. On success *out
 * is running until arena_web_stop(). TT_ERR_USAGE for bad options (fewer
 * than 2 models, duplicate names, bad host), TT_ERR_IO when the address
 * cannot be bound, engine and store errors as reported. */
int arena_web_start(const arena_web_opts *o, arena_web **out, char *err);
/* The port actually bound. */
int arena_web_port(const arena_web *w);
/* Finished battles awaiting a vote in memory, their bytes, and how many
 * were dropped from memory unvoted (expired or evicted) so far. */
void arena_web_counts(arena_web *w, size_t *held, size_t *held_bytes, unsigned long *expired);
/* Stops listening, waits for running generations, stores nothing more and
 * frees everything. NULL is fine. */
void arena_web_stop(arena_web *w);

#endif
