/*
 * log.h — how library code tells the user something without printing.
 *
 * libtianti never writes to stdout or stderr itself (docs/DESIGN.md): a
 * library that prints cannot be embedded, and its messages cannot be
 * captured by tests. Instead it calls tt_log(), which hands the message to
 * the sink the program installed. The `tianti` tool installs one that
 * prints "tianti: <message>" to stderr (cli/main.c); tests install one that
 * records. With no sink installed, messages are dropped.
 *
 * Levels follow the usual order. TT_LOG_INFO is what a user wants to see in
 * a normal run (resuming, skipping a task); TT_LOG_DEBUG is what `-v` adds
 * (each retry, each request line).
 *
 * Thread safety: tt_log() may be called from any thread; the sink is called
 * under a mutex, so a sink sees one message at a time. Install the sink
 * before starting threads.
 */
#ifndef TIANTI_CORE_LOG_H
#define TIANTI_CORE_LOG_H

#include <stdarg.h>

typedef enum tt_log_level {
    TT_LOG_ERROR = 0,
    TT_LOG_WARN = 1,
    TT_LOG_INFO = 2,
    TT_LOG_DEBUG = 3
} tt_log_level;

/* msg is one line without a trailing newline, valid only during the call. */
typedef void (*tt_log_sink)(void *ud, tt_log_level level, const char *msg);

/* Installs sink (NULL drops every message) and the most verbose level it
 * receives; returns the previous sink. */
tt_log_sink tt_log_set_sink(tt_log_sink sink, void *ud, tt_log_level max_level);
/* 1 when a message at level would reach a sink (to skip building costly ones). */
int tt_log_enabled(tt_log_level level);

void tt_log(tt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_vlog(tt_log_level level, const char *fmt, va_list ap);

/* "error", "warning", "info", "debug". */
const char *tt_log_level_name(tt_log_level level);

#endif
