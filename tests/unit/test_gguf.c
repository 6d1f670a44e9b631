/*
 * test_gguf.c — the GGUF reader and writer: every metadata type (nested
 * arrays included), v2 and v3, general.alignment, tensor infos and data
 * pointers; and every refusal (bad magic/version, big-endian, truncation at
 * every byte, absurd counts, strings past the end, bad alignment, offsets
 * misaligned or out of range, unknown types, too many dims, overflowing
 * sizes, duplicates, bad bools, deep nesting), each built by hand here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/gguf.h"
#include "engines/glm/quant.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a byte builder ------------------------------------------------------ */
static void u8(tt_buf *b, uint8_t v) { tt_buf_append(b, (const char *)&v, 1); }
static void u32(tt_buf *b, uint32_t v) { tt_buf_append(b, (const char *)&v, 4); }
static void u64(tt_buf *b, uint64_t v) { tt_buf_append(b, (const char *)&v, 8); }
static void str(tt_buf *b, const char *s) { u64(b, strlen(s)); tt_buf_append(b, s, strlen(s)); }
static void pad(tt_buf *b, size_t a) { while (b->len % a) u8(b, 0); }

static void header(tt_buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    tt_buf_init(b);
    u32(b, GGUF_MAGIC);
    u32(b, version);
    u64(b, n_tensors);
    u64(b, n_kv);
}

/* One f32 tensor "t" [8] with the given type/dims/offset, data of 32 bytes. */
static void one_tensor(tt_buf *b, uint32_t type, uint32_t n_dims, const uint64_t *dims, uint64_t offset, size_t data)
{
    str(b, "t");
    u32(b, n_dims);
    for (uint32_t i = 0; i < n_dims; i++) u64(b, dims[i]);
    u32(b, type);
    u64(b, offset);
    pad(b, 32);
    for (size_t i = 0; i < data; i++) u8(b, (uint8_t)i);
}

static int parse(tt_buf *b, gguf_file **f, char *err)
{
    return gguf_parse(b->data, b->len, "x.gguf", f, err);
}

static void expect_refused(tt_buf *b, int code, const char *needle)
{
    gguf_file *f = NULL;
    char err[TT_ERR_SIZE] = "";
    int rc = parse(b, &f, err);
    if (rc != code || (needle && !strstr(err, needle))) fprintf(stderr, "rc %d, err: %s\n", rc, err);
    assert_int_equal(rc, code);
    assert_null(f);
    assert_non_null(strstr(err, "x.gguf"));
    if (needle) assert_non_null(strstr(err, needle));
    tt_buf_free(b);
}

/* ---- valid files ------------------------------------------------------------- */

static void all_types_file(tt_buf *b, uint32_t version)
{
    header(b, version, 1, 16);
    str(b, "a.u8"); u32(b, GGUF_UINT8); u8(b, 200);
    str(b, "a.i8"); u32(b, GGUF_INT8); u8(b, (uint8_t)-5);
    str(b, "a.u16"); u32(b, GGUF_UINT16); u8(b, 0x34); u8(b, 0x12);
    str(b, "a.i16"); u32(b, GGUF_INT16); u8(b, 0xff); u8(b, 0xff);
    str(b, "a.u32"); u32(b, GGUF_UINT32); u32(b, 4000000000u);
    str(b, "a.i32"); u32(b, GGUF_INT32); u32(b, (uint32_t)-7);
    float f = 1.5f;
    str(b, "a.f32"); u32(b, GGUF_FLOAT32); tt_buf_append(b, (const char *)&f, 4);
    str(b, "a.bool"); u32(b, GGUF_BOOL); u8(b, 1);
    str(b, "a.str"); u32(b, GGUF_STRING); str(b, "héllo");
    str(b, "a.u64"); u32(b, GGUF_UINT64); u64(b, 1ULL << 40);
    str(b, "a.i64"); u32(b, GGUF_INT64); u64(b, (uint64_t)-3);
    double d = 0.25;
    str(b, "a.f64"); u32(b, GGUF_FLOAT64); tt_buf_append(b, (const char *)&d, 8);
    str(b, "a.arr_i32"); u32(b, GGUF_ARRAY); u32(b, GGUF_INT32); u64(b, 3); u32(b, 1); u32(b, (uint32_t)-2); u32(b, 3);
    str(b, "a.arr_str"); u32(b, GGUF_ARRAY); u32(b, GGUF_STRING); u64(b, 2); str(b, "x"); str(b, "");
    /* nested: [[1,2],[3]] of uint8 */
    str(b, "a.nested"); u32(b, GGUF_ARRAY); u32(b, GGUF_ARRAY); u64(b, 2);
    u32(b, GGUF_UINT8); u64(b, 2); u8(b, 1); u8(b, 2);
    u32(b, GGUF_UINT8); u64(b, 1); u8(b, 3);
    str(b, "general.alignment"); u32(b, GGUF_UINT32); u32(b, 64);
    str(b, "w");
    u32(b, 2); u64(b, 32); u64(b, 2);
    u32(b, GLM_TYPE_Q8_0);
    u64(b, 64);
    pad(b, 64);
    for (int i = 0; i < 64; i++) u8(b, 0xee);             /* gap up to offset 64 */
    for (int i = 0; i < 68; i++) u8(b, (uint8_t)i);       /* two q8_0 blocks */
}

