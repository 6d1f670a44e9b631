/*
 * suggest.c — implementation of suggest.h: the optimal-string-alignment
 * distance over three rolling rows, and the choice of the nearest word.
 */
#include "core/suggest.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Characters compare equal ignoring case, and '-' matches '_'. */
static int same(char x, char y)
{
    if (x == '_') x = '-';
    if (y == '_') y = '-';
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t tt_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* rows i-2, i-1 and i of the (la+1) x (lb+1) table */
    size_t *r0 = tt_calloc(lb + 1, sizeof *r0), *r1 = tt_calloc(lb + 1, sizeof *r1),
           *r2 = tt_calloc(lb + 1, sizeof *r2);
    for (size_t j = 0; j <= lb; j++) r1[j] = j;
    for (size_t i = 1; i <= la; i++) {
        r2[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = same(a[i - 1], b[j - 1]) ? 0 : 1;
            r2[j] = min3(r1[j] + 1, r2[j - 1] + 1, r1[j - 1] + cost);
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) && r0[j - 2] + 1 < r2[j])
                r2[j] = r0[j - 2] + 1;
        }
        size_t *t = r0;
        r0 = r1;
        r1 = r2;
        r2 = t;
    }
    size_t d = r1[lb];
    free(r0);
    free(r1);
    free(r2);
    return d;
}

/* 1 when word is a case-insensitive prefix of c. */
static int is_prefix(const char *word, const char *c)
{
    for (; *word; word++, c++)
        if (!*c || !same(*word, *c)) return 0;
    return 1;
}

const char *tt_suggest(const char *word, const char *const *candidates, size_t n)
{
    if (!word || !*word) return NULL;
    size_t len = strlen(word);
    size_t limit = len >= 6 ? 2 : len / 3 > 1 ? len / 3 : 1;
    if (len >= 12) limit = len / 4;
    const char *best = NULL, *prefix = NULL;
    size_t best_d = (size_t)-1;
    int n_prefix = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = candidates[i];
        if (!c) continue;
        size_t d = tt_edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
        if (len >= 3 && is_prefix(word, c) && (!prefix || strcmp(prefix, c) != 0)) {
            prefix = c;
            n_prefix++;
        }
    }
    if (best && best_d <= limit) return best;
    if (n_prefix == 1) return prefix;
    return NULL;
}
