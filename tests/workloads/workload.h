/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the test workloads: a CPU burner the compiler cannot fold away, and argument
 * parsing that fails loudly. Workloads are built with frame pointers and without inlining
 * (see workloads.mk) so their stacks are exact ground truth for the profiler's FP unwinder;
 * the unwinding workloads (unwind/uw.h), built without, use all here but BURN.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Written at the end of every burn so the loop has an observable result. */
static volatile uint64_t workload_sink;

/*
 * Burns `iters` xorshift steps in the function that expands it, so that function is the
 * leaf (flat) frame of every sample taken in the loop. The empty asm keeps each step a
 * real dependent instruction chain: no vectorizing, no closed form, same cost everywhere.
 *
 * GCC 12 ignores -mno-omit-leaf-frame-pointer and gives leaf functions no frame, which hides
 * their caller from a frame-pointer unwinder (main → level1 → hot_a instead of → level2 →).
 * Taking the frame address forces the frame, with any compiler.
 */
#define BURN(iters)                                                                  \
	do {                                                                         \
		__asm__ volatile("" : : "r"(__builtin_frame_address(0)));           \
		uint64_t burn_x = workload_sink | 1;                                 \
		for (uint64_t burn_i = 0; burn_i < (uint64_t)(iters); burn_i++) {    \
			burn_x ^= burn_x << 13;                                      \
			burn_x ^= burn_x >> 7;                                       \
			burn_x ^= burn_x << 17;                                      \
			__asm__ volatile("" : "+r"(burn_x));                         \
		}                                                                    \
		workload_sink = burn_x;                                              \
	} while (0)

/* Iterations in one work unit: about 0.1 ms on a current x86-64 core. */
#define WORK_UNIT 100000

static inline double workload_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints "waiting" and returns once SIGUSR1 arrives (blocked first, so a signal sent as soon
 * as the line shows is not lost): the test starts the workload, attaches cprof-bpf with -p
 * and sends the signal when cprof-bpf says it is profiling, so the work all comes after
 * the attach however long the attach takes. */
static inline void workload_wait_usr1(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("waiting\n");
	fflush(stdout);
	sigwait(&set, &sig);
}

/* CPU time this process has used so far, in seconds. */
static inline double workload_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* argv[i] as a non-negative number, `def` if absent; exits 2 on garbage. */
static inline double workload_arg(int argc, char **argv, int i, double def)
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
