/*
 * conv.c — the facts of conv.h read off a battle's conversations: identity
 * words, error and unfinished answers, turns, language and topic, and the
 * markdown counts of FastChat's add_markdown_info.py, reimplemented from
 * the regular expressions' meaning (Python `re`, MULTILINE):
 *   headers   ^#{k}\s for k = 1..6   -> line starts, then k '#', then \s
 *   ordered   ^\s*\d+\.\s            -> line starts, \s* (may cross lines), digits, '.', \s
 *   unordered ^\s*[-*+]\s
 *   bold      \*\*[^*\n]+\*\*  and  __[^_\n]+__   (leftmost, non-overlapping)
 *   code      ```([^`]*)```: every block's content is then removed wherever
 *             it occurs (str.replace), before the counts above.
 * \s is Python's Unicode whitespace; \d is taken as ASCII digits only.
 */
#include "arena/conv.h"
#include "core/utf8.h"
#include "core/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- categories ------------------------------------------------------------ */

static const struct { unsigned bit; const char *name; } cat_names[] = {
    {ARENA_CAT_EN, "en"},     {ARENA_CAT_ZH, "zh"},       {ARENA_CAT_OTHER_LANG, "other"},
    {ARENA_CAT_CODE, "code"}, {ARENA_CAT_MATH, "math"},   {ARENA_CAT_LONG, "long"},
    {ARENA_CAT_MULTITURN, "multiturn"},                   {ARENA_CAT_HARD, "hard"},
};
#define N_CATS (sizeof cat_names / sizeof cat_names[0])

const char *arena_category_name(unsigned bit)
{
    for (size_t i = 0; i < N_CATS; i++)
        if (cat_names[i].bit == bit) return cat_names[i].name;
    return bit ? "?" : "all";
}

int arena_category_parse(const char *name, unsigned *bit, char *err)
{
    if (!name || !strcmp(name, "all")) {
        *bit = 0;
        return TT_OK;
    }
    for (size_t i = 0; i < N_CATS; i++)
        if (!strcmp(name, cat_names[i].name)) {
            *bit = cat_names[i].bit;
            return TT_OK;
        }
    return tt_fail(err, TT_ERR_USAGE,
                   "unknown category '%s' (expected all, en, zh, other, code, math, long, multiturn or hard)", name);
}

char *arena_categories_format(unsigned cats)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (size_t i = 0; i < N_CATS; i++)
        if (cats & cat_names[i].bit) {
            if (b.len) tt_buf_puts(&b, ",");
            tt_buf_puts(&b, cat_names[i].name);
        }
    return tt_buf_detach(&b);
}

unsigned arena_categories_parse_list(const char *s)
{
    unsigned cats = 0;
    while (s && *s) {
        size_t n = strcspn(s, ",");
        for (size_t i = 0; i < N_CATS; i++)
            if (strlen(cat_names[i].name) == n && !strncmp(s, cat_names[i].name, n)) cats |= cat_names[i].bit;
        s += n;
        if (*s == ',') s++;
    }
    return cats;
}

/* ---- identity words ---------------------------------------------------------- */

/* Model and vendor names that give a model away (Tianti's own list). */
static char *default_words[] = {
    "chatgpt", "gpt-3.5", "gpt-4", "gpt-4o", "openai", "claude", "anthropic", "gemini", "bard", "palm-2",
    "llama", "meta ai", "mistral", "mixtral", "qwen", "tongyi", "deepseek", "chatglm", "zhipu", "ernie",
    "baichuan", "vicuna", "alpaca", "falcon", "gemma", "grok", "moonshot", "kimi", "lmsys", "tianti",
};

const arena_words *arena_words_builtin(void)
{
    static const arena_words builtin = {default_words, sizeof default_words / sizeof default_words[0]};
    return &builtin;
}

void arena_words_default(arena_words *out)
{
    size_t n = sizeof default_words / sizeof default_words[0];
    out->w = tt_malloc(n * sizeof *out->w);
    out->n = n;
    for (size_t i = 0; i < n; i++) out->w[i] = tt_strdup(default_words[i]);
}

