/*
 * fuzz_tokenizer.c — libFuzzer target for the GLM tokenizer on arbitrary
 * text: the tiny model's vocabulary (models/tianti-tiny.gguf, pre-tokenizer
 * "tianti") and the "chatglm-bpe" test vocabulary (tests/data/glm/
 * glm4_vocab.gguf, llama.cpp's split) — both in the tree; TIANTI_SOURCE_DIR
 * is compiled in — tokenize the input with and without special tokens;
 * every id must lie in the vocabulary, and detokenizing them must not read
 * out of bounds. Invalid UTF-8, NULs, special-token
 * texts and long inputs are the interesting cases.
 *
 * Built as fuzz_tokenizer_replay in every build (ctest fuzz/tokenizer_corpus
 * on tests/fuzz/corpus_tokenizer/) and as fuzz_tokenizer with libFuzzer
 * (scripts/test.sh runs it a while).
 */
#include "engines/glm/gguf.h"
#include "engines/glm/tokenizer.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gguf_file *g_file[2];
static glm_tokenizer *g_tok[2];

static void close_tokenizer(void)
{
    for (int k = 0; k < 2; k++) {
        glm_tokenizer_free(g_tok[k]);
        gguf_close(g_file[k]);
    }
}

static void load_once(void)
{
    if (g_tok[0]) return;
    static const char *const paths[2] = {TIANTI_SOURCE_DIR "/models/tianti-tiny.gguf",
                                         TIANTI_SOURCE_DIR "/tests/data/glm/glm4_vocab.gguf"};
    char err[TT_ERR_SIZE];
    for (int k = 0; k < 2; k++)
        if (gguf_open(paths[k], &g_file[k], err) != TT_OK || glm_tokenizer_load(g_file[k], &g_tok[k], err) != TT_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    atexit(close_tokenizer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_once();
    if (size > (1u << 16)) return 0;
    char *text = malloc(size ? size : 1);   /* exact size: ASan sees a read past the end */
    if (!text) return 0;
    memcpy(text, data, size);
    for (int k = 0; k < 2; k++) {
        int nv = glm_tokenizer_n_vocab(g_tok[k]);
        for (int special = 0; special <= 1; special++) {
            int *ids = NULL, n = 0, cap = 0;
            glm_tokenize(g_tok[k], text, size, special, &ids, &n, &cap);
            for (int i = 0; i < n; i++)
                if (ids[i] < 0 || ids[i] >= nv) abort();
            char *back = glm_detokenize(g_tok[k], ids, n, special);
            free(back);
            free(ids);
        }
    }
    free(text);
    return 0;
}
