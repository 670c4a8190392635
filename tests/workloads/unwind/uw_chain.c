/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_chain [SECS]: burns one core for SECS seconds (default 5) in hot, always called
 * main → level1 → level2 → hot, in code without frame pointers.
 *
 * Ground truth: every sample whose leaf is hot has the user stack
 *   hot; level2; level1; main; __libc_start_call_main; __libc_start_main; _start
 */
#include "uw.h"

UW_FN long hot(long units)
{
	UW_BURN(units * WORK_UNIT);
	return units;
}

UW_FN long level2(long units)
{
	long r = hot(units);

	UW_KEEP(r);
	return r;
}

UW_FN long level1(long units)
{
	long r = level2(units);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	long total = 0;

	while (workload_now() < end)
		total += level1(20);
	printf("uw_chain: %ld units\n", total);
	return 0;
}
