/*
 * test_glm_tokenizer.c — GGUF tokenizers: the "tianti" pre-tokenizer on
 * tricky strings (chunks worked out by hand from the spec in tokenizer.c),
 * byte-level BPE against ids from an independent Python implementation
 * (tests/tools/glm_reference.py -> tests/data/glm/ref_tokenize.txt), special
 * tokens, detokenization round trips, a SentencePiece vocab built here, the
 * chat prompt layout, and the scoring rule's context/continuation split
 * (glm_encode_pair) with BOS as the GGUF says. The ids of a "chatglm-bpe"
 * and of a SentencePiece vocabulary equal the ids llama.cpp gave the same
 * strings (tests/data/glm/glm4_tokens.jsonl and spm_tokens.jsonl, written
 * by tools/llamacpp/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "engines/glm/gguf.h"
#include "engines/glm/tokenizer.h"
#include "core/utf8.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gguf_file *tiny;
static glm_tokenizer *tok;

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *p = tt_asprintf("%s/tests/data/glm/tiny.gguf", src ? src : ".");
    char err[TT_ERR_SIZE];
    int rc = gguf_open(p, &tiny, err);
    free(p);
    if (rc) { fprintf(stderr, "%s\n", err); return -1; }
    if (glm_tokenizer_load(tiny, &tok, err)) { fprintf(stderr, "%s\n", err); return -1; }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    glm_tokenizer_free(tok);
    gguf_close(tiny);
    return 0;
}

static void collect(void *u, const char *s, size_t n)
{
    tt_buf *b = u;
    tt_buf_append(b, "[", 1);
    tt_buf_append(b, s, n);
    tt_buf_append(b, "]", 1);
}

static void expect_chunks(const char *text, const char *want)
{
    tt_buf b;
    tt_buf_init(&b);
    glm_pretokenize_tianti(text, strlen(text), collect, &b);
    assert_string_equal(tt_buf_str(&b), want);
    tt_buf_free(&b);
}

static void test_glm_pretokenize_tianti_tricky(void **state)
{
    (void)state;
    expect_chunks("hello world", "[hello][ world]");
    expect_chunks("a  b", "[a][ ][ b]");                       /* one space stays, one joins 'b' */
    expect_chunks("x=12+3;", "[x][=][1][2][+][3][;]");
    expect_chunks("  !!", "[ ][ !!]");
    expect_chunks("tab\t x", "[tab][\t][ x]");
    expect_chunks("\tx", "[\t][x]");                           /* a tab never joins */
    expect_chunks("end   ", "[end][   ]");
    expect_chunks("a\n\nb", "[a][\n][\n][b]");
    expect_chunks(" 7", "[ ][7]");                             /* digits take no space */
    expect_chunks("中文ok", "[中][文][ok]");
    expect_chunks("你好，世界。", "[你][好][，][世][界][。]");  /* U+FF0C and U+3002 are wide punctuation */
    expect_chunks("café über", "[café][ über]");                /* é, ü count as letters */
    expect_chunks("a.b c-d", "[a][.][b][ c][-][d]");
    expect_chunks("\r\n", "[\r][\n]");
    expect_chunks("", "");
}

static void expect_gpt2_chunks(const char *text, const char *want)
{
    tt_buf b;
    tt_buf_init(&b);
    glm_pretokenize_gpt2(text, strlen(text), collect, &b);
    assert_string_equal(tt_buf_str(&b), want);
    tt_buf_free(&b);
}

/* GPT-2's split, worked out from its regex by hand. */
static void test_glm_pretokenize_gpt2(void **state)
{
    (void)state;
    expect_gpt2_chunks("Hello world", "[Hello][ world]");
    expect_gpt2_chunks("it's 42!", "[it]['s][ 42][!]");
    expect_gpt2_chunks("a   b", "[a][  ][ b]");          /* \s+(?!\S) leaves the last space */
    expect_gpt2_chunks("x\n\ny", "[x][\n][\n][y]");
    expect_gpt2_chunks("end  ", "[end][  ]");
    expect_gpt2_chunks("we'll ...", "[we]['ll][ ...]");
}

