/*
 * tokenizer.c — GGUF tokenizers for the GLM engine (see tokenizer.h).
 *
 * The "tianti" pre-tokenizer. Each code point is classified:
 *   DIGIT '0'-'9'; CJK U+3400–4DBF, U+4E00–9FFF, U+F900–FAFF;
 *   PUNCT_WIDE U+3000–303F, U+FF00–FFEF; NEWLINE '\n'; SPACE ' ' '\t' '\r';
 *   LETTER ASCII letters and every other code point >= 0x80; OTHER the rest.
 * Chunks, left to right: each DIGIT, CJK, PUNCT_WIDE and NEWLINE alone; a
 * maximal LETTER run or OTHER run, taking one immediately preceding ' '; the
 * remaining SPACE runs as one chunk each. Byte-level BPE then runs inside each
 * chunk. Special tokens are split out before pre-tokenization.
 *
 * The "chatglm-bpe"/"glm4" pre-tokenizer is llama.cpp's for those names
 * (src/llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_CHATGLM4, which is split by its
 * hand-written matcher of the Llama-3 regex in src/unicode.cpp):
 *   (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
 *   |[^\r\n\p{L}\p{N}]?\p{L}+ |\p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]*
 *   |\s*[\r\n]+ |\s+(?!\S) |\s+
 * with llama.cpp's Unicode classes (unicode_llama.h); invalid UTF-8 bytes
 * become U+FFFD as in llama.cpp's decoder. BPE merges are always applied (a
 * chunk that is a token whole is not taken whole: llama.cpp sets
 * ignore_merges only for other pre-tokenizers), lowest merge rank first,
 * leftmost on ties, with a heap (n log n in the chunk length).
 */
#include "engines/glm/tokenizer.h"
#include "core/pytext.h"
#include "core/utf8.h"
#include "engines/glm/unicode_llama.h"

#include <limits.h>
#include <math.h>
#include <float.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a string -> int map (open addressing) ------------------------------------ */

typedef struct smap {
    uint32_t cap;           /* power of two */
    int32_t *slot;          /* entry index or -1 */
    const char **key;
    uint32_t *klen;
    int *val;
    uint32_t n, ncap;
} smap;

static uint32_t hash(const char *s, size_t n) { return (uint32_t)tt_fnv1a64(s, n); }

static void smap_init(smap *m, uint32_t expect)
{
    memset(m, 0, sizeof *m);
    m->cap = 16;
    while (m->cap < expect * 2 + 16) m->cap <<= 1;
    m->slot = tt_malloc(m->cap * sizeof *m->slot);
    memset(m->slot, 0xff, m->cap * sizeof *m->slot);
    m->ncap = expect + 1;
    m->key = tt_malloc(m->ncap * sizeof *m->key);
    m->klen = tt_malloc(m->ncap * sizeof *m->klen);
    m->val = tt_malloc(m->ncap * sizeof *m->val);
}

static void smap_free(smap *m)
{
    free(m->slot); free(m->key); free(m->klen); free(m->val);
}

static int smap_get(const smap *m, const char *k, size_t n)
{
    if (!m->slot) return -1;
    for (uint32_t i = hash(k, n) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        int32_t e = m->slot[i];
        if (e < 0) return -1;
        if (m->klen[e] == n && memcmp(m->key[e], k, n) == 0) return m->val[e];
    }
}

/* Keeps the first value for a key (later duplicates are ignored). The key
 * memory must outlive the map. */
static void smap_put(smap *m, const char *k, size_t n, int v)
{
    if (m->n + 1 >= m->cap / 2) {   /* grow */
        smap old = *m;
        smap_init(m, old.cap);
        for (uint32_t e = 0; e < old.n; e++) smap_put(m, old.key[e], old.klen[e], old.val[e]);
        smap_free(&old);
    }
    uint32_t i = hash(k, n) & (m->cap - 1);
    for (; m->slot[i] >= 0; i = (i + 1) & (m->cap - 1))
        if (m->klen[m->slot[i]] == n && memcmp(m->key[m->slot[i]], k, n) == 0) return;
    if (m->n == m->ncap) {
        m->ncap *= 2;
        m->key = tt_realloc(m->key, m->ncap * sizeof *m->key);
        m->klen = tt_realloc(m->klen, m->ncap * sizeof *m->klen);
        m->val = tt_realloc(m->val, m->ncap * sizeof *m->val);
    }
    m->key[m->n] = k;
    m->klen[m->n] = (uint32_t)n;
    m->val[m->n] = v;
    m->slot[i] = (int32_t)m->n++;
}

/* ---- the tokenizer -------------------------------------------------------------- */

struct glm_tokenizer {
    int kind, pre, chat;
    int n_vocab;
    char **text;            /* [n_vocab] NUL-terminated token strings */
    uint32_t *len;
    float *score;
    int *type;
    smap vocab;             /* token string -> id */
    char **merge_keys;      /* "a b" strings */
    int n_merges;
    smap merges;            /* "a b" -> rank */
    int *special;           /* ids of control/user-defined tokens, longest first */
    int n_special;
    int bos, eos, eot, unk;
    int add_bos;            /* a scored text starts with bos (tokenizer.ggml.add_bos_token) */
    int add_space_prefix;
    int byte_id[256];       /* SPM: <0xXX>; BPE: the single-byte symbol's id */
    int gmask, sop, role_system, role_user, role_assistant, role_observation;
};

static uint32_t byte_to_cp[256];
static int cp_to_byte[512];   /* mapped code points are < 324 */

static pthread_once_t byte_map_once = PTHREAD_ONCE_INIT;

