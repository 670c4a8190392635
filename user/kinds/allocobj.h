/* Allocator objects: which allocator functions an ELF file (libc, jemalloc, tcmalloc,
 * mimalloc, a static executable) defines, and where in each the heap profile's probe goes
 * — on an instruction the kernel emulates where the function's start allows it. Also finds
 * the dynamic linker's debugger hook, called on every dlopen. The file is the target's:
 * everything read from it is untrusted and bounded. */
#ifndef CPROF_ALLOCOBJ_H
#define CPROF_ALLOCOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argument registers a probe must see unchanged (x86-64 SysV order). */
#define ALLOCOBJ_RDI 1u
#define ALLOCOBJ_RSI 2u
#define ALLOCOBJ_RDX 4u
#define ALLOCOBJ_REGS 7u	/* the argument bits */
/* The probe asks for the function's return (an allocation): the return address must still
 * be at *rsp, so no instruction before the probe may move rsp or write memory. */
#define ALLOCOBJ_KEEP_RA 8u

#define ALLOCOBJ_MAX_PROBES 40

struct allocobj_probe {
	const char *name;	/* the function (static string) */
	uint64_t off;		/* file offset of the probe */
	uint32_t shift;		/* bytes past the function's entry */
	uint32_t cookie;	/* enum cprof_heap_fn */
	uint32_t args;		/* where the probe finds the arguments: CPROF_HEAP_ARGS_MASK bits
				 * of the cookie, 0 = the usual registers */
	bool emulated;		/* on an instruction the kernel emulates */
};

struct allocobj {
	bool has;		/* defines malloc and free: an allocator to probe */
	size_t n;
	struct allocobj_probe probes[ALLOCOBJ_MAX_PROBES];	/* distinct offsets */
	size_t n_delegating;	/* functions left to the allocator functions they call */
	uint64_t dl_hook;	/* file offset of _dl_debug_state, 0 if none */
};

/* Reads fd (an ELF file; not closed) into *ao: malloc and free, and the other allocator
 * functions and C++ operators new/delete unless every call of theirs goes through another
 * of the object's allocator functions (jemalloc's delete jumps to free, tcmalloc's
 * posix_memalign calls memalign), so that a call is counted once. Returns 0 (ao->has false for an object without malloc and free) or -errno. */
int allocobj__read(int fd, struct allocobj *ao);

/* Byte offset into code (len bytes from a function's entry at addr) of the first
 * instruction on every path through the function's start that the kernel emulates rather
 * than single-steps (push reg, 1-byte nop, relative call/jmp/jcc), such that no
 * instruction before it changes control flow, nor with ALLOCOBJ_KEEP_RA rsp or memory, and
 * each argument of regs (ALLOCOBJ_R*) is still in some register: register-to-register
 * moves are followed. *args (may be NULL) gets where they are, as cookie bits
 * (CPROF_HEAP_ARG_SHIFT; 0 = the usual registers). 0 if none (*args 0); -ENOTSUP without
 * a disassembler. */
long allocobj__probe_offset(const uint8_t *code, size_t len, uint64_t addr, unsigned int regs,
			    uint32_t *args);

/* "malloc+7 calloc+18[arg1=rax,arg2=rsi] free(stepped) ..." for -v: each probe, its shift,
 * single-steps marked, arguments read from other registers named. Returns the length
 * snprintf would. */
int allocobj__describe(const struct allocobj *ao, char *buf, size_t len);

#endif
