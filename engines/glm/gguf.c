/*
 * gguf.c — GGUF reader (bounds-checked parser over a read-only map) and
 * writer. See gguf.h for the contract and the GGUF specification (ggml docs/gguf.md) for the format.
 *
 * Reading walks the file in order with a cursor that refuses to step past
 * the end; every count is checked against the bytes left before anything is
 * allocated for it, and size arithmetic is overflow-checked.
 */
#include "engines/glm/gguf.h"
#include "engines/glm/quant.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NESTING 8

/* ---- the cursor ------------------------------------------------------------ */

typedef struct cursor {
    const uint8_t *base;
    size_t size, pos;
    const char *name;   /* file name for messages */
    char *err;
} cursor;

static size_t left(const cursor *c) { return c->size - c->pos; }

static int need(cursor *c, size_t n, const char *what)
{
    if (n > left(c))
        return tt_fail(c->err, TT_ERR_PARSE, "'%s' is truncated: %s at byte %zu needs %zu bytes, %zu left",
                       c->name, what, c->pos, n, left(c));
    return TT_OK;
}

static int rd(cursor *c, void *out, size_t n, const char *what)
{
    int rc = need(c, n, what);
    if (rc) return rc;
    memcpy(out, c->base + c->pos, n);
    c->pos += n;
    return TT_OK;
}

static int rd_u32(cursor *c, uint32_t *v, const char *what) { return rd(c, v, 4, what); }
static int rd_u64(cursor *c, uint64_t *v, const char *what) { return rd(c, v, 8, what); }

/* A gguf_string: u64 length + bytes. Returns a pointer into the map. */
static int rd_str(cursor *c, const char **s, uint64_t *len, const char *what)
{
    int rc = rd_u64(c, len, what);
    if (rc) return rc;
    if (*len > left(c))
        return tt_fail(c->err, TT_ERR_PARSE, "'%s': %s at byte %zu has length %llu, past the end of the file",
                       c->name, what, c->pos - 8, (unsigned long long)*len);
    *s = (const char *)c->base + c->pos;
    c->pos += (size_t)*len;
    return TT_OK;
}

static size_t scalar_size(uint32_t t)
{
    switch (t) {
    case GGUF_UINT8: case GGUF_INT8: case GGUF_BOOL: return 1;
    case GGUF_UINT16: case GGUF_INT16: return 2;
    case GGUF_UINT32: case GGUF_INT32: case GGUF_FLOAT32: return 4;
    case GGUF_UINT64: case GGUF_INT64: case GGUF_FLOAT64: return 8;
    default: return 0;
    }
}

