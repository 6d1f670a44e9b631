/*
 * ifeval.c — IFEval's instruction checkers; see ifeval.h. Each check_*
 * function reproduces one class of lm-eval's instructions.py (named above
 * it), the building blocks reproduce instructions_util.py, and
 * ifeval_score reproduces utils.py's strict and loose tests. Language
 * detection is in ifeval_lang.c.
 */
#include "judges/ifeval.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"

/* ---- Python string helpers --------------------------------------------------- */

static char *strip_copy(const char *s)
{
    pytext_span sp = pytext_strip(s, strlen(s));
    return tt_strndup(sp.p, sp.len);
}

static char *lower_copy(const char *s) { return pytext_lower(s, strlen(s)); }

static int starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }

static int ends_with(const char *s, const char *p)
{
    size_t a = strlen(s), b = strlen(p);
    return a >= b && !memcmp(s + a - b, p, b);
}

/* Number of non-overlapping matches of a Python pattern (re.findall's
 * length); -1 when the pattern does not compile. */
static long count_matches(const char *pattern, const char *s, char *err)
{
    pytext_regex r;
    if (pytext_regex_compile(&r, pattern, err) != TT_OK) return -1;
    pytext_span *m = NULL;
    size_t n = pytext_regex_findall(&r, s, &m);
    free(m);
    pytext_regex_free(&r);
    return (long)n;
}

/* re.search: 1 found, 0 not, -1 bad pattern. */
static int search(const char *pattern, const char *s, char *err)
{
    pytext_regex r;
    if (pytext_regex_compile(&r, pattern, err) != TT_OK) return -1;
    pytext_span m;
    int found = pytext_regex_search(&r, s, &m);
    pytext_regex_free(&r);
    return found;
}

/* re.split(pattern, s) for a pattern without groups that cannot match
 * empty: the pieces (owned strings, NULL-terminated), *n of them. */
static char **regex_split(const char *pattern, const char *s, size_t *n, char *err)
{
    pytext_regex r;
    *n = 0;
    if (pytext_regex_compile(&r, pattern, err) != TT_OK) return NULL;
    char **v = tt_calloc(1, sizeof *v);
    size_t pos = 0, len = strlen(s);
    pytext_span m[1];
    while (pos <= len && pytext_regex_match(&r, s, pos, m, 1) && m[0].len > 0) {
        size_t at = (size_t)(m[0].p - s);
        v = tt_realloc(v, sizeof *v * (*n + 2));
        v[(*n)++] = tt_strndup(s + pos, at - pos);
        pos = at + m[0].len;
    }
    v = tt_realloc(v, sizeof *v * (*n + 2));
    v[(*n)++] = tt_strdup(s + (pos <= len ? pos : len));
    v[*n] = NULL;
    pytext_regex_free(&r);
    return v;
}

/* str.split(sep) for a literal separator. */
static char **literal_split(const char *s, const char *sep, size_t *n)
{
    char **v = tt_calloc(1, sizeof *v);
    *n = 0;
    size_t sl = strlen(sep);
    const char *p = s;
    for (;;) {
        const char *h = strstr(p, sep);
        size_t l = h ? (size_t)(h - p) : strlen(p);
        v = tt_realloc(v, sizeof *v * (*n + 2));
        v[(*n)++] = tt_strndup(p, l);
        v[*n] = NULL;
        if (!h) break;
        p = h + sl;
    }
    return v;
}

