/*
 * page.h — the web arena's static page, embedded in the binary (arena/page.c
 * is generated from arena/assets/ by scripts/embed_assets.py). Served by
 * arena/web.c; no file, CDN or network reference is needed at run time.
 */
#ifndef TIANTI_ARENA_PAGE_H
#define TIANTI_ARENA_PAGE_H

#include <stddef.h>

extern const char arena_page_index_html[];
extern const size_t arena_page_index_html_len;
extern const char arena_page_app_css[];
extern const size_t arena_page_app_css_len;
extern const char arena_page_app_js[];
extern const size_t arena_page_app_js_len;

#endif
