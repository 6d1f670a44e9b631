/*
 * sandbox.c — the contained child process behind sandbox.h.
 *
 * Called by judges/code_judge.c and the runner. One run goes:
 *   parent: prepare everything that needs memory (paths, argv, envp, the
 *           minimal root's mount list, the Landlock paths, the seccomp
 *           programs of sandbox_filter.c, id maps), make the host temp dir
 *           and the pipes;
 *   clone(2) with namespace flags (raw syscall, fork-like: no shared
 *           memory) — trying the paths the level allows in order: root
 *           namespaces, user namespace (strict), no namespaces with
 *           Landlock and seccomp (weak), nothing (none); moving on when the
 *           kernel refuses;
 *   child:  only async-signal-safe calls (no malloc, no stdio): id maps,
 *           session, the minimal root and pivot_root, program file, fds,
 *           rlimits, uid drop, no_new_privs, Landlock, seccomp, execve. It
 *           reports through a close-on-exec status pipe either "ready" (with
 *           the protection bits) or "failed at stage S with errno E";
 *   parent: poll stdout/stderr/the proof pipe until exit or deadline,
 *           SIGKILL the process group at the deadline, reap, sweep
 *           stragglers of the run's uid, remove the temp dir, classify.
 */
#include "judges/sandbox.h"
#include "judges/sandbox_filter.h"
#include "core/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct sbx_mount_attr {   /* struct mount_attr of linux/mount.h */
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* ---- isolation paths ------------------------------------------------------ */

enum sbx_path { PATH_ROOT_NS, PATH_USER_NS, PATH_WEAK, PATH_NONE };

#define NS_FLAGS_BASE (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
#define USERNS_INNER_ID 1000u
#define PROOF_NONCE_FD 3
#define PROOF_WRITE_FD 4
#define NONCE_HEX 64

/* Stages the child reports when it fails. */
enum sbx_stage {
    ST_IDMAP = 1, ST_MOUNT_PRIVATE, ST_ROOT, ST_PIVOT, ST_PROGRAM, ST_CHOWN, ST_CHDIR, ST_FDS,
    ST_RLIMIT, ST_SETSID, ST_DROP_UID, ST_NO_NEW_PRIVS, ST_LANDLOCK, ST_SECCOMP, ST_REQUIRE, ST_EXEC,
    ST_INIT
};

static const char *stage_name(int st)
{
    switch (st) {
    case ST_IDMAP: return "writing user namespace id maps";
    case ST_MOUNT_PRIVATE: return "making mounts private";
    case ST_ROOT: return "building the minimal root";
    case ST_PIVOT: return "entering the minimal root";
    case ST_PROGRAM: return "writing the program file";
    case ST_CHOWN: return "handing the work directory to the run's uid";
    case ST_CHDIR: return "entering the work directory";
    case ST_FDS: return "setting up stdin/stdout/stderr";
    case ST_RLIMIT: return "setting resource limits";
    case ST_SETSID: return "starting a new session";
    case ST_DROP_UID: return "dropping to an unprivileged uid";
    case ST_NO_NEW_PRIVS: return "setting no_new_privs";
    case ST_LANDLOCK: return "confining signals";
    case ST_SECCOMP: return "installing the seccomp filter";
    case ST_REQUIRE: return "checking required protections";
    case ST_EXEC: return "starting the interpreter";
    case ST_INIT: return "starting the program under the namespace's init";
    default: return "setting up";
    }
}

/* Stages whose failure means "this host cannot give this path": the next
 * path the level allows is tried. Anything else (the interpreter missing)
 * would fail on every path. */
static int stage_is_host_limit(int st)
{
    return st == ST_IDMAP || st == ST_MOUNT_PRIVATE || st == ST_ROOT || st == ST_PIVOT ||
           st == ST_NO_NEW_PRIVS || st == ST_LANDLOCK || st == ST_SECCOMP || st == ST_REQUIRE;
}

struct status_rec {
    int kind;          /* 1 ready, 2 failed, 3 program's wait status (in err) */
    int stage;
    int err;           /* errno */
    unsigned prot;
};

/* One step of building the minimal root (prepared by the parent). */
enum root_kind { OP_MKDIR, OP_BIND_DIR, OP_BIND_FILE, OP_BIND_DEV, OP_SYMLINK, OP_TMPFS, OP_PROC };
struct root_op {
    enum root_kind kind;
    char *dst;          /* under the new root (host path of the mount point) */
    const char *src;    /* bind source, symlink target, or tmpfs options */
};
#define MAX_ROOT_OPS 48

/* Everything the child needs, prepared by the parent before clone. */
struct child_ctx {
    enum sbx_path path;
    const char *workdir;            /* host temp dir: the new root, or the work dir */
    const char *prog_path;          /* where the program file is written */
    const char *run_dir;            /* the program's cwd: "/work" or workdir */
    const char *program;
    size_t program_len;
    const char *interp;             /* path execve takes */
    char *const *argv;
    char *const *envp;
    char root_opts[96];             /* the skeleton root's tmpfs */
    struct root_op *ops;
    int n_ops;
    int drop_uid;                   /* root path or weak/none as root */
    uid_t uid;
    gid_t gid;
    struct rlimit rl_cpu, rl_as, rl_fsize, rl_nofile, rl_nproc;
    unsigned require;
    unsigned base_prot;
    int out_w, err_w, status_w, go_r;
    int nonce_r, proof_w;           /* the proof channel, or -1 */
    const sbx_bpf *seccomp;         /* NULL: none (level none) */
    int landlock_abi;
    int landlock_scope;
    sbx_landlock_paths ll;
};

static _Atomic unsigned g_uid_slot;
static pthread_once_t g_slot_once = PTHREAD_ONCE_INIT;

static void slot_seed(void)
{
    /* Start where another process is unlikely to be (the locks decide). */
    atomic_store(&g_uid_slot, (unsigned)getpid() * 7919u + (unsigned)time(NULL));
}

/* Claims a uid slot no other run (in this or another process) holds: a
 * bound abstract unix socket "\0tianti-sbx-uid-<uid>", kept until the run
 * ends (the kernel frees the name when the socket closes, even if we die;
 * no file is left behind). Returns the socket (and *slot), or -1 when all
 * slots are busy. */
static int acquire_uid_slot(const sandbox_config *cfg, unsigned *slot)
{
    pthread_once(&g_slot_once, slot_seed);
    for (unsigned tries = 0; tries < cfg->uid_count; tries++) {
        unsigned s = atomic_fetch_add(&g_uid_slot, 1u) % cfg->uid_count;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "tianti-sbx-uid-%u",
                         cfg->uid_base + s);
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
        if (bind(fd, (struct sockaddr *)&a, len) == 0) {
            *slot = s;
            return fd;
        }
        close(fd);
    }
    return -1;
}

/* ---- child side: async-signal-safe only ------------------------------- */

static void child_report(int fd, int kind, int stage, int err, unsigned prot)
{
    struct status_rec r = { kind, stage, err, prot };
    ssize_t w;
    do {
        w = write(fd, &r, sizeof r);
    } while (w < 0 && errno == EINTR);
}

static __attribute__((noreturn)) void child_fail(const struct child_ctx *c, int stage)
{
    child_report(c->status_w, 2, stage, errno, 0);
    _exit(127);
}

