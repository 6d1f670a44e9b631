/*
 * test_dataset.c — harness/dataset.c: CSV (RFC 4180 quoting, CRLF, BOM,
 * embedded newlines), JSONL, JSON arrays, gzip, zip members, and file-entry
 * resolution (data folder, task folder, globs, file:// downloads into the
 * cache with sha256 checks). Every parser error must name file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "harness/dataset.h"
#include "harness/dataset_formats.h"
#include "core/util.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tt_dataset_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *write_tmp(const char *rel, const void *data, size_t len)
{
    char *p = tt_path_join(tmpdir, rel);
    char *d = tt_dirname(p);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_mkdir_p(d, err), TT_OK);
    free(d);
    assert_int_equal(tt_write_file(p, data, len, err), TT_OK);
    return p;
}

static const char *field(json_t *docs, size_t i, const char *k)
{
    json_t *v = json_object_get(json_array_get(docs, i), k);
    assert_non_null(v);
    return json_string_value(v);
}

static void test_dataset_parse_csv_quoting(void **state)
{
    (void)state;
    const char *csv =
        "\xEF\xBB\xBFq,\"choice, one\",answer\r\n"
        "\"He said \"\"hi\"\"\",\"a,b\",0\r\n"
        "\r\n"
        "\"line1\nline2\",,\"3\"\n"
        "中文,\"\",x";              /* no final newline */
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    int rc = dataset_parse_csv(csv, strlen(csv), "t.csv", docs, err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(json_array_size(docs), 3);
    assert_string_equal(field(docs, 0, "q"), "He said \"hi\"");
    assert_string_equal(field(docs, 0, "choice, one"), "a,b");
    assert_string_equal(field(docs, 0, "answer"), "0");
    assert_string_equal(field(docs, 1, "q"), "line1\nline2");
    assert_string_equal(field(docs, 1, "choice, one"), "");
    assert_string_equal(field(docs, 2, "q"), "中文");
    assert_string_equal(field(docs, 2, "answer"), "x");
    json_decref(docs);
}

static void test_dataset_parse_csv_empty_header_name(void **state)
{
    (void)state;
    /* CMMLU's header starts with an unnamed index column */
    const char *csv = ",Question,Answer\n0,q0,B\n1,q1,C\n";
    json_t *docs = json_array();
    char err[TT_ERR_SIZE];
    assert_int_equal(dataset_parse_csv(csv, strlen(csv), "c.csv", docs, err), TT_OK);
    assert_int_equal(json_array_size(docs), 2);
    assert_string_equal(field(docs, 1, ""), "1");
    assert_string_equal(field(docs, 1, "Answer"), "C");
    json_decref(docs);
}

static void expect_csv_error(const char *csv, const char *want)
{
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(dataset_parse_csv(csv, strlen(csv), "bad.csv", docs, err), TT_ERR_PARSE);
    if (!strstr(err, want)) fail_msg("'%s' lacks '%s'", err, want);
    json_decref(docs);
}

static void test_dataset_parse_csv_errors_name_line(void **state)
{
    (void)state;
    expect_csv_error("a,b,c\n1,2,3\n4,5\n", "bad.csv:3: expected 3 fields, found 2");
    /* a record spanning lines 2-3; the error is on line 4 where the next starts */
    expect_csv_error("a,b\n\"x\ny\",1\n\"open,2\n", "bad.csv:4: unterminated quoted field");
    expect_csv_error("a,b\n\"x\"y,1\n", "bad.csv:2: unexpected character after a closing quote");
    expect_csv_error("a,b\n1,\xff\xfe\n", "bad.csv:2: field 2 is not valid UTF-8");
    expect_csv_error("a,a\n1,2\n", "bad.csv:1: duplicate column 'a'");
    expect_csv_error("", "bad.csv: no header row");
}

/* The sentence-pair readers of embedding tasks (dataset_formats.h), on
 * records shaped as each SOURCE.md of ../shared/datasets describes. */