const char *gguf_type_name(uint32_t t)
{
    static const char *names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                  "bool", "string", "array", "uint64", "int64", "float64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *gguf_ggml_type_name(uint32_t t)
{
    static const char *names[] = {
        [0] = "f32", [1] = "f16", [2] = "q4_0", [3] = "q4_1", [6] = "q5_0", [7] = "q5_1", [8] = "q8_0",
        [9] = "q8_1", [10] = "q2_k", [11] = "q3_k", [12] = "q4_k", [13] = "q5_k", [14] = "q6_k",
        [15] = "q8_k", [16] = "iq2_xxs", [17] = "iq2_xs", [18] = "iq3_xxs", [19] = "iq1_s", [20] = "iq4_nl",
        [21] = "iq3_s", [22] = "iq2_s", [23] = "iq4_xs", [24] = "i8", [25] = "i16", [26] = "i32",
        [27] = "i64", [28] = "f64", [29] = "iq1_m", [30] = "bf16", [34] = "tq1_0", [35] = "tq2_0",
        [39] = "mxfp4"};
    return t < sizeof names / sizeof names[0] && names[t] ? names[t] : "?";
}

/* Skips (validates) one value of type t; depth guards nested arrays. */
static int skip_value(cursor *c, uint32_t t, int depth, const char *key)
{
    size_t sz = scalar_size(t);
    if (sz) {
        if (t == GGUF_BOOL) {
            int rc = need(c, 1, "a bool value");
            if (rc) return rc;
            if (c->base[c->pos] > 1)
                return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has bool value %u (only 0 or 1 are valid)",
                               c->name, key, c->base[c->pos]);
        }
        int rc = need(c, sz, "a value");
        if (rc) return rc;
        c->pos += sz;
        return TT_OK;
    }
    if (t == GGUF_STRING) {
        const char *s;
        uint64_t n;
        return rd_str(c, &s, &n, "a string value");
    }
    if (t != GGUF_ARRAY)
        return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has unknown value type %u", c->name, key, t);
    if (depth >= MAX_NESTING)
        return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' nests arrays more than %d deep", c->name, key, MAX_NESTING);
    uint32_t et;
    uint64_t n;
    int rc = rd_u32(c, &et, "an array element type");
    if (!rc) rc = rd_u64(c, &n, "an array count");
    if (rc) return rc;
    size_t esz = scalar_size(et);
    if (esz) {
        if (n > left(c) / esz)
            return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has an array of %llu %s, past the end of the file",
                           c->name, key, (unsigned long long)n, gguf_type_name(et));
        if (et == GGUF_BOOL) {
            for (uint64_t i = 0; i < n; i++)
                if (c->base[c->pos + i] > 1)
                    return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has bool element %llu = %u", c->name, key,
                                   (unsigned long long)i, c->base[c->pos + i]);
        }
        c->pos += (size_t)(n * esz);
        return TT_OK;
    }
    if (et != GGUF_STRING && et != GGUF_ARRAY)
        return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has an array of unknown type %u", c->name, key, et);
    /* each string takes >= 8 bytes, each nested array >= 12 */
    if (n > left(c) / (et == GGUF_STRING ? 8 : 12))
        return tt_fail(c->err, TT_ERR_PARSE, "'%s': key '%s' has an array count %llu larger than the file allows",
                       c->name, key, (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        rc = skip_value(c, et, depth + 1, key);
        if (rc) return rc;
    }
    return TT_OK;
}

static int valid_key(const char *k, uint64_t n)
{
    if (n == 0) return 0;
    for (uint64_t i = 0; i < n; i++)
        if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] >= 0x7f) return 0;
    return 1;
}

/* ---- the parser ------------------------------------------------------------ */