static void strv_free(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

static int is_blank(const char *s) { return pytext_strip(s, strlen(s)).len == 0; }

/* Case of one code point: 1 upper, 2 lower, 3 title, 0 uncased (as far as
 * the case mappings tell: a character that only lower() changes is upper
 * case, one that only upper() changes lower case, one both change title). */
static int char_case(const char *s, size_t len)
{
    if (len == 1 && !isalpha((unsigned char)*s)) return 0;
    char *lo = pytext_lower(s, len), *up = pytext_upper(s, len);
    int lo_changes = strlen(lo) != len || memcmp(lo, s, len);
    int up_changes = strlen(up) != len || memcmp(up, s, len);
    free(lo);
    free(up);
    if (lo_changes && up_changes) return 3;
    if (lo_changes) return 1;
    if (up_changes) return 2;
    return 0;
}

/* str.isupper (want 1) / str.islower (want 2). */
static int is_case(const char *s, int want)
{
    size_t n = strlen(s);
    int any = 0;
    for (size_t i = 0; i < n;) {
        size_t l = tt_utf8_char_len(s + i, n - i);
        int c = char_case(s + i, l);
        if (c == 3 || (c && c != want)) return 0;
        if (c == want) any = 1;
        i += l;
    }
    return any;
}

int ifeval_isupper(const char *s) { return is_case(s, 1); }
int ifeval_islower(const char *s) { return is_case(s, 2); }

/* ---- instructions_util.py -------------------------------------------------------- */

size_t ifeval_count_words(const char *s)
{
    char err[TT_ERR_SIZE];
    long n = count_matches("\\w+", s, err);
    return n < 0 ? 0 : (size_t)n;
}

/* Words punkt's English model treats as abbreviations (lower case, without
 * the final period). */
static const char *const abbreviations[] = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co",
    "corp", "dept", "univ", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "no", "vol", "fig", "gen", "gov", "sen", "rep", "rev", "lt",
    "col", "capt", "sgt", "u.s", "u.k", "a.m", "p.m", "approx", "est", "ave", "blvd", "rd", "al", NULL};

static int is_abbreviation(const char *word, size_t n)
{
    /* strip opening quotes and brackets */
    while (n && strchr("\"'([{", *word)) word++, n--;
    if (n == 0) return 0;
    char low[32];
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)word[i]);
    low[n] = 0;
    for (int i = 0; abbreviations[i]; i++)
        if (!strcmp(low, abbreviations[i])) return 1;
    /* an initial: one letter ("J. Smith"), or letters with inner periods (U.S.A) */
    if (n == 1 && isalpha((unsigned char)low[0])) return 1;
    int dotted = 1;
    for (size_t i = 0; i < n; i++)
        if (!(i % 2 ? low[i] == '.' : isalpha((unsigned char)low[i]))) dotted = 0;
    return dotted && n >= 3;
}

size_t ifeval_count_sentences(const char *s)
{
    size_t n = strlen(s), count = 0, i = 0;
    int in_sentence = 0;
    while (i < n) {
        size_t sp = pytext_space_len(s + i, n - i);
        if (sp) {
            i += sp;
            continue;
        }
        /* a white-space separated token */
        size_t start = i;
        while (i < n && !pytext_space_len(s + i, n - i)) i += tt_utf8_char_len(s + i, n - i);
        in_sentence = 1;
        /* does it end a sentence? [.!?]+ then closing quotes/brackets */
        size_t e = i;
        while (e > start && strchr("\"')]}", s[e - 1])) e--;
        if (e > start && (s[e - 1] == '.' || s[e - 1] == '!' || s[e - 1] == '?')) {
            size_t p = e;
            while (p > start && (s[p - 1] == '.' || s[p - 1] == '!' || s[p - 1] == '?')) p--;
            int only_periods = 1;
            for (size_t k = p; k < e; k++) only_periods &= s[k] == '.';
            /* "Mr." and "U.S." stay inside the sentence; "..." mid-sentence ends one as punkt does */
            if (only_periods && e - p == 1 && is_abbreviation(s + start, p - start)) continue;
            count++;
            in_sentence = 0;
        }
    }
    return count + (size_t)in_sentence;
}

/* Treebank-like tokens: punctuation split off the ends of white-space
 * words, contractions separated, inner hyphens and periods kept. */
