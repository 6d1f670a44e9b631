/*
 * test_sandbox.c — sandbox.c: ordinary outcomes (passed, failed with the
 * traceback, exit codes, stdin from /dev/null, truncated output), refusals
 * (strict where the host cannot give it, with the way to accept weak), the
 * parallel pool, the proof channel, and the hostile-program suite at every
 * level the machine gives: an endless loop, a CPU hog, a fork bomb, a
 * process that escapes its group, memory exhaustion, writes and deletes
 * outside the work directory (and to /tmp, /var/tmp, /dev/shm), reading the
 * environment and other processes' /proc/<pid>/environ for a secret,
 * reading a host file (the results store stands for any), the network,
 * kernel calls a program has no business making (namespaces, mount,
 * chroot, ptrace, keyctl, bpf), and — as an unprivileged user, where the
 * uid does not protect — signalling processes outside its group.
 *
 * Levels exercised: strict (namespaces as root, and the user-namespace
 * path), weak (Landlock with signal scope; Landlock without scope, so the
 * seccomp signal filter; no Landlock at all), none. Each assertion is the
 * level's promise (README, Security): strict and weak must block what they
 * claim, always. Only none (trusted code) is merely reported.
 *
 * With TIANTI_TEST_NO_NAMESPACES=1 (ctest sandbox/no_namespaces runs this
 * program under tests/tools/deny_namespaces, a simulated container that
 * cannot make namespaces) the strict level must be refused with the way to
 * accept weak, and every weak test must still hold. Limits are low (nproc
 * 16, 2 s wall) so the fork bomb cannot hurt the machine. Needs
 * /usr/bin/python3 (or $TIANTI_PYTHON), which scripts/setup.sh installs:
 * fails without it. The tests that need root (per-run uids, becoming an
 * unprivileged user) skip, saying so, when not run as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "judges/sandbox.h"

static const char *python(void)
{
    const char *p = getenv("TIANTI_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

/* The levels of the suite: what is asked for, and what must come out. */
typedef struct level_case {
    const char *name;
    sandbox_level level;
    sandbox_ns_mode mode;
    unsigned simulate;
    sandbox_level expect;
} level_case;

static const level_case k_levels[] = {
    { "strict", SANDBOX_LEVEL_STRICT, SANDBOX_NS_AUTO, 0, SANDBOX_LEVEL_STRICT },
    { "strict-userns", SANDBOX_LEVEL_STRICT, SANDBOX_NS_USER, 0, SANDBOX_LEVEL_STRICT },
    { "weak", SANDBOX_LEVEL_WEAK, SANDBOX_NS_NONE, 0, SANDBOX_LEVEL_WEAK },
    { "weak-no-scope", SANDBOX_LEVEL_WEAK, SANDBOX_NS_NONE, SANDBOX_SIM_NO_SCOPE, SANDBOX_LEVEL_WEAK },
    { "weak-no-landlock", SANDBOX_LEVEL_WEAK, SANDBOX_NS_NONE, SANDBOX_SIM_NO_LANDLOCK, SANDBOX_LEVEL_WEAK },
    { "none", SANDBOX_LEVEL_NONE, SANDBOX_NS_NONE, 0, SANDBOX_LEVEL_NONE },
};
#define N_LEVELS (sizeof k_levels / sizeof k_levels[0])

static int no_namespaces(void)
{
    const char *e = getenv("TIANTI_TEST_NO_NAMESPACES");
    return e && !strcmp(e, "1");
}

static void level_config(sandbox_config *cfg, const level_case *lc)
{
    sandbox_config_init(cfg);
    cfg->interpreter = python();
    cfg->level = lc->level;
    cfg->ns_mode = lc->mode;
    cfg->simulate = lc->simulate;
    cfg->wall_s = 5.0;
    cfg->cpu_s = 5;
    cfg->nproc = 16;
    cfg->as_bytes = (size_t)512 << 20;
}

/* The default: strict, or weak on a host without namespaces (the
 * no-namespaces ctest), so that the ordinary tests run there too. */