int gguf_parse(const void *data, size_t size, const char *name, gguf_file **out, char *err)
{
    *out = NULL;
    cursor c = {data, size, 0, name, err};
    gguf_file *f = tt_calloc(1, sizeof *f);
    f->path = tt_strdup(name);
    f->base = data;
    f->size = size;
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    int rc;
    uint32_t magic;
    if (size < 4 || (memcpy(&magic, data, 4), magic != GGUF_MAGIC)) {
        rc = tt_fail(err, TT_ERR_PARSE, "'%s' is not a GGUF file (bad magic)", name);
        goto fail;
    }
    c.pos = 4;
    if ((rc = rd_u32(&c, &f->version, "the version"))) goto fail;
    if (f->version == 0x03000000u || f->version == 0x02000000u) {
        rc = tt_fail(err, TT_ERR_UNSUPPORTED, "'%s' is a big-endian GGUF file, which is not supported", name);
        goto fail;
    }
    if (f->version != 2 && f->version != 3) {
        rc = tt_fail(err, TT_ERR_UNSUPPORTED, "'%s' has GGUF version %u (supported: 2, 3)", name, f->version);
        goto fail;
    }
    if ((rc = rd_u64(&c, &f->n_tensors, "the tensor count"))) goto fail;
    if ((rc = rd_u64(&c, &f->n_kv, "the metadata count"))) goto fail;
    /* a kv takes >= 13 bytes, a tensor info >= 28 */
    if (f->n_kv > left(&c) / 13) {
        rc = tt_fail(err, TT_ERR_PARSE, "'%s' claims %llu metadata entries, more than the file can hold", name,
                     (unsigned long long)f->n_kv);
        goto fail;
    }
    if (f->n_tensors > left(&c) / 28) {
        rc = tt_fail(err, TT_ERR_PARSE, "'%s' claims %llu tensors, more than the file can hold", name,
                     (unsigned long long)f->n_tensors);
        goto fail;
    }
    f->kv = tt_calloc((size_t)f->n_kv, sizeof *f->kv);
    for (uint64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        const char *k;
        uint64_t klen;
        if ((rc = rd_str(&c, &k, &klen, "a metadata key"))) goto fail;
        if (klen > 65535 || !valid_key(k, klen)) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': metadata key %llu is empty, too long or not printable ASCII", name,
                         (unsigned long long)i);
            goto fail;
        }
        kv->key = tt_strndup(k, (size_t)klen);
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(f->kv[j].key, kv->key) == 0) {
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': duplicate metadata key '%s'", name, kv->key);
                goto fail;
            }
        if ((rc = rd_u32(&c, &kv->type, "a value type"))) goto fail;
        kv->value = c.base + c.pos;
        size_t start = c.pos;
        if ((rc = skip_value(&c, kv->type, 0, kv->key))) goto fail;
        kv->value_size = c.pos - start;
        if (kv->type == GGUF_ARRAY) {
            memcpy(&kv->arr_type, kv->value, 4);
            memcpy(&kv->arr_n, kv->value + 4, 8);
            kv->arr_data = kv->value + 12;
            if (kv->arr_type == GGUF_STRING) {
                kv->arr_items = tt_malloc((size_t)(kv->arr_n ? kv->arr_n : 1) * sizeof *kv->arr_items);
                const uint8_t *p = kv->arr_data;
                for (uint64_t j = 0; j < kv->arr_n; j++) {   /* already validated by skip_value */
                    uint64_t l;
                    kv->arr_items[j] = p;
                    memcpy(&l, p, 8);
                    p += 8 + l;
                }
            }
        }
        if (strcmp(kv->key, "general.alignment") == 0) {
            uint32_t a;
            if (kv->type != GGUF_UINT32) {
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': general.alignment is %s, not uint32", name, gguf_type_name(kv->type));
                goto fail;
            }
            memcpy(&a, kv->value, 4);
            if (a == 0 || a % 8 != 0 || (a & (a - 1)) != 0) {
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': general.alignment %u is not a power of two multiple of 8", name, a);
                goto fail;
            }
            f->alignment = a;
        }
    }
    f->tensors = tt_calloc((size_t)(f->n_tensors ? f->n_tensors : 1), sizeof *f->tensors);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        const char *tn;
        uint64_t tlen;
        if ((rc = rd_str(&c, &tn, &tlen, "a tensor name"))) goto fail;
        if (tlen == 0 || tlen > GGUF_MAX_NAME || memchr(tn, 0, (size_t)tlen)) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor %llu has an empty or over-long name (%llu bytes, max %d)",
                         name, (unsigned long long)i, (unsigned long long)tlen, GGUF_MAX_NAME);
            goto fail;
        }
        memcpy(t->name, tn, (size_t)tlen);
        t->name[tlen] = 0;
        for (uint64_t j = 0; j < i; j++)
            if (strcmp(f->tensors[j].name, t->name) == 0) {
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': duplicate tensor '%s'", name, t->name);
                goto fail;
            }
        if ((rc = rd_u32(&c, &t->n_dims, "a tensor's dimension count"))) goto fail;
        if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' has %u dimensions (1 to %d allowed)", name, t->name,
                         t->n_dims, GGUF_MAX_DIMS);
            goto fail;
        }
        uint64_t nelem = 1;
        for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            if ((rc = rd_u64(&c, &t->ne[d], "a tensor dimension"))) goto fail;
            if (t->ne[d] == 0 || t->ne[d] > (uint64_t)INT64_MAX || nelem > (uint64_t)INT64_MAX / t->ne[d]) {
                rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' dimension %u is %llu (zero or overflowing)", name,
                             t->name, d, (unsigned long long)t->ne[d]);
                goto fail;
            }
            nelem *= t->ne[d];
        }
        if ((rc = rd_u32(&c, &t->type, "a tensor type"))) goto fail;
        if ((rc = rd_u64(&c, &t->offset, "a tensor offset"))) goto fail;
        const glm_type_traits *tr = glm_type_get(t->type);
        if (!tr) {
            rc = tt_fail(err, TT_ERR_UNSUPPORTED, "'%s': tensor '%s' has type %u (%s); supported: f32, f16, q8_0, q4_0",
                         name, t->name, t->type, gguf_ggml_type_name(t->type));
            goto fail;
        }
        if (t->ne[0] % (uint64_t)tr->blck_size != 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' row length %llu is not a multiple of the %s block size %d",
                         name, t->name, (unsigned long long)t->ne[0], tr->name, tr->blck_size);
            goto fail;
        }
        uint64_t nblocks = nelem / (uint64_t)tr->blck_size;
        if (nblocks > UINT64_MAX / tr->type_size) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' byte size overflows", name, t->name);
            goto fail;
        }
        t->nbytes = nblocks * tr->type_size;
        if (t->offset % f->alignment != 0) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' offset %llu is not a multiple of the alignment %llu",
                         name, t->name, (unsigned long long)t->offset, (unsigned long long)f->alignment);
            goto fail;
        }
    }
    f->data_offset = c.pos + (f->alignment - c.pos % f->alignment) % f->alignment;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        uint64_t avail = size > f->data_offset ? size - f->data_offset : 0;
        if (t->offset > avail || t->nbytes > avail - t->offset) {
            rc = tt_fail(err, TT_ERR_PARSE, "'%s': tensor '%s' (offset %llu, %llu bytes) lies past the end of the file",
                         name, t->name, (unsigned long long)t->offset, (unsigned long long)t->nbytes);
            goto fail;
        }
        t->data = f->base + f->data_offset + t->offset;
    }
    *out = f;
    return TT_OK;
