/*
 * perf.c — measurement primitives (see perf.h): statistics, bandwidth,
 * /proc memory of processes and process trees, a peak sampler thread, and
 * nvidia-smi parsing. Called by bench/bench.c, bench/launch.c and
 * tests/perf/perf_glm.c.
 */
#include "bench/perf.h"
#include "core/pool.h"
#include "core/proc.h"
#include "core/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void perf_mean_sd(const double *x, int n, double *mean, double *sd)
{
    *mean = 0;
    *sd = 0;
    if (n <= 0) return;
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    if (n < 2) return;
    double q = 0;
    for (int i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
    *sd = sqrt(q / (n - 1));
}

/* ---- bandwidth ------------------------------------------------------------------ */

double perf_memcpy_bandwidth(size_t bytes, int reps)
{
    if (bytes < 4096) bytes = 4096;
    if (reps < 1) reps = 1;
    char *a = tt_malloc(bytes), *b = tt_malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    double best = 0;
    for (int i = 0; i < reps; i++) {
        double t0 = tt_now_s();
        memcpy(b, a, bytes);
        double dt = tt_now_s() - t0;
        a[(size_t)i % bytes] = b[bytes - 1 - (size_t)i % bytes];   /* keep the copy observable */
        if (dt > 0 && 2.0 * (double)bytes / dt > best) best = 2.0 * (double)bytes / dt;
    }
    free(a);
    free(b);
    return best;
}

typedef struct scan_job {
    const char *p;
    size_t n;
    pthread_barrier_t *bar;
    int reps;
    double *start, *end;   /* [reps], written by thread 0 / every thread */
    const void *found;
} scan_job;

/* Worker t of tt_parallel_run: scans its slice once per rep, all workers
 * starting and ending together at the barrier. */
static void scan_main(void *arg, int t)
{
    scan_job *j = (scan_job *)arg + t;
    for (int r = 0; r < j->reps; r++) {
        pthread_barrier_wait(j->bar);
        if (j->start) j->start[r] = tt_now_s();
        const void *f = memchr(j->p, 0x5a, j->n);
        if (f) j->found = f;
        pthread_barrier_wait(j->bar);
        if (j->end) j->end[r] = tt_now_s();
    }
}

double perf_read_bandwidth(size_t bytes, int threads, int reps)
{
    if (threads <= 0) threads = tt_cpu_count();
    if (threads > 256) threads = 256;
    if (reps < 1) reps = 1;
    if (bytes < (size_t)threads * 4096) bytes = (size_t)threads * 4096;
    char *buf = tt_malloc(bytes);
    memset(buf, 1, bytes);   /* touch every page; 0x5a never occurs */
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    scan_job *jobs = tt_calloc((size_t)threads, sizeof *jobs);
    double *start = tt_calloc((size_t)reps, sizeof *start), *end = tt_calloc((size_t)reps, sizeof *end);
    size_t slice = bytes / (size_t)threads;
    for (int t = 0; t < threads; t++)
        jobs[t] = (scan_job){buf + (size_t)t * slice, t == threads - 1 ? bytes - (size_t)t * slice : slice, &bar, reps,
                             t == 0 ? start : NULL, t == 0 ? end : NULL, NULL};
    /* all or none: a missing thread would leave the others at the barrier */
    int ran = tt_parallel_run(threads, scan_main, jobs, NULL) == TT_OK;
    double best = 0;
    for (int r = 0; ran && r < reps; r++) {
        double dt = end[r] - start[r];
        if (dt > 0 && (double)bytes / dt > best) best = (double)bytes / dt;
    }
    pthread_barrier_destroy(&bar);
    free(start);
    free(end);
    free(jobs);
    free(buf);
    return best;
}

/* ---- /proc ---------------------------------------------------------------------- */

int perf_reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return TT_ERR_IO;
    int ok = fputs("5", f) >= 0;
    if (fclose(f) != 0) ok = 0;
    return ok ? TT_OK : TT_ERR_IO;
}

/* Parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold
 * spaces and parentheses, so parse after the last ')'). -1 on failure. */
static pid_t stat_ppid(const char *pid_dir)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/stat", pid_dir);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    if (!rp) return -1;
    char state;
    int ppid;
    if (sscanf(rp + 1, " %c %d", &state, &ppid) != 2) return -1;
    return (pid_t)ppid;
}