static void init_byte_map_once(void)
{
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        byte_to_cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
    for (int i = 0; i < 512; i++) cp_to_byte[i] = -1;
    for (int b = 0; b < 256; b++) cp_to_byte[byte_to_cp[b]] = b;
}

static void init_byte_map(void) { pthread_once(&byte_map_once, init_byte_map_once); }

static int get_id_key(const gguf_file *f, const char *key, int n_vocab)
{
    uint64_t v;
    if (gguf_get_uint(f, key, &v, NULL) != TT_OK || v >= (uint64_t)n_vocab) return -1;
    return (int)v;
}

typedef struct len_id { uint32_t len; int id; } len_id;

static int cmp_special(const void *a, const void *b)
{
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return x->id - y->id;
}

int glm_tokenizer_load(const gguf_file *f, glm_tokenizer **out, char *err)
{
    *out = NULL;
    init_byte_map();
    size_t ml;
    const char *model = gguf_get_str(f, "tokenizer.ggml.model", &ml);
    if (!model) return tt_fail(err, TT_ERR_PARSE, "'%s': key 'tokenizer.ggml.model' is missing", f->path);
    int kind;
    if (ml == 4 && memcmp(model, "gpt2", 4) == 0) kind = GLM_TOK_BPE;
    else if (ml == 5 && memcmp(model, "llama", 5) == 0) kind = GLM_TOK_SPM;
    else return tt_fail(err, TT_ERR_UNSUPPORTED, "'%s': tokenizer model '%.*s' is not supported (gpt2, llama)", f->path,
                        (int)(ml > 32 ? 32 : ml), model);
    const gguf_kv *toks = gguf_find(f, "tokenizer.ggml.tokens");
    if (!toks || toks->type != GGUF_ARRAY || toks->arr_type != GGUF_STRING || toks->arr_n == 0 || toks->arr_n > (1u << 22))
        return tt_fail(err, TT_ERR_PARSE, "'%s': 'tokenizer.ggml.tokens' is missing or not a string array", f->path);
    const gguf_kv *scores = gguf_find(f, "tokenizer.ggml.scores");
    const gguf_kv *types = gguf_find(f, "tokenizer.ggml.token_type");
    const gguf_kv *merges = gguf_find(f, "tokenizer.ggml.merges");
    if (scores && (scores->type != GGUF_ARRAY || scores->arr_n != toks->arr_n)) scores = NULL;
    if (types && (types->type != GGUF_ARRAY || types->arr_n != toks->arr_n)) types = NULL;
    if (kind == GLM_TOK_BPE && (!merges || merges->type != GGUF_ARRAY || merges->arr_type != GGUF_STRING))
        return tt_fail(err, TT_ERR_PARSE, "'%s': a gpt2 tokenizer needs 'tokenizer.ggml.merges'", f->path);
    if (merges && (merges->type != GGUF_ARRAY || merges->arr_type != GGUF_STRING || merges->arr_n > (1u << 24)))
        return tt_fail(err, TT_ERR_PARSE, "'%s': 'tokenizer.ggml.merges' is not a string array of at most 2^24 entries",
                       f->path);

    glm_tokenizer *t = tt_calloc(1, sizeof *t);
    t->kind = kind;
    t->n_vocab = (int)toks->arr_n;
    size_t pl;
    const char *pre = gguf_get_str(f, "tokenizer.ggml.pre", &pl);
    int glm4_pre = pre && ((pl == 11 && memcmp(pre, "chatglm-bpe", 11) == 0) || (pl == 4 && memcmp(pre, "glm4", 4) == 0));
    t->pre = pre && pl == 6 && memcmp(pre, "tianti", 6) == 0 ? GLM_PRE_TIANTI : glm4_pre ? GLM_PRE_GLM4 : GLM_PRE_GPT2;
    t->text = tt_calloc((size_t)t->n_vocab, sizeof *t->text);
    t->len = tt_calloc((size_t)t->n_vocab, sizeof *t->len);
    t->score = tt_calloc((size_t)t->n_vocab, sizeof *t->score);
    t->type = tt_calloc((size_t)t->n_vocab, sizeof *t->type);
    smap_init(&t->vocab, (uint32_t)t->n_vocab);
    for (int i = 0; i < t->n_vocab; i++) {
        size_t l;
        const char *s = gguf_arr_str(toks, (uint64_t)i, &l);
        t->text[i] = tt_strndup(s, l);
        t->len[i] = (uint32_t)l;
        /* a score outside float's range (an f64 array) is clamped, not converted */
        double sc = scores ? gguf_arr_num(scores, (uint64_t)i) : 0.0;
        t->score[i] = isnan(sc) ? 0.0f : sc > FLT_MAX ? FLT_MAX : sc < -FLT_MAX ? -FLT_MAX : (float)sc;
        /* a type that is no int (a file's f32 1e10, say) is an ordinary token */
        double ty = types ? gguf_arr_num(types, (uint64_t)i) : GLM_TOKEN_NORMAL;
        t->type[i] = ty >= INT_MIN && ty <= INT_MAX ? (int)ty : GLM_TOKEN_NORMAL;
        smap_put(&t->vocab, t->text[i], l, i);
    }
    if (merges) {
        t->n_merges = (int)merges->arr_n;
        t->merge_keys = tt_calloc((size_t)(t->n_merges ? t->n_merges : 1), sizeof *t->merge_keys);
        smap_init(&t->merges, (uint32_t)t->n_merges);
        for (int i = 0; i < t->n_merges; i++) {
            size_t l;
            const char *s = gguf_arr_str(merges, (uint64_t)i, &l);
            t->merge_keys[i] = tt_strndup(s, l);
            smap_put(&t->merges, t->merge_keys[i], l, i);
        }
    }
    /* special tokens, longest first (llama.cpp's cache_special_tokens: control,
     * user-defined and unknown) */
    len_id *sp = tt_malloc((size_t)t->n_vocab * sizeof *sp);
    for (int i = 0; i < t->n_vocab; i++)
        if ((t->type[i] == GLM_TOKEN_CONTROL || t->type[i] == GLM_TOKEN_USER_DEFINED || t->type[i] == GLM_TOKEN_UNKNOWN)
            && t->len[i] > 0)
            sp[t->n_special++] = (len_id){t->len[i], i};
    qsort(sp, (size_t)t->n_special, sizeof *sp, cmp_special);
    t->special = tt_malloc((size_t)(t->n_special ? t->n_special : 1) * sizeof *t->special);
    for (int i = 0; i < t->n_special; i++) t->special[i] = sp[i].id;
    free(sp);
    /* byte tokens */
    for (int b = 0; b < 256; b++) {
        char name[8];
        if (kind == GLM_TOK_SPM) {
            snprintf(name, sizeof name, "<0x%02X>", b);
        } else {
            size_t k = tt_utf8_encode(byte_to_cp[b], name);
            name[k] = 0;
        }
        t->byte_id[b] = glm_token_id(t, name);
    }
    t->bos = get_id_key(f, "tokenizer.ggml.bos_token_id", t->n_vocab);
    t->eos = get_id_key(f, "tokenizer.ggml.eos_token_id", t->n_vocab);
    t->eot = get_id_key(f, "tokenizer.ggml.eot_token_id", t->n_vocab);
    t->unk = get_id_key(f, "tokenizer.ggml.unknown_token_id", t->n_vocab);
    if (t->eos < 0) t->eos = glm_token_id(t, "<|endoftext|>");
    /* llama.cpp drops the BOS id of GLM-4 vocabularies (pre "chatglm-bpe" or
     * "glm4"): their prompts open with [gMASK]<sop> from the chat template. */
    if (glm4_pre) t->bos = -1;
    /* Without the key, llama.cpp's defaults: SentencePiece adds BOS, BPE does not. */
    int add_bos = kind == GLM_TOK_SPM;
    gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &add_bos, NULL);
    t->add_bos = add_bos && t->bos >= 0;
    int asp = kind == GLM_TOK_SPM;
    gguf_get_bool(f, "tokenizer.ggml.add_space_prefix", &asp, NULL);
    t->add_space_prefix = asp;
    t->gmask = glm_token_id(t, "[gMASK]");
    t->role_system = glm_token_id(t, "<|system|>");
    t->role_user = glm_token_id(t, "<|user|>");
    t->role_assistant = glm_token_id(t, "<|assistant|>");
    t->role_observation = glm_token_id(t, "<|observation|>");
    int sop_glm4 = glm_token_id(t, "<sop>"), sop3 = glm_token_id(t, "sop");
    if (t->gmask >= 0 && t->role_user >= 0 && t->role_assistant >= 0 && sop_glm4 >= 0) {
        t->chat = GLM_CHAT_GLM4;
        t->sop = sop_glm4;
    } else if (t->gmask >= 0 && t->role_user >= 0 && t->role_assistant >= 0 && sop3 >= 0) {
        t->chat = GLM_CHAT_CHATGLM3;
        t->sop = sop3;
    } else {
        t->chat = GLM_CHAT_NONE;
        t->sop = -1;
    }
    *out = t;
    return TT_OK;
}

