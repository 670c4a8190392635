/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fault_burst N DEPTH SECS: prints "waiting" and, on SIGUSR1 (workload_wait_usr1), starts N
 * threads (default 4) that each recurse DEPTH calls deep (default 100) through burst_down and
 * burn SECS seconds (default 2) in burst_hot at the bottom; then prints "fault_burst: cpu C s"
 * and exits.
 *
 * Ground truth for a burst: for SECS seconds, samples with the longest stacks the profiler
 * records (DEPTH + a few frames), as many as the CPUs can run, from a process idle before.
 */
#include <pthread.h>

#include "../workload.h"

static int g_depth;
static double g_secs;

__attribute__((noinline)) static void burst_hot(double end)
{
	while (workload_now() < end)
		BURN(WORK_UNIT / 10);
}

__attribute__((noinline)) static int burst_down(int level, double end)
{
	if (level > 0)
		return burst_down(level - 1, end) + 1;
	burst_hot(end);
	return 0;
}

static void *burst_thread(void *arg)
{
	(void)arg;
	burst_down(g_depth, workload_now() + g_secs);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = (int)workload_arg(argc, argv, 1, 4);
	pthread_t t[64];

	g_depth = (int)workload_arg(argc, argv, 2, 100);
	g_secs = workload_arg(argc, argv, 3, 2);
	if (n > 64)
		n = 64;
	workload_wait_usr1();
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, burst_thread, NULL))
			return 1;
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("fault_burst: cpu %.2f s\n", workload_cpu());
	return 0;
}