int perf_proc_tree(pid_t root, pid_t **pids, int *n)
{
    *pids = NULL;
    *n = 0;
    char rootdir[32];
    snprintf(rootdir, sizeof rootdir, "%d", (int)root);
    if (root <= 0 || stat_ppid(rootdir) < 0) return TT_OK;
    /* snapshot of (pid, ppid) for every process */
    int cap = 256, m = 0;
    pid_t *all = tt_malloc((size_t)cap * sizeof *all), *par = tt_malloc((size_t)cap * sizeof *par);
    DIR *d = opendir("/proc");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!isdigit((unsigned char)de->d_name[0])) continue;
            pid_t pp = stat_ppid(de->d_name);
            if (pp < 0) continue;
            if (m == cap) {
                cap *= 2;
                all = tt_realloc(all, (size_t)cap * sizeof *all);
                par = tt_realloc(par, (size_t)cap * sizeof *par);
            }
            all[m] = (pid_t)atoi(de->d_name);
            par[m++] = pp;
        }
        closedir(d);
    }
    /* breadth-first from root */
    pid_t *out = tt_malloc((size_t)(m + 1) * sizeof *out);
    int k = 0;
    out[k++] = root;
    for (int i = 0; i < k; i++)
        for (int j = 0; j < m; j++)
            if (par[j] == out[i] && all[j] != root) {
                int seen = 0;
                for (int q = 0; q < k && !seen; q++) seen = out[q] == all[j];
                if (!seen) out[k++] = all[j];
            }
    free(all);
    free(par);
    *pids = out;
    *n = k;
    return TT_OK;
}

int64_t perf_tree_rss_bytes(pid_t root)
{
    pid_t *pids;
    int n;
    perf_proc_tree(root, &pids, &n);
    int64_t sum = n ? 0 : -1;
    for (int i = 0; i < n; i++) {
        int64_t v = tt_proc_rss_bytes(pids[i]);
        if (v > 0) sum += v;    /* zombies and kernel threads have none */
    }
    free(pids);
    return sum;
}

/* ---- nvidia-smi ------------------------------------------------------------------ */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

int perf_nvidia_smi_parse(const char *text, const pid_t *pids, int n, int64_t *bytes, int *matched, int *unknown,
                          char *err)
{
    *bytes = 0;
    if (matched) *matched = 0;
    if (unknown) *unknown = 0;
    const char *p = text ? text : "";
    int lineno = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        char line[256];
        if (len >= sizeof line) return tt_fail(err, TT_ERR_PARSE, "nvidia-smi output line %d is too long", lineno);
        memcpy(line, p, len);
        line[len] = 0;
        p = eol ? eol + 1 : p + len;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) line[--len] = 0;
        const char *s = skip_ws(line);
        if (!*s || strstr(s, "No running processes found")) continue;
        char *end;
        errno = 0;
        long pid = strtol(s, &end, 10);
        if (end == s || errno || pid <= 0)
            return tt_fail(err, TT_ERR_PARSE, "nvidia-smi output line %d: expected 'PID, MiB', got '%s'", lineno, s);
        const char *c = skip_ws(end);
        if (*c != ',')
            return tt_fail(err, TT_ERR_PARSE, "nvidia-smi output line %d: expected 'PID, MiB', got '%s'", lineno, s);
        const char *v = skip_ws(c + 1);
        int want = n < 0;
        for (int i = 0; i < n && !want; i++) want = pids[i] == (pid_t)pid;
        if (*v == '[') {     /* [N/A], [Not Supported], [Insufficient Permissions] */
            if (want && unknown) *unknown = 1;
            if (want && matched) (*matched)++;
            continue;
        }
        errno = 0;
        double mib = strtod(v, &end);
        if (end == v || errno || mib < 0 || *skip_ws(end))
            return tt_fail(err, TT_ERR_PARSE, "nvidia-smi output line %d: used_memory '%s' is not a number of MiB", lineno,
                           v);
        if (!want) continue;
        *bytes += (int64_t)(mib * 1048576.0);
        if (matched) (*matched)++;
    }
    return TT_OK;
}

int perf_have_nvidia_smi(void)
{
    const char *path = getenv("PATH");
    if (!path) return 0;
    char *copy = tt_strdup(path), *save = NULL;
    int found = 0;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        char *f = tt_path_join(*dir ? dir : ".", "nvidia-smi");
        found = access(f, X_OK) == 0;
        free(f);
    }
    free(copy);
    return found;
}