void glm_tokenizer_free(glm_tokenizer *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_vocab; i++) free(t->text[i]);
    for (int i = 0; i < t->n_merges; i++) free(t->merge_keys[i]);
    free(t->text); free(t->len); free(t->score); free(t->type); free(t->merge_keys); free(t->special);
    smap_free(&t->vocab);
    smap_free(&t->merges);
    free(t);
}

int glm_tokenizer_n_vocab(const glm_tokenizer *t) { return t->n_vocab; }
int glm_tokenizer_kind(const glm_tokenizer *t) { return t->kind; }
int glm_tokenizer_pre(const glm_tokenizer *t) { return t->pre; }
int glm_tokenizer_chat_kind(const glm_tokenizer *t) { return t->chat; }
int glm_token_id(const glm_tokenizer *t, const char *text) { return smap_get(&t->vocab, text, strlen(text)); }
int glm_token_type(const glm_tokenizer *t, int id) { return id >= 0 && id < t->n_vocab ? t->type[id] : 0; }
int glm_token_bos(const glm_tokenizer *t) { return t->bos; }
int glm_token_eos(const glm_tokenizer *t) { return t->eos; }
int glm_token_add_bos(const glm_tokenizer *t) { return t->add_bos; }
int glm_token_prefix(const glm_tokenizer *t) { return t->bos >= 0 ? t->bos : t->eos; }

int glm_token_is_eog(const glm_tokenizer *t, int id)
{
    if (id < 0) return 0;
    if (id == t->eos || id == t->eot) return 1;
    if (t->chat != GLM_CHAT_NONE && (id == t->role_user || id == t->role_observation || id == t->role_system)) return 1;
    return 0;
}

static void push(int **ids, int *n, int *cap, int id)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *ids = tt_realloc(*ids, (size_t)*cap * sizeof **ids);
    }
    (*ids)[(*n)++] = id;
}

/* ---- pre-tokenizers ---------------------------------------------------------------- */

