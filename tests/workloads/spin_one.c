/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * spin_one [SECS]: burns one core in spin_one_hot for SECS seconds (default 10), then prints
 * "spin_one: cpu C s" (its own CPU time: on a busy machine less than SECS).
 *
 * Ground truth for whole-host labelling: every sample of this process (comm "spin_one") has the
 * leaf spin_one_hot; spin_two is the same program under other names.
 */
#include "workload.h"

__attribute__((noinline)) void spin_one_hot(void)
{
	BURN(10 * WORK_UNIT);
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 10);

	while (workload_now() < end)
		spin_one_hot();
	printf("spin_one: cpu %.2f s\n", workload_cpu());
	return 0;
}