static void test_dataset_sentence_pair_formats(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    json_t *d = json_array();
    /* stsb: no quoting ('"' is text), license fields dropped, blank lines skipped */
    const char stsb[] = "main-captions\tMSRvid\t2012test\t0024\t2.500\tA girl is styling her hair.\tA girl \"brushes\" hair.\n\n"
                        "main-forums\tanswers-forums\t2015\t0001\t4.0\ta\tb\thttp://x\tauthor\n";
    assert_int_equal(dataset_format_parse("stsb", stsb, strlen(stsb), "sts.csv", d, err), TT_OK);
    assert_int_equal(json_array_size(d), 2);
    json_t *r = json_array_get(d, 0);
    assert_true(json_real_value(json_object_get(r, "score")) == 2.5);
    assert_string_equal(json_string_value(json_object_get(r, "sentence2")), "A girl \"brushes\" hair.");
    assert_string_equal(json_string_value(json_object_get(r, "id")), "0024");
    assert_null(json_object_get(json_array_get(d, 1), "license"));
    json_array_clear(d);
    const char short_line[] = "g\tf\ty\t1\t2.0\tonly one\n";
    assert_int_equal(dataset_format_parse("stsb", short_line, strlen(short_line), "sts.csv", d, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "sts.csv:1: 6 tab-separated fields, 7 expected"));
    /* sts_tsv: three fields, the score a number */
    const char tsv[] = "一个女孩在梳头。\t女孩梳头。\t2\r\nx\ty\tfive\n";
    assert_int_equal(dataset_format_parse("sts_tsv", tsv, strlen(tsv), "STS-B.test.data", d, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "STS-B.test.data:2: the score 'five' is not a number"));
    json_array_clear(d);
    assert_int_equal(dataset_format_parse("sts_tsv", tsv, strlen("一个女孩在梳头。\t女孩梳头。\t2\r\n"), "t", d, err), TT_OK);
    assert_true(json_real_value(json_object_get(json_array_get(d, 0), "score")) == 2.0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "sentence2")), "女孩梳头。");
    json_array_clear(d);
    /* sts_csv: RFC 4180 quoting */
    const char csv[] = "一个女孩正在梳头。,\"他说 \"\"好\"\", 然后走了\",2.5\n\"a\nb\",c,0\n";
    assert_int_equal(dataset_format_parse("sts_csv", csv, strlen(csv), "zh.csv", d, err), TT_OK);
    assert_int_equal(json_array_size(d), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "sentence2")), "他说 \"好\", 然后走了");
    assert_true(json_real_value(json_object_get(json_array_get(d, 0), "score")) == 2.5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 1), "sentence1")), "a\nb");
    json_array_clear(d);
    const char csv2[] = "only,two\n";
    assert_int_equal(dataset_format_parse("sts_csv", csv2, strlen(csv2), "zh.csv", d, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "zh.csv:1: 2 fields, 3 expected"));
    /* tsv: a header row, CRLF */
    const char sick[] = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\r\n6\tA boy\tA kid\t3.3\r\n";
    assert_int_equal(dataset_format_parse("tsv", sick, strlen(sick), "SICK.txt", d, err), TT_OK);
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "relatedness_score")), "3.3");
    json_decref(d);
}

static void test_dataset_parse_jsonl_and_errors(void **state)
{
    (void)state;
    const char *ok = "{\"a\": 1}\r\n\n   \n{\"a\": [2, 3]}\n";
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(dataset_parse_jsonl(ok, strlen(ok), "x.jsonl", docs, err), TT_OK);
    assert_int_equal(json_array_size(docs), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(docs, 0), "a")), 1);
    json_array_clear(docs);
    const char *bad = "{\"a\": 1}\n{\"a\": }\n";
    assert_int_equal(dataset_parse_jsonl(bad, strlen(bad), "x.jsonl", docs, err), TT_ERR_PARSE);
    if (!strstr(err, "x.jsonl:2:")) fail_msg("%s", err);
    const char *notobj = "{}\n{}\n[1]\n";
    assert_int_equal(dataset_parse_jsonl(notobj, strlen(notobj), "y.jsonl", docs, err), TT_ERR_PARSE);
    assert_string_equal(err, "y.jsonl:3: record is not a JSON object");
    json_decref(docs);
}

