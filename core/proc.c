/*
 * proc.c — VmRSS and VmHWM from /proc/PID/status (contract and users in
 * proc.h).
 */
#include "core/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of "Field:   123 kB" in a /proc file, in bytes; -1 if absent. */
static int64_t kb_field(const char *path, const char *field)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    size_t fl = strlen(field);
    int64_t v = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, fl) && line[fl] == ':') {
            long long kb;
            if (sscanf(line + fl + 1, "%lld", &kb) == 1) v = (int64_t)kb * 1024;
            break;
        }
    }
    fclose(f);
    return v;
}

/* The same from /proc/PID/status (pid 0: this process). */
static int64_t status_field(pid_t pid, const char *field)
{
    char path[64];
    if (pid > 0) snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else snprintf(path, sizeof path, "/proc/self/status");
    return kb_field(path, field);
}

int64_t tt_proc_rss_bytes(pid_t pid) { return status_field(pid, "VmRSS"); }
int64_t tt_proc_peak_rss_bytes(pid_t pid) { return status_field(pid, "VmHWM"); }
int64_t tt_proc_rss_file_bytes(pid_t pid) { return status_field(pid, "RssFile"); }
int64_t tt_mem_available_bytes(void) { return kb_field("/proc/meminfo", "MemAvailable"); }
