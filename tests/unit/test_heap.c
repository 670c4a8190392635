/* Heap profile math and probe placement: the exponential draw table, the unsampling weight
 * against a simulated allocation stream sampled exactly as bpf/heap.bpf.c samples, and the
 * choice of an emulated instruction for free()'s probe. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "cprof.h"
#include "kinds/allocobj.h"
#include "kinds/heap.h"

#define RATE 524288

TEST(draws_mean)
{
	static uint64_t d[CPROF_HEAP_DRAWS];
	double sum = 0;

	heap__draws(d, CPROF_HEAP_DRAWS, RATE, 42);
	for (size_t i = 0; i < CPROF_HEAP_DRAWS; i++) {
		CHECK(d[i] >= 1, "draw %zu is 0", i);
		sum += (double)d[i];
	}
	CHECK(fabs(sum / CPROF_HEAP_DRAWS / RATE - 1) < 0.01, "mean %.0f, rate %d",
	      sum / CPROF_HEAP_DRAWS, RATE);
}

TEST(weight_values)
{
	CHECK(fabs(heap__weight(RATE, RATE) - 1 / (1 - exp(-1.0))) < 1e-9, "size = rate");
	CHECK(fabs(heap__weight(1, RATE) - RATE) < 1, "1 byte: %f", heap__weight(1, RATE));
	CHECK(fabs(heap__weight(100ull << 20, RATE) - 1) < 1e-9, "huge: always sampled");
	CHECK(heap__weight(0, RATE) == 1, "size 0");
}

static uint64_t xs = 88172645463325252ull;

static uint64_t rnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

/* The BPF program's countdown, with draws picked at random from the table. */
struct sim {
	const uint64_t *draws;
	int64_t countdown;
};

static int sampled(struct sim *s, uint64_t size)
{
	if (!s->countdown)
		s->countdown = (int64_t)s->draws[rnd() % CPROF_HEAP_DRAWS];
	if ((int64_t)size < s->countdown) {
		s->countdown -= (int64_t)size;
		return 0;
	}
	s->countdown = (int64_t)s->draws[rnd() % CPROF_HEAP_DRAWS];
	return 1;
}

/* Mixed sizes (16 B .. 1 MiB, log-uniform) in four classes: the estimate of each class's
 * bytes and count from the sampled ones, weighted, is within its sampling error (at most a
 * few percent where many are kept) of the truth. */
TEST(simulated_stream)
{
	static uint64_t d[CPROF_HEAP_DRAWS];
	double est_bytes[4] = { 0 }, est_n[4] = { 0 }, true_bytes[4] = { 0 }, true_n[4] = { 0 };
	double kept[4] = { 0 };
	struct sim s = { .draws = d };

	heap__draws(d, CPROF_HEAP_DRAWS, RATE, 7);
	for (int i = 0; i < 4000000; i++) {
		uint64_t size = 16ull << (rnd() % 17), c = size < 1024 ? 0 : size < 65536 ? 1 :
							  size < 262144 ? 2 : 3;

		true_bytes[c] += (double)size;
		true_n[c] += 1;
		if (sampled(&s, size)) {
			est_bytes[c] += heap__weight(size, RATE) * (double)size;
			est_n[c] += heap__weight(size, RATE);
			kept[c]++;
		}
	}
	for (int c = 0; c < 4; c++) {
		/* 4 standard errors of a count of kept samples, at least 5%. */
		double tol = fmax(0.05, 4 / sqrt(kept[c]));

		CHECK(fabs(est_bytes[c] / true_bytes[c] - 1) < tol, "class %d bytes: %.0f vs %.0f",
		      c, est_bytes[c], true_bytes[c]);
		CHECK(fabs(est_n[c] / true_n[c] - 1) < tol, "class %d count: %.0f vs %.0f", c,
		      est_n[c], true_n[c]);
	}
}

#define PROBE_AT(code, regs) allocobj__probe_offset(code, sizeof(code), 0x1000, regs, NULL)
#define ARG(i, r) ((uint32_t)CPROF_HEAP_REG_##r << CPROF_HEAP_ARG_SHIFT(i))
#define MALLOC_REGS (ALLOCOBJ_RDI | ALLOCOBJ_KEEP_RA)
#define CALLOC_REGS (ALLOCOBJ_RDI | ALLOCOBJ_RSI | ALLOCOBJ_KEEP_RA)
#define MEMALIGN_REGS (ALLOCOBJ_RDI | ALLOCOBJ_RSI | ALLOCOBJ_RDX | ALLOCOBJ_KEEP_RA)