int arena_words_load(const char *path, arena_words *out, char *err)
{
    out->w = NULL;
    out->n = 0;
    char *text;
    size_t len;
    int rc = tt_read_file(path, &text, &len, err);
    if (rc != TT_OK) return rc;
    size_t cap = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        while (*line == ' ' || *line == '\t') line++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) n--;
        if (n && line[0] != '#') {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 16;
                out->w = tt_realloc(out->w, cap * sizeof *out->w);
            }
            out->w[out->n++] = tt_strndup(line, n);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return TT_OK;
}

void arena_words_free(arena_words *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->w[i]);
    free(w->w);
    w->w = NULL;
    w->n = 0;
}

static int word_char(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Whole-word, ASCII case-insensitive search for needle[0..nlen). */
static int has_word(const char *text, const char *needle, size_t nlen)
{
    char pat[128];
    if (nlen < 3 || nlen >= sizeof pat) return 0;
    memcpy(pat, needle, nlen);
    pat[nlen] = 0;
    for (const char *p = text; (p = strcasestr(p, pat)) != NULL; p++) {
        int left_ok = p == text || !word_char((unsigned char)p[-1]) || !word_char((unsigned char)pat[0]);
        int right_ok = !word_char((unsigned char)p[nlen]) || !word_char((unsigned char)pat[nlen - 1]);
        if (left_ok && right_ok) return 1;
    }
    return 0;
}

int arena_words_match(const char *text, const arena_words *list, const char *const *extra, int n_extra)
{
    if (!text) return 0;
    for (int i = 0; i < n_extra; i++) {
        if (!extra[i]) continue;
        const char *at = strchr(extra[i], '@');
        if (has_word(text, extra[i], at ? (size_t)(at - extra[i]) : strlen(extra[i]))) return 1;
    }
    for (size_t i = 0; list && i < list->n; i++)
        if (has_word(text, list->w[i], strlen(list->w[i]))) return 1;
    return 0;
}

/* ---- tokens, whitespace -------------------------------------------------------- */

double arena_tokens_approx(const char *s, size_t n)
{
    double t = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c)) {
            size_t j = i;
            while (j < n && isalnum((unsigned char)s[j])) j++;
            t += 1 + (double)((j - i - 1) / 6);
            i = j;
        } else if (c < 0x80) {
            if (!isspace(c) && c >= 0x20) t += 1;
            i++;
        } else {
            size_t len;
            tt_utf8_decode(s + i, n - i, &len);
            t += 1;
            i += len;
        }
    }
    return t;
}

/* Byte length of a Python-\s character at s[0..n), else 0. */
static size_t py_space(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
    if (c < 0x80) return 0;
    size_t len;
    uint32_t cp = tt_utf8_decode(s, n, &len);
    if (len == 1) return 0;
    if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return len;
    return 0;
}

/* ---- markdown ------------------------------------------------------------------ */

/* Removes, as add_markdown_info.py's remove_pattern does, every occurrence
 * of each fenced block's content. Returns a new string (caller frees). */
static char *remove_code_blocks(const char *text, size_t n, size_t *out_len)
{
    /* collect contents of ```([^`]*)``` matches, leftmost and non-overlapping */
    size_t n_blocks = 0, cap = 0;
    size_t (*blocks)[2] = NULL;   /* offset, length of each content */
    size_t i = 0;
    while (i + 3 <= n) {
        if (memcmp(text + i, "```", 3) != 0) {
            i++;
            continue;
        }
        size_t j = i + 3;
        while (j < n && text[j] != '`') j++;
        if (j + 3 <= n && memcmp(text + j, "```", 3) == 0) {
            if (n_blocks == cap) {
                cap = cap ? cap * 2 : 8;
                blocks = tt_realloc(blocks, cap * sizeof *blocks);
            }
            blocks[n_blocks][0] = i + 3;
            blocks[n_blocks][1] = j - (i + 3);
            n_blocks++;
            i = j + 3;
        } else {
            i++;
        }
    }
    char *cur = tt_strndup(text, n);
    size_t cur_len = n;
    for (size_t b = 0; b < n_blocks; b++) {
        size_t blen = blocks[b][1];
        if (blen == 0) continue;
        char *needle = tt_strndup(text + blocks[b][0], blen);
        tt_buf out;
        tt_buf_init(&out);
        tt_buf_puts(&out, "");
        size_t k = 0;
        while (k < cur_len) {
            if (k + blen <= cur_len && memcmp(cur + k, needle, blen) == 0) {
                k += blen;
            } else {
                tt_buf_append(&out, cur + k, 1);
                k++;
            }
        }
        free(needle);
        free(cur);
        cur_len = out.len;
        cur = tt_buf_detach(&out);
    }
    free(blocks);
    *out_len = cur_len;
    return cur;
}

