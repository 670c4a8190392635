/* MiniDebugInfo: the input is the contents of a .gnu_debugdata section (an xz stream
 * that should hold an ELF file with a .symtab). It is decompressed alone with a small
 * bound, then wrapped in an ELF file (fuzz_elfw.h) without any other symbol table,
 * written to a memfd and symbolized as the symbolizer reads a stripped object: every 8
 * bytes across the first 2 KiB of text (0x1000), where the seeds' code is, and every 256
 * bytes up to 16 KiB.
 *
 * Seeds (tests/fuzz/corpus/minidebug/), written by tests/fuzz/mkseeds.sh: the ELF image
 * inside the .gnu_debugdata of the fixture build/fixtures/sym_minidebug
 * (tests/unit/fixtures-sym.mk) compressed again with a 4 KiB dictionary (xz's default,
 * 8 MiB, is allocated per decompression, twice per input: it made the harness ten times
 * slower), and the same for the larger sym_cxxbig (its image grows the output buffer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_elfw.h"
#include "elf/minidebug.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

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
	struct sym_result r;
	unsigned char *elf;
	void *out = NULL;
	size_t len, out_len;
	uint64_t a;
	int fd = -1;

	if (!minidebug__decompress(data, size, 1u << 20, &out, &out_len) && out_len > 1u << 20)
		abort();
	free(out);
	elf = elfw_build(secs, 2, &len);
	fd = memfd_create("fuzz_minidebug", MFD_CLOEXEC);
	if (!elf || fd < 0 || write(fd, elf, len) != (ssize_t)len)
		goto out;
	obj.fd = fd;
	obj.path = obj.host_path = (char *)"/nonexistent/fuzz_minidebug";
	obj.is_elf = true;
	obj.e_type = ET_DYN;
	s = symbolizer__new(&opts);
	for (a = 0; s && a < 0x4000; a += a < 0x800 ? 8 : 0x100)
		if (!symbolizer__resolve(s, &obj, 0x1000 + a, &r) &&
		    (!r.n || strlen(r.frames[0].name) > 1u << 30))
			abort();
out:
	symbolizer__free(s);
	if (fd >= 0)
		close(fd);
	free(elf);
	return 0;
}