static void test_gguf_parse_every_value_type(void **state)
{
    (void)state;
    for (uint32_t version = 2; version <= 3; version++) {
        tt_buf b;
        all_types_file(&b, version);
        gguf_file *f;
        char err[TT_ERR_SIZE];
        int rc = parse(&b, &f, err);
        if (rc) fprintf(stderr, "%s\n", err);
        assert_int_equal(rc, TT_OK);
        assert_int_equal(f->version, version);
        assert_int_equal(f->alignment, 64);
        uint64_t u;
        double x;
        int bv;
        assert_int_equal(gguf_get_uint(f, "a.u8", &u, err), TT_OK); assert_int_equal(u, 200);
        assert_int_equal(gguf_get_uint(f, "a.u16", &u, err), TT_OK); assert_int_equal(u, 0x1234);
        assert_int_equal(gguf_get_uint(f, "a.u32", &u, err), TT_OK); assert_int_equal(u, 4000000000u);
        assert_int_equal(gguf_get_uint(f, "a.u64", &u, err), TT_OK); assert_int_equal(u, 1ULL << 40);
        assert_int_equal(gguf_get_uint(f, "a.i8", &u, err), TT_ERR_PARSE);   /* negative */
        assert_int_equal(gguf_get_float(f, "a.i8", &x, err), TT_OK); assert_true(x == -5);
        assert_int_equal(gguf_get_float(f, "a.i16", &x, err), TT_OK); assert_true(x == -1);
        assert_int_equal(gguf_get_float(f, "a.i32", &x, err), TT_OK); assert_true(x == -7);
        assert_int_equal(gguf_get_float(f, "a.i64", &x, err), TT_OK); assert_true(x == -3);
        assert_int_equal(gguf_get_float(f, "a.f32", &x, err), TT_OK); assert_true(x == 1.5);
        assert_int_equal(gguf_get_float(f, "a.f64", &x, err), TT_OK); assert_true(x == 0.25);
        assert_int_equal(gguf_get_uint(f, "a.f32", &u, err), TT_ERR_PARSE);
        assert_int_equal(gguf_get_bool(f, "a.bool", &bv, err), TT_OK); assert_true(bv);
        assert_int_equal(gguf_get_uint(f, "missing", &u, err), TT_ERR_NOTFOUND);
        size_t l;
        const char *s = gguf_get_str(f, "a.str", &l);
        assert_int_equal(l, 6);
        assert_memory_equal(s, "héllo", 6);
        const gguf_kv *kv = gguf_find(f, "a.arr_i32");
        assert_int_equal(kv->arr_n, 3);
        assert_true(gguf_arr_num(kv, 1) == -2);
        kv = gguf_find(f, "a.arr_str");
        s = gguf_arr_str(kv, 0, &l);
        assert_int_equal(l, 1);
        assert_memory_equal(s, "x", 1);
        s = gguf_arr_str(kv, 1, &l);
        assert_int_equal(l, 0);
        assert_null(gguf_arr_str(kv, 2, &l));
        kv = gguf_find(f, "a.nested");
        assert_int_equal(kv->arr_type, GGUF_ARRAY);
        assert_int_equal(kv->arr_n, 2);
        assert_int_equal(kv->value_size, 4 + 8 + (4 + 8 + 2) + (4 + 8 + 1));
        const gguf_tensor *t = gguf_find_tensor(f, "w");
        assert_non_null(t);
        assert_int_equal(t->nbytes, 68);
        assert_int_equal(t->offset, 64);
        assert_int_equal(((const uint8_t *)t->data)[0], 0);
        assert_int_equal(((const uint8_t *)t->data)[67], 67);
        assert_int_equal(f->data_offset % 64, 0);
        gguf_close(f);
        tt_buf_free(&b);
    }
}