/* ^\s*<item>\s at line start pos: end of the match, or 0 when none.
 * ordered: \d+\. ; else one of -*+. */
static size_t list_item_at(const char *s, size_t n, size_t pos, int ordered)
{
    size_t j = pos, k;
    while (j < n && (k = py_space(s + j, n - j)) > 0) j += k;
    if (ordered) {
        size_t d = j;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
        if (j == d || j >= n || s[j] != '.') return 0;
        j++;
    } else {
        if (j >= n || !strchr("-*+", s[j])) return 0;
        j++;
    }
    if (j >= n || (k = py_space(s + j, n - j)) == 0) return 0;
    return j + k;
}

static double count_list_items(const char *s, size_t n, int ordered)
{
    double count = 0;
    size_t pos = 0;
    while (pos < n) {
        int line_start = pos == 0 || s[pos - 1] == '\n';
        size_t end = line_start ? list_item_at(s, n, pos, ordered) : 0;
        if (end) {
            count++;
            pos = end;
        } else {
            pos++;
        }
    }
    return count;
}

static double count_headers(const char *s, size_t n)
{
    double count = 0;
    for (size_t pos = 0; pos < n; pos++) {
        if (!(pos == 0 || s[pos - 1] == '\n')) continue;
        size_t j = pos;
        while (j < n && s[j] == '#') j++;
        size_t hashes = j - pos;
        if (hashes >= 1 && hashes <= 6 && j < n && py_space(s + j, n - j)) count++;
    }
    return count;
}

/* \*\*[^*\n]+\*\* (mark '*') or __[^_\n]+__ (mark '_'). */
static double count_bold(const char *s, size_t n, char mark)
{
    double count = 0;
    size_t i = 0;
    while (i + 1 < n) {
        if (s[i] != mark || s[i + 1] != mark) {
            i++;
            continue;
        }
        size_t j = i + 2;
        while (j < n && s[j] != mark && s[j] != '\n') j++;
        if (j > i + 2 && j + 1 < n && s[j] == mark && s[j + 1] == mark) {
            count++;
            i = j + 2;
        } else {
            i++;
        }
    }
    return count;
}

void arena_markdown_counts(const char *text, size_t n, double out[3])
{
    size_t len;
    char *t = remove_code_blocks(text ? text : "", text ? n : 0, &len);
    out[0] = count_headers(t, len);
    out[1] = count_list_items(t, len, 1) + count_list_items(t, len, 0);
    out[2] = count_bold(t, len, '*') + count_bold(t, len, '_');
    free(t);
}

/* ---- language, topic --------------------------------------------------------------- */

static int is_han(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0xF900 && cp <= 0xFAFF);
}

static int is_kana_or_hangul(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF);
}

/* Letters outside ASCII: Latin-1 and later alphabetic blocks, roughly (no
 * punctuation, symbols or CJK punctuation). */
static int is_other_letter(uint32_t cp)
{
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return 0;
    if (cp >= 0x2000 && cp <= 0x2BFF) return 0;   /* punctuation, symbols, arrows */
    if (cp >= 0x3000 && cp <= 0x303F) return 0;   /* CJK punctuation */
    if (cp >= 0xFF00 && cp <= 0xFF20) return 0;   /* fullwidth punctuation and digits */
    if (cp >= 0x1F000) return 0;                  /* emoji */
    return 1;
}