size_t ifeval_word_tokens(const char *s, char ***tokens)
{
    size_t n = strlen(s), count = 0;
    char **v = tokens ? tt_calloc(1, sizeof *v) : NULL;
#define PUSH(p, l)                                                                                                     \
    do {                                                                                                               \
        if ((l) > 0) {                                                                                                 \
            if (v) {                                                                                                   \
                v = tt_realloc(v, sizeof *v * (count + 2));                                                           \
                v[count] = tt_strndup((p), (l));                                                                       \
                v[count + 1] = NULL;                                                                                   \
            }                                                                                                          \
            count++;                                                                                                   \
        }                                                                                                              \
    } while (0)
    static const char *const contractions[] = {"n't", "'s", "'re", "'ve", "'ll", "'d", "'m", NULL};
    for (size_t i = 0; i < n;) {
        size_t sp = pytext_space_len(s + i, n - i);
        if (sp) {
            i += sp;
            continue;
        }
        size_t a = i;
        while (i < n && !pytext_space_len(s + i, n - i)) i += tt_utf8_char_len(s + i, n - i);
        size_t b = i;
        /* leading punctuation, one token each */
        while (a < b && ispunct((unsigned char)s[a]) && s[a] != '-') {
            PUSH(s + a, 1);
            a++;
        }
        /* trailing punctuation */
        size_t tail = b;
        while (tail > a && ispunct((unsigned char)s[tail - 1]) && s[tail - 1] != '-') tail--;
        /* a contraction at the end of the word */
        size_t cut = tail;
        for (int k = 0; contractions[k]; k++) {
            size_t cl = strlen(contractions[k]);
            if (tail - a > cl && !strncasecmp(s + tail - cl, contractions[k], cl)) {
                cut = tail - cl;
                break;
            }
        }
        PUSH(s + a, cut - a);
        PUSH(s + cut, tail - cut);
        for (size_t k = tail; k < b; k++) PUSH(s + k, 1);
    }
#undef PUSH
    if (tokens) *tokens = v;
    return count;
}

/* ---- the checkers ------------------------------------------------------------------ */

/* kwargs access (null values are absent, as utils.py drops falsy values) */
static const char *kw_str(const json_t *kw, const char *k)
{
    const char *s = json_string_value(json_object_get(kw, k));
    return s && *s ? s : NULL;
}

static int kw_int(const json_t *kw, const char *k, long long *v)
{
    json_t *x = json_object_get(kw, k);
    if (json_is_integer(x) && json_integer_value(x) != 0) {
        *v = json_integer_value(x);
        return 1;
    }
    if (json_is_real(x) && json_real_value(x) != 0) {
        *v = (long long)json_real_value(x);
        return 1;
    }
    return 0;
}

typedef struct ictx {
    const char *id;
    const json_t *kw;
    const char *prompt;
    char *err;
} ictx;

static int need(ictx *c, const char *what)
{
    return tt_fail(c->err, TT_ERR_PARSE, "IFEval instruction '%s': kwargs need '%s'", c->id, what);
}

/* relation "less than" -> 0, "at least" -> 1, else -1 */
static int relation(ictx *c, const char *key)
{
    const char *r = kw_str(c->kw, key);
    if (r && !strcmp(r, "less than")) return 0;
    if (r && !strcmp(r, "at least")) return 1;
    return -1;
}

static int compare(long long actual, int rel, long long threshold)
{
    return rel == 0 ? actual < threshold : actual >= threshold;
}

/* Each returns 1/0, or -1 with c->err set. */

/* KeywordChecker: every keyword is found (re.search, IGNORECASE). */
static int check_keywords_existence(ictx *c, const char *v)
{
    json_t *kws = json_object_get(c->kw, "keywords");
    if (!json_is_array(kws) || json_array_size(kws) == 0) return need(c, "keywords"), -1;
    size_t i;
    json_t *k;
    json_array_foreach(kws, i, k) {
        if (!json_is_string(k)) return need(c, "keywords (strings)"), -1;
        char *pat = tt_asprintf("(?i)%s", json_string_value(k));
        int f = search(pat, v, c->err);
        free(pat);
        if (f <= 0) return f;
    }
    return 1;
}

/* KeywordFrequencyChecker: len(re.findall(keyword, value, IGNORECASE)). */
static int check_keyword_frequency(ictx *c, const char *v)
{
    const char *kwd = kw_str(c->kw, "keyword");
    long long f;
    int rel = relation(c, "relation");
    if (!kwd || !kw_int(c->kw, "frequency", &f) || rel < 0) return need(c, "keyword, frequency, relation"), -1;
    char *k = strip_copy(kwd);
    char *pat = tt_asprintf("(?i)%s", k);
    long n = count_matches(pat, v, c->err);
    free(pat);
    free(k);
    return n < 0 ? -1 : compare(n, rel, f);
}

