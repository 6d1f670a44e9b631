/*
 * hooks.c — the registry of C implementations of lm-eval's task functions
 * and the per-document ones themselves; see hooks.h. Each implementation
 * names the lm-eval file and function it reproduces.
 */
#include "harness/hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pyrandom.h"
#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"
#include "judges/math_answer.h"

/* ---- Python helpers ------------------------------------------------------------- */

static char *py_replace(const char *s, const char *from, const char *to)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    size_t fl = strlen(from);
    for (const char *p = s; *p;) {
        const char *h = fl ? strstr(p, from) : NULL;
        if (!h) {
            tt_buf_puts(&b, p);
            break;
        }
        tt_buf_append(&b, p, (size_t)(h - p));
        tt_buf_puts(&b, to);
        p = h + fl;
    }
    return tt_buf_detach(&b);
}

/* str.capitalize(): the first character upper case, the rest lower case. */
static char *py_capitalize(const char *s)
{
    size_t n = strlen(s);
    if (!n) return tt_strdup("");
    size_t l = tt_utf8_char_len(s, n);
    char *first = pytext_upper(s, l), *rest = pytext_lower(s + l, n - l);
    char *r = tt_asprintf("%s%s", first, rest);
    free(first);
    free(rest);
    return r;
}

char *hook_hellaswag_preprocess(const char *text)
{
    /* text = text.strip(); text.replace(" [title]", ". ");
     * re.sub("\\[.*?\\]", "", text); text.replace("  ", " ") */
    pytext_span st = pytext_strip(text, strlen(text));
    char *a = tt_strndup(st.p, st.len);
    char *b = py_replace(a, " [title]", ". ");
    free(a);
    pytext_regex r;
    char err[TT_ERR_SIZE];
    char *c = b;
    if (pytext_regex_compile(&r, "\\[.*?\\]", err) == TT_OK) {
        c = pytext_regex_remove(&r, b);
        pytext_regex_free(&r);
        free(b);
    }
    char *d = py_replace(c, "  ", " ");
    free(c);
    return d;
}

static const char *field_str(const json_t *doc, const char *k) { return json_string_value(json_object_get(doc, k)); }

/* int(x) of a label that is an integer or a string of digits. */
static int label_int(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    const char *s = json_string_value(v);
    if (!s) return 0;
    pytext_span st = pytext_strip(s, strlen(s));
    if (!st.len) return 0;
    char *e;
    char *t = tt_strndup(st.p, st.len);
    long long x = strtoll(t, &e, 10);
    int ok = *e == 0;
    free(t);
    if (ok) *out = x;
    return ok;
}

/* ---- HellaSwag: lm_eval/tasks/hellaswag/utils.py process_docs ---------------------- */

static int hellaswag_docs(const json_t *docs, json_t **out, char *err)
{
    json_t *res = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        json_t *o = json_copy(d);
        const char *al = field_str(d, "activity_label"), *ca = field_str(d, "ctx_a"), *cb = field_str(d, "ctx_b");
        json_t *endings = json_object_get(d, "endings");
        long long gold;
        if (!label_int(json_object_get(d, "label"), &gold) && !label_int(json_object_get(d, "gold"), &gold)) {
            json_decref(o);
            json_decref(res);
            return tt_fail(err, TT_ERR_PARSE, "hellaswag.process_docs: record %zu has no integer 'label'", i);
        }
        if (al && ca && cb && json_is_array(endings)) {
            char *cap = py_capitalize(cb);
            char *raw = tt_asprintf("%s: %s %s", al, ca, cap);
            free(cap);
            char *q = hook_hellaswag_preprocess(raw);
            free(raw);
            json_object_set_new(o, "query", json_string(q));
            free(q);
            json_t *choices = json_array();
            size_t k;
            json_t *e;
            json_array_foreach(endings, k, e) {
                char *p = hook_hellaswag_preprocess(json_string_value(e) ? json_string_value(e) : "");
                json_array_append_new(choices, json_string(p));
                free(p);
            }
            json_object_set_new(o, "choices", choices);
        } else if (!json_is_string(json_object_get(d, "query")) || !json_is_array(json_object_get(d, "choices"))) {
            json_decref(o);
            json_decref(res);
            return tt_fail(err, TT_ERR_PARSE,
                           "hellaswag.process_docs: record %zu has neither activity_label, ctx_a, ctx_b and endings "
                           "nor query and choices",
                           i);
        }
        json_object_set_new(o, "gold", json_integer(gold));
        json_array_append_new(res, o);
    }
    *out = res;
    return TT_OK;
}

