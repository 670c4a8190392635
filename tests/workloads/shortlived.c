/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shortlived [SECS]: burns one core in short_hot for SECS seconds (default 1.5), prints
 * "shortlived: cpu C s" (its CPU time) and exits.
 *
 * Ground truth: a process that exits while it is being profiled; its samples (≈ SECS × HZ,
 * nearly all with leaf short_hot) must still be symbolized after its pid is gone.
 */
#include "workload.h"

__attribute__((noinline)) void short_hot(void)
{
	BURN(10 * WORK_UNIT);
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 1.5);

	while (workload_now() < end)
		short_hot();
	printf("shortlived: cpu %.2f s\n", workload_cpu());
	return 0;
}