int perf_gpu_bytes(const pid_t *pids, int n, int64_t *bytes, char *err)
{
    *bytes = -1;
    if (!perf_have_nvidia_smi()) return tt_fail(err, TT_ERR_NOTFOUND, "no 'nvidia-smi' on PATH");
    FILE *f = popen("nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null", "r");
    if (!f) return tt_fail(err, TT_ERR_IO, "cannot run 'nvidia-smi': %s", strerror(errno));
    tt_buf b;
    tt_buf_init(&b);
    char chunk[4096];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) tt_buf_append(&b, chunk, k);
    int st = pclose(f);
    int rc;
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        rc = tt_fail(err, TT_ERR_IO, "'nvidia-smi' failed (status %d)", st);
    else
        rc = perf_nvidia_smi_parse(tt_buf_str(&b), pids, n, bytes, NULL, NULL, err);
    tt_buf_free(&b);
    return rc;
}

/* ---- sampler --------------------------------------------------------------------- */

struct perf_sampler {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    pid_t root;
    double interval_s, gpu_interval_s;
    perf_sample_summary sum;
};

static void sampler_once(perf_sampler *s, int with_gpu)
{
    pid_t *pids;
    int n;
    perf_proc_tree(s->root, &pids, &n);
    int64_t rss = n ? 0 : -1, hwm = n ? 0 : -1;
    for (int i = 0; i < n; i++) {
        int64_t v = tt_proc_rss_bytes(pids[i]), h = tt_proc_peak_rss_bytes(pids[i]);
        if (v > 0) rss += v;
        if (h > 0) hwm += h;
    }
    int64_t gpu = -1;
    char err[TT_ERR_SIZE];
    int gpu_ok = with_gpu && n && perf_gpu_bytes(pids, n, &gpu, err) == TT_OK;
    free(pids);
    pthread_mutex_lock(&s->mu);
    if (rss >= 0) {
        s->sum.last_rss_bytes = rss;
        if (rss > s->sum.peak_rss_bytes) s->sum.peak_rss_bytes = rss;
        if (hwm > s->sum.peak_hwm_sum_bytes) s->sum.peak_hwm_sum_bytes = hwm;
        s->sum.n_samples++;
    }
    if (gpu_ok) {
        s->sum.gpu_measured = 1;
        if (gpu > s->sum.peak_gpu_bytes) s->sum.peak_gpu_bytes = gpu;
    }
    pthread_mutex_unlock(&s->mu);
}

static void *sampler_main(void *arg)
{
    perf_sampler *s = arg;
    int have_gpu = s->gpu_interval_s > 0 && perf_have_nvidia_smi();
    double next_gpu = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        double now = tt_now_s();
        int gpu = have_gpu && now >= next_gpu;
        if (gpu) next_gpu = now + s->gpu_interval_s;
        sampler_once(s, gpu);
        pthread_mutex_lock(&s->mu);
        if (s->stop) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double w = ts.tv_sec + ts.tv_nsec / 1e9 + s->interval_s;
        ts.tv_sec = (time_t)w;
        ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int perf_sampler_start(pid_t root, double interval_s, double gpu_interval_s, perf_sampler **out, char *err)
{
    *out = NULL;
    perf_sampler *s = tt_calloc(1, sizeof *s);
    s->root = root;
    s->interval_s = interval_s > 0 ? interval_s : 0.05;
    s->gpu_interval_s = gpu_interval_s;
    s->sum.peak_rss_bytes = s->sum.last_rss_bytes = s->sum.peak_gpu_bytes = s->sum.peak_hwm_sum_bytes = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->th, NULL, sampler_main, s)) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return tt_fail(err, TT_ERR, "cannot start the memory sampler thread");
    }
    *out = s;
    return TT_OK;
}

void perf_sampler_read(perf_sampler *s, perf_sample_summary *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->sum;
    pthread_mutex_unlock(&s->mu);
}

void perf_sampler_stop(perf_sampler *s, perf_sample_summary *out)
{
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    sampler_once(s, 0);   /* a last look, so the end of the run is covered */
    if (out) *out = s->sum;
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* ---- machine ------------------------------------------------------------------------ */

void perf_cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (!c) continue;
            c = (char *)skip_ws(c + 1);
            size_t l = strlen(c);
            while (l && (c[l - 1] == '\n' || c[l - 1] == ' ')) c[--l] = 0;
            snprintf(out, n, "%s", c);
            break;
        }
    }
    fclose(f);
}