static int write_all_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Parent side: writes a /proc/<pid>/ file of the child. */
static int write_proc_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write_all_fd(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static int set_mount_attr(const char *path, unsigned flags, uint64_t set, uint64_t clr)
{
    struct sbx_mount_attr a = { set, clr, 0, 0 };
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &a, sizeof a);
}

/* One step of the minimal root; 0 or -1 with errno. */
static int root_step(const struct root_op *op)
{
    const uint64_t ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    int fd;
    switch (op->kind) {
    case OP_MKDIR:
        return mkdir(op->dst, 0755) < 0 && errno != EEXIST ? -1 : 0;
    case OP_SYMLINK:
        return symlink(op->src, op->dst);
    case OP_BIND_DIR:
        if (mkdir(op->dst, 0755) < 0 && errno != EEXIST) return -1;
        if (mount(op->src, op->dst, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return set_mount_attr(op->dst, AT_RECURSIVE, ro, 0);
    case OP_BIND_FILE:
    case OP_BIND_DEV:
        fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
        if (mount(op->src, op->dst, NULL, MS_BIND, NULL) < 0) return -1;
        /* devices stay writable (/dev/null); files are read-only */
        return op->kind == OP_BIND_FILE ? set_mount_attr(op->dst, 0, ro, 0)
                                        : set_mount_attr(op->dst, 0, MOUNT_ATTR_NOSUID, 0);
    case OP_TMPFS:
        if (mkdir(op->dst, 0755) < 0 && errno != EEXIST) return -1;
        return mount("tmpfs", op->dst, "tmpfs", MS_NOSUID | MS_NODEV, op->src);
    case OP_PROC:
        if (mkdir(op->dst, 0555) < 0 && errno != EEXIST) return -1;
        return mount("proc", op->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    }
    errno = EINVAL;
    return -1;
}

/* The minimal root in workdir, entered with pivot_root: afterwards "/" is
 * a read-only tmpfs holding the bound system directories, /dev, /proc and
 * the writable /work (the cwd). */
static void enter_min_root(const struct child_ctx *c)
{
    if (mount("tmpfs", c->workdir, "tmpfs", MS_NOSUID | MS_NODEV, c->root_opts) < 0) child_fail(c, ST_ROOT);
    for (int i = 0; i < c->n_ops; i++)
        if (root_step(&c->ops[i]) < 0) child_fail(c, ST_ROOT);
    /* the program file, before the tree becomes read-only */
    int pfd = open(c->prog_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (pfd < 0) child_fail(c, ST_PROGRAM);
    if (write_all_fd(pfd, c->program, c->program_len) < 0) child_fail(c, ST_PROGRAM);
    close(pfd);
    if (chdir(c->workdir) < 0) child_fail(c, ST_PIVOT);
    if (syscall(SYS_pivot_root, ".", ".old") < 0) child_fail(c, ST_PIVOT);
    if (chdir("/") < 0 || umount2("/.old", MNT_DETACH) < 0 || rmdir("/.old") < 0) child_fail(c, ST_PIVOT);
    const uint64_t ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (set_mount_attr("/", 0, ro, 0) < 0 || set_mount_attr("/dev", 0, MOUNT_ATTR_RDONLY, 0) < 0)
        child_fail(c, ST_ROOT);
    if (chdir(c->run_dir) < 0) child_fail(c, ST_CHDIR);
}

/* The last steps, in the process that becomes the program: uid drop,
 * no_new_privs, Landlock and the signal filter (weak), seccomp, the
 * required-protections check, "ready", execve. */
static __attribute__((noreturn)) void exec_program(const struct child_ctx *c, unsigned prot)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (c->drop_uid) {
        /* Raw system calls: glibc's setresuid() would try to broadcast the
         * change to threads that exist only in the parent. */
        if (syscall(SYS_setgroups, 0, NULL) < 0 ||
            syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0 ||
            syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
            child_fail(c, ST_DROP_UID);
        prot |= SANDBOX_PROT_UID;
    } else if (c->path == PATH_USER_NS) {
        prot |= SANDBOX_PROT_UID;   /* caps vanish at execve: inner uid is not 0 */
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) prot |= SANDBOX_PROT_NO_NEW_PRIVS;
    else if (c->seccomp) child_fail(c, ST_NO_NEW_PRIVS);

    if (c->path == PATH_ROOT_NS || c->path == PATH_USER_NS) {
        prot |= SANDBOX_PROT_SIGNALS;   /* a PID namespace: nothing outside has a pid here */
    } else if (c->path == PATH_WEAK) {
        prot |= sbx_landlock_apply(c->landlock_abi, &c->ll, c->landlock_scope);
        if (!(prot & SANDBOX_PROT_SIGNALS)) {
            if (sbx_signal_filter_load(getpid()) < 0) child_fail(c, ST_LANDLOCK);
            prot |= SANDBOX_PROT_SIGNALS;
        }
    }
    if (c->seccomp) {
        if (sbx_seccomp_load(c->seccomp) < 0) child_fail(c, ST_SECCOMP);
        prot |= SANDBOX_PROT_SECCOMP;
    }

    if ((c->require & prot) != c->require) {
        child_report(c->status_w, 2, ST_REQUIRE, 0, prot);
        _exit(127);
    }
    child_report(c->status_w, 1, 0, 0, prot);
    execve(c->interp, c->argv, c->envp);
    child_fail(c, ST_EXEC);
}

/* Moves fd to a number at or above 64 (close-on-exec), so that fixed
 * targets (0-4) can be assigned without clobbering each other. */
static int lift_fd(int fd)
{
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 64);
}

static __attribute__((noreturn)) void child_main(const struct child_ctx *cin)
{
    struct child_ctx cc = *cin;
    struct child_ctx *c = &cc;
    unsigned prot = c->base_prot;

    if (c->path == PATH_USER_NS) {
        /* The parent writes our id maps (it may map us to the run's uid when
         * it is root); wait for its word. */
        char go = 0;
        ssize_t r;
        do {
            r = read(c->go_r, &go, 1);
        } while (r < 0 && errno == EINTR);
        if (r != 1 || go != 'g') {
            errno = EPERM;
            child_fail(c, ST_IDMAP);
        }
        /* Become the mapped inner id (keeping our namespace capabilities
         * until execve) so files we create are owned by a mapped id. */
        syscall(SYS_setgroups, 0, NULL);   /* denied (EPERM) when not root */
        if (syscall(SYS_setresgid, USERNS_INNER_ID, USERNS_INNER_ID, USERNS_INNER_ID) < 0 ||
            syscall(SYS_setresuid, USERNS_INNER_ID, USERNS_INNER_ID, USERNS_INNER_ID) < 0)
            child_fail(c, ST_IDMAP);
        prot |= SANDBOX_PROT_USERNS;
    }
    /* This process is a copy of the parent, environment and memory: nobody
     * may read it through /proc (the program's init, in a PID namespace).
     * Not before the id maps are written: the parent writes them as the
     * owner of /proc/<pid>/uid_map, which a non-dumpable process is not. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (setsid() < 0) child_fail(c, ST_SETSID);
    prot |= SANDBOX_PROT_PGROUP;
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    int ns = c->path == PATH_ROOT_NS || c->path == PATH_USER_NS;
    if (ns) {
        prot |= SANDBOX_PROT_PIDNS | SANDBOX_PROT_NETNS | SANDBOX_PROT_MOUNTNS | SANDBOX_PROT_IPCNS;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(c, ST_MOUNT_PRIVATE);
        enter_min_root(c);
        prot |= SANDBOX_PROT_MIN_ROOT | SANDBOX_PROT_TMPFS | SANDBOX_PROT_RO_ROOT | SANDBOX_PROT_PROC;
    } else {
        int pfd = open(c->prog_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (pfd < 0) child_fail(c, ST_PROGRAM);
        if (write_all_fd(pfd, c->program, c->program_len) < 0) child_fail(c, ST_PROGRAM);
        close(pfd);
        if (c->drop_uid && chown(c->workdir, c->uid, c->gid) < 0) child_fail(c, ST_CHOWN);
        if (chdir(c->run_dir) < 0) child_fail(c, ST_CHDIR);
    }

    /* fds: 0 /dev/null, 1 and 2 the capture pipes, 3 and 4 the proof
     * channel; everything else closes at execve. */
    int out = lift_fd(c->out_w), errw = lift_fd(c->err_w), st = lift_fd(c->status_w);
    int nonce = lift_fd(c->nonce_r), proof = lift_fd(c->proof_w);
    if (out < 0 || errw < 0 || st < 0 || (c->nonce_r >= 0 && (nonce < 0 || proof < 0)))
        child_fail(c, ST_FDS);
    c->status_w = st;
    int nul = open("/dev/null", O_RDONLY);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(errw, 2) < 0) child_fail(c, ST_FDS);
    if (nonce >= 0 && (dup2(nonce, PROOF_NONCE_FD) < 0 || dup2(proof, PROOF_WRITE_FD) < 0))
        child_fail(c, ST_FDS);
    unsigned first_closed = nonce >= 0 ? 5u : 3u;
    if (syscall(SYS_close_range, first_closed, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = (int)first_closed; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    c->out_w = 1;
    c->err_w = 2;

    struct rlimit zero = { 0, 0 };
    if (setrlimit(RLIMIT_CORE, &zero) < 0 || setrlimit(RLIMIT_CPU, &c->rl_cpu) < 0 ||
        setrlimit(RLIMIT_AS, &c->rl_as) < 0 || setrlimit(RLIMIT_FSIZE, &c->rl_fsize) < 0 ||
        setrlimit(RLIMIT_NOFILE, &c->rl_nofile) < 0 || setrlimit(RLIMIT_NPROC, &c->rl_nproc) < 0)
        child_fail(c, ST_RLIMIT);
    prot |= SANDBOX_PROT_RLIMITS;

    if (!ns) exec_program(c, prot);

    /* In a PID namespace we are its init. The program must not be: the
     * kernel ignores signals an init has no handler for (SIGXCPU, abort's
     * SIGABRT), which would change how it dies. So we fork it and reap. */
    int ep[2];
    if (syscall(SYS_pipe2, ep, O_CLOEXEC) < 0) child_fail(c, ST_INIT);
    struct child_ctx pc = *c;   /* the program reports through ep */
    pc.status_w = ep[1];
    long py = syscall(SYS_clone, (unsigned long)SIGCHLD, 0L, 0L, 0L, 0L);
    if (py < 0) child_fail(c, ST_INIT);
    if (py == 0) exec_program(&pc, prot);
    /* Forward one verdict once the program has exec'd (EOF on ep) or
     * failed: its failure if any, else its "ready". */
    close(ep[1]);
    struct status_rec r, last = { 0, 0, 0, 0 };
    for (;;) {
        ssize_t n = read(ep[0], &r, sizeof r);
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof r) break;
        if (last.kind != 2) last = r;
    }
    close(ep[0]);
    if (last.kind == 0) {
        last.kind = 2;
        last.stage = ST_EXEC;
        last.err = ECHILD;
    }
    child_report(c->status_w, last.kind, last.stage, last.err, last.prot);
    /* init: hold no pipe but the status pipe, so EOF on stdout/stderr (and
     * the proof pipe) means every program process has gone. */
    int nfd = open("/dev/null", O_RDWR);
    if (nfd >= 0) {
        dup2(nfd, 0);
        dup2(nfd, 1);
        dup2(nfd, 2);
    }
    if (c->status_w > 3) syscall(SYS_close_range, 3u, (unsigned)c->status_w - 1, 0u);
    syscall(SYS_close_range, (unsigned)c->status_w + 1, ~0u, 0u);
    for (;;) {
        int stw = 0;
        long w = syscall(SYS_wait4, -1L, &stw, 0L, NULL);
        if (w == py) {
            child_report(c->status_w, 3, 0, stw, prot);
            _exit(0);
        }
        if (w < 0 && errno != EINTR) _exit(0);
    }
}

/* ---- parent side ------------------------------------------------------ */

static const char *const k_python_args[] = { "-I", "-B", NULL };

void sandbox_config_init(sandbox_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->interpreter = "/usr/bin/python3";
    cfg->interp_args = NULL;
    cfg->tmp_base = NULL;
    cfg->wall_s = 10.0;
    cfg->cpu_s = 10;
    cfg->as_bytes = (size_t)1 << 30;
    cfg->fsize_bytes = (size_t)16 << 20;
    cfg->nofile = 64;
    cfg->nproc = 32;
    cfg->capture_bytes = (size_t)64 << 10;
    cfg->output_kill_bytes = (size_t)8 << 20;
    cfg->level = SANDBOX_LEVEL_STRICT;
    cfg->ns_mode = SANDBOX_NS_AUTO;
    cfg->require = 0;
    cfg->uid_base = 62000;
    cfg->uid_count = 1000;
    cfg->extra_env = NULL;
}

const char *sandbox_outcome_name(sandbox_outcome o)
{
    switch (o) {
    case SANDBOX_PASSED: return "passed";
    case SANDBOX_FAILED: return "failed";
    case SANDBOX_TIMED_OUT: return "timed_out";
    case SANDBOX_CRASHED: return "crashed";
    case SANDBOX_REFUSED: return "refused";
    }
    return "unknown";
}

const char *sandbox_level_name(sandbox_level l)
{
    switch (l) {
    case SANDBOX_LEVEL_STRICT: return "strict";
    case SANDBOX_LEVEL_WEAK: return "weak";
    case SANDBOX_LEVEL_NONE: return "none";
    }
    return "unknown";
}

int sandbox_level_parse(const char *name, sandbox_level *out, char err[TT_ERR_SIZE])
{
    static const sandbox_level all[] = { SANDBOX_LEVEL_STRICT, SANDBOX_LEVEL_WEAK, SANDBOX_LEVEL_NONE };
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(name, sandbox_level_name(all[i]))) {
            *out = all[i];
            return TT_OK;
        }
    return tt_fail(err, TT_ERR_USAGE, "sandbox level '%s' is not one of strict, weak, none", name ? name : "");
}

char *sandbox_protections_str(unsigned prot, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { SANDBOX_PROT_RLIMITS, "rlimits" },   { SANDBOX_PROT_PGROUP, "pgroup" },
        { SANDBOX_PROT_CLEAN_ENV, "clean-env" }, { SANDBOX_PROT_TMPDIR, "tmpdir" },
        { SANDBOX_PROT_PIDNS, "pidns" },       { SANDBOX_PROT_NETNS, "netns" },
        { SANDBOX_PROT_MOUNTNS, "mountns" },   { SANDBOX_PROT_RO_ROOT, "ro-root" },
        { SANDBOX_PROT_TMPFS, "tmpfs" },       { SANDBOX_PROT_PROC, "proc" },
        { SANDBOX_PROT_USERNS, "userns" },     { SANDBOX_PROT_UID, "uid" },
        { SANDBOX_PROT_NO_NEW_PRIVS, "no-new-privs" }, { SANDBOX_PROT_IPCNS, "ipcns" },
        { SANDBOX_PROT_SECCOMP, "seccomp" },   { SANDBOX_PROT_MIN_ROOT, "min-root" },
        { SANDBOX_PROT_LANDLOCK, "landlock" }, { SANDBOX_PROT_NO_TCP, "no-tcp" },
        { SANDBOX_PROT_SIGNALS, "signals" },
    };
    size_t used = 0;
    if (size == 0) return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(prot & names[i].bit)) continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? "," : "", names[i].name);
        if (w < 0 || (size_t)w >= size - used) {
            buf[used] = '\0';   /* drop a name that did not fit */
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

void sandbox_result_free(sandbox_result *res)
{
    if (!res) return;
    free(res->out);
    free(res->errout);
    res->out = res->errout = NULL;
    res->out_len = res->err_len = 0;
}

/* Removes dir and everything below it without following symlinks. */
static void remove_tree_at(int parent_fd, const char *name, int depth)
{
    if (depth > 64) return;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DIR *d = fdopendir(fd);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                if (unlinkat(fd, e->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM)) {
                    /* Make sure we can list it even if the program chmod-ed it. */
                    fchmodat(fd, e->d_name, 0700, 0);
                    remove_tree_at(fd, e->d_name, depth + 1);
                }
            }
            closedir(d);
        } else {
            close(fd);
        }
    }
    unlinkat(parent_fd, name, AT_REMOVEDIR);
}

