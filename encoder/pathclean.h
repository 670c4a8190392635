/* Go's filepath.Clean, which pprof applies to every source file name it shows and groups by:
 * "./csu/../csu/libc-start.c" is "csu/libc-start.c". */
#ifndef CPROF_PATHCLEAN_H
#define CPROF_PATHCLEAN_H

#include <stddef.h>

/* Writes the clean form of p[0..n) to out (room for n + 2 bytes: it is never longer, but
 * "" becomes "."), NUL-terminated. Returns its length. p[n] must be readable (a NUL). */
size_t path__clean(const char *p, size_t n, char *out);

#endif
