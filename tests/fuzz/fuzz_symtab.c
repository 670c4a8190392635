/* libFuzzer harness for the symbolizer's ELF symbol table reader (and, for code no symbol
 * covers, its .eh_frame_hdr function ranges, elf/fderange.h): the input becomes an
 * object's file (a memfd, fuzz_memfd.h), whose table is built and looked up across the
 * first 8 KiB of non-PIE (0x400000) and PIE (0) executables, where small programs keep
 * their code: every 16 bytes where a lookup every 64 bytes found code (fuzz_scan.h).
 * (The lookups are most of the harness's time, the same per address whatever it finds;
 * the 16-byte steps it took everywhere before spent half of them where nothing was. On the
 * seeds and a 60 s campaign's corpus the two reach the same lines, of the parsers and of
 * symobj.c and demangle.c; probes every 256 bytes would lose 3 lines of demangle.c.)
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
#include "fuzz_scan.h"
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
	size_t i;

	if (symbolizer__resolve(l->s, l->obj, addr, &r))
		return false;
	/* Touch every string so the sanitizers see where they point. */
	for (i = 0; i < r.n; i++)
		if (strlen(r.frames[i].name) + strlen(r.frames[i].system_name) == SIZE_MAX)
			__builtin_trap();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Nothing outside the input may be read: no debug dirs, no sibling files. */
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct object obj = { .fd = -1 };
	struct look l = { .obj = &obj };
	struct sym_object_info info;
	int fd;

	fd = fuzz_memfd(data, size);
	if (fd < 0)
		goto out;
	obj.fd = fd;
	obj.path = (char *)"/nonexistent/fuzz_symtab";
	obj.host_path = obj.path;
	obj.is_elf = true;
	obj.e_type = ET_EXEC;
	l.s = symbolizer__new(&opts);
	if (!l.s)
		goto out;
	fuzz_scan(resolve, &l, 0, 0x2000);
	fuzz_scan(resolve, &l, 0x400000, 0x2000);
	resolve(&l, 0);
	resolve(&l, UINT64_MAX);
	symbolizer__object_info(l.s, &obj, &info);
out:
	symbolizer__free(l.s);
	return 0;
}
