/* libFuzzer harness for the symbolizer's ELF symbol table reader (and, for code no symbol
 * covers, its .eh_frame_hdr function ranges, elf/fderange.h): the input becomes an
 * object's file (a memfd), whose table is built and looked up across the first 8 KiB of
 * non-PIE (0x400000) and PIE (0) executables, where small programs keep their code.
 *
 * Seeds (tests/fuzz/corpus/symtab/) are small fixture builds:
 *   cc -O1 -g0 -no-pie -Wl,-z,noseparate-code tests/unit/fixtures/sym_prog.c -o nopie
 *   objcopy --only-keep-debug nopie nopie.debug
 *   objcopy --strip-all --add-gnu-debuglink=nopie.debug nopie stripped
 *   c++ -O1 -g0 -Wl,-z,noseparate-code tests/unit/fixtures/sym_cxx.cc -o cxx
 *   cc -O2 -g0 -shared -fPIC -Wl,-z,noseparate-code tests/workloads/fdelib/fdelib.c \
 *     -o fde_so && objcopy --strip-all fde_so */
#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proc/object.h"
#include "symbols/symbolizer.h"

static void resolve(struct symbolizer *s, struct object *obj, uint64_t addr)
{
	struct sym_result r;
	size_t i;

	if (symbolizer__resolve(s, obj, addr, &r))
		return;
	/* Touch every string so the sanitizers see where they point. */
	for (i = 0; i < r.n; i++)
		if (strlen(r.frames[i].name) + strlen(r.frames[i].system_name) == SIZE_MAX)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Nothing outside the input may be read: no debug dirs, no sibling files. */
	static const char *const dirs[] = { "/nonexistent-debug", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct object obj = { .fd = -1 };
	struct sym_object_info info;
	struct symbolizer *s = NULL;
	uint64_t a;
	int fd;

	fd = memfd_create("fuzz_symtab", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		goto out;
	obj.fd = fd;
	obj.path = (char *)"/nonexistent/fuzz_symtab";
	obj.host_path = obj.path;
	obj.is_elf = true;
	obj.e_type = ET_EXEC;
	s = symbolizer__new(&opts);
	if (!s)
		goto out;
	for (a = 0; a < 0x2000; a += 16) {
		resolve(s, &obj, a);
		resolve(s, &obj, 0x400000 + a);
	}
	resolve(s, &obj, 0);
	resolve(s, &obj, UINT64_MAX);
	symbolizer__object_info(s, &obj, &info);
out:
	symbolizer__free(s);
	if (fd >= 0)
		close(fd);
	return 0;
}
