/* See minidebug.h. */
#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "elf/minidebug.h"

/* The decoder's own memory (dictionary): xz -9 needs 65 MiB; MiniDebugInfo uses less. */
#define MINIDEBUG_MEMLIMIT (128u << 20)

int minidebug__decompress(const void *in, size_t in_len, size_t max_out, void **out,
			  size_t *out_len)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	unsigned char *buf = NULL, *grown;
	lzma_ret ret;
	int err = -EINVAL;

	*out = NULL;
	*out_len = 0;
	if (lzma_stream_decoder(&strm, MINIDEBUG_MEMLIMIT, 0) != LZMA_OK)
		return -ENOMEM;
	strm.next_in = in;
	strm.avail_in = in_len;
	for (;;) {
		if (!strm.avail_out) {
			size_t used = strm.total_out, cap = used ? used * 2 : 64 * 1024;

			if (used >= max_out)
				goto out; /* larger than allowed */
			if (cap > max_out)
				cap = max_out;
			grown = realloc(buf, cap);
			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			buf = grown;
			strm.next_out = buf + used;
			strm.avail_out = cap - used;
		}
		ret = lzma_code(&strm, LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_MEM_ERROR) {
			err = -ENOMEM;
			goto out;
		}
		if (ret != LZMA_OK)
			goto out; /* corrupt, truncated, or over the memory limit */
	}
	*out = buf;
	*out_len = strm.total_out;
	buf = NULL;
	err = 0;
out:
	lzma_end(&strm);
	free(buf);
	return err;
}

int minidebug__open(const struct elf_file *own, struct elf_file *mini, void **image)
{
	size_t idx = elf_file__find_section(own, SHT_PROGBITS, ".gnu_debugdata"), len;
	Elf_Data *d = idx ? elf_file__data(own, idx) : NULL;
	int err;

	*image = NULL;
	if (!d || !d->d_buf)
		return -ENOENT;
	err = minidebug__decompress(d->d_buf, d->d_size, MINIDEBUG_MAX_SIZE, image, &len);
	if (!err)
		err = elf_file__open(mini, -1, false, *image, len);
	if (err) {
		free(*image);
		*image = NULL;
		return err == -ENOMEM ? err : -EINVAL;
	}
	return 0;
}
