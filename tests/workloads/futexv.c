/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * futexv SECS: a wait on several futexes at once (the futex_waitv syscall, nr 449), woken
 * through the second. waitv_words[0] and [1] are lock words ("locked, with waiters": 2).
 * A "waiter" thread waits on both with futex_waitv; a "waker" thread holds the lock
 * ~200 µs (spinning), then releases it in waker_release: stores 0 in waitv_words[1] and
 * FUTEX_WAKEs it. waitv_words[0] is never woken. Ground truth: the time the waiter spent
 * inside futex_waitv, printed at exit as "futexv: wait_ns N waits N".
 * Prints "futexv: pid N" first; "futexv: no futex_waitv" and exit 3 when the kernel lacks it.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

#ifndef FUTEX2_SIZE_U32
#define FUTEX2_SIZE_U32 0x02
#endif
#define NR_FUTEX_WAITV 449

_Atomic uint32_t waitv_words[2];

static double g_end;
static atomic_int g_round;	/* bumped by the waiter when it is about to wait */
static atomic_int g_stop;
static unsigned long long g_wait_ns, g_waits;

__attribute__((noinline)) static void spin_us(double us)
{
	double end = workload_now() + us / 1e6;

	while (workload_now() < end)
		;
}

static long futex_waitv2(void)
{
	struct futex_waitv w[2];

	memset(w, 0, sizeof(w));
	for (int i = 0; i < 2; i++) {
		w[i].val = 2;
		w[i].uaddr = (uintptr_t)&waitv_words[i];
		w[i].flags = FUTEX2_SIZE_U32 | FUTEX_PRIVATE_FLAG;
	}
	return syscall(NR_FUTEX_WAITV, w, 2, 0, NULL, CLOCK_MONOTONIC);
}

__attribute__((noinline)) static void waiter_wait(void)
{
	double t0;
	long r;

	atomic_store(&waitv_words[1], 2);
	atomic_fetch_add(&g_round, 1);
	t0 = workload_now();
	r = futex_waitv2();
	g_wait_ns += (unsigned long long)((workload_now() - t0) * 1e9);
	if (r < 0 && errno == ENOSYS) {
		printf("futexv: no futex_waitv\n");
		exit(3);
	}
	g_waits++;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	while (workload_now() < g_end)
		waiter_wait();
	atomic_store(&g_stop, 1);
	/* A last release, in case the waker is waiting for a round that will not come. */
	atomic_fetch_add(&g_round, 1);
	return NULL;
}

__attribute__((noinline)) static void waker_release(void)
{
	atomic_store(&waitv_words[1], 0);
	syscall(SYS_futex, &waitv_words[1], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *waker(void *arg)
{
	int seen = 0;

	(void)arg;
	pthread_setname_np(pthread_self(), "waker");
	while (!atomic_load(&g_stop)) {
		while (atomic_load(&g_round) == seen)
			;
		seen = atomic_load(&g_round);
		spin_us(200);	/* "holding the lock" while the waiter waits */
		waker_release();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	double secs;

	if (argc != 2 || (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: futexv SECS\n");
		return 2;
	}
	printf("futexv: pid %d\n", getpid());
	fflush(stdout);
	atomic_store(&waitv_words[0], 2);
	g_end = workload_now() + secs;
	if (pthread_create(&a, NULL, waiter, NULL) || pthread_create(&b, NULL, waker, NULL)) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("futexv: wait_ns %llu waits %llu\n", g_wait_ns, g_waits);
	return 0;
}
