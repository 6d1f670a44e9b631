/*
 * failures.c — implementation of failures.h. The kinds are recognised by
 * the phrases libcurl (curl_easy_strerror), the HTTP client
 * (engines/http/http_client.c: "HTTP 429: ...", "gave up after N
 * attempts: POST URL: why") and the OpenAI engine's reply checks use.
 */
#include "harness/failures.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Case-insensitive substring search. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return hay;
    return NULL;
}

/* The endpoint paths dropped from a URL: what is left is the base URL a
 * user configured. */
static const char *const endpoints[] = {"/chat/completions", "/completions", "/embeddings", "/moderations"};

/* The first http(s) URL in msg without its endpoint path, into out. */
static void find_url(const char *msg, char *out, size_t n)
{
    out[0] = 0;
    const char *u = find_ci(msg, "http://");
    const char *s = find_ci(msg, "https://");
    if (!u || (s && s < u)) u = s;
    if (!u) return;
    size_t len = strcspn(u, " \t\n'\"),");
    while (len > 0 && (u[len - 1] == ':' || u[len - 1] == '.' || u[len - 1] == '/')) len--;
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        size_t el = strlen(endpoints[i]);
        if (len > el && strncmp(u + len - el, endpoints[i], el) == 0) {
            len -= el;
            break;
        }
    }
    snprintf(out, n, "%.*s", (int)len, u);
}

/* "HTTP ddd" in msg: the status, or 0. */
static int http_status(const char *msg)
{
    const char *p = msg;
    while ((p = find_ci(p, "HTTP ")) != NULL) {
        p += 5;
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
            !isdigit((unsigned char)p[3]))
            return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    }
    return 0;
}

typedef struct kind_rule {
    const char *phrase;   /* found anywhere in the text, any case */
    const char *kind;
} kind_rule;

/* Transport failures first: they explain whatever follows them. */
static const kind_rule rules[] = {
    {"couldn't connect", "connection refused"},
    {"connection refused", "connection refused"},
    {"failed to connect", "connection refused"},
    {"couldn't resolve host", "host not found"},
    {"could not resolve host", "host not found"},
    {"resolve host name", "host not found"},
    {"timeout was reached", "timed out"},
    {"timed out", "timed out"},
    {"server returned nothing", "empty reply from server"},
    {"empty reply from server", "empty reply from server"},
    {"recv failure", "connection reset"},
    {"send failure", "connection reset"},
    {"connection reset", "connection reset"},
    {"ssl ", "TLS failure"},
    {"certificate", "TLS failure"},
    {"insufficient_quota", "quota exhausted"},
    {"exceeded your current quota", "quota exhausted"},
};

static const kind_rule reply_rules[] = {
    {"malformed json", "malformed JSON reply"},
    {"malformed stream chunk", "malformed stream"},
    {"malformed logprobs", "malformed reply"},
    {"is not a json object", "malformed reply"},
    {"reply has no", "malformed reply"},
    {"reply has an empty", "malformed reply"},
    {"choice has neither", "malformed reply"},
    {"message has no content", "malformed reply"},
    {"is not a string", "malformed reply"},
    {"empty reply body", "empty reply body"},
    {"truncated", "truncated reply"},
    {"stream carried no content", "empty stream"},
    {"larger than", "reply too large"},
    {"deadline of", "timed out"},
};

/* Kind of an HTTP status. */
static void status_kind(int st, char *out, size_t n)
{
    const char *what = st == 429 ? "rate limited" : st == 401 ? "unauthorized" : st == 403 ? "forbidden"
                     : st == 404 ? "not found" : st == 408 ? "request timeout" : st >= 500 ? "server error" : NULL;
    if (what) snprintf(out, n, "%s (HTTP %d)", what, st);
    else snprintf(out, n, "HTTP %d", st);
}

/* A text of no known kind: its last clause (after "attempts: " and the
 * URL), digits folded to N, at most 100 bytes. */
static void generic_kind(const char *msg, char *out, size_t n)
{
    const char *p = msg, *q;
    if ((q = find_ci(p, "attempts: ")) != NULL) p = q + 10;
    if ((q = find_ci(p, "http")) != NULL && (q = strstr(q, ": ")) != NULL) p = q + 2;
    size_t o = 0;
    for (; *p && o + 4 < n && o < 100; p++) {
        if (isdigit((unsigned char)*p)) {
            while (isdigit((unsigned char)p[1])) p++;
            out[o++] = 'N';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = 0;
}

void failures_cause(const char *msg, char *out, size_t n)
{
    if (!n) return;
    if (!msg || !*msg) {
        snprintf(out, n, "unknown error");
        return;
    }
    char kind[160] = "", url[256];
    find_url(msg, url, sizeof url);
    for (size_t i = 0; !kind[0] && i < sizeof rules / sizeof rules[0]; i++)
        if (find_ci(msg, rules[i].phrase)) snprintf(kind, sizeof kind, "%s", rules[i].kind);
    int st = kind[0] ? 0 : http_status(msg);
    if (st) status_kind(st, kind, sizeof kind);
    for (size_t i = 0; !kind[0] && i < sizeof reply_rules / sizeof reply_rules[0]; i++)
        if (find_ci(msg, reply_rules[i].phrase)) snprintf(kind, sizeof kind, "%s", reply_rules[i].kind);
    if (!kind[0] && find_ci(msg, "not sent")) snprintf(kind, sizeof kind, "not sent (the model stopped)");
    if (!kind[0]) {
        generic_kind(msg, kind, sizeof kind);
        url[0] = 0;   /* the text says it already */
    }
    if (url[0]) snprintf(out, n, "%s: %s", kind, url);
    else snprintf(out, n, "%s", kind);
}

int failures_unreachable(const char *msg)
{
    char cause[TT_ERR_SIZE];
    failures_cause(msg, cause, sizeof cause);
    return !strncmp(cause, "connection refused", 18) || !strncmp(cause, "host not found", 14);
}

void failures_init(failures *f) { memset(f, 0, sizeof *f); }

void failures_free(failures *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->items[i].cause);
        free(f->items[i].example);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

void failures_add(failures *f, const char *msg, int count)
{
    if (count <= 0) return;
    char cause[TT_ERR_SIZE];
    failures_cause(msg, cause, sizeof cause);
    f->total += count;
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->items[i].cause, cause) == 0) {
            f->items[i].count += count;
            return;
        }
    f->items = tt_realloc(f->items, sizeof *f->items * (size_t)(f->n + 1));
    f->items[f->n].cause = tt_strdup(cause);
    f->items[f->n].example = tt_strdup(msg ? msg : "");
    f->items[f->n].count = count;
    f->n++;
}

void failures_sort(failures *f)
{
    /* insertion sort: stable, and lists are short */
    for (int i = 1; i < f->n; i++) {
        failures_item x = f->items[i];
        int j = i - 1;
        while (j >= 0 && f->items[j].count < x.count) {
            f->items[j + 1] = f->items[j];
            j--;
        }
        f->items[j + 1] = x;
    }
}