/* Kills every process the uid owns: a helper drops to that uid and sends
 * SIGKILL to all it may signal (kill(-1) spares the sender). */
static void sweep_uid(uid_t uid, gid_t gid)
{
    pid_t p = fork();
    if (p == 0) {
        if (syscall(SYS_setgroups, 0, NULL) == 0 && syscall(SYS_setresgid, gid, gid, gid) == 0 &&
            syscall(SYS_setresuid, uid, uid, uid) == 0)
            kill(-1, SIGKILL);
        _exit(0);
    }
    if (p > 0) {
        while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
    }
}

struct capture {
    char *data;
    size_t len, cap_limit;
    int truncated;
};

static void capture_add(struct capture *c, const char *p, size_t n)
{
    if (c->len < c->cap_limit) {
        size_t take = n;
        if (take > c->cap_limit - c->len) take = c->cap_limit - c->len;
        memcpy(c->data + c->len, p, take);
        c->len += take;
        if (take < n) c->truncated = 1;
    } else if (n) {
        c->truncated = 1;
    }
}

/* The last lines of stderr (at most ~700 bytes, starting at a line). */
static void tail_of(const char *s, size_t len, char *out, size_t outsz)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ')) len--;
    size_t max = outsz > 720 ? 700 : outsz - 20;
    size_t start = len > max ? len - max : 0;
    if (start > 0) {
        const char *nl = memchr(s + start, '\n', len - start);
        if (nl && (size_t)(nl - s) + 1 < len) start = (size_t)(nl - s) + 1;
    }
    snprintf(out, outsz, "%s%.*s", start > 0 ? "... " : "", (int)(len - start), s + start);
}

