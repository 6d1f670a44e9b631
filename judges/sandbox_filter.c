/*
 * sandbox_filter.c — the seccomp filters and Landlock rules of the sandbox
 * (sandbox_filter.h). The lists below are the policy: what a model-written
 * program may not ask the kernel for, at the strict and weak levels.
 */
#include "judges/sandbox_filter.h"
#include "judges/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- seccomp: the policy ----------------------------------------------------- */

/* Refused outright (EPERM): namespaces, debugging other processes, mounts
 * and root changes, the kernel keyring, eBPF, perf, kexec and modules,
 * reboot, swap, accounting, userfaultfd, port I/O, file handles (which
 * bypass path checks), the kernel log, the clock, host names, and pidfd
 * tricks for taking another process's files. Names this libseccomp does not
 * know are skipped (the kernel of its time had no such call). */
static const char *const k_denied[] = {
    "unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "iopl", "ioperm", "quotactl", "quotactl_fd", "userfaultfd", "lookup_dcookie",
    "open_by_handle_at", "name_to_handle_at", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "sethostname", "setdomainname", "vhangup", "nfsservctl", "uselib", "fanotify_init",
    "vm86", "vm86old", "modify_ldt", "_sysctl",
};

/* clone(2) flags that make a namespace: refused. */
static const unsigned long k_clone_ns[] = {
    CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
#ifdef CLONE_NEWTIME
    CLONE_NEWTIME,
#endif
};

#ifndef TIOCSTI
#define TIOCSTI 0x5412
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Builds one filter; weak adds connect and bind. */
static int build(int weak, sbx_bpf *out, char *err)
{
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
    if (!c) return tt_fail(err, TT_ERR, "libseccomp cannot make a filter");
    int rc = 0;
    for (size_t i = 0; i < sizeof k_denied / sizeof k_denied[0] && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(k_denied[i]);
        if (nr == __NR_SCMP_ERROR) continue;
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    for (size_t i = 0; i < sizeof k_clone_ns / sizeof k_clone_ns[0] && rc == 0; i++)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, k_clone_ns[i], k_clone_ns[i]));
    /* clone3 passes its flags in memory, where a filter cannot look:
     * "no such call" makes glibc fall back to clone(2), which is checked. */
    if (rc == 0) rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* pushing characters into a terminal's input */
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
    /* sockets: AF_UNIX only (no IP, netlink, packet, vsock ...) */
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0));
    if (rc == 0 && weak) {
        /* Without a network namespace an AF_UNIX socket could reach the
         * host's servers (PostgreSQL, Docker) by path: no connect, no bind.
         * socketpair() still works. */
        rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(connect), 0);
        if (rc == 0) rc = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(bind), 0);
    }
    if (rc != 0) {
        seccomp_release(c);
        return tt_fail(err, TT_ERR, "libseccomp refused a rule: %s", strerror(-rc));
    }
    /* The program as the kernel takes it, through a memory file. */
    int fd = (int)syscall(SYS_memfd_create, "tianti-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        seccomp_release(c);
        return tt_fail(err, TT_ERR, "cannot make a memory file for the seccomp filter: %s", strerror(errno));
    }
    rc = seccomp_export_bpf(c, fd);
    seccomp_release(c);
    off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return tt_fail(err, TT_ERR, "libseccomp could not export the filter");
    }
    void *prog = tt_malloc((size_t)size);
    ssize_t got = pread(fd, prog, (size_t)size, 0);
    close(fd);
    if (got != size) {
        free(prog);
        return tt_fail(err, TT_ERR, "cannot read the exported seccomp filter");
    }
    out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    out->filter = prog;
    return TT_OK;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static sbx_bpf g_strict, g_weak;
static int g_rc;
static char g_err[TT_ERR_SIZE];
static int g_abi;

static void build_all(void)
{
    g_rc = build(0, &g_strict, g_err);
    if (g_rc == TT_OK) g_rc = build(1, &g_weak, g_err);
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
    g_abi = v > 0 ? (int)v : 0;
}

