/* gopclntab__open and lookups on arbitrary tables. Input: a little-endian u32 L, then L
 * bytes of go:func.* memory (inline trees; fewer if the input is shorter), then the
 * .gopclntab bytes. Lookups walk the first 1 KiB of text after the header's textStart
 * and a few addresses taken from the input; find_gofunc searches the go:func bytes as if
 * they were .noptrdata.
 *
 * Seed (tests/fuzz/corpus/gopclntab/two_funcs): a Go 1.18 table made by hand, two
 * functions, main.outer (lines 10-11 of /src/a.go) inlining main.inner (/src/b.go:5) at
 * pc offsets 0x10-0x20, and the inline tree as the go:func bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/gopclntab.h"

static void lookup(const struct gopclntab *g, uint64_t pc)
{
	struct gopcln_frame fr[8];
	uint64_t entry;
	size_t n = gopclntab__lookup(g, pc, fr, 8, &entry), i;

	if (n > 8 || (n && entry > pc))
		abort();
	for (i = 0; i < n; i++)
		if ((fr[i].name && strlen(fr[i].name) > 1u << 30) ||
		    (fr[i].file && strlen(fr[i].file) > 1u << 30) || fr[i].line < 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gopclntab *g = NULL;
	uint64_t text = 0, gofunc;
	uint32_t l = 0;
	size_t i;

	if (size < 4)
		return 0;
	memcpy(&l, data, 4);
	if (l > size - 4)
		l = (uint32_t)(size - 4);
	if (gopclntab__open(data + 4 + l, size - 4 - l, data + 4, l, &g))
		return 0;
	if (size - 4 - l >= 32)
		memcpy(&text, data + 4 + l + 24, 8);
	for (i = 0; i < 1024; i += 3)
		lookup(g, text + i);
	for (i = 0; i + 8 <= size && i < 256; i += 8) {
		uint64_t a;

		memcpy(&a, data + i, 8);
		lookup(g, a);
	}
	lookup(g, 0);
	lookup(g, UINT64_MAX);
	gopclntab__find_gofunc(g, data + 4, l, text, &gofunc);
	gopclntab__free(g);
	return 0;
}
