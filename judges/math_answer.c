/*
 * math_answer.c — MATH answer extraction, normalisation and comparison as
 * the Open LLM Leaderboard's MATH Lvl 5 scores them; see math_answer.h. The
 * string steps follow lm-eval's leaderboard/math/utils.py in order (Python
 * str.replace and re.sub, the latter through core/pytext.h).
 */
#include "judges/math_answer.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pytext.h"
#include "core/util.h"

/* Python's s.replace(from, to): a new string. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    if (!fl) return tt_strdup(s);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_puts(&b, "");
    for (const char *p = s; *p;) {
        const char *h = strstr(p, from);
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

static void replace_in(char **s, const char *from, const char *to)
{
    char *n = replace_all(*s, from, to);
    free(*s);
    *s = n;
}

/* re.sub(pattern, repl, *s) in place. */
static void regex_sub_in(char **s, const char *pattern, const char *repl)
{
    pytext_regex r;
    char err[TT_ERR_SIZE];
    if (pytext_regex_compile(&r, pattern, err) != TT_OK) return; /* fixed patterns: cannot happen */
    char *n = pytext_regex_sub(&r, *s, repl, 0, err);
    pytext_regex_free(&r);
    if (n) {
        free(*s);
        *s = n;
    }
}

char *math_last_boxed(const char *s)
{
    const char *sp = strstr(s, "\\boxed ");
    if (sp) {
        /* "\\boxed " + string.split("\\boxed ")[-1].split("$")[0] */
        const char *last = sp;
        for (const char *h = sp; (h = strstr(h + 1, "\\boxed ")) != NULL;) last = h;
        const char *after = last + 7, *dollar = strchr(after, '$');
        size_t n = dollar ? (size_t)(dollar - after) : strlen(after);
        char *tail = tt_strndup(after, n);
        char *r = tt_asprintf("\\boxed %s", tail);
        free(tail);
        return r;
    }
    const char *idx = NULL;
    for (const char *h = s; (h = strstr(h, "\\boxed")) != NULL; h++) idx = h;
    if (!idx)
        for (const char *h = s; (h = strstr(h, "\\fbox")) != NULL; h++) idx = h;
    if (!idx) return tt_strdup(MATH_INVALID_ANSWER);
    int open = 0;
    for (const char *p = idx; *p; p++) {
        if (*p == '{') open++;
        if (*p == '}') {
            open--;
            if (open == 0) return tt_strndup(idx, (size_t)(p - idx) + 1);
        }
    }
    return tt_strdup(MATH_INVALID_ANSWER);
}

char *math_remove_boxed(const char *s)
{
    if (strstr(s, "\\boxed ")) {
        if (!strncmp(s, "\\boxed ", 7)) return tt_strdup(s + 7);
        return tt_strdup(MATH_INVALID_ANSWER);
    }
    size_t n = strlen(s);
    if (n >= 7 && !strncmp(s, "\\boxed{", 7) && s[n - 1] == '}') return tt_strndup(s + 7, n - 8);
    return tt_strdup(MATH_INVALID_ANSWER);
}

char *math_unnormalized_answer(const char *response)
{
    /* text += "I hope it is correct."; re.search(r"Final Answer: The final
     * answer is(.*?). I hope it is correct.", text) */
    char *text = tt_asprintf("%sI hope it is correct.", response);
    pytext_regex r;
    char err[TT_ERR_SIZE];
    char *out = NULL;
    if (pytext_regex_compile(&r, "Final Answer: The final answer is(.*?). I hope it is correct.", err) == TT_OK) {
        pytext_span g[2];
        if (pytext_regex_match(&r, text, 0, g, 2) && g[1].p) {
            pytext_span st = pytext_strip(g[1].p, g[1].len);
            out = tt_strndup(st.p, st.len);
        }
        pytext_regex_free(&r);
    }
    free(text);
    return out ? out : tt_strdup(MATH_INVALID_ANSWER);
}

