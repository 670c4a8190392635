/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_nap [SECS]: for SECS seconds (default 30), sleeps 50-250 ms, then burns about 1 ms in
 * nap_hot (main → nap_round → nap_hot), and again: a mostly idle process of the kind a host
 * runs by the hundred, for the whole-host startup benchmark. No frame pointers.
 *
 * Ground truth: every sample whose leaf is nap_hot has the user stack
 *   nap_hot; nap_round; main; __libc_start_call_main; __libc_start_main; _start
 */
#include <unistd.h>

#include "uw.h"

UW_FN long nap_hot(long iters)
{
	UW_BURN(iters);
	return iters;
}

UW_FN long nap_round(long iters)
{
	long r = nap_hot(iters);

	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 30);
	unsigned seed = (unsigned)getpid();
	long total = 0;

	while (workload_now() < end) {
		seed = seed * 1103515245u + 12345u;
		usleep(50000 + (seed >> 8) % 200000);
		total += nap_round(WORK_UNIT * 10);
	}
	return total < 0;
}
