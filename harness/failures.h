/*
 * failures.h — why documents could not be scored, grouped so a person can
 * read it: "48 × connection refused: http://127.0.0.1:8000/v1" rather than
 * 48 lines that differ only in a request's details.
 *
 * An error text (an engine's resp->error, a scoring error) is normalised to
 * its cause class: the kind of failure (connection refused, host not found,
 * timed out, rate limited (HTTP 429), server error (HTTP 5xx), malformed
 * reply, truncated reply, ...) and, for HTTP engines, the base URL it
 * concerns (the endpoint path dropped, so /completions and
 * /chat/completions of one server are one cause). A text of no known kind
 * becomes its own class with digits folded ("doc 7" and "doc 9" group).
 * The full texts stay with the samples in the store; classes are for
 * people. The runner (runner.c) tallies each task's causes into its
 * results document (results.h "errors"); the tool prints them.
 */
#ifndef TIANTI_FAILURES_H
#define TIANTI_FAILURES_H

#include <stddef.h>

/* The cause class of error text msg, into out (n bytes). */
void failures_cause(const char *msg, char *out, size_t n);

/* 1 when msg says no server could be reached at all (connection refused,
 * host not found): every further request to it would fail the same way. */
int failures_unreachable(const char *msg);

/* Causes with counts, in order of first appearance. */
typedef struct failures_item {
    char *cause;
    char *example;     /* the first full text of this cause */
    int count;
} failures_item;

typedef struct failures {
    failures_item *items;
    int n;
    int total;         /* texts added */
} failures;

void failures_init(failures *f);
void failures_free(failures *f);
/* Classifies msg and counts it (count times). */
void failures_add(failures *f, const char *msg, int count);
/* Sorts the causes by count, largest first (stable). */
void failures_sort(failures *f);

#endif