enum { C_DIGIT, C_CJK, C_WIDE, C_NL, C_SPACE, C_LETTER, C_OTHER };

static int tianti_class(uint32_t c)
{
    if (c >= '0' && c <= '9') return C_DIGIT;
    if ((c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF)) return C_CJK;
    if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF)) return C_WIDE;
    if (c == '\n') return C_NL;
    if (c == ' ' || c == '\t' || c == '\r') return C_SPACE;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) return C_LETTER;
    return C_OTHER;
}

/* Code-point classes of text: cls[i] for the code point starting at byte
 * off[i]; off[n] = len. Caller frees both. */
static size_t classify(const char *text, size_t len, int (*cf)(uint32_t), int **cls, size_t **off, uint32_t **cps)
{
    *cls = tt_malloc((len + 1) * sizeof **cls);
    *off = tt_malloc((len + 1) * sizeof **off);
    *cps = tt_malloc((len + 1) * sizeof **cps);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        uint32_t cp = tt_utf8_decode(text + i, len - i, &adv);
        (*cls)[n] = cf(cp);
        (*cps)[n] = cp;
        (*off)[n++] = i;
        i += adv;
    }
    (*off)[n] = len;
    return n;
}

void glm_pretokenize_tianti(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u)
{
    int *cls;
    size_t *off;
    uint32_t *cps;
    size_t n = classify(text, len, tianti_class, &cls, &off, &cps);
    size_t i = 0;
    while (i < n) {
        int k = cls[i];
        if (k == C_DIGIT || k == C_CJK || k == C_WIDE || k == C_NL) {
            fn(u, text + off[i], off[i + 1] - off[i]);
            i++;
        } else if (k == C_LETTER || k == C_OTHER) {
            size_t j = i;
            while (j < n && cls[j] == k) j++;
            fn(u, text + off[i], off[j] - off[i]);
            i = j;
        } else {   /* SPACE run; its last ' ' joins a following LETTER/OTHER run */
            size_t j = i;
            while (j < n && cls[j] == C_SPACE) j++;
            if (j < n && (cls[j] == C_LETTER || cls[j] == C_OTHER) && cps[j - 1] == ' ') {
                if (j - 1 > i) fn(u, text + off[i], off[j - 1] - off[i]);
                int k2 = cls[j];
                size_t m = j;
                while (m < n && cls[m] == k2) m++;
                fn(u, text + off[j - 1], off[m] - off[j - 1]);
                i = m;
            } else {
                fn(u, text + off[i], off[j] - off[i]);
                i = j;
            }
        }
    }
    free(cls); free(off); free(cps);
}

enum { G_LETTER, G_NUMBER, G_SPACE, G_OTHER };

static int gpt2_class(uint32_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return G_LETTER;
    if (c >= '0' && c <= '9') return G_NUMBER;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x3000 || c == 0xA0) return G_SPACE;
    if (c >= 0x80) {
        if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) || (c >= 0x2000 && c <= 0x206F)) return G_OTHER;
        return G_LETTER;
    }
    return G_OTHER;
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (Unicode letters approximated: every non-ASCII code point outside the
 * common punctuation blocks counts as a letter). */
void glm_pretokenize_gpt2(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u)
{
    int *cls;
    size_t *off;
    uint32_t *cps;
    size_t n = classify(text, len, gpt2_class, &cls, &off, &cps);
    size_t i = 0;
    while (i < n) {
        if (cps[i] == '\'' && i + 1 < n) {
            uint32_t a = cps[i + 1], b = i + 2 < n ? cps[i + 2] : 0;
            size_t k = 0;
            if (a == 's' || a == 't' || a == 'm' || a == 'd') k = 2;
            else if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) k = 3;
            if (k) {
                fn(u, text + off[i], off[i + k] - off[i]);
                i += k;
                continue;
            }
        }
        size_t s = i;
        if (cps[i] == ' ' && i + 1 < n && cls[i + 1] != G_SPACE) i++;
        if (cls[i] != G_SPACE) {
            int k = cls[i];
            size_t j = i;
            while (j < n && cls[j] == k) j++;
            fn(u, text + off[s], off[j] - off[s]);
            i = j;
            continue;
        }
        size_t j = i;
        while (j < n && cls[j] == G_SPACE) j++;
        if (j < n && j - i > 1) j--;   /* \s+(?!\S): leave the last one for the next word */
        fn(u, text + off[i], off[j] - off[i]);
        i = j;
    }
    free(cls); free(off); free(cps);
}

/* ---- the "chatglm-bpe"/"glm4" pre-tokenizer (llama.cpp's) --------------------------- */

/* One code point of text at *i as llama.cpp's unicode_cpt_from_utf8 reads it
 * (no overlong or surrogate checks); an invalid byte is U+FFFD, one byte. */
static uint32_t llama_decode(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    if (!(c & 0x80)) { (*i)++; return c; }
    size_t need = !(c & 0x40) ? 0 : !(c & 0x20) ? 1 : !(c & 0x10) ? 2 : !(c & 0x08) ? 3 : 0;
    if (need == 0 || *i + need >= len) { (*i)++; return 0xFFFD; }
    for (size_t k = 1; k <= need; k++)
        if ((s[*i + k] & 0xC0) != 0x80) { (*i)++; return 0xFFFD; }
    uint32_t cp = need == 1 ? c & 0x1F : need == 2 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k <= need; k++) cp = (cp << 6) | (s[*i + k] & 0x3F);
    *i += need + 1;
    return cp;
}

static size_t llama_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | ((cp >> 18) & 0x07)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

