/*
 * dataset_formats.c — the benchmark-specific record readers and the bzip2
 * inflater; see dataset_formats.h. libbz2 is linked to this floor alone
 * (tests/floors.txt).
 */
#include "harness/dataset_formats.h"

#include <bzlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "harness/dataset.h"

#define BZ2_MAX_BYTES ((size_t)2 << 30)

int dataset_bz2_inflate(const char *in, size_t in_len, const char *name, char **out, size_t *out_len, char *err)
{
    *out = NULL;
    *out_len = 0;
    bz_stream z;
    memset(&z, 0, sizeof z);
    if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) return tt_fail(err, TT_ERR_NOMEM, "%s: cannot start bzip2", name);
    tt_buf b;
    tt_buf_init(&b);
    char chunk[65536];
    z.next_in = (char *)in;
    z.avail_in = (unsigned)(in_len > 0xFFFFFFFFu ? 0xFFFFFFFFu : in_len);
    int rc = TT_OK;
    for (;;) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        int r = BZ2_bzDecompress(&z);
        if (r != BZ_OK && r != BZ_STREAM_END) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s: not valid bzip2 data (error %d)", name, r);
            break;
        }
        tt_buf_append(&b, chunk, sizeof chunk - z.avail_out);
        if (b.len > BZ2_MAX_BYTES) {
            rc = tt_fail(err, TT_ERR_IO, "%s: more than 2 GiB inflated", name);
            break;
        }
        if (r == BZ_STREAM_END) {
            /* concatenated streams (pbzip2): go on with the next one */
            size_t used = in_len - z.avail_in;
            if (z.avail_in == 0 || used >= in_len) break;
            BZ2_bzDecompressEnd(&z);
            memset(&z, 0, sizeof z);
            if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK) {
                rc = tt_fail(err, TT_ERR_NOMEM, "%s: cannot start bzip2", name);
                break;
            }
            z.next_in = (char *)in + used;
            z.avail_in = (unsigned)(in_len - used);
            continue;
        }
        if (z.avail_in == 0 && z.avail_out != 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "%s: bzip2 data cut short", name);
            break;
        }
    }
    BZ2_bzDecompressEnd(&z);
    if (rc) {
        tt_buf_free(&b);
        return rc;
    }
    tt_buf_puts(&b, "");
    *out_len = b.len;
    *out = tt_buf_detach(&b);
    return TT_OK;
}

/* ---- BBH ------------------------------------------------------------------ */

static int parse_bbh(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    json_error_t je;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    json_t *ex = json_object_get(j, "examples");
    int rc = TT_OK;
    if (!json_is_array(ex)) rc = tt_fail(err, TT_ERR_PARSE, "%s: a BBH file is an object with a list 'examples'", name);
    size_t i;
    json_t *e;
    if (!rc)
        json_array_foreach(ex, i, e) {
            if (!json_is_object(e) || !json_is_string(json_object_get(e, "input")) ||
                !json_is_string(json_object_get(e, "target"))) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: examples[%zu] needs strings 'input' and 'target'", name, i);
                break;
            }
            json_array_append(docs, e);
        }
    json_decref(j);
    return rc;
}

/* ---- HellaSwag, 6 lines per item -------------------------------------------------- */

static int parse_hellaswag_text(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    const char *p = buf, *end = buf + len;
    size_t line = 0;
    while (p < end) {
        char *l[6];
        size_t start = line + 1;
        int got = 0;
        for (; got < 6 && p < end; got++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (n && p[n - 1] == '\r') n--;
            l[got] = tt_strndup(p, n);
            line++;
            p = nl ? nl + 1 : end;
        }
        int rc = TT_OK;
        if (got == 1 && !*l[0]) {
            free(l[0]);
            break; /* a final empty line */
        }
        if (got < 6) rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: an item needs 6 lines, the file ends after %d", name, start, got);
        else if (strlen(l[1]) != 1 || l[1][0] < '0' || l[1][0] > '3')
            rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: the gold label must be 0-3, not '%s'", name, start + 1, l[1]);
        if (rc == TT_OK) {
            json_t *q = json_string(l[0]), *choices = json_array();
            for (int k = 2; k < 6 && q; k++) {
                json_t *c = json_string(l[k]);
                if (!c) {
                    json_decref(q);
                    q = NULL;
                    break;
                }
                json_array_append_new(choices, c);
            }
            if (!q) {
                json_decref(choices);
                rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: not valid UTF-8", name, start);
            } else {
                json_array_append_new(docs, json_pack("{s:o, s:s, s:o}", "query", q, "label", l[1], "choices", choices));
            }
        }
        for (int k = 0; k < got; k++) free(l[k]);
        if (rc) return rc;
    }
    return TT_OK;
}