static void test_dataset_parse_json_array_errors_name_record(void **state)
{
    (void)state;
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    const char *ok = "[{\"q\": \"a\"}, {\"q\": \"b\"}]";
    assert_int_equal(dataset_parse_json(ok, strlen(ok), "m.json", docs, err), TT_OK);
    assert_int_equal(json_array_size(docs), 2);
    const char *bad = "[{\"q\": 1},\n {\"q\": 2},\n 7]";
    assert_int_equal(dataset_parse_json(bad, strlen(bad), "m.json", docs, err), TT_ERR_PARSE);
    assert_string_equal(err, "m.json: record 2: not a JSON object");
    const char *syntax = "[{\"q\": 1},\n {\"q\" 2}]";
    assert_int_equal(dataset_parse_json(syntax, strlen(syntax), "m.json", docs, err), TT_ERR_PARSE);
    if (!strstr(err, "m.json:2:")) fail_msg("%s", err);
    const char *obj = "{\"q\": 1}";
    assert_int_equal(dataset_parse_json(obj, strlen(obj), "m.json", docs, err), TT_ERR_PARSE);
    json_decref(docs);
}

static void test_dataset_load_file_gzip_jsonl(void **state)
{
    (void)state;
    char *p = tt_path_join(tmpdir, "h.jsonl.gz");
    gzFile g = gzopen(p, "wb");
    assert_non_null(g);
    const char *text = "{\"task_id\": \"H/0\"}\n{\"task_id\": \"H/1\"}\n{\"task_id\": \"H/2\"}\n";
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    gzclose(g);
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "", hex[65];
    assert_int_equal(dataset_load_file(p, NULL, docs, hex, err), TT_OK);
    assert_int_equal(json_array_size(docs), 3);
    assert_string_equal(field(docs, 2, "task_id"), "H/2");
    /* the hash is of the compressed bytes on disk */
    char *raw;
    size_t rl;
    assert_int_equal(tt_read_file(p, &raw, &rl, err), TT_OK);
    char want[65];
    tt_sha256_hex(raw, rl, want);
    assert_string_equal(hex, want);
    free(raw);
    /* a broken line inside the gzip names the file and the line */
    g = gzopen(p, "wb");
    gzputs(g, "{\"a\": 1}\n{oops}\n");
    gzclose(g);
    json_array_clear(docs);
    assert_int_equal(dataset_load_file(p, NULL, docs, NULL, err), TT_ERR_PARSE);
    if (!strstr(err, "h.jsonl.gz:2:")) fail_msg("%s", err);
    json_decref(docs);
    free(p);
}

/* Writes a zip with one stored and one deflated member. */
static char *make_zip(const char *name, const char *m1, const char *d1, const char *m2, const char *d2)
{
    tt_buf z;
    tt_buf_init(&z);
    tt_buf cd;
    tt_buf_init(&cd);
    const char *names[2] = { m1, m2 }, *datas[2] = { d1, d2 };
    for (int i = 0; i < 2; i++) {
        size_t ul = strlen(datas[i]);
        unsigned char comp[4096];
        size_t cl = ul;
        const unsigned char *payload = (const unsigned char *)datas[i];
        int method = i == 0 ? 0 : 8;
        if (method == 8) {
            z_stream s;
            memset(&s, 0, sizeof s);
            assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
            s.next_in = (Bytef *)datas[i];
            s.avail_in = (uInt)ul;
            s.next_out = comp;
            s.avail_out = sizeof comp;
            assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
            cl = s.total_out;
            deflateEnd(&s);
            payload = comp;
        }
        uint32_t crc = (uint32_t)crc32(0, (const Bytef *)datas[i], (uInt)ul);
        size_t off = z.len, nl = strlen(names[i]);
        unsigned char h[46];
        memset(h, 0, sizeof h);
        h[0] = 0x50, h[1] = 0x4b, h[2] = 3, h[3] = 4;
        h[8] = (unsigned char)method;
        for (int k = 0; k < 4; k++) {
            h[14 + k] = (unsigned char)(crc >> (8 * k));
            h[18 + k] = (unsigned char)(cl >> (8 * k));
            h[22 + k] = (unsigned char)(ul >> (8 * k));
        }
        h[26] = (unsigned char)nl;
        tt_buf_append(&z, (char *)h, 30);
        tt_buf_append(&z, names[i], nl);
        tt_buf_append(&z, (const char *)payload, cl);
        unsigned char c[46];
        memset(c, 0, sizeof c);
        c[0] = 0x50, c[1] = 0x4b, c[2] = 1, c[3] = 2;
        c[10] = (unsigned char)method;
        for (int k = 0; k < 4; k++) {
            c[16 + k] = (unsigned char)(crc >> (8 * k));
            c[20 + k] = (unsigned char)(cl >> (8 * k));
            c[24 + k] = (unsigned char)(ul >> (8 * k));
            c[42 + k] = (unsigned char)(off >> (8 * k));
        }
        c[28] = (unsigned char)nl;
        tt_buf_append(&cd, (char *)c, 46);
        tt_buf_append(&cd, names[i], nl);
    }
    size_t cdoff = z.len;
    tt_buf_append(&z, cd.data, cd.len);
    unsigned char e[22];
    memset(e, 0, sizeof e);
    e[0] = 0x50, e[1] = 0x4b, e[2] = 5, e[3] = 6;
    e[8] = e[10] = 2;
    for (int k = 0; k < 4; k++) {
        e[12 + k] = (unsigned char)(cd.len >> (8 * k));
        e[16 + k] = (unsigned char)(cdoff >> (8 * k));
    }
    tt_buf_append(&z, (char *)e, 22);
    char *p = write_tmp(name, z.data, z.len);
    tt_buf_free(&z);
    tt_buf_free(&cd);
    return p;
}

