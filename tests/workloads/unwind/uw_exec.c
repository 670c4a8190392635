/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_exec [MS]: burns one core for MS milliseconds (default 200) and exits, counting from
 * the wall-clock moment in $UW_EXEC_T0 (seconds with a fraction, as bash's $EPOCHREALTIME
 * gives it: a shell sets it just before it execs this program), else from main's start.
 * Until 12 ms after that moment (the exec follows it, most often within a millisecond) it
 * burns in settling(), then in settled_hot(), and says when on stdout: "uw_exec: pid PID
 * settled at SECS" (CLOCK_MONOTONIC, the clock of the profiler's exec records, against
 * which a test checks that it was at least 10 ms after the exec). Built like distro code,
 * without frame pointers; also built static (uw_exec_static).
 *
 * Ground truth: a process profiled from its exec, whose tables (and those of libc, which
 * the dynamic loader maps after the exec) must be in place 10 ms after it: every sample in
 * settled_hot unwinds to the root,
 *   settled_hot; settled_level; main; __libc_start_call_main; __libc_start_main; _start
 * and no frame of the process is outside its known mappings. It ends with _exit: the
 * destructors' code (crtstuff's, without CFI) is not what is tested here.
 */
#include <unistd.h>

#include "uw.h"

/* When the settled phase starts, after UW_EXEC_T0. */
#define SETTLE_SECS 0.012

static double clock_secs(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

UW_FN void settling(double until)
{
	while (clock_secs(CLOCK_REALTIME) < until)
		UW_BURN(WORK_UNIT / 10);
}

UW_FN int settled_hot(void)
{
	UW_BURN(WORK_UNIT);
	return 0;
}

UW_FN int settled_level(double until)
{
	int n = 0;

	while (clock_secs(CLOCK_REALTIME) < until) {
		int r = settled_hot();

		UW_KEEP(r);
		n += r + 1;
	}
	return n;
}

int main(int argc, char **argv)
{
	double ms = workload_arg(argc, argv, 1, 200), t0 = clock_secs(CLOCK_REALTIME);
	const char *env = getenv("UW_EXEC_T0");
	int n;

	if (env && *env)
		t0 = strtod(env, NULL);
	settling(t0 + SETTLE_SECS);
	printf("uw_exec: pid %d settled at %.6f\n", (int)getpid(), clock_secs(CLOCK_MONOTONIC));
	fflush(stdout);
	n = settled_level(t0 + ms / 1e3);
	UW_KEEP(n);
	_exit(n < 0);
}
