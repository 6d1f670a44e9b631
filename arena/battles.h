/*
 * battles.h — the arena's battle list: who met whom, who won, when, and
 * what the ratings need to know about the conversation (turns, language
 * and topic, style counts, reasons to drop the battle).
 *
 * A battle is one pairwise comparison (model_a vs model_b) with a verdict in
 * Chatbot Arena's vocabulary: "model_a", "model_b", "tie", "tie (bothbad)".
 * This module reads and writes Chatbot Arena's published battle format (JSON
 * Lines or one JSON array of objects; unknown fields are ignored) and moves
 * battles in and out of the store's `battles` table (store/battles.h).
 * The rating code (rows.h, elo.h, bt.h, bootstrap.h, matrix.h, style.h)
 * works on the numeric form built by rows.h; cleaning and categories are in
 * clean.h; the CLI (cli/cmd_ratings.c, cli/cmd_arena.c), the web arena and
 * the report call the loaders here.
 *
 * Strings (names, sources, judges) are interned: every battle of a list
 * points into one pool the list owns, so a million battles among twenty
 * models hold twenty names, and equal names are equal pointers
 * (rows.c relies on that).
 *
 * Reading a file (battles_read.c): the file is mapped and parsed by a
 * reader written for battle records (no JSON library per line), JSON
 * Lines in parallel chunks on core/pool.h; conversations, when a record
 * has them, are handed to arena/conv.h. Fields read:
 *   model_a, model_b, winner (required); tstamp; source, judge (strings or
 *   null); anony (false marks the battle not anonymous); language
 *   ("English"/"en" -> en, "Chinese"/"zh" -> zh, other names -> other);
 *   turn; categories (array of names, conv.h); is_code; category_tag
 *   (Chatbot Arena's labels: criteria_v0.1 with at least 6 of its 7
 *   criteria true -> hard, math_v0.1.math -> math); conv_metadata (style
 *   counts: sum_assistant_{a,b}_tokens, header_count_{a,b},
 *   list_count_{a,b}, bold_count_{a,b}, each a number or an object whose
 *   values are summed; sum_user_tokens); conversation_a, conversation_b
 *   (OpenAI-style message arrays, analysed by conv.h for what the fields
 *   above do not give, and for identity words, errors and unfinished
 *   answers). Anything else is ignored.
 */
#ifndef TIANTI_ARENA_BATTLES_H
#define TIANTI_ARENA_BATTLES_H

#include <stddef.h>
#include <stdio.h>

#include "arena/conv.h"
#include "judges/winner.h"
#include "store/store.h"

typedef struct arena_battle {
    const char *model_a;     /* interned, never NULL */
    const char *model_b;     /* interned, never NULL, differs from model_a */
    judge_winner winner;
    double tstamp;           /* seconds since the epoch; 0 when the input had none */
    const char *source;      /* interned or NULL: 'human', 'judge:<spec>', 'import' */
    const char *judge;       /* interned or NULL: voter or judge id */
    int turns;               /* user turns; 0 when unknown */
    unsigned cats;           /* ARENA_CAT_* (conv.h); language bits may be 0 when unknown */
    unsigned bad;            /* ARENA_BAD_* (conv.h): reasons cleaning drops it */
    int has_style;           /* style counts in the list's style array */
} arena_battle;

typedef struct arena_strpool arena_strpool;

/* A growable list of battles; owns its string pool and arrays. */
typedef struct arena_battles {
    arena_battle *v;
    size_t n, cap;
    double *style;           /* NULL, or [cap * 2 * ARENA_STYLE_N]: battle i's counts for
                                A then B at style + i * 2 * ARENA_STYLE_N (has_style) */
    char **text;             /* NULL, or [cap * 2]: conversation_a/b JSON kept by
                                arena_read_opts.keep_text (owned; NULL when absent) */
    arena_strpool *pool;
} arena_battles;

/* Which battles to rate, by their `source` (arena_battles_filter_source,
 * arena_battles_load_db). Battles without a source count as 'import'. */
typedef enum arena_source {
    ARENA_SOURCE_ALL = 0,    /* every rated battle */
    ARENA_SOURCE_HUMAN,      /* source = 'human' */
    ARENA_SOURCE_JUDGE       /* source LIKE 'judge:%' */
} arena_source;

void arena_battles_init(arena_battles *l);
void arena_battles_free(arena_battles *l);          /* NULL is fine; l is reset */

/* Makes room for n battles in all (no copying while they are appended). */
void arena_battles_reserve(arena_battles *l, size_t n);
/* A block of bytes for a big array (free with free()): on huge pages when
 * it is large and the kernel lends them on request. */
void *arena_big_alloc(size_t bytes);

/* Interns s in l's pool (NULL stays NULL). */
const char *arena_battles_intern(arena_battles *l, const char *s);
const char *arena_battles_intern_n(arena_battles *l, const char *s, size_t n);

