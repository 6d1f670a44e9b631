/*
 * battles.h — arena battles in the store: votes from the web arena and
 * judged battles (one at a time, store_battle_put), imported battle files
 * (many at once, store_battles_put), and the reads the rating code, the
 * arena's pair sampler and the report need.
 *
 * The store speaks in plain rows: the winner is the text stored in the
 * `winner` column ('model_a', 'model_b', 'tie', 'tie (bothbad)' or NULL
 * while undecided); arena/ converts to and from its own battle list.
 *
 * Once-only votes: a battle handed to a voter carries a session token
 * (stored hashed by the caller). A token is stored at most once; a second
 * put with the same token writes nothing and returns TT_ERR_USAGE, which
 * the web arena turns into "already voted".
 */
#ifndef TIANTI_STORE_BATTLES_H
#define TIANTI_STORE_BATTLES_H

#include "store/types.h"

/* One battle to store, every column of `battles`. Strings borrowed; NULL
 * is stored as NULL, except source, which defaults to 'import'. */
typedef struct store_battle {
    const char *model_a, *model_b;
    const char *winner;            /* 'model_a', 'model_b', 'tie', 'tie (bothbad)', or NULL */
    double tstamp;                 /* seconds since the epoch */
    const char *source;            /* 'human', 'judge:<spec>', 'import' (NULL) */
    const char *judge;             /* voter or judge id */
    const char *prompt;
    const char *conversation_a, *conversation_b;   /* JSON messages */
    const char *voter_id;
    const char *session_token;     /* NULL for imports and judged battles */
    const char *flags;             /* NULL when the battle is rated */
    const char *extra_json;
    store_opt_int turns;           /* user turns of the conversation */
    const char *language;          /* 'en', 'zh', 'other' */
    const char *categories;        /* comma list: code,math,long,multiturn,hard */
    const char *style_json;        /* style counts per side (FastChat conv_metadata names) */
} store_battle;

/* Stores one battle as one statement (atomic on its own; may also be called
 * inside store_begin()). *id (may be NULL) gets the new row's id. TT_OK;
 * TT_ERR_USAGE "battle already stored" when its session_token is already
 * stored (nothing written); TT_ERR_STORE otherwise. */
int store_battle_put(store *s, const store_battle *b, int64_t *id, char *err);

/* Stores n battles in one transaction: all or none. A session token that
 * is already stored (or repeats in v) refuses the whole batch with
 * TT_ERR_USAGE naming the battle's index. Must not be called inside
 * store_begin(). */
int store_battles_put(store *s, const store_battle *v, size_t n, char *err);

/* The same for a batch that is not an array of store_battle (an import of
 * millions of battles kept in another form): get fills *out with battle i,
 * for i = 0 .. n-1 in order; its strings must stay valid until the next
 * call. */
typedef void (*store_battle_get_fn)(void *ctx, size_t i, store_battle *out);
int store_battles_put_each(store *s, size_t n, store_battle_get_fn get, void *ctx, char *err);

/* Which rated battles to read, by source. */
typedef enum store_battle_source {
    STORE_BATTLES_ALL = 0,      /* every rated battle */
    STORE_BATTLES_HUMAN,        /* source = 'human' */
    STORE_BATTLES_JUDGE         /* source starts with 'judge:' */
} store_battle_source;

/* A battle as read back: the columns rating needs (conversations and
 * voter only with STORE_SCAN_TEXT, NULL otherwise). */
typedef struct store_rated_battle {
    int64_t id;
    const char *model_a, *model_b, *winner;
    double tstamp;
    const char *source, *judge;
    const char *flags;                          /* NULL unless STORE_SCAN_FLAGGED */
    store_opt_int turns;
    const char *language, *categories, *style_json;
    const char *conversation_a, *conversation_b, *voter_id;
} store_rated_battle;

typedef int (*store_rated_battle_fn)(void *ctx, const store_rated_battle *b, char *err);

/* Visits the rated battles (winner not NULL, flags NULL) that pass the
 * source filter, in (tstamp, id) order. */
int store_battles_each(store *s, store_battle_source f, store_rated_battle_fn fn, void *ctx, char *err);

/* What store_battles_scan reads beyond store_battles_each. */
enum {
    STORE_SCAN_FLAGGED = 1,   /* also decided battles with flags (winner not NULL) */
    STORE_SCAN_TEXT = 2       /* also conversation_a, conversation_b, voter_id */
};
int store_battles_scan(store *s, store_battle_source f, unsigned what, store_rated_battle_fn fn, void *ctx,
                       char *err);

/* Sets the categories column of battle id (the judge's "hard" label is
 * added this way, tianti arena tag). */
int store_battle_set_categories(store *s, int64_t id, const char *categories, char *err);

/* How many decided battles (winner not NULL, flagged or not) each ordered
 * pair (model_a, model_b) has. */
typedef struct store_pair_count {
    const char *model_a, *model_b;
    int64_t n;
} store_pair_count;

typedef int (*store_pair_count_fn)(void *ctx, const store_pair_count *c, char *err);

/* Visits one row per ordered pair with decided battles, in no set order. */
int store_battle_counts(store *s, store_pair_count_fn fn, void *ctx, char *err);

/* Totals over the whole table. */
typedef struct store_battle_tally {
    int64_t total;              /* rows */
    int64_t votes;              /* distinct session tokens (web votes) */
    int64_t flagged;            /* flags not NULL (kept, never rated) */
    int64_t unvoted;            /* flags NULL and winner NULL */
} store_battle_tally;

int store_battles_tally(store *s, store_battle_tally *out, char *err);

#endif
