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

int64_t tt_mem_limit_bytes(void)
{
    const char *v = getenv("TIANTI_MEM_LIMIT");
    if (!v || !*v) return -1;
    char *end;
    double x = strtod(v, &end);
    if (end == v || !(x >= 0) || x > 1e18) return -2;
    double base = 1000.0;   /* K, M, G, T as the planner's messages count GB; Ki, Mi, ... binary */
    int power = 0;
    switch (*end) {
    case 'k': case 'K': power = 1; break;
    case 'm': case 'M': power = 2; break;
    case 'g': case 'G': power = 3; break;
    case 't': case 'T': power = 4; break;
    default: break;
    }
    if (power) {
        end++;
        if (*end == 'i') {
            base = 1024.0;
            end++;
        }
    }
    double mul = 1;
    for (int i = 0; i < power; i++) mul *= base;
    if (*end == 'b' || *end == 'B') end++;
    if (*end) return -2;
    x *= mul;
    if (x > 9e18) return -2;
    return (int64_t)x;
}
