/*
 * hugepages.c — the weight matrices' region on 2 MiB pages (hugepages.h
 * says why and how model.c uses it).
 */
#include "engines/glm/hugepages.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

static size_t round_up(size_t n) { return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); }

/* 1 unless the kernel's setting reads "[never]" (or cannot be read: no
 * transparent huge pages in this kernel). */
static int kernel_offers_huge_pages(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) return 0;
    char line[128] = "";
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    return ok && strstr(line, "[never]") == NULL;
}

int glm_hugepages_wanted(size_t bytes, int *wanted, char *err)
{
    const char *v = getenv("TIANTI_GLM_HUGEPAGES");
    *wanted = 0;
    if (!v || !*v) {
        *wanted = bytes >= GLM_HUGEPAGES_MIN_BYTES && kernel_offers_huge_pages();
        return TT_OK;
    }
    if (strcmp(v, "0") && strcmp(v, "1"))
        return tt_fail(err, TT_ERR_USAGE, "TIANTI_GLM_HUGEPAGES='%s': expected 0 (weights stay in the file's pages) or 1", v);
    *wanted = v[0] == '1';
    return TT_OK;
}

void *glm_hugepages_alloc(size_t n)
{
    size_t len = round_up(n ? n : 1);
    /* map one huge page more than asked, then trim both ends to a 2 MiB
     * boundary: the kernel only backs aligned 2 MiB spans with huge pages */
    uint8_t *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > raw) munmap(raw, (size_t)(p - raw));
    size_t tail = (size_t)((raw + len + HUGE_PAGE) - (p + len));
    if (tail) munmap(p + len, tail);
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);   /* advice: refused or ignored, the region still works */
#endif
    return p;
}

void glm_hugepages_free(void *p, size_t n)
{
    if (p) munmap(p, round_up(n ? n : 1));
}
