/*
 * tokenizer.h — text <-> token ids from GGUF tokenizer metadata.
 *
 *   tokenizer.ggml.model = "gpt2": byte-level BPE with merge ranks. The
 *     pre-tokenizer is chosen by tokenizer.ggml.pre: "tianti" (the project's
 *     own split, see tokenizer.c), "chatglm-bpe" or "glm4" (llama.cpp's split
 *     for GLM-4 vocabularies, ids equal to llama.cpp's: tests/data/glm/
 *     glm4_tokens.jsonl) or, for anything else, the GPT-2 split.
 *   tokenizer.ggml.model = "llama": SentencePiece with scores as llama.cpp
 *     runs it (spaces -> U+2581, optional space prefix, highest-score merges,
 *     byte fallback <0xXX>).
 * Control (type 3) and unknown (type 2) tokens are matched in text when
 * parse_special is on, user-defined (type 4) tokens always (as llama.cpp). Chat prompts (GLM-4 "[gMASK]<sop>" or ChatGLM3
 * "[gMASK]sop" with <|system|>/<|user|>/<|assistant|>) are built as ids,
 * message text tokenized without special-token parsing.
 *
 * Who calls it: glm_engine.c, tests/unit/test_glm_tokenizer.c.
 */
#ifndef TIANTI_GLM_TOKENIZER_H
#define TIANTI_GLM_TOKENIZER_H

#include "engines/glm/gguf.h"
#include "core/util.h"

#include <stddef.h>

enum glm_token_type { GLM_TOKEN_NORMAL = 1, GLM_TOKEN_UNKNOWN = 2, GLM_TOKEN_CONTROL = 3,
                      GLM_TOKEN_USER_DEFINED = 4, GLM_TOKEN_UNUSED = 5, GLM_TOKEN_BYTE = 6 };
enum glm_tok_kind { GLM_TOK_BPE = 0, GLM_TOK_SPM = 1 };
enum glm_pre_kind { GLM_PRE_GPT2 = 0, GLM_PRE_TIANTI = 1, GLM_PRE_GLM4 = 2 };
enum glm_chat_kind { GLM_CHAT_NONE = 0, GLM_CHAT_GLM4 = 1, GLM_CHAT_CHATGLM3 = 2 };

typedef struct glm_tokenizer glm_tokenizer;

/* Reads the tokenizer from f. *out owned by the caller (glm_tokenizer_free). */
int glm_tokenizer_load(const gguf_file *f, glm_tokenizer **out, char *err);
void glm_tokenizer_free(glm_tokenizer *t);

int glm_tokenizer_n_vocab(const glm_tokenizer *t);
int glm_tokenizer_kind(const glm_tokenizer *t);
int glm_tokenizer_pre(const glm_tokenizer *t);
int glm_tokenizer_chat_kind(const glm_tokenizer *t);
/* Id of a token string, -1 if absent. */
int glm_token_id(const glm_tokenizer *t, const char *text);
int glm_token_type(const glm_tokenizer *t, int id);
int glm_token_bos(const glm_tokenizer *t);   /* -1 if none */
int glm_token_eos(const glm_tokenizer *t);   /* -1 if none */
/* Whether a scored text starts with bos: tokenizer.ggml.add_bos_token, or
 * llama.cpp's default without the key (SentencePiece yes, BPE no); never
 * when there is no bos (llama.cpp drops it for GLM-4's "chatglm-bpe"). */
int glm_token_add_bos(const glm_tokenizer *t);
/* lm-eval's prefix token (what conditions a text that has no context):
 * bos, else eos; -1 if neither. */
int glm_token_prefix(const glm_tokenizer *t);
/* End of generation: eos, eot, <|user|>, <|observation|>, <|endoftext|>. */
int glm_token_is_eog(const glm_tokenizer *t, int id);

/* Appends the ids of text to *ids (a growable array: *n used, *cap size;
 * *ids may be NULL at first; caller frees). */
void glm_tokenize(const glm_tokenizer *t, const char *text, size_t len, int parse_special,
                  int **ids, int *n, int *cap);
/* Appends the bytes of one token. Control tokens give their text only when
 * render_special; user-defined tokens always give their text. */
void glm_token_piece(const glm_tokenizer *t, int id, int render_special, tt_buf *out);
/* Whole sequence; caller frees. Removes the SentencePiece space prefix. */
char *glm_detokenize(const glm_tokenizer *t, const int *ids, int n, int render_special);

/* The scoring rule (docs/scoring.md), lm-evaluation-harness's _encode_pair
 * for causal models: trailing whitespace of context (Python's str.rstrip())
 * moves to the continuation; context + continuation are tokenized together
 * (special tokens parsed, bos first when glm_token_add_bos); the context is
 * every token whose text ends at or before the end of the moved context,
 * the continuation the rest (a token that spans the boundary carries
 * continuation text, so it is continuation). When no token is context (an
 * empty or all-whitespace context, or a first token that spans the
 * boundary) the prefix token is the context, unless the text starts with it
 * (then that token is). Sets *ids (caller frees), *n and *n_context; returns
 * the number of continuation tokens (0: nothing to score). */
int glm_encode_pair(const glm_tokenizer *t, const char *context, const char *continuation, int **ids, int *n,
                    int *n_context);
/* End offset in text (len bytes) of each of ids[0..n), a tokenization of
 * that text by glm_tokenize with special tokens parsed and no bos: token i
 * covers [ends[i-1], ends[i]). Monotone, at most len. */
void glm_token_ends(const glm_tokenizer *t, const int *ids, int n, size_t len, size_t *ends);

/* Chat prompt as ids, ending with the assistant's turn opened. roles are
 * "system", "user", "assistant" (others: "observation"). Caller frees *ids.
 * Without the GLM role tokens: plain "Role: text\n" lines, "Assistant:". */
void glm_chat_tokens(const glm_tokenizer *t, const char *const *roles, const char *const *contents, int n_msgs,
                     int **ids, int *n);

/* The "tianti" pre-tokenizer alone (for tests): calls fn for each chunk. */
void glm_pretokenize_tianti(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u);
/* llama.cpp's "chatglm-bpe"/"glm4" split (chunks are UTF-8 with invalid bytes as U+FFFD). */
void glm_pretokenize_glm4(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u);
void glm_pretokenize_gpt2(const char *text, size_t len, void (*fn)(void *u, const char *s, size_t n), void *u);

#endif
