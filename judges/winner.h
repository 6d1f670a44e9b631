/*
 * winner.h — the outcome of one pairwise comparison, in Chatbot Arena's
 * vocabulary: "model_a", "model_b", "tie", "tie (bothbad)".
 *
 * Judges (judges/judge.h) produce it, the arena (arena/battles.h) stores and
 * rates it. It lives here, at the lower floor, so that the arena depends on
 * the judges and never the reverse.
 */
#ifndef TIANTI_JUDGES_WINNER_H
#define TIANTI_JUDGES_WINNER_H

typedef enum judge_winner {
    JUDGE_WIN_A = 0,         /* "model_a" */
    JUDGE_WIN_B = 1,         /* "model_b" */
    JUDGE_TIE = 2,           /* "tie" */
    JUDGE_TIE_BOTHBAD = 3    /* "tie (bothbad)" */
} judge_winner;

/* "model_a", "model_b", "tie", "tie (bothbad)"; "?" for anything else. */
const char *judge_winner_name(judge_winner w);
/* Parses one of the four names; TT_OK or TT_ERR_PARSE (no message). */
int judge_winner_parse(const char *s, judge_winner *out);
/* 1 for both kinds of tie. */
static inline int judge_winner_is_tie(judge_winner w) { return w == JUDGE_TIE || w == JUDGE_TIE_BOTHBAD; }

#endif