static void base_config(sandbox_config *cfg)
{
    level_config(cfg, &k_levels[no_namespaces() ? 2 : 0]);
}

static int is_strict(const level_case *lc) { return lc->expect == SANDBOX_LEVEL_STRICT; }
static int is_weak(const level_case *lc) { return lc->expect == SANDBOX_LEVEL_WEAK; }

static void run(const sandbox_config *cfg, const char *prog, sandbox_result *res)
{
    char err[TT_ERR_SIZE] = "";
    int rc = sandbox_run(cfg, prog, strlen(prog), res, err);
    if (rc != TT_OK) fail_msg("sandbox_run: %s", err);
}

static void show(const char *what, const sandbox_result *r)
{
    char prot[512];
    sandbox_protections_str(r->protections, prot, sizeof prot);
    printf("# %-18s %-9s level=%s exit=%d sig=%d wall=%.2fs uid=%u protections=%s\n", what,
           sandbox_outcome_name(r->outcome), sandbox_level_name(r->level), r->exit_code, r->term_signal, r->wall_s,
           r->uid, prot);
    if (r->outcome == SANDBOX_REFUSED) printf("#   refused: %s\n", r->detail);
}

/* 1 when the level runs here at the level it must. Strict where the host
 * cannot make namespaces must be refused, saying how to accept weak; that is
 * checked here too. */
static int level_available(const level_case *lc)
{
    sandbox_config cfg;
    level_config(&cfg, lc);
    sandbox_result r;
    run(&cfg, "pass\n", &r);
    int ok = r.outcome == SANDBOX_PASSED;
    if (is_strict(lc) && no_namespaces()) {
        if (ok) fail_msg("%s ran on a host that cannot make namespaces", lc->name);
        assert_int_equal(r.outcome, SANDBOX_REFUSED);
        assert_non_null(strstr(r.detail, "--sandbox=weak"));
        sandbox_result_free(&r);
        return 0;
    }
    if (ok && r.level != lc->expect)
        fail_msg("%s ran at level %s", lc->name, sandbox_level_name(r.level));
    if (!ok) {
        printf("# level %s unavailable here: %s\n", lc->name, r.detail);
        /* weak and none depend on nothing this machine lacks */
        if (!is_strict(lc)) fail_msg("level %s must run on every Linux host: %s", lc->name, r.detail);
    }
    sandbox_result_free(&r);
    return ok;
}

/* Number of processes whose real uid is uid and that still run: zombies
 * are left out. The sweep's SIGKILL makes the program's orphans zombies of
 * the machine's init, which reaps them when it gets round to it (seconds,
 * under some container inits); a zombie runs nothing and holds no memory,
 * and the uid slots rotate, so the next run does not meet it. */
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
        int dead = 0;
        while (fgets(line, sizeof line, f)) {
            char state = 0;
            unsigned ruid;
            if (sscanf(line, "State: %c", &state) == 1) {
                dead = state == 'Z' || state == 'X';
            } else if (sscanf(line, "Uid: %u", &ruid) == 1) {
                if (ruid == uid && !dead) count++;
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
    base_config(&cfg);
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
    assert_true(r.protections & SANDBOX_PROT_SECCOMP);
    assert_int_equal(r.level, no_namespaces() ? SANDBOX_LEVEL_WEAK : SANDBOX_LEVEL_STRICT);
    sandbox_result_free(&r);
}

static void test_sandbox_run_failed_reports_assertion(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg);
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
    base_config(&cfg);
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
    for (size_t m = 0; m < N_LEVELS; m++) {
        if (!level_available(&k_levels[m])) continue;
        sandbox_config cfg;
        level_config(&cfg, &k_levels[m]);
        sandbox_result r;
        run(&cfg, "import os\nos.abort()\n", &r);   /* raise() signals itself: allowed */
        show(k_levels[m].name, &r);
        assert_int_equal(r.outcome, SANDBOX_CRASHED);
        assert_int_equal(r.term_signal, 6);
        assert_non_null(strstr(r.detail, "SIGABRT"));
        sandbox_result_free(&r);
    }
}

