/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sleepers [N] [MS] [WAIT]: starts N threads (default 4) 100 ms apart, named "sleeper-I";
 * each sleeps MS milliseconds (default 300) in one nanosleep (sleeper_wait) and exits. The
 * process exits once all have: after about (N - 1) × 100 + MS ms. Prints "sleepers: pid P"
 * first; with WAIT = 1 it then reads one byte from stdin, so a profiler can attach first.
 * Ground truth: short-lived threads in a short-lived process, each waiting MS ms in
 * sleeper_wait ← sleeper_thread ← start_thread ← clone3.
 */
#include <pthread.h>
#include <unistd.h>

#include "workload.h"

static double g_ms;

__attribute__((noinline)) static void sleeper_wait(double ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)((ms - 1000 * (double)(time_t)(ms / 1000)) * 1e6) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *sleeper_thread(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "sleeper-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	sleeper_wait(g_ms);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = (int)workload_arg(argc, argv, 1, 4);
	pthread_t t[64];
	char c;

	g_ms = workload_arg(argc, argv, 2, 300);
	if (n > 64)
		n = 64;
	printf("sleepers: pid %d\n", (int)getpid());
	fflush(stdout);
	if (workload_arg(argc, argv, 3, 0) > 0 && read(0, &c, 1) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		if (i)
			usleep(100 * 1000);
		if (pthread_create(&t[i], NULL, sleeper_thread, (void *)(long)i))
			return 1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
