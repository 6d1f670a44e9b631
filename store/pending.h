/*
 * pending.h — battles of the web arena that are answered but not yet voted
 * on, kept in the store so that any `tianti arena serve` process on the
 * same store (several behind a load balancer, docs/scale.md) can take the
 * vote, not only the one that ran the battle.
 *
 * A battle is written here once both answers of a turn are finished, with
 * the sha256 of its secret token, and written again after every later turn
 * (a multi-turn battle: the conversations so far); a vote takes it from
 * here (arena/web.c) and stores the battle through store_battle_put, whose
 * UNIQUE session_token keeps the vote once-only across processes. Rows are
 * removed after the vote, and expire after the arena's time to live.
 *
 * The moderation log (store_moderation_put) keeps the prompts the arena's
 * moderation refused, so that they are recorded without reaching a model.
 */
#ifndef TIANTI_STORE_PENDING_H
#define TIANTI_STORE_PENDING_H

#include "store/types.h"

typedef struct store_pending_battle {
    const char *id;                 /* the battle's public id */
    const char *token_hash;         /* sha256 hex of its secret token */
    const char *model_a, *model_b;  /* display names */
    const char *spec_a, *spec_b;
    const char *prompt;
    const char *answer_a, *answer_b;   /* NULL: that side failed */
    double latency_a, latency_b;       /* seconds; NaN: unknown */
    const char *voter_id;
    double tstamp;                     /* seconds since the epoch, when finished */
    const char *conversation_a;        /* every turn so far (JSON messages), or NULL: */
    const char *conversation_b;        /*   one turn, prompt + answer_a / answer_b */
    int turns;                         /* 0 when unknown (one turn) */
} store_pending_battle;

/* Stores a finished turn of a battle (one statement; a later put of the
 * same id replaces the answers, conversations, turns and time: the battle
 * went on). */
int store_pending_put(store *s, const store_pending_battle *p, char *err);

/* Reads battle id; the strings of *out are owned (free with
 * store_pending_free). TT_ERR_NOTFOUND when there is none. */
int store_pending_get(store *s, const char *id, store_pending_battle *out, char *err);
void store_pending_free(store_pending_battle *p);

/* Removes battle id (no error when it is gone). */
int store_pending_delete(store *s, const char *id, char *err);
/* Removes the battles finished before tstamp; *n (may be NULL) how many. */
int store_pending_expire(store *s, double before, int64_t *n, char *err);

/* A prompt the moderation refused. */
typedef struct store_moderation {
    double tstamp;
    const char *voter_id;
    const char *battle_id;             /* a follow-up turn's battle, or NULL */
    int turn;                          /* 1 for a battle's first prompt */
    const char *prompt;
    const char *moderator;             /* the moderation engine's spec */
    const char *categories_json;       /* what it flagged, or NULL */
} store_moderation;

int store_moderation_put(store *s, const store_moderation *m, char *err);

/* *stored = 1 when a battle with this session token (a vote) is stored. */
int store_battle_token_stored(store *s, const char *session_token, int *stored, char *err);

#endif
