/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * twowaits [SECS]: one thread ("alternator") waits in two places in turn for SECS seconds
 * (default 3): 20 ms in nanosleep (wait_sleep), then 20 ms in poll with no descriptors
 * (wait_poll). Prints "twowaits: pid P" first.
 * Ground truth: each wait's user stack is its own: every nanosleep wait (kernel frames
 * hrtimer_nanosleep) is under wait_sleep, every poll wait (do_sys_poll) under wait_poll,
 * about SECS / 2 of delay each. A profiler that reuses a stack captured at one wait for
 * the next one mixes them up.
 */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "workload.h"

static double g_secs;

__attribute__((noinline)) static void wait_sleep(void)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void wait_poll(void)
{
	poll(NULL, 0, 20);
}

static void *alternator(void *arg)
{
	double end = workload_now() + g_secs;

	(void)arg;
	pthread_setname_np(pthread_self(), "alternator");
	while (workload_now() < end) {
		wait_sleep();
		wait_poll();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	g_secs = workload_arg(argc, argv, 1, 3);
	printf("twowaits: pid %d\n", (int)getpid());
	fflush(stdout);
	if (pthread_create(&t, NULL, alternator, NULL))
		return 1;
	pthread_join(t, NULL);
	return 0;
}
