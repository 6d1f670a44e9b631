/*
 * synth.c — random-weight GLM GGUFs of real shapes (see synth.h).
 *
 * Shapes (the models' config.json on their Hugging Face pages):
 *   ChatGLM2-6B  hidden 4096, 28 layers, 32 heads, multi-query groups 2,
 *                ffn 13696, padded vocabulary 65024, seq_length 32768
 *   ChatGLM3-6B  the same with seq_length 8192
 *   GLM-4-9B     hidden 4096, 40 layers, 32 heads, groups 2, ffn 13696,
 *                padded vocabulary 151552, seq_length 131072 (the chat
 *                model), rope_ratio 500 (llama.cpp: freq_base 10000 x 500)
 * Rotary embedding on half of each 128-wide head (64 dimensions), as
 * llama.cpp's converter writes for these models.
 *
 * Random values are a pure function of (seed, tensor, block), so a chunk
 * of any tensor can be produced alone and the file is the same however it
 * is cut.
 */
#include "engines/glm/synth.h"
#include "engines/glm/gguf.h"
#include "engines/glm/quant.h"
#include "core/util.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const glm_synth_shape shapes[] = {
    {"chatglm2-6b", "THUDM/chatglm2-6b config.json", 4096, 13696, 28, 32, 2, 65024, 32768, 64, 10000.0f, 0},
    {"chatglm3-6b", "THUDM/chatglm3-6b config.json", 4096, 13696, 28, 32, 2, 65024, 8192, 64, 10000.0f, 0},
    {"glm4-9b", "THUDM/glm-4-9b-chat config.json (rope_ratio 500)", 4096, 13696, 40, 32, 2, 151552, 131072, 64,
     5000000.0f, 1},
    /* not a released model: the ~90 M-parameter shape of perf_glm's random
     * model and of the llama.cpp comparison (tests/perf/vs_llamacpp.py) */
    {"bench-90m", "tests/perf/perf_glm.c's benchmark shape", 1024, 2560, 8, 16, 2, 4096, 2048, 32, 10000.0f, 0},
};

const glm_synth_shape *glm_synth_shapes(size_t *n)
{
    *n = sizeof shapes / sizeof shapes[0];
    return shapes;
}

const glm_synth_shape *glm_synth_shape_find(const char *name)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (strcmp(shapes[i].name, name) == 0) return &shapes[i];
    return NULL;
}

static uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float unit(uint64_t r) { return (float)(r >> 40) * (1.0f / 16777216.0f); }   /* [0, 1) */

typedef struct synth_ctx {
    uint64_t seed;
    uint32_t *types;      /* per tensor: its type (streamed tensors are random matrices) */
} synth_ctx;

/* Random blocks [offset, offset + n) of a matrix of type ty: q4_0/q8_0 with
 * a jittered scale, f16/f32 uniform; standard deviation about 0.02. */
static int fill_random(void *user, size_t tensor, size_t offset, void *buf, size_t n, char *err)
{
    (void)err;
    synth_ctx *c = user;
    uint32_t ty = c->types[tensor];
    const glm_type_traits *tr = glm_type_get(ty);
    size_t bs = tr->type_size, first = offset / bs, nb = n / bs;
    uint64_t key = c->seed ^ ((uint64_t)tensor << 44);
    uint8_t *p = buf;
    for (size_t b = 0; b < nb; b++, p += bs) {
        uint64_t r = mix(key + first + b);
        if (ty == GLM_TYPE_Q4_0 || ty == GLM_TYPE_Q8_0) {
            /* uniform quants: sd 4.6 (q4_0, q - 8) or 73 (q8_0) */
            float d = (ty == GLM_TYPE_Q4_0 ? 0.0043f : 0.00027f) * (0.75f + 0.5f * unit(r));
            uint16_t h = glm_fp32_to_fp16(d);
            memcpy(p, &h, 2);
            for (size_t k = 2; k < bs; k += 8) {
                r = mix(r);
                size_t m = bs - k < 8 ? bs - k : 8;
                memcpy(p + k, &r, m);
            }
            if (ty == GLM_TYPE_Q8_0)   /* int8 in [-127, 127]: no -128 */
                for (size_t k = 2; k < bs; k++) if (p[k] == 0x80) p[k] = 0x81;
        } else if (ty == GLM_TYPE_F16) {
            uint16_t h = glm_fp32_to_fp16((unit(r) - 0.5f) * 0.07f);
            memcpy(p, &h, 2);
        } else {
            float v = (unit(r) - 0.5f) * 0.07f;
            memcpy(p, &v, 4);
        }
    }
    return TT_OK;
}