unsigned arena_language_of(const char *text, size_t n)
{
    size_t ascii = 0, han = 0, other = 0, kana = 0;
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = tt_utf8_decode(text + i, n - i, &len);
        i += len;
        if (cp < 0x80) {
            if (isalpha((int)cp)) ascii++;
        } else if (len == 1) {
            continue;
        } else if (is_han(cp)) {
            han++;
        } else if (is_kana_or_hangul(cp)) {
            kana++;
        } else if (is_other_letter(cp)) {
            other++;
        }
    }
    size_t letters = ascii + han + other + kana;
    if (letters == 0) return ARENA_CAT_EN;
    if (!kana && han * 5 >= letters) return ARENA_CAT_ZH;
    if (ascii * 10 >= letters * 9) return ARENA_CAT_EN;
    return ARENA_CAT_OTHER_LANG;
}

int arena_text_has_code(const char *text, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (!memcmp(text + i, "```", 3) || (i + 6 <= n && !strncasecmp(text + i, "<code>", 6))) return 1;
    return 0;
}

static const char *const math_words[] = {
    "solve", "equation", "equations", "integral", "derivative", "calculate", "calculation", "probability",
    "theorem", "polynomial", "arithmetic", "factorial", "logarithm", "geometry", "algebra", NULL,
};
static const char *const math_words_zh[] = {"方程", "计算", "求解", "概率", "积分", "导数", "几何", "数学", NULL};
static const char *const latex[] = {"\\frac", "\\int", "\\sum", "\\sqrt", "\\cdot", "\\times", "\\le", "\\ge", NULL};

int arena_text_is_math(const char *text, size_t n)
{
    char *t = tt_strndup(text, n);
    int math = 0;
    for (int i = 0; !math && math_words[i]; i++) math = has_word(t, math_words[i], strlen(math_words[i]));
    for (int i = 0; !math && math_words_zh[i]; i++) math = strstr(t, math_words_zh[i]) != NULL;
    for (int i = 0; !math && latex[i]; i++) math = strstr(t, latex[i]) != NULL;
    for (size_t i = 0; !math && i < n; i++) {
        if (!isdigit((unsigned char)t[i])) continue;
        size_t j = i + 1;
        int spaced = 0;
        while (j < n && t[j] == ' ') j++, spaced = 1;
        if (j >= n) break;
        char op = t[j];
        size_t oplen = 1;
        if (!strncmp(t + j, "×", strlen("×")) || !strncmp(t + j, "÷", strlen("÷"))) op = '*', oplen = strlen("×");
        if (!strchr("+*^=-/", op) || op == 0) continue;
        size_t k = j + oplen;
        int spaced_after = 0;
        while (k < n && t[k] == ' ') k++, spaced_after = 1;
        if (k >= n) break;
        /* '-' and '/' only between spaces: not dates, ranges or fractions of names */
        if ((op == '-' || op == '/') && !(spaced && spaced_after)) continue;
        unsigned char r = (unsigned char)t[k];
        if (isdigit(r) || isalpha(r) || r == '(') math = 1;
    }
    free(t);
    return math;
}

/* ---- a battle ------------------------------------------------------------------------ */

static int contains_ci(const char *text, const char *needle) { return text && strcasestr(text, needle) != NULL; }

static const char *const error_banners[] = {
    "network error due to high traffic", "$moderation$", "api request error", NULL,
};

static void side_style(const arena_msg *m, size_t n, double style[ARENA_STYLE_N])
{
    tt_buf joined;
    tt_buf_init(&joined);
    tt_buf_puts(&joined, "");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!m[i].role || strcmp(m[i].role, "assistant")) continue;
        if (!first) tt_buf_puts(&joined, "\n");
        first = 0;
        if (m[i].content) tt_buf_puts(&joined, m[i].content);
    }
    double md[3];
    arena_markdown_counts(joined.data, joined.len, md);
    style[ARENA_STYLE_TOKENS] = arena_tokens_approx(joined.data, joined.len);
    style[ARENA_STYLE_HEADERS] = md[0];
    style[ARENA_STYLE_LISTS] = md[1];
    style[ARENA_STYLE_BOLD] = md[2];
    tt_buf_free(&joined);
}

