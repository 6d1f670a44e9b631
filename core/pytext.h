/*
 * pytext.h — the pieces of Python string semantics that scoring and prompt
 * building must reproduce in C, so that filters (harness/filter.c), metrics
 * (judges/metrics.c) and templates (harness/template.c, harness/task.c)
 * give the strings and numbers lm-evaluation-harness gives:
 *
 *   - str.isspace() / str.split() / str.strip() whitespace (Unicode, UTF-8);
 *   - str.lower() / str.upper(): full Unicode case mapping, with the special
 *     cases ('İ'.lower() == 'i̇', 'ß'.upper() == 'SS') and str.lower()'s
 *     final sigma ('ΟΔΟΣ'.lower() == 'οδος' with a final ς); the tables are
 *     generated from Python's own str methods by tools/gen_pytext_unicode.py
 *     (core/pytext_unicode.h, Unicode version PYTEXT_UNICODE_VERSION);
 *   - repr(float) / str(float) (shortest round-trip digits, '18.0',
 *     '1234567.5', '1e+16', '1e-05') and repr(str) (quotes and escapes);
 *   - Python `re` patterns as written in task files, run by PCRE2 with
 *     Python's semantics, and re.findall()- and re.sub()-like helpers.
 *
 * Regexes (pytext_regex_compile). PCRE2 (UTF-8, Unicode properties) already
 * matches like Python's `re` where it matters to scoring: the first
 * alternative that matches wins (not the longest), `$` matches at the end
 * and before a final newline, `.` skips only "\n", lazy and possessive
 * quantifiers, look-around, back-references and named groups (?P<name>...)
 * (?P=name) work, \d \w \b are Unicode-aware. The pattern is first
 * translated where the two syntaxes differ:
 *   \s \S      Python's str.isspace() set (PCRE2's lacks U+001C..U+001F);
 *              inside [...] \s is expanded the same way, \S stays PCRE2's
 *   \Z         end of string only (PCRE2's \Z also before a final newline)
 *   \v \b      \v is U+000B (PCRE2: vertical space class); \b inside [...] is
 *              backspace
 *   \xhh \uhhhh \Uhhhhhhhh, \0 and \ooo octal, \N (group N of 1-99)
 *   {,n}       is {0,n}
 *   (?aiLmsux) leading global flags: i m s map to PCRE2's; a (ASCII) drops
 *              Unicode classes; u is the default; x (verbose) whitespace and
 *              # comments are removed here; L is an error (bytes only)
 *   [ inside [...]  is a literal (so "[[:alpha:]]" is not a POSIX class)
 * and what Python rejects is rejected too, with a message naming the
 * pattern: unknown escapes (\p \K \h \Q ...), (*VERB), (?| (?R) (?&..)
 * (?<name>..), global flags not at the start.
 * Differences that remain: with (?i) PCRE2 folds case with Unicode's
 * simple folding also under (?a); PCRE2's \w, \d follow its own Unicode
 * tables (Unicode 14 in Debian 12's 10.42, the same as Python 3.11's).
 * Invalid UTF-8 in a subject never matches `.` (Python never sees it).
 *
 * Pure functions; no global state; thread-safe (a compiled pattern may be
 * matched from several threads at once).
 */
#ifndef TIANTI_PYTEXT_H
#define TIANTI_PYTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Byte length of the whitespace character starting at s (s has n bytes),
 * using Python's str.isspace() set (ASCII \t\n\v\f\r, \x1c-\x1f, space, and
 * U+0085 U+00A0 U+1680 U+2000-U+200A U+2028 U+2029 U+202F U+205F U+3000);
 * 0 if s does not start with one. */
size_t pytext_space_len(const char *s, size_t n);

typedef struct pytext_span {
    const char *p;   /* into the caller's string; NULL = "no value" where noted */
    size_t len;
} pytext_span;

/* Python str.split() with no argument: maximal runs of non-whitespace.
 * Returns the number of pieces; *out (caller frees with free(); NULL when
 * there are none) points into s. */
size_t pytext_split(const char *s, size_t n, pytext_span **out);

/* Python str.strip(): the span of s without leading/trailing whitespace. */
pytext_span pytext_strip(const char *s, size_t n);

/* ---- case -------------------------------------------------------------- */

