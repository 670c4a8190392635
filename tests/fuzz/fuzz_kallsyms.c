/* kallsyms__parse on arbitrary text, then lookups: every symbol found must name a
 * NUL-terminated string and start at or below the address looked up. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kallsyms.h"

static void lookup(const struct kallsyms *ks, uint64_t addr)
{
	const char *name, *module;
	uint64_t start;

	if (kallsyms__find(ks, addr, &name, &start, &module) == 0) {
		if (start > addr || !name[0] || strlen(module) > 1 << 30)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct kallsyms *ks;
	uint64_t addr = 0;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	ks = kallsyms__parse(text, size);
	if (ks) {
		for (i = 0; i + 8 <= size && i < 64; i += 8) {
			memcpy(&addr, data + i, 8);
			lookup(ks, addr);
		}
		for (i = 0; i < 64; i++)
			lookup(ks, 0xffffffff81000000ull + i * 0x10);
		lookup(ks, 0);
		lookup(ks, UINT64_MAX);
	}
	kallsyms__free(ks);
	free(text);
	return 0;
}
