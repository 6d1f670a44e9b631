/*
 * judged.c — judged.h: the judge prompt file, template filling, and the
 * parsers of FastChat's and Arena-Hard-Auto's judge replies, written from
 * the regular expressions they use (common.py one_score_pattern and its
 * backup; gen_judgment.py get_score).
 */
#include "judges/judged.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void prompt_free(judge_prompt *p)
{
    free(p->name);
    free(p->type);
    free(p->system_prompt);
    free(p->prompt_template);
    free(p->output_format);
    free(p->category);
}

void judge_prompts_free(judge_prompts *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) prompt_free(&p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int judge_prompts_load(const char *path, judge_prompts *out, char *err)
{
    out->v = NULL;
    out->n = 0;
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    int line = 0;
    for (char *p = text; rc == TT_OK && p && *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        size_t s = 0;
        while (s < n && isspace((unsigned char)p[s])) s++;
        if (s < n) {
            json_error_t je;
            json_t *o = json_loadb(p, n, 0, &je);
            if (!json_is_object(o)) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: a judge prompt must be a JSON object%s%s", path, line,
                             o ? "" : ": ", o ? "" : je.text);
            } else {
                static const char *const fields[] = {"name", "type", "system_prompt", "prompt_template", "output_format"};
                for (size_t f = 0; f < 5 && rc == TT_OK; f++)
                    if (!json_is_string(json_object_get(o, fields[f])))
                        rc = tt_fail(err, TT_ERR_PARSE, "%s:%d: field '%s' must be a string", path, line, fields[f]);
                if (rc == TT_OK) {
                    out->v = tt_realloc(out->v, (out->n + 1) * sizeof *out->v);
                    judge_prompt *jp = &out->v[out->n++];
                    jp->name = tt_strdup(json_string_value(json_object_get(o, "name")));
                    jp->type = tt_strdup(json_string_value(json_object_get(o, "type")));
                    jp->system_prompt = tt_strdup(json_string_value(json_object_get(o, "system_prompt")));
                    jp->prompt_template = tt_strdup(json_string_value(json_object_get(o, "prompt_template")));
                    jp->output_format = tt_strdup(json_string_value(json_object_get(o, "output_format")));
                    jp->category = tt_strdup(json_string_value(json_object_get(o, "category")));
                }
            }
            json_decref(o);
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
    if (rc == TT_OK && out->n == 0) rc = tt_fail(err, TT_ERR_PARSE, "%s: no judge prompts", path);
    return rc;
}

const judge_prompt *judge_prompts_find(const judge_prompts *p, const char *name)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->v[i].name, name)) return &p->v[i];
    return NULL;
}

const char *judge_mtbench_prompt_name(int pairwise, int with_reference, int turn)
{
    static const char *const names[2][2][2] = {
        {{"single-v1", "single-v1-multi-turn"}, {"single-math-v1", "single-math-v1-multi-turn"}},
        {{"pair-v2", "pair-v2-multi-turn"}, {"pair-math-v1", "pair-math-v1-multi-turn"}},
    };
    return names[pairwise != 0][with_reference != 0][turn >= 2];
}

int judge_needs_reference(const char *category)
{
    static const char *const cats[] = {"math", "reasoning", "coding", "arena-hard-200", NULL};
    for (int i = 0; category && cats[i]; i++)
        if (!strcmp(category, cats[i])) return 1;
    return 0;
}

double judge_mtbench_temperature(const char *category)
{
    static const struct { const char *cat; double t; } table[] = {
        {"writing", 0.7}, {"roleplay", 0.7}, {"extraction", 0.0}, {"math", 0.0}, {"coding", 0.0},
        {"reasoning", 0.0}, {"stem", 0.1}, {"humanities", 0.1}, {"arena-hard-200", 0.0},
    };
    for (size_t i = 0; category && i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(category, table[i].cat)) return table[i].t;
    return 0.7;
}

