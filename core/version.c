/*
 * version.c — see version.h. The values come from version_info.h, which
 * CMake generates in the build folder at configure time.
 */
#include "core/version.h"

#include "version_info.h"

const char *tt_version(void) { return TIANTI_VERSION_STRING; }
const char *tt_source_commit(void) { return TIANTI_SOURCE_COMMIT; }
