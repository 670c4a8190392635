/* Reads a gzipped (or plain) pprof profile back: for tests, and for tools that compare
 * runs. The result is protobuf-c's own struct, freed with pprof_read__free(). */
#ifndef CPROF_PPROF_READ_H
#define CPROF_PPROF_READ_H

#include <stddef.h>
#include "profile.pb-c.h"

/* Decompressed profiles larger than this are refused (EFBIG): a small gzip file can
 * expand a thousandfold, and the input may come from anywhere. */
#define PPROF_READ_MAX_SIZE (1UL << 30)

/* Returns NULL with errno set (EINVAL for data that is not a profile, EFBIG past
 * PPROF_READ_MAX_SIZE). */
Perftools__Profiles__Profile *pprof_read__buf(const void *buf, size_t len);
/* Same, with a caller-chosen cap on the (decompressed) size in bytes. */
Perftools__Profiles__Profile *pprof_read__buf_limit(const void *buf, size_t len, size_t max_size);
Perftools__Profiles__Profile *pprof_read__file(const char *path);
void pprof_read__free(Perftools__Profiles__Profile *p);
/* The string at index i of the string table, "" when out of range. */
const char *pprof_read__str(const Perftools__Profiles__Profile *p, int64_t i);

#endif
