/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_thread [SECS]: a thread started with pthread_create ("uw_worker") burns one core for
 * SECS seconds (default 5) in t_hot while the main thread waits in pthread_join. No frame
 * pointers.
 *
 * Ground truth: every sample whose leaf is t_hot has the user stack
 *   t_hot; t_level; worker; start_thread; clone3
 */
#include <pthread.h>

#include "uw.h"

static double end;

UW_FN long t_hot(long units)
{
	UW_BURN(units * WORK_UNIT);
	return units;
}

UW_FN long t_level(long units)
{
	long r = t_hot(units);

	UW_KEEP(r);
	return r;
}

UW_FN void *worker(void *arg)
{
	long total = 0;

	(void)arg;
	/* Named before any work: every sample in t_hot carries the name. */
	pthread_setname_np(pthread_self(), "uw_worker");
	while (workload_now() < end)
		total += t_level(20);
	return (void *)total;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *total;
	int err;

	end = workload_now() + workload_arg(argc, argv, 1, 5);
	err = pthread_create(&t, NULL, worker, NULL);
	if (err) {
		fprintf(stderr, "uw_thread: pthread_create: error %d\n", err);
		return 1;
	}
	pthread_join(t, &total);
	printf("uw_thread: %ld units\n", (long)total);
	return 0;
}
