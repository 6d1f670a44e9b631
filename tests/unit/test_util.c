/*
 * test_util.c — util.c: SHA-256 against the FIPS 180-4 example vectors,
 * the string buffer, paths, the seeded RNG's determinism and range, and
 * UTF-8 code point counting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>
#include "core/util.h"

static void test_sha256_hex_known_vectors(void **state)
{
    (void)state;
    char hex[65];
    tt_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    tt_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  /* 56 bytes: two blocks */
    tt_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    tt_sha256_hex(million, 1000000, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static void test_buf_printf_grows(void **state)
{
    (void)state;
    tt_buf b;
    tt_buf_init(&b);
    assert_string_equal(tt_buf_str(&b), "");
    for (int i = 0; i < 1000; i++) tt_buf_printf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 2000);
    assert_int_equal(b.data[1998], '9');
    char *d = tt_buf_detach(&b);
    assert_null(b.data);
    free(d);
}

static void test_path_join_and_dirname(void **state)
{
    (void)state;
    char *p = tt_path_join("tasks/demo", "a.jsonl");
    assert_string_equal(p, "tasks/demo/a.jsonl");
    free(p);
    p = tt_path_join("tasks/", "/abs/a.jsonl");
    assert_string_equal(p, "/abs/a.jsonl");
    free(p);
    p = tt_dirname("tasks/demo/x.json");
    assert_string_equal(p, "tasks/demo");
    free(p);
    p = tt_dirname("x.json");
    assert_string_equal(p, ".");
    free(p);
}

static void test_rng_deterministic_and_in_range(void **state)
{
    (void)state;
    tt_rng a, b;
    tt_rng_seed(&a, 1234);
    tt_rng_seed(&b, 1234);
    for (int i = 0; i < 100; i++) assert_true(tt_rng_next(&a) == tt_rng_next(&b));
    int hist[7] = {0};
    for (int i = 0; i < 70000; i++) hist[tt_rng_below(&a, 7)]++;
    for (int i = 0; i < 7; i++) assert_in_range(hist[i], 9000, 11000);
    for (int i = 0; i < 1000; i++) {
        double u = tt_rng_uniform(&a);
        assert_true(u >= 0 && u < 1);
    }
}

/* Files that never end or never begin are refused at once; a cap holds. */
static void test_read_file_regular_and_capped(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    char *out = NULL;
    size_t len = 0;
    double t0 = tt_now_s();
    assert_int_equal(tt_read_file("/dev/zero", &out, &len, err), TT_ERR_IO);
    assert_non_null(strstr(err, "'/dev/zero' is a character device, not a regular file"));
    assert_null(out);
    char dir[] = "/tmp/tianti-util-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fifo = tt_asprintf("%s/fifo", dir), *file = tt_asprintf("%s/f.txt", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(tt_read_file(fifo, &out, &len, err), TT_ERR_IO);   /* no writer: would hang */
    assert_non_null(strstr(err, "is a FIFO"));
    assert_int_equal(tt_read_file(dir, &out, &len, err), TT_ERR_IO);
    assert_non_null(strstr(err, "is a directory"));
    assert_true(tt_now_s() - t0 < 2.0);
    assert_int_equal(tt_write_file(file, "0123456789", 10, err), TT_OK);
    assert_int_equal(tt_read_file_max(file, 9, &out, &len, err), TT_ERR_IO);
    assert_non_null(strstr(err, "over the limit of 9 bytes"));
    assert_int_equal(tt_read_file_max(file, 10, &out, &len, err), TT_OK);
    assert_int_equal(len, 10);
    assert_string_equal(out, "0123456789");
    free(out);
    unlink(fifo);
    unlink(file);
    rmdir(dir);
    free(fifo);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_hex_known_vectors),
        cmocka_unit_test(test_buf_printf_grows),
        cmocka_unit_test(test_path_join_and_dirname),
        cmocka_unit_test(test_rng_deterministic_and_in_range),
        cmocka_unit_test(test_read_file_regular_and_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
