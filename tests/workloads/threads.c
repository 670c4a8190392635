/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * threads [SECS [COUNTER_FILE|- [bad]]]: 50 threads in four known places for SECS seconds
 * (default 30), then exits. Prints "threads: pid P ready" once every thread is in place.
 *   10 "sleep-I" threads sleep in nanosleep:          f_sleep ← sleep_main
 *   10 "read-I"  threads read each an empty pipe:     f_read ← read_main
 *   10 "lock-I"  threads wait for a mutex main holds: f_lock ← lock_main
 *   20 "spin-I"  threads spin at nice 19:             f_spin ← spin_main
 * each ← start_thread ← clone3 (glibc). The main thread sleeps in main_wait ← main. The
 * spinners lower their own priority (a thread's nice value is its own on Linux): they take
 * what CPU time nobody else wants, and a profiler or a test sharing the machine runs as if
 * they were not there (under qemu TCG, at nice 0, they made a snapshot take 35 s).
 * With COUNTER_FILE, the spinners count their rounds in its first 8 bytes (a shared mapping
 * of the file, no system call): a reader sees the process make progress, or not.
 * With "bad", two more threads: "bad-0" waits in pause(2) with its stack pointer on an
 * unmapped page (nobody can read its user stack), and "deep-0" sleeps in nanosleep under
 * DEEP_LEVELS calls of f_deep, each with a frame of over 512 bytes: a stack of about 85 KiB,
 * f_sleep ← f_deep × 150 ← deep_main ← start_thread ← clone3.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "workload.h"

#define N_SLEEP 10
#define N_READ 10
#define N_LOCK 10
#define N_SPIN 20
#define DEEP_LEVELS 150

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int pipes[N_READ][2];
static volatile uint64_t own_counter;
static volatile uint64_t *counter = &own_counter;
static int in_place;
static pthread_mutex_t place_lock = PTHREAD_MUTEX_INITIALIZER;

/* A thread says it is about to wait (or spin). */
static void arrived(void)
{
	pthread_mutex_lock(&place_lock);
	in_place++;
	pthread_mutex_unlock(&place_lock);
}

__attribute__((noinline)) void f_sleep(void)
{
	struct timespec ts = { .tv_sec = 3600 };

	for (;;)
		nanosleep(&ts, NULL);
}

__attribute__((noinline)) void f_read(int fd)
{
	char c;

	while (read(fd, &c, 1) >= 0)
		;
}

__attribute__((noinline)) void f_lock(void)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
}

__attribute__((noinline)) void f_spin(void)
{
	for (;;) {
		BURN(WORK_UNIT / 100);
		__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	}
}

static void name_self(const char *what, long i)
{
	char name[16];

	snprintf(name, sizeof(name), "%s-%ld", what, i);
	pthread_setname_np(pthread_self(), name);
}

static void *sleep_main(void *arg)
{
	name_self("sleep", (long)arg);
	arrived();
	f_sleep();
	return NULL;
}

static void *read_main(void *arg)
{
	name_self("read", (long)arg);
	arrived();
	f_read(pipes[(long)arg][0]);
	return NULL;
}

static void *lock_main(void *arg)
{
	name_self("lock", (long)arg);
	arrived();
	f_lock();
	return NULL;
}

static void *spin_main(void *arg)
{
	name_self("spin", (long)arg);
	if (setpriority(PRIO_PROCESS, 0, 19))
		perror("threads: setpriority");
	arrived();
	f_spin();
	return NULL;
}

/* pause() with rsp on the unmapped page at 4096 (mmap_min_addr keeps it unmapped): the
 * thread's saved user registers point at no stack. Never returns: not even a signal
 * handler could run on that stack, so only SIGKILL ends it, with the process. */
__attribute__((noinline)) void f_badstack(void)
{
	__asm__ volatile("mov $4096, %%rsp\n\t"
			 "1: mov $34, %%eax\n\t"	/* __NR_pause */
			 "syscall\n\t"
			 "jmp 1b"
			 : : : "memory", "rax", "rcx", "r11");
}

static volatile int deep_sleeps = 1;

/* n more levels of itself, each with 512 bytes of its own on the stack, then f_sleep. */
__attribute__((noinline)) void f_deep(int n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	if (n > 1)
		f_deep(n - 1);
	else if (deep_sleeps)	/* always: a path that returns, as the compiler sees it */
		f_sleep();
	pad[1] = pad[0];
}

static void *deep_main(void *arg)
{
	name_self("deep", (long)arg);
	arrived();
	f_deep(DEEP_LEVELS);
	return NULL;
}

static void *bad_main(void *arg)
{
	name_self("bad", (long)arg);
	arrived();
	f_badstack();
	return NULL;
}

__attribute__((noinline)) void main_wait(double secs)
{
	double end = workload_now() + secs;

	while (workload_now() < end)
		usleep(100 * 1000);
}

/* The spinners' counter in the first 8 bytes of path, shared with any reader. */
static void map_counter(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	void *p;

	if (fd < 0 || ftruncate(fd, 4096)) {
		perror("threads: counter file");
		exit(1);
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("threads: mmap");
		exit(1);
	}
	close(fd);
	counter = p;
}

static void start(void *(*fn)(void *), long i)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, (void *)i)) {
		fprintf(stderr, "threads: pthread_create failed\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 30);
	int bad = argc > 3 && !strcmp(argv[3], "bad");
	int ready = 0;

	if (argc > 2 && strcmp(argv[2], "-"))
		map_counter(argv[2]);
	pthread_mutex_lock(&held);
	for (long i = 0; i < N_READ; i++)
		if (pipe(pipes[i])) {
			perror("threads: pipe");
			return 1;
		}
	for (long i = 0; i < N_SLEEP; i++)
		start(sleep_main, i);
	for (long i = 0; i < N_READ; i++)
		start(read_main, i);
	for (long i = 0; i < N_LOCK; i++)
		start(lock_main, i);
	for (long i = 0; i < N_SPIN; i++)
		start(spin_main, i);
	if (bad) {
		start(bad_main, 0);
		start(deep_main, 0);
	}
	while (!ready) {
		usleep(10 * 1000);
		pthread_mutex_lock(&place_lock);
		ready = in_place == N_SLEEP + N_READ + N_LOCK + N_SPIN + 2 * bad;
		pthread_mutex_unlock(&place_lock);
	}
	usleep(100 * 1000);	/* from "arrived" into the wait itself */
	printf("threads: pid %d ready\n", (int)getpid());
	fflush(stdout);
	main_wait(secs);
	return 0;
}