/* free's probe: only rdi must survive. */
TEST(probe_offset_free)
{
	/* glibc's free: test %rdi,%rdi (single-stepped); je (emulated) */
	static const uint8_t glibc_free[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55 };
	/* push %r12 first: the entry itself */
	static const uint8_t push_first[] = { 0x41, 0x54, 0x55, 0x53 };
	/* endbr64; push %rbp */
	static const uint8_t endbr[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55 };
	/* mov %rax,%rdi writes the argument before push: stay at the entry */
	static const uint8_t clobber[] = { 0x48, 0x89, 0xc7, 0x55 };
	/* ret before anything emulated */
	static const uint8_t ret[] = { 0x31, 0xc0, 0xc3, 0x55 };
	/* sub $8,%rsp; push %rbx: free needs no return address, it may move past */
	static const uint8_t sub_rsp[] = { 0x48, 0x83, 0xec, 0x08, 0x53 };
	/* mimalloc's free: mov %rdi,%rcx; test %rdi,%rdi; je */
	static const uint8_t mi_free[] = { 0x48, 0x89, 0xf9, 0x48, 0x85, 0xff, 0x74, 0x5d };
	/* jmp *%rax (indirect: single-stepped, and the end of the straight line) */
	static const uint8_t indirect[] = { 0xff, 0xe0, 0x55 };
	long off = PROBE_AT(glibc_free, ALLOCOBJ_RDI);

	if (off == -ENOTSUP)
		SKIP("no disassembler");
	CHECK(off == 3, "glibc free: %ld", off);
	CHECK(PROBE_AT(push_first, ALLOCOBJ_RDI) == 0, "push first");
	CHECK(PROBE_AT(endbr, ALLOCOBJ_RDI) == 4, "endbr64");
	CHECK(PROBE_AT(clobber, ALLOCOBJ_RDI) == 0, "rdi written");
	CHECK(PROBE_AT(ret, ALLOCOBJ_RDI) == 0, "ret");
	CHECK(PROBE_AT(sub_rsp, ALLOCOBJ_RDI) == 4, "sub rsp: %ld", PROBE_AT(sub_rsp, ALLOCOBJ_RDI));
	CHECK(PROBE_AT(mi_free, ALLOCOBJ_RDI) == 6, "mimalloc free");
	CHECK(PROBE_AT(indirect, ALLOCOBJ_RDI) == 0, "indirect jump");
}

/* Allocating functions: their argument registers, rsp and the return address at *rsp
 * (memory) must survive, or the return probe and the arguments are wrong. */
TEST(probe_offset_alloc)
{
	/* jemalloc's malloc: cmp $0x1000,%rdi; ja (emulated) */
	static const uint8_t je_malloc[] = { 0x48, 0x81, 0xff, 0, 0x10, 0, 0,
					     0x0f, 0x87, 0x93, 0, 0, 0 };
	/* tcmalloc's calloc: mov x(%rip),%rcx; cmpb $0,%fs:0x10(%rcx); jne */
	static const uint8_t tc_calloc[] = { 0x48, 0x8b, 0x0d, 0x19, 0x39, 0x01, 0,
					     0x64, 0x80, 0x79, 0x10, 0, 0x0f, 0x85, 0x7e, 1, 0, 0 };
	/* sub $8,%rsp; push %rbx: the return address is no longer at *rsp */
	static const uint8_t sub_rsp[] = { 0x48, 0x83, 0xec, 0x08, 0x53 };
	/* mov %rdi,0x10(%rip); push %rbp: a store might overwrite the return address */
	static const uint8_t store[] = { 0x48, 0x89, 0x3d, 0x10, 0, 0, 0, 0x55 };
	/* mov %rax,%rsi; push %rbp: calloc's second argument is gone, malloc has none */
	static const uint8_t rsi[] = { 0x48, 0x89, 0xc6, 0x55 };
	/* glibc's reallocarray: mov %rsi,%rax; mul %rdx (writes rdx:rax) */
	static const uint8_t mul[] = { 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6, 0x70,
				       0x05 };
	/* tcmalloc's posix_memalign: lea -1(%rsi),%rax; or $7,%rax; test %rsi,%rax; jne */
	static const uint8_t tc_memalign[] = { 0x48, 0x8d, 0x46, 0xff, 0x48, 0x83, 0xc8, 0x07,
					       0x48, 0x85, 0xf0, 0x75, 0x2b };
	long off = PROBE_AT(je_malloc, MALLOC_REGS);

	if (off == -ENOTSUP)
		SKIP("no disassembler");
	CHECK(off == 7, "jemalloc malloc: %ld", off);
	CHECK(PROBE_AT(tc_calloc, CALLOC_REGS) == 12, "tcmalloc calloc: %ld",
	      PROBE_AT(tc_calloc, CALLOC_REGS));
	CHECK(PROBE_AT(sub_rsp, MALLOC_REGS) == 0, "rsp moved");
	CHECK(PROBE_AT(store, MALLOC_REGS) == 0, "memory written");
	CHECK(PROBE_AT(store, ALLOCOBJ_RDI) == 7, "free may pass a store");
	CHECK(PROBE_AT(rsi, CALLOC_REGS) == 0, "calloc: rsi written");
	CHECK(PROBE_AT(rsi, MALLOC_REGS) == 3, "malloc: rsi is not an argument");
	CHECK(PROBE_AT(mul, MEMALIGN_REGS) == 0, "mul writes rdx");
	CHECK(PROBE_AT(tc_memalign, MEMALIGN_REGS) == 11, "tcmalloc posix_memalign: %ld",
	      PROBE_AT(tc_memalign, MEMALIGN_REGS));
}

