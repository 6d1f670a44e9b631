/*
 * util.c — implementation of the helpers in util.h: string buffer, errors,
 * files, SHA-256 (FIPS 180-4), FNV-1a, clocks, xoshiro256** RNG, UTF-8
 * counting. Nothing here knows about tasks, models or the store.
 */
#include "core/util.h"
#include "core/redact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int tt_fail(char *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, TT_ERR_SIZE, fmt, ap);
        va_end(ap);
        tt_redact_buf(err, TT_ERR_SIZE);   /* an error message never carries a key */
    }
    return code;
}

const char *tt_strerror(int code)
{
    switch (code) {
    case TT_OK: return "ok";
    case TT_ERR: return "failed";
    case TT_ERR_USAGE: return "usage error";
    case TT_ERR_IO: return "i/o error";
    case TT_ERR_PARSE: return "malformed input";
    case TT_ERR_UNSUPPORTED: return "unsupported";
    case TT_ERR_ENGINE: return "engine error";
    case TT_ERR_STORE: return "store error";
    case TT_ERR_NOMEM: return "out of memory";
    case TT_ERR_NOTFOUND: return "not found";
    case TT_ERR_INTERRUPTED: return "interrupted";
    default: return "unknown error";
    }
}

/* ---- memory ---------------------------------------------------------------- */

static void oom(size_t n)
{
    fprintf(stderr, "tianti: out of memory allocating %zu bytes\n", n);
    abort();
}

void *tt_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *tt_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *tt_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

void tt_release_pages(const void *p, size_t n)
{
    if (!p || n == 0) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), a = (uintptr_t)p, e = a + n;
    uintptr_t lo = (a + page - 1) & ~(page - 1), hi = e & ~(page - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

char *tt_strdup(const char *s)
{
    if (!s) return NULL;
    return tt_strndup(s, strlen(s));
}

char *tt_strndup(const char *s, size_t n)
{
    char *d = tt_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *tt_asprintf(const char *fmt, ...)
{
    tt_buf b;
    tt_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    tt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!b.data) tt_buf_append(&b, "", 0);
    return tt_buf_detach(&b);
}

/* ---- string buffer ------------------------------------------------------------ */

void tt_buf_init(tt_buf *b) { b->data = NULL; b->len = 0; b->cap = 0; }

void tt_buf_free(tt_buf *b)
{
    free(b->data);
    tt_buf_init(b);
}

void tt_buf_reset(tt_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

static void buf_reserve(tt_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = tt_realloc(b->data, cap);
    b->cap = cap;
}

void tt_buf_append(tt_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void tt_buf_puts(tt_buf *b, const char *s) { tt_buf_append(b, s, strlen(s)); }

void tt_buf_vprintf(tt_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tt_buf_printf(tt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *tt_buf_str(const tt_buf *b) { return b->data ? b->data : ""; }

char *tt_buf_detach(tt_buf *b)
{
    char *d = b->data ? b->data : tt_strdup("");
    tt_buf_init(b);
    return d;
}

/* ---- files ----------------------------------------------------------------------- */

/* What a file that is not a regular one is, for messages. */
static const char *file_kind(mode_t m)
{
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISDIR(m)) return "a directory";
    return "not a regular file";
}

int tt_open_regular(const char *path, size_t max, int *fd, size_t *size, char *err)
{
    *fd = -1;
    *size = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) return tt_fail(err, TT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(f, &st) < 0) {
        int e = errno;
        close(f);
        return tt_fail(err, TT_ERR_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return tt_fail(err, TT_ERR_IO, "'%s' is %s, not a regular file: refusing to read it", path, file_kind(st.st_mode));
    }
    if (max && (uint64_t)st.st_size > (uint64_t)max) {
        close(f);
        return tt_fail(err, TT_ERR_IO, "'%s' is %lld bytes, over the limit of %zu bytes for this file", path,
                       (long long)st.st_size, max);
    }
    int fl = fcntl(f, F_GETFL);
    if (fl >= 0) fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
    *fd = f;
    *size = (size_t)st.st_size;
    return TT_OK;
}

int tt_read_file_max(const char *path, size_t max, char **out, size_t *len, char *err)
{
    *out = NULL;
    int fd;
    size_t size;
    int rc = tt_open_regular(path, max, &fd, &size, err);
    if (rc) return rc;
    tt_buf b;
    tt_buf_init(&b);
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_IO, "cannot read '%s': %s", path, strerror(e));
        }
        if (n == 0) break;
        if (max && b.len + (size_t)n > max) {   /* it grew while we read */
            close(fd);
            tt_buf_free(&b);
            return tt_fail(err, TT_ERR_IO, "'%s' grew past the limit of %zu bytes for this file while being read", path,
                           max);
        }
        tt_buf_append(&b, chunk, (size_t)n);
    }
    close(fd);
    if (len) *len = b.len;
    *out = tt_buf_detach(&b);
    return TT_OK;
}

int tt_read_file(const char *path, char **out, size_t *len, char *err)
{
    return tt_read_file_max(path, TT_READ_MAX, out, len, err);
}

int tt_write_file(const char *path, const void *data, size_t len, char *err)
{
    /* Write to a temporary name and rename, so a reader never sees half a file. */
    char *tmp = tt_asprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int rc = tt_fail(err, TT_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int rc = tt_fail(err, TT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return TT_OK;
}

int tt_mkdir_p(const char *path, char *err)
{
    char *p = tt_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int rc = tt_fail(err, TT_ERR_IO, "cannot create directory '%s': %s", p, strerror(errno));
            free(p);
            return rc;
        }
        *s = '/';
    }
    int rc = TT_OK;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = tt_fail(err, TT_ERR_IO, "cannot create directory '%s': %s", p, strerror(errno));
    free(p);
    return rc;
}

int tt_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *tt_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return tt_strdup(".");
    if (slash == path) return tt_strdup("/");
    return tt_strndup(path, (size_t)(slash - path));
}

char *tt_path_join(const char *dir, const char *rel)
{
    if (!dir || !*dir || rel[0] == '/') return tt_strdup(rel);
    size_t n = strlen(dir);
    return tt_asprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", rel);
}

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t S1 = ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = k + S1 + ch + sha_k[i] + w[i];
        uint32_t S0 = ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = S0 + mj;
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void tt_sha256(const void *data, size_t len, uint8_t out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const uint8_t *p = data;
    size_t full = len / 64;
    for (size_t i = 0; i < full; i++) sha256_block(h, p + 64 * i);
    uint8_t tail[128] = {0};
    size_t rest = len - full * 64;
    memcpy(tail, p + full * 64, rest);
    tail[rest] = 0x80;
    size_t tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tlen == 128) sha256_block(h, tail + 64);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void tt_sha256_hex(const void *data, size_t len, char hex[65])
{
    uint8_t d[32];
    tt_sha256(data, len, d);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

uint64_t tt_fnv1a64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- time and randomness ---------------------------------------------------------- */

double tt_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double tt_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void tt_iso8601(double wall_s, char out[32])
{
    time_t t = (time_t)wall_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tt_rng_seed(tt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tt_rng_next(tt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

double tt_rng_uniform(tt_rng *r) { return (double)(tt_rng_next(r) >> 11) * 0x1.0p-53; }

uint64_t tt_rng_below(tt_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = tt_rng_next(r); while (x >= limit);
    return x % n;
}