static void test_dataset_zip_member_stored_and_deflated(void **state)
{
    (void)state;
    char *zp = make_zip("a.zip", "val/x_val.csv", "id,q\n0,stored\n", "dev/x_dev.csv",
                        "id,q\n0,deflated deflated deflated deflated\n");
    char err[TT_ERR_SIZE] = "", *out;
    size_t len;
    assert_int_equal(dataset_zip_member(zp, "val/x_val.csv", &out, &len, err), TT_OK);
    assert_string_equal(out, "id,q\n0,stored\n");
    free(out);
    assert_int_equal(dataset_zip_member(zp, "dev/x_dev.csv", &out, &len, err), TT_OK);
    assert_string_equal(out, "id,q\n0,deflated deflated deflated deflated\n");
    free(out);
    assert_int_equal(dataset_zip_member(zp, "test/x.csv", &out, &len, err), TT_ERR_NOTFOUND);
    char *notzip = write_tmp("nz.zip", "hello", 5);
    assert_int_equal(dataset_zip_member(notzip, "a", &out, &len, err), TT_ERR_PARSE);
    free(notzip);
    /* damaged archives fail cleanly: flip random bytes */
    char *raw;
    size_t rl;
    assert_int_equal(tt_read_file(zp, &raw, &rl, err), TT_OK);
    tt_rng r;
    tt_rng_seed(&r, 3);
    for (int i = 0; i < 400; i++) {
        char *copy = tt_malloc(rl);
        memcpy(copy, raw, rl);
        for (int k = 0; k < 3; k++) copy[tt_rng_below(&r, rl)] = (char)tt_rng_below(&r, 256);
        char *bad = write_tmp("bad.zip", copy, rl);
        out = NULL;
        int rc = dataset_zip_member(bad, "dev/x_dev.csv", &out, &len, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE || rc == TT_ERR_NOTFOUND || rc == TT_ERR_UNSUPPORTED);
        free(out);
        free(bad);
        free(copy);
    }
    free(raw);
    free(zp);
}

static json_t *entry_obj(const char *path, const char *sha, const char *url)
{
    json_t *e = json_object();
    if (path) json_object_set_new(e, "path", json_string(path));
    if (sha) json_object_set_new(e, "sha256", json_string(sha));
    if (url) json_object_set_new(e, "url", json_string(url));
    return e;
}