void glm_pretokenize_glm4(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u)
{
    /* the text as code points, re-encoded (invalid bytes as U+FFFD) with the
     * byte offset of each code point: off[i] .. off[i + 1] */
    uint32_t *cp = tt_malloc((len + 1) * sizeof *cp);
    size_t *off = tt_malloc((len + 2) * sizeof *off);
    char *enc = tt_malloc(len * 3 + 4);
    size_t n = 0, el = 0;
    for (size_t i = 0; i < len;) {
        cp[n] = llama_decode((const unsigned char *)text, len, &i);
        off[n++] = el;
        el += llama_encode(cp[n - 1], enc + el);
    }
    off[n] = el;
#define CL(p) ((p) < n ? glm_ucls(cp[p]) : 0)
#define CP(p) ((p) < n ? cp[p] : 0xFFFFFFFFu)
    size_t pos = 0, prev = 0;
#define EMIT(end) do { size_t e_ = (end); if (e_ > prev) fn(u, enc + off[prev], off[e_] - off[prev]); prev = e_; } while (0)
    while (pos < n) {
        uint32_t c = cp[pos];
        int f = CL(pos);
        if (c == '\'' && pos + 1 < n) {   /* 's 't 'm 'd 're 've 'll, any case */
            uint32_t a = ascii_lower(cp[pos + 1]);
            if (a == 's' || a == 't' || a == 'm' || a == 'd') { pos += 2; EMIT(pos); continue; }
            if (pos + 2 < n) {
                uint32_t b = ascii_lower(cp[pos + 2]);
                if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) { pos += 3; EMIT(pos); continue; }
            }
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!(c == '\r' || c == '\n' || (f & GLM_U_NUMBER)) && ((f & GLM_U_LETTER) || (CL(pos + 1) & GLM_U_LETTER))) {
            pos++;
            while (CL(pos) & GLM_U_LETTER) pos++;
            EMIT(pos);
            continue;
        }
        if (f & GLM_U_NUMBER) {   /* \p{N}{1,3} */
            size_t ini = pos;
            while (CL(pos) & GLM_U_NUMBER) {
                if (++pos - ini >= 3) { EMIT(pos); ini = pos; }
            }
            EMIT(pos);
            continue;
        }
        /* <space>?[^\s\p{L}\p{N}]+[\r\n]* */
        int f2 = c == ' ' ? CL(pos + 1) : f;
        if (!(f2 & (GLM_U_WHITESPACE | GLM_U_LETTER | GLM_U_NUMBER)) && f) {
            pos += c == ' ';
            while (!(f2 & (GLM_U_WHITESPACE | GLM_U_LETTER | GLM_U_NUMBER)) && f2) {
                pos++;
                f2 = CL(pos);
            }
            while (CP(pos) == '\r' || CP(pos) == '\n') pos++;
            EMIT(pos);
            continue;
        }
        size_t nws = 0, last_rn = 0;
        while (CL(pos + nws) & GLM_U_WHITESPACE) {
            uint32_t c2 = cp[pos + nws];
            if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
            nws++;
        }
        if (last_rn > 0) { pos = last_rn; EMIT(pos); continue; }        /* \s*[\r\n]+ */
        if (nws > 1 && pos + nws < n) { pos += nws - 1; EMIT(pos); continue; }   /* \s+(?!\S) */
        if (nws > 0) { pos += nws; EMIT(pos); continue; }                /* \s+ */
        pos++;   /* no match: one code point alone */
        EMIT(pos);
    }
#undef EMIT
#undef CP
#undef CL
    free(cp); free(off); free(enc);
}

/* ---- byte-level BPE -------------------------------------------------------------- */

typedef struct bpe_ctx {
    const glm_tokenizer *t;
    int **ids;
    int *n, *cap;
    tt_buf sym;     /* the chunk in mapped code points (UTF-8) */
    tt_buf key;
} bpe_ctx;

/* A candidate merge of symbols left and right (adjacent when queued); stale
 * once either symbol has changed length. */
/* key: lower merges first (BPE: the merge rank; SentencePiece: minus the
 * merged token's score); ties: the leftmost. */
typedef struct bigram { double key; uint32_t left, right; uint32_t ll, rl; } bigram;

static int bigram_before(const bigram *a, const bigram *b)
{
    return a->key < b->key || (a->key == b->key && a->left < b->left);
}

