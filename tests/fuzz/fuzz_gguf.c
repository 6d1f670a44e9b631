/*
 * fuzz_gguf.c — libFuzzer target for the GLM engine's file-facing code:
 * gguf_parse() on arbitrary bytes, then (when it parses) the tokenizer and
 * model loaders, a tokenization and one forward step. Anything they accept
 * must be safe to use; anything else must be refused with an error, never
 * an out-of-bounds read (run under ASan/UBSan).
 *
 * Every build links it with tests/fuzz/replay_main.c as fuzz_gguf_replay,
 * which the ctest test fuzz/gguf_corpus runs on the seed corpus
 * tests/fuzz/corpus_gguf/ (make_corpus.py, plus inputs that once found a
 * bug). A clang build with -DTIANTI_FUZZ=ON (scripts/setup.sh --fuzz) also
 * links it with libFuzzer as fuzz_gguf; scripts/test.sh runs that a minute:
 *   build-fuzz/fuzz_gguf -max_total_time=60 -max_len=65536 SCRATCH_CORPUS_DIR
 */
#include "engines/glm/gguf.h"
#include "engines/glm/model.h"
#include "engines/glm/tokenizer.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy so ASan catches any read past the end */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    char err[TT_ERR_SIZE];
    gguf_file *f;
    if (gguf_parse(copy, size, "fuzz.gguf", &f, err) != TT_OK) {
        free(copy);
        return 0;
    }
    glm_tokenizer *tk = NULL;
    if (glm_tokenizer_load(f, &tk, err) == TT_OK) {
        int *ids = NULL, n = 0, cap = 0;
        static const char text[] = "Hello, 世界! <|user|> 123\n";
        glm_tokenize(tk, text, sizeof text - 1, 1, &ids, &n, &cap);
        char *back = glm_detokenize(tk, ids, n, 1);
        free(back);
        free(ids);
    }
    /* small files only: a model's run state scales with its config */
    glm_model *m;
    glm_load_params lp = {-1, 8, 4, 1};
    if (size < (1u << 20) && glm_model_from_gguf(f, &lp, &m, err) == TT_OK) {
        int tok = 0;
        const float *lg;
        glm_forward(m, &tok, 1, 0, 0, &lg, err);
        glm_model_free(m);   /* closes f */
    } else if (size >= (1u << 20)) {
        gguf_close(f);
    }
    glm_tokenizer_free(tk);
    free(copy);
    return 0;
}
