/* Files replaced whole: an interrupted writer never leaves half a profile or half a page. */
#ifndef CPROF_ATOMICFILE_H
#define CPROF_ATOMICFILE_H

#include <stddef.h>

/* Writes buf to a new file next to path (mode 0600, created exclusively, never through a
 * symlink), then renames it over path. Returns 0 or -errno; on error path is untouched. */
int atomicfile__write(const char *path, const void *buf, size_t len);

#endif
