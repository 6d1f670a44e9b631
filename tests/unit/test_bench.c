/*
 * test_bench.c — the measurement parts of `tianti bench`: statistics
 * (bench/perf.c) against values worked out by hand, /proc sampling of a
 * process tree (a child and a grandchild that map and touch known amounts),
 * nvidia-smi output parsing from recorded sample outputs, server launch and
 * shutdown (bench/launch.c: never ready, dies early, ignores SIGTERM,
 * a real HTTP server), and bench.c's helpers, printing and storing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench/bench.h"
#include "bench/launch.h"
#include "bench/perf.h"
#include "store/store.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)

/* ---- statistics --------------------------------------------------------------------- */

static void test_perf_mean_sd_hand_values(void **state)
{
    (void)state;
    /* mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample sd sqrt(32/7) */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    double m, sd;
    perf_mean_sd(x, 8, &m, &sd);
    assert_true(fabs(m - 5.0) < 1e-12);
    assert_true(fabs(sd - sqrt(32.0 / 7.0)) < 1e-12);
    /* 10, 20: mean 15, sd sqrt((25+25)/1) = 7.0710678 */
    const double y[] = {10, 20};
    perf_mean_sd(y, 2, &m, &sd);
    assert_true(fabs(m - 15.0) < 1e-12);
    assert_true(fabs(sd - 7.0710678118654755) < 1e-12);
}

static void test_perf_mean_sd_one_and_none(void **state)
{
    (void)state;
    const double x[] = {3.5};
    double m = -1, sd = -1;
    perf_mean_sd(x, 1, &m, &sd);
    assert_true(m == 3.5 && sd == 0);
    perf_mean_sd(x, 0, &m, &sd);
    assert_true(m == 0 && sd == 0);
}

static void test_perf_bandwidth_positive(void **state)
{
    (void)state;
    assert_true(perf_read_bandwidth(8u << 20, 2, 2) > 1e8);    /* > 0.1 GB/s on anything */
    assert_true(perf_memcpy_bandwidth(8u << 20, 2) > 1e8);
}

/* ---- /proc ------------------------------------------------------------------------- */

static void test_perf_rss_unknown_process(void **state)
{
    (void)state;
    /* pid_max is at most 2^22, so this pid cannot exist (the per-process
     * reads themselves are tested in test_proc.c) */
    assert_int_equal(perf_tree_rss_bytes(99999999), -1);
    pid_t *pids;
    int n = -1;
    perf_proc_tree(99999999, &pids, &n);
    assert_int_equal(n, 0);
    free(pids);
}

static void wait_byte(int fd, char want)
{
    char c = 0;
    assert_int_equal(read(fd, &c, 1), 1);
    assert_int_equal(c, want);
}

/* A process that says 's', waits for a byte on go, maps and touches mib MiB,
 * says 'a', then waits for go to close and exits. */
static void allocator(int go, int ready, size_t mib)
{
    char c;
    if (write(ready, "s", 1) != 1) _exit(2);
    if (read(go, &c, 1) != 1) _exit(3);
    size_t n = mib << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) _exit(4);
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    if (write(ready, "a", 1) != 1) _exit(5);
    while (read(go, &c, 1) > 0) {}
    munmap(p, n);
}

static void test_perf_tree_rss_child_and_grandchild(void **state)
{
    (void)state;
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(go[1]);
        close(ready[0]);
        pid_t grand = fork();
        if (grand == 0) {
            allocator(go[0], ready[1], 32);
            _exit(0);
        }
        allocator(go[0], ready[1], 64);
        waitpid(grand, NULL, 0);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    wait_byte(ready[0], 's');
    wait_byte(ready[0], 's');
    pid_t *pids;
    int n;
    perf_proc_tree(child, &pids, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pids[0], child);
    free(pids);
    int64_t before = perf_tree_rss_bytes(child);
    assert_true(before > 0);
    perf_sampler *smp;
    char err[TT_ERR_SIZE];
    assert_int_equal(perf_sampler_start(child, 0.02, 0, &smp, err), TT_OK);
    assert_int_equal(write(go[1], "gg", 2), 2);
    wait_byte(ready[0], 'a');
    wait_byte(ready[0], 'a');
    int64_t after = perf_tree_rss_bytes(child);
    double delta = (double)(after - before) / MIB;
    /* 64 + 32 MiB touched, within 8 MiB */
    assert_true(delta > 96 - 8 && delta < 96 + 8);
    usleep(150 * 1000);
    perf_sample_summary sum;
    perf_sampler_stop(smp, &sum);
    assert_true(sum.n_samples >= 2);
    assert_true((double)(sum.peak_rss_bytes - before) / MIB > 96 - 8);
    assert_true(sum.peak_hwm_sum_bytes >= sum.peak_rss_bytes);
    assert_int_equal(sum.gpu_measured, 0);
    close(go[1]);   /* both exit */
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ready[0]);
}

