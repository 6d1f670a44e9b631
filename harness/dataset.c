/*
 * dataset.c — record parsers (JSONL, JSON, CSV, gzip) and file-entry
 * resolution with a verified download cache; see dataset.h. Called by
 * harness/task.c when a task's data is loaded.
 */
#include "harness/dataset.h"

#include <curl/curl.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/util.h"
#include "harness/dataset_formats.h"
#include "harness/dataset_hub.h"

#define DATASET_MAX_BYTES ((size_t)2 << 30) /* refuse files (or inflated data) over 2 GiB */

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

void dataset_options_default(dataset_options *o)
{
    memset(o, 0, sizeof *o);
    const char *d = getenv("TIANTI_DATA");
    o->data_dir = (d && *d) ? d : NULL;
}

/* ---- JSONL / JSON ---------------------------------------------------------- */

int dataset_parse_jsonl(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    size_t line = 0, i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len) {
        line++;
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;
        size_t l = e - i;
        if (l > 0 && buf[i + l - 1] == '\r') l--;
        size_t k = 0;
        while (k < l && (buf[i + k] == ' ' || buf[i + k] == '\t')) k++;
        if (k < l) {
            json_error_t je;
            json_t *v = json_loadb(buf + i, l, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
            if (!v)
                return tt_fail(err, TT_ERR_PARSE, "%s:%zu:%d: %s", name, line, je.column, je.text);
            if (!json_is_object(v)) {
                json_decref(v);
                return tt_fail(err, TT_ERR_PARSE, "%s:%zu: record is not a JSON object", name, line);
            }
            json_array_append_new(docs, v);
        }
        i = e + 1;
    }
    return TT_OK;
}

int dataset_parse_json(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    json_error_t je;
    size_t skip = (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    json_t *v = json_loadb(buf + skip, len - skip, JSON_REJECT_DUPLICATES, &je);
    if (!v) return tt_fail(err, TT_ERR_PARSE, "%s:%d:%d: %s", name, je.line, je.column, je.text);
    if (!json_is_array(v)) {
        json_decref(v);
        return tt_fail(err, TT_ERR_PARSE, "%s: expected a JSON array of records", name);
    }
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        if (!json_is_object(it)) {
            json_decref(v);
            return tt_fail(err, TT_ERR_PARSE, "%s: record %zu: not a JSON object", name, i);
        }
    }
    json_array_extend(docs, v);
    json_decref(v);
    return TT_OK;
}

/* ---- CSV (RFC 4180) -------------------------------------------------------- */

typedef struct csv_state {
    const char *buf;
    size_t len, pos, line;
} csv_state;

/* Parses one record into fields (a JSON array of strings). Returns 1 for a
 * record, 0 at end of input, negative on error (message in err). */
static int csv_record(csv_state *s, const char *name, json_t *fields, char *err)
{
    if (s->pos >= s->len) return 0;
    size_t start_line = s->line;
    tt_buf f;
    tt_buf_init(&f);
    for (;;) {
        tt_buf_reset(&f);
        tt_buf_puts(&f, "");
        int quoted = 0;
        if (s->pos < s->len && s->buf[s->pos] == '"') {
            quoted = 1;
            s->pos++;
            for (;;) {
                if (s->pos >= s->len) {
                    tt_buf_free(&f);
                    tt_fail(err, TT_ERR_PARSE, "%s:%zu: unterminated quoted field", name, start_line);
                    return -1;
                }
                char c = s->buf[s->pos++];
                if (c == '"') {
                    if (s->pos < s->len && s->buf[s->pos] == '"') {
                        tt_buf_append(&f, "\"", 1);
                        s->pos++;
                        continue;
                    }
                    break;
                }
                if (c == '\n') s->line++;
                tt_buf_append(&f, &c, 1);
            }
        }
        /* unquoted part (or what follows a closing quote) */
        while (s->pos < s->len) {
            char c = s->buf[s->pos];
            if (c == ',' || c == '\n' || c == '\r') break;
            if (quoted) {
                tt_buf_free(&f);
                tt_fail(err, TT_ERR_PARSE, "%s:%zu: unexpected character after a closing quote",
                        name, s->line);
                return -1;
            }
            tt_buf_append(&f, &c, 1);
            s->pos++;
        }
        json_t *str = json_stringn(tt_buf_str(&f), f.len);
        if (!str) {
            tt_buf_free(&f);
            tt_fail(err, TT_ERR_PARSE, "%s:%zu: field %zu is not valid UTF-8", name, start_line,
                    json_array_size(fields) + 1);
            return -1;
        }
        json_array_append_new(fields, str);
        if (s->pos >= s->len) break;
        char c = s->buf[s->pos++];
        if (c == ',') continue;
        if (c == '\r' && s->pos < s->len && s->buf[s->pos] == '\n') s->pos++;
        s->line++;
        break;
    }
    tt_buf_free(&f);
    return 1;
}