/* Arguments moved to other registers before the first branch (mimalloc): the probe
 * follows them, and refuses once one is lost, rsp moves, or control flow comes first. */
TEST(probe_offset_moved_args)
{
	/* mimalloc's malloc: mov x(%rip),%rax; mov %rdi,%rsi; mov %fs:(%rax),%rdi;
	 * cmp $0x400,%rsi; ja */
	static const uint8_t mi_malloc[] = { 0x48, 0x8b, 0x05, 0x49, 0xb4, 0, 0, 0x48, 0x89, 0xfe,
					     0x64, 0x48, 0x8b, 0x38, 0x48, 0x81, 0xfe, 0, 4, 0, 0,
					     0x77, 0x29 };
	/* mimalloc's calloc: mov x(%rip),%rdx; mov %rdi,%rax; mov %fs:(%rdx),%rdi; cmp $1,%rax;
	 * je */
	static const uint8_t mi_calloc[] = { 0x48, 0x8b, 0x15, 0xc9, 0xad, 0, 0, 0x48, 0x89, 0xf8,
					     0x64, 0x48, 0x8b, 0x3a, 0x48, 0x83, 0xf8, 0x01, 0x74,
					     0x08 };
	/* mimalloc's realloc: mov x(%rip),%rax; mov %rsi,%rdx; mov %rdi,%rsi;
	 * mov %fs:(%rax),%rax; mov %rax,%rdi; jmp */
	static const uint8_t mi_realloc[] = { 0x48, 0x8b, 0x05, 0x49, 0xa9, 0, 0, 0x48, 0x89, 0xf2,
					      0x48, 0x89, 0xfe, 0x64, 0x48, 0x8b, 0x00, 0x48, 0x89,
					      0xc7, 0xe9, 0xf7, 0x4e, 0xff, 0xff };
	/* mov %rdi,%rsi; mov %rax,%rsi; mov %rax,%rdi; push: the copy is overwritten too */
	static const uint8_t copy_lost[] = { 0x48, 0x89, 0xfe, 0x48, 0x89, 0xc6, 0x48, 0x89, 0xc7,
					     0x55 };
	/* mov %edi,%esi; mov %rax,%rdi; push: a 32-bit copy is not the argument */
	static const uint8_t copy32[] = { 0x89, 0xfe, 0x48, 0x89, 0xc7, 0x55 };
	/* mov %rdi,%rsi; sub $8,%rsp; mov %rax,%rdi; ja: the return address moved */
	static const uint8_t rsp_moved[] = { 0x48, 0x89, 0xfe, 0x48, 0x83, 0xec, 0x08, 0x48, 0x89,
					     0xc7, 0x77, 0x29 };
	/* mov %rdi,%rsi; mov %rax,%rdi; jmp *%rcx; ja: an indirect branch first */
	static const uint8_t indirect[] = { 0x48, 0x89, 0xfe, 0x48, 0x89, 0xc7, 0xff, 0xe1, 0x77,
					    0x29 };
	/* mov %rdi,%rsi; jne; mov %rax,%rdi; ja: the jne comes first and is the place */
	static const uint8_t branch_first[] = { 0x48, 0x89, 0xfe, 0x75, 0x02, 0x48, 0x89, 0xc7,
						0x77, 0x29 };
	/* mov %rdi,%r12; mov %rax,%rdi; mov %rsi,%r9; mov %rax,%rsi; push: both moved */
	static const uint8_t high[] = { 0x49, 0x89, 0xfc, 0x48, 0x89, 0xc7, 0x49, 0x89, 0xf1,
					0x48, 0x89, 0xc6, 0x55 };
	uint32_t args = 1;
	long off = allocobj__probe_offset(mi_malloc, sizeof(mi_malloc), 0x1000, MALLOC_REGS,
					  &args);

	if (off == -ENOTSUP)
		SKIP("no disassembler");
	CHECK(off == 21 && args == ARG(0, SI), "mimalloc malloc: +%ld args %#x", off, args);
	off = allocobj__probe_offset(mi_calloc, sizeof(mi_calloc), 0x1000, CALLOC_REGS, &args);
	CHECK(off == 18 && args == ARG(0, AX), "mimalloc calloc: +%ld args %#x", off, args);
	off = allocobj__probe_offset(mi_realloc, sizeof(mi_realloc), 0x1000, CALLOC_REGS, &args);
	CHECK(off == 20 && args == (ARG(0, SI) | ARG(1, DX)), "mimalloc realloc: +%ld args %#x",
	      off, args);
	off = allocobj__probe_offset(high, sizeof(high), 0x1000, CALLOC_REGS, &args);
	CHECK(off == 12 && args == (ARG(0, R12) | ARG(1, R9)), "r12, r9: +%ld args %#x", off,
	      args);
	/* Only the second argument asked for: it never left rsi. */
	off = allocobj__probe_offset(mi_calloc, sizeof(mi_calloc), 0x1000, ALLOCOBJ_RSI, &args);
	CHECK(off == 18 && args == 0, "rsi untouched: +%ld args %#x", off, args);
	off = allocobj__probe_offset(copy_lost, sizeof(copy_lost), 0x1000, MALLOC_REGS, &args);
	CHECK(off == 0 && args == 0, "copy overwritten: +%ld args %#x", off, args);
	CHECK(PROBE_AT(copy32, MALLOC_REGS) == 0, "32-bit copy");
	CHECK(PROBE_AT(rsp_moved, MALLOC_REGS) == 0, "rsp moved");
	CHECK(PROBE_AT(indirect, MALLOC_REGS) == 0, "indirect branch first");
	off = allocobj__probe_offset(branch_first, sizeof(branch_first), 0x1000, MALLOC_REGS,
				     &args);
	CHECK(off == 3 && args == 0, "branch first: +%ld args %#x", off, args);
}