static void test_dataset_load_entry_search_order_and_sha(void **state)
{
    (void)state;
    const char *a = "q\nfrom-data-dir\n", *b = "q\nfrom-task-dir\n";
    free(write_tmp("data/bench/x.csv", a, strlen(a)));
    free(write_tmp("taskdir/bench/x.csv", b, strlen(b)));
    char sha_a[65];
    tt_sha256_hex(a, strlen(a), sha_a);
    char *dd = tt_path_join(tmpdir, "data"), *td = tt_path_join(tmpdir, "taskdir"),
         *cd = tt_path_join(tmpdir, "cache");
    dataset_options o = { .data_dir = dd, .cache_dir = cd, .base_dir = td, .offline = 1 };
    json_t *docs = json_array(), *hashes = json_array();
    char err[TT_ERR_SIZE] = "";
    json_t *e = entry_obj("bench/x.csv", sha_a, NULL);
    assert_int_equal(dataset_load_entry(e, &o, docs, hashes, err), TT_OK);
    assert_string_equal(field(docs, 0, "q"), "from-data-dir");
    assert_string_equal(json_string_value(json_array_get(hashes, 0)), sha_a);
    json_decref(e);
    /* without a data folder the task folder is used; the same sha now mismatches */
    o.data_dir = NULL;
    e = entry_obj("bench/x.csv", sha_a, NULL);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_IO);
    if (!strstr(err, "sha256 mismatch") || !strstr(err, "taskdir/bench/x.csv")) fail_msg("%s", err);
    json_decref(e);
    /* plain string entry, no hash */
    json_array_clear(docs);
    json_t *s = json_string("bench/x.csv");
    assert_int_equal(dataset_load_entry(s, &o, docs, NULL, err), TT_OK);
    assert_string_equal(field(docs, 0, "q"), "from-task-dir");
    json_decref(s);
    /* missing file, offline */
    e = entry_obj("bench/none.csv", NULL, NULL);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_NOTFOUND);
    if (!strstr(err, "bench/none.csv")) fail_msg("%s", err);
    json_decref(e);
    /* paths may not climb out */
    e = entry_obj("../x.csv", NULL, NULL);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_PARSE);
    json_decref(e);
    e = json_pack("{s:s, s:i}", "path", "a.csv", "sha256", 3);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_PARSE);
    json_decref(e);
    json_decref(docs);
    json_decref(hashes);
    free(dd);
    free(td);
    free(cd);
}

/* "align": two files joined row by row (STS-B and its translation). */
static void test_dataset_load_entry_align(void **state)
{
    (void)state;
    free(write_tmp("al/en.csv", "s1,s2\nA cat.,A dog.\nRain.,Sun.\n", 31));
    free(write_tmp("al/zh.csv", "s1,s2\n猫。,狗。\n雨。,太阳。\n", 37));
    free(write_tmp("al/short.csv", "s1,s2\n猫。,狗。\n", 20));
    dataset_options o = { .base_dir = tmpdir, .offline = 1 };
    json_t *docs = json_array(), *hashes = json_array();
    char err[TT_ERR_SIZE] = "";
    json_t *e = json_pack("{s:s, s:{s:s, s:s}}", "path", "al/en.csv", "align", "entry", "al/zh.csv", "prefix", "zh_");
    assert_int_equal(dataset_load_entry(e, &o, docs, hashes, err), TT_OK);
    assert_int_equal(json_array_size(docs), 2);
    assert_string_equal(field(docs, 1, "s1"), "Rain.");
    assert_string_equal(field(docs, 1, "zh_s2"), "太阳。");
    assert_int_equal(json_array_size(hashes), 2);   /* both files are part of the task's identity */
    json_decref(e);
    e = json_pack("{s:s, s:{s:s, s:s}}", "path", "al/en.csv", "align", "entry", "al/short.csv", "prefix", "zh_");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "joins 2 records to 1"));
    json_decref(e);
    e = json_pack("{s:s, s:{s:s}}", "path", "al/en.csv", "align", "entry", "al/zh.csv");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "'align' must be"));
    json_decref(e);
    json_decref(docs);
    json_decref(hashes);
}