fail:
    gguf_close(f);
    return rc;
}

int gguf_open(const char *path, gguf_file **out, char *err)
{
    *out = NULL;
    /* a regular file only (opening a FIFO would wait for a writer), of any
     * size: it is mapped, never read into memory, and every offset in it is
     * checked against the size (gguf_parse) */
    int fd;
    size_t size;
    int orc = tt_open_regular(path, 0, &fd, &size, err);
    if (orc) return orc;
    void *map = NULL;
    if (size > 0) {
        /* writable but private: the GLM engine repacks matrices in place
         * (model.c), which turns those pages into the process's own copies
         * and never writes the file */
        map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return tt_fail(err, TT_ERR_IO, "cannot map '%s': %s", path, strerror(e));
        }
    }
    close(fd);
    static const uint8_t empty[1];
    int rc = gguf_parse(map ? map : empty, size, path, out, err);
    if (rc) {
        if (map) munmap(map, size);
        return rc;
    }
    (*out)->mapped = map != NULL;
    return TT_OK;
}

void gguf_release(const gguf_file *f, const void *p, size_t n)
{
    if (!f || !f->mapped || n == 0) return;
    uintptr_t base = (uintptr_t)f->base, a = (uintptr_t)p, e = a + n;
    if (a < base || e > base + f->size) return;
    tt_release_pages(p, n);
}

void gguf_close(gguf_file *f)
{
    if (!f) return;
    for (uint64_t i = 0; f->kv && i < f->n_kv; i++) {
        free(f->kv[i].key);
        free(f->kv[i].arr_items);
    }
    free(f->kv);
    free(f->tensors);
    if (f->mapped) munmap((void *)f->base, f->size);
    free(f->path);
    free(f);
}

/* ---- access ------------------------------------------------------------------ */

