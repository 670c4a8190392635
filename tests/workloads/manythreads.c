/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * manythreads N SPIN SECS COUNTER_FILE: N threads, SPIN of them spinning ("spin-I", counting
 * their rounds in the first 8 bytes of COUNTER_FILE, a shared mapping: a reader sees the
 * process make progress, or stop; at nice 19), the others sleeping in nanosleep ("sleep-I",
 * f_sleep ← sleep_main). Prints "manythreads: pid P ready" once every thread runs, exits
 * after SECS seconds. A process to take snapshots of (tests/bench/threads_cost.sh).
 *
 * Each spinner also reads the clock (CLOCK_REALTIME, ns) every round, and a round that came
 * more than GAP_NS after the one before it is a gap: the thread did not run in between
 * (descheduled, or stopped by a tracer). Gaps go to a log in the same mapping: at offset 8
 * the number written so far, from offset 64 entries of two u64, start and end, the last
 * GAP_LOG of them. A reader finds how long the process stood still while a tool ran.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "workload.h"

#define MAP_BYTES (64 * 1024)
#define GAP_NS 1000000ull	/* 1 ms */
#define GAP_LOG ((MAP_BYTES - 64) / 16)

static volatile uint64_t *counter;
static int started;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A gap from start to end, in the log. */
static void log_gap(uint64_t start, uint64_t end)
{
	uint64_t i = __atomic_fetch_add(&counter[1], 1, __ATOMIC_RELAXED) % GAP_LOG;

	counter[8 + 2 * i] = start;
	counter[8 + 2 * i + 1] = end;
}

__attribute__((noinline)) static void f_sleep(void)
{
	struct timespec ts = { .tv_sec = 3600 };

	nanosleep(&ts, NULL);
}

static void *sleep_main(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "sleep-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (;;)
		f_sleep();
	return NULL;
}

__attribute__((noinline)) static void f_spin(void)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

static void *spin_main(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "spin-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name);
	/* At nice 19 (this thread's own): they take what CPU time nobody else wants. */
	if (setpriority(PRIO_PROCESS, 0, 19))
		perror("manythreads: setpriority");
	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	for (uint64_t last = now_ns(), t;; last = t) {
		f_spin();
		t = now_ns();
		if (t - last > GAP_NS)
			log_gap(last, t);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long n, spin;
	double secs;
	pthread_attr_t attr;
	void *p;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: manythreads N SPIN SECS COUNTER_FILE\n");
		return 2;
	}
	n = atol(argv[1]);
	spin = atol(argv[2]);
	secs = atof(argv[3]);
	fd = open(argv[4], O_RDWR | O_CREAT, 0600);
	if (n < 1 || n > 100000 || spin < 0 || spin > n || fd < 0 || ftruncate(fd, MAP_BYTES)) {
		fprintf(stderr, "manythreads: bad arguments or counter file\n");
		return 2;
	}
	p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("manythreads: mmap");
		return 1;
	}
	counter = p;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, &attr, i < spin ? spin_main : sleep_main, (void *)i)) {
			perror("manythreads: pthread_create");
			return 1;
		}
	}
	while (__atomic_load_n(&started, __ATOMIC_RELAXED) < n)
		usleep(1000);
	printf("manythreads: pid %d ready\n", getpid());
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	return 0;
}
