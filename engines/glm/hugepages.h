/*
 * hugepages.h — one region of memory on 2 MiB pages, for the weight
 * matrices the products read.
 *
 * Why: generating a token reads every weight matrix once, so generation
 * runs at the rate memory streams, and a stream over 4 KiB pages (the
 * GGUF's mapping, or malloc's) takes a TLB miss every 4 KiB. Measured on the
 * development machine (AVX-512, ChatGLM3-6B's layer shapes, 4 layers, f16,
 * `tianti bench` with TIANTI_GLM_HUGEPAGES=0 and unset, interleaved):
 * generation 6.5-6.6 -> 7.2-7.3 tokens/s on one core, 12.6 -> 13.8-14.5 on
 * two, the same peak RSS. llama.cpp reads its weights from the file's
 * mapping, on 4 KiB pages.
 *
 * How it fits: model.c moves the matrices into the region after loading
 * (converted or mapped), releasing each source chunk as it is copied, so
 * the resident size never holds two copies, then packs them there. The
 * region asks for transparent huge pages (madvise MADV_HUGEPAGE); the
 * kernel gives them when it can, and 4 KiB pages otherwise, with the same
 * bytes either way.
 */
#ifndef TIANTI_GLM_HUGEPAGES_H
#define TIANTI_GLM_HUGEPAGES_H

#include <stddef.h>

/* Matrices smaller than this together stay where they are unless asked:
 * their 4 KiB pages mostly fit in the TLB's reach already, and rounding the
 * region up to 2 MiB pages would be a visible share of their memory (the
 * shipped 8 MB model's q8_0 and q4_0 would show the same peak RSS). */
#define GLM_HUGEPAGES_MIN_BYTES ((size_t)64 << 20)

/* Whether to move bytes of matrices: TIANTI_GLM_HUGEPAGES=0 never, =1
 * always (also where the kernel gives no huge pages: for tests), unset or
 * empty when the kernel's transparent huge pages are not "never"
 * (/sys/kernel/mm/transparent_hugepage/enabled) and bytes is at least
 * GLM_HUGEPAGES_MIN_BYTES. Any other value is TT_ERR_USAGE, with a message
 * in err. */
int glm_hugepages_wanted(size_t bytes, int *wanted, char *err);

/* n bytes, zeroed, 2 MiB-aligned, advised for huge pages; NULL when the
 * kernel refuses the mapping. */
void *glm_hugepages_alloc(size_t n);
/* Frees a region of glm_hugepages_alloc(n); NULL is fine. */
void glm_hugepages_free(void *p, size_t n);

#endif