static void test_sandbox_run_cwd_is_fresh_and_removed(void **state)
{
    (void)state;
    NEED_PYTHON();
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg,
            "import os, tempfile\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))\n"
            "open('scratch.txt', 'w').write('x' * 1000)\n"
            "with tempfile.NamedTemporaryFile() as f:\n    f.write(b'y')\n",
            &r);
        show(lc->name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        char dir[512];
        assert_int_equal(sscanf(r.out, "%511s", dir), 1);
        assert_non_null(strstr(r.out, "['main.py']"));
        if (is_strict(lc)) {
            assert_string_equal(dir, "/work");   /* its own root: the host path is not visible */
        } else {
            assert_non_null(strstr(dir, "tianti-sbx-"));
            struct stat st;
            assert_int_not_equal(stat(dir, &st), 0);   /* removed afterwards */
        }
        sandbox_result_free(&r);
    }
}

static void test_sandbox_run_output_truncated(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg);
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
    base_config(&cfg);
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
    level_config(&cfg, &k_levels[2]);   /* weak, no namespaces */
    cfg.require = SANDBOX_PROT_NETNS;   /* which weak never has */
    sandbox_result r;
    run(&cfg, "print(1)\n", &r);
    assert_int_equal(r.outcome, SANDBOX_REFUSED);
    assert_non_null(strstr(r.detail, "required protection 'netns'"));
    assert_string_equal(r.out, "");   /* nothing ran */
    sandbox_result_free(&r);
}

/* Strict never falls back: without namespaces it refuses, naming the way
 * to accept the weak level; weak then runs, and says it was weak. */
static void test_sandbox_strict_refuses_without_namespaces(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    sandbox_config_init(&cfg);
    cfg.interpreter = python();
    cfg.ns_mode = SANDBOX_NS_NONE;   /* as if the kernel refused them */
    sandbox_result r;
    run(&cfg, "print('ran')\n", &r);
    show("strict, no ns", &r);
    assert_int_equal(r.outcome, SANDBOX_REFUSED);
    assert_non_null(strstr(r.detail, "strict sandbox is not available"));
    assert_non_null(strstr(r.detail, "--sandbox=weak"));
    assert_string_equal(r.out, "");
    sandbox_result_free(&r);
    cfg.level = SANDBOX_LEVEL_WEAK;
    run(&cfg, "print('ran')\n", &r);
    assert_int_equal(r.outcome, SANDBOX_PASSED);
    assert_int_equal(r.level, SANDBOX_LEVEL_WEAK);
    sandbox_result_free(&r);
    /* weak where strict is possible: strict */
    if (!no_namespaces()) {
        cfg.ns_mode = SANDBOX_NS_AUTO;
        run(&cfg, "print('ran')\n", &r);
        assert_int_equal(r.level, SANDBOX_LEVEL_STRICT);
        sandbox_result_free(&r);
    }
    sandbox_level lv;
    char prot[256], err[TT_ERR_SIZE];
    sandbox_config_init(&cfg);
    cfg.interpreter = python();
    cfg.ns_mode = SANDBOX_NS_NONE;
    assert_int_equal(sandbox_check(&cfg, &lv, prot, sizeof prot, err), TT_ERR);
    assert_non_null(strstr(err, "--sandbox=weak"));
    cfg.level = SANDBOX_LEVEL_WEAK;
    assert_int_equal(sandbox_check(&cfg, &lv, prot, sizeof prot, err), TT_OK);
    assert_int_equal(lv, SANDBOX_LEVEL_WEAK);
    assert_non_null(strstr(prot, "seccomp"));
}

static void test_sandbox_level_names(void **state)
{
    (void)state;
    sandbox_level l;
    char err[TT_ERR_SIZE];
    assert_int_equal(sandbox_level_parse("weak", &l, err), TT_OK);
    assert_int_equal(l, SANDBOX_LEVEL_WEAK);
    assert_int_equal(sandbox_level_parse("none", &l, err), TT_OK);
    assert_int_equal(l, SANDBOX_LEVEL_NONE);
    assert_int_equal(sandbox_level_parse("loose", &l, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "strict, weak, none"));
    assert_string_equal(sandbox_level_name(SANDBOX_LEVEL_STRICT), "strict");
}