static void heap_push(bigram **h, size_t *n, size_t *cap, bigram g)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *h = tt_realloc(*h, *cap * sizeof **h);
    }
    size_t i = (*n)++;
    while (i > 0 && bigram_before(&g, &(*h)[(i - 1) / 2])) {
        (*h)[i] = (*h)[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    (*h)[i] = g;
}

static bigram heap_pop(bigram *h, size_t *n)
{
    bigram top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && bigram_before(&h[c + 1], &h[c])) c++;
        if (!bigram_before(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

typedef struct bpe_syms {
    const char *base;
    size_t *st, *ln;
    int64_t *next;
    bigram *heap;
    size_t nh, caph;
} bpe_syms;

static void add_bigram(const glm_tokenizer *t, bpe_syms *y, tt_buf *key, int64_t l, int64_t r)
{
    if (l < 0 || r < 0) return;
    tt_buf_reset(key);
    tt_buf_append(key, y->base + y->st[l], y->ln[l]);
    tt_buf_append(key, " ", 1);
    tt_buf_append(key, y->base + y->st[r], y->ln[r]);
    int rank = smap_get(&t->merges, key->data, key->len);
    if (rank < 0) return;
    heap_push(&y->heap, &y->nh, &y->caph, (bigram){(double)rank, (uint32_t)l, (uint32_t)r, (uint32_t)y->ln[l], (uint32_t)y->ln[r]});
}

static void bpe_chunk(void *v, const char *s, size_t n)
{
    bpe_ctx *c = v;
    const glm_tokenizer *t = c->t;
    tt_buf_reset(&c->sym);
    /* symbol i spans [st[i], st[i] + ln[i]) of c->sym; merged-away symbols have ln 0 */
    bpe_syms y = {0};
    y.st = tt_malloc((n + 1) * sizeof *y.st);
    y.ln = tt_malloc((n + 1) * sizeof *y.ln);
    y.next = tt_malloc((n + 1) * sizeof *y.next);
    int64_t *prev = tt_malloc((n + 1) * sizeof *prev);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        char u8[4];
        size_t k = tt_utf8_encode(byte_to_cp[(unsigned char)s[i]], u8);
        y.st[ns] = c->sym.len;
        y.ln[ns++] = k;
        tt_buf_append(&c->sym, u8, k);
    }
    y.base = tt_buf_str(&c->sym);
    int whole = t->pre == GLM_PRE_TIANTI ? smap_get(&t->vocab, y.base, c->sym.len) : -1;
    if (whole >= 0 && t->type[whole] == GLM_TOKEN_NORMAL) {
        /* the project's own tokenizer (bpe.py) takes a chunk that is a token whole */
        push(c->ids, c->n, c->cap, whole);
        ns = 0;
    }
    for (size_t i = 0; i < ns; i++) {
        prev[i] = (int64_t)i - 1;
        y.next[i] = i + 1 < ns ? (int64_t)i + 1 : -1;
    }
    for (size_t i = 1; i < ns; i++) add_bigram(t, &y, &c->key, (int64_t)i - 1, (int64_t)i);
    while (y.nh > 0) {
        bigram g = heap_pop(y.heap, &y.nh);
        if (y.ln[g.left] != g.ll || y.ln[g.right] != g.rl || y.ln[g.left] == 0 || y.ln[g.right] == 0) continue;
        y.ln[g.left] += y.ln[g.right];   /* the right symbol joins the left one */
        y.ln[g.right] = 0;
        y.next[g.left] = y.next[g.right];
        if (y.next[g.right] >= 0) prev[y.next[g.right]] = g.left;
        add_bigram(t, &y, &c->key, prev[g.left], g.left);
        add_bigram(t, &y, &c->key, g.left, y.next[g.left]);
    }
    for (size_t i = 0; i < ns; i++) {
        if (y.ln[i] == 0) continue;
        int id = smap_get(&t->vocab, y.base + y.st[i], y.ln[i]);
        if (id >= 0) { push(c->ids, c->n, c->cap, id); continue; }
        /* not in the vocabulary: its bytes one by one */
        const char *p = y.base + y.st[i];
        for (size_t k = 0; k < y.ln[i];) {
            size_t adv;
            uint32_t cpt = tt_utf8_decode(p + k, y.ln[i] - k, &adv);
            int b = cpt < 512 ? cp_to_byte[cpt] : -1;
            int bid = b >= 0 ? t->byte_id[b] : -1;
            if (bid < 0) bid = t->unk;
            if (bid >= 0) push(c->ids, c->n, c->cap, bid);
            k += adv;
        }
    }
    free(y.st); free(y.ln); free(y.next); free(prev); free(y.heap);
}

/* ---- SentencePiece ------------------------------------------------------------------ */

/* A SentencePiece merge candidate: symbols l and r when their concatenation
 * is a token, keyed by minus its score. */
static void spm_add_bigram(const glm_tokenizer *t, bpe_syms *y, int64_t l, int64_t r)
{
    if (l < 0 || r < 0) return;
    int id = smap_get(&t->vocab, y->base + y->st[l], y->ln[l] + y->ln[r]);
    if (id < 0) return;
    heap_push(&y->heap, &y->nh, &y->caph,
              (bigram){-(double)t->score[id], (uint32_t)l, (uint32_t)r, (uint32_t)y->ln[l], (uint32_t)y->ln[r]});
}

/* llama.cpp's SentencePiece: spaces -> U+2581 (and a leading one when
 * asked), characters as symbols, repeatedly merge the adjacent pair whose
 * concatenation is the highest-scoring token (leftmost on ties) — with a
 * heap, n log n in the fragment — then byte fallback for what is left
 * outside the vocabulary. */
static void spm_fragment(const glm_tokenizer *t, const char *text, size_t len, int prefix, int **ids, int *n, int *cap)
{
    tt_buf s;
    tt_buf_init(&s);
    static const char sp[] = "\xe2\x96\x81";   /* U+2581 */
    if (prefix) tt_buf_append(&s, sp, 3);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') tt_buf_append(&s, sp, 3);
        else tt_buf_append(&s, text + i, 1);
    }
    size_t L = s.len;
    bpe_syms y = {0};
    y.base = tt_buf_str(&s);
    y.st = tt_malloc((L + 1) * sizeof *y.st);
    y.ln = tt_malloc((L + 1) * sizeof *y.ln);
    y.next = tt_malloc((L + 1) * sizeof *y.next);
    int64_t *prev = tt_malloc((L + 1) * sizeof *prev);
    size_t ns = 0;
    for (size_t i = 0; i < L;) {
        size_t adv = tt_utf8_char_len(y.base + i, L - i);
        y.st[ns] = i;
        y.ln[ns++] = adv;
        i += adv;
    }
    for (size_t i = 0; i < ns; i++) {
        prev[i] = (int64_t)i - 1;
        y.next[i] = i + 1 < ns ? (int64_t)i + 1 : -1;
    }
    for (size_t i = 1; i < ns; i++) spm_add_bigram(t, &y, (int64_t)i - 1, (int64_t)i);
    while (y.nh > 0) {
        bigram g = heap_pop(y.heap, &y.nh);
        if (y.ln[g.left] != g.ll || y.ln[g.right] != g.rl || y.ln[g.left] == 0 || y.ln[g.right] == 0) continue;
        y.ln[g.left] += y.ln[g.right];
        y.ln[g.right] = 0;
        y.next[g.left] = y.next[g.right];
        if (y.next[g.right] >= 0) prev[y.next[g.right]] = g.left;
        spm_add_bigram(t, &y, prev[g.left], g.left);
        spm_add_bigram(t, &y, g.left, y.next[g.left]);
    }
    for (size_t i = 0; i < ns; i++) {
        if (y.ln[i] == 0) continue;
        int id = smap_get(&t->vocab, y.base + y.st[i], y.ln[i]);
        if (id >= 0) { push(ids, n, cap, id); continue; }
        for (size_t k = 0; k < y.ln[i]; k++) {   /* byte fallback */
            int bid = t->byte_id[(unsigned char)y.base[y.st[i] + k]];
            if (bid < 0) bid = t->unk;
            if (bid >= 0) push(ids, n, cap, bid);
        }
    }
    free(y.st); free(y.ln); free(y.next); free(prev); free(y.heap);
    tt_buf_free(&s);
}

/* ---- tokenize ------------------------------------------------------------------ */

static void tokenize_plain(const glm_tokenizer *t, const char *text, size_t len, int at_start, int **ids, int *n, int *cap)
{
    if (len == 0) return;
    if (t->kind == GLM_TOK_SPM) {
        spm_fragment(t, text, len, at_start && t->add_space_prefix, ids, n, cap);
        return;
    }
    bpe_ctx c = {t, ids, n, cap, {0}, {0}};
    tt_buf_init(&c.sym);
    tt_buf_init(&c.key);
    if (t->pre == GLM_PRE_TIANTI) glm_pretokenize_tianti(text, len, bpe_chunk, &c);
    else if (t->pre == GLM_PRE_GLM4) glm_pretokenize_glm4(text, len, bpe_chunk, &c);
    else glm_pretokenize_gpt2(text, len, bpe_chunk, &c);
    tt_buf_free(&c.sym);
    tt_buf_free(&c.key);
}

void glm_tokenize(const glm_tokenizer *t, const char *text, size_t len, int parse_special, int **ids, int *n, int *cap)
{
    size_t start = 0, i = 0;
    if (t->n_special) {
        while (i < len) {
            int hit = -1;
            for (int k = 0; k < t->n_special; k++) {
                int id = t->special[k];
                /* user-defined tokens are split out even without parse_special (llama.cpp) */
                if (!parse_special && t->type[id] != GLM_TOKEN_USER_DEFINED) continue;
                if (t->len[id] <= len - i && t->text[id][0] == text[i] && memcmp(t->text[id], text + i, t->len[id]) == 0) {
                    hit = id;
                    break;
                }
            }
            if (hit < 0) { i++; continue; }
            /* every text fragment starts the text or follows a special token:
             * llama.cpp gives each a SentencePiece space prefix */
            tokenize_plain(t, text + start, i - start, 1, ids, n, cap);
            push(ids, n, cap, hit);
            i += t->len[hit];
            start = i;
        }
    }
    tokenize_plain(t, text + start, len - start, 1, ids, n, cap);
}

/* ---- detokenize ------------------------------------------------------------------ */

void glm_token_piece(const glm_tokenizer *t, int id, int render_special, tt_buf *out)
{
    if (id < 0 || id >= t->n_vocab) return;
    int ty = t->type[id];
    const char *s = t->text[id];
    size_t l = t->len[id];
    if (ty == GLM_TOKEN_CONTROL || ty == GLM_TOKEN_UNKNOWN || ty == GLM_TOKEN_UNUSED) {
        if (render_special) tt_buf_append(out, s, l);
        return;
    }
    if (ty == GLM_TOKEN_USER_DEFINED) {
        tt_buf_append(out, s, l);
        return;
    }
    if (t->kind == GLM_TOK_SPM) {
        unsigned b;
        if (ty == GLM_TOKEN_BYTE || (l == 6 && sscanf(s, "<0x%2X>", &b) == 1 && s[5] == '>')) {
            if (sscanf(s, "<0x%2X>", &b) == 1) {
                char c = (char)b;
                tt_buf_append(out, &c, 1);
            }
            return;
        }
        for (size_t i = 0; i < l; i++) {
            if (i + 2 < l && memcmp(s + i, "\xe2\x96\x81", 3) == 0) {
                tt_buf_append(out, " ", 1);
                i += 2;
            } else {
                tt_buf_append(out, s + i, 1);
            }
        }
        return;
    }
    for (size_t i = 0; i < l;) {   /* byte-level: mapped code points back to bytes */
        size_t adv;
        uint32_t cp = tt_utf8_decode(s + i, l - i, &adv);
        int b = cp < 512 ? cp_to_byte[cp] : -1;
        if (b >= 0) {
            char c = (char)b;
            tt_buf_append(out, &c, 1);
        } else {
            tt_buf_append(out, s + i, adv);
        }
        i += adv;
    }
}

char *glm_detokenize(const glm_tokenizer *t, const int *ids, int n, int render_special)
{
    tt_buf b;
    tt_buf_init(&b);
    for (int i = 0; i < n; i++) glm_token_piece(t, ids[i], render_special, &b);
    if (t->kind == GLM_TOK_SPM && t->add_space_prefix && b.len && b.data[0] == ' ') {
        char *s = tt_strndup(b.data + 1, b.len - 1);
        tt_buf_free(&b);
        return s;
    }
    if (!b.data) return tt_strdup("");
    return tt_buf_detach(&b);
}

/* ---- chat ------------------------------------------------------------------------ */

void glm_chat_tokens(const glm_tokenizer *t, const char *const *roles, const char *const *contents, int n_msgs,
                     int **ids, int *n)
{
    int cap = 0;
    *ids = NULL;
    *n = 0;
    if (t->chat == GLM_CHAT_NONE) {
        tt_buf b;
        tt_buf_init(&b);
        for (int i = 0; i < n_msgs; i++) {
            const char *r = roles[i];
            tt_buf_printf(&b, "%c%s: %s\n", r[0] ? (char)(r[0] >= 'a' && r[0] <= 'z' ? r[0] - 32 : r[0]) : '?',
                          r[0] ? r + 1 : "", contents[i]);
        }
        tt_buf_puts(&b, "Assistant:");
        glm_tokenize(t, b.data, b.len, 0, ids, n, &cap);
        tt_buf_free(&b);
        return;
    }
    push(ids, n, &cap, t->gmask);
    push(ids, n, &cap, t->sop);
    for (int i = 0; i < n_msgs; i++) {
        int role = strcmp(roles[i], "system") == 0 ? t->role_system
                 : strcmp(roles[i], "assistant") == 0 ? t->role_assistant
                 : strcmp(roles[i], "observation") == 0 ? t->role_observation : t->role_user;
        if (role < 0) role = t->role_user;
        push(ids, n, &cap, role);
        glm_tokenize(t, "\n", 1, 0, ids, n, &cap);
        glm_tokenize(t, contents[i], strlen(contents[i]), 0, ids, n, &cap);
    }
    push(ids, n, &cap, t->role_assistant);
    if (t->chat == GLM_CHAT_GLM4) glm_tokenize(t, "\n", 1, 0, ids, n, &cap);
}

/* ---- the scoring rule (docs/scoring.md) ------------------------------------------- */

void glm_token_ends(const glm_tokenizer *t, const int *ids, int n, size_t len, size_t *ends)
{
    tt_buf b;
    tt_buf_init(&b);
    /* SentencePiece's space prefix (at the start and after each special
     * token, as glm_tokenize adds it) is in a piece but not in the text */
    int spm_prefix = t->kind == GLM_TOK_SPM && t->add_space_prefix, pending = spm_prefix;
    for (int i = 0; i < n; i++) {
        size_t before = b.len;
        glm_token_piece(t, ids[i], 1, &b);   /* special tokens in the text were parsed from their text */
        int ty = glm_token_type(t, ids[i]);
        int special = ty == GLM_TOKEN_CONTROL || ty == GLM_TOKEN_USER_DEFINED || ty == GLM_TOKEN_UNKNOWN;
        if (pending && !special && b.len > before && b.data[before] == ' ') {
            memmove(b.data + before, b.data + before + 1, b.len - before - 1);
            b.len--;
        }
        if (!special) pending = 0;
        else pending = spm_prefix;
        ends[i] = b.len;
    }
    size_t prev = 0;
    for (int i = 0; i < n; i++) {
        size_t e = ends[i];
        if (e > len) e = len;
        if (e < prev) e = prev;
        ends[i] = prev = e;
    }
    tt_buf_free(&b);
}

/* Length of s without trailing whitespace (Python's str.rstrip()). */
static size_t rstrip_len(const char *s, size_t n)
{
    pytext_span sp = pytext_strip(s, n);
    return sp.len ? (size_t)(sp.p - s) + sp.len : 0;
}

int glm_encode_pair(const glm_tokenizer *t, const char *context, const char *continuation, int **ids, int *n,
                    int *n_context)
{
    int cap = 0;
    *ids = NULL;
    *n = *n_context = 0;
    size_t cl = strlen(context), kl = rstrip_len(context, cl);
    /* trailing whitespace of the context belongs to the continuation */
    tt_buf whole;
    tt_buf_init(&whole);
    tt_buf_append(&whole, context, cl);
    tt_buf_puts(&whole, continuation);
    int prefix = glm_token_prefix(t);
    if (kl > 0) {
        if (t->add_bos) push(ids, n, &cap, t->bos);
        int first = *n;
        glm_tokenize(t, whole.data, whole.len, 1, ids, n, &cap);
        size_t *ends = tt_malloc(((size_t)(*n - first) + 1) * sizeof *ends);
        glm_token_ends(t, *ids + first, *n - first, whole.len, ends);
        int k = 0;
        while (first + k < *n && ends[k] <= kl) k++;
        free(ends);
        *n_context = first + k;
    } else if (whole.len > 0) {
        glm_tokenize(t, whole.data, whole.len, 1, ids, n, &cap);
    }
    tt_buf_free(&whole);
    if (*n_context == 0 && *n > 0) {
        /* Nothing conditions the first token: lm-eval's empty context, the
         * prefix token (unless the text already starts with it). */
        if (prefix >= 0 && (*ids)[0] != prefix) {
            push(ids, n, &cap, 0);
            memmove(*ids + 1, *ids, (size_t)(*n - 1) * sizeof **ids);
            (*ids)[0] = prefix;
        }
        *n_context = 1;
    }
    return *n - *n_context;
}
