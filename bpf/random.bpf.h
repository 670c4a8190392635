/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Random numbers for the sampling decisions of the block, mutex and heap programs: one
 * scheme for all three. A per-CPU xorshift64* generator, seeded from the kernel's: a draw is
 * a map lookup (inlined by the verifier on kernels that inline per-CPU array lookups) and a
 * few ALU instructions, where bpf_get_prandom_u32() is a helper call (15-30 ns here with
 * return-thunk mitigations) that yields 32 bits. Block draws at every short wait, in
 * sched_switch, which every context switch of the host runs, and it wants 64 bits: two calls.
 * Programs that interleave on a CPU (a preempted uprobe, a task work) may both read one state
 * and draw the same number once; the decisions it feeds stay unbiased. Each object has its
 * own generator. */
#ifndef CPROF_RANDOM_BPF_H
#define CPROF_RANDOM_BPF_H

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rng SEC(".maps");

/* 64 random bits. */
static __always_inline __u64 random64(void)
{
	__u32 zero = 0;
	__u64 *s = bpf_map_lookup_elem(&rng, &zero), x;

	if (!s)
		return ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
	x = *s;
	if (!x)
		x = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* 32 random bits: the high half of a draw (xorshift64*'s low bits are its weakest). */
static __always_inline __u32 random32(void)
{
	return random64() >> 32;
}

#endif