/* ForbiddenWords: no \bword\b (IGNORECASE). */
static int check_forbidden_words(ictx *c, const char *v)
{
    json_t *ws = json_object_get(c->kw, "forbidden_words");
    if (!json_is_array(ws) || json_array_size(ws) == 0) return need(c, "forbidden_words"), -1;
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w) {
        if (!json_is_string(w)) return need(c, "forbidden_words (strings)"), -1;
        char *pat = tt_asprintf("(?i)\\b%s\\b", json_string_value(w));
        int f = search(pat, v, c->err);
        free(pat);
        if (f < 0) return -1;
        if (f) return 0;
    }
    return 1;
}

/* LetterFrequencyChecker: Counter(value.lower())[letter]. */
static int check_letter_frequency(ictx *c, const char *v)
{
    const char *l = kw_str(c->kw, "letter");
    long long f;
    int rel = relation(c, "let_relation");
    if (!l || !kw_int(c->kw, "let_frequency", &f) || rel < 0) return need(c, "letter, let_frequency, let_relation"), -1;
    char *ls = strip_copy(l), *letter = lower_copy(ls);
    free(ls);
    char *low = lower_copy(v);
    long long n = 0;
    size_t ll = strlen(letter), vl = strlen(low);
    if (ll && tt_utf8_codepoints(letter, ll) == 1)
        for (size_t i = 0; i < vl;) {
            size_t cl = tt_utf8_char_len(low + i, vl - i);
            if (cl == ll && !memcmp(low + i, letter, ll)) n++;
            i += cl;
        }
    free(letter);
    free(low);
    return compare(n, rel, f);
}

/* ResponseLanguageChecker: langdetect.detect(value) == language (no
 * letters: langdetect raises, counted as followed). */
static int check_language(ictx *c, const char *v)
{
    const char *lang = kw_str(c->kw, "language");
    if (!lang) return need(c, "language"), -1;
    const char *d = ifeval_detect_language(v);
    return !d || !strcmp(d, lang);
}

/* NumberOfSentences */
static int check_number_sentences(ictx *c, const char *v)
{
    long long n;
    int rel = relation(c, "relation");
    if (!kw_int(c->kw, "num_sentences", &n) || rel < 0) return need(c, "num_sentences, relation"), -1;
    return compare((long long)ifeval_count_sentences(v), rel, n);
}

/* ParagraphChecker: re.split(r"\s?\*\*\*\s?", value); empty pieces only at
 * the ends. */
static int check_number_paragraphs(ictx *c, const char *v)
{
    long long want;
    if (!kw_int(c->kw, "num_paragraphs", &want)) return need(c, "num_paragraphs"), -1;
    size_t n;
    char **p = regex_split("\\s?\\*\\*\\*\\s?", v, &n, c->err);
    if (!p) return -1;
    long long count = (long long)n;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++)
        if (is_blank(p[i])) {
            if (i == 0 || i == n - 1) count--;
            else ok = 0;
        }
    strv_free(p);
    return ok && count == want;
}

/* NumberOfWords */
static int check_number_words(ictx *c, const char *v)
{
    long long n;
    int rel = relation(c, "relation");
    if (!kw_int(c->kw, "num_words", &n) || rel < 0) return need(c, "num_words, relation"), -1;
    return compare((long long)ifeval_count_words(v), rel, n);
}

