/* libFuzzer harness for allocobj__read, which reads a target's allocator object (symbols,
 * program headers, PLT relocations, code disassembled to place probes): the input becomes
 * the file (a memfd, fuzz_memfd.h). Aborts when a plan breaks what heap.c relies on: distinct offsets
 * inside the file, at most ALLOCOBJ_MAX_PROBES, probes only where malloc and free are,
 * argument registers only in the cookie's bits and only past an entry. The input is also
 * taken as code for allocobj__probe_offset (the first byte choosing the arguments), whose
 * offset must be inside it and name registers only for the arguments asked for.
 *
 * Seed (tests/fuzz/corpus/allocobj/alloc_so): a small allocator library with a thunk
 * operator new, a wrapper posix_memalign and a malloc that moves its argument through rax:
 *   cc -O1 -shared -fPIC -nostdlib -Wl,-z,noseparate-code seed.c -o alloc_so
 * with seed.c in the comment at the end of this file. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_memfd.h"
#include "kinds/allocobj.h"
#include "cprof.h"

static void place(const uint8_t *data, size_t size)
{
	unsigned int regs = size ? data[0] & (ALLOCOBJ_REGS | ALLOCOBJ_KEEP_RA) : 0;
	uint32_t args = 0, allowed = 0;
	long off;

	if (size < 2)
		return;
	off = allocobj__probe_offset(data + 1, size - 1, 0x1000, regs, &args);
	if (off == -ENOTSUP)
		return;
	for (unsigned int i = 0; i < 3; i++)
		if (regs & 1u << i)
			allowed |= 15u << CPROF_HEAP_ARG_SHIFT(i);
	if (off < 0 || (size_t)off >= size - 1 || (args & ~allowed) || (!off && args))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd(data, size);
	struct allocobj ao;

	place(data, size);
	if (fd >= 0 && !allocobj__read(fd, &ao)) {
		char buf[256];

		if (ao.n > ALLOCOBJ_MAX_PROBES || (!ao.has && ao.n) || ao.dl_hook >= size)
			abort();
		for (size_t i = 0; i < ao.n; i++) {
			if (!ao.probes[i].off || ao.probes[i].off >= size || !ao.probes[i].name ||
			    (ao.probes[i].args & ~CPROF_HEAP_ARGS_MASK) ||
			    (!ao.probes[i].shift && ao.probes[i].args))
				abort();
			for (size_t j = 0; j < i; j++)
				if (ao.probes[j].off - ao.probes[j].shift ==
				    ao.probes[i].off - ao.probes[i].shift)
					abort();
		}
		allocobj__describe(&ao, buf, sizeof(buf));
	}
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