static void test_glm_tokenize_matches_python_reference(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *p = tt_asprintf("%s/tests/data/glm/ref_tokenize.txt", src ? src : "."), *data;
    size_t len;
    char err[TT_ERR_SIZE];
    assert_int_equal(tt_read_file(p, &data, &len, err), TT_OK);
    free(p);
    int lines = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = 0;
        size_t hl = strlen(line);
        char *text = tt_malloc(hl / 2 + 1);
        for (size_t i = 0; i < hl / 2; i++) {
            unsigned v;
            sscanf(line + 2 * i, "%2x", &v);
            text[i] = (char)v;
        }
        text[hl / 2] = 0;
        int *ids = NULL, n = 0, cap = 0;
        glm_tokenize(tok, text, hl / 2, 1, &ids, &n, &cap);
        tt_buf got;
        tt_buf_init(&got);
        for (int i = 0; i < n; i++) tt_buf_printf(&got, "%s%d", i ? " " : "", ids[i]);
        if (strcmp(tt_buf_str(&got), tab + 1) != 0) fprintf(stderr, "text '%s': got '%s' want '%s'\n", text, tt_buf_str(&got), tab + 1);
        assert_string_equal(tt_buf_str(&got), tab + 1);
        char *back = glm_detokenize(tok, ids, n, 1);
        assert_string_equal(back, text);
        free(back);
        tt_buf_free(&got);
        free(ids);
        free(text);
        lines++;
    }
    assert_int_equal(lines, 12);
    free(data);
}

static void test_glm_tokenize_special_tokens(void **state)
{
    (void)state;
    int user = glm_token_id(tok, "<|user|>");
    assert_true(user >= 256);
    assert_int_equal(glm_token_type(tok, user), GLM_TOKEN_CONTROL);
    int *ids = NULL, n = 0, cap = 0;
    glm_tokenize(tok, "<|user|>", 8, 1, &ids, &n, &cap);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], user);
    n = 0;
    glm_tokenize(tok, "<|user|>", 8, 0, &ids, &n, &cap);   /* parse_special off: plain text */
    assert_true(n > 1);
    for (int i = 0; i < n; i++) assert_int_not_equal(ids[i], user);
    char *s = glm_detokenize(tok, ids, n, 0);
    assert_string_equal(s, "<|user|>");
    free(s);
    /* control tokens vanish from output unless rendered */
    int seq[3] = {user, glm_token_id(tok, "h"), glm_token_eos(tok)};
    s = glm_detokenize(tok, seq, 3, 0);
    assert_string_equal(s, "h");
    free(s);
    s = glm_detokenize(tok, seq, 3, 1);
    assert_string_equal(s, "<|user|>h<|endoftext|>");
    free(s);
    assert_true(glm_token_is_eog(tok, glm_token_eos(tok)));
    assert_true(glm_token_is_eog(tok, user));
    assert_false(glm_token_is_eog(tok, glm_token_id(tok, "h")));
    free(ids);
}

static void test_glm_tokenize_round_trips_arbitrary_bytes(void **state)
{
    (void)state;
    tt_rng r;
    tt_rng_seed(&r, 7);
    for (int k = 0; k < 200; k++) {
        char buf[64];
        size_t len = (size_t)tt_rng_below(&r, 63) + 1;
        for (size_t i = 0; i < len; i++) buf[i] = (char)(tt_rng_below(&r, 255) + 1);   /* no NUL */
        buf[len] = 0;
        int *ids = NULL, n = 0, cap = 0;
        glm_tokenize(tok, buf, len, 0, &ids, &n, &cap);
        char *back = glm_detokenize(tok, ids, n, 0);
        assert_string_equal(back, buf);
        free(back);
        free(ids);
    }
}

static void test_glm_chat_tokens_glm4_layout(void **state)
{
    (void)state;
    assert_int_equal(glm_tokenizer_chat_kind(tok), GLM_CHAT_GLM4);
    const char *roles[2] = {"system", "user"}, *contents[2] = {"be brief", "hi"};
    int *ids, n;
    glm_chat_tokens(tok, roles, contents, 2, &ids, &n);
    char *s = glm_detokenize(tok, ids, n, 1);
    assert_string_equal(s, "[gMASK]<sop><|system|>\nbe brief<|user|>\nhi<|assistant|>\n");
    free(s);
    assert_int_equal(ids[0], glm_token_id(tok, "[gMASK]"));
    assert_int_equal(ids[1], glm_token_id(tok, "<sop>"));
    /* message text with a special token inside is not parsed as special */
    const char *r1[1] = {"user"}, *c1[1] = {"<|assistant|>"};
    int *ids2, n2;
    glm_chat_tokens(tok, r1, c1, 1, &ids2, &n2);
    int count = 0;
    for (int i = 0; i < n2; i++) count += ids2[i] == glm_token_id(tok, "<|assistant|>");
    assert_int_equal(count, 1);
    free(ids);
    free(ids2);
}

/* A SentencePiece vocab written here: merges pick the highest score; an
 * unknown character falls back to <0xXX> bytes. */
