/* Reading whole files whose size is not known in advance (/proc files report 0). */
#ifndef CPROF_READFILE_H
#define CPROF_READFILE_H

#include <stddef.h>

/* Reads path until EOF into a malloc'ed buffer, growing from initial bytes; -EFBIG past
 * max bytes (the file is untrusted in size). Returns 0 or -errno. */
int readfile__all(const char *path, size_t initial, size_t max, char **text, size_t *len);

#endif
