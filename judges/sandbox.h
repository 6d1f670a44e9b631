/*
 * sandbox.h — run one untrusted program (model-written code) in a contained
 * child process and report what happened.
 *
 * Called by judges/code_judge.c (HumanEval-style execution judging) and, for
 * batches, by the runner through sandbox_run_many(), which spreads the runs
 * over a pthread pool of --jobs workers. Uses libc, Linux system calls and
 * libseccomp (this floor alone links it: tests/floors.txt); nothing here
 * knows about tasks or models.
 *
 * Levels (sandbox_config.level: strict runs only at strict; weak runs at
 * strict where the host allows and at weak otherwise; none runs without a
 * sandbox. The result says which was used — sandbox_result.level):
 *
 *   strict  (default) a child made with clone(2) in new PID, network, mount,
 *           IPC and UTS namespaces (as root directly, otherwise inside a new
 *           user namespace) that sees a minimal root of its own: a
 *           read-only tmpfs holding the system directories (/usr, /bin, /lib
 *           ...) bind-mounted read-only, /dev with null, zero, full, random
 *           and urandom only, a /proc of its PID namespace, and a
 *           size-limited tmpfs work directory /work (also /tmp) — no view of
 *           the host's other files (home directories, the results store,
 *           datasets). It runs as a uid of its own (as root: uid_base + slot;
 *           otherwise an unprivileged id of its user namespace, with no
 *           capability outside it), under no_new_privs and a seccomp filter
 *           that refuses namespace creation (unshare, setns, clone with
 *           CLONE_NEW*, clone3), ptrace and process_vm_*, mounts and
 *           chroot/pivot_root, keyctl/add_key/request_key, bpf,
 *           perf_event_open, kexec, module loading, reboot, swap, acct,
 *           userfaultfd, iopl/ioperm, handles, TIOCSTI, and every socket
 *           family but AF_UNIX. When any of this cannot be set up the run is
 *           refused (outcome refused) with what was missing — never silently
 *           weaker.
 *   weak    no namespaces (containers under Docker's default seccomp
 *           profile, Ubuntu's restricted unprivileged user namespaces). The
 *           program still gets: a clean environment; its own session and
 *           process group, and it can signal nothing outside it (Landlock's
 *           signal scope on Linux 6.12+, otherwise a seccomp filter that
 *           allows kill/tgkill/rt_sigqueueinfo only on itself and its own
 *           group); rlimits; an own uid when tianti runs as root; the seccomp
 *           filter of strict, plus connect() and bind() refused (with
 *           sockets AF_UNIX-only, no network); with Landlock (Linux 5.13+)
 *           no file access outside its work directory but reading and
 *           executing the system directories (so no /proc/<pid>/environ, no
 *           /tmp, /var/tmp, /dev/shm, no results store), and no TCP (Linux
 *           6.7+). Without Landlock a non-root program can read and write
 *           what the user can: protections says so. Processes that leave the
 *           group with setsid() may outlive the run when not root.
 *   none    rlimits, a clean environment, its own process group and work
 *           directory; nothing else. For trusted code only.
 *
 * Every level: setrlimit on CPU time, address space, file size, open files,
 * number of processes, core dumps (0); stdin from /dev/null, stdout/stderr
 * captured through pipes (kept up to a limit, drained beyond it, and the run
 * killed past a second limit); at the wall-clock deadline the group is
 * killed with SIGKILL (and with a PID namespace the kernel kills every
 * process in it when its first process dies); a host temporary directory
 * (mkdtemp) removed afterwards.
 *
 * The proof channel (sandbox_config.proof): the run gets a fresh random
 * nonce on fd 3 (a pipe holding it, its writer closed) and a pipe to write
 * it back on fd 4. sandbox_result.proof_ok says that fd 4 delivered exactly
 * the nonce. The nonce is nowhere in the program text, its argv or its
 * environment, so printing it requires having read fd 3: code_judge.c's
 * harness reads it, closes both fds and writes it only after check()
 * returned.
 *
 * The program text is written to the file `main.py` (SANDBOX_PROGRAM_NAME)
 * in the work directory and run as `<interpreter> <args...> main.py`.
 *
 * Thread safety: sandbox_run() may be called from many threads at once; it
 * keeps no global state besides an atomic slot counter for uids and the
 * seccomp programs built once.
 */
#ifndef TIANTI_SANDBOX_H
#define TIANTI_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"

#define SANDBOX_PROGRAM_NAME "main.py"
#define SANDBOX_DETAIL_SIZE 1024

typedef enum sandbox_outcome {
    SANDBOX_PASSED = 0,   /* exited with status 0 */
    SANDBOX_FAILED,       /* exited nonzero (assertion, exception), or killed
                             for printing past the output kill limit */
    SANDBOX_TIMED_OUT,    /* wall-clock deadline or CPU-time limit reached */
    SANDBOX_CRASHED,      /* killed by a signal of its own making (SIGSEGV,
                             SIGABRT, SIGXFSZ, SIGKILL from the kernel ...) */
    SANDBOX_REFUSED       /* the sandbox could not be set up; nothing ran */
} sandbox_outcome;