/* ---- nvidia-smi ------------------------------------------------------------------------ */

/* Recorded outputs of
 * nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits */
static const char *const SMI_TWO = "1841, 10240\n22017, 5914\n";
static const char *const SMI_CRLF = " 1841 ,  10240 \r\n22017, 5914\r\n";
static const char *const SMI_NONE = "";
static const char *const SMI_NA = "1841, [N/A]\n22017, 5914\n";
static const char *const SMI_NOT_SUPPORTED = "1841, [Not Supported]\n";

static void test_perf_nvidia_smi_parse_sums_wanted_pids(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    int64_t b;
    int matched, unknown;
    pid_t want[] = {22017};
    assert_int_equal(perf_nvidia_smi_parse(SMI_TWO, want, 1, &b, &matched, &unknown, err), TT_OK);
    assert_true(b == (int64_t)5914 * 1048576);
    assert_int_equal(matched, 1);
    assert_int_equal(unknown, 0);
    assert_int_equal(perf_nvidia_smi_parse(SMI_TWO, NULL, -1, &b, &matched, &unknown, err), TT_OK);
    assert_true(b == (int64_t)(10240 + 5914) * 1048576);
    assert_int_equal(matched, 2);
    pid_t both[] = {1841, 22017, 5};
    assert_int_equal(perf_nvidia_smi_parse(SMI_CRLF, both, 3, &b, &matched, NULL, err), TT_OK);
    assert_true(b == (int64_t)(10240 + 5914) * 1048576);
    pid_t other[] = {7};
    assert_int_equal(perf_nvidia_smi_parse(SMI_TWO, other, 1, &b, &matched, NULL, err), TT_OK);
    assert_true(b == 0 && matched == 0);
}

static void test_perf_nvidia_smi_parse_empty_and_unknown(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    int64_t b = -1;
    int matched = -1, unknown = -1;
    assert_int_equal(perf_nvidia_smi_parse(SMI_NONE, NULL, -1, &b, &matched, &unknown, err), TT_OK);
    assert_true(b == 0 && matched == 0 && unknown == 0);
    assert_int_equal(perf_nvidia_smi_parse("No running processes found\n", NULL, -1, &b, &matched, NULL, err), TT_OK);
    assert_true(b == 0 && matched == 0);
    assert_int_equal(perf_nvidia_smi_parse(SMI_NA, NULL, -1, &b, &matched, &unknown, err), TT_OK);
    assert_true(b == (int64_t)5914 * 1048576 && matched == 2 && unknown == 1);
    pid_t want[] = {22017};
    assert_int_equal(perf_nvidia_smi_parse(SMI_NA, want, 1, &b, &matched, &unknown, err), TT_OK);
    assert_int_equal(unknown, 0);    /* the unknown line is another process */
    assert_int_equal(perf_nvidia_smi_parse(SMI_NOT_SUPPORTED, NULL, -1, &b, &matched, &unknown, err), TT_OK);
    assert_true(b == 0 && unknown == 1);
}

