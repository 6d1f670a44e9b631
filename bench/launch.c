/*
 * launch.c — a local model server under bench's control (see launch.h):
 * fork + setpgid + /bin/sh -c, readiness polling with libcurl, process-group
 * shutdown. Called by bench/bench.c and tests/unit/test_bench.c.
 */
#include "bench/launch.h"
#include "core/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct launch_proc {
    pid_t pid;           /* also the process group id */
    int reaped;
    int status;          /* wait status once reaped */
    char *command;
    char *log_path;
    int own_log;         /* remove log_path in launch_free */
};

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

void launch_describe_status(int status, char *out, int n)
{
    if (WIFEXITED(status)) snprintf(out, (size_t)n, "status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(out, (size_t)n, "signal %d", WTERMSIG(status));
    else snprintf(out, (size_t)n, "wait status %d", status);
}

int launch_start(const char *command, const char *log_path, launch_proc **out, char *err)
{
    *out = NULL;
    if (!command || !*command) return tt_fail(err, TT_ERR_USAGE, "empty launch command");
    launch_proc *p = tt_calloc(1, sizeof *p);
    p->command = tt_strdup(command);
    if (log_path) {
        p->log_path = tt_strdup(log_path);
    } else {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        p->log_path = tt_asprintf("%s/tianti-launch-%ld-XXXXXX", dir, (long)getpid());
        int fd = mkstemp(p->log_path);
        if (fd < 0) {
            int rc = tt_fail(err, TT_ERR_IO, "cannot create a log file '%s': %s", p->log_path, strerror(errno));
            launch_free(p);
            return rc;
        }
        close(fd);
        p->own_log = 1;
    }
    int fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = tt_fail(err, TT_ERR_IO, "cannot open '%s': %s", p->log_path, strerror(errno));
        launch_free(p);
        return rc;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        int rc = tt_fail(err, TT_ERR, "cannot fork for '%s': %s", command, strerror(errno));
        launch_free(p);
        return rc;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) dup2(nul, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);   /* also here, so the group exists before any kill */
    close(fd);
    p->pid = pid;
    *out = p;
    return TT_OK;
}

pid_t launch_pid(const launch_proc *p) { return p->pid; }

int launch_alive(launch_proc *p, int *status)
{
    if (!p->reaped) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->reaped = 1;
            p->status = st;
        }
    }
    if (p->reaped && status) *status = p->status;
    return !p->reaped;
}

char *launch_last_output(const launch_proc *p)
{
    char *text = NULL;
    size_t len = 0;
    char err[TT_ERR_SIZE];
    if (tt_read_file(p->log_path, &text, &len, err) != TT_OK) return tt_strdup("");
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ')) text[--len] = 0;
    char *nl = strrchr(text, '\n');
    char *line = tt_strdup(nl ? nl + 1 : text);
    free(text);
    if (strlen(line) > 200) line[200] = 0;
    return line;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

/* 1 when url gave any HTTP reply. */
static int answers(const char *url)
{
    CURL *h = curl_easy_init();
    if (!h) return 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return rc == CURLE_OK && code > 0;
}

int launch_wait_ready(launch_proc *p, const char *url, double timeout_s, double poll_s, char *err)
{
    if (poll_s <= 0) poll_s = 0.1;
    double t0 = tt_now_s();
    for (;;) {
        int st;
        if (!launch_alive(p, &st)) {
            char how[64];
            launch_describe_status(st, how, sizeof how);
            char *last = launch_last_output(p);
            int rc = tt_fail(err, TT_ERR_ENGINE, "launch command '%s' exited with %s before answering on '%s'%s%s",
                             p->command, how, url, *last ? ": " : "", last);
            free(last);
            return rc;
        }
        if (answers(url)) return TT_OK;
        if (tt_now_s() - t0 >= timeout_s) break;
        sleep_s(poll_s);
    }
    int killed = 0;
    launch_stop(p, 2.0, &killed);
    char *last = launch_last_output(p);
    int rc = tt_fail(err, TT_ERR_INTERRUPTED, "launch command '%s' did not answer on '%s' within %g s; stopped it (%s)%s%s",
                     p->command, url, timeout_s, killed ? "SIGKILL" : "SIGTERM", *last ? "; last output: " : "", last);
    free(last);
    return rc;
}

int launch_stop(launch_proc *p, double grace_s, int *killed)
{
    if (killed) *killed = 0;
    if (!launch_alive(p, NULL)) {
        kill(-p->pid, SIGKILL);   /* children that outlived the shell */
        return TT_OK;
    }
    kill(-p->pid, SIGTERM);
    double t0 = tt_now_s();
    while (launch_alive(p, NULL) && tt_now_s() - t0 < grace_s) sleep_s(0.02);
    if (launch_alive(p, NULL)) {
        if (killed) *killed = 1;
        kill(-p->pid, SIGKILL);
        while (launch_alive(p, NULL)) sleep_s(0.01);
    } else {
        kill(-p->pid, SIGKILL);   /* anything left in the group */
    }
    return TT_OK;
}

void launch_free(launch_proc *p)
{
    if (!p) return;
    if (p->pid > 0) launch_stop(p, 2.0, NULL);
    if (p->own_log && p->log_path) unlink(p->log_path);
    free(p->log_path);
    free(p->command);
    free(p);
}
