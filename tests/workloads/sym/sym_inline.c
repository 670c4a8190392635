/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sym_inline [SECS]: burns one core for SECS seconds (default 2) in a loop that lives in
 * an always-inlined helper. Built -O2 -g (tests/workloads/sym.mk), so the hot code belongs
 * to mix() but sits inside outer_work(): a symbolizer that reads DWARF's inline
 * information shows mix as an inline frame of outer_work, at the lines marked HOT and CALL
 * below (the e2e test finds them by these markers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;

static inline __attribute__((always_inline)) uint64_t mix(uint64_t x, int rounds)
{
	for (int i = 0; i < rounds; i++) { /* HOT */
		x ^= x << 13; /* HOT */
		x ^= x >> 7; /* HOT */
		x ^= x << 17; /* HOT */
		__asm__ volatile("" : "+r"(x)); /* HOT */
	}
	return x;
}

__attribute__((noinline)) uint64_t outer_work(uint64_t seed)
{
	__asm__ volatile("" : : "r"(__builtin_frame_address(0)));
	return mix(seed | 1, 1 << 20); /* CALL */
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2, t0 = now();
	uint64_t rounds = 0;

	while (now() - t0 < secs) {
		sink = outer_work(sink + rounds);
		rounds++;
	}
	printf("sym_inline: %llu rounds\n", (unsigned long long)rounds);
	return 0;
}
