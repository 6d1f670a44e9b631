/*
 * proc.h — resident memory of a process, read from /proc/PID/status.
 *
 * Why: the GLM engine reports its own memory (engines/glm/model.c, for the
 * memory lines of `tianti bench` and tests/perf/perf_glm) and the bench
 * library samples the memory of launched servers (bench/perf.c); both read
 * the same two kernel fields, VmRSS (resident now) and VmHWM (the peak, the
 * "high water mark"), so the parsing lives here once. The GLM engine's
 * memory planner also asks how much memory is available.
 *
 * Linux only: elsewhere (or for a process that is gone) the answer is -1.
 */
#ifndef TIANTI_PROC_H
#define TIANTI_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* Resident set (VmRSS) of pid in bytes; pid 0 means this process. -1 when
 * unknown (no such process, no /proc, no permission). */
int64_t tt_proc_rss_bytes(pid_t pid);
/* Peak resident set (VmHWM) of pid in bytes; pid 0 means this process. -1
 * when unknown. */
int64_t tt_proc_peak_rss_bytes(pid_t pid);
/* The file-backed part of the resident set (RssFile: mapped files, such as
 * a GGUF's pages); pid 0 means this process. -1 when unknown. */
int64_t tt_proc_rss_file_bytes(pid_t pid);
/* Memory the kernel can give without swapping (MemAvailable of
 * /proc/meminfo), for the GLM engine's memory planner; -1 when unknown. */
int64_t tt_mem_available_bytes(void);
/* The memory limit the user set in TIANTI_MEM_LIMIT ("8G", "512MB", "1.5G",
 * "6GiB", plain bytes; K/M/G/T are powers of 1000, as the planner's messages
 * count GB, Ki/Mi/Gi/Ti powers of 1024, a trailing "B" is allowed): its
 * bytes, -1 when unset or empty, -2 when it is no size. For a shared
 * machine, or a test, that must plan with less than MemAvailable. */
int64_t tt_mem_limit_bytes(void);

#endif
