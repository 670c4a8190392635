/* Fuzzes the unwind-table compiler and the cache loader with the same bytes: as an ELF
 * object (through a memfd, fuzz_memfd.h: cfi_table__build reads files), as its own
 * debuginfo file (CFI and symbols), and as a cache file. A table that builds must answer
 * lookups with its own rows and survive a store/load round trip unchanged (in /dev/shm:
 * fuzz_cfitab.h).
 *
 * Seeds (tests/fuzz/corpus/cfi): tiny.so is tests/unit/fixtures/cfi_nounwind.c built with
 * gcc -shared -fPIC -O2 -nostartfiles -nostdlib -fasynchronous-unwind-tables -s
 * -Wl,-z,noseparate-code,-z,norelro,--build-id=none (2 KiB, with a PLT); tiny.cfi is its
 * table as cfi_cache__store writes it for build id FUZZ_BUILD_ID; tiny-debug-frame.so is
 * the same built with -g -fno-asynchronous-unwind-tables -fno-unwind-tables, then
 * objcopy --strip-debug --keep-section=.debug_frame; tiny-go.so is tiny.so with a Go 1.18
 * .gopclntab added (objcopy --add-section) that names four functions over its .text,
 * runtime.goexit, runtime.asmcgocall, runtime.cgocall and main.f (user/unwind/cfi_go.c);
 * tiny-gopcsp.so (Go 1.18's layout, without .eh_frame) and tiny-gopcsp120.so (Go 1.20's)
 * are tiny.so with a .gopclntab whose functions have stack-pointer tables, one cut off,
 * one missing (user/unwind/cfi_gopcln.c), written by tests/fuzz/mkseed_gopcsp.py;
 * tiny-clone.so is tests/unit/fixtures/cfi_clone.S built with gcc -shared -nostdlib
 * -Wl,-z,noseparate-code,-z,norelro,--build-id=none (glibc's clone gaps, cfi_clone.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfitab.h"
#include "fuzz_memfd.h"
#include "unwind/cfi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_table *t = NULL;
	int fd = fuzz_memfd(data, size);

	if (fd < 0)
		return 0;
	if (!cfi_cache__get(NULL, NULL, fd, -1, -1, &t))	/* no cache: cfi_table__build */
		fuzz_cfi_check_table(t);
	cfi_table__free(t);
	t = NULL;
	if (!cfi_table__build(fd, fd, fd, &t))
		fuzz_cfi_check_table(t);
	cfi_table__free(t);
	t = NULL;
	if (!cfi_cache__load_fd(fd, FUZZ_BUILD_ID, &t))
		fuzz_cfi_check_table(t);
	cfi_table__free(t);
	return 0;
}
