/*
 * redact.h — API keys never stored, logged or printed. The one place that
 * knows what a secret looks like: the values of the environment variables
 * that hold keys (registered by the registry, the HTTP client and the
 * command's start: every *_API_KEY variable), and the shapes keys take when
 * nobody registered them.
 *
 * What is replaced by "[REDACTED]":
 *   - every registered secret, whatever its shape (a 40-char hex string, a
 *     key with '/' and '+', a short one of 4 bytes or more);
 *   - a prefix of a registered secret (6 bytes or more, or all of a shorter
 *     one) that ends the text or runs into '*' or '.': what an error
 *     message cut short, or a server's "Incorrect API key provided:
 *     abcd12****", leaves of it;
 *   - "sk-..." words (OpenAI's shape, also masked with '*');
 *   - words of 8 or more key characters holding a run of 3 '*' or more
 *     (a masked key: "abc1**********wxyz");
 *   - the value of an "Authorization:" header line.
 *
 * Where it is applied: tt_fail() (every error message), tt_log() (every log
 * line), the store's text parameters (store/query.c: everything stored),
 * an engine's answers before anyone sees them (engine_complete: text,
 * texts, error — also what the cache keeps), and the results written out.
 * Streamed tokens (serve's SSE, the arena's live answer) go out as the
 * model makes them: a key split across tokens cannot be recognised there.
 *
 * Thread-safe: secrets are added under a lock, texts redacted under a read
 * lock.
 */
#ifndef TIANTI_REDACT_H
#define TIANTI_REDACT_H

#include <stddef.h>

#define TT_REDACT_MARK "[REDACTED]"

/* Registers a secret (copied); NULL, empty and values under 4 bytes are
 * ignored (they would match ordinary text), as are duplicates. */
void tt_redact_add(const char *secret);
/* Registers the value of environment variable name, when set. */
void tt_redact_add_env(const char *name);
/* Registers the value of every environment variable whose name ends in
 * _API_KEY (OPENAI_API_KEY, ...). */
void tt_redact_add_env_keys(void);

/* 1 when s (len bytes) may hold something redact would replace (a cheap
 * test first: most texts hold none). */
int tt_redact_needed(const char *s, size_t len);
/* A copy of s (len bytes) with every secret replaced. Caller frees. */
char *tt_redact_text(const char *s, size_t len);
/* Redacts a NUL-terminated string in a buffer of size bytes, in place
 * (cut to fit). Returns buf. */
char *tt_redact_buf(char *buf, size_t size);
/* Redacts a heap string: returns s itself when nothing changes, else a new
 * string, freeing s. NULL stays NULL. */
char *tt_redact_owned(char *s);

#endif
