/* libFuzzer harness for the symbolizer's ELF symbol table reader (and, for code no symbol
 * covers, its .eh_frame_hdr function ranges, elf/fderange.h): the input becomes an
 * object's file (a memfd, fuzz_memfd.h), whose table is built and looked up across the
 * first 8 KiB of non-PIE (0x400000) and PIE (0) executables, where small programs keep
 * their code: every 16 bytes where there is code, found by a lookup every 64 bytes.
 * (The lookups are most of the harness's time, the same per address whatever it finds;
 * the 16-byte steps it took everywhere before spent half of them where nothing was. On the
 * seeds and a 60 s campaign's corpus the two reach the same lines, of the parsers and of
 * symobj.c and demangle.c; coarse steps of 256 bytes would lose 3 lines of demangle.c.)
 *
 * Seeds (tests/fuzz/corpus/symtab/) are small fixture builds:
 *   cc -O1 -g0 -no-pie -Wl,-z,noseparate-code tests/unit/fixtures/sym_prog.c -o nopie
 *   objcopy --only-keep-debug nopie nopie.debug
 *   objcopy --strip-all --add-gnu-debuglink=nopie.debug nopie stripped
 *   c++ -O1 -g0 -Wl,-z,noseparate-code tests/unit/fixtures/sym_cxx.cc -o cxx
 *   cc -O2 -g0 -shared -fPIC -Wl,-z,noseparate-code tests/workloads/fdelib/fdelib.c \
 *     -o fde_so && objcopy --strip-all fde_so */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_memfd.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

/* Whether something covers addr. */
static bool resolve(struct symbolizer *s, struct object *obj, uint64_t addr)
{
	struct sym_result r;
	size_t i;

	if (symbolizer__resolve(s, obj, addr, &r))
		return false;
	/* Touch every string so the sanitizers see where they point. */
	for (i = 0; i < r.n; i++)
		if (strlen(r.frames[i].name) + strlen(r.frames[i].system_name) == SIZE_MAX)
			__builtin_trap();
	return true;
}

/* Looks up every 16 bytes of the first 8 KiB from base where there is code: every 64
 * bytes, and in between where either end of the 64 found something. */
static void scan(struct symbolizer *s, struct object *obj, uint64_t base)
{
	bool prev = resolve(s, obj, base), hit;

	for (uint64_t a = 64; a <= 0x2000; a += 64, prev = hit) {
		hit = a < 0x2000 && resolve(s, obj, base + a);
		for (uint64_t f = a - 64 + 16; (prev || hit) && f < a; f += 16)
			resolve(s, obj, base + f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Nothing outside the input may be read: no debug dirs, no sibling files. */
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct object obj = { .fd = -1 };
	struct sym_object_info info;
	struct symbolizer *s = NULL;
	int fd;

	fd = fuzz_memfd(data, size);
	if (fd < 0)
		goto out;
	obj.fd = fd;
	obj.path = (char *)"/nonexistent/fuzz_symtab";
	obj.host_path = obj.path;
	obj.is_elf = true;
	obj.e_type = ET_EXEC;
	s = symbolizer__new(&opts);
	if (!s)
		goto out;
	scan(s, &obj, 0);
	scan(s, &obj, 0x400000);
	resolve(s, &obj, 0);
	resolve(s, &obj, UINT64_MAX);
	symbolizer__object_info(s, &obj, &info);
out:
	symbolizer__free(s);
	return 0;
}
