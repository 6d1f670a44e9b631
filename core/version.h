/*
 * version.h — which Tianti this is: the release version and the git commit
 * of Tianti's own source tree, fixed when the build was configured
 * (CMakeLists.txt writes version_info.h into the build folder). Runs and
 * bench rows record these, never the git state of whatever folder the user
 * happens to be in.
 */
#ifndef TIANTI_CORE_VERSION_H
#define TIANTI_CORE_VERSION_H

/* "0.1.0" */
const char *tt_version(void);
/* Short commit of the source tree ("3f2c1ab", "3f2c1ab-dirty"), or "unknown"
 * when it was not built from a git checkout. */
const char *tt_source_commit(void);

#endif
