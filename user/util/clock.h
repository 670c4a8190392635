/* Reading a clock, once for every module: seconds as a double for durations and schedules,
 * nanoseconds where they are compared with BPF's bpf_ktime_get_ns() (CLOCK_MONOTONIC). */
#ifndef CPROF_CLOCK_H
#define CPROF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline double clock__secs(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t clock__ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
