/*
 * test_sandbox.c — sandbox.c: ordinary outcomes (passed, failed with the
 * traceback, exit codes, stdin from /dev/null, truncated output), refusals,
 * the parallel pool, and hostile programs that must be contained and
 * reported rather than obeyed: an endless loop, a CPU hog, a fork bomb, a
 * process that escapes its group, memory exhaustion, writes and deletes
 * outside the work directory, reading the environment (and other processes'
 * environments) for a secret, a network connection to 127.0.0.1, and
 * printing gigabytes.
 *
 * Each hostile test runs under every isolation path the machine offers
 * (namespaces as root, a user namespace, none) and prints the protections
 * that were in force. Where a protection is missing (say no network
 * namespace) the assertion that depends on it is skipped with a message,
 * never silently passed. Limits are low (nproc 16, 2 s wall) so the fork
 * bomb cannot hurt the machine. Needs /usr/bin/python3 (or
 * $TIANTI_PYTHON), which scripts/setup.sh installs: fails without it. The
 * per-run uid test is skipped, saying so, when not run as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "judges/sandbox.h"

static const char *python(void)
{
    const char *p = getenv("TIANTI_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static void base_config(sandbox_config *cfg, sandbox_ns_mode mode)
{
    sandbox_config_init(cfg);
    cfg->interpreter = python();
    cfg->ns_mode = mode;
    cfg->wall_s = 5.0;
    cfg->cpu_s = 5;
    cfg->nproc = 16;
    cfg->as_bytes = (size_t)512 << 20;
}

static void run(const sandbox_config *cfg, const char *prog, sandbox_result *res)
{
    char err[TT_ERR_SIZE] = "";
    int rc = sandbox_run(cfg, prog, strlen(prog), res, err);
    if (rc != TT_OK) fail_msg("sandbox_run: %s", err);
}

static void show(const char *what, const sandbox_result *r)
{
    char prot[256];
    sandbox_protections_str(r->protections, prot, sizeof prot);
    printf("# %-26s %-9s exit=%d sig=%d wall=%.2fs uid=%u protections=%s\n", what,
           sandbox_outcome_name(r->outcome), r->exit_code, r->term_signal, r->wall_s, r->uid,
           prot);
    if (r->outcome == SANDBOX_REFUSED) printf("#   refused: %s\n", r->detail);
}

/* The isolation paths to exercise; a path this machine cannot provide is
 * reported and skipped. */
static const struct { sandbox_ns_mode mode; const char *name; } k_modes[] = {
    { SANDBOX_NS_AUTO, "auto" }, { SANDBOX_NS_USER, "userns" }, { SANDBOX_NS_NONE, "none" },
};
#define N_MODES (sizeof k_modes / sizeof k_modes[0])

static int mode_available(sandbox_ns_mode mode)
{
    sandbox_config cfg;
    base_config(&cfg, mode);
    sandbox_result r;
    run(&cfg, "pass\n", &r);
    int ok = r.outcome == SANDBOX_PASSED;
    if (!ok) printf("# isolation path %d unavailable here: %s\n", (int)mode, r.detail);
    sandbox_result_free(&r);
    return ok;
}

/* Number of live processes whose real uid is uid (zombies included). */
static int procs_of_uid(unsigned uid)
{
    DIR *d = opendir("/proc");
    if (!d) return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            unsigned ruid;
            if (sscanf(line, "Uid: %u", &ruid) == 1) {
                if (ruid == uid) count++;
                break;
            }
        }
        fclose(f);
    }
    closedir(d);
    return count;
}

/* Waits up to 2 s for the run's uid to own no process; returns the count. */
static int leftover_procs(unsigned uid)
{
    int n = 0;
    for (int i = 0; i < 40; i++) {
        n = procs_of_uid(uid);
        if (n == 0) break;
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return n;
}

static int setup_python(void **state)
{
    (void)state;
    if (access(python(), X_OK) != 0) {
        printf("# no interpreter at '%s' (scripts/setup.sh installs python3, or set TIANTI_PYTHON)\n", python());
        return -1;
    }
    return 0;
}

/* python3 is installed by scripts/setup.sh: without it, fail (never skip) */
#define NEED_PYTHON()                                                              \
    do {                                                                           \
        if (access(python(), X_OK) != 0)                                           \
            fail_msg("'%s' is missing (scripts/setup.sh installs python3)", python()); \
    } while (0)

/* ---- ordinary outcomes ----------------------------------------------------- */

static void test_sandbox_run_passed_captures_stdout(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    sandbox_result r;
    run(&cfg, "import sys\nprint('hello')\nsys.stderr.write('note\\n')\n", &r);
    show("hello", &r);
    assert_int_equal(r.outcome, SANDBOX_PASSED);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "hello\n");
    assert_string_equal(r.errout, "note\n");
    assert_int_equal(r.truncated, 0);
    assert_true(r.protections & SANDBOX_PROT_CLEAN_ENV);
    assert_true(r.protections & SANDBOX_PROT_RLIMITS);
    sandbox_result_free(&r);
}

