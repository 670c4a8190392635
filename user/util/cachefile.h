/* Files of the cache directory (unwind tables, uncompressed debuginfo): named by build id,
 * written whole under a temporary name and renamed into place, so that a reader sees a
 * whole old file or a whole new one. */
#ifndef CPROF_CACHEFILE_H
#define CPROF_CACHEFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether id can name a cache file: 2 to max lowercase hex digits (a build id as the
 * objects print it, or one with more digits after it), so that no path can be smuggled
 * in. */
bool cachefile__valid_id(const char *id, size_t max);

/* Ends the writing of tmp (fd, which it closes) as err says: when it is 0 and the close
 * succeeds, renames tmp to path; otherwise removes tmp. Returns 0 or -errno. */
int cachefile__commit(int fd, const char *tmp, const char *path, int err);

#endif