/* ---- GPQA: lm_eval/tasks/leaderboard/gpqa/utils.py process_docs ------------------
 * The choices are shuffled with Python's random.shuffle; lm-eval uses the
 * global generator (seeded 0 by simple_evaluate, then shared with whatever
 * ran before), Tianti one random.Random(0) for the split, document after
 * document. */

static char *gpqa_pre(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s) return tt_strdup(" ");
    return hook_hellaswag_preprocess(s);
}

static int gpqa_docs(const json_t *docs, json_t **out, char *err)
{
    static const char *const keys[4] = {"Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Correct Answer"};
    pyrandom r;
    pyrandom_seed(&r, 0);
    json_t *res = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        if (!json_object_get(d, "Correct Answer")) {
            json_decref(res);
            return tt_fail(err, TT_ERR_PARSE, "gpqa.process_docs: record %zu has no 'Correct Answer'", i);
        }
        char *choices[4];
        for (int k = 0; k < 4; k++) choices[k] = gpqa_pre(json_object_get(d, keys[k]));
        char *correct = gpqa_pre(json_object_get(d, "Correct Answer"));
        pyrandom_shuffle(&r, choices, 4, sizeof choices[0]);
        int at = 0;
        for (int k = 3; k >= 0; k--)
            if (!strcmp(choices[k], correct)) at = k;
        json_t *o = json_copy(d);
        for (int k = 0; k < 4; k++) {
            char name[16];
            snprintf(name, sizeof name, "choice%d", k + 1);
            json_object_set_new(o, name, json_string(choices[k]));
            free(choices[k]);
        }
        char ans[8];
        snprintf(ans, sizeof ans, "(%c)", 'A' + at);
        json_object_set_new(o, "answer", json_string(ans));
        free(correct);
        json_array_append_new(res, o);
    }
    *out = res;
    return TT_OK;
}

/* ---- MATH (leaderboard, Level 5): lm_eval/tasks/leaderboard/math/utils.py ----------- */

static int math_docs(const json_t *docs, json_t **out, char *err)
{
    json_t *res = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d) {
        const char *level = field_str(d, "level"), *solution = field_str(d, "solution");
        if (!level || !solution || !field_str(d, "problem")) {
            json_decref(res);
            return tt_fail(err, TT_ERR_PARSE, "math.process_docs: record %zu needs 'problem', 'solution' and 'level'", i);
        }
        if (strcmp(level, "Level 5")) continue;
        json_t *o = json_copy(d);
        char *boxed = math_last_boxed(solution);
        char *answer = math_remove_boxed(boxed);
        json_object_set_new(o, "answer", json_string(answer));
        free(boxed);
        free(answer);
        json_array_append_new(res, o);
    }
    *out = res;
    return TT_OK;
}

static int math_text(const json_t *doc, json_t **out, char *err)
{
    const char *p = field_str(doc, "problem");
    if (!p) return tt_fail(err, TT_ERR_PARSE, "math.doc_to_text: no 'problem'");
    char *t = tt_asprintf("Problem:\n%s\n\nSolution:", p);
    *out = json_string(t);
    free(t);
    return TT_OK;
}

/* ---- WinoGrande: lm_eval/tasks/winogrande/preprocess_winogrande.py ------------------
 * Upstream records {sentence, option1, option2, answer "1"|"2"}; the derived
 * records of ../shared {context_options, continuation, gold} are the same
 * three values already computed. */