/* A file cut at any byte is refused (and never read past its end: ASan). */
static void test_gguf_parse_refuses_every_truncation(void **state)
{
    (void)state;
    tt_buf b;
    all_types_file(&b, 3);
    for (size_t n = 0; n < b.len; n++) {
        uint8_t *copy = tt_malloc(n ? n : 1);   /* exact-size heap copy so ASan sees overreads */
        memcpy(copy, b.data, n);
        gguf_file *f;
        char err[TT_ERR_SIZE];
        assert_int_not_equal(gguf_parse(copy, n, "cut.gguf", &f, err), TT_OK);
        free(copy);
    }
    tt_buf_free(&b);
}

static void test_gguf_writer_round_trip(void **state)
{
    (void)state;
    gguf_writer *w = gguf_writer_new();
    gguf_writer_add_str(w, "general.architecture", "chatglm");
    gguf_writer_add_u32(w, "n", 7);
    gguf_writer_add_f32(w, "eps", 1e-5f);
    gguf_writer_add_bool(w, "flag", 1);
    const char *names[3] = {"a", "bb", "<|user|>"};
    gguf_writer_add_arr_str(w, "names", names, 3);
    float fv[2] = {0.5f, -1};
    gguf_writer_add_arr_f32(w, "fv", fv, 2);
    float data[40];
    for (int i = 0; i < 40; i++) data[i] = (float)i;
    uint64_t d1[1] = {40}, d2[2] = {8, 5};
    gguf_writer_add_tensor(w, "v", GLM_TYPE_F32, 1, d1, data, sizeof data);
    gguf_writer_add_tensor(w, "m", GLM_TYPE_F32, 2, d2, data, sizeof data);
    char path[] = "/tmp/tianti_gguf_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_writer_write(w, path, err), TT_OK);
    gguf_writer_free(w);
    gguf_file *f;
    assert_int_equal(gguf_open(path, &f, err), TT_OK);
    assert_int_equal(f->n_kv, 6);
    assert_int_equal(f->n_tensors, 2);
    double x;
    assert_int_equal(gguf_get_float(f, "eps", &x, err), TT_OK);
    assert_true(x == (double)1e-5f);
    size_t l;
    const char *s = gguf_arr_str(gguf_find(f, "names"), 2, &l);
    assert_int_equal(l, 8);
    assert_memory_equal(s, "<|user|>", 8);
    const gguf_tensor *m = gguf_find_tensor(f, "m");
    assert_int_equal(m->n_dims, 2);
    assert_int_equal(m->ne[0], 8);
    assert_int_equal(m->ne[1], 5);
    assert_int_equal(m->offset % 32, 0);
    assert_memory_equal(m->data, data, sizeof data);
    /* copying every kv gives an identical metadata section */
    gguf_writer *w2 = gguf_writer_new();
    for (uint64_t i = 0; i < f->n_kv; i++) gguf_writer_copy_kv(w2, &f->kv[i], f);
    uint8_t *buf;
    size_t len;
    gguf_writer_to_memory(w2, &buf, &len);
    gguf_file *g;
    assert_int_equal(gguf_parse(buf, len, "copy", &g, err), TT_OK);
    assert_int_equal(g->n_kv, f->n_kv);
    assert_int_equal(g->kv[4].value_size, f->kv[4].value_size);
    assert_memory_equal(g->kv[4].value, f->kv[4].value, f->kv[4].value_size);
    gguf_close(g);
    free(buf);
    gguf_writer_free(w2);
    gguf_close(f);
    unlink(path);
}

/* ---- refusals ------------------------------------------------------------------ */