static void test_sandbox_run_rejects_bad_arguments(void **state)
{
    (void)state;
    sandbox_config cfg;
    base_config(&cfg);
    cfg.interpreter = "python3";
    sandbox_result r;
    char err[TT_ERR_SIZE];
    assert_int_equal(sandbox_run(&cfg, "x", 1, &r, err), TT_ERR_USAGE);
    assert_non_null(strstr(err, "absolute"));
    base_config(&cfg);
    cfg.wall_s = 0;
    assert_int_equal(sandbox_run(&cfg, "x", 1, &r, err), TT_ERR_USAGE);
}

/* ---- the proof channel --------------------------------------------------------- */

/* The nonce comes on fd 3 and goes back on fd 4; it is in neither the
 * program text, its argv nor its environment. */
static void test_sandbox_proof_channel(void **state)
{
    (void)state;
    NEED_PYTHON();
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        cfg.proof = 1;
        sandbox_result r;
        run(&cfg, "import os\nn = os.read(3, 64)\nassert len(n) == 64\nos.write(4, n)\n", &r);
        show(lc->name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        assert_int_equal(r.proof_ok, 1);
        sandbox_result_free(&r);
        run(&cfg,
            "import os, sys\nn = os.read(3, 64).decode()\n"
            "try:\n"
            "    assert n not in open('/proc/self/cmdline').read()\n"
            "except OSError:\n"
            "    pass\n"
            "assert n not in str(os.environ)\n"
            "assert n not in open(sys.argv[0]).read()\n"
            "os.write(4, b'0' * 64)\n",
            &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        assert_int_equal(r.proof_ok, 0);   /* the wrong bytes */
        sandbox_result_free(&r);
        run(&cfg, "print('no proof')\n", &r);
        assert_int_equal(r.proof_ok, 0);
        sandbox_result_free(&r);
    }
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
    base_config(&cfg);
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
    base_config(&cfg);
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
    base_config(&cfg);
    cfg.wall_s = 1.0;
    cfg.cpu_s = 30;
    sandbox_result r;
    double t0 = tt_now_s();
    run(&cfg, "import time\nwhile True:\n    time.sleep(0.05)\n", &r);
    show("sleeping loop", &r);
    assert_int_equal(r.outcome, SANDBOX_TIMED_OUT);
    assert_non_null(strstr(r.detail, "wall-clock"));
    assert_true(tt_now_s() - t0 < 4.0);
    sandbox_result_free(&r);
}

static void test_sandbox_hostile_cpu_limit(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg);
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
    for (size_t m = 0; m < N_LEVELS; m++) {
        if (!level_available(&k_levels[m])) continue;
        sandbox_config cfg;
        level_config(&cfg, &k_levels[m]);
        cfg.wall_s = 2.0;
        cfg.nproc = 16;
        sandbox_result r;
        run(&cfg, bomb, &r);
        show(k_levels[m].name, &r);
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
    for (size_t m = 0; m < N_LEVELS; m++) {
        if (!level_available(&k_levels[m])) continue;
        sandbox_config cfg;
        level_config(&cfg, &k_levels[m]);
        sandbox_result r;
        run(&cfg, escape, &r);
        show(k_levels[m].name, &r);
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
    base_config(&cfg);
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

/* Writes outside the work directory: a directory standing for the
 * repository, /tmp, /var/tmp and /dev/shm. */
static void test_sandbox_hostile_writes_and_deletes_outside(void **state)
{
    (void)state;
    NEED_PYTHON();
    /* root-owned 0755 when we are root */
    char tmpl[] = "/tmp/tianti-test-outside-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    chmod(tmpl, 0755);
    char *sentinel = tt_asprintf("%s/sentinel.txt", tmpl);
    char *newfile = tt_asprintf("%s/new.txt", tmpl);
    char *tmpfile = tt_asprintf("/tmp/tianti-escape-%d", (int)getpid());
    char *vartmp = tt_asprintf("/var/tmp/tianti-escape-%d", (int)getpid());
    char *shm = tt_asprintf("/dev/shm/tianti-escape-%d", (int)getpid());
    char err[TT_ERR_SIZE];
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
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
            "attempt('tmp', lambda: open('%s', 'w').write('pwned'))\n"
            "attempt('vartmp', lambda: open('%s', 'w').write('pwned'))\n"
            "attempt('shm', lambda: open('%s', 'w').write('pwned'))\n",
            sentinel, newfile, sentinel, tmpl, tmpfile, vartmp, shm);
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(lc->name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        int confined = is_strict(lc) || (r.protections & SANDBOX_PROT_LANDLOCK);
        if (is_weak(lc) && !(lc->simulate & SANDBOX_SIM_NO_LANDLOCK))
            assert_true(r.protections & SANDBOX_PROT_LANDLOCK);   /* this kernel has it */
        int own_uid = (r.protections & SANDBOX_PROT_UID) && getuid() == 0;
        if (confined || own_uid) {
            char *content = NULL;
            size_t len = 0;
            assert_int_equal(tt_read_file(sentinel, &content, &len, err), TT_OK);
            assert_string_equal(content, "original");
            free(content);
            assert_false(tt_file_exists(newfile));
            assert_null(strstr(r.out, "overwrite SUCCEEDED"));
            assert_null(strstr(r.out, "delete SUCCEEDED"));
        } else {
            printf("#   level none without a uid of its own: writes outside are not prevented\n");
        }
        if (confined) {
            assert_false(tt_file_exists(tmpfile));
            assert_false(tt_file_exists(vartmp));
            assert_false(tt_file_exists(shm));
            /* strict: /tmp is its own (the work directory), the rest absent */
            if (!is_strict(lc)) assert_null(strstr(r.out, "SUCCEEDED"));
        } else {
            printf("#   %s: /tmp, /var/tmp and /dev/shm are world-writable and not confined here\n", lc->name);
        }
        unlink(tmpfile);
        unlink(vartmp);
        unlink(shm);
        unlink(newfile);
        free(prog);
        sandbox_result_free(&r);
    }
    unlink(sentinel);
    rmdir(tmpl);
    free(sentinel);
    free(newfile);
    free(tmpfile);
    free(vartmp);
    free(shm);
}

/* A world-readable host file (the results store, a dataset): strict does
 * not see it, weak may not open it. */
static void test_sandbox_hostile_reads_host_files(void **state)
{
    (void)state;
    NEED_PYTHON();
    char tmpl[] = "/tmp/tianti-test-store-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    chmod(tmpl, 0755);
    char *store = tt_asprintf("%s/results.db", tmpl);
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_write_file(store, "TOP-SECRET-STORE-CONTENT", 24, err), TT_OK);
    chmod(store, 0644);
    char *prog = tt_asprintf(
        "for p in ['%s', '/etc/passwd', '/etc/hostname']:\n"
        "    try:\n"
        "        print(p, open(p).read()[:40])\n"
        "    except Exception as e:\n"
        "        print(p, 'blocked:', type(e).__name__)\n",
        store);
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(lc->name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        if (is_strict(lc) || (r.protections & SANDBOX_PROT_LANDLOCK)) {
            assert_null(strstr(r.out, "TOP-SECRET"));
            assert_null(strstr(r.out, "root:"));
            if (is_strict(lc)) assert_non_null(strstr(r.out, "FileNotFoundError"));   /* not even there */
        } else {
            printf("#   %s: host files readable on this level\n", lc->name);
        }
        sandbox_result_free(&r);
    }
    free(prog);
    unlink(store);
    rmdir(tmpl);
    free(store);
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
        "try:\n"
        "    pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "except Exception:\n"
        "    pids = []\n"
        "pids.append(str(os.getppid()))\n"
        "for p in pids:\n"
        "    try:\n"
        "        print(p, open('/proc/%s/environ' % p, 'rb').read())\n"
        "    except Exception as e:\n"
        "        pass\n";
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        cfg.capture_bytes = (size_t)1 << 20;
        sandbox_result r;
        run(&cfg, prog, &r);
        show(lc->name, &r);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        assert_int_equal(r.truncated, 0);
        assert_null(strstr(r.out, "OPENAI_API_KEY"));
        assert_null(strstr(r.out, "TIANTI_TEST_SECRET"));   /* its own environment is clean */
        if (is_strict(lc) || (r.protections & SANDBOX_PROT_LANDLOCK) ||
            ((r.protections & SANDBOX_PROT_UID) && getuid() == 0)) {
            assert_null(strstr(r.out, secret));
        } else {
            printf("#   %s: same uid and host /proc: other processes' environments are not hidden\n", lc->name);
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
    /* A listener of ours on 127.0.0.1 that the program tries to reach, over
     * TCP, UDP and a unix socket path. */
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
        "def attempt(name, fn):\n"
        "    try:\n"
        "        fn()\n"
        "        print(name, 'CONNECTED')\n"
        "    except OSError as e:\n"
        "        print(name, 'blocked:', e)\n"
        "def tcp():\n"
        "    s = socket.socket()\n"
        "    s.settimeout(2)\n"
        "    s.connect(('127.0.0.1', %d))\n"
        "def udp():\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.sendto(b'x', ('127.0.0.1', %d))\n"
        "def unix():\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    s.connect('/run/tianti-test-no-such.sock')\n"
        "attempt('tcp', tcp)\n"
        "attempt('udp', udp)\n"
        "attempt('unix', unix)\n",
        port, port);
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(lc->name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        if (lc->expect != SANDBOX_LEVEL_NONE) {
            assert_null(strstr(r.out, "CONNECTED"));
            assert_non_null(strstr(r.out, "tcp blocked"));
            assert_non_null(strstr(r.out, "udp blocked"));
            if (is_weak(lc)) assert_non_null(strstr(r.out, "unix blocked: [Errno 1]"));   /* connect refused by seccomp */
        } else {
            printf("#   level none: the network is not blocked\n");
        }
        sandbox_result_free(&r);
    }
    free(prog);
    close(ls);
}

/* System calls a judged program has no use for: refused at strict and
 * weak by the seccomp filter. */
static void test_sandbox_hostile_kernel_calls(void **state)
{
    (void)state;
    NEED_PYTHON();
    const char *prog =
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def attempt(name, fn):\n"
        "    r = fn()\n"
        "    e = ctypes.get_errno()\n"
        "    print(name, 'ALLOWED' if r != -1 else 'refused', os.strerror(e) if r == -1 else r)\n"
        "attempt('unshare-user', lambda: libc.unshare(0x10000000))\n"
        "attempt('unshare-net', lambda: libc.unshare(0x40000000))\n"
        "attempt('clone-newuser', lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0))\n"
        "attempt('setns', lambda: libc.setns(0, 0))\n"
        "attempt('chroot', lambda: libc.chroot(b'/'))\n"
        "attempt('mount', lambda: libc.mount(b'none', b'.', b'tmpfs', 0, None))\n"
        "attempt('ptrace', lambda: libc.ptrace(16, os.getppid(), 0, 0))\n"
        "attempt('keyctl', lambda: libc.syscall(250, 0, 0, 0, 0, 0))\n"
        "attempt('add_key', lambda: libc.syscall(248, b'user', b'k', b'v', 1, -3))\n"
        "attempt('bpf', lambda: libc.syscall(321, 0, 0, 0))\n"
        "attempt('perf_event_open', lambda: libc.syscall(298, 0, 0, -1, -1, 0))\n"
        "attempt('pivot_root', lambda: libc.syscall(155, b'.', b'.'))\n"
        "attempt('init_module', lambda: libc.syscall(175, 0, 0, b''))\n"
        "attempt('kexec_load', lambda: libc.syscall(246, 0, 0, 0, 0))\n";
#ifndef __x86_64__
    printf("# skipped: the syscall numbers in this test are x86_64's\n");
    skip();
#endif
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg, prog, &r);
        show(lc->name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        if (lc->expect != SANDBOX_LEVEL_NONE) {
            assert_null(strstr(r.out, "ALLOWED"));
            assert_non_null(strstr(r.out, "unshare-user refused Operation not permitted"));
            assert_non_null(strstr(r.out, "clone-newuser refused Operation not permitted"));
            assert_non_null(strstr(r.out, "chroot refused Operation not permitted"));
            assert_non_null(strstr(r.out, "bpf refused Operation not permitted"));
        }
        sandbox_result_free(&r);
    }
}

