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

#include "../workload.h"	/* WORK_UNIT, the clock, arguments */

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
 * samples taken in the loop); unlike workload.h's BURN it does not force a frame pointer.
 * WORK_UNIT iterations take about 0.1 ms. */
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

#endif