const gguf_kv *gguf_find(const gguf_file *f, const char *key)
{
    for (uint64_t i = 0; i < f->n_kv; i++)
        if (strcmp(f->kv[i].key, key) == 0) return &f->kv[i];
    return NULL;
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* Reads a numeric scalar of type t at p. kind: 0 unsigned, 1 signed, 2 float. */
static int read_num(uint32_t t, const uint8_t *p, uint64_t *u, int64_t *s, double *d, int *kind)
{
    union { uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32; float f32;
            uint64_t u64; int64_t i64; double f64; } v;
    size_t sz = scalar_size(t);
    if (!sz) return 0;
    memcpy(&v, p, sz);
    switch (t) {
    case GGUF_UINT8: case GGUF_BOOL: *u = v.u8; *kind = 0; break;
    case GGUF_UINT16: *u = v.u16; *kind = 0; break;
    case GGUF_UINT32: *u = v.u32; *kind = 0; break;
    case GGUF_UINT64: *u = v.u64; *kind = 0; break;
    case GGUF_INT8: *s = v.i8; *kind = 1; break;
    case GGUF_INT16: *s = v.i16; *kind = 1; break;
    case GGUF_INT32: *s = v.i32; *kind = 1; break;
    case GGUF_INT64: *s = v.i64; *kind = 1; break;
    case GGUF_FLOAT32: *d = v.f32; *kind = 2; break;
    case GGUF_FLOAT64: *d = v.f64; *kind = 2; break;
    default: return 0;
    }
    return 1;
}

int gguf_get_uint(const gguf_file *f, const char *key, uint64_t *v, char *err)
{
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return TT_ERR_NOTFOUND;
    uint64_t u = 0; int64_t s = 0; double d = 0; int kind = -1;
    if (kv->type == GGUF_BOOL || !read_num(kv->type, kv->value, &u, &s, &d, &kind) || kind == 2)
        return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' is %s, not an integer", f->path, key, gguf_type_name(kv->type));
    if (kind == 1) {
        if (s < 0) return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' is negative (%lld)", f->path, key, (long long)s);
        u = (uint64_t)s;
    }
    *v = u;
    return TT_OK;
}

int gguf_get_float(const gguf_file *f, const char *key, double *v, char *err)
{
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return TT_ERR_NOTFOUND;
    uint64_t u = 0; int64_t s = 0; double d = 0; int kind = -1;
    if (kv->type == GGUF_BOOL || !read_num(kv->type, kv->value, &u, &s, &d, &kind))
        return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' is %s, not a number", f->path, key, gguf_type_name(kv->type));
    *v = kind == 0 ? (double)u : kind == 1 ? (double)s : d;
    return TT_OK;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *v, char *err)
{
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return TT_ERR_NOTFOUND;
    if (kv->type != GGUF_BOOL)
        return tt_fail(err, TT_ERR_PARSE, "'%s': key '%s' is %s, not bool", f->path, key, gguf_type_name(kv->type));
    *v = kv->value[0] != 0;
    return TT_OK;
}

const char *gguf_get_str(const gguf_file *f, const char *key, size_t *len)
{
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv || kv->type != GGUF_STRING) return NULL;
    uint64_t l;
    memcpy(&l, kv->value, 8);
    *len = (size_t)l;
    return (const char *)kv->value + 8;
}

const char *gguf_arr_str(const gguf_kv *kv, uint64_t i, size_t *len)
{
    if (kv->type != GGUF_ARRAY || kv->arr_type != GGUF_STRING || i >= kv->arr_n) return NULL;
    uint64_t l;
    memcpy(&l, kv->arr_items[i], 8);
    *len = (size_t)l;
    return (const char *)kv->arr_items[i] + 8;
}

double gguf_arr_num(const gguf_kv *kv, uint64_t i)
{
    if (kv->type != GGUF_ARRAY || i >= kv->arr_n) return 0;
    size_t sz = scalar_size(kv->arr_type);
    if (!sz) return 0;
    uint64_t u = 0; int64_t s = 0; double d = 0; int kind = -1;
    if (!read_num(kv->arr_type, kv->arr_data + i * sz, &u, &s, &d, &kind)) return 0;
    return kind == 0 ? (double)u : kind == 1 ? (double)s : d;
}

/* ---- writer ---------------------------------------------------------------- */

typedef struct wtensor {
    char *name;
    uint32_t type, n_dims;
    uint64_t dims[GGUF_MAX_DIMS];
    uint8_t *data;      /* NULL: produced at write time (gguf_writer_stream) */
    size_t nbytes;
    size_t granule;     /* a streamed tensor's data comes in multiples of this */
} wtensor;

struct gguf_writer {
    tt_buf kv;          /* serialised key/values */
    uint64_t n_kv;
    uint32_t alignment;
    wtensor *tensors;
    size_t n_tensors, cap_tensors;
};

