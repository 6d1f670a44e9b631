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

/* ---- sentence-pair files (embedding tasks) ---------------------------------------- */

/* The next line of buf from *pos: [start, end) without "\r\n" / "\n"; 0 at
 * the end. */
static int next_line(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end)
{
    if (*pos >= len) return 0;
    *start = *pos;
    const char *nl = memchr(buf + *pos, '\n', len - *pos);
    size_t e = nl ? (size_t)(nl - buf) : len;
    *pos = nl ? e + 1 : len;
    if (e > *start && buf[e - 1] == '\r') e--;
    *end = e;
    return 1;
}

/* Splits [start, end) on tabs (no quoting): up to max fields, *n of them. */
static int split_tabs(const char *buf, size_t start, size_t end, json_t **fields, int max)
{
    int n = 0;
    size_t a = start;
    for (size_t i = start; i <= end && n < max; i++) {
        if (i == end || buf[i] == '\t') {
            fields[n++] = json_stringn(buf + a, i - a);
            a = i + 1;
        }
    }
    return n;
}

static int score_field(json_t *doc, const char *key, json_t *text, const char *name, size_t line, char *err)
{
    const char *s = json_string_value(text);
    char *e;
    double d = s ? strtod(s, &e) : 0;
    if (!s || e == s || (*e && *e != ' ')) {
        return tt_fail(err, TT_ERR_PARSE, "%s:%zu: the %s '%.40s' is not a number", name, line, key, s ? s : "");
    }
    json_object_set_new(doc, key, json_real(d));
    return TT_OK;
}

/* stsb: STS Benchmark's TSV (no header, no quoting): genre, filename,
 * year, id, score, sentence1, sentence2[, two license fields]. sts_tsv:
 * sentence1, sentence2, score. tsv: a header row names the fields. Blank
 * lines are skipped; a line with too few fields is an error naming it. */
static int parse_tsv_kind(const char *kind, const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    static const char *const stsb[] = {"genre", "filename", "year", "id", "score", "sentence1", "sentence2"};
    static const char *const pair[] = {"sentence1", "sentence2", "score"};
    int is_stsb = !strcmp(kind, "stsb"), is_pair = !strcmp(kind, "sts_tsv");
    const char *const *names = is_stsb ? stsb : is_pair ? pair : NULL;
    int want = is_stsb ? 7 : is_pair ? 3 : 0;
    json_t *header[64];
    int n_header = 0;
    size_t pos = 0, a, b, line = 0;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) pos = 3;
    int rc = TT_OK;
    while (rc == TT_OK && next_line(buf, len, &pos, &a, &b)) {
        line++;
        if (a == b) continue;
        json_t *f[64];
        int n = split_tabs(buf, a, b, f, 64);
        int bad = 0;
        for (int i = 0; i < n; i++) bad |= f[i] == NULL;
        if (bad) {
            for (int i = 0; i < n; i++) json_decref(f[i]);
            rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: not valid UTF-8", name, line);
            break;
        }
        if (!names && n_header == 0) {   /* the header row */
            for (int i = 0; i < n; i++) header[i] = f[i];
            n_header = n;
            continue;
        }
        int need = names ? want : n_header;
        if (n < need) rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: %d tab-separated fields, %d expected", name, line, n, need);
        json_t *doc = json_object();
        for (int i = 0; i < n; i++) {
            if (rc == TT_OK && i < need) {
                const char *key = names ? names[i] : json_string_value(header[i]);
                if (names && !strcmp(key, "score")) rc = score_field(doc, key, f[i], name, line, err);
                else json_object_set(doc, key, f[i]);
            }
            json_decref(f[i]);
        }
        if (rc == TT_OK) json_array_append_new(docs, doc);
        else json_decref(doc);
    }
    for (int i = 0; i < n_header; i++) json_decref(header[i]);
    return rc;
}

/* sts_csv: RFC 4180 CSV without a header, sentence1,sentence2,score
 * ("..." quoting with "" for a quote; newlines inside quotes kept). */
static int parse_sts_csv(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    static const char *const keys[] = {"sentence1", "sentence2", "score"};
    size_t i = 0, line = 1;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < len) {
        if (buf[i] == '\n' || buf[i] == '\r') {   /* blank line */
            line += buf[i] == '\n';
            i++;
            continue;
        }
        size_t start_line = line;
        json_t *doc = json_object();
        int field = 0, rc = TT_OK;
        for (;;) {
            tt_buf v;
            tt_buf_init(&v);
            tt_buf_append(&v, "", 0);
            if (i < len && buf[i] == '"') {
                i++;
                for (;;) {
                    if (i >= len) {
                        rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: a quoted field is not closed", name, start_line);
                        break;
                    }
                    if (buf[i] == '"' && i + 1 < len && buf[i + 1] == '"') {
                        tt_buf_append(&v, "\"", 1);
                        i += 2;
                    } else if (buf[i] == '"') {
                        i++;
                        break;
                    } else {
                        line += buf[i] == '\n';
                        tt_buf_append(&v, buf + i++, 1);
                    }
                }
            }
            while (rc == TT_OK && i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r') tt_buf_append(&v, buf + i++, 1);
            if (rc == TT_OK && field < 3) {
                json_t *t = json_string(tt_buf_str(&v));
                if (!t) rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: not UTF-8", name, start_line);
                else if (field == 2) rc = score_field(doc, keys[2], t, name, start_line, err);
                else json_object_set(doc, keys[field], t);
                json_decref(t);
            }
            tt_buf_free(&v);
            field++;
            if (rc != TT_OK || i >= len || buf[i] != ',') break;
            i++;
        }
        if (rc == TT_OK && field < 3) rc = tt_fail(err, TT_ERR_PARSE, "%s:%zu: %d fields, 3 expected", name, start_line, field);
        if (rc != TT_OK) {
            json_decref(doc);
            return rc;
        }
        json_array_append_new(docs, doc);
        if (i < len && buf[i] == '\r') i++;
        if (i < len && buf[i] == '\n') {
            i++;
            line++;
        }
    }
    return TT_OK;
}

int dataset_format_parse(const char *fmt, const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    if (!strcmp(fmt, "stsb") || !strcmp(fmt, "sts_tsv") || !strcmp(fmt, "tsv"))
        return parse_tsv_kind(fmt, buf, len, name, docs, err);
    if (!strcmp(fmt, "sts_csv")) return parse_sts_csv(buf, len, name, docs, err);
    if (!strcmp(fmt, "bbh")) return parse_bbh(buf, len, name, docs, err);
    if (!strcmp(fmt, "hellaswag_text")) return parse_hellaswag_text(buf, len, name, docs, err);
    if (!strcmp(fmt, "mmlu_csv")) return parse_mmlu_csv(buf, len, name, docs, err);
    if (!strcmp(fmt, "truthfulqa_mc")) return parse_truthfulqa_mc(buf, len, name, docs, err);
    return TT_ERR_NOTFOUND;
}