/* ---- MMLU CSVs -------------------------------------------------------------------------- */

static int parse_mmlu_csv(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    json_t *rows = json_array();
    int rc = dataset_parse_csv(buf, len, name, rows, err);
    /* the subject: the file name without _test.csv / _dev.csv / _val.csv */
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    size_t bl = strcspn(base, ".");
    char *subject = tt_strndup(base, bl);
    static const char *const suffixes[] = {"_test", "_dev", "_val", "_validation", NULL};
    for (int i = 0; suffixes[i]; i++) {
        size_t sl = strlen(suffixes[i]), n = strlen(subject);
        if (n > sl && !strcmp(subject + n - sl, suffixes[i])) subject[n - sl] = 0;
    }
    size_t i;
    json_t *r;
    if (!rc)
        json_array_foreach(rows, i, r) {
            const char *q = json_string_value(json_object_get(r, "question")),
                       *a = json_string_value(json_object_get(r, "answer"));
            json_t *choices = json_array();
            for (int k = 0; k < 4; k++) {
                char col[16];
                snprintf(col, sizeof col, "choice%d", k);
                json_t *c = json_object_get(r, col);
                if (json_is_string(c)) json_array_append(choices, c);
            }
            char *e = NULL;
            long ans = a ? strtol(a, &e, 10) : -1;
            if (!q || json_array_size(choices) != 4 || !a || *e || ans < 0 || ans > 3) {
                json_decref(choices);
                rc = tt_fail(err, TT_ERR_PARSE, "%s: record %zu needs question, choice0..choice3 and an answer 0-3", name, i);
                break;
            }
            json_array_append_new(docs, json_pack("{s:s, s:s, s:o, s:I}", "question", q, "subject", subject, "choices",
                                                  choices, "answer", (json_int_t)ans));
        }
    free(subject);
    json_decref(rows);
    return rc;
}

/* ---- TruthfulQA mc_task.json ------------------------------------------------------------ */

static json_t *targets_object(const json_t *m)
{
    json_t *choices = json_array(), *labels = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v) {
        json_array_append_new(choices, json_string(k));
        json_array_append(labels, v);
    }
    return json_pack("{s:o, s:o}", "choices", choices, "labels", labels);
}

static int parse_truthfulqa_mc(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    json_t *rows = json_array();
    int rc = dataset_parse_json(buf, len, name, rows, err);
    size_t i;
    json_t *r;
    if (!rc)
        json_array_foreach(rows, i, r) {
            json_t *q = json_object_get(r, "question"), *m1 = json_object_get(r, "mc1_targets"),
                   *m2 = json_object_get(r, "mc2_targets");
            if (!json_is_string(q) || !json_is_object(m1) || !json_is_object(m2)) {
                rc = tt_fail(err, TT_ERR_PARSE, "%s: record %zu needs question, mc1_targets and mc2_targets", name, i);
                break;
            }
            json_array_append_new(docs, json_pack("{s:O, s:o, s:o}", "question", q, "mc1_targets", targets_object(m1),
                                                  "mc2_targets", targets_object(m2)));
        }
    json_decref(rows);
    return rc;
}

int dataset_format_parse(const char *fmt, const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    if (!strcmp(fmt, "bbh")) return parse_bbh(buf, len, name, docs, err);
    if (!strcmp(fmt, "hellaswag_text")) return parse_hellaswag_text(buf, len, name, docs, err);
    if (!strcmp(fmt, "mmlu_csv")) return parse_mmlu_csv(buf, len, name, docs, err);
    if (!strcmp(fmt, "truthfulqa_mc")) return parse_truthfulqa_mc(buf, len, name, docs, err);
    return TT_ERR_NOTFOUND;
}