static const char *sig_name(int sig)
{
    const char *n = sigabbrev_np(sig);
    return n ? n : "?";
}

static int clone_refused(int e)
{
    return e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS || e == ENOSYS ||
           e == EACCES;
}

/* One attempt's child; returns pid or -1 with errno. */
static pid_t spawn(struct child_ctx *c)
{
    unsigned long flags = SIGCHLD;
    if (c->path == PATH_ROOT_NS) flags |= NS_FLAGS_BASE;
    if (c->path == PATH_USER_NS) flags |= NS_FLAGS_BASE | CLONE_NEWUSER;
    long r = syscall(SYS_clone, flags, 0L, 0L, 0L, 0L);
    if (r == 0) child_main(c);
    return (pid_t)r;
}

static void set_refused(sandbox_result *res, const char *fmt, const char *a, int e)
{
    res->outcome = SANDBOX_REFUSED;
    snprintf(res->detail, sizeof res->detail, fmt, a, e ? strerror(e) : "");
}

/* The system directories a program's interpreter needs: bound read-only
 * into the minimal root (strict), readable under Landlock (weak). A
 * top-level symlink (merged /usr: /bin -> usr/bin) is recreated as one. */
static const char *const k_sys_dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" };
static const char *const k_devices[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };

/* Owned strings of a run's preparation. */
struct prep {
    struct root_op ops[MAX_ROOT_OPS];
    int n_ops;
    char *strs[MAX_ROOT_OPS * 2 + 8];
    int n_strs;
    char *interp_real;       /* the interpreter's real path (or NULL) */
    char *interp_prefix;     /* its prefix when outside the system dirs */
};

static char *keep(struct prep *p, char *s)
{
    if (p->n_strs < (int)(sizeof p->strs / sizeof p->strs[0])) p->strs[p->n_strs++] = s;
    return s;
}

static void add_op(struct prep *p, enum root_kind kind, char *dst, const char *src)
{
    if (p->n_ops >= MAX_ROOT_OPS) return;
    p->ops[p->n_ops++] = (struct root_op){ kind, keep(p, dst), src };
}

static void prep_free(struct prep *p)
{
    for (int i = 0; i < p->n_strs; i++) free(p->strs[i]);
    free(p->interp_real);
    free(p->interp_prefix);
    memset(p, 0, sizeof *p);
}

/* 1 when path lies beneath one of the system directories. */
static int under_sys_dir(const char *path)
{
    for (size_t i = 0; i < sizeof k_sys_dirs / sizeof k_sys_dirs[0]; i++) {
        size_t n = strlen(k_sys_dirs[i]);
        struct stat st;
        if (!strncmp(path, k_sys_dirs[i], n) && path[n] == '/' && lstat(k_sys_dirs[i], &st) == 0 &&
            S_ISDIR(st.st_mode))
            return 1;
    }
    return 0;
}

/* The interpreter's real path and, when it lives outside the system
 * directories (/opt/python/bin/python3), the folder two levels up to make
 * visible too. */
static void prep_interpreter(struct prep *p, const char *interp)
{
    char real[PATH_MAX];
    if (!realpath(interp, real)) return;
    p->interp_real = tt_strdup(real);
    if (under_sys_dir(real)) return;
    char *d = tt_strdup(real);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(d, '/');
        if (slash && slash != d) *slash = '\0';
    }
    p->interp_prefix = d;
}