/* Strict: /proc shows only the sandbox's own processes. */
static void test_sandbox_strict_sees_only_itself(void **state)
{
    (void)state;
    NEED_PYTHON();
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (!is_strict(lc) || !level_available(lc)) continue;
        sandbox_config cfg;
        level_config(&cfg, lc);
        sandbox_result r;
        run(&cfg,
            "import os\n"
            "print(len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
            "print(sorted(os.listdir('/')))\n",
            &r);
        show(lc->name, &r);
        printf("%s", r.out);
        assert_int_equal(r.outcome, SANDBOX_PASSED);
        int n = atoi(r.out);
        assert_true(n >= 1 && n <= 3);   /* init, the program (and python's own nothing) */
        assert_null(strstr(r.out, "'home'"));
        assert_null(strstr(r.out, "'root'"));
        assert_null(strstr(r.out, "'var'"));
        assert_true(r.protections & SANDBOX_PROT_MIN_ROOT);
        sandbox_result_free(&r);
    }
}

/* As an unprivileged user (the uid then protects nothing): a process of
 * the same user outside the sandbox (a victim), the sandbox's own parent
 * and kill(-1) must survive every signal the program sends, at strict and
 * weak; the parent's environment stays unread where Landlock or a PID
 * namespace hides it. Run in a child that drops to nobody (65534). */