/* Bad bits of one side: failed, error banner, cursor, no final answer. */
static unsigned side_bad(const arena_msg *m, size_t n)
{
    unsigned bad = 0;
    int last_assistant = 0;
    for (size_t i = 0; i < n; i++) {
        int assistant = m[i].role && !strcmp(m[i].role, "assistant");
        last_assistant = assistant;
        if (assistant && !m[i].content) bad |= ARENA_BAD_ERROR;
        if (!m[i].content) continue;
        for (int k = 0; error_banners[k]; k++)
            if (contains_ci(m[i].content, error_banners[k])) bad |= ARENA_BAD_ERROR;
        if (assistant && (strstr(m[i].content, "\xE2\x96\x8C") || strstr(m[i].content, "<span class=\"cursor\">")))
            bad |= ARENA_BAD_UNFINISHED;
    }
    if (!last_assistant) bad |= ARENA_BAD_UNFINISHED;
    return bad;
}

void arena_conv_analyse(const arena_msg *a, size_t na, const arena_msg *b, size_t nb, const arena_words *identity,
                        const char *model_a, const char *model_b, arena_conv_facts *out)
{
    memset(out, 0, sizeof *out);
    if (!identity) identity = arena_words_builtin();
    const char *names[2] = {model_a, model_b};
    const arena_msg *sides[2] = {a, b};
    size_t counts[2] = {na, nb};
    int first_user_seen = 0;
    for (int s = 0; s < 2; s++) {
        out->bad |= side_bad(sides[s], counts[s]);
        side_style(sides[s], counts[s], out->style[s]);
        for (size_t i = 0; i < counts[s]; i++) {
            const arena_msg *m = &sides[s][i];
            if (!m->content) continue;
            size_t len = strlen(m->content);
            if (arena_words_match(m->content, identity, names, 2)) out->bad |= ARENA_BAD_IDENTITY;
            if (arena_text_has_code(m->content, len)) out->cats |= ARENA_CAT_CODE;
            int user = m->role && !strcmp(m->role, "user");
            if (!user || s != 0) continue;
            out->turns++;
            out->user_tokens += arena_tokens_approx(m->content, len);
            if (arena_text_is_math(m->content, len)) out->cats |= ARENA_CAT_MATH;
            if (!first_user_seen) {
                out->cats |= arena_language_of(m->content, len);
                first_user_seen = 1;
            }
        }
    }
    if (!first_user_seen) out->cats |= ARENA_CAT_EN;
    if (out->user_tokens >= 500) out->cats |= ARENA_CAT_LONG;
    if (out->turns >= 2) out->cats |= ARENA_CAT_MULTITURN;
}

/* Messages of a JSON conversation, borrowing strings from arr. */
static int msgs_of(json_t *arr, const char *side, arena_msg **out, size_t *n, char *err)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr))
        return tt_fail(err, TT_ERR_PARSE, "conversation_%s must be an array of {\"role\", \"content\"} messages", side);
    size_t k = json_array_size(arr);
    arena_msg *m = tt_calloc(k ? k : 1, sizeof *m);
    for (size_t i = 0; i < k; i++) {
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o)) {
            free(m);
            return tt_fail(err, TT_ERR_PARSE, "conversation_%s: message %zu is not an object", side, i);
        }
        m[i].role = json_string_value(json_object_get(o, "role"));
        m[i].content = json_string_value(json_object_get(o, "content"));
    }
    *out = m;
    *n = k;
    return TT_OK;
}

int arena_conv_analyse_json(const char *conv_a, const char *conv_b, const arena_words *identity,
                            const char *model_a, const char *model_b, arena_conv_facts *out, char *err)
{
    memset(out, 0, sizeof *out);
    json_t *ja = json_loads(conv_a ? conv_a : "[]", JSON_DECODE_ANY, NULL);
    json_t *jb = json_loads(conv_b ? conv_b : "[]", JSON_DECODE_ANY, NULL);
    arena_msg *ma = NULL, *mb = NULL;
    size_t na = 0, nb = 0;
    int rc = msgs_of(ja, "a", &ma, &na, err);
    if (rc == TT_OK) rc = msgs_of(jb, "b", &mb, &nb, err);
    if (rc == TT_OK) arena_conv_analyse(ma, na, mb, nb, identity, model_a, model_b, out);
    free(ma);
    free(mb);
    json_decref(ja);
    json_decref(jb);
    return rc;
}
