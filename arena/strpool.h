/*
 * strpool.h — interned strings for the battle list (arena/battles.h): each
 * distinct string is stored once, with its index in front of it, so that
 * equal strings are equal pointers and a string's index is read back in
 * O(1) (arena_strpool_index). The parallel battle reader gives every chunk
 * its own pool and then maps chunk indices to the list's pool in one
 * array lookup per string.
 */
#ifndef TIANTI_ARENA_STRPOOL_H
#define TIANTI_ARENA_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct arena_strpool arena_strpool;

arena_strpool *arena_strpool_new(void);
void arena_strpool_free(arena_strpool *p);   /* NULL is fine */

/* The interned copy of s[0..n) (which may hold no NUL). */
const char *arena_strpool_intern(arena_strpool *p, const char *s, size_t n);
/* Index of an interned string (0, 1, ... in order of first interning). */
static inline uint32_t arena_strpool_index(const char *interned) { return ((const uint32_t *)(const void *)interned)[-1]; }
/* Number of strings, and string i. */
uint32_t arena_strpool_count(const arena_strpool *p);
const char *arena_strpool_get(const arena_strpool *p, uint32_t i);

#endif
