/* perfmap__parse on arbitrary text, then lookups: a function found must cover the address
 * (start at or below it) and have a NUL-terminated name. The addresses looked up are the
 * starts of the first lines' numbers, so lookups hit entries as well as gaps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/perfmap.h"

static void lookup(const struct perfmap *pm, uint64_t addr)
{
	const char *name;
	uint64_t start;

	if (perfmap__find(pm, addr, &name, &start) == 0 &&
	    (start > addr || strlen(name) > PERFMAP_MAX_NAME))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* NUL-terminated for strtoull, not for the parser */
	struct perfmap *pm;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	pm = perfmap__parse(text, size);
	for (i = 0; pm && i < size && i < 4096; i++) {
		uint64_t a;

		if (i && text[i - 1] != '\n')
			continue;
		a = strtoull(text + i, NULL, 16);
		lookup(pm, a);
		lookup(pm, a + 1);
		lookup(pm, a - 1);
	}
	if (pm) {
		lookup(pm, 0);
		lookup(pm, UINT64_MAX);
	}
	perfmap__free(pm);
	free(text);
	return 0;
}
