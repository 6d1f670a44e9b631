/*
 * tag.h — `tianti arena tag`: a judge labels stored battles as hard
 * prompts, Chatbot Arena's "Hard Prompts" category (FastChat
 * fastchat/serve/monitor/classify/category.py, criteria_v0.1; its
 * leaderboard's hard_6). The judge reads the battle's first user prompt
 * and lists which of seven criteria it meets (specificity, domain
 * knowledge, complexity, problem-solving, creativity, technical accuracy,
 * real-world application; Tianti's own wording of them) as a list such as
 * "[1, 2, 4]"; at least 6 of 7 is a hard prompt. The reply is read as
 * category.py reads it: every "[d, d, ...]" in the reply; exactly one
 * distinct list is the answer, none or several mean no label (the battle
 * keeps its categories). The label goes into the battle's categories
 * column (store_battle_set_categories), where arena/clean.h's "hard"
 * category reads it. Requests go through the request cache.
 */
#ifndef TIANTI_ARENA_TAG_H
#define TIANTI_ARENA_TAG_H

#include "arena/battles.h"

#include <stdio.h>

typedef struct arena_tag_opts {
    const char *judge;             /* engine spec or registry name */
    const char *registry_path;
    arena_source source;
    int jobs;                      /* 4 */
    int max_tokens;                /* 64 */
    const char *save_judge_requests;
    FILE *log;
} arena_tag_opts;

typedef struct arena_tag_summary {
    int asked, hard, not_hard, unreadable;
} arena_tag_summary;

void arena_tag_opts_default(arena_tag_opts *o);
int arena_tag_run(const char *db_path, const arena_tag_opts *o, arena_tag_summary *sum, char *err);

/* The criteria of a reply: a bit per criterion 1..7 (bit k-1); -1 when the
 * reply holds no list or different lists. Exposed for tests. */
int arena_tag_parse(const char *reply);

#endif