static void test_glm_tokenize_spm(void **state)
{
    (void)state;
    const char *names[300];
    float scores[300];
    int32_t types[300];
    char bytes[256][8];
    int n = 0;
    names[n] = "<unk>"; types[n] = 2; scores[n++] = 0;
    names[n] = "<s>"; types[n] = 3; scores[n++] = 0;
    names[n] = "</s>"; types[n] = 3; scores[n++] = 0;
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        names[n] = bytes[b]; types[n] = 6; scores[n++] = 0;
    }
    const char *pieces[] = {"\xe2\x96\x81", "h", "e", "l", "o", "\xe2\x96\x81h", "he", "ll", "\xe2\x96\x81he",
                            "\xe2\x96\x81hell", "\xe2\x96\x81hello", "lo"};
    float ps[] = {-1, -2, -2, -2, -2, -3, -1.5f, -2.5f, -4, -5, -6, -1};
    int base = n;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        names[n] = pieces[i]; types[n] = 1; scores[n++] = ps[i];
    }
    gguf_writer *w = gguf_writer_new();
    gguf_writer_add_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", names, (uint64_t)n);
    gguf_writer_add_arr_f32(w, "tokenizer.ggml.scores", scores, (uint64_t)n);
    gguf_writer_add_arr_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2);
    uint8_t *buf;
    size_t len;
    gguf_writer_to_memory(w, &buf, &len);
    gguf_file *f;
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_parse(buf, len, "spm.gguf", &f, err), TT_OK);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(f, &t, err), TT_OK);
    assert_int_equal(glm_tokenizer_kind(t), GLM_TOK_SPM);
    int *ids = NULL, ni = 0, cap = 0;
    /* "▁hello": he(-1.5) first, then ▁+he? no: lo(-1) wins first, then he, ll... */
    glm_tokenize(t, "hello", 5, 0, &ids, &ni, &cap);
    /* symbols ▁ h e l l o: best pairs by score: "lo"(-1) -> ▁ h e l lo; "he"(-1.5) -> ▁ he l lo;
     * "▁he"(-4) -> ▁he l lo; no "▁hel"/"llo" -> stop */
    assert_int_equal(ni, 3);
    assert_int_equal(ids[0], base + 8);
    assert_int_equal(ids[1], base + 3);
    assert_int_equal(ids[2], base + 11);
    char *s = glm_detokenize(t, ids, ni, 0);
    assert_string_equal(s, "hello");
    free(s);
    ni = 0;
    glm_tokenize(t, "hi", 2, 0, &ids, &ni, &cap);   /* 'i' is not in the vocab */
    assert_int_equal(ni, 2);
    assert_int_equal(ids[0], base + 5);
    assert_int_equal(ids[1], 3 + 'i');
    s = glm_detokenize(t, ids, ni, 0);
    assert_string_equal(s, "hi");
    free(s);
    /* a long run without spaces (merged with a heap, n log n): "hello" x 4000
     * after the space prefix: ▁he l lo, then (he l lo) x 3999 */
    size_t L = 5 * 4000;
    char *run = tt_malloc(L + 1);
    for (size_t i = 0; i < L; i++) run[i] = "hello"[i % 5];
    run[L] = 0;
    ni = 0;
    glm_tokenize(t, run, L, 0, &ids, &ni, &cap);
    assert_int_equal(ni, 3 * 4000);
    assert_int_equal(ids[0], base + 8);
    for (int i = 3; i < ni; i += 3) {
        assert_int_equal(ids[i], base + 6);
        assert_int_equal(ids[i + 1], base + 3);
        assert_int_equal(ids[i + 2], base + 11);
    }
    free(run);
    /* llama.cpp gives the text after a special token its own space prefix
     * (src/llama-vocab.cpp, is_prev_special); the ends skip it */
    ni = 0;
    glm_tokenize(t, "hello<s>hello", 13, 1, &ids, &ni, &cap);
    assert_int_equal(ni, 7);
    int want[7] = {base + 8, base + 3, base + 11, 1, base + 8, base + 3, base + 11};
    for (int i = 0; i < 7; i++) assert_int_equal(ids[i], want[i]);
    size_t ends[7], want_ends[7] = {2, 3, 5, 8, 10, 11, 13};
    glm_token_ends(t, ids, ni, 13, ends);
    for (int i = 0; i < 7; i++) assert_int_equal(ends[i], want_ends[i]);
    free(ids);
    glm_tokenizer_free(t);
    gguf_close(f);
    free(buf);
    gguf_writer_free(w);
}

