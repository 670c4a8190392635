/* The symbolizer's DWARF path (elf_file__check_debug, libdw, the per-unit index, file
 * names and inline chains) and the lock names from DWARF variables and their types
 * (datasym.h, dwvar.h: member paths) on fuzzed debug sections. The input is a series of sections,
 * each a little-endian u32 length and its bytes, in the order of `names` below; they are
 * wrapped in an ELF file (fuzz_elfw.h) with an executable .text at 0x401000, written to a
 * memfd and symbolized every 16 bytes across the first KiB of non-PIE (0x401000) and PIE
 * (0x1000) text, where the seeds' code is, and every 256 bytes up to 8 KiB, plus the entry
 * of each function found and the byte before it; data addresses are named every 16 bytes
 * across the first 1.25 KiB of non-PIE (0x404000) and PIE (0x4000) data, where the seeds'
 * variables are. (The lookups were nearly all of the harness's time, a fixed cost per
 * address whatever the input: the steps of 4 bytes it took before reached no more of the
 * parsers on the corpus than steps of 32, at a third of the speed; 3 and 5 bytes before
 * that were slower still.)
 *
 * Seeds (tests/fuzz/corpus/dwarf/): the debug sections of the symbolizer fixtures
 * sym_nopie and sym_pie (tests/unit/fixtures/sym_prog.c, -O1 -g) and of a -O2 -g build of
 * an always-inlined helper, and of the lock-naming fixture dwvar_nopie
 * (tests/unit/fixtures/dwvar_prog.c), extracted with `objcopy --dump-section` and packed so. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbols/datasym.h"
#include "fuzz_elfw.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

static const char *const names[] = {
	".debug_info", ".debug_abbrev", ".debug_line", ".debug_str", ".debug_line_str",
	".debug_rnglists", ".debug_ranges", ".debug_addr", ".debug_str_offsets",
	".debug_aranges", ".debug_loclists",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static void name_data(struct datasym *ds, struct object *obj, uint64_t addr)
{
	char buf[64];

	buf[0] = '\0';
	if (!datasym__name(ds, obj, addr, buf, sizeof(buf)) &&
	    strnlen(buf, sizeof(buf)) == sizeof(buf))
		abort();
}

/* The entry of the function at addr (0 if none). */
static uint64_t resolve(struct symbolizer *s, struct object *obj, uint64_t addr)
{
	struct sym_result r;
	size_t i;

	if (symbolizer__resolve(s, obj, addr, &r))
		return 0;
	if (!r.n || r.n > SYM_MAX_FRAMES)
		abort();
	for (i = 0; i < r.n; i++)
		if ((r.frames[i].name && !r.frames[i].system_name) ||
		    (r.frames[i].name && strlen(r.frames[i].name) > 1u << 30) ||
		    (r.frames[i].file && strlen(r.frames[i].file) > 1u << 30) ||
		    r.frames[i].line < 0)
			abort();
	return r.sym_start;
}

/* Looks addr up, and a function's entry and the byte before it the first time addr falls
 * in it: the edges of its range, which a grid of lookups may step over. */
static void resolve_edges(struct symbolizer *s, struct object *obj, uint64_t addr,
			  uint64_t *last)
{
	uint64_t entry = resolve(s, obj, addr);

	if (!entry || entry == *last)
		return;
	*last = entry;
	resolve(s, obj, entry);
	resolve(s, obj, entry - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct elfw_sec secs[N_NAMES + 1] = {
		{ ".text", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, 0x401000, NULL, 0x10000 },
	};
	struct object obj = { .fd = -1 };
	struct symbolizer *s = NULL;
	struct datasym *ds = NULL;
	unsigned char *elf = NULL;
	size_t n = 1, pos = 0, len;
	uint64_t a, last[2] = { 0, 0 };
	int fd = -1;

	for (size_t k = 0; k < N_NAMES && pos + 4 <= size; k++) {
		uint32_t l;

		memcpy(&l, data + pos, 4);
		pos += 4;
		if (l > size - pos)
			l = (uint32_t)(size - pos);
		secs[n++] = (struct elfw_sec){ names[k], SHT_PROGBITS, 0, 0, data + pos, l };
		pos += l;
	}
	elf = elfw_build(secs, n, &len);
	fd = memfd_create("fuzz_dwarf", MFD_CLOEXEC);
	if (!elf || fd < 0 || write(fd, elf, len) != (ssize_t)len)
		goto out;
	obj.fd = fd;
	obj.path = obj.host_path = (char *)"/nonexistent/fuzz_dwarf";
	obj.is_elf = true;
	obj.e_type = ET_EXEC;
	s = symbolizer__new(&opts);
	for (a = 0; s && a < 0x2000; a += a < 0x400 ? 16 : 0x100) {
		resolve_edges(s, &obj, 0x401000 + a, &last[0]);
		resolve_edges(s, &obj, 0x1000 + a, &last[1]);
	}
	if (s)
		resolve(s, &obj, UINT64_MAX);
	ds = s ? datasym__new(s) : NULL;
	for (a = 0; ds && a < 0x500; a += 16) {
		name_data(ds, &obj, 0x404000 + a);
		name_data(ds, &obj, 0x4000 + a);
	}
out:
	datasym__free(ds);
	symbolizer__free(s);
	if (fd >= 0)
		close(fd);
	free(elf);
	return 0;
}