/* ParagraphFirstWordCheck: paragraphs split on "\n\n". */
static int check_nth_paragraph_first_word(ictx *c, const char *v)
{
    long long want, nth;
    const char *fw = kw_str(c->kw, "first_word");
    if (!kw_int(c->kw, "num_paragraphs", &want) || !kw_int(c->kw, "nth_paragraph", &nth) || !fw)
        return need(c, "num_paragraphs, nth_paragraph, first_word"), -1;
    size_t n;
    char **p = literal_split(v, "\n\n", &n);
    long long count = (long long)n;
    for (size_t i = 0; i < n; i++)
        if (is_blank(p[i])) count--;
    int result = 0;
    if (nth >= 1 && nth <= count) {
        char *para = strip_copy(p[nth - 1]);
        if (*para) {
            pytext_span *words = NULL;
            size_t nw = pytext_split(para, strlen(para), &words);
            tt_buf first;
            tt_buf_init(&first);
            tt_buf_puts(&first, "");
            if (nw > 0) {
                const char *w = words[0].p;
                size_t wl = words[0].len;
                while (wl && *w == '\'') w++, wl--;
                while (wl && *w == '"') w++, wl--;
                for (size_t i = 0; i < wl;) {
                    if (strchr(".,?!'\"", w[i])) break;
                    size_t cl = tt_utf8_char_len(w + i, wl - i);
                    char *lc = pytext_lower(w + i, cl);
                    tt_buf_puts(&first, lc);
                    free(lc);
                    i += cl;
                }
            }
            free(words);
            char *want_word = lower_copy(fw);
            result = count == want && !strcmp(tt_buf_str(&first), want_word);
            free(want_word);
            tt_buf_free(&first);
        }
        free(para);
    }
    strv_free(p);
    return result;
}

/* PlaceholderChecker: len(re.findall(r"\[.*?\]", value)) >= n */
static int check_placeholders(ictx *c, const char *v)
{
    long long want;
    if (!kw_int(c->kw, "num_placeholders", &want)) return need(c, "num_placeholders"), -1;
    long n = count_matches("\\[.*?\\]", v, c->err);
    return n < 0 ? -1 : n >= want;
}

/* PostscriptChecker */
static int check_postscript(ictx *c, const char *v)
{
    const char *m = kw_str(c->kw, "postscript_marker");
    if (!m) return need(c, "postscript_marker"), -1;
    char *marker = strip_copy(m);
    char *pat;
    if (!strcmp(marker, "P.P.S")) pat = tt_strdup("(?m)\\s*p\\.\\s?p\\.\\s?s.*$");
    else if (!strcmp(marker, "P.S.")) pat = tt_strdup("(?m)\\s*p\\.\\s?s\\..*$");
    else {
        char *lm = lower_copy(marker);
        pat = tt_asprintf("(?m)\\s*%s.*$", lm);
        free(lm);
    }
    free(marker);
    char *low = lower_copy(v);
    long n = count_matches(pat, low, c->err);
    free(pat);
    free(low);
    return n < 0 ? -1 : n > 0;
}

/* BulletListChecker */
static int check_bullets(ictx *c, const char *v)
{
    long long want;
    if (!kw_int(c->kw, "num_bullets", &want)) return need(c, "num_bullets"), -1;
    long a = count_matches("(?m)^\\s*\\*[^\\*].*$", v, c->err);
    long b = a < 0 ? -1 : count_matches("(?m)^\\s*-.*$", v, c->err);
    return b < 0 ? -1 : a + b == want;
}

/* ConstrainedResponseChecker */
static int check_constrained_response(ictx *c, const char *v)
{
    (void)c;
    static const char *const options[] = {"My answer is yes.", "My answer is no.", "My answer is maybe."};
    char *s = strip_copy(v);
    int found = 0;
    for (int i = 0; i < 3 && !found; i++) found = strstr(s, options[i]) != NULL;
    free(s);
    return found;
}

/* HighlightSectionChecker: *x* and **x** with non-blank insides */
static int check_highlights(ictx *c, const char *v)
{
    long long want;
    if (!kw_int(c->kw, "num_highlights", &want)) return need(c, "num_highlights"), -1;
    long long n = 0;
    for (int pass = 0; pass < 2; pass++) {
        pytext_regex r;
        if (pytext_regex_compile(&r, pass ? "\\*\\*[^\\n\\*]*\\*\\*" : "\\*[^\\n\\*]*\\*", c->err)) return -1;
        pytext_span *m = NULL;
        size_t k = pytext_regex_findall(&r, v, &m);
        for (size_t i = 0; i < k; i++) {
            /* pass 0: strip('*').strip(); pass 1: removeprefix/removesuffix('**').strip() */
            const char *p = m[i].p;
            size_t l = m[i].len;
            if (pass == 0) {
                while (l && *p == '*') p++, l--;
                while (l && p[l - 1] == '*') l--;
            } else {
                p += 2, l -= 2;
                l -= 2;
            }
            if (pytext_strip(p, l).len) n++;
        }
        free(m);
        pytext_regex_free(&r);
    }
    return n >= want;
}