static int wino_blank(const json_t *doc, const char **sentence, size_t *idx, char *err)
{
    *sentence = field_str(doc, "sentence");
    const char *u = *sentence ? strchr(*sentence, '_') : NULL;
    if (!u) return tt_fail(err, TT_ERR_PARSE, "winogrande: the record has no 'sentence' with a '_' blank");
    *idx = (size_t)(u - *sentence);
    return TT_OK;
}

static int wino_text(const json_t *doc, json_t **out, char *err)
{
    long long g;
    if (!json_object_get(doc, "sentence") && label_int(json_object_get(doc, "gold"), &g)) {
        *out = json_integer(g);
        return TT_OK;
    }
    const char *a = field_str(doc, "answer");
    if (a && (!strcmp(a, "1") || !strcmp(a, "2"))) {
        *out = json_integer(a[0] - '1');
        return TT_OK;
    }
    return tt_fail(err, TT_ERR_PARSE, "winogrande.doc_to_text: 'answer' must be \"1\" or \"2\"");
}

static int wino_target(const json_t *doc, json_t **out, char *err)
{
    const char *c = field_str(doc, "continuation");
    if (c && !json_object_get(doc, "sentence")) {
        *out = json_string(c);
        return TT_OK;
    }
    const char *s;
    size_t idx = 0;
    if (wino_blank(doc, &s, &idx, err)) return TT_ERR_PARSE;
    const char *rest = s + idx + 1;
    pytext_span st = pytext_strip(rest, strlen(rest));
    *out = json_stringn(st.p, st.len);
    return TT_OK;
}

static int wino_choice(const json_t *doc, json_t **out, char *err)
{
    json_t *co = json_object_get(doc, "context_options");
    if (json_is_array(co) && !json_object_get(doc, "sentence")) {
        *out = json_incref(co);
        return TT_OK;
    }
    const char *s;
    size_t idx = 0;
    if (wino_blank(doc, &s, &idx, err)) return TT_ERR_PARSE;
    const char *o1 = field_str(doc, "option1"), *o2 = field_str(doc, "option2");
    if (!o1 || !o2) return tt_fail(err, TT_ERR_PARSE, "winogrande.doc_to_choice: no 'option1' / 'option2'");
    char *c1 = tt_asprintf("%.*s%s", (int)idx, s, o1), *c2 = tt_asprintf("%.*s%s", (int)idx, s, o2);
    *out = json_pack("[s, s]", c1, c2);
    free(c1);
    free(c2);
    return TT_OK;
}

/* ---- MMLU-Pro: lm_eval/tasks/leaderboard/mmlu_pro/utils.py ------------------------- */

static int mmlu_pro_text(const json_t *doc, json_t **out, char *err)
{
    const char *q = field_str(doc, "question");
    json_t *opts = json_object_get(doc, "options");
    if (!q || !json_is_array(opts) || json_array_size(opts) > 26)
        return tt_fail(err, TT_ERR_PARSE, "mmlu_pro.doc_to_text: needs 'question' and a list 'options'");
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "%s\n", q);
    size_t i;
    json_t *o;
    json_array_foreach(opts, i, o) {
        const char *s = json_string_value(o);
        tt_buf_printf(&b, "%c. %s\n", (char)('A' + i), s ? s : "");
    }
    tt_buf_puts(&b, "Answer:");
    *out = json_string(tt_buf_str(&b));
    tt_buf_free(&b);
    return TT_OK;
}

static int mmlu_pro_choice(const json_t *doc, json_t **out, char *err)
{
    json_t *opts = json_object_get(doc, "options");
    if (!json_is_array(opts) || json_array_size(opts) > 26)
        return tt_fail(err, TT_ERR_PARSE, "mmlu_pro.doc_to_choice: needs a list 'options'");
    *out = json_array();
    for (size_t i = 0; i < json_array_size(opts); i++) {
        char l[2] = {(char)('A' + i), 0};
        json_array_append_new(*out, json_string(l));
    }
    return TT_OK;
}

/* ---- MuSR: lm_eval/tasks/leaderboard/musr/utils.py ------------------------------------ */

