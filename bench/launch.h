/*
 * launch.h — starting, watching and stopping a local model server for
 * `tianti bench --launch "COMMAND"` (bench/bench.c).
 *
 * The command runs under /bin/sh -c in a new process group, its output goes
 * to a log file (so it cannot mix with bench's own output; the last line is
 * quoted when it fails). launch_wait_ready() polls a URL until the server
 * answers with any HTTP status; a command that exits first, or that does not
 * answer within the timeout, is reported (and in the second case stopped).
 * launch_stop() sends SIGTERM to the whole group, waits a grace period, then
 * SIGKILL. Memory of the server's process tree is sampled with perf.h.
 */
#ifndef TIANTI_LAUNCH_H
#define TIANTI_LAUNCH_H

#include <sys/types.h>

typedef struct launch_proc launch_proc;

/* Starts command. *out owned by the caller: launch_stop() then
 * launch_free(). log_path: where its stdout and stderr go (NULL: a file in
 * $TMPDIR or /tmp, removed by launch_free). */
int launch_start(const char *command, const char *log_path, launch_proc **out, char *err);

/* Polls url every poll_s (<= 0: 0.1 s) until an HTTP reply arrives.
 * TT_OK when ready; TT_ERR_ENGINE when the command exited first ("launch
 * command 'X' exited with status N before answering on URL: LAST LINE");
 * TT_ERR_INTERRUPTED when timeout_s passed (the command is stopped then). */
int launch_wait_ready(launch_proc *p, const char *url, double timeout_s, double poll_s, char *err);

/* 1 while the command's process is running; else 0 and *status (may be
 * NULL) gets the wait status. */
int launch_alive(launch_proc *p, int *status);

/* SIGTERM to the process group, up to grace_s for it to exit, then SIGKILL.
 * Returns TT_OK; *killed (may be NULL) is 1 when SIGKILL was needed.
 * Safe to call twice. */
int launch_stop(launch_proc *p, double grace_s, int *killed);

pid_t launch_pid(const launch_proc *p);
/* Last non-empty line of the command's output so far (caller frees). */
char *launch_last_output(const launch_proc *p);
/* Stops the command if still running (grace 2 s) and frees p. NULL is fine. */
void launch_free(launch_proc *p);

/* Describes a wait status: "status 3", "signal 9". */
void launch_describe_status(int status, char *out, int n);

#endif
