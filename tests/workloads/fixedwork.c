/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fixedwork [UNITS]: burns UNITS work units (default 12000, about 2 s) and exits silently.
 * A fixed amount of CPU work whose run time the overhead benchmark compares with and
 * without the profiler.
 */
#include "workload.h"

__attribute__((noinline)) void fixed_work_hot(void)
{
	BURN(WORK_UNIT);
}

int main(int argc, char **argv)
{
	long units = (long)workload_arg(argc, argv, 1, 12000);

	for (long i = 0; i < units; i++)
		fixed_work_hot();
	return 0;
}
