/*
 * pytext.h — the few pieces of Python string semantics that scoring must
 * reproduce in C, so that filters (harness/filter.c) and metrics
 * (judges/metrics.c) give the numbers lm-evaluation-harness gives:
 *
 *   - str.isspace() / str.split() / str.strip() whitespace (Unicode, UTF-8);
 *   - Python `re` patterns as written in task files, translated to POSIX
 *     extended regular expressions (regcomp/regexec), with re.findall()- and
 *     re.sub()-like helpers.
 *
 * Regex translation (pytext_regex_compile) supports the subset that task
 * files use: literals, . ^ $ | * + ? {m,n}, groups ( ), (?: ), (?P<name> ),
 * bracket expressions, the escapes \d \D \s \S \w \W \b \B \n \t \r \f \v and
 * escaped punctuation (\. \- \, \$ ...), and leading inline flags (?s)
 * (?i) (?m) (a and u accepted and ignored). `.` does not match a newline
 * unless (?s), as in Python. It rejects, with a message naming the
 * construct, what POSIX cannot express: lazy quantifiers (*? +? ?? {m,n}?),
 * look-around, back-references, other inline flags, \A \Z.
 * Known differences from Python that remain: POSIX picks the leftmost-LONGEST
 * match of an alternation where Python picks the first alternative that
 * matches; matching is on bytes in the C locale, so `.` and [^x] consume one
 * byte of a multi-byte UTF-8 character and \s \w \d are ASCII classes;
 * `$` matches only at the very end (Python also before a final newline);
 * (?m) maps to REG_NEWLINE, which also keeps [^x] from matching a newline.
 *
 * Pure functions; no global state; thread-safe (regexec on a compiled
 * pattern is re-entrant).
 */
#ifndef TIANTI_PYTEXT_H
#define TIANTI_PYTEXT_H

#include <regex.h>
#include <stddef.h>

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

/* A compiled Python-style pattern. */
typedef struct pytext_regex {
    regex_t re;
    int compiled;
    size_t n_posix_groups;  /* groups in the POSIX pattern */
    int n_groups;           /* capturing groups as Python counts them */
    int *posix_of_py;       /* Python group i+1 -> POSIX group number */
} pytext_regex;

/* Translates and compiles pattern. On failure returns TT_ERR_PARSE with a
 * message naming the pattern and the construct; r needs no free then. */
int pytext_regex_compile(pytext_regex *r, const char *pattern, char *err);
void pytext_regex_free(pytext_regex *r);

/* Exposed for tests: the POSIX ERE that pattern translates to. Returns
 * TT_OK and *out (caller frees) or an error as pytext_regex_compile. */
int pytext_regex_translate(const char *pattern, char **out, int **posix_of_py,
                           int *n_groups, int *cflags, char *err);

/* re.findall(): all non-overlapping matches, left to right. Each element is
 * what Python's findall yields, reduced the way lm-eval's regex filter
 * reduces it: with no group, the whole match; with one group, that group
 * ("" if it did not take part); with several groups, the first non-empty
 * group, or {NULL, 0} when all are empty. Returns the count; *out (caller
 * frees with free(); NULL when none) points into s. */
size_t pytext_regex_findall(const pytext_regex *r, const char *s, pytext_span **out);

/* re.sub(pattern, "", s): a new string (caller frees) with every match
 * removed. */
char *pytext_regex_remove(const pytext_regex *r, const char *s);

#endif
