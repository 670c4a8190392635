// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pprof reader: gunzip (when the gzip magic is there) with a size cap, then protobuf-c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
/* next_in is const-qualified with ZLIB_CONST: we never write through it. */
#define ZLIB_CONST
#include <zlib.h>

#include "pprof_read.h"

static bool is_gzip(const uint8_t *p, size_t len)
{
	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* Makes room for more output; the buffer holds one byte past max so that "exactly max"
 * and "more than max" can be told apart. */
static int grow_out(uint8_t **out, size_t *cap, size_t in_len, size_t max)
{
	size_t want = *cap ? *cap * 2 : (in_len < SIZE_MAX / 4 ? in_len * 4 : SIZE_MAX);
	uint8_t *p;

	if (*cap > max)
		return -EFBIG;
	if (want < 64 * 1024)
		want = 64 * 1024;
	if (want > max || want < *cap)
		want = max + 1;
	p = realloc(*out, want);
	if (!p)
		return -ENOMEM;
	*out = p;
	*cap = want;
	return 0;
}

/* One inflate step. Go's reader accepts concatenated gzip members, so a member's end
 * followed by another gzip header continues; anything else after it is garbage. */
static int inflate_step(z_stream *zs)
{
	int ret = inflate(zs, Z_NO_FLUSH);

	if (ret == Z_OK)
		return 0;
	if (ret == Z_STREAM_END) {
		if (zs->avail_in == 0)
			return 1;
		if (!is_gzip(zs->next_in, zs->avail_in))
			return -EINVAL;
		return inflateReset(zs) == Z_OK ? 0 : -EINVAL;
	}
	/* Z_BUF_ERROR: we always offer output room, so the input ended early (truncated). */
	return ret == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
}

static int gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len)
{
	z_stream zs = { .next_in = in };
	size_t cap = 0, done = 0;
	uint8_t *buf = NULL;
	int err;

	/* avail_in is 32-bit; a compressed profile that large is refused outright. */
	if (len > UINT_MAX || max == SIZE_MAX)
		return -EFBIG;
	zs.avail_in = (uInt)len;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	do {
		err = done == cap ? grow_out(&buf, &cap, len, max) : 0;
		if (err)
			break;
		zs.next_out = buf + done;
		zs.avail_out = cap - done < UINT_MAX ? (uInt)(cap - done) : UINT_MAX;
		err = inflate_step(&zs);
		done = zs.next_out - buf;
	} while (!err);
	if (err == 1)
		err = done > max ? -EFBIG : 0;
	inflateEnd(&zs);
	if (err)
		free(buf);
	else
		*out = buf, *out_len = done;
	return err;
}

Perftools__Profiles__Profile *pprof_read__buf_limit(const void *buf, size_t len, size_t max_size)
{
	Perftools__Profiles__Profile *p = NULL;
	const uint8_t *data = buf;
	uint8_t *plain = NULL;
	int err = 0;

	if (!buf && len) {
		err = -EINVAL;
		goto out;
	}
	if (is_gzip(data, len)) {
		err = gunzip(data, len, max_size, &plain, &len);
		data = plain;
	} else if (len > max_size) {
		err = -EFBIG;
	}
	if (err)
		goto out;
	p = perftools__profiles__profile__unpack(NULL, len, data);
	/* An empty buffer is a valid empty message; a profile always has string_table[0] = "". */
	if (p && (p->n_string_table == 0 || p->string_table[0][0] != '\0')) {
		perftools__profiles__profile__free_unpacked(p, NULL);
		p = NULL;
	}
	if (!p)
		err = -EINVAL;
out:
	free(plain);
	if (err)
		errno = -err;
	return p;
}

Perftools__Profiles__Profile *pprof_read__buf(const void *buf, size_t len)
{
	return pprof_read__buf_limit(buf, len, PPROF_READ_MAX_SIZE);
}

static int read_fd(int fd, uint8_t **out, size_t *out_len)
{
	size_t len = 0, cap = 0;
	uint8_t *buf = NULL, *p;
	ssize_t n;
	int err = 0;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			/* Deflate adds at most a few bytes per 64 KiB stored block, so a file
			 * twice the cap cannot hold a profile within it, gzipped or not. */
			if (cap > PPROF_READ_MAX_SIZE * 2) {
				err = -EFBIG;
				break;
			}
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += n;
	}
	if (err)
		free(buf);
	else
		*out = buf, *out_len = len;
	return err;
}

Perftools__Profiles__Profile *pprof_read__file(const char *path)
{
	Perftools__Profiles__Profile *p = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	err = read_fd(fd, &buf, &len);
	close(fd);
	if (!err) {
		p = pprof_read__buf(buf, len);
		err = p ? 0 : -errno;
	}
	free(buf);
	if (err)
		errno = -err;
	return p;
}

void pprof_read__free(Perftools__Profiles__Profile *p)
{
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
}

const char *pprof_read__str(const Perftools__Profiles__Profile *p, int64_t i)
{
	if (!p || i < 0 || (uint64_t)i >= p->n_string_table || !p->string_table[i])
		return "";
	return p->string_table[i];
}
