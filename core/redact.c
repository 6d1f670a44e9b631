/*
 * redact.c — the secrets and the shapes of redact.h.
 */
#include "core/redact.h"
#include "core/util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SECRETS 64
#define MIN_SECRET 4
#define MIN_PREFIX 6

static pthread_rwlock_t g_lock = PTHREAD_RWLOCK_INITIALIZER;
static char *g_secrets[MAX_SECRETS];
static size_t g_lens[MAX_SECRETS];
static int g_n;

void tt_redact_add(const char *secret)
{
    if (!secret) return;
    size_t n = strlen(secret);
    if (n < MIN_SECRET) return;
    pthread_rwlock_wrlock(&g_lock);
    int dup = 0;
    for (int i = 0; i < g_n && !dup; i++) dup = g_lens[i] == n && !memcmp(g_secrets[i], secret, n);
    if (!dup && g_n < MAX_SECRETS) {
        g_secrets[g_n] = tt_strdup(secret);
        g_lens[g_n] = n;
        g_n++;
    }
    pthread_rwlock_unlock(&g_lock);
}

void tt_redact_add_env(const char *name)
{
    if (name && *name) tt_redact_add(getenv(name));
}

extern char **environ;

void tt_redact_add_env_keys(void)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq - *e < 8) continue;
        if (!strncmp(eq - 8, "_API_KEY", 8)) tt_redact_add(eq + 1);
    }
}

static int key_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* Length of the redaction that starts at s[i], or 0. Under the read lock. */
static size_t match_at(const char *s, size_t len, size_t i)
{
    size_t rest = len - i;
    for (int k = 0; k < g_n; k++) {
        size_t L = g_lens[k];
        if (rest >= L && !memcmp(s + i, g_secrets[k], L)) return L;
        /* a prefix: cut short, or masked after it */
        size_t m = 0;
        while (m < L && m < rest && s[i + m] == g_secrets[k][m]) m++;
        size_t need = L < MIN_PREFIX ? L : MIN_PREFIX;
        if (m >= need && (i + m == len || s[i + m] == '*' || s[i + m] == '.' || (unsigned char)s[i + m] >= 0x80)) {
            size_t j = i + m;
            while (j < len && (key_char(s[j]) || s[j] == '*')) j++;
            return j - i;
        }
    }
    int word_start = i == 0 || !key_char(s[i - 1]);
    if (!word_start) return 0;
    /* sk-... words: 20 key characters or more after "sk-" (a key), or
     * masked with '*' ("sk-abc****wxyz"); "sk-learn" is not one */
    if (rest >= 3 && s[i] == 's' && s[i + 1] == 'k' && s[i + 2] == '-') {
        size_t j = i + 3, stars = 0;
        while (j < len && (key_char(s[j]) || s[j] == '*')) stars += s[j++] == '*';
        if (j - i - 3 >= 20 || (stars >= 3 && j - i >= 8)) return j - i;
    }
    /* a masked key: a word of 10+ characters, not starting with '*', with a
     * run of 3+ '*' and 4+ key characters ("abc1*******wxyz"; not
     * markdown's "***bold***") */
    if (key_char(s[i])) {
        size_t j = i, stars = 0, run = 0, plain = 0;
        while (j < len && (key_char(s[j]) || s[j] == '*')) {
            if (s[j] == '*') {
                run++;
                if (run > stars) stars = run;
            } else {
                run = 0;
                plain++;
            }
            j++;
        }
        if (stars >= 3 && plain >= 4 && j - i >= 10) return j - i;
    }
    return 0;
}

int tt_redact_needed(const char *s, size_t len)
{
    if (!s || !len) return 0;
    pthread_rwlock_rdlock(&g_lock);
    int need = 0;
    for (size_t i = 0; i < len && !need; i++) {
        char c = s[i];
        size_t avail = len - i;
        if (c == '*' || (c == 's' && avail >= 3 && s[i + 1] == 'k' && s[i + 2] == '-') ||
            ((c == 'A' || c == 'a') && avail >= 14 && !strncasecmp(s + i, "authorization:", 14)))
            need = 1;
        for (int k = 0; k < g_n && !need; k++) {
            size_t n = g_lens[k] < MIN_PREFIX ? g_lens[k] : MIN_PREFIX;   /* what match_at needs */
            if (c == g_secrets[k][0] && avail >= n && !memcmp(s + i, g_secrets[k], n)) need = 1;
        }
    }
    pthread_rwlock_unlock(&g_lock);
    return need;
}

char *tt_redact_text(const char *s, size_t len)
{
    tt_buf b;
    tt_buf_init(&b);
    tt_buf_append(&b, "", 0);
    if (!s) return tt_buf_detach(&b);
    pthread_rwlock_rdlock(&g_lock);
    size_t i = 0;
    while (i < len) {
        if ((i == 0 || s[i - 1] == '\n') && len - i > 14 && !strncasecmp(s + i, "authorization:", 14)) {
            tt_buf_puts(&b, "Authorization: " TT_REDACT_MARK);
            while (i < len && s[i] != '\r' && s[i] != '\n') i++;
            continue;
        }
        size_t m = match_at(s, len, i);
        if (m) {
            tt_buf_puts(&b, TT_REDACT_MARK);
            i += m;
            continue;
        }
        tt_buf_append(&b, s + i, 1);
        i++;
    }
    pthread_rwlock_unlock(&g_lock);
    return tt_buf_detach(&b);
}

char *tt_redact_buf(char *buf, size_t size)
{
    if (!buf || !size) return buf;
    size_t n = strnlen(buf, size);
    if (!tt_redact_needed(buf, n)) return buf;
    char *r = tt_redact_text(buf, n);
    size_t rl = strlen(r);
    if (rl >= size) rl = size - 1;
    memcpy(buf, r, rl);
    buf[rl] = '\0';
    free(r);
    return buf;
}

char *tt_redact_owned(char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    if (!tt_redact_needed(s, n)) return s;
    char *r = tt_redact_text(s, n);
    free(s);
    return r;
}
