/*
 * share.h — where Tianti's shipped files are: the task files (tasks/), the
 * built-in model (models/tianti-tiny.gguf), the model registry
 * (models.json) and the web page's files (web/). An installed tianti
 * (`cmake --install`, the Debian package) keeps them in
 * PREFIX/share/tianti; a tianti run from its build folder uses the source
 * tree it was built from. Callers: harness/suite.c (the task search path),
 * engines/registry.c (models.json), engines/engine.c (a model file named by
 * a relative path), cli/ (messages saying where things were looked for).
 *
 * The folders, best first (each only when it exists):
 *   1. the source tree, when the executable lies in the build folder it was
 *      built in (tests, `build/tianti` from a checkout);
 *   2. EXE/../share/tianti, EXE being the folder of the running executable
 *      (/proc/self/exe): an installed tree found wherever it was put, so
 *      `cmake --install build --prefix /tmp/x` and a relocated package work;
 *   3. the install folder compiled in (CMAKE_INSTALL_FULL_DATADIR/tianti);
 *   4. $TIANTI_SOURCE_DIR, a source tree (ctest sets it).
 * Nothing here reads the current folder: a tianti started anywhere finds
 * the same files.
 */
#ifndef TIANTI_SHARE_H
#define TIANTI_SHARE_H

/* The folder of the running executable (symbolic links resolved), or NULL
 * when /proc/self/exe cannot be read. Caller frees. */
char *tt_exe_dir(void);

/* The share folders above, best first, duplicates removed: a
 * NULL-terminated array the caller frees with tt_share_dirs_free(). */
char **tt_share_dirs(void);
void tt_share_dirs_free(char **dirs);

/* The first share folder holding rel (a file or folder), as a new path
 * (caller frees), or NULL. */
char *tt_share_find(const char *rel);

/* The compiled-in install folder (PREFIX/share/tianti), for messages. */
const char *tt_share_install_dir(void);

#endif
