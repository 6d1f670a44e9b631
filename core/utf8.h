/*
 * utf8.h — making model text safe to put in JSON: engines stream bytes, and
 * a token may end in the middle of a multi-byte character or carry invalid
 * bytes, which jansson refuses. The web arena (arena/web.c) holds back an
 * incomplete tail until its next piece arrives; everything stored or sent
 * (arena/match.c, arena/auto.c, judges/) is cleaned first.
 */
#ifndef TIANTI_ARENA_UTF8_H
#define TIANTI_ARENA_UTF8_H

#include <stddef.h>

/* Copy of s[0..n) where every invalid UTF-8 byte (bad lead, missing or
 * stray continuation, overlong form, surrogate, > U+10FFFF) and every NUL
 * becomes U+FFFD. Caller frees. NULL s gives "". */
char *arena_utf8_clean(const char *s, size_t n);

/* Length of the longest prefix of s[0..n) that does not end inside a
 * multi-byte sequence that could still be completed by more bytes. */
size_t arena_utf8_complete_prefix(const char *s, size_t n);

#endif