static void test_dataset_load_entry_glob_sorted(void **state)
{
    (void)state;
    free(write_tmp("g/b_test.csv", "q\nb\n", 4));
    free(write_tmp("g/a_test.csv", "q\na1\na2\n", 8));
    free(write_tmp("g/c_dev.csv", "q\nc\n", 4));
    dataset_options o = { .base_dir = tmpdir, .offline = 1 };
    json_t *docs = json_array(), *hashes = json_array();
    char err[TT_ERR_SIZE] = "";
    json_t *e = json_string("g/*_test.csv");
    assert_int_equal(dataset_load_entry(e, &o, docs, hashes, err), TT_OK);
    assert_int_equal(json_array_size(docs), 3);
    assert_string_equal(field(docs, 0, "q"), "a1");
    assert_string_equal(field(docs, 2, "q"), "b");
    assert_int_equal(json_array_size(hashes), 2);
    json_decref(e);
    e = json_string("g/*_val.csv");
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_NOTFOUND);
    json_decref(e);
    json_decref(docs);
    json_decref(hashes);
}

static void test_dataset_load_entry_file_url_downloads_and_checks(void **state)
{
    (void)state;
    const char *text = "{\"q\": \"remote\"}\n";
    char *src = write_tmp("remote/src.jsonl", text, strlen(text));
    char sha[65];
    tt_sha256_hex(text, strlen(text), sha);
    char *url = tt_asprintf("file://%s", src);
    char *cd = tt_path_join(tmpdir, "cache2");
    dataset_options o = { .cache_dir = cd, .base_dir = "/nonexistent" };
    json_t *docs = json_array();
    char err[TT_ERR_SIZE] = "";
    /* a wrong sha256 is refused and leaves nothing in the cache */
    json_t *e = entry_obj("bench/r.jsonl", "0000000000000000000000000000000000000000000000000000000000000000", url);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_IO);
    if (!strstr(err, "sha256 mismatch")) fail_msg("%s", err);
    char *cached = tt_asprintf("%s/data/bench/r.jsonl", cd);
    assert_false(tt_file_exists(cached));
    json_decref(e);
    e = entry_obj("bench/r.jsonl", sha, url);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_OK);
    assert_string_equal(field(docs, 0, "q"), "remote");
    assert_true(tt_file_exists(cached));
    /* second time: from the cache, even offline with the source gone */
    unlink(src);
    o.offline = 1;
    json_array_clear(docs);
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_OK);
    assert_int_equal(json_array_size(docs), 1);
    json_decref(e);
    /* a missing URL fails with the URL in the message */
    e = entry_obj("bench/other.jsonl", NULL, url);
    o.offline = 0;
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_IO);
    if (!strstr(err, "cannot fetch")) fail_msg("%s", err);
    json_decref(e);
    json_decref(docs);
    free(cached);
    free(cd);
    free(url);
    free(src);
}

static void test_dataset_load_entry_zip_member_via_url(void **state)
{
    (void)state;
    const char *csv = "id,q\n0,zipped\n1,again\n";
    char *zp = make_zip("z/arch.zip", "val/s_val.csv", csv, "dev/s_dev.csv", "id,q\n0,d\n");
    char *raw;
    size_t rl;
    char err[TT_ERR_SIZE] = "";
    assert_int_equal(tt_read_file(zp, &raw, &rl, err), TT_OK);
    char zsha[65], csha[65];
    tt_sha256_hex(raw, rl, zsha);
    free(raw);
    tt_sha256_hex(csv, strlen(csv), csha);
    char *url = tt_asprintf("file://%s", zp);
    char *cd = tt_path_join(tmpdir, "cache3");
    dataset_options o = { .cache_dir = cd, .base_dir = "/nonexistent" };
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s}", "path", "ceval/val/s_val.csv", "sha256", csha,
                          "url", url, "member", "val/s_val.csv", "url_sha256", zsha);
    json_t *docs = json_array();
    int rc = dataset_load_entry(e, &o, docs, NULL, err);
    if (rc) fail_msg("%s", err);
    assert_int_equal(json_array_size(docs), 2);
    assert_string_equal(field(docs, 1, "q"), "again");
    json_decref(e);
    e = json_pack("{s:s, s:s, s:s, s:s}", "path", "ceval/dev/s_dev.csv", "url", url, "member",
                  "val/s_val.csv", "sha256", zsha); /* the member's hash is not the archive's */
    assert_int_equal(dataset_load_entry(e, &o, docs, NULL, err), TT_ERR_IO);
    if (!strstr(err, "sha256 mismatch")) fail_msg("%s", err);
    json_decref(e);
    json_decref(docs);
    free(cd);
    free(url);
    free(zp);
}

