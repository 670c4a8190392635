/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Go's block-profile sampling (runtime.blocksampled), pure so that BPF and a user-space
 * unit test compile the same code: a wait of at least rate ns is kept as it is; a shorter
 * one is kept with probability delay/rate and then stands for rate/delay waits of rate ns,
 * so the expected kept counts and delays equal the true ones.
 */
#ifndef CPROF_BLOCK_SAMPLE_H
#define CPROF_BLOCK_SAMPLE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stdbool.h>
#endif

/* delay < rate (rate ≥ 1): kept when u < delay/rate, u = rnd / 2^64 uniform in [0, 1).
 * While rate < 2^32 ns this is one multiplication: (rnd >> 32) * rate < delay << 32. */
static inline bool block_sample_short(__u64 delay, __u64 rate, __u64 rnd)
{
	if (rate <= 0xffffffffULL)
		return (rnd >> 32) * rate < delay << 32;
	return rnd % rate < delay;
}

/* Decides about a wait of delay ns; fills the record's count and delay value if kept.
 * rnd: 64 random bits, used only when delay < rate. */
static inline bool block_sample(__u64 delay, __u64 rate, __u64 rnd, __u64 *count,
				__u64 *value)
{
	if (!rate)
		rate = 1;
	*count = 1;
	*value = delay;
	if (delay >= rate)
		return true;
	if (!delay || !block_sample_short(delay, rate, rnd))
		return false;
	*count = rate / delay;
	*value = rate;
	return true;
}

#endif