/* A vocab with "sop" (no "<sop>") gets ChatGLM3's layout: no newline after
 * the final <|assistant|>. */
static void test_glm_tokenize_chatglm3_layout(void **state)
{
    (void)state;
    static char bytes[256][8];
    const char *names[262];
    int32_t types[262];
    int n = 0;
    for (int b = 0; b < 256; b++) {   /* the byte-level alphabet, in byte order */
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        static int extra;
        unsigned cp = printable ? (unsigned)b : 256u + (unsigned)extra++;
        bytes[b][tt_utf8_encode(cp, bytes[b])] = 0;
        names[n] = bytes[b]; types[n++] = 1;
    }
    const char *sp[] = {"[gMASK]", "sop", "<|user|>", "<|assistant|>", "<|system|>", "</s>"};
    for (int i = 0; i < 6; i++) { names[n] = sp[i]; types[n++] = 3; }
    const char *merges[1] = {"h i"};
    gguf_writer *w = gguf_writer_new();
    gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
    gguf_writer_add_str(w, "tokenizer.ggml.pre", "chatglm-bpe");
    gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", names, (uint64_t)n);
    gguf_writer_add_arr_i32(w, "tokenizer.ggml.token_type", types, (uint64_t)n);
    gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", merges, 1);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 261);
    uint8_t *buf;
    size_t len;
    gguf_writer_to_memory(w, &buf, &len);
    gguf_file *f;
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_parse(buf, len, "glm3.gguf", &f, err), TT_OK);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(f, &t, err), TT_OK);
    assert_int_equal(glm_tokenizer_chat_kind(t), GLM_CHAT_CHATGLM3);
    assert_int_equal(glm_tokenizer_pre(t), GLM_PRE_GLM4);
    const char *roles[1] = {"user"}, *contents[1] = {"hi"};
    int *ids, ni;
    glm_chat_tokens(t, roles, contents, 1, &ids, &ni);
    /* [gMASK] sop <|user|> \n hi <|assistant|>: "hi" is one token (no merge for it: h, i) */
    assert_int_equal(ids[0], 256);
    assert_int_equal(ids[1], 257);
    assert_int_equal(ids[2], 258);
    assert_int_equal(ids[3], glm_token_id(t, "\xc4\x8a"));   /* '\n' maps to U+010A */
    assert_int_equal(ids[ni - 1], 259);
    char *s = glm_detokenize(t, ids, ni, 1);
    assert_string_equal(s, "[gMASK]sop<|user|>\nhi<|assistant|>");
    free(s);
    /* GPT-2 split: "'s" and " world" and trailing spaces */
    int *x = NULL, nx = 0, cap = 0;
    glm_tokenize(t, "it's  ok", 8, 0, &x, &nx, &cap);
    s = glm_detokenize(t, x, nx, 0);
    assert_string_equal(s, "it's  ok");
    free(s);
    free(x);
    free(ids);
    glm_tokenizer_free(t);
    gguf_close(f);
    free(buf);
    gguf_writer_free(w);
}

/* llama.cpp's ids for a "chatglm-bpe" vocabulary: tests/data/glm/
 * glm4_tokens.jsonl was written by llama.cpp itself (node-llama-cpp's build,
 * tools/llamacpp/tokenize_cases.mjs) from glm4_vocab.gguf
 * (tools/llamacpp/make_glm4_vocab.py). Every case must give the same ids:
 * digit groups of 1-3, merges applied to chunks that are tokens whole,
 * special and user-defined tokens, long letter runs. */
/* Counts the cases of a llama.cpp-written JSONL (text, special, ids) whose
 * ids differ from ours with the vocabulary in vocab. */
static int differing_cases(const char *vocab, const char *cases_file, int *n_cases, glm_tokenizer **keep)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *model = tt_asprintf("%s/tests/data/glm/%s", src ? src : ".", vocab);
    char *cases = tt_asprintf("%s/tests/data/glm/%s", src ? src : ".", cases_file);
    char err[TT_ERR_SIZE];
    gguf_file *f;
    assert_int_equal(gguf_open(model, &f, err), TT_OK);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(f, &t, err), TT_OK);
    char *data;
    size_t len;
    assert_int_equal(tt_read_file(cases, &data, &len, err), TT_OK);
    int bad = 0;
    *n_cases = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        assert_non_null(j);
        const char *text = json_string_value(json_object_get(j, "text"));
        int special = json_is_true(json_object_get(j, "special"));
        json_t *ids = json_object_get(j, "ids");
        assert_non_null(text);
        int *out = NULL, n = 0, cap = 0;
        glm_tokenize(t, text, strlen(text), special, &out, &n, &cap);
        int same = (size_t)n == json_array_size(ids);
        for (int i = 0; same && i < n; i++) same = out[i] == json_integer_value(json_array_get(ids, i));
        if (!same) {
            fprintf(stderr, "%s case %d differs (special %d, %d ids vs %zu): '%.60s'\n", cases_file, *n_cases, special, n,
                    json_array_size(ids), text);
            bad++;
        }
        free(out);
        json_decref(j);
        (*n_cases)++;
    }
    free(data);
    free(model);
    free(cases);
    if (keep) *keep = t;
    else glm_tokenizer_free(t);
    gguf_close(f);
    return bad;
}