static void test_gguf_refuses_bad_magic_and_versions(void **state)
{
    (void)state;
    tt_buf b;
    tt_buf_init(&b);
    u32(&b, 0x46554746);
    u32(&b, 3); u64(&b, 0); u64(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "bad magic");
    header(&b, 1, 0, 0);
    expect_refused(&b, TT_ERR_UNSUPPORTED, "version 1");
    header(&b, 4, 0, 0);
    expect_refused(&b, TT_ERR_UNSUPPORTED, "version 4");
    header(&b, 0x03000000u, 0, 0);
    expect_refused(&b, TT_ERR_UNSUPPORTED, "big-endian");
    tt_buf_init(&b);
    expect_refused(&b, TT_ERR_PARSE, "bad magic");   /* empty */
}

static void test_gguf_refuses_absurd_counts(void **state)
{
    (void)state;
    tt_buf b;
    header(&b, 3, 0, UINT64_MAX);
    expect_refused(&b, TT_ERR_PARSE, "metadata entries");
    header(&b, 3, 1ULL << 60, 0);
    expect_refused(&b, TT_ERR_PARSE, "tensors");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_ARRAY); u32(&b, GGUF_UINT64); u64(&b, 1ULL << 61);
    expect_refused(&b, TT_ERR_PARSE, "array of");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_ARRAY); u32(&b, GGUF_STRING); u64(&b, UINT64_MAX);
    expect_refused(&b, TT_ERR_PARSE, "array count");
}

static void test_gguf_refuses_strings_past_end(void **state)
{
    (void)state;
    tt_buf b;
    header(&b, 3, 0, 1);
    u64(&b, 1000); tt_buf_append(&b, "abcdefghijklmnopqrstuvwxyz", 26);   /* key longer than the file */
    expect_refused(&b, TT_ERR_PARSE, "past the end");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_STRING); u64(&b, UINT64_MAX);
    expect_refused(&b, TT_ERR_PARSE, "past the end");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_ARRAY); u32(&b, GGUF_STRING); u64(&b, 2); str(&b, "ok"); u64(&b, 99);
    expect_refused(&b, TT_ERR_PARSE, NULL);
}

static void test_gguf_refuses_bad_values(void **state)
{
    (void)state;
    tt_buf b;
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, 13); u32(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "unknown value type 13");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_BOOL); u8(&b, 2);
    expect_refused(&b, TT_ERR_PARSE, "bool");
    header(&b, 3, 0, 1);
    str(&b, "k"); u32(&b, GGUF_ARRAY); u32(&b, 77); u64(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "unknown type");
    header(&b, 3, 0, 2);
    str(&b, "k"); u32(&b, GGUF_UINT8); u8(&b, 1);
    str(&b, "k"); u32(&b, GGUF_UINT8); u8(&b, 1);
    expect_refused(&b, TT_ERR_PARSE, "duplicate metadata key 'k'");
    header(&b, 3, 0, 1);
    str(&b, "bad\x01key"); u32(&b, GGUF_UINT8); u8(&b, 1);
    expect_refused(&b, TT_ERR_PARSE, "key");
    /* arrays nested 20 deep */
    header(&b, 3, 0, 1);
    str(&b, "deep"); u32(&b, GGUF_ARRAY);
    for (int i = 0; i < 20; i++) { u32(&b, GGUF_ARRAY); u64(&b, 1); }
    u32(&b, GGUF_UINT8); u64(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "nests");
}

static void test_gguf_refuses_bad_alignment(void **state)
{
    (void)state;
    uint32_t bad[3] = {0, 12, 24};
    for (int i = 0; i < 3; i++) {
        tt_buf b;
        header(&b, 3, 0, 1);
        str(&b, "general.alignment"); u32(&b, GGUF_UINT32); u32(&b, bad[i]);
        expect_refused(&b, TT_ERR_PARSE, "alignment");
    }
    tt_buf b;
    header(&b, 3, 0, 1);
    str(&b, "general.alignment"); u32(&b, GGUF_UINT64); u64(&b, 32);
    expect_refused(&b, TT_ERR_PARSE, "not uint32");
}