/* Protections actually in force for a run (bits of sandbox_result.protections). */
enum sandbox_protection {
    SANDBOX_PROT_RLIMITS   = 1u << 0,  /* setrlimit CPU/AS/FSIZE/NOFILE/NPROC/CORE */
    SANDBOX_PROT_PGROUP    = 1u << 1,  /* own session; group SIGKILLed at the end */
    SANDBOX_PROT_CLEAN_ENV = 1u << 2,  /* environment built from scratch */
    SANDBOX_PROT_TMPDIR    = 1u << 3,  /* own empty working directory */
    SANDBOX_PROT_PIDNS     = 1u << 4,  /* new PID namespace */
    SANDBOX_PROT_NETNS     = 1u << 5,  /* new network namespace (no interfaces up) */
    SANDBOX_PROT_MOUNTNS   = 1u << 6,  /* new mount namespace */
    SANDBOX_PROT_RO_ROOT   = 1u << 7,  /* every inherited mount read-only */
    SANDBOX_PROT_TMPFS     = 1u << 8,  /* work directory is a private size-limited tmpfs */
    SANDBOX_PROT_PROC      = 1u << 9,  /* /proc shows only the sandbox's processes
                                          (or is hidden) */
    SANDBOX_PROT_USERNS    = 1u << 10, /* new user namespace (unprivileged path) */
    SANDBOX_PROT_UID       = 1u << 11, /* runs as an unprivileged uid of its own */
    SANDBOX_PROT_NO_NEW_PRIVS = 1u << 12, /* prctl(PR_SET_NO_NEW_PRIVS) */
    SANDBOX_PROT_IPCNS     = 1u << 13, /* new IPC and UTS namespaces */
    SANDBOX_PROT_SECCOMP   = 1u << 14, /* the seccomp filter (see the levels above) */
    SANDBOX_PROT_MIN_ROOT  = 1u << 15, /* a minimal root: no view of the host's files */
    SANDBOX_PROT_LANDLOCK  = 1u << 16, /* Landlock: files beyond the system
                                          directories and the work directory
                                          cannot be opened */
    SANDBOX_PROT_NO_TCP    = 1u << 17, /* Landlock: no TCP connect or bind */
    SANDBOX_PROT_SIGNALS   = 1u << 18  /* cannot signal a process outside its
                                          own group (PID namespace, Landlock
                                          scope, or the seccomp signal filter) */
};

/* What a level is: the weakest the caller accepts (config), the one used
 * (result). */
typedef enum sandbox_level {
    SANDBOX_LEVEL_STRICT = 0,
    SANDBOX_LEVEL_WEAK,
    SANDBOX_LEVEL_NONE
} sandbox_level;

/* Protections each level needs: a run that cannot have them all is not at
 * that level. */
#define SANDBOX_STRICT_PROTS                                                              \
    (SANDBOX_PROT_RLIMITS | SANDBOX_PROT_PGROUP | SANDBOX_PROT_CLEAN_ENV |                \
     SANDBOX_PROT_PIDNS | SANDBOX_PROT_NETNS | SANDBOX_PROT_MOUNTNS | SANDBOX_PROT_TMPFS | \
     SANDBOX_PROT_PROC | SANDBOX_PROT_UID | SANDBOX_PROT_NO_NEW_PRIVS |                   \
     SANDBOX_PROT_SECCOMP | SANDBOX_PROT_MIN_ROOT | SANDBOX_PROT_SIGNALS)
#define SANDBOX_WEAK_PROTS                                                               \
    (SANDBOX_PROT_RLIMITS | SANDBOX_PROT_PGROUP | SANDBOX_PROT_CLEAN_ENV |                \
     SANDBOX_PROT_TMPDIR | SANDBOX_PROT_NO_NEW_PRIVS | SANDBOX_PROT_SECCOMP |             \
     SANDBOX_PROT_SIGNALS)

/* Test switches (sandbox_config.simulate): behave as on a host without the
 * feature. */
enum sandbox_simulate {
    SANDBOX_SIM_NO_LANDLOCK = 1u << 0,   /* no Landlock at all */
    SANDBOX_SIM_NO_SCOPE    = 1u << 1    /* Landlock without signal scoping */
};

/* Which namespace path the strict level takes. */
typedef enum sandbox_ns_mode {
    SANDBOX_NS_AUTO = 0,  /* root namespaces as root, else a user namespace */
    SANDBOX_NS_NONE,      /* no namespaces: the strict level is not tried
                             (weak or none, as the level allows) */
    SANDBOX_NS_USER       /* the user-namespace path only */
} sandbox_ns_mode;

