/* Disk cache of unwind tables: <dir>/<build id>.cfi holds a header and the rows as the BPF
 * side reads them; the page index is rebuilt on load (it is cheap and then never trusted
 * from disk). Files are written to a temporary name and renamed, so a reader sees a whole
 * old file or a whole new one; a file torn by a crash fails its checksum and is rebuilt. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "unwind/cfi.h"
#include "unwind/cfi_int.h"
#include "util/cachefile.h"

/* 32 Mi rows, 256 MiB: 30 times the largest library seen (libLLVM-15, 980k rows). */
#define CACHE_MAX_ROWS (32u << 20)
#define BUILD_ID_MAX CFI_CACHE_BUILD_ID_MAX

static bool valid_build_id(const char *id)
{
	return cachefile__valid_id(id, BUILD_ID_MAX);
}

uint32_t cfi_cache__checksum(const struct cfi_cache_header *h, const void *rows, size_t rows_len)
{
	struct cfi_cache_header copy = *h;
	uLong crc = crc32(0L, Z_NULL, 0);

	copy.crc = 0;
	crc = crc32(crc, (const Bytef *)&copy, sizeof(copy));
	crc = crc32(crc, rows, (uInt)rows_len);
	return (uint32_t)crc;
}

static int read_full(int fd, void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL;
		buf = (char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

static bool header_ok(const struct cfi_cache_header *h, const char *build_id, off_t size)
{
	char id[BUILD_ID_MAX + 1] = { 0 };

	memcpy(id, h->build_id, BUILD_ID_MAX);
	return !memcmp(h->magic, CFI_CACHE_MAGIC, sizeof(h->magic)) &&
	       h->version == CFI_CACHE_VERSION && h->header_size == sizeof(*h) &&
	       h->row_size == sizeof(struct cprof_unwind_row) && h->n_rows &&
	       h->n_rows <= CACHE_MAX_ROWS && !strcmp(id, build_id) &&
	       (uint64_t)size == sizeof(*h) + h->n_rows * sizeof(struct cprof_unwind_row);
}

int cfi_cache__load_fd(int fd, const char *build_id, struct cfi_table **out)
{
	struct cprof_unwind_row *rows = NULL;
	struct cfi_cache_header h;
	struct cfi_stats stats = { 0 };
	struct stat st;
	size_t len;
	int err;

	*out = NULL;
	if (!valid_build_id(build_id))
		return -EINVAL;
	if (fstat(fd, &st))
		return -errno;
	/* Rows steer the BPF unwinder through every profiled process: only a file this user
	 * wrote is read (another's in our directory was put there by someone else). */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	err = (size_t)st.st_size < sizeof(h) ? -EINVAL : read_full(fd, &h, sizeof(h), 0);
	if (err)
		goto out;
	err = -EINVAL;
	if (!header_ok(&h, build_id, st.st_size))
		goto out;
	len = h.n_rows * sizeof(*rows);
	rows = malloc(len);
	err = rows ? read_full(fd, rows, len, sizeof(h)) : -ENOMEM;
	if (err)
		goto out;
	if (cfi_cache__checksum(&h, rows, len) != h.crc) {
		err = -EINVAL;
		goto out;
	}
	stats.fdes = h.fdes;
	stats.fdes_dropped = h.fdes_dropped;
	stats.bad_programs = h.bad_programs;
	stats.source = (h.source & ~(uint32_t)CFI_SRC_CACHE) | CFI_SRC_CACHE;
	/* Validates the rows themselves (order, kinds, final END). */
	err = cfi_table__new(rows, h.n_rows, h.base, &stats, out);
out:
	free(rows);
	return err;
}

int cfi_cache__load(const char *dir, const char *build_id, struct cfi_table **out)
{
	char path[PATH_MAX];
	int fd, err;

	*out = NULL;
	if (!valid_build_id(build_id))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s.cfi", dir, build_id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* Not through a symlink, and a FIFO does not block: both are refused below. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	err = cfi_cache__load_fd(fd, build_id, out);
	close(fd);
	return err;
}

static int write_table(int fd, const char *build_id, const struct cfi_table *t)
{
	const struct cfi_stats *st = cfi_table__stats(t);
	struct cfi_cache_header h = { .version = CFI_CACHE_VERSION };
	const struct cprof_unwind_row *rows;
	size_t n_rows;
	int err;

	rows = cfi_table__rows(t, &n_rows);
	if (n_rows > CACHE_MAX_ROWS)
		return -E2BIG;
	memcpy(h.magic, CFI_CACHE_MAGIC, sizeof(h.magic));
	h.header_size = sizeof(h);
	h.row_size = sizeof(*rows);
	h.base = cfi_table__base(t);
	h.n_rows = n_rows;
	h.fdes = st->fdes;
	h.fdes_dropped = st->fdes_dropped;
	h.bad_programs = st->bad_programs;
	h.source = st->source & ~(uint32_t)CFI_SRC_CACHE;
	memcpy(h.build_id, build_id, strlen(build_id));	/* valid: at most 64 */
	h.crc = cfi_cache__checksum(&h, rows, n_rows * sizeof(*rows));
	err = write_full(fd, &h, sizeof(h));
	return err ? err : write_full(fd, rows, n_rows * sizeof(*rows));
}

/* No fsync before the rename: after a crash the file may be empty or torn, which the
 * checksum rejects and the next run rebuilds; syncing every table would cost more. */
int cfi_cache__store(const char *dir, const char *build_id, const struct cfi_table *t)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd = -1;

	if (!valid_build_id(build_id))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s.cfi", dir, build_id) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.cfi.XXXXXX", dir, build_id) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return cachefile__commit(fd, tmp, path, write_table(fd, build_id, t));
}

int cfi_cache__get(const char *dir, const char *build_id, int fd, int debug_fd, int sym_fd,
		   struct cfi_table **out)
{
	bool cached = dir && valid_build_id(build_id);
	int err;

	if (cached && !cfi_cache__load(dir, build_id, out))
		return 0;
	err = cfi_table__build(fd, debug_fd, sym_fd, out);
	if (err)
		return err;
	if (cached)
		(void)cfi_cache__store(dir, build_id, *out);
	return 0;
}