/* Python str.lower() / str.upper() of the UTF-8 text s[0..n): a new
 * NUL-terminated string (caller frees). Bytes that are not valid UTF-8 are
 * copied unchanged (Python text cannot contain them). */
char *pytext_lower(const char *s, size_t n);
char *pytext_upper(const char *s, size_t n);

/* ---- repr ---------------------------------------------------------------- */

/* Room for any pytext_float_repr result (with its NUL). */
#define PYTEXT_FLOAT_REPR_MAX 32

/* Python repr(x) == str(x) of a float into out: the shortest digit string
 * that reads back as x (the nearest such when there are several, as
 * CPython's dtoa mode 0), fixed notation when the decimal exponent is
 * -4 < e <= 16 with ".0" added to whole numbers ("18.0", "1234567.5",
 * "0.0001", "1e+16", "1e-05", "1.5e+300"), "inf", "-inf", "nan", "-0.0".
 * Returns the length. */
size_t pytext_float_repr(double x, char out[PYTEXT_FLOAT_REPR_MAX]);

/* str.isprintable() of one code point (repr() keeps these as they are). */
int pytext_isprintable(uint32_t cp);

/* Appends Python's repr() of the str s[0..n) to b: single quotes unless
 * the text has a ' and no ", backslash escapes for \\ \t \n \r and the
 * quote, \xhh \uhhhh \Uhhhhhhhh for characters str.isprintable() rejects;
 * bytes that are not UTF-8 as \xhh. */
void pytext_repr_str(tt_buf *b, const char *s, size_t n);

/* ---- regular expressions (PCRE2) ------------------------------------------ */

/* A compiled Python-style pattern. */
typedef struct pytext_regex {
    void *code;      /* pcre2_code (UTF-8); NULL when not compiled */
    int n_groups;    /* capturing groups, numbered as Python numbers them */
} pytext_regex;

/* Translates and compiles pattern. On failure returns TT_ERR_PARSE with a
 * message naming the pattern and the construct or PCRE2's complaint with
 * its offset; r needs no free then. */
int pytext_regex_compile(pytext_regex *r, const char *pattern, char *err);
void pytext_regex_free(pytext_regex *r);

/* Exposed for tests: the PCRE2 pattern that pattern translates to, and the
 * PCRE2 compile options (PCRE2_UCP, PCRE2_CASELESS, ...). Returns TT_OK
 * and *out (caller frees) or an error as pytext_regex_compile. */
int pytext_regex_translate(const char *pattern, char **out, uint32_t *options, char *err);

/* re.findall(): all non-overlapping matches, left to right (after an empty
 * match the next one may not be empty at the same place, as Python 3.7+).
 * Each element is what Python's findall yields, reduced the way lm-eval's
 * regex filter reduces it: with no group, the whole match; with one group,
 * that group ("" if it did not take part); with several groups, the first
 * non-empty group, or {NULL, 0} when all are empty. Returns the count;
 * *out (caller frees with free(); NULL when none) points into s. */
size_t pytext_regex_findall(const pytext_regex *r, const char *s, pytext_span **out);

/* re.search(): 1 and the span of the first match, else 0. */
int pytext_regex_search(const pytext_regex *r, const char *s, pytext_span *match);

/* re.sub(pattern, "", s): a new string (caller frees) with every match
 * removed. */
char *pytext_regex_remove(const pytext_regex *r, const char *s);

/* re.search() from byte offset start with the groups: 1 when it matches,
 * spans[0] the whole match and spans[g] group g (p NULL when the group did
 * not take part), for g < n_spans; 0 when not. */
int pytext_regex_match(const pytext_regex *r, const char *s, size_t start, pytext_span *spans, int n_spans);

/* re.sub(pattern, repl, s, count): a new string (caller frees) with the
 * first count matches (every one when count <= 0) replaced by repl, read as
 * Python reads a replacement template: \1 .. \99 and \g<N> or \g<name> are
 * groups ("" when a group did not take part), \n \t \r \a \b \f \v \\
 * and octal \0 \ooo are characters, another escape of an ASCII letter is an
 * error (NULL, message in err), any other "\c" stays as it is. Empty
 * matches as Python 3.7+: one is replaced where it does not touch the
 * previous empty match. */
char *pytext_regex_sub(const pytext_regex *r, const char *s, const char *repl, int count, char *err);

#endif