/* The mount list of the minimal root in `root` (the host temp dir). */
static void prep_root(struct prep *p, const char *root, const char *work_opts)
{
    for (size_t i = 0; i < sizeof k_sys_dirs / sizeof k_sys_dirs[0]; i++) {
        struct stat st;
        if (lstat(k_sys_dirs[i], &st) < 0) continue;
        char *dst = tt_asprintf("%s%s", root, k_sys_dirs[i]);
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(k_sys_dirs[i], target, sizeof target - 1);
            if (n <= 0) {
                free(dst);
                continue;
            }
            target[n] = '\0';
            add_op(p, OP_SYMLINK, dst, keep(p, tt_strdup(target)));
        } else if (S_ISDIR(st.st_mode)) {
            add_op(p, OP_BIND_DIR, dst, k_sys_dirs[i]);
        } else {
            free(dst);
        }
    }
    if (p->interp_prefix) {
        /* its parents as plain folders, then the prefix bound */
        for (const char *s = strchr(p->interp_prefix + 1, '/'); s; s = strchr(s + 1, '/'))
            add_op(p, OP_MKDIR, tt_asprintf("%s%.*s", root, (int)(s - p->interp_prefix), p->interp_prefix), NULL);
        add_op(p, OP_BIND_DIR, tt_asprintf("%s%s", root, p->interp_prefix), p->interp_prefix);
    }
    add_op(p, OP_MKDIR, tt_asprintf("%s/etc", root), NULL);
    if (access("/etc/ld.so.cache", R_OK) == 0)
        add_op(p, OP_BIND_FILE, tt_asprintf("%s/etc/ld.so.cache", root), "/etc/ld.so.cache");
    add_op(p, OP_TMPFS, tt_asprintf("%s/dev", root), "size=64k,nr_inodes=64,mode=0755");
    for (size_t i = 0; i < sizeof k_devices / sizeof k_devices[0]; i++)
        if (access(k_devices[i], F_OK) == 0)
            add_op(p, OP_BIND_DEV, tt_asprintf("%s%s", root, k_devices[i]), k_devices[i]);
    add_op(p, OP_SYMLINK, tt_asprintf("%s/dev/fd", root), "/proc/self/fd");
    add_op(p, OP_PROC, tt_asprintf("%s/proc", root), NULL);
    add_op(p, OP_TMPFS, tt_asprintf("%s/work", root), work_opts);
    add_op(p, OP_SYMLINK, tt_asprintf("%s/tmp", root), "/work");
    add_op(p, OP_MKDIR, tt_asprintf("%s/.old", root), NULL);
}

/* Landlock's paths for the weak level. */
static void prep_landlock(const struct prep *p, const char *workdir, sbx_landlock_paths *ll)
{
    memset(ll, 0, sizeof *ll);
    for (size_t i = 0; i < sizeof k_sys_dirs / sizeof k_sys_dirs[0] && ll->n_ro < SBX_MAX_RO - 2; i++)
        ll->ro[ll->n_ro++] = k_sys_dirs[i];
    ll->ro[ll->n_ro++] = "/etc/ld.so.cache";
    if (p->interp_prefix) ll->ro[ll->n_ro++] = p->interp_prefix;
    for (size_t i = 0; i < sizeof k_devices / sizeof k_devices[0]; i++) ll->dev_rw[ll->n_dev++] = k_devices[i];
    ll->rw = workdir;
}

/* A fresh environment (nothing inherited) with HOME and TMPDIR at dir. */
static char **make_envp(const sandbox_config *cfg, const char *dir)
{
    size_t nextra = 0;
    while (cfg->extra_env && cfg->extra_env[nextra]) nextra++;
    char **envp = tt_calloc(nextra + 8, sizeof *envp);
    size_t ne = 0;
    envp[ne++] = tt_strdup("PATH=/usr/local/bin:/usr/bin:/bin");
    envp[ne++] = tt_asprintf("HOME=%s", dir);
    envp[ne++] = tt_asprintf("TMPDIR=%s", dir);
    envp[ne++] = tt_strdup("LANG=C.UTF-8");
    envp[ne++] = tt_strdup("PYTHONDONTWRITEBYTECODE=1");
    envp[ne++] = tt_strdup("PYTHONIOENCODING=utf-8");
    for (size_t i = 0; i < nextra; i++) envp[ne++] = tt_strdup(cfg->extra_env[i]);
    return envp;
}

static void free_envp(char **envp)
{
    if (envp)
        for (size_t i = 0; envp[i]; i++) free(envp[i]);
    free(envp);
}

/* The level a set of protections amounts to. */
static sandbox_level level_of(unsigned prot)
{
    if ((prot & SANDBOX_STRICT_PROTS) == SANDBOX_STRICT_PROTS) return SANDBOX_LEVEL_STRICT;
    if ((prot & SANDBOX_WEAK_PROTS) == SANDBOX_WEAK_PROTS) return SANDBOX_LEVEL_WEAK;
    return SANDBOX_LEVEL_NONE;
}

static const char *path_name(enum sbx_path p)
{
    switch (p) {
    case PATH_ROOT_NS: return "strict (namespaces as root)";
    case PATH_USER_NS: return "strict (user namespace)";
    case PATH_WEAK: return "weak";
    case PATH_NONE: return "none";
    }
    return "?";
}