static int csv_blank(const json_t *fields)
{
    return json_array_size(fields) == 1 && json_string_length(json_array_get(fields, 0)) == 0;
}

int dataset_parse_csv(const char *buf, size_t len, const char *name, json_t *docs, char *err)
{
    csv_state s = { buf, len, 0, 1 };
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) s.pos = 3;
    json_t *header = json_array();
    int rc;
    do {
        json_array_clear(header);
        rc = csv_record(&s, name, header, err);
    } while (rc == 1 && csv_blank(header));
    if (rc < 0) {
        json_decref(header);
        return TT_ERR_PARSE;
    }
    if (rc == 0) {
        json_decref(header);
        return tt_fail(err, TT_ERR_PARSE, "%s: no header row", name);
    }
    size_t nh = json_array_size(header);
    for (size_t i = 0; i < nh; i++)
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_array_get(header, i), json_array_get(header, j))) {
                tt_fail(err, TT_ERR_PARSE, "%s:1: duplicate column '%s'", name,
                        json_string_value(json_array_get(header, i)));
                json_decref(header);
                return TT_ERR_PARSE;
            }
    json_t *fields = json_array();
    int status = TT_OK;
    for (;;) {
        size_t line = s.line;
        json_array_clear(fields);
        rc = csv_record(&s, name, fields, err);
        if (rc < 0) {
            status = TT_ERR_PARSE;
            break;
        }
        if (rc == 0) break;
        if (csv_blank(fields)) continue;
        if (json_array_size(fields) != nh) {
            status = tt_fail(err, TT_ERR_PARSE, "%s:%zu: expected %zu fields, found %zu", name, line,
                             nh, json_array_size(fields));
            break;
        }
        json_t *o = json_object();
        for (size_t i = 0; i < nh; i++)
            json_object_set(o, json_string_value(json_array_get(header, i)),
                            json_array_get(fields, i));
        json_array_append_new(docs, o);
    }
    json_decref(fields);
    json_decref(header);
    return status;
}

/* ---- files ------------------------------------------------------------------ */

int dataset_read_file(const char *path, char **out, size_t *len, char *err)
{
    *out = NULL;
    *len = 0;
    /* a regular file only: a FIFO would hang, /dev/zero never end */
    int fd;
    size_t size;
    int rc = tt_open_regular(path, TT_READ_MAX, &fd, &size, err);
    if (rc) return rc;
    gzFile g = gzdopen(fd, "rb");
    if (!g) {
        close(fd);
        return tt_fail(err, TT_ERR_IO, "cannot open '%s': %s", path, strerror(errno ? errno : ENOMEM));
    }
    tt_buf b;
    tt_buf_init(&b);
    char chunk[65536];
    for (;;) {
        int n = gzread(g, chunk, sizeof chunk);
        if (n < 0) {
            int zerr;
            const char *m = gzerror(g, &zerr);
            tt_fail(err, TT_ERR_IO, "cannot read '%s': %s", path, m);
            gzclose(g);
            tt_buf_free(&b);
            return TT_ERR_IO;
        }
        if (n == 0) break;
        tt_buf_append(&b, chunk, (size_t)n);
        if (b.len > DATASET_MAX_BYTES) {
            gzclose(g);
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_IO, "'%s' is larger than 2 GiB", path);
        }
    }
    gzclose(g);
    tt_buf_puts(&b, "");
    if (b.len >= 3 && !memcmp(b.data, "BZh", 3) && ends_with(path, ".bz2")) {
        /* bzip2 (HellaSwag's text form): inflated like gzip */
        int rc = dataset_bz2_inflate(b.data, b.len, path, out, len, err);
        tt_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *out = tt_buf_detach(&b);
    return TT_OK;
}

