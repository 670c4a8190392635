/* The symbolizer's DWARF path (elf_file__check_debug, libdw, the per-unit index, file
 * names and inline chains) and the lock names from DWARF variables and their types
 * (datasym.h, dwvar.h: member paths) on fuzzed debug sections. The input is a series of
 * sections, each a little-endian u32 length and its bytes, in the order of `names` below;
 * they are wrapped in an ELF file (fuzz_elfw.h) with an executable .text at 0x401000,
 * written to a memfd (fuzz_memfd.h) and symbolized across the first KiB of non-PIE
 * (0x401000) and PIE (0x1000) text, where the seeds' code is, every 16 bytes where a
 * lookup every 64 found code (fuzz_scan.h), plus the entry of each function found and the
 * byte before it (the edges of its range), and every 256 bytes up to 8 KiB; data
 * addresses are named every 16 bytes across the first 1.25 KiB of non-PIE (0x404000) and
 * PIE (0x4000) data, where the seeds' variables are. (The lookups are nearly all of the
 * harness's time, a cost per address whatever the input. The steps of 4 bytes it took
 * before, at a third of the speed, reached no more of the parsers on the seeds and a 60 s
 * campaign's corpus than steps of 32, nor did lookups in each input's other text base
 * (each input's code is at one); 3 and 5 bytes before that were slower still. Data named
 * only where a probe every 64 bytes found a variable would miss lines of dwvar.c: small
 * variables between misses.)
 *
 * Seeds (tests/fuzz/corpus/dwarf/): the debug sections of the symbolizer fixtures
 * sym_nopie and sym_pie (tests/unit/fixtures/sym_prog.c, -O1 -g) and of a -O2 -g build of
 * an always-inlined helper, and of the lock-naming fixture dwvar_nopie
 * (tests/unit/fixtures/dwvar_prog.c), extracted with `objcopy --dump-section` and packed so. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/datasym.h"
#include "fuzz_elfw.h"
#include "fuzz_memfd.h"
#include "fuzz_scan.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

static const char *const names[] = {
	".debug_info", ".debug_abbrev", ".debug_line", ".debug_str", ".debug_line_str",
	".debug_rnglists", ".debug_ranges", ".debug_addr", ".debug_str_offsets",
	".debug_aranges", ".debug_loclists",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* What the lookups of one input share. */
struct look {
	struct symbolizer *s;
	struct datasym *ds;
	struct object *obj;
	uint64_t last;	/* the entry of the last function found */
};

/* The entry of the function at addr; 0 if none, 1 when only a line covers it. */
static uint64_t resolve(struct look *l, uint64_t addr)
{
	struct sym_result r;
	size_t i;

	if (symbolizer__resolve(l->s, l->obj, addr, &r))
		return 0;
	if (!r.n || r.n > SYM_MAX_FRAMES)
		abort();
	for (i = 0; i < r.n; i++)
		if ((r.frames[i].name && !r.frames[i].system_name) ||
		    (r.frames[i].name && strlen(r.frames[i].name) > 1u << 30) ||
		    (r.frames[i].file && strlen(r.frames[i].file) > 1u << 30) ||
		    r.frames[i].line < 0)
			abort();
	return r.sym_start ? r.sym_start : 1;
}

/* Looks addr up, and a function's entry and the byte before it the first time addr falls
 * in it: the edges of its range, which a grid of lookups may step over. */
static bool look_code(void *ctx, uint64_t addr)
{
	struct look *l = ctx;
	uint64_t entry = resolve(l, addr);

	if (entry > 1 && entry != l->last) {
		l->last = entry;
		resolve(l, entry);
		resolve(l, entry - 1);
	}
	return entry;
}

static void name_data(struct look *l, uint64_t addr)
{
	char buf[64];

	buf[0] = '\0';
	if (!datasym__name(l->ds, l->obj, addr, buf, sizeof(buf)) &&
	    strnlen(buf, sizeof(buf)) == sizeof(buf))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct elfw_sec secs[N_NAMES + 1] = {
		{ ".text", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, 0x401000, NULL, 0x10000 },
	};
	struct object obj = { .fd = -1 };
	struct look l = { .obj = &obj };
	unsigned char *elf = NULL;
	size_t n = 1, pos = 0, len;
	uint64_t a;
	int fd;

	for (size_t k = 0; k < N_NAMES && pos + 4 <= size; k++) {
		uint32_t sz;

		memcpy(&sz, data + pos, 4);
		pos += 4;
		if (sz > size - pos)
			sz = (uint32_t)(size - pos);
		secs[n++] = (struct elfw_sec){ names[k], SHT_PROGBITS, 0, 0, data + pos, sz };
		pos += sz;
	}
	elf = elfw_build(secs, n, &len);
	fd = elf ? fuzz_memfd(elf, len) : -1;
	if (fd < 0)
		goto out;
	obj.fd = fd;
	obj.path = obj.host_path = (char *)"/nonexistent/fuzz_dwarf";
	obj.is_elf = true;
	obj.e_type = ET_EXEC;
	l.s = symbolizer__new(&opts);
	if (!l.s)
		goto out;
	fuzz_scan(look_code, &l, 0x401000, 0x400);
	fuzz_scan(look_code, &l, 0x1000, 0x400);
	for (a = 0x400; a < 0x2000; a += 0x100) {
		look_code(&l, 0x401000 + a);
		look_code(&l, 0x1000 + a);
	}
	resolve(&l, UINT64_MAX);
	l.ds = datasym__new(l.s);
	for (a = 0; l.ds && a < 0x500; a += 16) {
		name_data(&l, 0x404000 + a);
		name_data(&l, 0x4000 + a);
	}
out:
	datasym__free(l.ds);
	symbolizer__free(l.s);
	free(elf);
	return 0;
}
