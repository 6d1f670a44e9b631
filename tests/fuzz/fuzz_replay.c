/*
 * fuzz_replay.c — libFuzzer target for replay files (engines/replay.c): the
 * input is the file (given through a memory file, /proc/self/fd/N, which
 * is a regular file to tt_open_regular); a file it accepts answers a
 * generate, a chat and a log-likelihood request. Malformed lines must be
 * errors naming the line; an empty file an error (it used to qsort NULL).
 *
 * Built as fuzz_replay_replay in every build (ctest fuzz/replay_corpus on
 * tests/fuzz/corpus_replay/) and as fuzz_replay with libFuzzer.
 */
#include "engines/engine.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 16)) return 0;
    int fd = (int)syscall(SYS_memfd_create, "fuzz-replay", MFD_CLOEXEC);
    if (fd < 0) abort();
    if (size && write(fd, data, size) != (ssize_t)size) abort();
    char spec[64];
    snprintf(spec, sizeof spec, "replay:/proc/self/fd/%d", fd);
    char err[TT_ERR_SIZE];
    engine *e = NULL;
    if (engine_open(spec, NULL, &e, err) == TT_OK) {
        engine_message msg = {.role = "user", .content = "hello"};
        engine_request reqs[3] = {
            {.kind = ENGINE_REQ_GENERATE, .context = "hello"},
            {.kind = ENGINE_REQ_CHAT, .messages = &msg, .n_messages = 1},
            {.kind = ENGINE_REQ_LOGLIKELIHOOD, .context = "Q: 2+2=", .continuation = " 4"},
        };
        for (int i = 0; i < 3; i++) {
            engine_response r;
            if (engine_complete(e, &reqs[i], &r, err) == TT_OK) engine_response_free(&r);
        }
        engine_close(e);
    }
    close(fd);
    return 0;
}