/* llama.cpp's ids for a "chatglm-bpe" vocabulary: tests/data/glm/
 * glm4_tokens.jsonl was written by llama.cpp itself (node-llama-cpp's build,
 * tools/llamacpp/tokenize_cases.mjs) from glm4_vocab.gguf
 * (tools/llamacpp/make_glm4_vocab.py). Every case must give the same ids:
 * digit groups of 1-3, merges applied to chunks that are tokens whole,
 * special and user-defined tokens, long letter runs. */
static void test_glm4_tokenize_matches_llamacpp(void **state)
{
    (void)state;
    int n_cases;
    glm_tokenizer *t;
    int bad = differing_cases("glm4_vocab.gguf", "glm4_tokens.jsonl", &n_cases, &t);
    printf("# %d llama.cpp chatglm-bpe tokenizer cases, %d differ\n", n_cases, bad);
    assert_int_equal(glm_tokenizer_pre(t), GLM_PRE_GLM4);
    assert_int_equal(glm_token_bos(t), -1);   /* llama.cpp drops BOS for chatglm-bpe */
    glm_tokenizer_free(t);
    assert_true(n_cases >= 100);
    assert_int_equal(bad, 0);
}

/* The same for SentencePiece (spm_vocab.gguf -> spm_tokens.jsonl): space
 * prefix at the start and after special tokens, merges by score, byte
 * fallback. */
static void test_spm_tokenize_matches_llamacpp(void **state)
{
    (void)state;
    int n_cases;
    int bad = differing_cases("spm_vocab.gguf", "spm_tokens.jsonl", &n_cases, NULL);
    printf("# %d llama.cpp SentencePiece tokenizer cases, %d differ\n", n_cases, bad);
    assert_true(n_cases >= 40);
    assert_int_equal(bad, 0);
}

/* The "glm4" name is the same pre-tokenizer (llama.cpp maps both to
 * LLAMA_VOCAB_PRE_TYPE_CHATGLM4). */
static void test_glm4_pre_names(void **state)
{
    (void)state;
    static const char *names[2] = {"chatglm-bpe", "glm4"};
    for (int k = 0; k < 2; k++) {
        const char *toks[3] = {"a", "b", "ab"};
        const char *merges[1] = {"a b"};
        gguf_writer *w = gguf_writer_new();
        gguf_writer_add_str(w, "tokenizer.ggml.model", "gpt2");
        gguf_writer_add_str(w, "tokenizer.ggml.pre", names[k]);
        gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
        gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", merges, 1);
        uint8_t *buf;
        size_t len;
        gguf_writer_to_memory(w, &buf, &len);
        gguf_file *f;
        char err[TT_ERR_SIZE];
        assert_int_equal(gguf_parse(buf, len, "pre.gguf", &f, err), TT_OK);
        glm_tokenizer *t;
        assert_int_equal(glm_tokenizer_load(f, &t, err), TT_OK);
        assert_int_equal(glm_tokenizer_pre(t), GLM_PRE_GLM4);
        glm_tokenizer_free(t);
        gguf_close(f);
        free(buf);
        gguf_writer_free(w);
    }
}

/* The GLM-4 split itself, chunk by chunk (worked out from the regex in
 * tokenizer.c's header). */
