/*
 * code_problems.c — reads HumanEval-format gzipped JSON Lines (see
 * code_problems.h) with zlib's gzopen/gzgets and jansson.
 */
#include "judges/code_problems.h"

#include <errno.h>
#include <stdio.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void code_problem_clear(code_problem *p)
{
    if (!p) return;
    free(p->task_id);
    free(p->prompt);
    free(p->entry_point);
    free(p->canonical_solution);
    free(p->test);
    memset(p, 0, sizeof *p);
}

void code_problems_free(code_problem *p, size_t n)
{
    if (!p) return;
    for (size_t i = 0; i < n; i++) code_problem_clear(&p[i]);
    free(p);
}

/* A record longer than this is not a problem (a gzip bomb's line). */
#define CODE_PROBLEM_MAX_LINE ((size_t)64 << 20)

/* Reads one line (without its newline) into b; 0 at end of file, -1 when
 * it passes CODE_PROBLEM_MAX_LINE. */
static int read_line(gzFile f, tt_buf *b)
{
    char chunk[16384];
    tt_buf_reset(b);
    int any = 0;
    while (gzgets(f, chunk, sizeof chunk)) {
        any = 1;
        size_t n = strlen(chunk);
        if (n > 0 && chunk[n - 1] == '\n') {
            tt_buf_append(b, chunk, n - 1);
            return 1;
        }
        tt_buf_append(b, chunk, n);
        if (b->len > CODE_PROBLEM_MAX_LINE) return -1;
    }
    return any;
}

/* where: "'file' line N" or a record name, for messages. */
static int get_field(const json_t *obj, const char *name, int required, char **out,
                     const char *where, char *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        if (!required) return TT_OK;
        return tt_fail(err, TT_ERR_PARSE, "%s: missing field '%s'", where, name);
    }
    if (!json_is_string(v))
        return tt_fail(err, TT_ERR_PARSE, "%s: field '%s' is not a string", where, name);
    *out = tt_strndup(json_string_value(v), json_string_length(v));
    return TT_OK;
}

static int fill(const json_t *obj, const char *where, code_problem *p, char *err)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(obj)) return tt_fail(err, TT_ERR_PARSE, "%s: record is not a JSON object", where);
    int rc = get_field(obj, "task_id", 1, &p->task_id, where, err);
    if (rc == TT_OK) rc = get_field(obj, "prompt", 1, &p->prompt, where, err);
    if (rc == TT_OK) rc = get_field(obj, "entry_point", 1, &p->entry_point, where, err);
    if (rc == TT_OK) rc = get_field(obj, "canonical_solution", 0, &p->canonical_solution, where, err);
    if (rc == TT_OK) rc = get_field(obj, "test", 1, &p->test, where, err);
    if (rc != TT_OK) code_problem_clear(p);
    return rc;
}

int code_problem_from_doc(const json_t *doc, const char *name, code_problem *p,
                          char err[TT_ERR_SIZE])
{
    char where[300];
    snprintf(where, sizeof where, "'%s'", name ? name : "record");
    return fill(doc, where, p, err);
}

int code_problems_load(const char *path, code_problem **out, size_t *n, char err[TT_ERR_SIZE])
{
    *out = NULL;
    *n = 0;
    int fd;
    size_t fsize;
    int orc = tt_open_regular(path, TT_READ_MAX, &fd, &fsize, err);   /* no FIFO, no /dev/zero */
    if (orc) return orc;
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return tt_fail(err, TT_ERR_IO, "cannot open '%s': %s", path, strerror(errno ? errno : ENOMEM));
    }
    code_problem *arr = NULL;
    size_t len = 0, cap = 0, line = 0;
    tt_buf b;
    tt_buf_init(&b);
    int rc = TT_OK;
    int got;
    while ((got = read_line(f, &b)) != 0) {
        line++;
        if (got < 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s' line %zu: longer than %zu bytes", path, line, CODE_PROBLEM_MAX_LINE);
            break;
        }
        const char *s = tt_buf_str(&b);
        size_t k = 0;
        while (s[k] == ' ' || s[k] == '\t' || s[k] == '\r') k++;
        if (s[k] == '\0') continue;
        json_error_t je;
        json_t *obj = json_loadb(s, b.len, 0, &je);
        if (!obj || !json_is_object(obj)) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s' line %zu: %s", path, line,
                         obj ? "record is not a JSON object" : je.text);
            json_decref(obj);
            break;
        }
        if (len == cap) {
            cap = cap ? cap * 2 : 64;
            arr = tt_realloc(arr, cap * sizeof *arr);
        }
        char where[300];
        snprintf(where, sizeof where, "'%s' line %zu", path, line);
        rc = fill(obj, where, &arr[len], err);
        json_decref(obj);
        if (rc == TT_OK) len++;
        if (rc != TT_OK) break;
    }
    int zerr = 0;
    const char *zmsg = gzerror(f, &zerr);
    if (rc == TT_OK && zerr != Z_OK && zerr != Z_STREAM_END)
        rc = tt_fail(err, TT_ERR_IO, "'%s': %s", path, zmsg);
    gzclose(f);
    tt_buf_free(&b);
    if (rc != TT_OK) {
        code_problems_free(arr, len);
        return rc;
    }
    *out = arr;
    *n = len;
    return TT_OK;
}