typedef struct sandbox_config {
    const char *interpreter;     /* absolute path; default "/usr/bin/python3" */
    const char *const *interp_args; /* NULL-terminated args put before main.py;
                                       NULL = {"-I", "-B", NULL} for python */
    const char *tmp_base;        /* parent of the host temp dirs; NULL = $TMPDIR
                                    or /tmp */
    double wall_s;               /* wall-clock deadline; default 10 */
    int cpu_s;                   /* RLIMIT_CPU soft (hard = soft + 1); default 10 */
    size_t as_bytes;             /* RLIMIT_AS; default 1 GiB */
    size_t fsize_bytes;          /* RLIMIT_FSIZE, and the tmpfs size; default 16 MiB */
    int nofile;                  /* RLIMIT_NOFILE; default 64 */
    int nproc;                   /* RLIMIT_NPROC; default 32 */
    size_t capture_bytes;        /* bytes kept per stream; default 64 KiB */
    size_t output_kill_bytes;    /* total output after which the run is killed
                                    (outcome failed); default 8 MiB */
    sandbox_level level;         /* strict (default), weak (strict where
                                    possible, else weak) or none */
    sandbox_ns_mode ns_mode;     /* default SANDBOX_NS_AUTO */
    int proof;                   /* 1: the nonce channel on fds 3 and 4 */
    unsigned simulate;           /* SANDBOX_SIM_* (tests); default 0 */
    unsigned require;            /* SANDBOX_PROT_* bits that must hold, else the
                                    run is refused; default 0 */
    unsigned uid_base;           /* first uid of the per-run uids used when
                                    root; default 62000 */
    unsigned uid_count;          /* how many uids in that range; default 1000 */
    const char *const *extra_env; /* NULL-terminated "NAME=value" entries added
                                     to the minimal environment; may be NULL */
} sandbox_config;

typedef struct sandbox_result {
    sandbox_outcome outcome;
    int exit_code;          /* when it exited, else -1 */
    int term_signal;        /* signal that ended it, else 0 */
    double wall_s;          /* wall time from start to reap */
    double cpu_s;           /* user + system CPU of the reaped child */
    char *out;              /* captured stdout, NUL-terminated, never NULL
                               after sandbox_run (empty when nothing ran);
                               caller frees with sandbox_result_free() */
    size_t out_len;
    char *errout;           /* captured stderr, likewise */
    size_t err_len;
    size_t out_total;       /* bytes the program wrote to stdout+stderr */
    int truncated;          /* 1 when a stream was cut at capture_bytes */
    int output_killed;      /* 1 when killed past output_kill_bytes */
    unsigned protections;   /* SANDBOX_PROT_* in force */
    sandbox_level level;    /* the level the program ran at (when it ran) */
    int proof_ok;           /* proof: fd 4 delivered exactly the nonce */
    unsigned uid;           /* uid the program ran as (host view) */
    char detail[SANDBOX_DETAIL_SIZE]; /* one-paragraph reason: the traceback
                                         tail for failed, the signal for
                                         crashed, the setup error for refused */
} sandbox_result;

/* Fills cfg with the defaults above. */
void sandbox_config_init(sandbox_config *cfg);

/*
 * Runs `program` (len bytes, need not be NUL-terminated) under cfg.
 * Returns TT_OK whenever a result was produced — including outcome
 * SANDBOX_REFUSED, whose reason is in res->detail — and TT_ERR_USAGE
 * (message in err) only for invalid arguments. res is overwritten; release
 * it with sandbox_result_free().
 */
int sandbox_run(const sandbox_config *cfg, const char *program, size_t len,
                sandbox_result *res, char err[TT_ERR_SIZE]);

/*
 * Runs n programs on a pool of `jobs` threads (jobs < 1 means 1). results
 * must hold n entries; each is filled as by sandbox_run(). Returns TT_OK, or
 * the first error of sandbox_run() (other programs still ran).
 */
int sandbox_run_many(const sandbox_config *cfg, const char *const *programs,
                     const size_t *lens, size_t n, int jobs,
                     sandbox_result *results, char err[TT_ERR_SIZE]);

/* Releases what a result owns; accepts a zeroed or already freed result. */
void sandbox_result_free(sandbox_result *res);

/* "strict", "weak", "none". */
const char *sandbox_level_name(sandbox_level l);
/* Parses a level name; TT_ERR_USAGE (naming the choices) otherwise. */
int sandbox_level_parse(const char *name, sandbox_level *out, char err[TT_ERR_SIZE]);

/* Runs a trivial program under cfg: TT_OK with the level and protections
 * the host gives (into *level and prot, always NUL-terminated), or TT_ERR
 * with why the sandbox cannot run at cfg's level and how to accept a weaker
 * one. For a caller that wants to know before it spends anything. */
int sandbox_check(const sandbox_config *cfg, sandbox_level *level, char *prot, size_t prot_n,
                  char err[TT_ERR_SIZE]);

/* "passed", "failed", "timed_out", "crashed", "refused". */
const char *sandbox_outcome_name(sandbox_outcome o);

/* Comma-separated names of the protection bits ("pidns,netns,..."), written
 * into buf (always NUL-terminated); returns buf. */
char *sandbox_protections_str(unsigned prot, char *buf, size_t size);

#endif
