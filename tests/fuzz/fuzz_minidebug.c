/* MiniDebugInfo: the input is the contents of a .gnu_debugdata section (an xz stream
 * that should hold an ELF file with a .symtab). It is decompressed alone with a small
 * bound, then wrapped in an ELF file (fuzz_elfw.h) without any other symbol table,
 * written to a memfd (fuzz_memfd.h) and symbolized as the symbolizer reads a stripped
 * object: across the first 2 KiB of text (0x1000), where the seeds' code is, every 16
 * bytes where a lookup every 64 found code (fuzz_scan.h), and every 256 bytes up to
 * 16 KiB. (The lookups were most of the harness's time; the 8-byte steps everywhere it
 * took before reached no more lines, of minidebug.c or of the symbol table code, on the
 * seeds and a 60 s campaign's corpus.)
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
#include "fuzz_scan.h"
#include "elf/minidebug.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

struct look {
	struct symbolizer *s;
	struct object *obj;
};

/* Whether something covers addr. */
static bool resolve(void *ctx, uint64_t addr)
{
	struct look *l = ctx;
	struct sym_result r;

	if (symbolizer__resolve(l->s, l->obj, addr, &r))
		return false;
	if (!r.n || strlen(r.frames[0].name) > 1u << 30)
		abort();
	return true;
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
	struct look l = { .obj = &obj };
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
	l.s = symbolizer__new(&opts);
	if (!l.s)
		goto out;
	fuzz_scan(resolve, &l, 0x1000, 0x800);
	for (a = 0x800; a < 0x4000; a += 0x100)
		resolve(&l, 0x1000 + a);
out:
	symbolizer__free(l.s);
	free(elf);
	return 0;
}
