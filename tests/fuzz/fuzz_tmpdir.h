/* A private directory for the harnesses that read files by path: made at the first input
 * (mkdtemp in /dev/shm, else /tmp: ext4 writes a file truncated and rewritten back to the
 * disk, a thousand times slower), removed with all it holds when the fuzzer exits. What each input
 * writes there it writes whole, so that nothing of an input outlives the next one. */
#ifndef FUZZ_TMPDIR_H
#define FUZZ_TMPDIR_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_tmpdir_path[64];

static int fuzz_tmpdir_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void fuzz_tmpdir_clean(void)
{
	nftw(fuzz_tmpdir_path, fuzz_tmpdir_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The directory; *fresh is set when it was made by this call (to fill it). */
static inline const char *fuzz_tmpdir(int *fresh)
{
	*fresh = !fuzz_tmpdir_path[0];
	if (*fresh) {
		snprintf(fuzz_tmpdir_path, sizeof(fuzz_tmpdir_path), "/dev/shm/cprof-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_tmpdir_path)) {
			snprintf(fuzz_tmpdir_path, sizeof(fuzz_tmpdir_path), "/tmp/cprof-fuzz.XXXXXX");
			if (!mkdtemp(fuzz_tmpdir_path))
				abort();
		}
		atexit(fuzz_tmpdir_clean);
	}
	return fuzz_tmpdir_path;
}

/* Writes len bytes as the whole of dir/name (made if missing, its owner kept). */
static inline void fuzz_tmpdir_write(const char *dir, const char *name, const void *data,
				     size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

#endif
