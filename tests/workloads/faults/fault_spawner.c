/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fault_spawner RATE SECS PROG [ARG...]: starts RATE processes a second (default 500) for
 * SECS seconds, each a fork that execs PROG with its arguments, on a fixed schedule (a late
 * start is not made up for by a burst), and reaps them as they exit. Prints "fault_spawner:
 * S started, R reaped, F failed, B exited non-zero in T s".
 *
 * Ground truth for scale: process churn of a known rate, each process a new image to read,
 * unwind and name, most of them gone before the profiler could open anything of theirs.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "../workload.h"

static long g_bad;

/* Reaps the children that have exited (all of them without WNOHANG); counts those that did
 * not exit 0 in g_bad (e.g. 127: PROG could not be exec'ed). */
static long reap(int flags)
{
	long n = 0;
	int st;

	while (waitpid(-1, &st, flags) > 0) {
		n++;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			g_bad++;
	}
	return n;
}

int main(int argc, char **argv)
{
	double rate = workload_arg(argc, argv, 1, 500), secs = workload_arg(argc, argv, 2, 5);
	double t0 = workload_now(), next = t0;
	long started = 0, reaped = 0, failed = 0;

	if (argc < 4 || rate <= 0) {
		fprintf(stderr, "usage: fault_spawner RATE SECS PROG [ARG...]\n");
		return 2;
	}
	while (next < t0 + secs) {
		double now = workload_now();
		pid_t pid;

		if (now < next) {
			usleep((useconds_t)((next - now) * 1e6));
			continue;
		}
		next += 1 / rate;
		if (next < now - 0.1)
			next = now; /* behind by more than 100 ms: do not burst to catch up */
		pid = fork();
		if (pid == 0) {
			execv(argv[3], argv + 3);
			_exit(127);
		}
		if (pid < 0)
			failed++;
		else
			started++;
		reaped += reap(WNOHANG);
	}
	reaped += reap(0);
	printf("fault_spawner: %ld started, %ld reaped, %ld failed, %ld exited non-zero in %.2f s\n",
	       started, reaped, failed, g_bad, workload_now() - t0);
	return 0;
}
