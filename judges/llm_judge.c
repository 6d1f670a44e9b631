/*
 * llm_judge.c — the pairwise LLM judge (spec "llm:ENGINE_SPEC"), in the
 * style of MT-bench's pairwise comparison (FastChat fastchat/llm_judge: judge_prompts.jsonl, common.py):
 * the judge model reads the question and two answers and ends with [[A]],
 * [[B]] or [[C]] (tie). Every battle is judged twice, the second time with
 * the answers swapped, to cancel position bias: a win counts only when both
 * games name the same model; any disagreement, or a tie, is a tie; an
 * unparsable verdict or a failed request is an error, not a result. The
 * prompt text is Tianti's own. Opened by judges/judge.c.
 */
#include "judges/judge_impl.h"
#include "core/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char pair_system[] =
    "You are the referee of a contest between two AI assistants. You will read a user's question "
    "and two answers to it, marked ANSWER A and ANSWER B. Decide which answer serves the user "
    "better. Weigh correctness first, then whether the answer addresses what was actually asked, "
    "then clarity and useful detail. The order in which the answers appear says nothing about "
    "their quality; a longer answer is not better for being longer; ignore any names the "
    "assistants give themselves. When a reference answer is given, treat it as correct and check "
    "both answers against it. Write a short justification of a few sentences. On the last line "
    "write only your decision, in double square brackets: A if answer A is better, B if answer B "
    "is better, C if they are equally good or equally poor.";

void judge_pair_messages(const char *question, const char *first, const char *second,
                         const char *reference, engine_message msgs[2], char **owned)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "<<<QUESTION>>>\n%s\n<<<END OF QUESTION>>>\n\n", question ? question : "");
    if (reference && *reference)
        tt_buf_printf(&b, "<<<REFERENCE ANSWER>>>\n%s\n<<<END OF REFERENCE ANSWER>>>\n\n", reference);
    tt_buf_printf(&b, "<<<ANSWER A>>>\n%s\n<<<END OF ANSWER A>>>\n\n", first ? first : "");
    tt_buf_printf(&b, "<<<ANSWER B>>>\n%s\n<<<END OF ANSWER B>>>\n\n", second ? second : "");
    tt_buf_puts(&b, "Justify briefly, then give the decision on the last line.");
    *owned = tt_buf_detach(&b);
    msgs[0] = (engine_message){.role = "system", .content = pair_system};
    msgs[1] = (engine_message){.role = "user", .content = *owned};
}

judge_verdict judge_parse_pair_verdict(const char *text)
{
    if (!text) return JUDGE_VERDICT_ERROR;
    int seen[3] = {0, 0, 0};
    for (const char *p = strstr(text, "[["); p; p = strstr(p + 1, "[[")) {
        if (!p[2] || p[3] != ']' || p[4] != ']') continue;  /* short-circuit: never reads past the NUL */
        if (p[2] == 'A') seen[0] = 1;
        else if (p[2] == 'B') seen[1] = 1;
        else if (p[2] == 'C') seen[2] = 1;
    }
    int kinds = seen[0] + seen[1] + seen[2];
    if (kinds != 1) return JUDGE_VERDICT_ERROR;
    return seen[0] ? JUDGE_VERDICT_A : seen[1] ? JUDGE_VERDICT_B : JUDGE_VERDICT_TIE;
}

int judge_combine_swapped(judge_verdict g1, judge_verdict g2, judge_winner *winner)
{
    if (g1 == JUDGE_VERDICT_ERROR || g2 == JUDGE_VERDICT_ERROR) return -1;
    /* map both games to the model they favour: 0 = model_a, 1 = model_b, 2 = tie */
    int m1 = g1 == JUDGE_VERDICT_A ? 0 : g1 == JUDGE_VERDICT_B ? 1 : 2;
    int m2 = g2 == JUDGE_VERDICT_A ? 1 : g2 == JUDGE_VERDICT_B ? 0 : 2;
    if (m1 == m2 && m1 != 2) *winner = m1 == 0 ? JUDGE_WIN_A : JUDGE_WIN_B;
    else *winner = JUDGE_TIE;
    return 0;
}

static const char *verdict_name(judge_verdict v)
{
    static const char *const names[] = {"A", "B", "C", "error"};
    return names[v];
}

static int llm_compare(judge *j, const judge_item *it, judge_result *res, char *err)
{
    engine_judge *lj = (engine_judge *)j;
    json_t *games = json_array();
    judge_verdict v[2] = {JUDGE_VERDICT_ERROR, JUDGE_VERDICT_ERROR};
    int rc = TT_OK;
    char *why = NULL;
    for (int g = 0; g < 2 && rc == TT_OK; g++) {
        engine_message msgs[2];
        char *owned = NULL, *text = NULL, *failure = NULL;
        judge_pair_messages(it->question, g == 0 ? it->answer_a : it->answer_b,
                            g == 0 ? it->answer_b : it->answer_a, it->reference, msgs, &owned);
        rc = judge_ask(lj->e, msgs, 2, &text, &failure, err);
        if (rc == TT_OK) {
            v[g] = judge_parse_pair_verdict(text);
            json_t *o = json_pack("{s:s}", "order", g == 0 ? "ab" : "ba");
            if (text) json_object_set_new(o, "output", json_string(text));
            if (failure) json_object_set_new(o, "engine_error", json_string(failure));
            json_object_set_new(o, "verdict", json_string(verdict_name(v[g])));
            json_array_append_new(games, o);
            if (!why && failure) why = tt_asprintf("judge engine failed in game %d", g + 1);
            else if (!why && v[g] == JUDGE_VERDICT_ERROR)
                why = tt_asprintf("unparsable verdict in game %d", g + 1);
        }
        free(owned);
        free(text);
        free(failure);
    }
    if (rc == TT_OK) {
        judge_winner w = JUDGE_TIE;
        if (!why && judge_combine_swapped(v[0], v[1], &w) == 0) {
            res->ok = 1;
            res->winner = w;
        } else {
            res->ok = 0;
            res->error = why ? why : tt_strdup("unparsable verdict");
            why = NULL;
        }
        json_t *d = json_pack("{s:s,s:o}", "judge", "llm", "games", games);
        games = NULL;
        if (res->ok) {
            int consistent = (v[0] == JUDGE_VERDICT_A && v[1] == JUDGE_VERDICT_B) ||
                             (v[0] == JUDGE_VERDICT_B && v[1] == JUDGE_VERDICT_A) ||
                             (v[0] == JUDGE_VERDICT_TIE && v[1] == JUDGE_VERDICT_TIE);
            json_object_set_new(d, "consistent", json_boolean(consistent));
        }
        res->detail_json = json_dumps(d, JSON_COMPACT);
        json_decref(d);
    }
    json_decref(games);
    free(why);
    return rc;
}

static void llm_requests(judge *j, const judge_item *it, tt_buf *out)
{
    (void)j;
    for (int g = 0; g < 2; g++) {
        engine_message msgs[2];
        char *owned = NULL;
        judge_pair_messages(it->question, g == 0 ? it->answer_a : it->answer_b, g == 0 ? it->answer_b : it->answer_a,
                            it->reference, msgs, &owned);
        judge_append_request(out, msgs, 2);
        free(owned);
    }
}

static const judge_vtable llm_vtable = {.compare = llm_compare, .close = judge_engine_close, .requests = llm_requests};

int judge_llm_open(const char *arg, const engine_options *opt, judge **out, char *err)
{
    return judge_engine_open("llm", arg, opt, &llm_vtable, out, err);
}
