/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_spawn [SECS [wait]]: creates and joins trivial threads in a tight loop for SECS seconds
 * (default 4), then prints "uw_spawn: N threads". With "wait", it starts on SIGUSR1
 * (workload_wait_usr1), so that a profiler attached with -p has its unwind tables ready
 * before the first thread. No frame pointers.
 *
 * Ground truth: a large share of the samples lands in glibc's clone3, in the kernel on
 * the parent's side of the system call (copy_process) or on the new thread's side before
 * its first instruction, and some just back from it. The parent's samples unwind through
 *   clone3; create_thread; pthread_create; spawn_one; main; ... _start
 * and the new thread's end at clone3, its root; neither is cut short.
 */
#include <pthread.h>
#include <string.h>

#include "uw.h"

UW_FN void *trivial(void *arg)
{
	return arg;
}

UW_FN int spawn_one(long i)
{
	pthread_t t;
	void *ret = NULL;
	int err = pthread_create(&t, NULL, trivial, (void *)i);

	if (err)
		return err;
	err = pthread_join(t, &ret);
	UW_KEEP(err);
	return err ? err : ret != (void *)i;
}

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 4), end;
	long n = 0;

	if (argc > 2 && !strcmp(argv[2], "wait"))
		workload_wait_usr1();
	end = workload_now() + secs;
	while (workload_now() < end) {
		int err = spawn_one(n);

		if (err) {
			fprintf(stderr, "uw_spawn: thread %ld: error %d\n", n, err);
			return 1;
		}
		n++;
	}
	printf("uw_spawn: %ld threads\n", n);
	return 0;
}