static void test_gguf_refuses_bad_tensor_infos(void **state)
{
    (void)state;
    tt_buf b;
    uint64_t d8[1] = {8};
    /* good baseline */
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 1, d8, 0, 32);
    gguf_file *f;
    char err[TT_ERR_SIZE];
    assert_int_equal(parse(&b, &f, err), TT_OK);
    gguf_close(f);
    tt_buf_free(&b);

    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 1, d8, 16, 64);             /* 16 is not a multiple of 32 */
    expect_refused(&b, TT_ERR_PARSE, "not a multiple of the alignment");
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 1, d8, 32, 32);             /* data ends at 32, tensor needs 64 */
    expect_refused(&b, TT_ERR_PARSE, "past the end");
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 1, d8, 0, 31);              /* one byte short */
    expect_refused(&b, TT_ERR_PARSE, "past the end");
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 1, d8, 0xFFFFFFFFFFFFFFE0ULL, 32);
    expect_refused(&b, TT_ERR_PARSE, "past the end");
    header(&b, 3, 1, 0);
    one_tensor(&b, 12, 1, d8, 0, 32);                         /* q4_k */
    expect_refused(&b, TT_ERR_UNSUPPORTED, "q4_k");
    header(&b, 3, 1, 0);
    one_tensor(&b, 4, 1, d8, 0, 32);                          /* removed type id */
    expect_refused(&b, TT_ERR_UNSUPPORTED, "type 4");
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_Q8_0, 1, d8, 0, 32);              /* 8 is not a multiple of 32 */
    expect_refused(&b, TT_ERR_PARSE, "block size");
    uint64_t d5[5] = {1, 1, 1, 1, 8};
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 5, d5, 0, 32);
    expect_refused(&b, TT_ERR_PARSE, "5 dimensions");
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 0, d5, 0, 32);
    expect_refused(&b, TT_ERR_PARSE, "0 dimensions");
    uint64_t dz[2] = {8, 0};
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 2, dz, 0, 32);
    expect_refused(&b, TT_ERR_PARSE, "dimension 1");
    uint64_t dbig[3] = {1ULL << 32, 1ULL << 32, 1ULL << 32};
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 3, dbig, 0, 32);            /* element count overflows */
    expect_refused(&b, TT_ERR_PARSE, "overflowing");
    uint64_t dbytes[2] = {1ULL << 31, 1ULL << 31};            /* 2^62 elements * 4 bytes overflows */
    header(&b, 3, 1, 0);
    one_tensor(&b, GLM_TYPE_F32, 2, dbytes, 0, 32);
    expect_refused(&b, TT_ERR_PARSE, "overflows");
    /* a name over 64 bytes */
    header(&b, 3, 1, 0);
    char longname[80];
    memset(longname, 'a', 79);
    longname[79] = 0;
    str(&b, longname); u32(&b, 1); u64(&b, 8); u32(&b, 0); u64(&b, 0);
    pad(&b, 32);
    for (int i = 0; i < 32; i++) u8(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "name");
    /* duplicate tensors */
    header(&b, 3, 2, 0);
    str(&b, "t"); u32(&b, 1); u64(&b, 8); u32(&b, 0); u64(&b, 0);
    str(&b, "t"); u32(&b, 1); u64(&b, 8); u32(&b, 0); u64(&b, 32);
    pad(&b, 32);
    for (int i = 0; i < 64; i++) u8(&b, 0);
    expect_refused(&b, TT_ERR_PARSE, "duplicate tensor 't'");
}

static void test_gguf_open_missing_file(void **state)
{
    (void)state;
    gguf_file *f;
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_open("/nonexistent/file.gguf", &f, err), TT_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/file.gguf"));
    assert_int_equal(gguf_open("/tmp", &f, err), TT_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gguf_parse_every_value_type),
        cmocka_unit_test(test_gguf_parse_refuses_every_truncation),
        cmocka_unit_test(test_gguf_writer_round_trip),
        cmocka_unit_test(test_gguf_refuses_bad_magic_and_versions),
        cmocka_unit_test(test_gguf_refuses_absurd_counts),
        cmocka_unit_test(test_gguf_refuses_strings_past_end),
        cmocka_unit_test(test_gguf_refuses_bad_values),
        cmocka_unit_test(test_gguf_refuses_bad_alignment),
        cmocka_unit_test(test_gguf_refuses_bad_tensor_infos),
        cmocka_unit_test(test_gguf_open_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