/* ast.literal_eval of a list of Python string literals. */
static json_t *py_string_list(const char *s)
{
    const char *p = s;
    while (*p == ' ') p++;
    if (*p++ != '[') return NULL;
    json_t *list = json_array();
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\t') p++;
        if (*p == ']') return list;
        char q = *p;
        if (q != '\'' && q != '"') break;
        p++;
        tt_buf b;
        tt_buf_init(&b);
        tt_buf_puts(&b, "");
        while (*p && *p != q) {
            if (*p == '\\' && p[1]) {
                p++;
                char c = *p++;
                if (c == 'n') tt_buf_puts(&b, "\n");
                else if (c == 't') tt_buf_puts(&b, "\t");
                else if (c == 'r') tt_buf_puts(&b, "\r");
                else if (c == 'x' || c == 'u' || c == 'U') {
                    int nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
                    uint32_t cp = 0;
                    for (int k = 0; k < nd && *p; k++, p++) {
                        char h = *p;
                        cp = cp * 16 + (uint32_t)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                    }
                    char enc[4];
                    tt_buf_append(&b, enc, tt_utf8_encode(cp < 0x110000 ? cp : 0xFFFD, enc));
                } else tt_buf_append(&b, &c, 1);
            } else {
                tt_buf_append(&b, p++, 1);
            }
        }
        if (*p != q) {
            tt_buf_free(&b);
            break;
        }
        p++;
        json_t *str = json_stringn(tt_buf_str(&b), b.len);
        tt_buf_free(&b);
        if (!str) break;
        json_array_append_new(list, str);
        while (*p == ' ') p++;
        if (*p == ',') p++;
    }
    json_decref(list);
    return NULL;
}

static json_t *musr_choices(const json_t *doc)
{
    json_t *c = json_object_get(doc, "choices");
    if (json_is_array(c)) return json_incref(c);
    return json_is_string(c) ? py_string_list(json_string_value(c)) : NULL;
}

static int musr_choice(const json_t *doc, json_t **out, char *err)
{
    *out = musr_choices(doc);
    return *out ? TT_OK : tt_fail(err, TT_ERR_PARSE, "musr.doc_to_choice: 'choices' is not a list literal");
}

static int musr_text(const json_t *doc, json_t **out, char *err)
{
    const char *n = field_str(doc, "narrative"), *q = field_str(doc, "question");
    json_t *ch = musr_choices(doc);
    if (!n || !q || !ch) {
        json_decref(ch);
        return tt_fail(err, TT_ERR_PARSE, "musr.doc_to_text: needs 'narrative', 'question' and 'choices'");
    }
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_printf(&b, "%s\n\n%s\n\n", n, q);
    size_t i;
    json_t *c;
    json_array_foreach(ch, i, c) tt_buf_printf(&b, "%zu - %s\n", i + 1, json_string_value(c) ? json_string_value(c) : "");
    tt_buf_puts(&b, "\nAnswer:");
    json_decref(ch);
    *out = json_string(tt_buf_str(&b));
    tt_buf_free(&b);
    return TT_OK;
}

/* ---- the registry --------------------------------------------------------------------- */

static const char *const ds_hellaswag[] = {"Rowan/hellaswag", "hellaswag", NULL};
static const char *const ds_gpqa[] = {"Idavidrein/gpqa", NULL};
static const char *const ds_math[] = {"DigitalLearningGmbH/MATH-lighteval", "lighteval/MATH-Hard", NULL};
static const char *const ds_wino[] = {"allenai/winogrande", "winogrande", NULL};
static const char *const ds_mmlu_pro[] = {"TIGER-Lab/MMLU-Pro", NULL};
static const char *const ds_musr[] = {"TAUR-Lab/MuSR", NULL};
static const char *const ds_tqa[] = {"truthful_qa", "truthfulqa/truthful_qa", NULL};
static const char *const ds_ifeval[] = {"google/IFEval", "wis-k/instruction-following-eval", NULL};

