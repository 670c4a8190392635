/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cpusplit [SECS [EXITCODE]]: burns one core for SECS seconds of wall time (default 5), then
 * prints "cpusplit: pid PID: N rounds in S s, cpu C s" (C: its own CPU time, what a CPU
 * profiler at F Hz should turn into C × F samples) and exits with EXITCODE (default 0).
 * cpusplit -n ROUNDS [EXITCODE]: the same for exactly ROUNDS rounds: the same work, hence
 * the same profile, however busy the machine is.
 * cpusplit -s A,B,C ...: any of the above with A, B and C work units (1..100) per round in
 * hot_a, hot_b and hot_c instead of 6, 3 and 1: two runs with different splits give a diff
 * where one function grew and another shrank (e2e/flame_browser).
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

/* -s A,B,C: the units per round of hot_a, hot_b, hot_c; exits 2 on a bad split. */
static void parse_split(const char *arg, int units[3])
{
	char extra;

	if (sscanf(arg, "%d,%d,%d%c", &units[0], &units[1], &units[2], &extra) != 3 ||
	    units[0] < 1 || units[0] > 100 || units[1] < 1 || units[1] > 100 || units[2] < 1 ||
	    units[2] > 100) {
		fprintf(stderr, "cpusplit: bad split '%s': expected A,B,C in 1..100\n", arg);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int units[3] = { 6, 3, 1 };
	int split = argc > 2 && !strcmp(argv[1], "-s") ? 2 : 0;
	int fixed = argc > 1 + split && !strcmp(argv[1 + split], "-n");
	int first = 1 + split + fixed;
	double limit = workload_arg(argc, argv, first, 5);
	int code = (int)workload_arg(argc, argv, first + 1, 0);
	double start = workload_now(), end = start + limit;
	long rounds = 0;

	if (split)
		parse_split(argv[2], units);

	while (fixed ? rounds < (long)limit : workload_now() < end) {
		level1(HOT_A, units[0]);
		level1(HOT_B, units[1]);
		level1(HOT_C, units[2]);
		rounds++;
	}
	printf("cpusplit: pid %d: %ld rounds in %.2f s, cpu %.2f s\n", (int)getpid(), rounds,
	       workload_now() - start, workload_cpu());
	return code;
}