static void test_glm_pretokenize_glm4(void **state)
{
    (void)state;
    struct { const char *text, *want; } c[] = {
        {"1234567", "[123][456][7]"},
        {"a1234b", "[a][123][4][b]"},
        {"Hello, world!", "[Hello][,][ world][!]"},
        {"don't", "[don]['t]"},
        {"a  b", "[a][ ][ b]"},
        {"x\n\ny", "[x][\n\n][y]"},
        {"  \n  z", "[  \n][ ][ z]"},
        {"(hi) ...", "[(hi][)][ ...]"},
        {"中文，ok", "[中文][，ok]"},
        {"trail  ", "[trail][  ]"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        tt_buf b;
        tt_buf_init(&b);
        glm_pretokenize_glm4(c[i].text, strlen(c[i].text), collect, &b);
        assert_string_equal(tt_buf_str(&b), c[i].want);
        tt_buf_free(&b);
    }
    /* an invalid byte is U+FFFD (a symbol, so a chunk of its own), as llama.cpp decodes it */
    tt_buf b;
    tt_buf_init(&b);
    glm_pretokenize_glm4("a\xff", 2, collect, &b);
    assert_string_equal(tt_buf_str(&b), "[a][\xef\xbf\xbd]");
    tt_buf_free(&b);
}

/* The shipped model against the token ids its Python trainer wrote
 * (models/tianti-tiny.gguf + tests/data/tokenizer_cases.jsonl, both in the
 * tree). */
static void test_glm_tokenize_matches_tiny_model_cases(void **state)
{
    (void)state;
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *model = tt_asprintf("%s/models/tianti-tiny.gguf", src ? src : ".");
    char *cases = tt_asprintf("%s/tests/data/tokenizer_cases.jsonl", src ? src : ".");
    char err[TT_ERR_SIZE];
    gguf_file *f;
    assert_int_equal(gguf_open(model, &f, err), TT_OK);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(f, &t, err), TT_OK);
    char *data;
    size_t len;
    assert_int_equal(tt_read_file(cases, &data, &len, err), TT_OK);
    int n_cases = 0, bad = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        assert_non_null(j);
        const char *text = json_string_value(json_object_get(j, "text"));
        json_t *ids = json_object_get(j, "ids");
        assert_non_null(text);
        int *out = NULL, n = 0, cap = 0;
        glm_tokenize(t, text, strlen(text), 1, &out, &n, &cap);
        int same = (size_t)n == json_array_size(ids);
        for (int i = 0; same && i < n; i++) same = out[i] == json_integer_value(json_array_get(ids, i));
        if (!same) {
            fprintf(stderr, "tokenizer case %d differs: '%s'\n", n_cases, text);
            bad++;
        }
        char *back = glm_detokenize(t, out, n, 1);
        assert_string_equal(back, text);
        free(back);
        free(out);
        json_decref(j);
        n_cases++;
    }
    printf("# %d tiny-model tokenizer cases, %d differ\n", n_cases, bad);
    assert_true(n_cases > 0);
    assert_int_equal(bad, 0);
    free(data);
    glm_tokenizer_free(t);
    gguf_close(f);
    free(model);
    free(cases);
}

/* ---- the scoring rule (glm_encode_pair, docs/scoring.md) -------------------------
 * On the shipped model's tokenizer. Expected splits are worked out from the
 * rule: context and continuation tokenized together; a token is context when
 * its text ends at or before the end of the context without trailing
 * whitespace. lm-eval's _encode_pair gives the same split whenever the
 * context's own tokens are a prefix of the joint tokens (checked here), and
 * an empty continuation where a token spans the boundary, where this rule
 * gives the spanning token to the continuation. */

static glm_tokenizer *tiny_model_tokenizer(gguf_file **f)
{
    const char *src = getenv("TIANTI_SOURCE_DIR");
    char *model = tt_asprintf("%s/models/tianti-tiny.gguf", src ? src : ".");
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_open(model, f, err), TT_OK);
    free(model);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(*f, &t, err), TT_OK);
    return t;
}

static int tok_count(const glm_tokenizer *t, const char *s, int **ids)
{
    int n = 0, cap = 0;
    *ids = NULL;
    glm_tokenize(t, s, strlen(s), 1, ids, &n, &cap);
    return n;
}

/* ids[n_context..n) spell want, and ids are the joint tokens of ctx + cont. */
static void expect_pair(const glm_tokenizer *t, const char *ctx, const char *cont, int want_n_context, const char *want)
{
    int *ids, n, nc;
    int n_cont = glm_encode_pair(t, ctx, cont, &ids, &n, &nc);
    assert_int_equal(nc, want_n_context);
    assert_int_equal(n_cont, n - nc);
    char *text = glm_detokenize(t, ids + nc, n - nc, 1);
    assert_string_equal(text, want);
    free(text);
    free(ids);
}