/* SectionChecker: len(re.split(r"\s?" + spliter + r"\s?\d+\s?", value)) - 1 */
static int check_sections(ictx *c, const char *v)
{
    long long want;
    const char *sp = kw_str(c->kw, "section_spliter");
    if (!kw_int(c->kw, "num_sections", &want) || !sp) return need(c, "num_sections, section_spliter"), -1;
    char *spl = strip_copy(sp);
    char *pat = tt_asprintf("\\s?%s\\s?\\d+\\s?", spl);
    free(spl);
    long n = count_matches(pat, v, c->err);
    free(pat);
    return n < 0 ? -1 : n >= want;
}

/* JsonFormat: json.loads after removing ``` fences */
static int check_json(ictx *c, const char *v)
{
    (void)c;
    char *s = strip_copy(v);
    const char *p = s;
    static const char *const prefixes[] = {"```json", "```Json", "```JSON", "```"};
    for (int i = 0; i < 4; i++)
        if (starts_with(p, prefixes[i])) p += strlen(prefixes[i]);
    size_t l = strlen(p);
    if (l >= 3 && !strcmp(p + l - 3, "```")) l -= 3;
    pytext_span st = pytext_strip(p, l);
    json_error_t je;
    json_t *j = json_loadb(st.p, st.len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);
    int ok = j != NULL;
    json_decref(j);
    free(s);
    return ok;
}

/* TitleChecker: a <<title>> with a non-blank inside */
static int check_title(ictx *c, const char *v)
{
    pytext_regex r;
    if (pytext_regex_compile(&r, "<<[^\\n]+>>", c->err)) return -1;
    pytext_span *m = NULL;
    size_t k = pytext_regex_findall(&r, v, &m);
    int found = 0;
    for (size_t i = 0; i < k && !found; i++) {
        const char *p = m[i].p;
        size_t l = m[i].len;
        while (l && *p == '<') p++, l--;
        while (l && p[l - 1] == '>') l--;
        found = pytext_strip(p, l).len > 0;
    }
    free(m);
    pytext_regex_free(&r);
    return found;
}

/* TwoResponsesChecker: value.split("******") */
static int check_two_responses(ictx *c, const char *v)
{
    (void)c;
    size_t n;
    char **parts = literal_split(v, "******", &n);
    char *valid[2] = {NULL, NULL};
    int n_valid = 0, ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        if (is_blank(parts[i])) {
            if (i != 0 && i != n - 1) ok = 0;
        } else {
            if (n_valid < 2) valid[n_valid] = parts[i];
            n_valid++;
        }
    }
    int result = 0;
    if (ok && n_valid == 2) {
        pytext_span a = pytext_strip(valid[0], strlen(valid[0])), b = pytext_strip(valid[1], strlen(valid[1]));
        result = !(a.len == b.len && !memcmp(a.p, b.p, a.len));
    }
    strv_free(parts);
    return result;
}

/* RepeatPromptThenAnswer */
static int check_repeat_prompt(ictx *c, const char *v)
{
    const char *p = kw_str(c->kw, "prompt_to_repeat");
    if (!p) return need(c, "prompt_to_repeat"), -1;
    char *a = strip_copy(v), *b = strip_copy(p);
    char *al = lower_copy(a), *bl = lower_copy(b);
    int ok = starts_with(al, bl);
    free(a);
    free(b);
    free(al);
    free(bl);
    return ok;
}

/* EndChecker: value.strip().strip('"').lower().endswith(phrase.strip().lower()) */
static int check_end(ictx *c, const char *v)
{
    const char *e = kw_str(c->kw, "end_phrase");
    if (!e) return need(c, "end_phrase"), -1;
    char *s = strip_copy(v);
    const char *p = s;
    size_t l = strlen(p);
    while (l && *p == '"') p++, l--;
    while (l && p[l - 1] == '"') l--;
    char *core = tt_strndup(p, l), *low = lower_copy(core);
    char *es = strip_copy(e), *el = lower_copy(es);
    int ok = ends_with(low, el);
    free(s);
    free(core);
    free(low);
    free(es);
    free(el);
    return ok;
}