static int parse_by_format(const char *buf, size_t len, const char *path, const char *format,
                           json_t *docs, char *err)
{
    char fmt[32] = "jsonl";
    if (format) {
        snprintf(fmt, sizeof fmt, "%s", format);
    } else {
        char base[512];
        snprintf(base, sizeof base, "%s", path);
        if (ends_with(base, ".gz")) base[strlen(base) - 3] = 0;
        if (ends_with(base, ".csv")) strcpy(fmt, "csv");
        else if (ends_with(base, ".json")) strcpy(fmt, "json");
    }
    if (ends_with(fmt, ".gz")) fmt[strlen(fmt) - 3] = 0;
    if (!strcmp(fmt, "csv")) return dataset_parse_csv(buf, len, path, docs, err);
    if (!strcmp(fmt, "json")) return dataset_parse_json(buf, len, path, docs, err);
    if (!strcmp(fmt, "jsonl")) return dataset_parse_jsonl(buf, len, path, docs, err);
    int rc = dataset_format_parse(fmt, buf, len, path, docs, err);
    if (rc != TT_ERR_NOTFOUND) return rc;
    return tt_fail(err, TT_ERR_PARSE, "%s: unknown format '%s' (csv, json, jsonl, bbh, hellaswag_text, mmlu_csv, "
                   "truthfulqa_mc, stsb, sts_tsv, sts_csv, tsv)", path, format);
}

/* Reads the raw bytes (for hashing) and the possibly inflated text. */
int dataset_load_file(const char *path, const char *format, json_t *docs, char sha_hex[65],
                      char *err)
{
    if (sha_hex) {
        char *raw;
        size_t rl;
        int rc = tt_read_file(path, &raw, &rl, err);
        if (rc) return rc;
        tt_sha256_hex(raw, rl, sha_hex);
        free(raw);
    }
    char *buf;
    size_t len;
    int rc = dataset_read_file(path, &buf, &len, err);
    if (rc) return rc;
    size_t before = json_array_size(docs);
    rc = parse_by_format(buf, len, path, format, docs, err);
    free(buf);
    /* An empty file is a broken download or a wrong path, never a task's
     * data: scoring zero documents would pass silently as N/A. */
    if (rc == TT_OK && json_array_size(docs) == before)
        rc = tt_fail(err, TT_ERR_PARSE, "data file '%s' holds no records%s", path, len ? "" : " (it is empty)");
    return rc;
}

/* ---- zip members -------------------------------------------------------- */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }

