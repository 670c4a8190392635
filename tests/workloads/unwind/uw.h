/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the unwinding workloads. These are built -O2 -fomit-frame-pointer, like distro
 * code (see workloads.mk): their stacks can only be unwound from .eh_frame. Ground truth
 * stays exact because every function on a known path is UW_FN (no inlining, cloning or
 * interprocedural guesses) and keeps its callee's result alive past the call with
 * UW_KEEP, so no call on the path becomes a tail call.
 */
#ifndef UW_H
#define UW_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef __cplusplus
#define UW_EXTERN extern "C"
#else
#define UW_EXTERN
#endif

#define UW_FN __attribute__((noipa))
/* After a call: the result is used by an instruction the compiler cannot see through. */
#define UW_KEEP(v) __asm__ volatile("" : "+r"(v))

static volatile uint64_t uw_sink;

/* Burns iters xorshift steps in the function that expands it (which then is the leaf of the
 * samples taken in the loop); unlike workload.h's BURN it does not force a frame pointer. */
#define UW_BURN(iters)                                                             \
	do {                                                                       \
		uint64_t uw_x = uw_sink | 1;                                       \
		for (uint64_t uw_i = 0; uw_i < (uint64_t)(iters); uw_i++) {        \
			uw_x ^= uw_x << 13;                                        \
			uw_x ^= uw_x >> 7;                                         \
			uw_x ^= uw_x << 17;                                        \
			__asm__ volatile("" : "+r"(uw_x));                         \
		}                                                                  \
		uw_sink = uw_x;                                                    \
	} while (0)

/* Iterations in one work unit: about 0.1 ms on a current x86-64 core. */
#define UW_UNIT 100000

static inline double uw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* argv[i] as a non-negative number, def if absent; exits 2 on garbage. */
static inline double uw_arg(int argc, char **argv, int i, double def)
{
	char *end;
	double v;

	if (argc <= i)
		return def;
	errno = 0;
	v = strtod(argv[i], &end);
	if (errno || end == argv[i] || *end || v < 0) {
		fprintf(stderr, "%s: bad argument '%s': expected a non-negative number\n",
			argv[0], argv[i]);
		exit(2);
	}
	return v;
}

#endif