gguf_writer *gguf_writer_new(void)
{
    gguf_writer *w = tt_calloc(1, sizeof *w);
    tt_buf_init(&w->kv);
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void gguf_writer_free(gguf_writer *w)
{
    if (!w) return;
    tt_buf_free(&w->kv);
    for (size_t i = 0; i < w->n_tensors; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->tensors);
    free(w);
}

static void put(tt_buf *b, const void *p, size_t n) { tt_buf_append(b, p, n); }
static void put_u32(tt_buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(tt_buf *b, uint64_t v) { put(b, &v, 8); }
static void put_str(tt_buf *b, const char *s, size_t n) { put_u64(b, n); put(b, s, n); }

static void begin_kv(gguf_writer *w, const char *key, uint32_t type)
{
    put_str(&w->kv, key, strlen(key));
    put_u32(&w->kv, type);
    w->n_kv++;
}

void gguf_writer_set_alignment(gguf_writer *w, uint32_t alignment)
{
    w->alignment = alignment;
    gguf_writer_add_u32(w, "general.alignment", alignment);
}

void gguf_writer_add_u32(gguf_writer *w, const char *key, uint32_t v) { begin_kv(w, key, GGUF_UINT32); put_u32(&w->kv, v); }
void gguf_writer_add_u64(gguf_writer *w, const char *key, uint64_t v) { begin_kv(w, key, GGUF_UINT64); put_u64(&w->kv, v); }
void gguf_writer_add_i32(gguf_writer *w, const char *key, int32_t v) { begin_kv(w, key, GGUF_INT32); put(&w->kv, &v, 4); }
void gguf_writer_add_f32(gguf_writer *w, const char *key, float v) { begin_kv(w, key, GGUF_FLOAT32); put(&w->kv, &v, 4); }
void gguf_writer_add_bool(gguf_writer *w, const char *key, int v)
{
    uint8_t b = v ? 1 : 0;
    begin_kv(w, key, GGUF_BOOL);
    put(&w->kv, &b, 1);
}
void gguf_writer_add_str(gguf_writer *w, const char *key, const char *v)
{
    begin_kv(w, key, GGUF_STRING);
    put_str(&w->kv, v, strlen(v));
}
void gguf_writer_add_arr_str(gguf_writer *w, const char *key, const char *const *v, uint64_t n)
{
    begin_kv(w, key, GGUF_ARRAY);
    put_u32(&w->kv, GGUF_STRING);
    put_u64(&w->kv, n);
    for (uint64_t i = 0; i < n; i++) put_str(&w->kv, v[i], strlen(v[i]));
}
void gguf_writer_add_arr_f32(gguf_writer *w, const char *key, const float *v, uint64_t n)
{
    begin_kv(w, key, GGUF_ARRAY);
    put_u32(&w->kv, GGUF_FLOAT32);
    put_u64(&w->kv, n);
    put(&w->kv, v, (size_t)n * 4);
}
void gguf_writer_add_arr_i32(gguf_writer *w, const char *key, const int32_t *v, uint64_t n)
{
    begin_kv(w, key, GGUF_ARRAY);
    put_u32(&w->kv, GGUF_INT32);
    put_u64(&w->kv, n);
    put(&w->kv, v, (size_t)n * 4);
}

void gguf_writer_copy_kv(gguf_writer *w, const gguf_kv *kv, const gguf_file *from)
{
    (void)from;
    begin_kv(w, kv->key, kv->type);
    put(&w->kv, kv->value, kv->value_size);
    if (strcmp(kv->key, "general.alignment") == 0 && kv->type == GGUF_UINT32) memcpy(&w->alignment, kv->value, 4);
}

static wtensor *new_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *dims)
{
    if (w->n_tensors == w->cap_tensors) {
        w->cap_tensors = w->cap_tensors ? 2 * w->cap_tensors : 16;
        w->tensors = tt_realloc(w->tensors, w->cap_tensors * sizeof *w->tensors);
    }
    wtensor *t = &w->tensors[w->n_tensors++];
    memset(t, 0, sizeof *t);
    t->name = tt_strdup(name);
    t->type = type;
    t->n_dims = n_dims > GGUF_MAX_DIMS ? GGUF_MAX_DIMS : n_dims;
    for (uint32_t d = 0; d < t->n_dims; d++) t->dims[d] = dims[d];
    return t;
}

void gguf_writer_add_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *dims, const void *data, size_t nbytes)
{
    wtensor *t = new_tensor(w, name, type, n_dims, dims);
    t->data = tt_malloc(nbytes ? nbytes : 1);
    memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
}

