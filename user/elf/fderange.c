// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See fderange.h. Format: LSB Core Specification, "The .eh_frame_hdr section":
 * version 1, three encoding bytes (eh_frame_ptr, fde_count, table), the encoded
 * eh_frame_ptr and fde_count, then fde_count (initial_location, fde_address) pairs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "elf/fderange.h"
#include "util/search.h"

#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APP 0x70
#define PE_TABLE 0x3b		/* DW_EH_PE_datarel | DW_EH_PE_sdata4 */

struct hdr_reader {
	const unsigned char *p;
	size_t size, pos;
};

/* Reads an unsigned value of a fixed-size DW_EH_PE_* format (no application part applied).
 * Returns 0 or -ENOENT (variable-size format or past the end). */
static int hdr_read(struct hdr_reader *h, uint8_t enc, uint64_t *v)
{
	static const uint8_t sizes[16] = { 8, 0, 2, 4, 8, 0, 0, 0, 0, 0, 2, 4, 8 };
	size_t len = sizes[enc & PE_FORMAT];
	uint64_t x = 0;

	if (!len || h->size - h->pos < len)
		return -ENOENT;
	for (size_t i = 0; i < len; i++)
		x |= (uint64_t)h->p[h->pos + i] << (8 * i);
	h->pos += len;
	*v = x;
	return 0;
}

#define FDE_START(r) ((r)->start)

const struct fde_range *fde_range__find(const struct fde_range *r, size_t n, uint64_t vaddr)
{
	size_t i = UPPER_BOUND(r, n, FDE_START, vaddr);

	return i && vaddr < r[i - 1].end ? &r[i - 1] : NULL;
}

static int cmp_start(const void *a, const void *b)
{
	uint64_t x = ((const struct fde_range *)a)->start, y = ((const struct fde_range *)b)->start;

	return x < y ? -1 : x > y;
}

/* f's executable sections as sorted ranges into a malloc'd *out (*n). Returns 0 or
 * -ENOMEM. */
static int exec_sections(const struct elf_file *f, struct fde_range **out, size_t *n)
{
	size_t k = 0;

	*out = malloc((f->shnum ? f->shnum : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 1; i < f->shnum; i++)
		if ((f->secs[i].flags & SHF_EXECINSTR) && f->secs[i].type != SHT_NOBITS)
			(*out)[k++] = (struct fde_range){ f->secs[i].addr, f->secs[i].end };
	qsort(*out, k, sizeof(**out), cmp_start);
	*n = k;
	return 0;
}

/* Sorts r (a hostile table need not be), drops duplicates and starts outside executable
 * sections, and ends each function at the next start or at the end of its section (the
 * last function of a section must not run on over what follows). Returns the number kept,
 * or -ENOMEM. */
static long finish(const struct elf_file *f, struct fde_range *r, size_t n)
{
	struct fde_range *secs;
	size_t n_secs, k = 0;

	if (exec_sections(f, &secs, &n_secs))
		return -ENOMEM;
	qsort(r, n, sizeof(*r), cmp_start);
	for (size_t i = 0; i < n; i++) {
		const struct fde_range *s = fde_range__find(secs, n_secs, r[i].start);
		uint64_t end;

		if (!s || (k && r[k - 1].start == r[i].start))
			continue;
		end = s->end;
		if (i + 1 < n && r[i + 1].start < end)
			end = r[i + 1].start;
		r[k++] = (struct fde_range){ .start = r[i].start, .end = end };
	}
	free(secs);
	return (long)k;
}

/* The table of h (positioned after the header) into *out. hdr_addr: the section's vaddr,
 * the base of datarel values. */
static int read_table(const struct elf_file *f, struct hdr_reader *h, uint64_t count,
		      uint64_t hdr_addr, struct fde_range **out, size_t *n)
{
	struct fde_range *r;
	long kept;

	if (!count || count > FDE_RANGE_MAX || count > (h->size - h->pos) / 8)
		return -ENOENT;
	r = malloc(count * sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		int32_t loc;

		memcpy(&loc, h->p + h->pos + i * 8, sizeof(loc));
		r[i].start = hdr_addr + (uint64_t)(int64_t)loc;
	}
	kept = finish(f, r, count);
	if (kept < 0) {
		free(r);
		return -ENOMEM;
	}
	*n = (size_t)kept;
	*out = r;
	return 0;
}

int fde_range__read(const struct elf_file *f, struct fde_range **out, size_t *n)
{
	size_t idx = elf_file__find_section(f, SHT_PROGBITS, ".eh_frame_hdr");
	struct hdr_reader h;
	uint64_t skip, count;
	uint8_t ptr_enc, count_enc, table_enc;
	Elf_Data *d;

	*out = NULL;
	*n = 0;
	if (!idx || !(d = elf_file__data(f, idx)) || !d->d_buf || d->d_size < 4)
		return -ENOENT;
	h = (struct hdr_reader){ .p = d->d_buf, .size = d->d_size, .pos = 4 };
	ptr_enc = h.p[1];
	count_enc = h.p[2];
	table_enc = h.p[3];
	if (h.p[0] != 1 || table_enc != PE_TABLE || count_enc == PE_OMIT ||
	    (count_enc & PE_APP) || (ptr_enc != PE_OMIT && hdr_read(&h, ptr_enc, &skip)) ||
	    hdr_read(&h, count_enc, &count))
		return -ENOENT;
	return read_table(f, &h, count, f->secs[idx].addr, out, n);
}