int judge_format(const char *tmpl, const char *const *names, const char *const *values, int n, char **out,
                 char *err)
{
    *out = NULL;
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (const char *p = tmpl; *p;) {
        if (p[0] == '{' && p[1] == '{') { tt_buf_append(&b, "{", 1); p += 2; continue; }
        if (p[0] == '}' && p[1] == '}') { tt_buf_append(&b, "}", 1); p += 2; continue; }
        if (*p == '}') {
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_PARSE, "single '}' in a judge prompt template");
        }
        if (*p != '{') {
            const char *q = p;
            while (*q && *q != '{' && *q != '}') q++;
            tt_buf_append(&b, p, (size_t)(q - p));
            p = q;
            continue;
        }
        const char *close = strchr(p + 1, '}');
        if (!close) {
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_PARSE, "unclosed '{' in a judge prompt template");
        }
        size_t len = (size_t)(close - p - 1);
        int found = -1;
        for (int i = 0; i < n && found < 0; i++)
            if (strlen(names[i]) == len && !strncmp(names[i], p + 1, len)) found = i;
        if (found < 0) {
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_PARSE, "the judge prompt template wants '%.*s', which this judgment has not",
                           (int)(len > 60 ? 60 : len), p + 1);
        }
        tt_buf_puts(&b, values[found] ? values[found] : "");
        p = close + 1;
    }
    *out = tt_buf_detach(&b);
    return TT_OK;
}

/* OPEN \d+\.?\d* CLOSE at p: 1 and *v, else 0. */
static int number_between(const char *p, const char *open, const char *close, double *v)
{
    size_t ol = strlen(open), cl = strlen(close);
    if (strncmp(p, open, ol)) return 0;
    const char *q = p + ol, *start = q;
    if (!isdigit((unsigned char)*q)) return 0;
    while (isdigit((unsigned char)*q)) q++;
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (strncmp(q, close, cl)) return 0;
    char *num = tt_strndup(start, (size_t)(q - start));
    *v = strtod(num, NULL);
    free(num);
    return 1;
}

int judge_parse_rating_fastchat(const char *text, double *score)
{
    *score = -1;
    if (!text) return -1;
    double v;
    for (const char *p = text; *p; p++)
        if (number_between(p, "[[", "]]", &v)) { *score = v; return 0; }
    for (const char *p = text; *p; p++)
        if (number_between(p, "[", "]", &v)) { *score = v; return 0; }
    return -1;
}

judge_verdict judge_parse_pair_fastchat(const char *text)
{
    if (!text) return JUDGE_VERDICT_ERROR;
    if (strstr(text, "[[A]]")) return JUDGE_VERDICT_A;
    if (strstr(text, "[[B]]")) return JUDGE_VERDICT_B;
    if (strstr(text, "[[C]]")) return JUDGE_VERDICT_TIE;
    return JUDGE_VERDICT_ERROR;
}

static int verdict_char(char c) { return c == 'A' || c == 'B' || c == '<' || c == '>' || c == '='; }

/* The last OPEN [AB<>=]+ CLOSE in upper (non-overlapping, left to right, as
 * re.findall scans); 1 and label, else 0. */
static int last_label(const char *upper, int doubled, char label[16])
{
    int found = 0;
    size_t open = doubled ? 2 : 1;
    for (const char *p = upper; *p;) {
        if (p[0] != '[' || (doubled && p[1] != '[')) {
            p++;
            continue;
        }
        const char *q = p + open, *start = q;
        while (verdict_char(*q)) q++;
        if (q > start && q[0] == ']' && (!doubled || q[1] == ']')) {
            size_t n = (size_t)(q - start);
            if (n > 15) n = 15;
            memcpy(label, start, n);
            label[n] = 0;
            found = 1;
            p = q + open;
        } else {
            p++;
        }
    }
    return found;
}

int judge_parse_arena_hard(const char *text, char label[16])
{
    label[0] = 0;
    if (!text) return -1;
    char *upper = tt_strdup(text);
    for (char *p = upper; *p; p++) *p = (char)toupper((unsigned char)*p);
    int found = last_label(upper, 1, label) || last_label(upper, 0, label);
    free(upper);
    return found ? 0 : -1;
}

void judge_arena_hard_battle(const char *label, int game, int *winner_is_model, int *weight)
{
    /* which seat won, and how strongly */
    int a_won = -1, strong = 0;   /* a_won: 1 A, 0 B, 2 tie */
    if (!strcmp(label, "A>>B")) a_won = 1, strong = 1;
    else if (!strcmp(label, "A>B")) a_won = 1;
    else if (!strcmp(label, "A=B")) a_won = 2;
    else if (!strcmp(label, "B>A")) a_won = 0;
    else if (!strcmp(label, "B>>A")) a_won = 0, strong = 1;
    if (a_won < 0) {
        *weight = 0;
        *winner_is_model = 2;
        return;
    }
    *weight = strong ? 3 : 1;
    if (a_won == 2) *winner_is_model = 2;
    else *winner_is_model = game == 1 ? !a_won : a_won;   /* game 1: A is the baseline */
}