void gguf_writer_add_tensor_streamed(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                                     const uint64_t *dims, size_t nbytes, size_t granule)
{
    wtensor *t = new_tensor(w, name, type, n_dims, dims);
    t->nbytes = nbytes;
    t->granule = granule ? granule : 1;
}

static size_t pad_to(size_t off, size_t a) { return off + (a - off % a) % a; }

/* Magic, counts, key/values, tensor infos and the padding before the data. */
static void put_header(gguf_writer *w, tt_buf *bp)
{
    tt_buf b = *bp;
    put_u32(&b, GGUF_MAGIC);
    put_u32(&b, 3);
    put_u64(&b, w->n_tensors);
    put_u64(&b, w->n_kv);
    put(&b, w->kv.data ? w->kv.data : "", w->kv.len);
    size_t off = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        wtensor *t = &w->tensors[i];
        put_str(&b, t->name, strlen(t->name));
        put_u32(&b, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) put_u64(&b, t->dims[d]);
        put_u32(&b, t->type);
        put_u64(&b, off);
        off = pad_to(off + t->nbytes, w->alignment);
    }
    static const uint8_t zeros[256];
    size_t a = w->alignment;
    while (b.len % a) put(&b, zeros, a - b.len % a > sizeof zeros ? sizeof zeros : a - b.len % a);
    *bp = b;
}

void gguf_writer_to_memory(gguf_writer *w, uint8_t **out, size_t *len)
{
    tt_buf b;
    tt_buf_init(&b);
    put_header(w, &b);
    static const uint8_t zeros[256];
    size_t a = w->alignment;
    for (size_t i = 0; i < w->n_tensors; i++) {
        put(&b, w->tensors[i].data, w->tensors[i].nbytes);
        while (b.len % a) put(&b, zeros, a - b.len % a > sizeof zeros ? sizeof zeros : a - b.len % a);
    }
    *len = b.len;
    *out = (uint8_t *)tt_buf_detach(&b);
}

int gguf_writer_stream(gguf_writer *w, const char *path, gguf_fill_fn fill, void *user, char *err)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return tt_fail(err, TT_ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    tt_buf b;
    tt_buf_init(&b);
    put_header(w, &b);
    int rc = fwrite(b.data, 1, b.len, fp) == b.len ? TT_OK : TT_ERR_IO;
    size_t pos = b.len;
    tt_buf_free(&b);
    static const uint8_t zeros[256];
    size_t cap = 0;
    uint8_t *buf = NULL;
    for (size_t i = 0; i < w->n_tensors && rc == TT_OK; i++) {
        wtensor *t = &w->tensors[i];
        if (t->data) {
            rc = fwrite(t->data, 1, t->nbytes, fp) == t->nbytes ? TT_OK : TT_ERR_IO;
        } else {
            size_t step = ((size_t)1 << 24) / t->granule * t->granule;
            if (step == 0) step = t->granule;
            if (step > cap) {
                free(buf);
                buf = tt_malloc(step);
                cap = step;
            }
            for (size_t off = 0; off < t->nbytes && rc == TT_OK; off += step) {
                size_t n = t->nbytes - off < step ? t->nbytes - off : step;
                rc = fill(user, i, off, buf, n, err);
                if (rc == TT_OK && fwrite(buf, 1, n, fp) != n) rc = TT_ERR_IO;
            }
        }
        pos += t->nbytes;
        size_t a = w->alignment;
        while (rc == TT_OK && pos % a) {
            size_t k = a - pos % a > sizeof zeros ? sizeof zeros : a - pos % a;
            if (fwrite(zeros, 1, k, fp) != k) rc = TT_ERR_IO;
            pos += k;
        }
    }
    free(buf);
    if (fclose(fp) != 0 && rc == TT_OK) rc = TT_ERR_IO;
    if (rc == TT_ERR_IO) {
        tt_fail(err, TT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        remove(path);
    } else if (rc) {
        remove(path);
    }
    return rc;
}

int gguf_writer_write(gguf_writer *w, const char *path, char *err)
{
    uint8_t *data;
    size_t len;
    gguf_writer_to_memory(w, &data, &len);
    int rc = tt_write_file(path, data, len, err);
    free(data);
    return rc;
}
