// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* gzip into a growing buffer, with small appends staged: deflate() per few-byte append
 * would dominate the cost. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* next_in is const-qualified with ZLIB_CONST: we never write through it. */
#define ZLIB_CONST
#include <zlib.h>

#include "gzbuf.h"
#include "util/util.h"
#include "util/vec.h"

#define GZ_STAGE (64 * 1024)

struct gzbuf {
	z_stream zs;
	unsigned char *out;
	size_t len;
	size_t cap;
	uint8_t *stage;
	size_t staged;
	int err;
	bool zs_live;
};

struct gzbuf *gzbuf__new(int level)
{
	struct gzbuf *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->stage = malloc(GZ_STAGE);
	/* 16 + MAX_WBITS: a gzip header and trailer, which pprof readers and the browser's
	 * DecompressionStream("gzip") expect. */
	if (!g->stage || deflateInit2(&g->zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g->stage);
		free(g);
		return NULL;
	}
	g->zs_live = true;
	return g;
}

void gzbuf__free(struct gzbuf *g)
{
	if (!g)
		return;
	if (g->zs_live)
		deflateEnd(&g->zs);
	free(g->stage);
	free(g->out);
	free(g);
}

static int deflate_chunk(struct gzbuf *g, int flush)
{
	int ret;

	do {
		/* From GZ_STAGE bytes, doubling. */
		if (g->len == g->cap && VEC_GROW(g->out, g->cap, MAX(g->len + 1, GZ_STAGE)))
			return -ENOMEM;
		g->zs.next_out = g->out + g->len;
		g->zs.avail_out = g->cap - g->len < UINT_MAX ? (uInt)(g->cap - g->len) : UINT_MAX;
		ret = deflate(&g->zs, flush);
		g->len = g->zs.next_out - g->out;
		if (ret == Z_STREAM_ERROR)
			return -EIO;
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

static int deflate_bytes(struct gzbuf *g, const uint8_t *data, size_t len, int flush)
{
	size_t chunk;
	int err;

	do {
		chunk = len < UINT_MAX ? len : UINT_MAX;
		g->zs.next_in = data;
		g->zs.avail_in = (uInt)chunk;
		data += chunk;
		len -= chunk;
		err = deflate_chunk(g, len ? Z_NO_FLUSH : flush);
	} while (!err && len);
	return err;
}

int gzbuf__append(struct gzbuf *g, const void *data, size_t len)
{
	if (!g->err && len > GZ_STAGE - g->staged) {
		g->err = deflate_bytes(g, g->stage, g->staged, Z_NO_FLUSH);
		g->staged = 0;
	}
	if (g->err)
		return g->err;
	if (len >= GZ_STAGE) {
		g->err = deflate_bytes(g, data, len, Z_NO_FLUSH);
		return g->err;
	}
	memcpy(g->stage + g->staged, data, len);
	g->staged += len;
	return 0;
}

int gzbuf__finish(struct gzbuf *g, void **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!g->err)
		g->err = deflate_bytes(g, g->stage, g->staged, Z_FINISH);
	g->staged = 0;
	if (g->err)
		return g->err;
	g->err = -EINVAL;	/* spent */
	*out = g->out;
	*len = g->len;
	g->out = NULL;
	g->len = g->cap = 0;
	return 0;
}
