/*
 * util.h — small containers and helpers that know nothing about evaluation:
 * a growable string buffer, error-message formatting, files, hashing, time.
 *
 * Error convention for all of libtianti (see docs/DESIGN.md):
 *   - fallible functions return an int status, TT_OK (0) on success;
 *   - the caller lends a message buffer `char err[TT_ERR_SIZE]`; on failure
 *     the callee writes one line there in git's style (lower case, no final
 *     full stop, subject in single quotes) and returns a nonzero code;
 *   - library code never calls exit(); only cli/main.c turns codes into exit
 *     statuses.
 */
#ifndef TIANTI_UTIL_H
#define TIANTI_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define TT_ERR_SIZE 512

enum tt_status {
    TT_OK = 0,
    TT_ERR = 1,          /* generic runtime failure */
    TT_ERR_USAGE = 2,    /* bad command line or option value */
    TT_ERR_IO = 3,       /* file or network I/O failed */
    TT_ERR_PARSE = 4,    /* malformed input (task file, data, JSON, GGUF) */
    TT_ERR_UNSUPPORTED = 5, /* an engine lacks a capability a task needs */
    TT_ERR_ENGINE = 6,   /* a model engine failed to answer */
    TT_ERR_STORE = 7,    /* SQLite failure */
    TT_ERR_NOMEM = 8,    /* allocation failed */
    TT_ERR_NOTFOUND = 9, /* named thing does not exist */
    TT_ERR_INTERRUPTED = 10 /* stopped by a signal or deadline */
};

/* Writes a formatted message into err (if non-NULL) and returns code. */
int tt_fail(char *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Short text for a status code; never NULL. */
const char *tt_strerror(int code);

/* ---- growable string buffer (always NUL-terminated once initialised) ---- */
typedef struct tt_buf {
    char *data;   /* NULL until the first append */
    size_t len;   /* bytes used, excluding the NUL */
    size_t cap;
} tt_buf;

void tt_buf_init(tt_buf *b);
void tt_buf_free(tt_buf *b);
void tt_buf_reset(tt_buf *b);                       /* len = 0, keeps memory */
void tt_buf_append(tt_buf *b, const char *s, size_t n);
void tt_buf_puts(tt_buf *b, const char *s);
void tt_buf_printf(tt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tt_buf_vprintf(tt_buf *b, const char *fmt, va_list ap);
const char *tt_buf_str(const tt_buf *b);            /* "" when empty */
char *tt_buf_detach(tt_buf *b);                     /* caller frees; b is reset */

/* ---- memory: abort on OOM (allocation failure is not recoverable here) -- */
void *tt_malloc(size_t n);
void *tt_calloc(size_t n, size_t size);
void *tt_realloc(void *p, size_t n);
char *tt_strdup(const char *s);                     /* NULL in, NULL out */
char *tt_strndup(const char *s, size_t n);
char *tt_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Hands back to the kernel the whole pages inside [p, p + n) of private
 * memory the caller will not read again (madvise MADV_DONTNEED): pages of
 * an anonymous block are freed (the block itself stays the caller's, to be
 * freed as usual), pages of a private file mapping drop out of the process
 * and stay in the page cache. The partial pages at either end are kept:
 * they may hold a neighbour's bytes. */
void tt_release_pages(const void *p, size_t n);

/* ---- files ---------------------------------------------------------------- */
/* The most tt_read_file reads (1 GiB); callers with smaller files pass a
 * smaller cap to tt_read_file_max. */
#define TT_READ_MAX ((size_t)1 << 30)
/* Opens path for reading when it is a regular file — not a FIFO (whose
 * open would wait for a writer forever), a device (/dev/zero never ends),
 * a socket or a directory — of at most max bytes (0: any size). TT_OK with
 * *fd (close-on-exec, blocking) and *size; otherwise TT_ERR_IO naming the
 * file and what it is. */
int tt_open_regular(const char *path, size_t max, int *fd, size_t *size, char *err);
/* Reads a whole regular file of at most max bytes (tt_open_regular's
 * checks); *out is NUL-terminated, caller frees. */
int tt_read_file_max(const char *path, size_t max, char **out, size_t *len, char *err);
/* tt_read_file_max(path, TT_READ_MAX, ...). */
int tt_read_file(const char *path, char **out, size_t *len, char *err);
int tt_write_file(const char *path, const void *data, size_t len, char *err);
int tt_mkdir_p(const char *path, char *err);
int tt_file_exists(const char *path);
/* Directory part of path ("." if none); caller frees. */
char *tt_dirname(const char *path);
/* Joins dir and rel unless rel is absolute; caller frees. */
char *tt_path_join(const char *dir, const char *rel);

/* ---- hashing --------------------------------------------------------------- */
void tt_sha256(const void *data, size_t len, uint8_t out[32]);
/* Lower-case hex of the sha256 of data into hex[65]. */
void tt_sha256_hex(const void *data, size_t len, char hex[65]);
uint64_t tt_fnv1a64(const void *data, size_t len);

/* ---- time and randomness ----------------------------------------------- */
double tt_now_s(void);          /* monotonic seconds */
double tt_wall_s(void);         /* seconds since the epoch */
void tt_iso8601(double wall_s, char out[32]);  /* 2026-11-28T17:04:00Z */

/* splitmix64-seeded xoshiro256** generator; deterministic for a seed. */
typedef struct tt_rng { uint64_t s[4]; } tt_rng;
void tt_rng_seed(tt_rng *r, uint64_t seed);
uint64_t tt_rng_next(tt_rng *r);
double tt_rng_uniform(tt_rng *r);               /* [0, 1) */
uint64_t tt_rng_below(tt_rng *r, uint64_t n);   /* [0, n), unbiased */

#endif