static void test_glm_encode_pair_rule(void **state)
{
    (void)state;
    gguf_file *f;
    glm_tokenizer *t = tiny_model_tokenizer(&f);
    assert_int_equal(glm_token_add_bos(t), 0);          /* tokenizer.ggml.add_bos_token = false */
    int prefix = glm_token_prefix(t);
    assert_int_equal(prefix, glm_token_id(t, "<|endoftext|>"));

    /* A continuation that starts with a space: " B" is one token (the
     * "tianti" pre-tokenizer joins a space to the letters after it); the
     * context's own tokens are a prefix of the joint ones, so this is
     * lm-eval's split exactly. */
    int *c, *w;
    int nc = tok_count(t, "Question: x\nAnswer:", &c), nw = tok_count(t, "Question: x\nAnswer: B", &w);
    assert_int_equal(nw, nc + 1);
    for (int i = 0; i < nc; i++) assert_int_equal(c[i], w[i]);
    expect_pair(t, "Question: x\nAnswer:", " B", nc, " B");
    /* trailing whitespace of the context moves to the continuation, as
     * Python's str.rstrip() defines it (newlines too) */
    expect_pair(t, "Question: x\nAnswer: ", "B", nc, " B");
    free(c);
    free(w);
    int n_q = tok_count(t, "Q", &c);
    free(c);
    expect_pair(t, "Q\n", "A", n_q, "\nA");

    /* A merge across the boundary: "Par" + "is" is the one token " Paris".
     * lm-eval's count split (the context alone has 7 tokens, the whole 6)
     * would leave no continuation; here the spanning token is the
     * continuation, after the 5 tokens of "The capital of France is". */
    assert_int_equal(tok_count(t, "The capital of France is Par", &c), 7);
    free(c);
    assert_int_equal(tok_count(t, "The capital of France is Paris", &c), 6);
    free(c);
    expect_pair(t, "The capital of France is Par", "is", 5, " Paris");
    expect_pair(t, "The sky is blu", "e", 3, " blue");
    /* digits are single tokens: the boundary falls between them */
    expect_pair(t, "12+35=", "47", 6, "47");
    expect_pair(t, "12+35=4", "7", 7, "7");

    /* Empty (or all-whitespace) context: the prefix token is the context. */
    int *ids, n, n_context;
    assert_int_equal(glm_encode_pair(t, "", "Paris", &ids, &n, &n_context), 1);
    assert_int_equal(n_context, 1);
    assert_int_equal(ids[0], prefix);
    free(ids);
    expect_pair(t, "  ", "Paris", 1, "  Paris");
    /* ... unless the text already starts with it */
    assert_int_equal(glm_encode_pair(t, "", "<|endoftext|>Paris", &ids, &n, &n_context), 1);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], prefix);
    free(ids);
    /* nothing to score */
    assert_int_equal(glm_encode_pair(t, "Answer:", "", &ids, &n, &n_context), 0);
    free(ids);

    /* glm_token_ends: where each token of "12+35=47" ends; special tokens
     * parsed from the text take their text's length */
    n = tok_count(t, "12+35=47", &ids);
    size_t ends[8];
    assert_int_equal(n, 8);
    glm_token_ends(t, ids, n, 8, ends);
    for (int i = 0; i < 8; i++) assert_int_equal(ends[i], (size_t)i + 1);
    free(ids);
    n = tok_count(t, "a<|endoftext|>b", &ids);
    assert_int_equal(n, 3);
    glm_token_ends(t, ids, n, 15, ends);
    assert_int_equal(ends[0], 1);
    assert_int_equal(ends[1], 14);
    assert_int_equal(ends[2], 15);
    free(ids);
    glm_tokenizer_free(t);
    gguf_close(f);
}

/* A byte-level vocab (bytes, "a b" merged, <s>, </s>) with the given
 * pre-tokenizer name and add_bos_token (-1: no key). */
static glm_tokenizer *bos_vocab(const char *pre, int add_bos, gguf_file **f, uint8_t **buf, gguf_writer **w)
{
    static char bytes[256][8];
    const char *names[260];
    int32_t types[260];
    int n = 0;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        unsigned cp = printable ? (unsigned)b : 256u + (unsigned)extra++;
        bytes[b][tt_utf8_encode(cp, bytes[b])] = 0;
        names[n] = bytes[b]; types[n++] = 1;
    }
    names[n] = "ab"; types[n++] = 1;
    names[n] = "<s>"; types[n++] = 3;
    names[n] = "</s>"; types[n++] = 3;
    const char *merges[1] = {"a b"};
    *w = gguf_writer_new();
    gguf_writer_add_str(*w, "tokenizer.ggml.model", "gpt2");
    if (pre) gguf_writer_add_str(*w, "tokenizer.ggml.pre", pre);
    gguf_writer_add_arr_str(*w, "tokenizer.ggml.tokens", names, (uint64_t)n);
    gguf_writer_add_arr_i32(*w, "tokenizer.ggml.token_type", types, (uint64_t)n);
    gguf_writer_add_arr_str(*w, "tokenizer.ggml.merges", merges, 1);
    gguf_writer_add_u32(*w, "tokenizer.ggml.bos_token_id", 257);
    gguf_writer_add_u32(*w, "tokenizer.ggml.eos_token_id", 258);
    if (add_bos >= 0) gguf_writer_add_bool(*w, "tokenizer.ggml.add_bos_token", add_bos);
    size_t len;
    gguf_writer_to_memory(*w, buf, &len);
    char err[TT_ERR_SIZE];
    assert_int_equal(gguf_parse(*buf, len, "bos.gguf", f, err), TT_OK);
    glm_tokenizer *t;
    assert_int_equal(glm_tokenizer_load(*f, &t, err), TT_OK);
    return t;
}