/* Token strings: the 256 byte tokens (GPT-2's byte-to-code-point map),
 * then lowercase letter strings of 2, 3, 4... letters, each made by the
 * merge "prefix last-letter", then the control tokens. Token strings are
 * unique (llama.cpp requires it). */
static void vocab(const glm_synth_shape *sh, char ***tokens, int32_t **types, char ***merges, int *n_merges,
                  int *n_ctrl, int *eos)
{
    static const char *const glm4_ctrl[] = {"<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
                                            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
                                            "<|begin_of_image|>", "<|end_of_image|>"};
    static const char *const glm3_ctrl[] = {"<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "sop", "eop",
                                            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"};
    const char *const *ctrl = sh->glm4 ? glm4_ctrl : glm3_ctrl;
    int nc = sh->glm4 ? (int)(sizeof glm4_ctrl / sizeof *glm4_ctrl) : (int)(sizeof glm3_ctrl / sizeof *glm3_ctrl);
    int V = sh->n_vocab, n_text = V - nc;
    char **t = tt_calloc((size_t)V, sizeof *t);
    int32_t *ty = tt_calloc((size_t)V, sizeof *ty);
    char **mg = tt_calloc((size_t)V, sizeof *mg);
    int n = 0, nm = 0, printable_seen = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        uint32_t cp = printable ? (uint32_t)b : 256u + (uint32_t)printable_seen++;
        char u8[5] = {0};
        tt_utf8_encode(cp, u8);
        t[n] = tt_strdup(u8);
        ty[n++] = 1;
    }
    /* strings of len letters, in order; the prefix of each is an earlier token */
    for (int len = 2; n < n_text; len++) {
        long count = 1;
        for (int k = 0; k < len; k++) count *= 26;
        for (long i = 0; i < count && n < n_text; i++) {
            char s[16];
            long v = i;
            for (int k = len - 1; k >= 0; k--, v /= 26) s[k] = (char)('a' + v % 26);
            s[len] = 0;
            /* ChatGLM3's "sop"/"eop" are control tokens: no text token has
             * their text, nor is built from it */
            int clash = 0;
            for (int k = 0; k < nc; k++)
                if (strlen(ctrl[k]) <= (size_t)len && strncmp(s, ctrl[k], strlen(ctrl[k])) == 0) clash = 1;
            if (clash) continue;
            t[n] = tt_strdup(s);
            ty[n++] = 1;
            mg[nm++] = tt_asprintf("%.*s %c", len - 1, s, s[len - 1]);
        }
    }
    for (int i = 0; i < nc; i++) {
        t[n] = tt_strdup(ctrl[i]);
        ty[n++] = 3;
    }
    *tokens = t;
    *types = ty;
    *merges = mg;
    *n_merges = nm;
    *n_ctrl = nc;
    *eos = n_text;   /* <|endoftext|> */
}

