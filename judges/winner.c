/*
 * winner.c — names of the four outcomes of a pairwise comparison.
 */
#include "judges/winner.h"

#include <string.h>

#include "core/util.h"

static const char *const winner_names[] = {"model_a", "model_b", "tie", "tie (bothbad)"};

const char *judge_winner_name(judge_winner w)
{
    return (unsigned)w < 4 ? winner_names[w] : "?";
}

int judge_winner_parse(const char *s, judge_winner *out)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, winner_names[i]) == 0) {
            *out = (judge_winner)i;
            return TT_OK;
        }
    return TT_ERR_PARSE;
}
