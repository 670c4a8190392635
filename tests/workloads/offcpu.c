/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * offcpu SECS: three threads with known off-CPU time over SECS seconds, then exit 0.
 *   "napper"  sleeps in one nanosleep for the whole run (napper_wait → nanosleep);
 *   "reader"  blocks in read() on a pipe that "feeder" writes every 50 ms (reader_wait);
 *   "feeder"  sleeps 50 ms between writes (feeder_wait), so it also waits all run;
 *   "burner"  burns CPU the whole time (burner_spin): almost no off-CPU time.
 * Ground truth: napper, reader and feeder each wait ≈ SECS; burner ≈ 0.
 * Prints "offcpu: pid N" first.
 */
#include <pthread.h>
#include <unistd.h>

#include "workload.h"

static double g_secs;
static int g_pipe[2];

__attribute__((noinline)) static void napper_wait(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *napper(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "napper");
	napper_wait(g_secs);
	return NULL;
}

__attribute__((noinline)) static ssize_t reader_wait(char *buf, size_t n)
{
	return read(g_pipe[0], buf, n);
}

static void *reader(void *arg)
{
	char buf[64];

	(void)arg;
	pthread_setname_np(pthread_self(), "reader");
	while (reader_wait(buf, sizeof(buf)) > 0)
		;
	return NULL;
}

__attribute__((noinline)) static void feeder_wait(void)
{
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *feeder(void *arg)
{
	double end = workload_now() + g_secs;

	(void)arg;
	pthread_setname_np(pthread_self(), "feeder");
	while (workload_now() < end) {
		feeder_wait();
		if (write(g_pipe[1], "x", 1) != 1)
			break;
	}
	close(g_pipe[1]);
	return NULL;
}

__attribute__((noinline)) static void burner_spin(double end)
{
	while (workload_now() < end)
		BURN(WORK_UNIT);
}

static void *burner(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "burner");
	burner_spin(workload_now() + g_secs);
	return NULL;
}

int main(int argc, char **argv)
{
	void *(*fns[])(void *) = { napper, reader, feeder, burner };
	pthread_t t[4];

	g_secs = workload_arg(argc, argv, 1, 5);
	if (pipe(g_pipe))
		return 1;
	printf("offcpu: pid %d\n", (int)getpid());
	fflush(stdout);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, fns[i], NULL))
			return 1;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	return 0;
}
