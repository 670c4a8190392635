/* MiniDebugInfo: the input is the contents of a .gnu_debugdata section (an xz stream
 * that should hold an ELF file with a .symtab). It is decompressed alone with a small
 * bound, then wrapped in an ELF file (fuzz_elfw.h) without any other symbol table,
 * written to a memfd (fuzz_memfd.h) and symbolized as the symbolizer reads a stripped
 * object: across the first 2 KiB of text (0x1000), where the seeds' code is, every 16
 * bytes where a lookup every 64 found code, and every 256 bytes up to 16 KiB. (The
 * lookups were most of the harness's time; the 8-byte steps everywhere it took before
 * reached no more lines, of minidebug.c or of the symbol table code, on the seeds and a
 * 60 s campaign's corpus.)
 *
 * Seeds (tests/fuzz/corpus/minidebug/), written by tests/fuzz/mkseeds.sh: the ELF image
 * inside the .gnu_debugdata of the fixture build/fixtures/sym_minidebug
 * (tests/unit/fixtures-sym.mk) compressed again with a 4 KiB dictionary (xz's default,
 * 8 MiB, is allocated per decompression, twice per input: it made the harness ten times
 * slower), and the same for the larger sym_cxxbig (its image grows the output buffer). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_elfw.h"
#include "fuzz_memfd.h"
#include "elf/minidebug.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

/* Whether something covers addr. */
static bool resolve(struct symbolizer *s, struct object *obj, uint64_t addr)
{
	struct sym_result r;

	if (symbolizer__resolve(s, obj, addr, &r))
		return false;
	if (!r.n || strlen(r.frames[0].name) > 1u << 30)
		abort();
	return true;
}

/* Looks up [base, base + len) every 16 bytes where there is code: every 64 bytes, and
 * in between where either end of the 64 found something. */
static void scan(struct symbolizer *s, struct object *obj, uint64_t base, uint64_t len)
{
	bool prev = resolve(s, obj, base), hit;

	for (uint64_t a = 64; a <= len; a += 64, prev = hit) {
		hit = a < len && resolve(s, obj, base + a);
		for (uint64_t f = a - 64 + 16; (prev || hit) && f < a; f += 16)
			resolve(s, obj, base + f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct elfw_sec secs[] = {
		{ ".text", SHT_NOBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, NULL, 0x4000 },
		{ ".gnu_debugdata", SHT_PROGBITS, 0, 0, data, size },
	};
	struct object obj = { .fd = -1 };
	struct symbolizer *s = NULL;
	unsigned char *elf;
	void *out = NULL;
	size_t len, out_len;
	uint64_t a;
	int fd;

	if (!minidebug__decompress(data, size, 1u << 20, &out, &out_len) && out_len > 1u << 20)
		abort();
	free(out);
	elf = elfw_build(secs, 2, &len);
	fd = elf ? fuzz_memfd(elf, len) : -1;
	if (fd < 0)
		goto out;
	obj.fd = fd;
	obj.path = obj.host_path = (char *)"/nonexistent/fuzz_minidebug";
	obj.is_elf = true;
	obj.e_type = ET_DYN;
	s = symbolizer__new(&opts);
	if (!s)
		goto out;
	scan(s, &obj, 0x1000, 0x800);
	for (a = 0x800; a < 0x4000; a += 0x100)
		resolve(s, &obj, 0x1000 + a);
out:
	symbolizer__free(s);
	free(elf);
	return 0;
}