/* QuotationChecker */
static int check_quotation(ictx *c, const char *v)
{
    (void)c;
    char *s = strip_copy(v);
    size_t l = strlen(s);
    int ok = tt_utf8_codepoints(s, l) > 1 && s[0] == '"' && s[l - 1] == '"';
    free(s);
    return ok;
}

/* CapitalWordFrequencyChecker: word_tokenize, count isupper() */
static int check_capital_word_frequency(ictx *c, const char *v)
{
    long long f;
    int rel = relation(c, "capital_relation");
    if (!kw_int(c->kw, "capital_frequency", &f) || rel < 0) return need(c, "capital_frequency, capital_relation"), -1;
    char **tok = NULL;
    size_t n = ifeval_word_tokens(v, &tok);
    long long caps = 0;
    for (size_t i = 0; i < n; i++) caps += ifeval_isupper(tok[i]);
    strv_free(tok);
    return compare(caps, rel, f);
}

/* CapitalLettersEnglishChecker / LowercaseLettersEnglishChecker */
static int check_english_case(const char *v, int upper)
{
    const char *d = ifeval_detect_language(v);
    int cased = upper ? ifeval_isupper(v) : ifeval_islower(v);
    if (!d) return 1; /* langdetect raised: counted as followed */
    return cased && !strcmp(d, "en");
}

static int check_english_capital(ictx *c, const char *v) { (void)c; return check_english_case(v, 1); }
static int check_english_lowercase(ictx *c, const char *v) { (void)c; return check_english_case(v, 0); }

/* CommaChecker */
static int check_no_comma(ictx *c, const char *v) { (void)c; return strchr(v, ',') == NULL; }

static const struct checker {
    const char *id;
    int (*fn)(ictx *c, const char *v);
} checkers[] = {
    {"keywords:existence", check_keywords_existence},
    {"keywords:frequency", check_keyword_frequency},
    {"keywords:forbidden_words", check_forbidden_words},
    {"keywords:letter_frequency", check_letter_frequency},
    {"language:response_language", check_language},
    {"length_constraints:number_sentences", check_number_sentences},
    {"length_constraints:number_paragraphs", check_number_paragraphs},
    {"length_constraints:number_words", check_number_words},
    {"length_constraints:nth_paragraph_first_word", check_nth_paragraph_first_word},
    {"detectable_content:number_placeholders", check_placeholders},
    {"detectable_content:postscript", check_postscript},
    {"detectable_format:number_bullet_lists", check_bullets},
    {"detectable_format:constrained_response", check_constrained_response},
    {"detectable_format:number_highlighted_sections", check_highlights},
    {"detectable_format:multiple_sections", check_sections},
    {"detectable_format:json_format", check_json},
    {"detectable_format:title", check_title},
    {"combination:two_responses", check_two_responses},
    {"combination:repeat_prompt", check_repeat_prompt},
    {"startend:end_checker", check_end},
    {"startend:quotation", check_quotation},
    {"change_case:capital_word_frequency", check_capital_word_frequency},
    {"change_case:english_capital", check_english_capital},
    {"change_case:english_lowercase", check_english_lowercase},
    {"punctuation:no_comma", check_no_comma},
};

static const struct checker *find_checker(const char *id)
{
    for (size_t i = 0; id && i < sizeof checkers / sizeof checkers[0]; i++)
        if (!strcmp(checkers[i].id, id)) return &checkers[i];
    return NULL;
}

int ifeval_known(const char *id) { return find_checker(id) != NULL; }

