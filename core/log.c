/*
 * log.c — the process-wide log sink (see log.h for why the library never
 * prints). One mutex keeps messages from different threads whole.
 */
#include "core/log.h"
#include "core/redact.h"

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static tt_log_sink log_sink;
static void *log_ud;
static int log_max = TT_LOG_INFO;

tt_log_sink tt_log_set_sink(tt_log_sink sink, void *ud, tt_log_level max_level)
{
    pthread_mutex_lock(&log_mu);
    tt_log_sink old = log_sink;
    log_sink = sink;
    log_ud = ud;
    log_max = (int)max_level;
    pthread_mutex_unlock(&log_mu);
    return old;
}

int tt_log_enabled(tt_log_level level)
{
    pthread_mutex_lock(&log_mu);
    int on = log_sink != NULL && (int)level <= log_max;
    pthread_mutex_unlock(&log_mu);
    return on;
}

void tt_vlog(tt_log_level level, const char *fmt, va_list ap)
{
    char msg[2048];
    pthread_mutex_lock(&log_mu);
    if (log_sink && (int)level <= log_max) {
        vsnprintf(msg, sizeof msg, fmt, ap);
        tt_redact_buf(msg, sizeof msg);   /* no log line carries a key */
        log_sink(log_ud, level, msg);
    }
    pthread_mutex_unlock(&log_mu);
}

void tt_log(tt_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_vlog(level, fmt, ap);
    va_end(ap);
}

const char *tt_log_level_name(tt_log_level level)
{
    switch (level) {
    case TT_LOG_ERROR: return "error";
    case TT_LOG_WARN: return "warning";
    case TT_LOG_INFO: return "info";
    case TT_LOG_DEBUG: return "debug";
    }
    return "?";
}