int sbx_filters_get(const sbx_bpf **strict_prog, const sbx_bpf **weak_prog, char *err)
{
    pthread_once(&g_once, build_all);
    if (g_rc != TT_OK) return tt_fail(err, g_rc, "%s", g_err);
    *strict_prog = &g_strict;
    *weak_prog = &g_weak;
    return TT_OK;
}

int sbx_landlock_abi(void)
{
    pthread_once(&g_once, build_all);
    return g_abi;
}

/* ---- child side ---------------------------------------------------------------- */

int sbx_seccomp_load(const sbx_bpf *prog)
{
    struct sock_fprog p = { prog->len, prog->filter };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
}

#if defined(__x86_64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int sbx_signal_filter_load(pid_t self)
{
#ifdef SBX_AUDIT_ARCH
    /* args[0]'s low 32 bits (little-endian: the first word): the pid */
    const uint32_t a0 = (uint32_t)offsetof(struct seccomp_data, args[0]);
    const uint32_t me = (uint32_t)self, group = (uint32_t)-self;
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),   /* the main filter kills other ABIs */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pidfd_open, 10, 0),              /* -> deny */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 5, 0),                     /* -> check */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tkill, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigqueueinfo, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_tgsigqueueinfo, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* check: */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, a0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),        /* its own group */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, me, 2, 0),       /* itself */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, group, 1, 0),    /* its own group by id */
        /* deny: */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = { (unsigned short)(sizeof f / sizeof f[0]), f };
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p);
#else
    (void)self;
    errno = ENOSYS;
    return -1;
#endif
}

/* Landlock's ABI (include/uapi/linux/landlock.h), spelled out so that older
 * headers build. */
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct ll_path_beneath {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

/* Every filesystem right the ABI knows. */
static uint64_t fs_rights(int abi)
{
    uint64_t r = (1ULL << 13) - 1;          /* ABI 1: EXECUTE .. MAKE_SYM */
    if (abi >= 2) r |= 1ULL << 13;          /* REFER */
    if (abi >= 3) r |= LL_FS_TRUNCATE;
    if (abi >= 5) r |= 1ULL << 15;          /* IOCTL_DEV */
    return r;
}

/* Adds a path-beneath rule; rights are cut to those a file may hold when
 * path is not a directory. Returns 0 or -1. */
static int ll_allow(int ruleset, const char *path, uint64_t rights, uint64_t all)
{
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;   /* a directory this system lacks */
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        rights &= LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | (1ULL << 15);
    struct ll_path_beneath pb = { rights & all, fd };
    long r = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
    close(fd);
    return r < 0 ? -1 : 0;
}

unsigned sbx_landlock_apply(int abi, const sbx_landlock_paths *p, int scope)
{
    if (abi <= 0) return 0;
    uint64_t all = fs_rights(abi);
    struct ll_ruleset_attr attr = { all, 0, 0 };
    size_t size = sizeof(uint64_t);
    unsigned prot = SANDBOX_PROT_LANDLOCK;
    if (abi >= 4) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;   /* and no rule allows any port */
        size = 2 * sizeof(uint64_t);
        prot |= SANDBOX_PROT_NO_TCP;
    }
    if (abi >= 6 && scope) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = 3 * sizeof(uint64_t);
        prot |= SANDBOX_PROT_SIGNALS;
    }
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (rs < 0) return 0;
    int ok = 1;
    for (int i = 0; ok && i < p->n_ro; i++)
        ok = ll_allow(rs, p->ro[i], LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR, all) == 0;
    for (int i = 0; ok && i < p->n_dev; i++)
        ok = ll_allow(rs, p->dev_rw[i], LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE, all) == 0;
    if (ok && p->rw) ok = ll_allow(rs, p->rw, all, all) == 0;
    if (ok) ok = syscall(SYS_landlock_restrict_self, rs, 0) == 0;
    close(rs);
    return ok ? prot : 0;
}
