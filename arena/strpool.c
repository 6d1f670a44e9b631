/*
 * strpool.c — the string pool of strpool.h: strings packed into 64 KiB
 * blocks, each behind a 4-byte index and 4-byte aligned, found again
 * through an open-addressing table of indices keyed by FNV-1a.
 */
#include "arena/strpool.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 65536

struct arena_strpool {
    const char **strs;       /* [n] by index */
    size_t *lens;
    uint32_t n, cap;
    uint32_t *slot;          /* index + 1, 0 = empty */
    size_t n_slots;          /* power of two */
    char **blocks;
    size_t n_blocks;
    size_t used;             /* bytes used in the last block */
    size_t block_size;       /* size of the last block */
};

arena_strpool *arena_strpool_new(void) { return tt_calloc(1, sizeof(arena_strpool)); }

void arena_strpool_free(arena_strpool *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_blocks; i++) free(p->blocks[i]);
    free(p->blocks);
    free(p->strs);
    free(p->lens);
    free(p->slot);
    free(p);
}

uint32_t arena_strpool_count(const arena_strpool *p) { return p ? p->n : 0; }
const char *arena_strpool_get(const arena_strpool *p, uint32_t i) { return p->strs[i]; }

static void rehash(arena_strpool *p)
{
    size_t n_slots = p->n_slots ? p->n_slots * 2 : 64;
    uint32_t *slot = tt_calloc(n_slots, sizeof *slot);
    for (uint32_t i = 0; i < p->n; i++) {
        size_t h = (size_t)tt_fnv1a64(p->strs[i], p->lens[i]) & (n_slots - 1);
        while (slot[h]) h = (h + 1) & (n_slots - 1);
        slot[h] = i + 1;
    }
    free(p->slot);
    p->slot = slot;
    p->n_slots = n_slots;
}

static char *alloc_bytes(arena_strpool *p, size_t need)
{
    need = (need + 3) & ~(size_t)3;
    if (!p->n_blocks || p->used + need > p->block_size) {
        size_t size = need > BLOCK ? need : BLOCK;
        p->blocks = tt_realloc(p->blocks, (p->n_blocks + 1) * sizeof *p->blocks);
        p->blocks[p->n_blocks++] = tt_malloc(size);
        p->used = 0;
        p->block_size = size;
    }
    char *at = p->blocks[p->n_blocks - 1] + p->used;
    p->used += need;
    return at;
}

const char *arena_strpool_intern(arena_strpool *p, const char *s, size_t n)
{
    if ((size_t)(p->n + 1) * 2 > p->n_slots) rehash(p);
    size_t h = (size_t)tt_fnv1a64(s, n) & (p->n_slots - 1);
    while (p->slot[h]) {
        uint32_t i = p->slot[h] - 1;
        if (p->lens[i] == n && memcmp(p->strs[i], s, n) == 0) return p->strs[i];
        h = (h + 1) & (p->n_slots - 1);
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->strs = tt_realloc(p->strs, p->cap * sizeof *p->strs);
        p->lens = tt_realloc(p->lens, p->cap * sizeof *p->lens);
    }
    char *at = alloc_bytes(p, sizeof(uint32_t) + n + 1);
    uint32_t idx = p->n;
    memcpy(at, &idx, sizeof idx);
    char *str = at + sizeof(uint32_t);
    memcpy(str, s, n);
    str[n] = 0;
    p->strs[p->n] = str;
    p->lens[p->n] = n;
    p->n++;
    p->slot[h] = idx + 1;
    return str;
}
