/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * spin_two [SECS]: burns one core in spin_two_hot for SECS seconds (default 10).
 *
 * Ground truth for whole-host labelling: every sample of this process (comm "spin_two") has the
 * leaf spin_two_hot; spin_one is the same program under other names.
 */
#include "workload.h"

__attribute__((noinline)) void spin_two_hot(void)
{
	BURN(10 * WORK_UNIT);
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 10);

	while (workload_now() < end)
		spin_two_hot();
	return 0;
}
