/* The input as a file, for the harnesses of parsers that read files: one memfd per process,
 * written over and cut to size for each input. Making and closing a memfd per input (an
 * inode made and evicted each time) cost 5-10% of the symbolizer harnesses' time, and
 * emptying it first (its pages freed, then allocated again) a few percent more. */
#ifndef FUZZ_MEMFD_H
#define FUZZ_MEMFD_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The memfd holding the size bytes at data (and nothing else), or -1. It is the same fd
 * for every input: the caller must not close it, nor use it after the input. */
static inline int fuzz_memfd(const void *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, data, size, 0) != (ssize_t)size || ftruncate(fd, (off_t)size))
		return -1;
	return fd;
}

/* The same memfd named by its /proc/self/fd path, for entry points that read a path. */
static inline const char *fuzz_memfile(const void *data, size_t size)
{
	static char path[64];
	int fd = fuzz_memfd(data, size);

	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return path;
}

#endif