static void test_perf_nvidia_smi_parse_malformed_names_line(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    int64_t b;
    assert_int_equal(perf_nvidia_smi_parse("1841 10240\n", NULL, -1, &b, NULL, NULL, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(perf_nvidia_smi_parse("1841, 10\nabc, 5\n", NULL, -1, &b, NULL, NULL, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(perf_nvidia_smi_parse("1841, 10 MiB\n", NULL, -1, &b, NULL, NULL, err), TT_ERR_PARSE);
    assert_non_null(strstr(err, "MiB"));
    assert_int_equal(perf_nvidia_smi_parse("1841, -3\n", NULL, -1, &b, NULL, NULL, err), TT_ERR_PARSE);
}

/* ---- launch ------------------------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len)) {
        close(fd);
        return 0;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* Live (not zombie) processes whose process group is pgid, after up to 2 s
 * for signals to land. Zombies re-parented to init count as gone. */
static int live_in_group(pid_t pgid)
{
    int live = 0;
    for (int tries = 0; tries < 40; tries++) {
        live = 0;
        pid_t *pids;
        int n;
        perf_proc_tree(1, &pids, &n);
        for (int i = 0; i < n; i++) {
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%d/stat", (int)pids[i]);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            size_t k = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[k] = 0;
            char *rp = strrchr(buf, ')');
            char st;
            int ppid, pgrp;
            if (rp && sscanf(rp + 1, " %c %d %d", &st, &ppid, &pgrp) == 3 && pgrp == pgid && st != 'Z') live++;
        }
        free(pids);
        if (!live) break;
        usleep(50 * 1000);
    }
    return live;
}

static void test_launch_never_ready_is_stopped(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE], url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", free_port());
    launch_proc *p;
    assert_int_equal(launch_start("echo starting; sleep 30", NULL, &p, err), TT_OK);
    pid_t pid = launch_pid(p);
    double t0 = tt_now_s();
    assert_int_equal(launch_wait_ready(p, url, 1.0, 0.1, err), TT_ERR_INTERRUPTED);
    assert_true(tt_now_s() - t0 < 5);
    assert_non_null(strstr(err, "did not answer"));
    assert_non_null(strstr(err, "within 1 s"));
    assert_non_null(strstr(err, "sleep 30"));
    assert_non_null(strstr(err, "starting"));    /* last output quoted */
    assert_int_equal(launch_alive(p, NULL), 0);
    assert_int_equal(live_in_group(pid), 0);    /* the shell's child (sleep) is gone too */
    launch_free(p);
}

static void test_launch_dies_early_is_reported(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE], url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", free_port());
    launch_proc *p;
    assert_int_equal(launch_start("echo 'cannot load model' >&2; exit 3", NULL, &p, err), TT_OK);
    assert_int_equal(launch_wait_ready(p, url, 10.0, 0.05, err), TT_ERR_ENGINE);
    assert_non_null(strstr(err, "exited with status 3 before answering"));
    assert_non_null(strstr(err, "cannot load model"));
    int st;
    assert_int_equal(launch_alive(p, &st), 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    launch_free(p);
}

static void test_launch_stop_escalates_to_sigkill(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    launch_proc *p;
    assert_int_equal(launch_start("trap '' TERM; while :; do sleep 0.05; done", NULL, &p, err), TT_OK);
    usleep(200 * 1000);
    assert_int_equal(launch_alive(p, NULL), 1);
    int killed = 0;
    double t0 = tt_now_s();
    assert_int_equal(launch_stop(p, 0.3, &killed), TT_OK);
    assert_true(tt_now_s() - t0 < 3);
    assert_int_equal(killed, 1);
    int st;
    assert_int_equal(launch_alive(p, &st), 0);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    launch_free(p);
}

static void test_launch_http_server_ready_sampled_and_stopped(void **state)
{
    (void)state;
    /* python3 is installed by scripts/setup.sh: without it, fail */
    if (system("python3 -c 'import http.server' >/dev/null 2>&1") != 0)
        fail_msg("no python3 with http.server (scripts/setup.sh installs python3)");
    int port = free_port();
    char err[TT_ERR_SIZE], url[64], cmd[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    snprintf(cmd, sizeof cmd, "python3 -m http.server %d --bind 127.0.0.1", port);
    launch_proc *p;
    assert_int_equal(launch_start(cmd, NULL, &p, err), TT_OK);
    int rc = launch_wait_ready(p, url, 30.0, 0.1, err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, TT_OK);
    int64_t rss = perf_tree_rss_bytes(launch_pid(p));
    assert_true(rss > 1 << 20);    /* a python interpreter is more than 1 MiB */
    int killed = 1;
    assert_int_equal(launch_stop(p, 5.0, &killed), TT_OK);
    assert_int_equal(killed, 0);   /* it obeyed SIGTERM */
    assert_int_equal(launch_alive(p, NULL), 0);
    launch_free(p);
}

/* ---- bench helpers, printing, storing --------------------------------------------------------- */

static void test_bench_expand_command_replaces_every_placeholder(void **state)
{
    (void)state;
    char *s = bench_expand_command("serve --model glm:m.gguf@{precision} --id m-{precision}", "q4_0");
    assert_string_equal(s, "serve --model glm:m.gguf@q4_0 --id m-q4_0");
    free(s);
    s = bench_expand_command("no placeholder", "f16");
    assert_string_equal(s, "no placeholder");
    free(s);
}

static void test_bench_ready_url_derived_from_base(void **state)
{
    (void)state;
    char url[256], err[TT_ERR_SIZE];
    assert_int_equal(bench_ready_url("openai:x", "http://127.0.0.1:8765/v1", NULL, url, sizeof url, err), TT_OK);
    assert_string_equal(url, "http://127.0.0.1:8765/health");
    assert_int_equal(bench_ready_url("chatglm:http://localhost:8000", NULL, NULL, url, sizeof url, err), TT_OK);
    assert_string_equal(url, "http://localhost:8000/health");
    assert_int_equal(bench_ready_url("openai:x", NULL, "http://h:1/v1/models", url, sizeof url, err), TT_OK);
    assert_string_equal(url, "http://h:1/v1/models");
    unsetenv("OPENAI_BASE_URL");
    assert_int_equal(bench_ready_url("openai:x", NULL, NULL, url, sizeof url, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "--base-url"));
}

static void test_bench_options_check_usage_errors(void **state)
{
    (void)state;
    char err[TT_ERR_SIZE];
    bench_options o;
    bench_options_default(&o);
    assert_int_equal(o.n_prompt, 512);
    assert_int_equal(o.n_gen, 128);
    assert_int_equal(o.reps, 5);
    assert_int_equal(bench_options_check(&o, err), TT_ERR_USAGE);    /* no model */
    const char *models[] = {"glm:m.gguf"};
    o.models = models;
    o.n_models = 1;
    assert_int_equal(bench_options_check(&o, err), TT_OK);
    o.reps = 0;
    assert_int_equal(bench_options_check(&o, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "repetitions"));
    o.reps = 5;
    const char *precs[] = {"q8_0", "q5_1"};
    o.precisions = precs;
    o.n_precisions = 2;
    assert_int_equal(bench_options_check(&o, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "'q5_1'"));
    const char *fixed[] = {"glm:m.gguf@q4_0"};    /* a fixed precision ignores the list */
    o.models = fixed;
    assert_int_equal(bench_options_check(&o, err), TT_OK);
    const char *ext[] = {"openai:x"};              /* labels of external runs are free */
    o.models = ext;
    assert_int_equal(bench_options_check(&o, err), TT_OK);
    const char *bad[] = {"nosuch:x"};
    o.models = bad;
    assert_int_equal(bench_options_check(&o, err), TT_ERR_USAGE);
}

static void fake_result(bench_result *r, int memory)
{
    memset(r, 0, sizeof *r);
    snprintf(r->spec, sizeof r->spec, "glm:m.gguf@q8_0");
    snprintf(r->name, sizeof r->name, "m");
    snprintf(r->engine, sizeof r->engine, "glm");
    snprintf(r->precision, sizeof r->precision, "q8_0");
    r->memory_measured = memory;
    r->threads = 2;
    r->file_bytes = 1000;
    r->n_params = 900;
    r->peak_rss_bytes = 5 << 20;
    r->weights_bytes = 1 << 20;
    r->kv_bytes = 1 << 16;
    r->scratch_bytes = 1 << 15;
    r->gpu_bytes = -1;
    r->bytes_per_token = 1 << 20;
    r->bound_tps = 1000;
    r->load = (bench_figure){0.5, 0, 0, 1};
    r->ttft = (bench_figure){0.25, 0.01, 30, 2};
    r->pp = (bench_figure){100, 10, 32, 2};
    r->pp_samples[0] = 90;
    r->pp_samples[1] = 110;
    r->tg = (bench_figure){50, 0, 16, 2};
    r->tg_samples[0] = r->tg_samples[1] = 50;
}

static void test_bench_print_formats(void **state)
{
    (void)state;
    bench_result r;
    fake_result(&r, 1);
    bench_machine m = {"Test CPU", 4, 2, 2e10, "avx2", 0};
    char err[TT_ERR_SIZE];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bench_print(f, "csv", &r, 1, &m, err), TT_OK);
    fclose(f);
    assert_non_null(strstr(buf, "model,spec,precision,test,"));
    assert_non_null(strstr(buf, "m,glm:m.gguf@q8_0,q8_0,pp32,32,2,100,10,tokens/s,1000,900,5242880,"));
    assert_non_null(strstr(buf, ",tg16,16,2,50,0,tokens/s,"));
    assert_non_null(strstr(buf, ",2,1000,1\n"));    /* threads, bound, memory measured */
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(bench_print(f, "md", &r, 1, &m, err), TT_OK);
    fclose(f);
    assert_non_null(strstr(buf, " tg16 t/s |"));
    assert_non_null(strstr(buf, "-: |"));    /* numbers right-aligned in markdown */
    assert_non_null(strstr(buf, "100.0 ± 10.0"));
    assert_non_null(strstr(buf, "1000 (5%)"));    /* bound and achieved fraction */
    assert_non_null(strstr(buf, "20.00 GB/s"));
    free(buf);
    fake_result(&r, 0);
    f = open_memstream(&buf, &len);
    assert_int_equal(bench_print(f, "json", &r, 1, &m, err), TT_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"peak_rss_bytes\": null"));
    assert_non_null(strstr(buf, "\"memory_measured\": false"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(bench_print(f, "xml", &r, 1, &m, err), TT_ERR_USAGE);
    fclose(f);
    free(buf);
    assert_non_null(strstr(err, "'xml'"));
}

/* Rows come back newest first: the same created_at, so by id descending. */
static int check_stored_row(void *ctx, const store_bench_row *r, char *err)
{
    (void)err;
    static const char *const want[][2] = {{"glm:m.gguf@q8_0", "load"}, {"glm:m.gguf@q8_0", "ttft"},
                                          {"glm:m.gguf@q8_0", "pp32"}, {"glm:m.gguf@q8_0", "tg16"},
                                          {"openai:x", "load"}, {"openai:x", "ttft"}, {"openai:x", "pp32"},
                                          {"openai:x", "tg16"}, {"openai:x", "task:demo"}};
    int *seen = ctx;
    assert_true(*seen < 9);
    int k = 8 - (*seen)++;
    assert_string_equal(r->model_spec, want[k][0]);
    assert_string_equal(r->test, want[k][1]);
    if (k < 4) {
        assert_true(r->peak_rss_bytes.has);
        assert_int_equal(r->peak_rss_bytes.v, 5 << 20);
    } else {
        assert_false(r->peak_rss_bytes.has);   /* memory not measured */
    }
    if (k == 3) {
        assert_non_null(strstr(r->machine_json, "\"cpu_model\":\"Test CPU\""));
        assert_non_null(strstr(r->machine_json, "\"fraction_of_bound\":0.05"));
    }
    if (k == 8) assert_true(fabs(r->mean - 0.75) < 1e-12);
    return TT_OK;
}

static void test_bench_store_one_row_per_test(void **state)
{
    (void)state;
    char path[] = "/tmp/tianti-test-bench-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    bench_result r[2];
    fake_result(&r[0], 1);
    fake_result(&r[1], 0);
    snprintf(r[1].spec, sizeof r[1].spec, "openai:x");
    r[1].has_acc = 1;
    snprintf(r[1].task, sizeof r[1].task, "demo");
    snprintf(r[1].metric, sizeof r[1].metric, "acc,none");
    r[1].acc = 0.75;
    r[1].acc_stderr = 0.1;
    bench_machine m = {"Test CPU", 4, 2, 2e10, "avx2", 0};
    char err[TT_ERR_SIZE];
    assert_int_equal(bench_store(path, r, 2, &m, err), TT_OK);
    store *s;
    assert_int_equal(store_open(path, &s, err), TT_OK);
    int k = 0;
    assert_int_equal(store_bench_each(s, check_stored_row, &k, err), TT_OK);
    assert_int_equal(k, 9);
    store_close(s);
    unlink(path);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perf_mean_sd_hand_values),
        cmocka_unit_test(test_perf_mean_sd_one_and_none),
        cmocka_unit_test(test_perf_bandwidth_positive),
        cmocka_unit_test(test_perf_rss_unknown_process),
        cmocka_unit_test(test_perf_tree_rss_child_and_grandchild),
        cmocka_unit_test(test_perf_nvidia_smi_parse_sums_wanted_pids),
        cmocka_unit_test(test_perf_nvidia_smi_parse_empty_and_unknown),
        cmocka_unit_test(test_perf_nvidia_smi_parse_malformed_names_line),
        cmocka_unit_test(test_launch_never_ready_is_stopped),
        cmocka_unit_test(test_launch_dies_early_is_reported),
        cmocka_unit_test(test_launch_stop_escalates_to_sigkill),
        cmocka_unit_test(test_launch_http_server_ready_sampled_and_stopped),
        cmocka_unit_test(test_bench_expand_command_replaces_every_placeholder),
        cmocka_unit_test(test_bench_ready_url_derived_from_base),
        cmocka_unit_test(test_bench_options_check_usage_errors),
        cmocka_unit_test(test_bench_print_formats),
        cmocka_unit_test(test_bench_store_one_row_per_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
