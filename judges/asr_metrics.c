/*
 * asr_metrics.c — implementation of asr_metrics.h.
 */
#include "judges/asr_metrics.h"
#include "core/pytext.h"
#include "core/utf8.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF);
}

char *asr_normalize(const char *text)
{
    char *low = pytext_lower(text ? text : "", text ? strlen(text) : 0);
    char err[TT_ERR_SIZE];
    pytext_regex r;
    char *spaced = NULL;
    /* Python's Unicode \w and \s: everything else is punctuation or a symbol */
    if (pytext_regex_compile(&r, "[^\\w\\s]", err) == TT_OK) {
        spaced = pytext_regex_sub(&r, low, " ", 0, err);
        pytext_regex_free(&r);
    }
    if (!spaced) spaced = tt_strdup(low);   /* cannot happen: the pattern is fixed */
    free(low);
    pytext_span *w;
    size_t n = pytext_split(spaced, strlen(spaced), &w);
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_append(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (i) tt_buf_append(&b, " ", 1);
        tt_buf_append(&b, w[i].p, w[i].len);
    }
    free(w);
    free(spaced);
    return tt_buf_detach(&b);
}

/* The units of a normalised text: words (CJK ideographs one by one) or
 * characters without spaces; owned strings. */
static size_t units_of(const char *norm, int chars, char ***out)
{
    size_t n = strlen(norm), cap = 16, k = 0;
    char **u = tt_malloc(cap * sizeof *u);
    size_t i = 0, word_start = SIZE_MAX;
    while (i <= n) {
        size_t len = 0;
        uint32_t cp = i < n ? tt_utf8_decode(norm + i, n - i, &len) : 0;
        if (i < n && len == 0) len = 1;
        int end = i == n || norm[i] == ' ';
        int own = !end && (chars || is_cjk(cp));   /* a unit by itself */
        if ((end || own) && word_start != SIZE_MAX) {
            if (k + 2 > cap) u = tt_realloc(u, (cap *= 2) * sizeof *u);
            u[k++] = tt_strndup(norm + word_start, i - word_start);
            word_start = SIZE_MAX;
        }
        if (own) {
            if (k + 2 > cap) u = tt_realloc(u, (cap *= 2) * sizeof *u);
            u[k++] = tt_strndup(norm + i, len);
        } else if (!end && word_start == SIZE_MAX) {
            word_start = i;
        }
        i += i < n ? len : 1;
    }
    *out = u;
    return k;
}

void asr_align(const char *const *ref, size_t n_ref, const char *const *hyp, size_t n_hyp, asr_counts *out)
{
    memset(out, 0, sizeof *out);
    size_t w = n_hyp + 1;
    size_t *d = tt_malloc((n_ref + 1) * w * sizeof *d);
    for (size_t i = 0; i <= n_ref; i++) d[i * w] = i;
    for (size_t j = 0; j <= n_hyp; j++) d[j] = j;
    for (size_t i = 1; i <= n_ref; i++)
        for (size_t j = 1; j <= n_hyp; j++) {
            size_t sub = d[(i - 1) * w + j - 1] + (strcmp(ref[i - 1], hyp[j - 1]) != 0);
            size_t del = d[(i - 1) * w + j] + 1, ins = d[i * w + j - 1] + 1;
            size_t m = sub < del ? sub : del;
            d[i * w + j] = m < ins ? m : ins;
        }
    /* back from the end: match or substitution first, then deletion, then insertion */
    size_t i = n_ref, j = n_hyp;
    while (i > 0 || j > 0) {
        if (i > 0 && j > 0 && d[i * w + j] == d[(i - 1) * w + j - 1] + (strcmp(ref[i - 1], hyp[j - 1]) != 0)) {
            if (strcmp(ref[i - 1], hyp[j - 1]) == 0) out->hits++;
            else out->substitutions++;
            i--;
            j--;
        } else if (i > 0 && d[i * w + j] == d[(i - 1) * w + j] + 1) {
            out->deletions++;
            i--;
        } else {
            out->insertions++;
            j--;
        }
    }
    out->ref_len = n_ref;
    free(d);
}

void asr_compare(const char *reference, const char *hypothesis, int chars, asr_counts *out)
{
    char *rn = asr_normalize(reference), *hn = asr_normalize(hypothesis);
    char **ru, **hu;
    size_t nr = units_of(rn, chars, &ru), nh = units_of(hn, chars, &hu);
    asr_align((const char *const *)ru, nr, (const char *const *)hu, nh, out);
    for (size_t i = 0; i < nr; i++) free(ru[i]);
    for (size_t i = 0; i < nh; i++) free(hu[i]);
    free(ru);
    free(hu);
    free(rn);
    free(hn);
}