int dataset_zip_member(const char *zip_path, const char *member, char **out, size_t *len,
                       char *err)
{
    *out = NULL;
    *len = 0;
    char *zbuf;
    size_t zl;
    int rc = tt_read_file(zip_path, &zbuf, &zl, err);
    if (rc) return rc;
    const unsigned char *z = (const unsigned char *)zbuf;
    size_t eocd = (size_t)-1;
    for (size_t i = zl >= 22 ? zl - 22 : 0; zl >= 22; i--) {
        if (rd32(z + i) == 0x06054b50) {
            eocd = i;
            break;
        }
        if (i == 0 || zl - i > 65557) break;
    }
    rc = TT_ERR_PARSE;
    if (eocd == (size_t)-1) {
        tt_fail(err, rc, "'%s' is not a zip archive", zip_path);
        goto done;
    }
    size_t n = rd16(z + eocd + 10), off = rd32(z + eocd + 16);
    size_t mlen = strlen(member);
    for (size_t k = 0; k < n; k++) {
        if (off + 46 > zl || rd32(z + off) != 0x02014b50) {
            tt_fail(err, rc, "'%s': damaged central directory", zip_path);
            goto done;
        }
        size_t method = rd16(z + off + 10), csize = rd32(z + off + 20), usize = rd32(z + off + 24);
        size_t nl = rd16(z + off + 28), xl = rd16(z + off + 30), cl = rd16(z + off + 32);
        size_t loc = rd32(z + off + 42);
        if (off + 46 + nl > zl) break;
        if (nl == mlen && memcmp(z + off + 46, member, nl) == 0) {
            if (loc + 30 > zl || rd32(z + loc) != 0x04034b50) {
                tt_fail(err, rc, "'%s': damaged local header for '%s'", zip_path, member);
                goto done;
            }
            size_t data = loc + 30 + rd16(z + loc + 26) + rd16(z + loc + 28);
            if (data > zl || csize > zl - data || usize > DATASET_MAX_BYTES) {
                tt_fail(err, rc, "'%s': member '%s' runs past the end", zip_path, member);
                goto done;
            }
            char *o = tt_malloc(usize + 1);
            if (method == 0) {
                if (csize != usize) {
                    free(o);
                    tt_fail(err, rc, "'%s': bad stored member '%s'", zip_path, member);
                    goto done;
                }
                memcpy(o, z + data, usize);
            } else if (method == 8) {
                z_stream st;
                memset(&st, 0, sizeof st);
                if (inflateInit2(&st, -15) != Z_OK) {
                    free(o);
                    tt_fail(err, TT_ERR, "zlib init failed");
                    goto done;
                }
                st.next_in = (Bytef *)(z + data);
                st.avail_in = (uInt)csize;
                st.next_out = (Bytef *)o;
                st.avail_out = (uInt)usize;
                int zr = inflate(&st, Z_FINISH);
                size_t got = st.total_out;
                inflateEnd(&st);
                if (zr != Z_STREAM_END || got != usize) {
                    free(o);
                    tt_fail(err, rc, "'%s': cannot inflate member '%s'", zip_path, member);
                    goto done;
                }
            } else {
                free(o);
                tt_fail(err, TT_ERR_UNSUPPORTED, "'%s': member '%s' uses compression method %zu",
                        zip_path, member, method);
                goto done;
            }
            o[usize] = 0;
            *out = o;
            *len = usize;
            rc = TT_OK;
            goto done;
        }
        off += 46 + nl + xl + cl;
    }
    rc = tt_fail(err, TT_ERR_NOTFOUND, "'%s' has no member '%s'", zip_path, member);
done:
    free(zbuf);
    return rc;
}

/* ---- download ------------------------------------------------------------ */

static size_t curl_write(void *ptr, size_t size, size_t nmemb, void *user)
{
    return fwrite(ptr, size, nmemb, (FILE *)user);
}

static int check_sha(const char *path, const char *want, const char *what, char *err)
{
    char *buf;
    size_t len;
    int rc = tt_read_file(path, &buf, &len, err);
    if (rc) return rc;
    char hex[65];
    tt_sha256_hex(buf, len, hex);
    free(buf);
    if (strcasecmp(hex, want) != 0)
        return tt_fail(err, TT_ERR_IO, "sha256 mismatch for '%s' (%s): expected %s, got %s", path,
                       what, want, hex);
    return TT_OK;
}