static void test_sandbox_hostile_signals_as_unprivileged_user(void **state)
{
    (void)state;
    NEED_PYTHON();
    if (geteuid() != 0) {
        printf("# skipped: becoming another unprivileged user needs root\n");
        skip();
    }
    for (size_t m = 0; m < N_LEVELS; m++) {
        const level_case *lc = &k_levels[m];
        if (lc->expect == SANDBOX_LEVEL_NONE) continue;
        if (lc->mode == SANDBOX_NS_AUTO && is_strict(lc)) continue;   /* root's path: not for nobody */
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            close(pfd[0]);
            if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) _exit(90);
            prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);   /* as a user's login shell is, not as a setuid() left it */
            setenv("TIANTI_TEST_SECRET", "sk-parent-secret-31337", 1);
            pid_t victim = fork();
            if (victim == 0) {
                setsid();
                for (;;) pause();
            }
            sandbox_config cfg;
            level_config(&cfg, lc);
            cfg.tmp_base = "/tmp";
            char *prog = tt_asprintf(
                "import os, signal\n"
                "for pid in (-1, %d, -%d, os.getppid()):\n"
                "    try:\n"
                "        os.kill(pid, signal.SIGKILL)\n"
                "        print('kill', pid, 'returned')\n"
                "    except OSError as e:\n"
                "        print('kill', pid, 'refused', e.errno)\n"
                "try:\n"
                "    print(open('/proc/%%d/environ' %% os.getppid(), 'rb').read())\n"
                "except Exception as e:\n"
                "    print('environ blocked', type(e).__name__)\n"
                "try:\n"
                "    print(open('/proc/%d/environ', 'rb').read())\n"
                "except Exception as e:\n"
                "    print('victim environ blocked', type(e).__name__)\n",
                (int)victim, (int)victim, (int)victim);
            sandbox_result r;
            char err[TT_ERR_SIZE];
            int rc = sandbox_run(&cfg, prog, strlen(prog), &r, err);
            struct timespec ts = { 0, 200 * 1000 * 1000 };
            nanosleep(&ts, NULL);
            int victim_alive = waitpid(victim, NULL, WNOHANG) == 0 && kill(victim, 0) == 0;
            char *report = tt_asprintf("rc=%d outcome=%s level=%s victim_alive=%d landlock=%d secret_seen=%d\n%s%s", rc,
                                       sandbox_outcome_name(r.outcome), sandbox_level_name(r.level), victim_alive,
                                       (r.protections & SANDBOX_PROT_LANDLOCK) != 0,
                                       strstr(r.out ? r.out : "", "sk-parent-secret") != NULL, r.out ? r.out : "",
                                       r.detail);
            ssize_t w = write(pfd[1], report, strlen(report));
            (void)w;
            kill(victim, SIGKILL);
            waitpid(victim, NULL, 0);
            _exit(0);
        }
        close(pfd[1]);
        char buf[8192];
        size_t got = 0;
        ssize_t n;
        while (got < sizeof buf - 1 && (n = read(pfd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
        buf[got] = '\0';
        close(pfd[0]);
        int st = 0;
        waitpid(child, &st, 0);
        printf("# %s as nobody:\n%s\n", lc->name, buf);
        /* the child (the sandbox's parent) survived: it wrote the report */
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (strstr(buf, "outcome=refused")) {
            assert_true(is_strict(lc));   /* user namespaces may be closed to nobody */
            printf("#   %s unavailable to an unprivileged user here\n", lc->name);
            continue;
        }
        assert_non_null(strstr(buf, "outcome=passed"));
        assert_non_null(strstr(buf, "victim_alive=1"));
        if (is_strict(lc) || strstr(buf, "landlock=1")) assert_non_null(strstr(buf, "secret_seen=0"));
        else printf("#   %s without Landlock: the parent's environment is readable by the same user\n", lc->name);
    }
}

static void test_sandbox_hostile_prints_gigabytes(void **state)
{
    (void)state;
    NEED_PYTHON();
    sandbox_config cfg;
    base_config(&cfg);
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
    sandbox_protections_str(SANDBOX_PROT_SECCOMP | SANDBOX_PROT_MIN_ROOT | SANDBOX_PROT_SIGNALS, buf, sizeof buf);
    assert_string_equal(buf, "seccomp,min-root,signals");
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
        cmocka_unit_test(test_sandbox_level_names),
        cmocka_unit_test(test_sandbox_run_passed_captures_stdout),
        cmocka_unit_test(test_sandbox_run_failed_reports_assertion),
        cmocka_unit_test(test_sandbox_run_exit_status_and_stdin),
        cmocka_unit_test(test_sandbox_run_crashed_on_signal),
        cmocka_unit_test(test_sandbox_run_cwd_is_fresh_and_removed),
        cmocka_unit_test(test_sandbox_run_output_truncated),
        cmocka_unit_test(test_sandbox_run_refused_without_interpreter),
        cmocka_unit_test(test_sandbox_run_refused_when_required_protection_missing),
        cmocka_unit_test(test_sandbox_strict_refuses_without_namespaces),
        cmocka_unit_test(test_sandbox_run_rejects_bad_arguments),
        cmocka_unit_test(test_sandbox_proof_channel),
        cmocka_unit_test(test_sandbox_run_many_parallel),
        cmocka_unit_test(test_sandbox_run_many_distinct_uids),
        cmocka_unit_test(test_sandbox_hostile_endless_loop_times_out),
        cmocka_unit_test(test_sandbox_hostile_cpu_limit),
        cmocka_unit_test(test_sandbox_hostile_escaped_process_killed),
        cmocka_unit_test(test_sandbox_hostile_fork_bomb_contained),
        cmocka_unit_test(test_sandbox_hostile_memory_exhaustion),
        cmocka_unit_test(test_sandbox_hostile_writes_and_deletes_outside),
        cmocka_unit_test(test_sandbox_hostile_reads_host_files),
        cmocka_unit_test(test_sandbox_hostile_reads_secret_from_env),
        cmocka_unit_test(test_sandbox_hostile_network_connection),
        cmocka_unit_test(test_sandbox_hostile_kernel_calls),
        cmocka_unit_test(test_sandbox_strict_sees_only_itself),
        cmocka_unit_test(test_sandbox_hostile_signals_as_unprivileged_user),
        cmocka_unit_test(test_sandbox_hostile_prints_gigabytes),
    };
    return cmocka_run_group_tests(tests, setup_python, NULL);
}