/* The fuzz seed (tests/fuzz/corpus/allocobj/alloc_so, source in fuzz_allocobj.c): malloc
 * keeps its size in rax while it writes rdi and moves it back (probed at its call, +9, with
 * the argument in place), free and memalign are probed, posix_memalign
 * (a wrapper of memalign) and operator new (calls malloc through the PLT) are left to them,
 * and _dl_debug_state is found. */
TEST(read_object)
{
	const char *path = "tests/fuzz/corpus/allocobj/alloc_so";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool malloc_seen = false, at_call = false, memalign = false, other = false;
	struct allocobj ao;
	int err;

	if (fd < 0)
		SKIP("%s: %s (run from the repository)", path, strerror(errno));
	err = allocobj__read(fd, &ao);
	close(fd);
	REQUIRE(!err, "allocobj__read: %s", strerror(-err));
	CHECK(ao.has, "malloc and free not found");
	CHECK(ao.dl_hook, "_dl_debug_state not found");
	for (size_t i = 0; i < ao.n; i++) {
		const struct allocobj_probe *p = &ao.probes[i];

		if (!strcmp(p->name, "malloc")) {
			malloc_seen = true;
			at_call = p->emulated && p->shift == 9 && !p->args;
		} else if (!strcmp(p->name, "memalign")) {
			memalign = true;
		} else if (strcmp(p->name, "free")) {
			other = true;
			printf("    unexpected probe on %s\n", p->name);
		}
	}
	CHECK(malloc_seen && at_call, "malloc: probed %d, at its call with rdi %d", malloc_seen,
	      at_call);
	CHECK(memalign, "memalign not probed");
	CHECK(!other, "posix_memalign or operator new probed");
	CHECK(ao.n_delegating == 2, "%zu functions left to others, want 2", ao.n_delegating);
}

/* Go code is never probed (the issue: no return probe on Go-managed code): Go's symbols are
 * package-qualified (runtime.mallocgc), so a Go executable, pure or cgo (whose C allocator is
 * libc's, probed there), gives no allocator and no probe. */
TEST(go_binaries)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "build";
	const char *names[] = { "goidle", "uw_cgo" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512];
		struct allocobj ao;
		int fd, err;

		snprintf(path, sizeof(path), "%s/workloads/%s", out, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			SKIP("%s: %s (make test-build, run from the repository)", path,
			     strerror(errno));
		err = allocobj__read(fd, &ao);
		close(fd);
		REQUIRE(!err, "%s: allocobj__read: %s", path, strerror(-err));
		CHECK(!ao.has && ao.n == 0, "%s: %zu probes, malloc and free %s", path, ao.n,
		      ao.has ? "found" : "not found");
	}
}

int main(void)
{
	CHECK_SUITE("unit/heap");
	RUN(draws_mean);
	RUN(weight_values);
	RUN(simulated_stream);
	RUN(probe_offset_free);
	RUN(probe_offset_alloc);
	RUN(probe_offset_moved_args);
	RUN(read_object);
	RUN(go_binaries);
	return CHECK_EXIT();
}
