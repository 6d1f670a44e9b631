/*
 * test_proc.c — core/proc: VmRSS and VmHWM of this process (by pid 0 and by
 * its own pid), how they move when memory is touched and given back, a
 * child's memory read by its pid, and -1 for a process that does not exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/proc.h"

#define MIB ((int64_t)1 << 20)

static void test_proc_own_rss_follows_touched_memory(void **state)
{
    (void)state;
    int64_t before = tt_proc_rss_bytes(0);
    assert_true(before > 0);
    assert_true(tt_proc_peak_rss_bytes(0) >= before - 4 * MIB);
    /* the same process by its pid */
    int64_t by_pid = tt_proc_rss_bytes(getpid());
    assert_true(by_pid > 0);
    assert_true(by_pid > before - 16 * MIB && by_pid < before + 16 * MIB);

    size_t n = (size_t)(64 * MIB);
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    memset(p, 1, n);   /* resident only once touched */
    int64_t during = tt_proc_rss_bytes(0);
    assert_true(during >= before + 48 * MIB);
    int64_t peak = tt_proc_peak_rss_bytes(0);
    assert_true(peak >= during);
    munmap(p, n);
    int64_t after = tt_proc_rss_bytes(0);
    assert_true(after < during - 48 * MIB);
    /* the high-water mark stays (give or take the kernel's per-CPU counter
     * slack: recent kernels fold those in lazily) */
    assert_true(tt_proc_peak_rss_bytes(0) >= peak - 4 * MIB);
}

static void test_proc_child_by_pid(void **state)
{
    (void)state;
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        size_t n = (size_t)(96 * MIB);
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) _exit(2);
        memset(p, 1, n);
        if (write(ready[1], "a", 1) != 1) _exit(3);
        char c;
        if (read(go[0], &c, 1) < 0) _exit(4);
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c = 0;
    assert_int_equal(read(ready[0], &c, 1), 1);
    int64_t rss = tt_proc_rss_bytes(pid);
    assert_true(rss >= 96 * MIB);
    assert_true(tt_proc_peak_rss_bytes(pid) >= rss);
    close(go[1]);   /* the child exits */
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ready[0]);
    assert_int_equal(tt_proc_rss_bytes(pid), -1);   /* reaped: gone */
}

static void test_proc_unknown_process(void **state)
{
    (void)state;
    /* pid_max is at most 2^22, so this pid cannot exist */
    assert_int_equal(tt_proc_rss_bytes(99999999), -1);
    assert_int_equal(tt_proc_peak_rss_bytes(99999999), -1);
}

/* TIANTI_MEM_LIMIT: K/M/G/T count in thousands (as the planner's GB),
 * Ki/Mi/Gi/Ti in 1024s; anything else is no size (-2); unset is -1. */
static void test_mem_limit_sizes(void **state)
{
    (void)state;
    static const struct { const char *text; int64_t bytes; } k_cases[] = {
        { "1048576", 1048576 },       { "8G", 8000000000LL },   { "8GB", 8000000000LL },
        { "8Gi", 8589934592LL },      { "8GiB", 8589934592LL }, { "512M", 512000000 },
        { "1.5g", 1500000000 },       { "64k", 64000 },         { "2T", 2000000000000LL },
        { "0", 0 },                   { "12B", 12 },
        { "", -1 },
        { "abc", -2 },                { "8X", -2 },             { "-1G", -2 },
        { "8G ", -2 },                { "nan", -2 },            { "inf", -2 },
        { "8Gx", -2 },                { "1e30", -2 },
    };
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        setenv("TIANTI_MEM_LIMIT", k_cases[i].text, 1);
        int64_t got = tt_mem_limit_bytes();
        if (got != k_cases[i].bytes)
            fail_msg("TIANTI_MEM_LIMIT='%s': %lld, expected %lld", k_cases[i].text, (long long)got,
                     (long long)k_cases[i].bytes);
    }
    unsetenv("TIANTI_MEM_LIMIT");
    assert_int_equal(tt_mem_limit_bytes(), -1);
    assert_true(tt_mem_available_bytes() > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_limit_sizes),
        cmocka_unit_test(test_proc_own_rss_follows_touched_memory),
        cmocka_unit_test(test_proc_child_by_pid),
        cmocka_unit_test(test_proc_unknown_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
