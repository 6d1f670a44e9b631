/*
 * sandbox.h — run one untrusted program (model-written code) in a contained
 * child process and report what happened.
 *
 * Called by judges/code_judge.c (HumanEval-style execution judging) and, for
 * batches, by the runner through sandbox_run_many(), which spreads the runs
 * over a pthread pool of --jobs workers. Uses only libc and Linux system
 * calls; nothing here knows about tasks or models.
 *
 * What a run gets (each layer is tried, and the result says which held):
 *   - a child made with clone(2) in new PID, network, mount, IPC and UTS
 *     namespaces when the system allows (as root directly, otherwise inside a
 *     new user namespace); with no namespaces at all as the last fallback;
 *   - in the mount namespace: every mount made read-only, a fresh size-limited
 *     tmpfs as its working directory, a fresh /proc for its PID namespace;
 *   - as root: an unprivileged uid/gid of its own (uid_base + slot), so
 *     RLIMIT_NPROC counts only this run and writes outside the work
 *     directory fail even without a mount namespace; no_new_privs;
 *   - setrlimit on CPU time, address space, file size, open files, number of
 *     processes, core dumps (0);
 *   - a minimal environment built from scratch (nothing is inherited);
 *   - stdin from /dev/null, stdout/stderr captured through pipes (kept up to
 *     a limit, drained beyond it, and the run killed past a second limit);
 *   - its own session/process group; at the wall-clock deadline the group
 *     is killed with SIGKILL (and with a PID namespace the kernel kills every
 *     process in it when its first process dies);
 *   - a host temporary directory (mkdtemp) that is removed afterwards.
 *
 * The program text is written to the file `main.py` (SANDBOX_PROGRAM_NAME)
 * in the work directory and run as `<interpreter> <args...> main.py`.
 *
 * Thread safety: sandbox_run() may be called from many threads at once; it
 * keeps no global state besides an atomic slot counter for uids.
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
    SANDBOX_PROT_IPCNS     = 1u << 13  /* new IPC and UTS namespaces */
};

/* Which isolation path to use. */
typedef enum sandbox_ns_mode {
    SANDBOX_NS_AUTO = 0,  /* best available: root namespaces, else user
                             namespace, else none */
    SANDBOX_NS_NONE,      /* no namespaces (rlimits, uid, tmpdir, env only) */
    SANDBOX_NS_USER       /* force the user-namespace path */
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
    sandbox_ns_mode ns_mode;     /* default SANDBOX_NS_AUTO */
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

/* "passed", "failed", "timed_out", "crashed", "refused". */
const char *sandbox_outcome_name(sandbox_outcome o);

/* Comma-separated names of the protection bits ("pidns,netns,..."), written
 * into buf (always NUL-terminated); returns buf. */
char *sandbox_protections_str(unsigned prot, char *buf, size_t size);

#endif