char *math_normalize_final_answer(const char *answer)
{
    static const char *const subs[][2] = {
        {"an ", ""}, {"a ", ""}, {".$", "$"}, {"\\$", ""}, {"\\ ", ""}, {" ", ""}, {"mbox", "text"},
        {",\\text{and}", ","}, {"\\text{and}", ","}, {"\\text{m}", "\\text{}"},
    };
    static const char *const removed[] = {
        "square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km", "units", "\\ldots", "sue",
        "points", "feet", "minutes", "digits", "cents", "degrees", "cm", "gm", "pounds", "meters", "meals", "edges",
        "students", "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}", "\\text{}^2",
        "\\text{}^3", "\\text{\n}", "\\text{}", "\\mathrm{th}", "^\\circ", "^{\\circ}", "\\;", ",\\!", "{,}", "\"",
        "\\dots",
    };
    /* final_answer.split("=")[-1] */
    const char *eq = strrchr(answer, '=');
    char *s = tt_strdup(eq ? eq + 1 : answer);
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) replace_in(&s, subs[i][0], subs[i][1]);
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) replace_in(&s, removed[i], "");
    regex_sub_in(&s, "(.*?)(\\$)(.*?)(\\$)(.*)", "$\\3$");
    regex_sub_in(&s, "(\\\\text\\{)(.*?)(\\})", "\\2");
    regex_sub_in(&s, "(\\\\textbf\\{)(.*?)(\\})", "\\2");
    regex_sub_in(&s, "(\\\\overline\\{)(.*?)(\\})", "\\2");
    regex_sub_in(&s, "(\\\\boxed\\{)(.*)(\\})", "\\2");
    regex_sub_in(&s, "(frac)([^{])(.)", "frac{\\2}{\\3}");
    regex_sub_in(&s, "(sqrt)([^{])", "sqrt{\\2}");
    replace_in(&s, "$", "");
    /* if final_answer.replace(",", "").isdigit(): drop the commas */
    char *nc = replace_all(s, ",", "");
    int digits = *nc != 0;
    for (const char *p = nc; *p && digits; p++) digits = isdigit((unsigned char)*p);
    if (digits) {
        free(s);
        s = nc;
    } else {
        free(nc);
    }
    return s;
}

/* ---- numbers ------------------------------------------------------------------- */

/* A plain decimal number at *p (digits, optional fraction); advances. */
static int read_decimal(const char **p, double *v)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1]))) return 0;
    char *e;
    *v = strtod(s, &e);
    /* strtod would read exponents, hex and inf: keep to digits and one dot */
    const char *q = s;
    while (isdigit((unsigned char)*q)) q++;
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q)) q++;
    }
    if (q != e) {
        char *tmp = tt_strndup(s, (size_t)(q - s));
        *v = strtod(tmp, NULL);
        free(tmp);
    }
    *p = q;
    return 1;
}

/* {NUMBER} with an optional sign inside. */
static int read_braced(const char **p, double *v)
{
    const char *s = *p;
    if (*s != '{') return 0;
    s++;
    int neg = 0;
    if (*s == '-' || *s == '+') neg = *s++ == '-';
    if (!read_decimal(&s, v) || *s != '}') return 0;
    if (neg) *v = -*v;
    *p = s + 1;
    return 1;
}

/* The value of a whole answer that is a plain number: [-+] then a decimal,
 * \frac{a}{b} (\dfrac, \tfrac) or a/b. */
static int number_value(const char *text, double *out)
{
    pytext_span st = pytext_strip(text, strlen(text));
    char *t = tt_strndup(st.p, st.len);
    const char *p = t;
    int neg = 0, ok = 0;
    double v = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    const char *fr = NULL;
    if (!strncmp(p, "\\frac", 5)) fr = p + 5;
    else if (!strncmp(p, "\\dfrac", 6) || !strncmp(p, "\\tfrac", 6)) fr = p + 6;
    if (fr) {
        double a, b;
        p = fr;
        if (read_braced(&p, &a) && read_braced(&p, &b) && !*p && b != 0) v = a / b, ok = 1;
    } else if (read_decimal(&p, &v)) {
        if (!*p) ok = 1;
        else if (*p == '/') {
            double b;
            p++;
            if (read_decimal(&p, &b) && !*p && b != 0) v /= b, ok = 1;
        }
    }
    free(t);
    if (ok) *out = neg ? -v : v;
    return ok;
}

int math_equivalent(const char *a, const char *b)
{
    double x, y;
    if (!number_value(a, &x) || !number_value(b, &y)) return 0;
    double scale = fmax(1.0, fmax(fabs(x), fabs(y)));
    return fabs(x - y) <= 1e-9 * scale;
}

int math_score(const char *response, const char *reference_answer)
{
    char *unnorm = math_unnormalized_answer(response ? response : "");
    char *answer = math_normalize_final_answer(unnorm);
    char *gold = math_normalize_final_answer(reference_answer ? reference_answer : "");
    int score = 0;
    if (strcmp(answer, MATH_INVALID_ANSWER) != 0) {
        pytext_span a = pytext_strip(answer, strlen(answer)), g = pytext_strip(gold, strlen(gold));
        score = (a.len == g.len && !memcmp(a.p, g.p, a.len)) || math_equivalent(answer, gold);
    }
    free(unnorm);
    free(answer);
    free(gold);
    return score;
}
