/* procmaps__parse on arbitrary text, then lookups around every entry; procmaps__from_exec
 * on the same bytes taken as an exec record. Aborts when an invariant find() relies on
 * breaks: entries sorted, non-overlapping, start < end; or a record gives more mappings
 * than it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "proc/procmaps.h"

static void check_entries(const struct procmaps *pm)
{
	const struct procmaps_entry *e, *prev = NULL;
	size_t i, n = procmaps__count(pm);

	for (i = 0; i < n; i++, prev = e) {
		e = procmaps__entry(pm, i);
		if (!e || e->start >= e->end || (prev && prev->end > e->start) || e->obj ||
		    strlen(e->path) > 1 << 20)
			abort();
		if (procmaps__find(pm, e->start) != e || procmaps__find(pm, e->end - 1) != e)
			abort();
		if (e->start > 0 && procmaps__find(pm, e->start - 1) == e)
			abort();
		if (procmaps__find(pm, e->end) == e)
			abort();
	}
	if (procmaps__entry(pm, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan then catches any read past the text. */
	char *text = malloc(size ? size : 1);
	struct cprof_exec_info xi;
	struct procmaps *pm;
	uint64_t addr = 0;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	pm = procmaps__parse(text, size);
	if (pm) {
		check_entries(pm);
		for (i = 0; i + 8 <= size && i < 64; i += 8) {
			memcpy(&addr, data + i, 8);
			procmaps__find(pm, addr);
		}
	}
	procmaps__free(pm);
	free(text);
	/* The same bytes as an exec record, whose path the target chose: one line per
	 * mapping whatever it holds. */
	if (size >= sizeof(xi)) {
		memcpy(&xi, data, sizeof(xi));
		pm = procmaps__from_exec(&xi, NULL, false);
		if (pm) {
			check_entries(pm);
			if (procmaps__count(pm) > CPROF_EXEC_MAPS)
				abort();
		}
		procmaps__free(pm);
	}
	return 0;
}
