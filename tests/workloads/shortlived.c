/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shortlived [SECS [wait]]: burns one core in short_hot for SECS seconds (default 1.5), prints
 * "shortlived: cpu C s" (its CPU time) and exits. With "wait", it starts on SIGUSR1
 * (workload_wait_usr1), so that a profiler attached with -p sees its whole life.
 *
 * Ground truth: a process that exits while it is being profiled; its samples (≈ SECS × HZ,
 * nearly all with leaf short_hot) must still be symbolized after its pid is gone.
 */
#include <string.h>

#include "workload.h"

__attribute__((noinline)) void short_hot(void)
{
	BURN(10 * WORK_UNIT);
}

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 1.5), end;

	if (argc > 2 && !strcmp(argv[2], "wait"))
		workload_wait_usr1();
	end = workload_now() + secs;
	while (workload_now() < end)
		short_hot();
	printf("shortlived: cpu %.2f s\n", workload_cpu());
	return 0;
}
