/*
 * share.c — the folders of Tianti's shipped files; see share.h. The
 * compiled-in folders come from paths_info.h, which CMake generates in the
 * build folder at configure time (TIANTI_INSTALL_DATADIR, the source and
 * build trees).
 */
#include "core/share.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "paths_info.h"

const char *tt_share_install_dir(void) { return TIANTI_INSTALL_DATADIR; }

char *tt_exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return NULL;
    buf[n] = 0;
    return tt_dirname(buf);
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Appends the canonical form of dir to *v when it is a folder not yet there. */
static void add(char ***v, int *n, const char *dir)
{
    if (!is_dir(dir)) return;
    char *real = realpath(dir, NULL);
    if (!real) return;
    for (int i = 0; i < *n; i++)
        if (!strcmp((*v)[i], real)) {
            free(real);
            return;
        }
    *v = tt_realloc(*v, sizeof **v * (size_t)(*n + 2));
    (*v)[(*n)++] = real;
    (*v)[*n] = NULL;
}

/* Is path inside folder (both canonical)? */
static int inside(const char *path, const char *folder)
{
    size_t n = strlen(folder);
    return !strncmp(path, folder, n) && (path[n] == '/' || path[n] == 0);
}

char **tt_share_dirs(void)
{
    char **v = tt_calloc(1, sizeof *v);
    int n = 0;
    char *exe = tt_exe_dir();
    /* a tianti (or test program) run from its build folder: its own source
     * tree before any installed copy */
    char *exe_real = exe ? realpath(exe, NULL) : NULL;
    char *build_real = realpath(TIANTI_BUILD_TREE, NULL);
    if (exe_real && build_real && inside(exe_real, build_real)) add(&v, &n, TIANTI_SOURCE_TREE);
    free(exe_real);
    free(build_real);
    if (exe) {
        char *up = tt_path_join(exe, "../share/tianti");
        add(&v, &n, up);
        free(up);
    }
    free(exe);
    add(&v, &n, TIANTI_INSTALL_DATADIR);
    const char *src = getenv("TIANTI_SOURCE_DIR");
    if (src && *src) add(&v, &n, src);
    return v;
}

void tt_share_dirs_free(char **dirs)
{
    if (!dirs) return;
    for (int i = 0; dirs[i]; i++) free(dirs[i]);
    free(dirs);
}

char *tt_share_find(const char *rel)
{
    char **dirs = tt_share_dirs();
    char *found = NULL;
    for (int i = 0; dirs[i] && !found; i++) {
        char *p = tt_path_join(dirs[i], rel);
        if (access(p, F_OK) == 0) found = p;
        else free(p);
    }
    tt_share_dirs_free(dirs);
    return found;
}
