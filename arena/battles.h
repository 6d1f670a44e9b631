/*
 * battles.h — the arena's battle list: who met whom, who won, when.
 *
 * A battle is one pairwise comparison (model_a vs model_b) with a verdict in
 * Chatbot Arena's vocabulary: "model_a", "model_b", "tie", "tie (bothbad)".
 * This module reads and writes Chatbot Arena's published battle format (JSON
 * Lines or one JSON array of objects; unknown fields are ignored) and moves
 * battles in and out of the store's `battles` table (store/battles.h).
 * The rating code (rows.h, elo.h, bt.h, bootstrap.h, matrix.h) works on the
 * numeric form built by rows.h; the CLI (cli/cmd_ratings.c, cli/cmd_arena.c)
 * and the web arena call the loaders here.
 */
#ifndef TIANTI_ARENA_BATTLES_H
#define TIANTI_ARENA_BATTLES_H

#include <stddef.h>
#include <stdio.h>

#include "judges/winner.h"
#include "store/store.h"


typedef struct arena_battle {
    char *model_a;           /* owned, never NULL */
    char *model_b;           /* owned, never NULL, differs from model_a */
    judge_winner winner;
    double tstamp;           /* seconds since the epoch; 0 when the input had none */
    char *source;            /* owned or NULL: 'human', 'judge:<spec>', 'import' */
    char *judge;             /* owned or NULL: voter or judge id */
} arena_battle;

/* A growable list of battles; owns every string in it. */
typedef struct arena_battles {
    arena_battle *v;
    size_t n, cap;
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

/* Appends a battle, copying every string (source and judge may be NULL). */
void arena_battles_add(arena_battles *l, const char *model_a, const char *model_b,
                       judge_winner winner, double tstamp, const char *source,
                       const char *judge);

/* Parses "all" / "human" / "judge"; TT_OK or TT_ERR_USAGE with a message. */
int arena_source_parse(const char *s, arena_source *out, char *err);
/* 1 when a battle with this source (NULL = 'import') passes the filter. */
int arena_source_match(arena_source f, const char *source);

/* Appends the battles in text (JSON Lines, or a JSON array when the first
 * non-blank byte is '['). name labels error messages (a file name).
 * Required fields: model_a, model_b (different non-empty strings), winner (one
 * of the four names). Optional: tstamp (number), source, judge (strings or
 * null); anything else is ignored. Returns TT_OK, or TT_ERR_PARSE with
 * "<name>:<line>: ..." (JSON Lines) or "<name>: record <i>: ..." (array,
 * 0-based) naming the field; on error out keeps the battles appended before. */
int arena_battles_parse(arena_battles *out, const char *text, size_t len,
                        const char *name, char *err);
/* Reads path and parses it as above. TT_ERR_IO when unreadable. */
int arena_battles_read_file(arena_battles *out, const char *path, char *err);

/* Writes the list as JSON Lines (model_a, model_b, winner, tstamp, and source
 * and judge when set). arena_battles_write_file writes to a path. */
int arena_battles_write(const arena_battles *l, FILE *f, char *err);
int arena_battles_write_file(const arena_battles *l, const char *path, char *err);

/* Keeps only the battles whose source passes the filter (in place). */
void arena_battles_filter_source(arena_battles *l, arena_source f);

/* Sorts by tstamp, keeping input order among equal stamps (stable). */
void arena_battles_sort(arena_battles *l);

/* Appends the rated battles in the store: winner NOT NULL and flags NULL,
 * filtered by source, in (tstamp, id) order (store_battles_each). TT_OK,
 * TT_ERR_STORE with the database's message, or TT_ERR_STORE naming a row
 * the arena cannot rate (unknown winner, a model against itself). */
int arena_battles_load_db(store *s, arena_source f, arena_battles *out, char *err);

/* Inserts every battle (source NULL becomes 'import') in one transaction
 * (store_battles_put_each); on failure nothing is stored. Must not be called
 * inside an open transaction. */
int arena_battles_insert_db(store *s, const arena_battles *l, char *err);

#endif
