/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pingpong [ROUNDS] [WAIT]: two threads bounce a byte through two pipes ROUNDS times
 * (default 200000), both pinned to one CPU, so every hop blocks in read(), wakes the other
 * thread and switches to it: the worst case for a profiler that runs at each context switch.
 * With WAIT = 1 it first prints "pingpong: pid N" and reads one byte from stdin, so a
 * profiler can attach before the timed part. Prints "pingpong: R round trips, X ns per
 * round trip, C cpu ns per round trip" at the end: C is the CPU time both threads used,
 * which other tasks sharing the CPU do not inflate as they do the wall-clock X.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "workload.h"

static int g_ping[2], g_pong[2];
static long g_rounds;

__attribute__((noinline)) static void hop(int in, int out)
{
	char c = 0;

	if (read(in, &c, 1) != 1 || write(out, &c, 1) != 1)
		exit(1);
}

static void *ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < g_rounds; i++)
		hop(g_ping[0], g_pong[1]);
	return NULL;
}

/* The main thread's side: its own function, so that a profile tells its waits from its
 * read of stdin before the timed part. */
__attribute__((noinline)) static void ping(char *c)
{
	if (write(g_ping[1], c, 1) != 1 || read(g_pong[0], c, 1) != 1)
		exit(1);
}

int main(int argc, char **argv)
{
	pthread_t t;
	cpu_set_t set;
	double t0, t1, c0, c1;
	char c = 0;

	g_rounds = (long)workload_arg(argc, argv, 1, 200000);
	if (workload_arg(argc, argv, 2, 0) > 0) {
		printf("pingpong: pid %d\n", (int)getpid());
		fflush(stdout);
		if (read(0, &c, 1) < 0)
			return 1;
	}
	/* The last CPU: both threads (created after this) share it. */
	CPU_ZERO(&set);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || pipe(g_ping) || pipe(g_pong))
		return 1;
	if (pthread_create(&t, NULL, ponger, NULL))
		return 1;
	t0 = workload_now();
	c0 = workload_cpu();
	for (long i = 0; i < g_rounds; i++)
		ping(&c);
	pthread_join(t, NULL);
	t1 = workload_now();
	c1 = workload_cpu();
	if (!g_rounds)
		g_rounds = 1;
	printf("pingpong: %ld round trips, %.0f ns per round trip, %.0f cpu ns per round trip\n",
	       g_rounds, (t1 - t0) * 1e9 / (double)g_rounds, (c1 - c0) * 1e9 / (double)g_rounds);
	return 0;
}