int dataset_fetch(const char *url, const char *sha256, const char *dest, char *err)
{
    char *dir = tt_dirname(dest);
    int rc = tt_mkdir_p(dir, err);
    free(dir);
    if (rc) return rc;
    char *tmp = tt_asprintf("%s.part.%ld", dest, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = tt_fail(err, TT_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        fclose(f);
        unlink(tmp);
        free(tmp);
        return tt_fail(err, TT_ERR_IO, "cannot start libcurl");
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tianti/" TIANTI_VERSION);
    CURLcode cr = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (fclose(f) != 0 && cr == CURLE_OK) cr = CURLE_WRITE_ERROR;
    if (cr != CURLE_OK) {
        rc = tt_fail(err, TT_ERR_IO,
                     "cannot fetch '%s': %s (offline? give --data-dir DIR or set TIANTI_DATA to a folder that holds "
                     "the file, e.g. ../shared/datasets)",
                     url, cerr[0] ? cerr : curl_easy_strerror(cr));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    if (sha256 && (rc = check_sha(tmp, sha256, url, err)) != TT_OK) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    if (rename(tmp, dest) != 0) {
        rc = tt_fail(err, TT_ERR_IO, "cannot rename '%s': %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return TT_OK;
}

/* ---- file entries ------------------------------------------------------ */

static char *cache_root(const dataset_options *o)
{
    if (o && o->cache_dir) return tt_strdup(o->cache_dir);
    const char *c = getenv("TIANTI_CACHE");
    if (c && *c) return tt_strdup(c);
    const char *h = getenv("HOME");
    return tt_asprintf("%s/.cache/tianti", (h && *h) ? h : ".");
}

static int has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* A relative path must not climb out of the folders it is looked up in. */
static int safe_relative(const char *p)
{
    if (p[0] == '/') return 1;
    if (!strncmp(p, "../", 3) || !strcmp(p, "..") || strstr(p, "/../") || ends_with(p, "/.."))
        return 0;
    return 1;
}

static int load_one(const char *path, const char *format, const char *sha, json_t *docs,
                    json_t *hashes, char *err)
{
    char hex[65];
    json_t *tmp = json_array();
    int rc = dataset_load_file(path, format, tmp, hex, err);
    if (rc == TT_OK && sha && strcasecmp(hex, sha) != 0)
        rc = tt_fail(err, TT_ERR_IO, "sha256 mismatch for '%s': expected %s, got %s", path, sha, hex);
    if (rc == TT_OK) {
        json_array_extend(docs, tmp);
        if (hashes) json_array_append_new(hashes, json_string(hex));
    }
    json_decref(tmp);
    return rc;
}

static int load_glob(const char *pattern_rel, const char *format, const dataset_options *o,
                     json_t *docs, json_t *hashes, char *err)
{
    const char *dirs[2] = { o->data_dir, o->base_dir ? o->base_dir : "." };
    for (int d = 0; d < 2; d++) {
        if (!dirs[d] && pattern_rel[0] != '/') continue;
        char *pat = pattern_rel[0] == '/' ? tt_strdup(pattern_rel) : tt_path_join(dirs[d], pattern_rel);
        glob_t g;
        memset(&g, 0, sizeof g);
        int gr = glob(pat, 0, NULL, &g);
        free(pat);
        if (gr == 0 && g.gl_pathc > 0) {
            int rc = TT_OK;
            for (size_t i = 0; i < g.gl_pathc && rc == TT_OK; i++)
                rc = load_one(g.gl_pathv[i], format, NULL, docs, hashes, err);
            globfree(&g);
            return rc;
        }
        globfree(&g);
        if (pattern_rel[0] == '/') break;
    }
    return tt_fail(err, TT_ERR_NOTFOUND, "no files match '%s'", pattern_rel);
}

static int load_entry(const json_t *entry, const dataset_options *o_in, json_t *docs, json_t *hashes, char *err);

/* An entry with "align": {"entry": ENTRY, "prefix": "zh_"}: the records of
 * both, row by row, the aligned record's fields added under the prefix
 * (STS-B and its translation, pair for pair). Both must have as many
 * records. */
static int load_aligned(const json_t *entry, const dataset_options *o, json_t *docs, json_t *hashes, char *err)
{
    const json_t *al = json_object_get(entry, "align");
    const json_t *other = json_object_get(al, "entry");
    const char *prefix = json_string_value(json_object_get(al, "prefix"));
    if (!json_is_object(al) || !other || !prefix || json_object_size(al) != 2)
        return tt_fail(err, TT_ERR_PARSE, "data file entry: 'align' must be {\"entry\": ENTRY, \"prefix\": TEXT}");
    json_t *plain = json_deep_copy(entry);
    json_object_del(plain, "align");
    json_t *a = json_array(), *b = json_array();
    int rc = load_entry(plain, o, a, hashes, err);
    if (rc == TT_OK) rc = dataset_load_entry(other, o, b, hashes, err);
    if (rc == TT_OK && json_array_size(a) != json_array_size(b))
        rc = tt_fail(err, TT_ERR_PARSE, "data file entry: 'align' joins %zu records to %zu; they must be as many",
                     json_array_size(a), json_array_size(b));
    for (size_t i = 0; rc == TT_OK && i < json_array_size(a); i++) {
        json_t *ra = json_array_get(a, i), *rb = json_array_get(b, i);
        const char *k;
        json_t *v;
        json_object_foreach(rb, k, v) {
            char *key = tt_asprintf("%s%s", prefix, k);
            json_object_set(ra, key, v);
            free(key);
        }
        json_array_append(docs, ra);
    }
    json_decref(plain);
    json_decref(a);
    json_decref(b);
    return rc;
}

int dataset_load_entry(const json_t *entry, const dataset_options *o_in, json_t *docs,
                       json_t *hashes, char *err)
{
    if (json_is_object(entry) && json_object_get(entry, "align")) {
        dataset_options def;
        if (!o_in) {
            dataset_options_default(&def);
            o_in = &def;
        }
        return load_aligned(entry, o_in, docs, hashes, err);
    }
    return load_entry(entry, o_in, docs, hashes, err);
}

static int load_entry(const json_t *entry, const dataset_options *o_in, json_t *docs, json_t *hashes, char *err)
{
    dataset_options def;
    if (!o_in) {
        dataset_options_default(&def);
        o_in = &def;
    }
    const dataset_options *o = o_in;
    const char *path = NULL, *sha = NULL, *url = NULL, *member = NULL, *url_sha = NULL,
               *format = NULL;
    if (json_is_string(entry)) {
        path = json_string_value(entry);
    } else if (json_is_object(entry) && json_object_get(entry, "hub")) {
        return dataset_hub_load(entry, o, docs, hashes, err);   /* lm-eval's dataset_path (dataset_hub.h) */
    } else if (json_is_object(entry)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)entry, k, v) {
            const char **slot = !strcmp(k, "path")         ? &path
                                : !strcmp(k, "sha256")     ? &sha
                                : !strcmp(k, "url")        ? &url
                                : !strcmp(k, "member")     ? &member
                                : !strcmp(k, "url_sha256") ? &url_sha
                                : !strcmp(k, "format")     ? &format
                                                           : NULL;
            if (!slot) return tt_fail(err, TT_ERR_PARSE, "data file entry: unknown key '%s'", k);
            if (!json_is_string(v))
                return tt_fail(err, TT_ERR_PARSE, "data file entry: '%s' must be a string", k);
            *slot = json_string_value(v);
        }
    } else {
        return tt_fail(err, TT_ERR_PARSE, "data file entry must be a string or an object");
    }
    if (!path && !url) return tt_fail(err, TT_ERR_PARSE, "data file entry needs 'path' or 'url'");
    if (path && !safe_relative(path))
        return tt_fail(err, TT_ERR_PARSE, "data path '%s' climbs out of its folder", path);
    if (path && has_glob(path)) {
        if (sha || url) return tt_fail(err, TT_ERR_PARSE, "glob '%s' cannot have 'sha256' or 'url'", path);
        return load_glob(path, format, o, docs, hashes, err);
    }
    if (path && path[0] == '/') {
        if (!tt_file_exists(path)) return tt_fail(err, TT_ERR_NOTFOUND, "data file '%s' not found", path);
        return load_one(path, format, sha, docs, hashes, err);
    }
    /* relative name under which the file is looked up and cached */
    char *rel = NULL;
    if (path) {
        rel = tt_strdup(path);
    } else {
        const char *slash = strrchr(member ? member : url, '/');
        rel = tt_strdup(slash ? slash + 1 : url);
        if (!*rel || !safe_relative(rel)) {
            free(rel);
            return tt_fail(err, TT_ERR_PARSE, "cannot name a local file for '%s'", url);
        }
    }
    char *candidates[3] = { NULL, NULL, NULL };
    if (o->data_dir) candidates[0] = tt_path_join(o->data_dir, rel);
    candidates[1] = tt_path_join(o->base_dir ? o->base_dir : ".", rel);
    char *croot = cache_root(o);
    char *cdata = tt_path_join(croot, "data");
    candidates[2] = tt_path_join(cdata, rel);
    free(cdata);
    int rc = TT_ERR_NOTFOUND;
    int found = 0;
    for (int i = 0; i < 3 && !found; i++) {
        if (candidates[i] && tt_file_exists(candidates[i])) {
            found = 1;
            rc = load_one(candidates[i], format, sha, docs, hashes, err);
        }
    }
    if (!found) {
        if (!url) {
            rc = tt_fail(err, TT_ERR_NOTFOUND,
                         "data file '%s' not found (looked in %s%s%s and the cache %s; pass "
                         "--data-dir or set TIANTI_DATA)",
                         rel, o->data_dir ? o->data_dir : "", o->data_dir ? ", " : "",
                         o->base_dir ? o->base_dir : ".", croot);
        } else if (o->offline) {
            rc = tt_fail(err, TT_ERR_NOTFOUND, "data file '%s' not found and downloads are off (give --data-dir DIR "
                                               "or set TIANTI_DATA)", rel);
        } else if (!member) {
            rc = dataset_fetch(url, sha, candidates[2], err);
            if (rc == TT_OK) rc = load_one(candidates[2], format, sha, docs, hashes, err);
        } else {
            /* url names a zip archive: fetch it once, extract the member */
            char *aname = tt_asprintf("archives/%s", url_sha ? url_sha : rel);
            char *apath = tt_path_join(croot, aname);
            free(aname);
            rc = TT_OK;
            if (!tt_file_exists(apath)) rc = dataset_fetch(url, url_sha, apath, err);
            else if (url_sha) rc = check_sha(apath, url_sha, url, err);
            char *mbuf = NULL;
            size_t mlen = 0;
            if (rc == TT_OK) rc = dataset_zip_member(apath, member, &mbuf, &mlen, err);
            if (rc == TT_OK) {
                char hex[65];
                tt_sha256_hex(mbuf, mlen, hex);
                if (sha && strcasecmp(hex, sha) != 0)
                    rc = tt_fail(err, TT_ERR_IO, "sha256 mismatch for '%s' in '%s': expected %s, got %s",
                                 member, url, sha, hex);
                char *d = tt_dirname(candidates[2]);
                if (rc == TT_OK) rc = tt_mkdir_p(d, err);
                free(d);
                if (rc == TT_OK) rc = tt_write_file(candidates[2], mbuf, mlen, err);
            }
            free(mbuf);
            free(apath);
            if (rc == TT_OK) rc = load_one(candidates[2], format, sha, docs, hashes, err);
        }
    }
    for (int i = 0; i < 3; i++) free(candidates[i]);
    free(croot);
    free(rel);
    return rc;
}
