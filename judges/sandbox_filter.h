/*
 * sandbox_filter.h — the kernel-side confinement of judges/sandbox.c: the
 * seccomp filters (built once with libseccomp, in the parent) and Landlock
 * (applied in the child). Private to sandbox.c.
 *
 * Why a file of its own: the filter lists are the security policy of the
 * sandbox, written once and read in one place; and this is the one file
 * that includes <seccomp.h> (tests/floors.txt links libseccomp to the judges
 * floor alone).
 *
 * The child side (sbx_seccomp_load, sbx_signal_filter_load,
 * sbx_landlock_apply) runs between clone(2) and execve(2) in a copy of a
 * multi-threaded process, so it uses only system calls and memory prepared
 * beforehand: no malloc, no stdio, no locks.
 */
#ifndef TIANTI_SANDBOX_FILTER_H
#define TIANTI_SANDBOX_FILTER_H

#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"

/* A seccomp program as the kernel takes it (struct sock_fprog's layout). */
typedef struct sbx_bpf {
    unsigned short len;
    void *filter;
} sbx_bpf;

/* The filters, built once per process: strict's, and weak's (strict's plus
 * connect and bind refused). TT_OK, or TT_ERR with why libseccomp could not
 * build them. */
int sbx_filters_get(const sbx_bpf **strict_prog, const sbx_bpf **weak_prog, char *err);

/* Landlock ABI version of the running kernel (0 when it has none). */
int sbx_landlock_abi(void);

/* ---- child side: async-signal-safe ----------------------------------------- */

/* Installs prog (no_new_privs must be set, or the caller be root). 0 or -1
 * with errno. */
int sbx_seccomp_load(const sbx_bpf *prog);

/* Installs a small filter letting kill/tkill/tgkill/rt_sigqueueinfo/
 * rt_tgsigqueueinfo reach only the process itself (pid self) and its own
 * group (0, -self), and refusing pidfd_open: for hosts whose Landlock
 * cannot scope signals. 0, or -1 with errno (ENOSYS on an architecture it
 * does not know). */
int sbx_signal_filter_load(pid_t self);

/* Paths of a Landlock ruleset, prepared by the parent. */
#define SBX_MAX_RO 24
typedef struct sbx_landlock_paths {
    const char *ro[SBX_MAX_RO];   /* read and execute beneath these */
    int n_ro;
    const char *dev_rw[6];        /* device files read and written (/dev/null ...) */
    int n_dev;
    const char *rw;               /* everything beneath: the work directory */
} sbx_landlock_paths;

/* Restricts the calling process (and what it execs) to the paths, with no
 * TCP when the ABI has network rules, and signals and abstract unix sockets
 * scoped when it has scopes and scope is set. Returns the SANDBOX_PROT_*
 * bits it put in force (SANDBOX_PROT_LANDLOCK, SANDBOX_PROT_NO_TCP,
 * SANDBOX_PROT_SIGNALS), or 0 when abi is 0 or Landlock refused. */
unsigned sbx_landlock_apply(int abi, const sbx_landlock_paths *p, int scope);

#endif