/* The random nonce of the proof channel, as hex. */
static int make_nonce(char hex[NONCE_HEX + 1])
{
    unsigned char b[NONCE_HEX / 2];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t r = getrandom(b + got, sizeof b - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof b; i++) snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* Appends "path: why" to the reasons a run could not start. */
static void add_reason(char *buf, size_t size, enum sbx_path p, const char *why)
{
    size_t used = strlen(buf);
    if (used + 4 >= size) return;
    snprintf(buf + used, size - used, "%s%s: %s", used ? "; " : "", path_name(p), why);
}

int sandbox_run(const sandbox_config *cfg_in, const char *program, size_t len,
                sandbox_result *res, char err[TT_ERR_SIZE])
{
    sandbox_config cfg;
    if (!res) return tt_fail(err, TT_ERR_USAGE, "sandbox_run needs a result");
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (cfg_in) cfg = *cfg_in; else sandbox_config_init(&cfg);
    if (!program) return tt_fail(err, TT_ERR_USAGE, "sandbox_run needs a program");
    if (!cfg.interpreter || cfg.interpreter[0] != '/')
        return tt_fail(err, TT_ERR_USAGE, "interpreter '%s' is not an absolute path",
                       cfg.interpreter ? cfg.interpreter : "");
    if (cfg.wall_s <= 0 || cfg.cpu_s <= 0 || cfg.nofile <= 0 || cfg.nproc <= 0 ||
        cfg.capture_bytes == 0 || cfg.uid_count == 0)
        return tt_fail(err, TT_ERR_USAGE, "sandbox limits must be positive");
    if (cfg.level < SANDBOX_LEVEL_STRICT || cfg.level > SANDBOX_LEVEL_NONE)
        return tt_fail(err, TT_ERR_USAGE, "unknown sandbox level %d", (int)cfg.level);

    const char *base = cfg.tmp_base ? cfg.tmp_base : getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *workdir = tt_asprintf("%s/tianti-sbx-XXXXXX", base);
    char *prog_host = NULL, *prog_root = NULL;
    char **argv = NULL, **envp_host = NULL, **envp_root = NULL;
    int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, st_p[2] = { -1, -1 };
    int go_p[2] = { -1, -1 }, nonce_p[2] = { -1, -1 }, proof_p[2] = { -1, -1 };
    int lock_fd = -1;
    int pidfd = -1;
    pid_t pid = -1;
    struct capture cap_out = { NULL, 0, cfg.capture_bytes, 0 };
    struct capture cap_err = { NULL, 0, cfg.capture_bytes, 0 };
    char proof_buf[NONCE_HEX + 16];
    struct capture cap_proof = { proof_buf, 0, sizeof proof_buf - 1, 0 };
    char nonce[NONCE_HEX + 1] = "";
    int is_root = geteuid() == 0;
    struct child_ctx c;
    memset(&c, 0, sizeof c);
    struct prep pr;
    memset(&pr, 0, sizeof pr);
    char reasons[SANDBOX_DETAIL_SIZE] = "";

    if (!mkdtemp(workdir)) {
        set_refused(res, "cannot create a temporary directory under '%s': %s", base, errno);
        res->out = tt_strdup("");
        res->errout = tt_strdup("");
        free(workdir);
        return TT_OK;
    }
    prog_host = tt_asprintf("%s/%s", workdir, SANDBOX_PROGRAM_NAME);
    prog_root = tt_asprintf("%s/work/%s", workdir, SANDBOX_PROGRAM_NAME);
    prep_interpreter(&pr, cfg.interpreter);

    /* argv: interpreter, args..., main.py */
    const char *const *iargs = cfg.interp_args ? cfg.interp_args : k_python_args;
    size_t nargs = 0;
    while (iargs[nargs]) nargs++;
    argv = tt_calloc(nargs + 3, sizeof *argv);
    argv[0] = (char *)cfg.interpreter;
    for (size_t i = 0; i < nargs; i++) argv[i + 1] = (char *)iargs[i];
    argv[nargs + 1] = (char *)SANDBOX_PROGRAM_NAME;
    envp_host = make_envp(&cfg, workdir);
    envp_root = make_envp(&cfg, "/work");

    cap_out.data = tt_malloc(cfg.capture_bytes + 1);
    cap_err.data = tt_malloc(cfg.capture_bytes + 1);

    unsigned slot = 0;
    if (is_root) {
        lock_fd = acquire_uid_slot(&cfg, &slot);
        if (lock_fd < 0) {
            set_refused(res, "no free sandbox uid in %s%s", "the configured range", 0);
            goto done;
        }
    }
    uid_t run_uid = (uid_t)(cfg.uid_base + slot);
    gid_t run_gid = (gid_t)(cfg.uid_base + slot);

    c.workdir = workdir;
    c.program = program;
    c.program_len = len;
    c.argv = argv;
    c.rl_cpu.rlim_cur = (rlim_t)cfg.cpu_s;
    c.rl_cpu.rlim_max = (rlim_t)cfg.cpu_s + 1;
    c.rl_as.rlim_cur = c.rl_as.rlim_max = cfg.as_bytes ? (rlim_t)cfg.as_bytes : RLIM_INFINITY;
    c.rl_fsize.rlim_cur = c.rl_fsize.rlim_max =
        cfg.fsize_bytes ? (rlim_t)cfg.fsize_bytes : RLIM_INFINITY;
    c.rl_nofile.rlim_cur = c.rl_nofile.rlim_max = (rlim_t)cfg.nofile;
    c.rl_nproc.rlim_cur = c.rl_nproc.rlim_max = (rlim_t)cfg.nproc;
    c.base_prot = SANDBOX_PROT_CLEAN_ENV | SANDBOX_PROT_TMPDIR;
    c.nonce_r = c.proof_w = -1;
    snprintf(c.root_opts, sizeof c.root_opts, "size=1m,nr_inodes=256,mode=0755");

    if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
        set_refused(res, "cannot create pipes%s: %s", "", errno);
        goto done;
    }
    c.out_w = out_p[1];
    c.err_w = err_p[1];
    if (cfg.proof && make_nonce(nonce) < 0) {
        set_refused(res, "cannot draw the proof nonce%s: %s", "", errno);
        goto done;
    }

    /* The paths the level allows, strongest first. */
    const sbx_bpf *f_strict = NULL, *f_weak = NULL;
    char ferr[TT_ERR_SIZE] = "";
    int have_filters = sbx_filters_get(&f_strict, &f_weak, ferr) == TT_OK;
    int abi = (cfg.simulate & SANDBOX_SIM_NO_LANDLOCK) ? 0 : sbx_landlock_abi();
    enum sbx_path paths[4];
    int npaths = 0;
    if (cfg.level == SANDBOX_LEVEL_NONE) {
        paths[npaths++] = PATH_NONE;   /* asked for no sandbox: trusted code */
    } else {
        if (cfg.ns_mode != SANDBOX_NS_NONE) {
            if (is_root && cfg.ns_mode == SANDBOX_NS_AUTO) paths[npaths++] = PATH_ROOT_NS;
            paths[npaths++] = PATH_USER_NS;
        }
        if (cfg.level == SANDBOX_LEVEL_WEAK) paths[npaths++] = PATH_WEAK;
    }
    if (cfg.ns_mode == SANDBOX_NS_NONE && cfg.level == SANDBOX_LEVEL_STRICT)
        add_reason(reasons, sizeof reasons, PATH_USER_NS, "namespaces were not to be used (SANDBOX_NS_NONE)");

    double t0 = 0;
    struct status_rec rec = { 0, 0, 0, 0 };
    char work_opts[160];
    int ran = 0;
    for (int a = 0; a < npaths; a++) {
        c.path = paths[a];
        int ns = c.path == PATH_ROOT_NS || c.path == PATH_USER_NS;
        if (c.path != PATH_NONE && !have_filters) {
            add_reason(reasons, sizeof reasons, c.path, ferr);
            continue;
        }
        c.seccomp = c.path == PATH_NONE ? NULL : ns ? f_strict : f_weak;
        c.drop_uid = is_root && c.path != PATH_USER_NS;
        uid_t tuid = run_uid;
        gid_t tgid = run_gid;
        if (c.path == PATH_USER_NS) {
            tuid = USERNS_INNER_ID;
            tgid = USERNS_INNER_ID;
        } else if (!c.drop_uid) {
            tuid = geteuid();
            tgid = getegid();
        }
        c.uid = run_uid;
        c.gid = run_gid;
        c.require = cfg.require | (ns ? SANDBOX_STRICT_PROTS : c.path == PATH_WEAK ? SANDBOX_WEAK_PROTS : 0u);
        c.interp = ns && pr.interp_real ? pr.interp_real : cfg.interpreter;
        c.envp = ns ? envp_root : envp_host;
        c.prog_path = ns ? prog_root : prog_host;
        c.run_dir = ns ? "/work" : workdir;
        if (ns) {
            snprintf(work_opts, sizeof work_opts, "size=%zu,nr_inodes=4096,mode=0700,uid=%u,gid=%u",
                     cfg.fsize_bytes ? cfg.fsize_bytes : ((size_t)64 << 20), (unsigned)tuid, (unsigned)tgid);
            for (int i = 0; i < pr.n_strs; i++) free(pr.strs[i]);
            pr.n_strs = pr.n_ops = 0;
            prep_root(&pr, workdir, work_opts);
            c.ops = pr.ops;
            c.n_ops = pr.n_ops;
        }
        c.landlock_abi = abi;
        c.landlock_scope = !(cfg.simulate & SANDBOX_SIM_NO_SCOPE);
        prep_landlock(&pr, workdir, &c.ll);
        /* Outside view of the run's ids: as root the per-run uid (also in
         * the user namespace path, where the parent writes the maps). */
        uid_t outer_uid = is_root ? run_uid : geteuid();
        gid_t outer_gid = is_root ? run_gid : getegid();
        res->uid = (c.drop_uid || c.path == PATH_USER_NS) ? outer_uid : geteuid();

        if (pipe2(st_p, O_CLOEXEC) < 0 || pipe2(go_p, O_CLOEXEC) < 0) {
            set_refused(res, "cannot create pipes%s: %s", "", errno);
            goto done;
        }
        if (cfg.proof) {
            if (pipe2(nonce_p, O_CLOEXEC) < 0 || pipe2(proof_p, O_CLOEXEC) < 0 ||
                write_all_fd(nonce_p[1], nonce, NONCE_HEX) < 0) {
                set_refused(res, "cannot create the proof pipes%s: %s", "", errno);
                goto done;
            }
            close(nonce_p[1]);
            nonce_p[1] = -1;
            c.nonce_r = nonce_p[0];
            c.proof_w = proof_p[1];
        }
        c.status_w = st_p[1];
        c.go_r = go_p[0];
        t0 = tt_now_s();
        pid = spawn(&c);
        int spawn_errno = errno;
        close(st_p[1]);
        close(go_p[0]);
        st_p[1] = go_p[0] = -1;
        if (nonce_p[0] >= 0) close(nonce_p[0]);
        if (proof_p[1] >= 0) close(proof_p[1]);
        nonce_p[0] = proof_p[1] = -1;
        if (pid < 0) {
            close(st_p[0]);
            close(go_p[1]);
            st_p[0] = go_p[1] = -1;
            if (proof_p[0] >= 0) close(proof_p[0]);
            proof_p[0] = -1;
            if (c.path != PATH_NONE && clone_refused(spawn_errno)) {
                char why[200];
                snprintf(why, sizeof why, "creating the namespaces was refused (%s)", strerror(spawn_errno));
                add_reason(reasons, sizeof reasons, c.path, why);
                continue;
            }
            set_refused(res, "cannot start the child process%s: %s", "", spawn_errno);
            goto done;
        }
        if (c.path == PATH_USER_NS) {
            char path[64], map[64];
            int ok = 1;
            snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
            if (!is_root && write_proc_file(path, "deny") < 0) ok = 0;
            snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
            snprintf(map, sizeof map, "%u %u 1\n", USERNS_INNER_ID, (unsigned)outer_uid);
            if (ok && write_proc_file(path, map) < 0) ok = 0;
            snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
            snprintf(map, sizeof map, "%u %u 1\n", USERNS_INNER_ID, (unsigned)outer_gid);
            if (ok && write_proc_file(path, map) < 0) ok = 0;
            if (ok && write(go_p[1], "g", 1) != 1) ok = 0;
        }
        close(go_p[1]);     /* EOF tells a waiting child that the maps failed */
        go_p[1] = -1;
        /* Wait for "ready" or "failed" (EOF after exec). */
        memset(&rec, 0, sizeof rec);
        struct status_rec r;
        ssize_t got;
        /* Without namespaces the program itself reports and then execs, so
         * read to EOF (an exec failure follows "ready"); with them, init
         * forwards one verdict after the exec and keeps the pipe for the
         * program's wait status. */
        for (;;) {
            /* setup never takes long: a child silent past the deadline is
             * stuck and is treated as dead */
            struct pollfd spf = { st_p[0], POLLIN, 0 };
            int left_ms = (int)((t0 + cfg.wall_s + 5.0 - tt_now_s()) * 1000.0);
            if (poll(&spf, 1, left_ms > 0 ? left_ms : 0) == 0) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                break;
            }
            got = read(st_p[0], &r, sizeof r);
            if (got < 0 && errno == EINTR) continue;
            if (got != (ssize_t)sizeof r) break;
            if (rec.kind != 2) rec = r;
            if (rec.kind == 2 || ns) break;
        }
        if (rec.kind == 1) {          /* running */
            ran = 1;
            break;
        }
        close(st_p[0]);
        st_p[0] = -1;
        if (proof_p[0] >= 0) close(proof_p[0]);
        proof_p[0] = -1;
        /* Failed before exec, or died without a word: reap and judge. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        pid = -1;
        char why[600];
        if (rec.kind == 2 && rec.stage == ST_REQUIRE) {
            char want[256], have[256];
            sandbox_protections_str(c.require & ~rec.prot, want, sizeof want);
            sandbox_protections_str(rec.prot, have, sizeof have);
            snprintf(why, sizeof why, "required protection '%s' not in force (in force: %s)", want, have);
        } else if (rec.kind == 2) {
            snprintf(why, sizeof why, "setup failed while %s: %s", stage_name(rec.stage), strerror(rec.err));
        } else {
            snprintf(why, sizeof why, "the child died during setup");
        }
        if (rec.kind == 2 && stage_is_host_limit(rec.stage) && c.path != PATH_NONE) {
            add_reason(reasons, sizeof reasons, c.path, why);
            /* this path does not work here: clear the dir, try the next */
            remove_tree_at(AT_FDCWD, workdir, 0);
            if (mkdir(workdir, 0700) < 0) {
                set_refused(res, "cannot recreate '%s': %s", workdir, errno);
                goto done;
            }
            continue;
        }
        res->outcome = SANDBOX_REFUSED;
        res->protections = rec.prot;
        snprintf(res->detail, sizeof res->detail, "sandbox %s", why);
        goto done;
    }
    if (!ran) {
        res->outcome = SANDBOX_REFUSED;
        if (cfg.level == SANDBOX_LEVEL_STRICT)
            snprintf(res->detail, sizeof res->detail,
                     "the strict sandbox is not available here (%s); to run model-written code with weaker "
                     "isolation (no network, PID or mount namespaces) pass --sandbox=weak (README: Security)",
                     reasons[0] ? reasons : "no isolation path");
        else
            snprintf(res->detail, sizeof res->detail,
                     "no sandbox of level %s or stronger is available here (%s); --sandbox=none runs "
                     "the code without isolation (trusted code only)",
                     sandbox_level_name(cfg.level), reasons[0] ? reasons : "no isolation path");
        goto done;
    }
    res->protections = rec.prot;
    res->level = level_of(rec.prot);

    close(out_p[1]);
    close(err_p[1]);
    out_p[1] = err_p[1] = -1;
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    /* ---- supervise ---- */
    double deadline = t0 + cfg.wall_s;
    int out_open = 1, err_open = 1, proof_open = proof_p[0] >= 0, exited = 0, we_killed = 0;
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    char buf[65536];
    double drain_until = 0;
    while (out_open || err_open || proof_open || !exited) {
        double now = tt_now_s();
        if (!exited && !we_killed && now >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            we_killed = 1;
        }
        if (exited && drain_until == 0) drain_until = now + 0.5;
        if (exited && now >= drain_until) break;   /* stragglers hold the pipes */
        struct pollfd pf[4];
        int np = 0, ix[3] = { -1, -1, -1 };
        if (out_open) { ix[0] = np; pf[np].fd = out_p[0]; pf[np].events = POLLIN; np++; }
        if (err_open) { ix[1] = np; pf[np].fd = err_p[0]; pf[np].events = POLLIN; np++; }
        if (proof_open) { ix[2] = np; pf[np].fd = proof_p[0]; pf[np].events = POLLIN; np++; }
        if (!exited && pidfd >= 0) { pf[np].fd = pidfd; pf[np].events = POLLIN; np++; }
        double until = exited ? drain_until : (we_killed ? now + 0.05 : deadline);
        if (pidfd < 0 && !exited && until > now + 0.02) until = now + 0.02;
        int ms = (int)((until - now) * 1000.0) + 1;
        if (ms < 0) ms = 0;
        int prc = poll(pf, (nfds_t)np, ms);
        if (prc < 0 && errno != EINTR) break;
        for (int k = 0; prc > 0 && k < 3; k++) {
            if (ix[k] < 0 || !(pf[ix[k]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(pf[ix[k]].fd, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0 && errno == EINTR) continue;
                if (k == 0) out_open = 0;
                else if (k == 1) err_open = 0;
                else proof_open = 0;
                continue;
            }
            if (k == 2) {
                capture_add(&cap_proof, buf, (size_t)n);
                continue;
            }
            res->out_total += (size_t)n;
            capture_add(k == 0 ? &cap_out : &cap_err, buf, (size_t)n);
            if (cfg.output_kill_bytes && res->out_total > cfg.output_kill_bytes &&
                !res->output_killed) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                res->output_killed = 1;
            }
        }
        if (!exited) {
            /* Look without reaping: while the leader is an unreaped zombie
             * its pid (= the group id) cannot be reused, so killing the
             * group cannot hit an unrelated process. */
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                si.si_pid == pid) {
                res->wall_s = tt_now_s() - t0;
                kill(-pid, SIGKILL);   /* stragglers of its process group */
                while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
                exited = 1;
            }
        }
    }
    if (!exited) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
        res->wall_s = tt_now_s() - t0;
    }
    pid = -1;
    if ((res->protections & SANDBOX_PROT_UID) && !(res->protections & SANDBOX_PROT_PIDNS) &&
        is_root)
        sweep_uid(run_uid, run_gid);
    if (st_p[0] >= 0) {
        /* init's report of the program's own wait status */
        struct status_rec r;
        ssize_t got;
        while ((got = read(st_p[0], &r, sizeof r)) == (ssize_t)sizeof r || (got < 0 && errno == EINTR))
            if (got == (ssize_t)sizeof r && r.kind == 3) status = r.err;
    }
    res->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    res->proof_ok = cfg.proof && cap_proof.len == NONCE_HEX && !cap_proof.truncated &&
                    memcmp(cap_proof.data, nonce, NONCE_HEX) == 0;

    /* ---- classify ---- */
    if (WIFEXITED(status)) res->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) res->term_signal = WTERMSIG(status);
    if (we_killed) {
        res->outcome = SANDBOX_TIMED_OUT;
        snprintf(res->detail, sizeof res->detail, "wall-clock limit of %.3g s reached",
                 cfg.wall_s);
    } else if (res->output_killed) {
        res->outcome = SANDBOX_FAILED;
        snprintf(res->detail, sizeof res->detail,
                 "killed after writing more than %zu bytes of output", cfg.output_kill_bytes);
    } else if (res->term_signal == SIGXCPU ||
               (res->term_signal == SIGKILL && res->cpu_s >= (double)cfg.cpu_s - 0.05)) {
        res->outcome = SANDBOX_TIMED_OUT;
        snprintf(res->detail, sizeof res->detail, "cpu-time limit of %d s reached", cfg.cpu_s);
    } else if (res->term_signal) {
        res->outcome = SANDBOX_CRASHED;
        snprintf(res->detail, sizeof res->detail, "killed by signal %d (SIG%s)",
                 res->term_signal, sig_name(res->term_signal));
    } else if (res->exit_code == 0) {
        res->outcome = SANDBOX_PASSED;
    } else {
        res->outcome = SANDBOX_FAILED;
        if (cap_err.len > 0) {
            tail_of(cap_err.data, cap_err.len, res->detail, sizeof res->detail);
        } else {
            snprintf(res->detail, sizeof res->detail, "exited with status %d", res->exit_code);
        }
    }

done:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    if (pidfd >= 0) close(pidfd);
    for (int i = 0; i < 2; i++) {
        if (out_p[i] >= 0) close(out_p[i]);
        if (err_p[i] >= 0) close(err_p[i]);
        if (st_p[i] >= 0) close(st_p[i]);
        if (go_p[i] >= 0) close(go_p[i]);
        if (nonce_p[i] >= 0) close(nonce_p[i]);
        if (proof_p[i] >= 0) close(proof_p[i]);
    }
    remove_tree_at(AT_FDCWD, workdir, 0);
    if (lock_fd >= 0) close(lock_fd);   /* after the sweep: the uid is free again */
    if (cap_out.data) cap_out.data[cap_out.len] = '\0';
    if (cap_err.data) cap_err.data[cap_err.len] = '\0';
    res->out = cap_out.data;
    res->out_len = cap_out.len;
    res->errout = cap_err.data;
    res->err_len = cap_err.len;
    res->truncated = cap_out.truncated || cap_err.truncated;
    free_envp(envp_host);
    free_envp(envp_root);
    free(argv);
    free(prog_host);
    free(prog_root);
    free(workdir);
    prep_free(&pr);
    return TT_OK;
}

int sandbox_check(const sandbox_config *cfg, sandbox_level *level, char *prot, size_t prot_n,
                  char err[TT_ERR_SIZE])
{
    sandbox_config c;
    if (cfg) c = *cfg; else sandbox_config_init(&c);
    c.proof = 0;
    if (prot_n) prot[0] = '\0';
    sandbox_result r;
    int rc = sandbox_run(&c, "pass\n", 5, &r, err);
    if (rc != TT_OK) return rc;
    if (r.outcome == SANDBOX_PASSED) {
        *level = r.level;
        sandbox_protections_str(r.protections, prot, prot_n);
    } else if (r.outcome == SANDBOX_REFUSED) {
        rc = tt_fail(err, TT_ERR, "%s", r.detail);
    } else {
        rc = tt_fail(err, TT_ERR, "a trivial program does not run in the sandbox (%s): %s",
                     sandbox_outcome_name(r.outcome), r.detail[0] ? r.detail : r.errout);
    }
    sandbox_result_free(&r);
    return rc;
}