static void free_vocab(glm_tokenizer *t, gguf_file *f, uint8_t *buf, gguf_writer *w)
{
    glm_tokenizer_free(t);
    gguf_close(f);
    free(buf);
    gguf_writer_free(w);
}

/* BOS exactly as the GGUF says: add_bos_token true puts bos first (it
 * counts as context); BPE without the key adds none (llama.cpp's default);
 * llama.cpp drops bos for GLM-4's "chatglm-bpe", so eos is the prefix. */
static void test_glm_encode_pair_bos_as_the_gguf_says(void **state)
{
    (void)state;
    gguf_file *f;
    uint8_t *buf;
    gguf_writer *w;
    glm_tokenizer *t = bos_vocab(NULL, 1, &f, &buf, &w);
    assert_int_equal(glm_token_add_bos(t), 1);
    assert_int_equal(glm_token_prefix(t), 257);
    int *ids, n, nc;
    /* "xab" + "c": x | ab | c; bos first, context = bos x ab */
    assert_int_equal(glm_encode_pair(t, "xab", "c", &ids, &n, &nc), 1);
    assert_int_equal(n, 4);
    assert_int_equal(nc, 3);
    assert_int_equal(ids[0], 257);
    assert_int_equal(ids[2], 256);
    free(ids);
    /* "xa" + "b": the merged "ab" spans the boundary and is continuation */
    assert_int_equal(glm_encode_pair(t, "xa", "b", &ids, &n, &nc), 1);
    assert_int_equal(nc, 2);
    assert_int_equal(ids[2], 256);
    free(ids);
    /* empty context: bos is the prefix, not doubled */
    assert_int_equal(glm_encode_pair(t, "", "ab", &ids, &n, &nc), 1);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 257);
    free(ids);
    free_vocab(t, f, buf, w);

    t = bos_vocab(NULL, -1, &f, &buf, &w);
    assert_int_equal(glm_token_add_bos(t), 0);
    assert_int_equal(glm_encode_pair(t, "xab", "c", &ids, &n, &nc), 1);
    assert_int_equal(n, 3);
    assert_int_equal(nc, 2);
    free(ids);
    free_vocab(t, f, buf, w);

    t = bos_vocab("chatglm-bpe", 1, &f, &buf, &w);
    assert_int_equal(glm_token_bos(t), -1);
    assert_int_equal(glm_token_add_bos(t), 0);
    assert_int_equal(glm_token_prefix(t), 258);
    assert_int_equal(glm_encode_pair(t, "", "c", &ids, &n, &nc), 1);
    assert_int_equal(ids[0], 258);
    free(ids);
    free_vocab(t, f, buf, w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glm_pretokenize_tianti_tricky),
        cmocka_unit_test(test_glm_pretokenize_gpt2),
        cmocka_unit_test(test_glm_tokenize_matches_python_reference),
        cmocka_unit_test(test_glm_tokenize_special_tokens),
        cmocka_unit_test(test_glm_tokenize_round_trips_arbitrary_bytes),
        cmocka_unit_test(test_glm_chat_tokens_glm4_layout),
        cmocka_unit_test(test_glm_tokenize_spm),
        cmocka_unit_test(test_glm_tokenize_chatglm3_layout),
        cmocka_unit_test(test_glm_tokenize_matches_tiny_model_cases),
        cmocka_unit_test(test_glm4_tokenize_matches_llamacpp),
        cmocka_unit_test(test_spm_tokenize_matches_llamacpp),
        cmocka_unit_test(test_glm4_pre_names),
        cmocka_unit_test(test_glm_pretokenize_glm4),
        cmocka_unit_test(test_glm_encode_pair_rule),
        cmocka_unit_test(test_glm_encode_pair_bos_as_the_gguf_says),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