/* Hostile input: random bytes drawn from CSV/JSON punctuation must parse or
 * fail cleanly, never crash (sanitizer build). */
static void test_dataset_parse_random_input_never_crashes(void **state)
{
    (void)state;
    static const char alphabet[] = ",\"\r\n{}[]:a1 \xef\xbb\xbf\xff";
    tt_rng r;
    tt_rng_seed(&r, 7);
    for (int i = 0; i < 3000; i++) {
        char buf[96];
        size_t n = (size_t)tt_rng_below(&r, sizeof buf);
        for (size_t k = 0; k < n; k++) buf[k] = alphabet[tt_rng_below(&r, sizeof alphabet - 1)];
        json_t *docs = json_array();
        char err[TT_ERR_SIZE];
        int rc = dataset_parse_csv(buf, n, "f.csv", docs, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE);
        rc = dataset_parse_jsonl(buf, n, "f.jsonl", docs, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE);
        rc = dataset_parse_json(buf, n, "f.json", docs, err);
        assert_true(rc == TT_OK || rc == TT_ERR_PARSE);
        json_decref(docs);
    }
}

/* A data path naming /dev/zero or a FIFO is refused at once (the hash read
 * used to read /dev/zero until memory ran out, and wait on a FIFO forever);
 * an empty file is an error, not zero documents. */
static void test_dataset_refuses_devices_fifos_and_empty_files(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    char sha[65];
    json_t *docs = json_array();
    double t0 = tt_now_s();
    assert_int_equal(dataset_load_file("/dev/zero", NULL, docs, sha, err), TT_ERR_IO);
    assert_non_null(strstr(err, "character device"));
    assert_int_equal(dataset_load_file("/dev/zero", NULL, docs, NULL, err), TT_ERR_IO);
    char dir[] = "/tmp/tianti-ds-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fifo = tt_asprintf("%s/data.jsonl", dir), *empty = tt_asprintf("%s/empty.jsonl", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(dataset_load_file(fifo, NULL, docs, sha, err), TT_ERR_IO);
    assert_non_null(strstr(err, "FIFO"));
    assert_int_equal(dataset_load_file(fifo, NULL, docs, NULL, err), TT_ERR_IO);
    assert_true(tt_now_s() - t0 < 2.0);
    assert_int_equal(tt_write_file(empty, "", 0, err), TT_OK);
    assert_int_equal(dataset_load_file(empty, NULL, docs, sha, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "holds no records"));
    assert_int_equal(json_array_size(docs), 0);
    unlink(fifo);
    unlink(empty);
    rmdir(dir);
    free(fifo);
    free(empty);
    json_decref(docs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dataset_parse_csv_quoting),
        cmocka_unit_test(test_dataset_parse_csv_empty_header_name),
        cmocka_unit_test(test_dataset_parse_csv_errors_name_line),
        cmocka_unit_test(test_dataset_parse_jsonl_and_errors),
        cmocka_unit_test(test_dataset_sentence_pair_formats),
        cmocka_unit_test(test_dataset_parse_json_array_errors_name_record),
        cmocka_unit_test(test_dataset_load_file_gzip_jsonl),
        cmocka_unit_test(test_dataset_zip_member_stored_and_deflated),
        cmocka_unit_test(test_dataset_load_entry_search_order_and_sha),
        cmocka_unit_test(test_dataset_load_entry_glob_sorted),
        cmocka_unit_test(test_dataset_load_entry_align),
        cmocka_unit_test(test_dataset_load_entry_file_url_downloads_and_checks),
        cmocka_unit_test(test_dataset_load_entry_zip_member_via_url),
        cmocka_unit_test(test_dataset_parse_random_input_never_crashes),
        cmocka_unit_test(test_dataset_refuses_devices_fifos_and_empty_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