int ifeval_check(const char *id, const json_t *kwargs, const char *prompt, const char *response, int *followed,
                 char *err)
{
    *followed = 0;
    const struct checker *ck = find_checker(id);
    if (!ck) return tt_fail(err, TT_ERR_PARSE, "unknown IFEval instruction '%s'", id ? id : "(none)");
    if (kwargs && !json_is_object(kwargs) && !json_is_null(kwargs))
        return tt_fail(err, TT_ERR_PARSE, "IFEval instruction '%s': kwargs must be an object", id);
    json_t *empty = json_object();
    ictx c = {.id = id, .kw = json_is_object(kwargs) ? kwargs : empty, .prompt = prompt, .err = err};
    int r = 0;
    if (response && !is_blank(response)) r = ck->fn(&c, response);
    json_decref(empty);
    if (r < 0) return TT_ERR_PARSE;
    *followed = r;
    return TT_OK;
}

/* utils.py test_instruction_following_loose: the response, without '*',
 * without its first and/or last line (stripped), and both. */
static char **loose_variants(const char *response)
{
    size_t n;
    char **lines = literal_split(response, "\n", &n);
    tt_buf a, b, c;
    tt_buf_init(&a);
    tt_buf_init(&b);
    tt_buf_init(&c);
    tt_buf_puts(&a, "");
    tt_buf_puts(&b, "");
    tt_buf_puts(&c, "");
    for (size_t i = 1; i < n; i++) tt_buf_printf(&a, "%s%s", i > 1 ? "\n" : "", lines[i]);          /* r[1:] */
    for (size_t i = 0; i + 1 < n; i++) tt_buf_printf(&b, "%s%s", i ? "\n" : "", lines[i]);          /* r[:-1] */
    for (size_t i = 1; i + 1 < n; i++) tt_buf_printf(&c, "%s%s", i > 1 ? "\n" : "", lines[i]);      /* r[1:-1] */
    strv_free(lines);
    char *rm_first = strip_copy(tt_buf_str(&a)), *rm_last = strip_copy(tt_buf_str(&b)), *rm_both = strip_copy(tt_buf_str(&c));
    tt_buf_free(&a);
    tt_buf_free(&b);
    tt_buf_free(&c);
    char **v = tt_calloc(9, sizeof *v);
    const char *base[4] = {response, rm_first, rm_last, rm_both};
    /* the order of utils.py: response, revised, first, last, both, revised first, last, both */
    v[0] = tt_strdup(response);
    for (int k = 0; k < 4; k++) {
        tt_buf r;
        tt_buf_init(&r);
        tt_buf_puts(&r, "");
        for (const char *p = base[k]; *p; p++)
            if (*p != '*') tt_buf_append(&r, p, 1);
        v[k == 0 ? 1 : 4 + k] = tt_buf_detach(&r);
    }
    v[2] = rm_first;
    v[3] = rm_last;
    v[4] = rm_both;
    return v;
}

int ifeval_score(const json_t *doc, const char *response, int **strict, int **loose, int *n, char *err)
{
    *strict = *loose = NULL;
    *n = 0;
    json_t *ids = json_object_get(doc, "instruction_id_list"), *kwargs = json_object_get(doc, "kwargs");
    const char *prompt = json_string_value(json_object_get(doc, "prompt"));
    if (!json_is_array(ids) || json_array_size(ids) == 0)
        return tt_fail(err, TT_ERR_PARSE, "an IFEval document needs a non-empty 'instruction_id_list'");
    if (kwargs && !json_is_array(kwargs))
        return tt_fail(err, TT_ERR_PARSE, "an IFEval document's 'kwargs' must be a list");
    size_t m = json_array_size(ids);
    if (!response) response = "";
    int *s = tt_calloc(m + 1, sizeof *s), *l = tt_calloc(m + 1, sizeof *l);
    char **variants = loose_variants(response);
    int rc = TT_OK;
    for (size_t i = 0; i < m && rc == TT_OK; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        const json_t *kw = json_array_get(kwargs, i);
        rc = ifeval_check(id, kw, prompt, response, &s[i], err);
        for (int k = 0; k < 8 && rc == TT_OK && !l[i]; k++) rc = ifeval_check(id, kw, prompt, variants[k], &l[i], err);
    }
    strv_free(variants);
    if (rc) {
        free(s);
        free(l);
        return rc;
    }
    *strict = s;
    *loose = l;
    *n = (int)m;
    return TT_OK;
}