static void test_sandbox_run_failed_reports_assertion(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    sandbox_result r;
    run(&cfg, "def f(x):\n    return x + 1\nassert f(1) == 3, 'f(1) should be 3'\n", &r);
    show("assertion", &r);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_int_equal(r.exit_code, 1);
    assert_non_null(strstr(r.detail, "AssertionError: f(1) should be 3"));
    sandbox_result_free(&r);
}

static void test_sandbox_run_exit_status_and_stdin(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    sandbox_result r;
    /* stdin is /dev/null: read() returns at once with nothing. */
    run(&cfg, "import sys\ndata = sys.stdin.read()\nprint(len(data))\nsys.exit(3)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.out, "0\n");
    assert_non_null(strstr(r.detail, "status 3"));
    sandbox_result_free(&r);
}

static void test_sandbox_run_crashed_on_signal(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    sandbox_result r;
    run(&cfg, "import os\nos.abort()\n", &r);
    show("abort", &r);
    assert_int_equal(r.outcome, SANDBOX_CRASHED);
    assert_int_equal(r.term_signal, 6);
    assert_non_null(strstr(r.detail, "SIGABRT"));
    sandbox_result_free(&r);
}

static void test_sandbox_run_cwd_is_fresh_and_removed(void **state)
{
    (void)state;
    NEED_PYTHON();
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        sandbox_result r;
        run(&cfg,
            "import os\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))\n"
            "open('scratch.txt', 'w').write('x' * 1000)\n",
            &r);
        show(k_modes[m].name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        char dir[512];
        assert_int_equal(sscanf(r.out, "%511s", dir), 1);
        assert_non_null(strstr(dir, "tianti-sbx-"));
        assert_non_null(strstr(r.out, "['main.py']"));
        struct stat st;
        assert_int_not_equal(stat(dir, &st), 0);   /* removed afterwards */
        sandbox_result_free(&r);
    }
}

static void test_sandbox_run_output_truncated(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.capture_bytes = 1000;
    sandbox_result r;
    run(&cfg, "print('y' * 100000)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_PASSED);
    assert_int_equal(r.out_len, 1000);
    assert_int_equal(r.truncated, 1);
    assert_int_equal(r.out_total, 100001);
    sandbox_result_free(&r);
}

/* ---- refusals ----------------------------------------------------------------- */

static void test_sandbox_run_refused_without_interpreter(void **state)
{
    (void)state;
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.interpreter = "/nonexistent/tianti/python3";
    sandbox_result r;
    run(&cfg, "print(1)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_REFUSED);
    assert_non_null(strstr(r.detail, "starting the interpreter"));
    sandbox_result_free(&r);
}

static void test_sandbox_run_refused_when_required_protection_missing(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_NONE);
    cfg.require = SANDBOX_PROT_NETNS;   /* the no-namespace path never has it */
    sandbox_result r;
    run(&cfg, "print(1)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_REFUSED);
    assert_non_null(strstr(r.detail, "required protection 'netns'"));
    assert_string_equal(r.out, "");   /* nothing ran */
    sandbox_result_free(&r);
}

static void test_sandbox_run_rejects_bad_arguments(void **state)
{
    (void)state;
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.interpreter = "python3";
    sandbox_result r;
    char err[TT_ERR_SIZE];
    assert_int_equal(sandbox_run(&cfg, "x", 1, &r, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "absolute"));
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.wall_s = 0;
    assert_int_equal(sandbox_run(&cfg, "x", 1, &r, err), TT_ERR_USAGE);
}

/* ---- the pool --------------------------------------------------------------- */

static void test_sandbox_run_many_parallel(void **state)
{
    (void)state;
    NEED_PYTHON();
    enum { N = 12 };
    char *progs[N];
    sandbox_result res[N];
    for (int i = 0; i < N; i++)
        progs[i] = tt_asprintf("print(%d * %d)\n%s", i, i, i == 5 ? "raise SystemExit(2)\n" : "");
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    char err[TT_ERR_SIZE];
    assert_int_equal(sandbox_run_many(&cfg, (const char *const *)progs, NULL, N, 4, res, err),
                     TT_OK);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof want, "%d\n", i * i);
        assert_string_equal(res[i].out, want);
        assert_int_equal(res[i].outcome, i == 5 ? SANDBOX_FAILED : SANDBOX_PASSED);
        sandbox_result_free(&res[i]);
        free(progs[i]);
    }
}

static void test_sandbox_run_many_distinct_uids(void **state)
{
    (void)state;
    NEED_PYTHON();
    if (geteuid() != 0) {
        printf("# skipped: per-run uids are used only when running as root\n");
        skip();
    }
    /* Four runs at once, each alive long enough to overlap the others. */
    enum { N = 4 };
    const char *progs[N];
    for (int i = 0; i < N; i++) progs[i] = "import time\ntime.sleep(0.5)\n";
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    sandbox_result res[N];
    char err[TT_ERR_SIZE];
    assert_int_equal(sandbox_run_many(&cfg, progs, NULL, N, N, res, err), TT_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(res[i].outcome, SANDBOX_PASSED);
        assert_true(res[i].uid >= cfg.uid_base && res[i].uid < cfg.uid_base + cfg.uid_count);
        for (int j = 0; j < i; j++) assert_int_not_equal(res[i].uid, res[j].uid);
    }
    for (int i = 0; i < N; i++) sandbox_result_free(&res[i]);
}

/* ---- hostile programs ---------------------------------------------------- */

static void test_sandbox_hostile_endless_loop_times_out(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.wall_s = 1.0;
    sandbox_result r;
    run(&cfg, "while True:\n    pass\n", &r);
    show("endless loop", &r);
    assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
    assert_true(r.wall_s < 4.0);
    sandbox_result_free(&r);

    /* A sleeper uses no CPU: only the wall clock stops it. */
    run(&cfg, "import time\ntime.sleep(3600)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
    assert_non_null(strstr(r.detail, "wall-clock"));
    sandbox_result_free(&r);
}

static void test_sandbox_hostile_cpu_limit(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.cpu_s = 1;
    cfg.wall_s = 20.0;
    sandbox_result r;
    run(&cfg, "while True:\n    pass\n", &r);
    show("cpu hog", &r);
    assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
    assert_non_null(strstr(r.detail, "cpu-time"));
    assert_true(r.wall_s < 10.0);
    sandbox_result_free(&r);
}

static void test_sandbox_hostile_fork_bomb_contained(void **state)
{
    (void)state;
    NEED_PYTHON();
    const char *bomb =
        "import os, time\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n";
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        cfg.wall_s = 2.0;
        cfg.nproc = 16;
        sandbox_result r;
        run(&cfg, bomb, &r);
        show(k_modes[m].name, &r);
        assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
        assert_true(r.wall_s < 5.0);
        if (r.protections & (SANDBOX_PROT_UID | SANDBOX_PROT_USERNS) && r.uid != 0 &&
            r.uid != (unsigned)getuid()) {
            int left = leftover_procs(r.uid);
            printf("#   processes of uid %u left: %d\n", r.uid, left);
            assert_int_equal(left, 0);
        } else if (r.protections & SANDBOX_PROT_PIDNS) {
            printf("#   PID namespace: the kernel killed the rest with its init\n");
        } else {
            printf("#   no uid or PID namespace of its own: process group killed; "
                   "the user's RLIMIT_NPROC bounded it\n");
            /* let the killed processes be reaped before the next test forks */
            struct timespec ts = { 0, 500 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        sandbox_result_free(&r);
    }
}

static void test_sandbox_hostile_escaped_process_killed(void **state)
{
    (void)state;
    NEED_PYTHON();
    /* A grandchild leaves the process group (setsid) and lingers. */
    const char *escape =
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(5)\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n";
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        sandbox_result r;
        run(&cfg, escape, &r);
        show(k_modes[m].name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        assert_true(r.wall_s < 3.0);   /* the lingering sleeper's pipe did not hold us */
        if (r.uid != 0 && r.uid != (unsigned)getuid()) {
            assert_int_equal(leftover_procs(r.uid), 0);
        } else if (r.protections & SANDBOX_PROT_PIDNS) {
            printf("#   PID namespace: the kernel killed the sleeper with its init\n");
        } else {
            printf("#   neither a PID namespace nor a uid of its own: the escaped sleeper "
                   "may outlive the run on this path\n");
        }
        sandbox_result_free(&r);
    }
}

static void test_sandbox_hostile_memory_exhaustion(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.as_bytes = (size_t)256 << 20;
    sandbox_result r;
    run(&cfg, "x = bytearray(1 << 34)\n", &r);
    show("one huge allocation", &r);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_non_null(strstr(r.detail, "MemoryError"));
    sandbox_result_free(&r);

    run(&cfg, "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n", &r);
    show("growing allocation", &r);
    assert_true(r.outcome == SANDBOX_FAILED || r.outcome == SANDBOX_CRASHED);
    if (r.outcome == SANDBOX_FAILED) assert_non_null(strstr(r.detail, "MemoryError"));
    sandbox_result_free(&r);
}

static void test_sandbox_hostile_writes_and_deletes_outside(void **state)
{
    (void)state;
    NEED_PYTHON();
    /* A directory of ours standing for the repository: root-owned 0755 when
     * we are root. */
    char tmpl[] = "/tmp/tianti-test-outside-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    chmod(tmpl, 0755);
    char *sentinel = tt_asprintf("%s/sentinel.txt", tmpl);
    char *newfile = tt_asprintf("%s/new.txt", tmpl);
    char *tmpfile = tt_asprintf("/tmp/tianti-escape-%d", (int)getpid());
    char err[TT_ERR_SIZE];
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        assert_int_equal(tt_write_file(sentinel, "original", 8, err), TT_OK);
        chmod(sentinel, 0644);
        char *prog = tt_asprintf(
            "import os, shutil\n"
            "def attempt(name, fn):\n"
            "    try:\n"
            "        fn()\n"
            "        print(name, 'SUCCEEDED')\n"
            "    except Exception as e:\n"
            "        print(name, 'blocked:', type(e).__name__)\n"
            "attempt('overwrite', lambda: open('%s', 'w').write('pwned'))\n"
            "attempt('create', lambda: open('%s', 'w').write('pwned'))\n"
            "attempt('delete', lambda: os.remove('%s'))\n"
            "attempt('rmtree', lambda: shutil.rmtree('%s'))\n"
            "attempt('tmp', lambda: open('%s', 'w').write('pwned'))\n",
            sentinel, newfile, sentinel, tmpl, tmpfile);
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(k_modes[m].name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        int protected_dir = (r.protections & SANDBOX_PROT_RO_ROOT) ||
                            ((r.protections & SANDBOX_PROT_UID) && getuid() == 0);
        if (protected_dir) {
            char *content = NULL;
            size_t len = 0;
            assert_int_equal(tt_read_file(sentinel, &content, &len, err), TT_OK);
            assert_string_equal(content, "original");
            free(content);
            assert_false(tt_file_exists(newfile));
            assert_null(strstr(r.out, "overwrite SUCCEEDED"));
            assert_null(strstr(r.out, "delete SUCCEEDED"));
        } else {
            printf("#   no read-only root and no uid of its own: writes outside are not "
                   "prevented on this path (only the cwd is fresh)\n");
        }
        if (r.protections & SANDBOX_PROT_RO_ROOT) {
            assert_false(tt_file_exists(tmpfile));
            assert_null(strstr(r.out, "tmp SUCCEEDED"));
        } else {
            printf("#   /tmp is world-writable and the root is not read-only on this path\n");
        }
        unlink(tmpfile);
        unlink(newfile);
        free(prog);
        sandbox_result_free(&r);
    }
    unlink(sentinel);
    rmdir(tmpl);
    free(sentinel);
    free(newfile);
    free(tmpfile);
}

static void test_sandbox_hostile_reads_secret_from_env(void **state)
{
    (void)state;
    NEED_PYTHON();
    const char *secret = "sk-tianti-FAKE-secret-4242";
    setenv("OPENAI_API_KEY", secret, 1);
    setenv("TIANTI_TEST_SECRET", secret, 1);
    /* Looks in its own environment and in every /proc/<pid>/environ it can read. */
    const char *prog =
        "import os\n"
        "print(sorted(os.environ.items()))\n"
        "for p in os.listdir('/proc'):\n"
        "    if p.isdigit():\n"
        "        try:\n"
        "            print(p, open('/proc/%s/environ' % p, 'rb').read())\n"
        "        except Exception as e:\n"
        "            pass\n"
        "print(os.getppid())\n";
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        cfg.capture_bytes = (size_t)1 << 20;
        sandbox_result r;
        run(&cfg, prog, &r);
        show(k_modes[m].name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        assert_int_equal(r.truncated, 0);
        assert_null(strstr(r.out, "OPENAI_API_KEY"));
        if (r.protections & (SANDBOX_PROT_PROC | SANDBOX_PROT_UID)) {
            assert_null(strstr(r.out, secret));
        } else {
            printf("#   same uid and host /proc: other processes' environments are not hidden "
                   "on this path\n");
            /* its own environment is still clean */
            assert_null(strstr(r.out, "TIANTI_TEST_SECRET"));
        }
        sandbox_result_free(&r);
    }
    unsetenv("OPENAI_API_KEY");
    unsetenv("TIANTI_TEST_SECRET");
}

static void test_sandbox_hostile_network_connection(void **state)
{
    (void)state;
    NEED_PYTHON();
    /* A listener of ours on 127.0.0.1 that the program tries to reach. */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ls, 4), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    int port = ntohs(a.sin_port);
    char *prog = tt_asprintf(
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(2)\n"
        "try:\n"
        "    s.connect(('127.0.0.1', %d))\n"
        "    print('CONNECTED')\n"
        "except OSError as e:\n"
        "    print('blocked:', e)\n",
        port);
    for (size_t m = 0; m < N_MODES; m++) {
        if (!mode_available(k_modes[m].mode)) continue;
        sandbox_config cfg;
        base_config(&cfg, k_modes[m].mode);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(k_modes[m].name, &r);
        printf("#   %s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        if (r.protections & SANDBOX_PROT_NETNS) {
            assert_non_null(strstr(r.out, "blocked"));
            assert_null(strstr(r.out, "CONNECTED"));
        } else {
            printf("#   no network namespace on this path: connection not prevented\n");
        }
        sandbox_result_free(&r);
    }
    free(prog);
    close(ls);
}

static void test_sandbox_hostile_prints_gigabytes(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg, SANDBOX_NS_AUTO);
    cfg.capture_bytes = 4096;
    cfg.output_kill_bytes = (size_t)4 << 20;
    sandbox_result r;
    double t0 = tt_now_s();
    run(&cfg,
        "import sys\nchunk = 'z' * (1 << 20)\nfor i in range(4096):\n    sys.stdout.write(chunk)\n",
        &r);
    show("4 GiB of output", &r);
    assert_int_equal(r.outcome, SANDBOX_FAILED);
    assert_int_equal(r.output_killed, 1);
    assert_int_equal(r.out_len, 4096);
    assert_int_equal(r.truncated, 1);
    assert_true(r.out_total < ((size_t)64 << 20));
    assert_true(tt_now_s() - t0 < 4.0);
    sandbox_result_free(&r);
}

static void test_sandbox_protections_str_names(void **state)
{
    (void)state;
    char buf[256];
    sandbox_protections_str(SANDBOX_PROT_PIDNS | SANDBOX_PROT_NETNS | SANDBOX_PROT_RLIMITS, buf,
                            sizeof buf);
    assert_string_equal(buf, "rlimits,pidns,netns");
    sandbox_protections_str(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    char small[8];
    sandbox_protections_str(SANDBOX_PROT_PIDNS | SANDBOX_PROT_NETNS, small, sizeof small);
    assert_string_equal(small, "pidns");
    assert_string_equal(sandbox_outcome_name(SANDBOX_TIMED_OUT), "timed_out");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sandbox_protections_str_names),
        cmocka_unit_test(test_sandbox_run_passed_captures_stdout),
        cmocka_unit_test(test_sandbox_run_failed_reports_assertion),
        cmocka_unit_test(test_sandbox_run_exit_status_and_stdin),
        cmocka_unit_test(test_sandbox_run_crashed_on_signal),
        cmocka_unit_test(test_sandbox_run_cwd_is_fresh_and_removed),
        cmocka_unit_test(test_sandbox_run_output_truncated),
        cmocka_unit_test(test_sandbox_run_refused_without_interpreter),
        cmocka_unit_test(test_sandbox_run_refused_when_required_protection_missing),
        cmocka_unit_test(test_sandbox_run_rejects_bad_arguments),
        cmocka_unit_test(test_sandbox_run_many_parallel),
        cmocka_unit_test(test_sandbox_run_many_distinct_uids),
        cmocka_unit_test(test_sandbox_hostile_endless_loop_times_out),
        cmocka_unit_test(test_sandbox_hostile_cpu_limit),
        cmocka_unit_test(test_sandbox_hostile_escaped_process_killed),
        cmocka_unit_test(test_sandbox_hostile_fork_bomb_contained),
        cmocka_unit_test(test_sandbox_hostile_memory_exhaustion),
        cmocka_unit_test(test_sandbox_hostile_writes_and_deletes_outside),
        cmocka_unit_test(test_sandbox_hostile_reads_secret_from_env),
        cmocka_unit_test(test_sandbox_hostile_network_connection),
        cmocka_unit_test(test_sandbox_hostile_prints_gigabytes),
    };
    return cmocka_run_group_tests(tests, setup_python, NULL);
}
