/*
 * perf.h — measurement primitives shared by `tianti bench` (bench/bench.c)
 * and the benchmark programs (tests/perf/perf_glm.c): mean and sample standard
 * deviation, memory bandwidth, resident memory of a process and of its
 * whole process tree from /proc, a background sampler that records the peak
 * of a tree's resident and GPU memory, the parsing of `nvidia-smi
 * --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`, and
 * machine facts (CPU model, cores).
 *
 * Nothing here knows about engines or models. Linux only (/proc); on other
 * systems the memory functions return -1 ("unknown").
 */
#ifndef TIANTI_PERF_H
#define TIANTI_PERF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Mean and sample standard deviation (n - 1 in the denominator; 0 for n < 2)
 * of x[0..n). n <= 0 gives mean 0, sd 0. */
void perf_mean_sd(const double *x, int n, double *mean, double *sd);

/* memcpy traffic in bytes/s (bytes read + bytes written), best of reps
 * copies of `bytes` bytes. */
double perf_memcpy_bandwidth(size_t bytes, int reps);
/* Read bandwidth in bytes/s: `threads` threads (<= 0: all cores) each scan
 * their slice of a `bytes` buffer with memchr (libc's vector loop, so the
 * figure does not depend on the build's optimisation level); best of reps.
 * 0 when the threads cannot be started. */
double perf_read_bandwidth(size_t bytes, int threads, int reps);

/* Resident set and its peak of one process: core/proc.h. Resets this process's VmHWM to its current VmRSS (/proc/self/clear_refs,
 * Linux >= 4.0). Returns TT_OK or TT_ERR_IO. */
int perf_reset_peak_rss(void);

/* pid and every live descendant (from the ppid field of /proc/PID/stat).
 * *pids is owned by the caller (free); *n is 0 when root does not exist. */
int perf_proc_tree(pid_t root, pid_t **pids, int *n);
/* Sum of VmRSS over the tree of root, in bytes; -1 when root is gone. */
int64_t perf_tree_rss_bytes(pid_t root);

/* Parses nvidia-smi csv output (noheader, nounits: "PID, MiB" per line) and
 * adds up used_memory of the processes in pids[0..n) (n < 0: every line).
 * Blank lines and "No running processes found" are skipped; a value such as
 * "[N/A]" or "[Not Supported]" counts as unknown and sets *unknown (may be
 * NULL). *bytes is in bytes. Returns TT_OK, or TT_ERR_PARSE naming the line
 * for anything else. */
int perf_nvidia_smi_parse(const char *text, const pid_t *pids, int n, int64_t *bytes, int *matched, int *unknown,
                          char *err);
/* Runs nvidia-smi (when on PATH) and parses it for pids. TT_ERR_NOTFOUND
 * when there is no nvidia-smi, TT_ERR_IO when it fails. */
int perf_gpu_bytes(const pid_t *pids, int n, int64_t *bytes, char *err);
/* 1 when an nvidia-smi program is on PATH. */
int perf_have_nvidia_smi(void);

/* Background sampler of a process tree: every interval_s it adds up the
 * tree's VmRSS and VmHWM (and, every gpu_interval_s when nvidia-smi exists, the GPU
 * memory its processes hold) and keeps the peaks. */
typedef struct perf_sampler perf_sampler;
/* Starts the thread. *out owned by the caller: perf_sampler_stop frees it. */
int perf_sampler_start(pid_t root, double interval_s, double gpu_interval_s, perf_sampler **out, char *err);
typedef struct perf_sample_summary {
    int64_t peak_rss_bytes;   /* -1 when never read */
    int64_t last_rss_bytes;
    int64_t peak_hwm_sum_bytes; /* largest sum of the processes' own VmHWM: catches
                                   peaks between samples (exact for one process) */
    int64_t peak_gpu_bytes;   /* -1 when not measured (no nvidia-smi) */
    int n_samples;
    int gpu_measured;
} perf_sample_summary;
/* Current peaks without stopping. */
void perf_sampler_read(perf_sampler *s, perf_sample_summary *out);
/* Stops and joins the thread, fills out (may be NULL) and frees s. */
void perf_sampler_stop(perf_sampler *s, perf_sample_summary *out);

/* "model name" of /proc/cpuinfo (or "unknown") into out. Online cores:
 * tt_cpu_count() in core/pool.h. */
void perf_cpu_model(char *out, size_t n);

#endif
