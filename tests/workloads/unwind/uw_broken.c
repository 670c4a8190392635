/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_broken [SECS]: burns one core for SECS seconds (default 5) in jit_hot, called through
 * a stub of machine code in an anonymous executable mapping (as a JIT compiler would
 * generate) that has no unwind tables and uses rbp as a general-purpose register:
 *   main → run_jit → [anon stub] → jit_hot
 * No unwinder can get past the stub: a profiler must report these stacks as truncated, with
 * a reason and the object ([anon]), not as complete.
 *
 * Ground truth: every sample whose leaf is jit_hot has the user stack
 *   jit_hot; [anon] frame; then nothing reliable.
 */
#include <string.h>
#include <sys/mman.h>

#include "uw.h"

UW_FN long jit_hot(long units)
{
	UW_BURN(units * WORK_UNIT);
	return units;
}

/* push %rbp; movabs $0xdead0000, %rbp; call *%rsi; pop %rbp; ret — the stub keeps the
 * stack aligned and rbp intact for its caller, but while it runs rbp holds an address that is
 * not a frame (nor mapped). Arguments: rdi = units, rsi = function. */
static const unsigned char stub_code[] = {
	0x55,
	0x48, 0xbd, 0x00, 0x00, 0xad, 0xde, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xd6,
	0x5d,
	0xc3,
};

typedef long (*stub_fn)(long units, long (*fn)(long));

UW_FN long run_jit(stub_fn stub, long units)
{
	long r = stub(units, jit_hot);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long total = 0;

	if (mem == MAP_FAILED) {
		perror("uw_broken: mmap");
		return 1;
	}
	memcpy(mem, stub_code, sizeof(stub_code));
	if (mprotect(mem, 4096, PROT_READ | PROT_EXEC)) {
		perror("uw_broken: mprotect");
		return 1;
	}
	while (workload_now() < end)
		total += run_jit((stub_fn)mem, 20);
	printf("uw_broken: %ld units\n", total);
	return 0;
}