/* Appends a battle, interning every string (source and judge may be NULL);
 * turns, cats, bad and style start empty. Returns the new battle (valid
 * until the next append). */
arena_battle *arena_battles_add(arena_battles *l, const char *model_a, const char *model_b,
                                judge_winner winner, double tstamp, const char *source, const char *judge);
/* Sets battle i's style counts: s[0..3] for A, s[4..7] for B. */
void arena_battles_set_style(arena_battles *l, size_t i, const double s[2 * ARENA_STYLE_N]);
/* Battle i's style counts, or NULL when it has none. */
const double *arena_battles_style(const arena_battles *l, size_t i);
/* Gives every battle without a source this one. */
void arena_battles_set_default_source(arena_battles *l, const char *source);

/* Keeps the battles with keep[i] != 0, in order (with their style and text). */
void arena_battles_keep(arena_battles *l, const unsigned char *keep);

/* Parses "all" / "human" / "judge"; TT_OK or TT_ERR_USAGE with a message. */
int arena_source_parse(const char *s, arena_source *out, char *err);
/* 1 when a battle with this source (NULL = 'import') passes the filter. */
int arena_source_match(arena_source f, const char *source);

/* How battles are read. */
typedef struct arena_read_opts {
    const arena_words *identity;   /* identity words for conversations; NULL = conv.h's list */
    int threads;                   /* parse threads; 0 = all CPUs */
    int keep_text;                 /* keep conversation_a/b JSON in l->text (for import) */
} arena_read_opts;

/* Appends the battles in text (JSON Lines, or a JSON array when the first
 * non-blank byte is '['). name labels error messages (a file name).
 * Required fields: model_a, model_b (different non-empty strings), winner (one
 * of the four names); the others are described above. Returns TT_OK, or
 * TT_ERR_PARSE with "<name>:<line>: ..." (JSON Lines) or "<name>: record <i>:
 * ..." (array, 0-based) naming the field, "<name>:<line>: invalid JSON: ..."
 * for bad syntax; on error out keeps the battles appended before.
 * opts may be NULL (defaults). */
int arena_battles_parse(arena_battles *out, const char *text, size_t len,
                        const char *name, char *err);
int arena_battles_parse_opts(arena_battles *out, const char *text, size_t len, const char *name,
                             const arena_read_opts *opts, char *err);
/* Reads path (mapped into memory) and parses it as above. TT_ERR_IO when
 * unreadable. */
int arena_battles_read_file(arena_battles *out, const char *path, char *err);
int arena_battles_read_file_opts(arena_battles *out, const char *path, const arena_read_opts *opts, char *err);

/* Writes the list as JSON Lines (model_a, model_b, winner, tstamp, and
 * source, judge, turn, language, categories and conv_metadata when known).
 * arena_battles_write_file writes to a path. */
int arena_battles_write(const arena_battles *l, FILE *f, char *err);
int arena_battles_write_file(const arena_battles *l, const char *path, char *err);

/* Keeps only the battles whose source passes the filter (in place). */
void arena_battles_filter_source(arena_battles *l, arena_source f);

/* Sorts by tstamp, keeping input order among equal stamps (stable). */
void arena_battles_sort(arena_battles *l);

/* Appends the rated battles in the store: winner NOT NULL and flags NULL,
 * filtered by source, in (tstamp, id) order (store_battles_each), with
 * their stored turns, language, categories and style. TT_OK, TT_ERR_STORE
 * with the database's message, or TT_ERR_STORE naming a row the arena
 * cannot rate (unknown winner, a model against itself). */
int arena_battles_load_db(store *s, arena_source f, arena_battles *out, char *err);

/* What the store loader does beyond arena_battles_load_db. */
typedef struct arena_load_opts {
    int with_flagged;              /* also battles stored with flags, marked bad
                                      (identity_leak -> IDENTITY, engine_error ->
                                      ERROR, anything else -> FLAGGED) */
    int analyse;                   /* read the conversations (conv.h) for identity
                                      words, errors, categories and style */
    const arena_words *identity;   /* for analyse; NULL = conv.h's list */
} arena_load_opts;
int arena_battles_load_db_opts(store *s, arena_source f, const arena_load_opts *o, arena_battles *out, char *err);

/* Inserts every battle (source NULL becomes 'import') in one transaction
 * (store_battles_put_each), with turns, language, categories, style and,
 * when kept, the conversations; on failure nothing is stored. Must not be
 * called inside an open transaction. */
int arena_battles_insert_db(store *s, const arena_battles *l, char *err);

/* Style counts as stored in battles.style_json and written in battle files:
 * FastChat's conv_metadata names. Caller frees. */
char *arena_style_json(const double s[2 * ARENA_STYLE_N]);
/* Reads conv_metadata-shaped JSON into s; 1 when all eight counts were
 * there, else 0 (s untouched). */
int arena_style_from_json(const char *json, double s[2 * ARENA_STYLE_N]);

#endif
