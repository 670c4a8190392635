/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cpusplit [SECS [EXITCODE]]: burns one core for SECS seconds of wall time (default 5), then
 * prints "cpusplit: pid PID: N rounds in S s, cpu C s" (C: its own CPU time, what a CPU
 * profiler at F Hz should turn into C × F samples) and exits with EXITCODE (default 0).
 * cpusplit -n ROUNDS [EXITCODE]: the same for exactly ROUNDS rounds: the same work, hence
 * the same profile, however busy the machine is.
 *
 * Ground truth: every round runs main → level1 → level2 → hot_a / hot_b / hot_c with 6, 3
 * and 1 work units, and each hot function burns in its own body, so of the samples whose
 * leaf is a hot function, hot_a has 60%, hot_b 30% and hot_c 10% (flat = cum). A round is
 * under 2 ms, so the split is stable at any sampling frequency. Single-threaded.
 */
#include <string.h>
#include <unistd.h>

#include "workload.h"

enum hot { HOT_A, HOT_B, HOT_C };

__attribute__((noinline)) void hot_a(int units)
{
	BURN(units * WORK_UNIT);
}

__attribute__((noinline)) void hot_b(int units)
{
	BURN(units * WORK_UNIT);
}

__attribute__((noinline)) void hot_c(int units)
{
	BURN(units * WORK_UNIT);
}

__attribute__((noinline)) void level2(enum hot which, int units)
{
	switch (which) {
	case HOT_A:
		hot_a(units);
		break;
	case HOT_B:
		hot_b(units);
		break;
	case HOT_C:
		hot_c(units);
		break;
	}
}

__attribute__((noinline)) void level1(enum hot which, int units)
{
	level2(which, units);
}

int main(int argc, char **argv)
{
	int fixed = argc > 1 && !strcmp(argv[1], "-n");
	double limit = workload_arg(argc, argv, 1 + fixed, 5);
	int code = (int)workload_arg(argc, argv, 2 + fixed, 0);
	double start = workload_now(), end = start + limit;
	long rounds = 0;

	while (fixed ? rounds < (long)limit : workload_now() < end) {
		level1(HOT_A, 6);
		level1(HOT_B, 3);
		level1(HOT_C, 1);
		rounds++;
	}
	printf("cpusplit: pid %d: %ld rounds in %.2f s, cpu %.2f s\n", (int)getpid(), rounds,
	       workload_now() - start, workload_cpu());
	return code;
}
