/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_recurse DEPTH [SECS]: burns one core for SECS seconds (default 5) in leaf_hot at the
 * bottom of a DEPTH-deep recursion (default 25), in code without frame pointers: fixed-depth
 * stacks for the depth limit test and the unwinding cost benchmark.
 *
 * Ground truth: every sample whose leaf is leaf_hot has the user stack
 *   leaf_hot; DEPTH × recurse; main; __libc_start_call_main; __libc_start_main; _start
 * (DEPTH + 5 frames).
 */
#include "uw.h"

UW_FN long leaf_hot(long units)
{
	UW_BURN(units * WORK_UNIT);
	return units;
}

UW_FN long recurse(int depth, long units)
{
	long r = depth > 1 ? recurse(depth - 1, units) : leaf_hot(units);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	int depth = (int)workload_arg(argc, argv, 1, 25);
	double end = workload_now() + workload_arg(argc, argv, 2, 5);
	long total = 0;

	if (depth < 1 || depth > 100000) {
		fprintf(stderr, "uw_recurse: depth must be 1-100000\n");
		return 2;
	}
	while (workload_now() < end)
		total += recurse(depth, 20);
	printf("uw_recurse: %ld units\n", total);
	return 0;
}
