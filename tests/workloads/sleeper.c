/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sleeper [SECS]: sleeps SECS seconds (default 60) and exits 0. A live, idle target pid.
 * Ground truth: no CPU samples at all.
 */
#include <unistd.h>

#include "workload.h"

int main(int argc, char **argv)
{
	double secs = workload_arg(argc, argv, 1, 60);
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return 0;
}