/* ---- many programs ------------------------------------------------------- */

typedef struct many_job {
    const sandbox_config *cfg;
    const char *const *programs;
    const size_t *lens;
    sandbox_result *results;
    pthread_mutex_t mu;
    int first_rc;
    char err[TT_ERR_SIZE];
} many_job;

/* One program of sandbox_run_many (a tt_parallel_for item). */
static int run_one(void *arg, size_t i, int worker)
{
    (void)worker;
    many_job *p = arg;
    char err[TT_ERR_SIZE];
    size_t len = p->lens ? p->lens[i] : (p->programs[i] ? strlen(p->programs[i]) : 0);
    int rc = sandbox_run(p->cfg, p->programs[i], len, &p->results[i], err);
    if (rc != TT_OK) {
        pthread_mutex_lock(&p->mu);
        if (p->first_rc == TT_OK) {
            p->first_rc = rc;
            snprintf(p->err, sizeof p->err, "%s", err);
        }
        pthread_mutex_unlock(&p->mu);
    }
    return 0;   /* every program runs, whatever the others did */
}

int sandbox_run_many(const sandbox_config *cfg, const char *const *programs,
                     const size_t *lens, size_t n, int jobs,
                     sandbox_result *results, char err[TT_ERR_SIZE])
{
    if (n == 0) return TT_OK;
    if (!programs || !results) return tt_fail(err, TT_ERR_USAGE, "sandbox_run_many needs programs and results");
    if (jobs < 1) jobs = 1;
    many_job p;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.programs = programs;
    p.lens = lens;
    p.results = results;
    pthread_mutex_init(&p.mu, NULL);
    p.first_rc = TT_OK;
    tt_parallel_for(n, jobs, run_one, &p);
    pthread_mutex_destroy(&p.mu);
    if (p.first_rc != TT_OK) return tt_fail(err, p.first_rc, "%s", p.err);
    return TT_OK;
}