static const task_hook hooks[] = {
    {"hellaswag.process_docs", HOOK_PROCESS_DOCS, "utils.process_docs", ds_hellaswag, hellaswag_docs, NULL, NULL},
    {"gpqa.process_docs", HOOK_PROCESS_DOCS, "utils.process_docs", ds_gpqa, gpqa_docs, NULL, NULL},
    {"math.process_docs", HOOK_PROCESS_DOCS, "utils.process_docs", ds_math, math_docs, NULL, NULL},
    {"math.doc_to_text", HOOK_DOC_TO_TEXT, "utils.doc_to_text", ds_math, NULL, math_text, NULL},
    {"math.process_results", HOOK_PROCESS_RESULTS, "utils.process_results", ds_math, NULL, NULL, "math"},
    {"winogrande.doc_to_text", HOOK_DOC_TO_TEXT, "preprocess_winogrande.doc_to_text", ds_wino, NULL, wino_text, NULL},
    {"winogrande.doc_to_target", HOOK_DOC_TO_TARGET, "preprocess_winogrande.doc_to_target", ds_wino, NULL, wino_target, NULL},
    {"winogrande.doc_to_choice", HOOK_DOC_TO_CHOICE, "preprocess_winogrande.doc_to_choice", ds_wino, NULL, wino_choice, NULL},
    {"mmlu_pro.doc_to_text", HOOK_DOC_TO_TEXT, "utils.doc_to_text", ds_mmlu_pro, NULL, mmlu_pro_text, NULL},
    {"mmlu_pro.doc_to_choice", HOOK_DOC_TO_CHOICE, "utils.doc_to_choice", ds_mmlu_pro, NULL, mmlu_pro_choice, NULL},
    {"musr.doc_to_text", HOOK_DOC_TO_TEXT, "utils.doc_to_text", ds_musr, NULL, musr_text, NULL},
    {"musr.doc_to_choice", HOOK_DOC_TO_CHOICE, "utils.doc_to_choice", ds_musr, NULL, musr_choice, NULL},
    {"truthfulqa.process_results_mc2", HOOK_PROCESS_RESULTS, "utils.process_results_mc2", ds_tqa, NULL, NULL, "truthfulqa_mc2"},
    {"ifeval.process_results", HOOK_PROCESS_RESULTS, "utils.process_results", ds_ifeval, NULL, NULL, "ifeval"},
    {"ifeval.agg_inst_level_acc", HOOK_AGGREGATION, "utils.agg_inst_level_acc", ds_ifeval, NULL, NULL, "flat_mean"},
};

#define N_HOOKS (sizeof hooks / sizeof hooks[0])

const task_hook *task_hook_find(const char *name, task_hook_kind kind)
{
    for (size_t i = 0; name && i < N_HOOKS; i++)
        if (hooks[i].kind == kind && !strcmp(hooks[i].name, name)) return &hooks[i];
    return NULL;
}

static int lists(const char *const *v, const char *s)
{
    for (int i = 0; s && v && v[i]; i++)
        if (!strcmp(v[i], s)) return 1;
    return 0;
}

const task_hook *task_hook_for_lmeval(const char *qual, task_hook_kind kind, const char *dataset_path, char *err)
{
    const task_hook *only = NULL;
    int n = 0;
    for (size_t i = 0; i < N_HOOKS; i++) {
        const task_hook *h = &hooks[i];
        if (h->kind != kind || strcmp(h->lmeval, qual)) continue;
        if (lists(h->datasets, dataset_path)) return h;
        only = h;
        n++;
    }
    if (n == 1) return only;
    char *have = task_hooks_list();
    tt_fail(err, TT_ERR_UNSUPPORTED,
            "'!function %s' is Python code, which Tianti cannot run; it has C versions of these lm-eval functions "
            "(for the dataset_path each was written for): %s",
            qual, have);
    free(have);
    return NULL;
}

char *task_hooks_list(void)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (size_t i = 0; i < N_HOOKS; i++)
        tt_buf_printf(&b, "%s%s (%s of %s)", i ? "; " : "", hooks[i].name, hooks[i].lmeval, hooks[i].datasets[0]);
    return tt_buf_detach(&b);
}
