/*
 * grade_judge.c — the single-answer grading judge (spec "grade:ENGINE_SPEC"),
 * in the style of MT-bench's single grading (FastChat fastchat/llm_judge: judge_prompts.jsonl, common.py):
 * the judge model reads one question and one answer (and, when the item
 * has one, a reference answer to check it against) and ends with
 * "Rating: [[x]]", x from 1 to 10. For a battle each answer is graded on
 * its own; the higher grade wins and grades closer than 0.1 tie. A missing
 * or out-of-range rating is an error, not a result. Prompt text is Tianti's
 * own. Opened by judges/judge.c.
 */
#include "judges/judge_impl.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char grade_system[] =
    "You grade the answer an AI assistant gave to a user's question. Judge how well it helps the "
    "user: correctness first, then whether it addresses what was asked, then clarity, depth and "
    "useful detail. When a reference answer is given, treat it as correct, compare the "
    "assistant's answer with it and count every mistake against the answer. Explain your "
    "judgement in a few sentences, then on the last line give a whole-number grade from 1 (useless) "
    "to 10 (excellent) written exactly like this: Rating: [[7]]";

void judge_grade_messages(const char *question, const char *answer, const char *reference,
                          engine_message msgs[2], char **owned)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "<<<QUESTION>>>\n%s\n<<<END OF QUESTION>>>\n\n", question ? question : "");
    if (reference && *reference)
        tt_buf_printf(&b, "<<<REFERENCE ANSWER>>>\n%s\n<<<END OF REFERENCE ANSWER>>>\n\n", reference);
    tt_buf_printf(&b, "<<<ASSISTANT'S ANSWER>>>\n%s\n<<<END OF ASSISTANT'S ANSWER>>>\n\n", answer ? answer : "");
    tt_buf_puts(&b, "Explain briefly, then give the rating on the last line.");
    *owned = tt_buf_detach(&b);
    msgs[0] = (engine_message){.role = "system", .content = grade_system};
    msgs[1] = (engine_message){.role = "user", .content = *owned};
}

/* Matches OPEN digits+ ("." digits*)? CLOSE at p: returns 1 and sets *v, else 0. */
static int match_number(const char *p, const char *open, const char *close, double *v)
{
    size_t ol = strlen(open), cl = strlen(close);
    if (strncmp(p, open, ol)) return 0;
    const char *q = p + ol;
    if (!isdigit((unsigned char)*q)) return 0;
    const char *start = q;
    while (isdigit((unsigned char)*q)) q++;
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (strncmp(q, close, cl)) return 0;
    if (q - start > 32) return 0;
    char tmp[40];
    memcpy(tmp, start, (size_t)(q - start));
    tmp[q - start] = 0;
    *v = strtod(tmp, NULL);
    return 1;
}

int judge_parse_rating(const char *text, double *score)
{
    if (!text) return -1;
    double v = 0;
    int found = 0;
    for (const char *p = text; *p && !found; p++) found = match_number(p, "[[", "]]", &v);
    for (const char *p = text; *p && !found; p++) found = match_number(p, "[", "]", &v);
    if (!found || !(v >= 1.0 && v <= 10.0)) return -1;
    *score = v;
    return 0;
}

judge_winner judge_grades_winner(double score_a, double score_b)
{
    if (fabs(score_a - score_b) < 0.1) return JUDGE_TIE;
    return score_a > score_b ? JUDGE_WIN_A : JUDGE_WIN_B;
}

static int grade_compare(judge *j, const judge_item *it, judge_result *res, char *err)
{
    engine_judge *gj = (engine_judge *)j;
    json_t *grades = json_array();
    double score[2] = {0, 0};
    char *why = NULL;
    int rc = TT_OK;
    for (int s = 0; s < 2 && rc == TT_OK; s++) {
        engine_message msgs[2];
        char *owned = NULL, *text = NULL, *failure = NULL;
        judge_grade_messages(it->question, s == 0 ? it->answer_a : it->answer_b, it->reference, msgs, &owned);
        rc = judge_ask(gj->e, msgs, 2, &text, &failure, err);
        if (rc == TT_OK) {
            json_t *o = json_pack("{s:s}", "answer", s == 0 ? "a" : "b");
            if (text) json_object_set_new(o, "output", json_string(text));
            if (failure) json_object_set_new(o, "engine_error", json_string(failure));
            if (failure) {
                if (!why) why = tt_asprintf("judge engine failed grading answer %c", s == 0 ? 'A' : 'B');
            } else if (judge_parse_rating(text, &score[s]) != 0) {
                if (!why) why = tt_asprintf("no rating 1-10 for answer %c", s == 0 ? 'A' : 'B');
            } else {
                json_object_set_new(o, "rating", json_real(score[s]));
            }
            json_array_append_new(grades, o);
        }
        free(owned);
        free(text);
        free(failure);
    }
    if (rc == TT_OK) {
        if (why) {
            res->ok = 0;
            res->error = why;
            why = NULL;
        } else {
            res->ok = 1;
            res->winner = judge_grades_winner(score[0], score[1]);
        }
        json_t *d = json_pack("{s:s,s:O}", "judge", "grade", "grades", grades);
        res->detail_json = json_dumps(d, JSON_COMPACT);
        json_decref(d);
    }
    json_decref(grades);
    free(why);
    return rc;
}

static void grade_requests(judge *j, const judge_item *it, tt_buf *out)
{
    (void)j;
    for (int s = 0; s < 2; s++) {
        engine_message msgs[2];
        char *owned = NULL;
        judge_grade_messages(it->question, s == 0 ? it->answer_a : it->answer_b, it->reference, msgs, &owned);
        judge_append_request(out, msgs, 2);
        free(owned);
    }
}

static const judge_vtable grade_vtable = {
    .compare = grade_compare, .close = judge_engine_close, .requests = grade_requests};

int judge_grade_open(const char *arg, const engine_options *opt, judge **out, char *err)
{
    return judge_engine_open("grade", arg, opt, &grade_vtable, out, err);
}
