/*
 * deny_namespaces.c — runs a command on a simulated host that cannot make
 * namespaces, the way Docker's default seccomp profile (or Ubuntu's
 * restricted unprivileged user namespaces) leaves a container: a seccomp
 * filter answers EPERM to unshare(2), setns(2) and clone(2) with any
 * CLONE_NEW* flag, and ENOSYS to clone3(2) (whose flags a filter cannot
 * read, so glibc falls back to clone). Everything else is allowed.
 *
 * Usage: deny_namespaces COMMAND [ARGS...]
 *
 * The ctest sandbox/no_namespaces runs the sandbox's unit tests under it
 * (TIANTI_TEST_NO_NAMESPACES=1): the strict level must refuse, saying how
 * to accept the weak one, and the weak level must hold. Raw BPF, no
 * libseccomp: a test tool, outside the floors.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "deny_namespaces knows x86_64 and aarch64"
#endif

#define NS_MASK (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: deny_namespaces COMMAND [ARGS...]\n");
        return 2;
    }
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 6, 0),   /* -> eperm */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setns, 5, 0),     /* -> eperm */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 6, 0),    /* -> enosys */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0),     /* -> flags */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* flags: args[0] (low word) & NS_MASK */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_MASK, 0, 1),
        /* eperm: */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* enosys: */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
    struct sock_fprog prog = { (unsigned short)(sizeof f / sizeof f[0]), f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        fprintf(stderr, "deny_namespaces: cannot install the filter: %s\n", strerror(errno));
        return 1;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "deny_namespaces: cannot run '%s': %s\n", argv[1], strerror(errno));
    return 127;
}
