/* libFuzzer harness for allocobj__read, which reads a target's allocator object (symbols,
 * program headers, PLT relocations, code disassembled to place probes): the input becomes
 * the file (a memfd). Aborts when a plan breaks what heap.c relies on: distinct offsets
 * inside the file, at most ALLOCOBJ_MAX_PROBES, probes only where malloc and free are.
 *
 * Seed (tests/fuzz/corpus/allocobj/alloc_so): a small allocator library with a thunk
 * operator new, a wrapper posix_memalign and a single-stepped malloc entry:
 *   cc -O1 -shared -fPIC -nostdlib -Wl,-z,noseparate-code seed.c -o alloc_so
 * with seed.c in the comment at the end of this file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "allocobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	struct allocobj ao;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size && !allocobj__read(fd, &ao)) {
		char buf[256];

		if (ao.n > ALLOCOBJ_MAX_PROBES || (!ao.has && ao.n) || ao.dl_hook >= size)
			abort();
		for (size_t i = 0; i < ao.n; i++) {
			if (!ao.probes[i].off || ao.probes[i].off >= size || !ao.probes[i].name)
				abort();
			for (size_t j = 0; j < i; j++)
				if (ao.probes[j].off - ao.probes[j].shift ==
				    ao.probes[i].off - ao.probes[i].shift)
					abort();
		}
		allocobj__describe(&ao, buf, sizeof(buf));
	}
	close(fd);
	return 0;
}

/* seed.c:
 *   static char pool[1 << 16]; static unsigned long top;
 *   __attribute__((noinline)) static void *bump(unsigned long n) {
 *           void *p = pool + top; top += (n + 15) & ~15ul; return p; }
 *   void *malloc(unsigned long n) { void *p; asm volatile("mov %%rdi, %%rdi" ::: "rdi");
 *           p = bump(n); return p; }
 *   void free(void *p) { if (p) top = top; }
 *   void *memalign(unsigned long a, unsigned long n) { return bump(n + a); }
 *   int posix_memalign(void **m, unsigned long a, unsigned long n) {
 *           if (a & 7) return 22; *m = memalign(a, n); return 0; }
 *   void *_Znwm(unsigned long n) { return malloc(n); }
 *   void _dl_debug_state(void) {}
 */
