/* kallsyms__parse on arbitrary text, then lookups: every symbol found must name a
 * NUL-terminated string and start at or below the address looked up. The same text as a
 * file (kallsyms__load), for inputs whose length is a multiple of 16: the symbols the
 * parser found, or EPERM when none (every address 0). (The reader's first buffer is 4 MiB,
 * a fresh mapping and ~1 ms per call under ASan: loading every input would slow the
 * parser's fuzzing 20-fold.) The same bytes as the kernel's "%pS" text of one address (ksymbpf__parse): a name
 * found is NUL-terminated, not empty, and starts at or below the address. The same bytes as
 * /sys/kernel/notes (kallsyms__notes_build_id): a build id in lowercase hex, cut to fit. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kallsyms.h"
#include "symbols/ksymbpf.h"
#include "fuzz_memfd.h"

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

/* kallsyms__load of the text as a file, which kallsyms__parse made ks of. */
static void load(const uint8_t *data, size_t size, const struct kallsyms *ks)
{
	struct kallsyms *f = kallsyms__load(fuzz_memfile(data, size));

	if (f ? !ks || kallsyms__count(f) != kallsyms__count(ks)
	      : errno != ENOMEM && (errno != EPERM || (ks && kallsyms__count(ks))))
		abort();
	kallsyms__free(f);
}

/* out[size] after kallsyms__notes_build_id: pairs of lowercase hex digits, terminated. */
static void notes(const uint8_t *data, size_t size, size_t out_size)
{
	char out[41];
	size_t n, i;

	memset(out, 'X', sizeof(out));
	kallsyms__notes_build_id(data, size, out, out_size);
	n = strnlen(out, out_size);
	if (n == out_size || n % 2)
		abort();
	for (i = 0; i < n; i++)
		if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f')))
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
	if (size % 16 == 0)
		load(data, size, ks);
	kallsyms__free(ks);
	free(text);
	notes(data, size, 41);
	notes(data, size, size ? 1 + data[0] % 40 : 1);
	return 0;
}
