/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fault_threads N SECS NAP: starts N threads (default 2000), prints "fault_threads: pid P,
 * N threads up" once all are, and after SECS seconds (default 10) stops them and prints
 * "fault_threads: L loops, cpu C s". Each thread loops: takes one of 16 mutexes (shared by
 * N/16 threads: contention), allocates and frees a block of 64-4160 bytes, burns ~20 µs in
 * thread_work, lets the mutex go and sleeps NAP ms (default 100). All four kinds of profile
 * see it: CPU time, waits (N × 1000/NAP a second), lock contention and allocations.
 *
 * Ground truth for scale: a process with thousands of threads, each with a sleeping stack,
 * task storage and allocations of its own.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "../workload.h"

#define NLOCKS 16

static pthread_mutex_t g_locks[NLOCKS];
static atomic_bool g_stop;
static atomic_ulong g_loops;
static long g_nap_ns;

__attribute__((noinline)) static void thread_work(void)
{
	BURN(WORK_UNIT / 5);
}

__attribute__((noinline)) static void *thread_alloc(unsigned int seed)
{
	return malloc(64 + (seed * 2654435761u) % 4096);
}

static void *thread_main(void *arg)
{
	unsigned int i = (unsigned int)(long)arg, n = 0;
	struct timespec nap = { .tv_sec = g_nap_ns / 1000000000, .tv_nsec = g_nap_ns % 1000000000 };

	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		pthread_mutex_t *m = &g_locks[i % NLOCKS];
		void *p;

		pthread_mutex_lock(m);
		p = thread_alloc(i + n++);
		if (p)
			memset(p, 1, 64);
		thread_work();
		free(p);
		pthread_mutex_unlock(m);
		atomic_fetch_add_explicit(&g_loops, 1, memory_order_relaxed);
		nanosleep(&nap, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = (int)workload_arg(argc, argv, 1, 2000);
	double secs = workload_arg(argc, argv, 2, 10);
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	pthread_attr_t attr;
	int started = 0;

	g_nap_ns = (long)(workload_arg(argc, argv, 3, 100) * 1e6);
	if (!t)
		return 1;
	for (int i = 0; i < NLOCKS; i++)
		pthread_mutex_init(&g_locks[i], NULL);
	/* Small stacks: 2000 threads of 8 MiB each would reserve 16 GiB of address space. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (; started < n; started++)
		if (pthread_create(&t[started], &attr, thread_main, (void *)(long)started))
			break;
	printf("fault_threads: pid %d, %d threads up\n", (int)getpid(), started);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&g_stop, true);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	printf("fault_threads: %lu loops, cpu %.2f s\n", (unsigned long)atomic_load(&g_loops),
	       workload_cpu());
	free(t);
	return started == n ? 0 : 1;
}
