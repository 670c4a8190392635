/* Heap profile math and probe placement: the exponential draw table, the unsampling weight
 * against a simulated allocation stream sampled exactly as bpf/heap.bpf.c samples, and the
 * choice of an emulated instruction for free()'s probe. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "cprof.h"
#include "heap.h"

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

TEST(probe_offset)
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
	long off = heap__probe_offset(glibc_free, sizeof(glibc_free), 0x1000);

	if (off == -ENOTSUP)
		SKIP("no disassembler");
	CHECK(off == 3, "glibc free: %ld", off);
	CHECK(heap__probe_offset(push_first, sizeof(push_first), 0x1000) == 0, "push first");
	CHECK(heap__probe_offset(endbr, sizeof(endbr), 0x1000) == 4, "endbr64");
	CHECK(heap__probe_offset(clobber, sizeof(clobber), 0x1000) == 0, "rdi written");
	CHECK(heap__probe_offset(ret, sizeof(ret), 0x1000) == 0, "ret");
}

int main(void)
{
	CHECK_SUITE("unit/heap");
	RUN(draws_mean);
	RUN(weight_values);
	RUN(simulated_stream);
	RUN(probe_offset);
	return CHECK_EXIT();
}
