/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_signal [SECS]: for SECS seconds of CPU time (default 5), main → level1 → spin_hot
 * spins while a SIGPROF timer (every 10 ms of CPU) runs a handler that burns about 3 ms in
 * sig_hot: stacks cross the kernel's signal frame (__restore_rt) back into the interrupted
 * code. No frame pointers anywhere.
 *
 * Ground truth: every sample whose leaf is sig_hot has the user stack
 *   sig_hot; on_sigprof; __restore_rt; spin_hot; level1; main;
 *   __libc_start_call_main; __libc_start_main; _start
 * and every sample whose leaf is spin_hot has
 *   spin_hot; level1; main; __libc_start_call_main; __libc_start_main; _start
 * (spin_hot loops until the handler has run often enough: it is always the interrupted
 * function).
 */
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "uw.h"

static volatile sig_atomic_t ticks_left;

UW_FN void sig_hot(void)
{
	UW_BURN(30 * WORK_UNIT);
}

UW_FN void on_sigprof(int sig)
{
	(void)sig;
	sig_hot();
	__asm__ volatile("" ::: "memory");
	ticks_left--;
}

UW_FN long spin_hot(void)
{
	uint64_t x = 1;

	while (ticks_left > 0) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	return (long)x;
}

UW_FN long level1(void)
{
	long r = spin_hot();

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 5);
	struct itimerval it = { .it_interval = { 0, 10000 }, .it_value = { 0, 10000 } };
	struct sigaction sa;
	long r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigprof;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	ticks_left = (sig_atomic_t)(secs * 100);
	if (sigaction(SIGPROF, &sa, NULL) || setitimer(ITIMER_PROF, &it, NULL)) {
		perror("uw_signal: SIGPROF timer");
		return 1;
	}
	r = level1();
	/* Stop the timer first: a handler run inside printf would be a true stack that is not
	 * the ground truth above. */
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_PROF, &it, NULL);
	printf("uw_signal: done (%ld)\n", r & 1);
	return 0;
}
