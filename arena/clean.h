/*
 * clean.h — which battles are rated: Chatbot Arena's cleaning before the
 * ratings (FastChat fastchat/serve/monitor/clean_battle_data.py and
 * elo_analysis.py; docs/ratings.md), and the category filter of the
 * category leaderboards.
 *
 * Rules, in this order; a battle is counted under the first rule that
 * drops it:
 *   1. not anonymous  — the voter saw the names ("anony": false);
 *   2. identity       — a message names a model (conv.h's word list);
 *   3. error          — an answer failed (stored engine_error, a missing
 *                       answer, an error banner);
 *   4. unfinished     — an answer never finished (streaming cursor, no
 *                       final answer);
 *   5. flagged        — stored with any other flag (judge_error,
 *                       moderated, ...);
 *   6. category       — not in the chosen category (conv.h);
 *   7. daily cap      — beyond the first N votes of one voter (the
 *                       battle's judge id) in one UTC day, in tstamp order
 *                       (elo_analysis.py limit_user_votes, which uses the
 *                       server's local day). Battles without a voter id
 *                       are not capped (pandas' groupby would drop them);
 *   8. outlier        — every battle of a voter the sequential test
 *                       flags (elo_analysis.py outlier_detect): for each
 *                       voter with at least min_votes battles, their first
 *                       max_votes votes are taken in order; a vote scores
 *                       1, 0.5 (either tie) or 0 for the alphabetically
 *                       first model of the pair; against that pair's
 *                       decisive record over all battles (wins of that
 *                       model as 1, losses as 0), p_upper = share of
 *                       records <= vote and p_lower = share >= vote; the
 *                       voter is flagged as soon as prod 1/(2 p_upper) or
 *                       prod 1/(2 p_lower) exceeds 1/alpha. A pair without
 *                       decisive battles makes both shares NaN, and the
 *                       products stay NaN (never flagged) from that vote
 *                       on, as NumPy's do.
 * Ties are left to the leaderboard's exclude_ties (leaderboard.h).
 */
#ifndef TIANTI_ARENA_CLEAN_H
#define TIANTI_ARENA_CLEAN_H

#include "arena/battles.h"

typedef struct arena_clean_opts {
    int keep_not_anonymous;     /* 1: rule 1 off */
    int keep_identity;          /* 1: rule 2 off */
    int keep_failed;            /* 1: rules 3-5 off */
    unsigned category;          /* ARENA_CAT_* bit, 0 = every battle */
    int daily_cap;              /* votes per voter per UTC day; 0 = no cap */
    int outlier;                /* 1: run the outlier test */
    double outlier_alpha;       /* 0.05 */
    int outlier_min_votes;      /* 5 */
    int outlier_max_votes;      /* 100 */
} arena_clean_opts;

typedef struct arena_clean_report {
    size_t read;                /* battles before cleaning */
    size_t not_anonymous, identity, error, unfinished, flagged;
    size_t category, daily_cap, outlier;
    size_t outlier_voters;      /* voters the test flagged */
    size_t kept;
} arena_clean_report;

void arena_clean_opts_default(arena_clean_opts *o);

/* Applies the rules to l in place (l is sorted by tstamp first) and fills
 * rep (may be NULL). Always TT_OK today. */
int arena_clean(arena_battles *l, const arena_clean_opts *o, arena_clean_report *rep, char *err);

/* The outlier test alone: flag[v] for the voters named in l (by index of
 * first appearance), exposed for tests. Returns the voters flagged and
 * sets keep[i] = 0 for their battles (keep has l->n entries, set by the
 * caller). */
size_t arena_outlier_test(const arena_battles *l, const arena_clean_opts *o, unsigned char *keep);

#endif
