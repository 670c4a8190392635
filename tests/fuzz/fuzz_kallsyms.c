/* kallsyms__parse on arbitrary text, then lookups: every symbol found must name a
 * NUL-terminated string and start at or below the address looked up. The same bytes as
 * the kernel's "%pS" text of one address (ksymbpf__parse): a name found is NUL-terminated,
 * not empty, and starts at or below the address. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kallsyms.h"
#include "symbols/ksymbpf.h"

static void lookup(const struct kallsyms *ks, uint64_t addr)
{
	const char *name, *module;
	uint64_t start;

	if (kallsyms__find(ks, addr, &name, &start, &module) == 0) {
		if (start > addr || !name[0] || strlen(module) > 1 << 30)
			abort();
	}
}

/* data as the resolver's buffer for one address: at most CPROF_KSYM_NAME bytes, the length
 * the kernel reported being the input's (past the buffer when the input is longer). */
static void parse_one(const uint8_t *data, size_t size)
{
	char buf[CPROF_KSYM_NAME];
	struct ksym_name k;
	uint64_t addr = 0xffffffff81001234ull;
	size_t n = size < sizeof(buf) ? size : sizeof(buf);

	memcpy(buf, data, n);
	if (size >= 8)
		memcpy(&addr, data, 8);
	ksymbpf__parse(buf, (long)size, addr, &k);
	if (k.found && (!k.name[0] || k.start > addr || strnlen(k.name, sizeof(k.name)) ==
			sizeof(k.name) || strnlen(k.module, sizeof(k.module)) == sizeof(k.module)))
		abort();
	if (!k.found && (k.name[0] || k.module[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	struct kallsyms *ks;
	uint64_t addr = 0;
	size_t i;

	parse_one(data, size);
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
