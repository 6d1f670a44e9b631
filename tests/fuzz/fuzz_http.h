/*
 * fuzz_http.h — what the two server fuzz targets (fuzz_serve.c,
 * fuzz_arena.c) share: a replay model file written once, and one request
 * sent over a real socket to a server of this process, its answer read to
 * the end. Header-only: each target is one program.
 */
#ifndef TIANTI_FUZZ_HTTP_H
#define TIANTI_FUZZ_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"

/* A replay model answering "hello" as chat and as a completion; its path
 * (a temporary file, removed at exit by the caller). */
static inline char *fuzz_replay_model(void)
{
    char tmpl[] = "/tmp/tianti-fuzz-model-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) abort();
    const char *rec = "{\"kind\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"text\":\"hi there\"}\n"
                      "{\"kind\":\"generate\",\"context\":\"hello\",\"text\":\" there\"}\n";
    if (write(fd, rec, strlen(rec)) != (ssize_t)strlen(rec)) abort();
    close(fd);
    char *p = tt_asprintf("%s", tmpl);
    return p;
}

/* POSTs body to path on 127.0.0.1:port as JSON (Connection: close) and
 * reads the answer until the server closes, at most 10 s. Returns the HTTP
 * status, 0 when there was none. */
static inline int fuzz_post(int port, const char *path, const uint8_t *body, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return 0;
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      path, len);
    int ok = send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = send(fd, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    char buf[4096];
    int status = 0, first = 1;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0) break;
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0) break;
        if (first) {
            buf[n] = '\0';
            sscanf(buf, "HTTP/1.%*d %d", &status);
            first = 0;
        }
    }
    close(fd);
    return status;
}

#endif