int glm_synth_write(const glm_synth_shape *sh, uint32_t type, uint64_t seed, const char *path, char *err)
{
    const glm_type_traits *tr = glm_type_get(type);
    if (!tr) return tt_fail(err, TT_ERR_USAGE, "unknown weight type %u", type);
    if (sh->n_embd % tr->blck_size || sh->n_ff % tr->blck_size)
        return tt_fail(err, TT_ERR_USAGE, "%s rows (%d, %d) are not whole %s blocks", sh->name, sh->n_embd, sh->n_ff,
                       tr->name);
    gguf_writer *w = gguf_writer_new();
    gguf_writer_add_str(w, "general.architecture", "chatglm");
    char name[128];
    snprintf(name, sizeof name, "%s-synthetic-%s", sh->name, tr->name);
    gguf_writer_add_str(w, "general.name", name);
    static const uint32_t file_types[] = {[GLM_TYPE_F32] = 0, [GLM_TYPE_F16] = 1, [GLM_TYPE_Q4_0] = 2,
                                          [GLM_TYPE_Q8_0] = 7};
    gguf_writer_add_u32(w, "general.file_type", file_types[type]);
    if (tr->blck_size > 1) gguf_writer_add_u32(w, "general.quantization_version", 2);
    gguf_writer_add_u32(w, "chatglm.context_length", (uint32_t)sh->n_ctx_train);
    gguf_writer_add_u32(w, "chatglm.embedding_length", (uint32_t)sh->n_embd);
    gguf_writer_add_u32(w, "chatglm.feed_forward_length", (uint32_t)sh->n_ff);
    gguf_writer_add_u32(w, "chatglm.block_count", (uint32_t)sh->n_layer);
    gguf_writer_add_u32(w, "chatglm.attention.head_count", (uint32_t)sh->n_head);
    gguf_writer_add_u32(w, "chatglm.attention.head_count_kv", (uint32_t)sh->n_head_kv);
    gguf_writer_add_f32(w, "chatglm.attention.layer_norm_rms_epsilon", 1.5625e-07f);
    gguf_writer_add_u32(w, "chatglm.rope.dimension_count", (uint32_t)sh->n_rot);
    gguf_writer_add_f32(w, "chatglm.rope.freq_base", sh->freq_base);
    char **tokens, **merges;
    int32_t *ttypes;
    int n_merges, n_ctrl, eos;
    vocab(sh, &tokens, &ttypes, &merges, &n_merges, &n_ctrl, &eos);
    gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_add_str(w, "tokenizer.ggml.pre", "chatglm-bpe");
    gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)tokens, (uint64_t)sh->n_vocab);
    gguf_writer_add_arr_i32(w, "tokenizer.ggml.token_type", ttypes, (uint64_t)sh->n_vocab);
    gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", (const char *const *)merges, (uint64_t)n_merges);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)eos);
    gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", (uint32_t)eos);
    for (int i = 0; i < sh->n_vocab; i++) free(tokens[i]);
    for (int i = 0; i < n_merges; i++) free(merges[i]);
    free(tokens);
    free(merges);
    free(ttypes);
    (void)n_ctrl;

    /* tensors, in llama.cpp's order */
    int kvd = sh->n_embd / sh->n_head * sh->n_head_kv, nqkv = sh->n_embd + 2 * kvd;
    size_t cap = 8 + 8 * (size_t)sh->n_layer, nt = 0;
    synth_ctx c = {seed, tt_calloc(cap, sizeof(uint32_t))};
    float *ones = tt_malloc((size_t)(nqkv > sh->n_embd ? nqkv : sh->n_embd) * sizeof *ones);
#define MATRIX(nm, n_in, n_out) do { \
        uint64_t d_[2] = {(uint64_t)(n_in), (uint64_t)(n_out)}; \
        size_t row_ = glm_row_size(type, (n_in)); \
        c.types[nt++] = type; \
        gguf_writer_add_tensor_streamed(w, (nm), type, 2, d_, row_ * (size_t)(n_out), row_); \
    } while (0)
#define VECTOR(nm, n, val) do { \
        uint64_t d_[1] = {(uint64_t)(n)}; \
        for (int i_ = 0; i_ < (n); i_++) ones[i_] = (val) ? (float)(val) : ((float)(mix(seed + (uint64_t)i_ + nt) >> 40) / 16777216.0f - 0.5f) * 0.02f; \
        c.types[nt++] = GLM_TYPE_F32; \
        gguf_writer_add_tensor(w, (nm), GLM_TYPE_F32, 1, d_, ones, (size_t)(n) * sizeof(float)); \
    } while (0)
    MATRIX("token_embd.weight", sh->n_embd, sh->n_vocab);
    for (int l = 0; l < sh->n_layer; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        VECTOR(name, sh->n_embd, 1.0);
        snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", l);
        MATRIX(name, sh->n_embd, nqkv);
        snprintf(name, sizeof name, "blk.%d.attn_qkv.bias", l);
        VECTOR(name, nqkv, 0.0);
        snprintf(name, sizeof name, "blk.%d.attn_output.weight", l);
        MATRIX(name, sh->n_embd, sh->n_embd);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        VECTOR(name, sh->n_embd, 1.0);
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l);
        MATRIX(name, sh->n_embd, 2 * sh->n_ff);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        MATRIX(name, sh->n_ff, sh->n_embd);
    }
    VECTOR("output_norm.weight", sh->n_embd, 1.0);
    MATRIX("output.weight", sh->n_embd, sh->n_vocab);
#undef MATRIX
#undef VECTOR
    free(ones);
    int rc = gguf_writer_stream(w, path, fill_random, &c, err);
    free(c.types);
    gguf_writer_free(w);
    return rc;
}
