/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * manystacks [SECS] [THREADS]: THREADS threads (default 2) for SECS seconds (default 60)
 * each walk a random path DEPTH calls deep through 8 functions, path_0 .. path_7, then burn
 * ~20 us in leaf(): 8^8 (16.7M) distinct call paths, so nearly every CPU sample has a
 * stack no earlier sample had. For the profiler's stack table at its limit
 * (tests/bench/stack_limit.sh), not for shares.
 */
#include <pthread.h>
#include <stdlib.h>

#include "workload.h"

#define DEPTH 8

static double g_end;

__attribute__((noinline)) static void leaf(void)
{
	BURN(WORK_UNIT / 5);
}

static void step(unsigned int *seed, int left);

/* Each is a frame of its own: not inlined, not a tail call (workloads.mk's flags). */
#define PATH(i)                                                                   \
	__attribute__((noinline)) static void path_##i(unsigned int *seed, int left) \
	{                                                                         \
		step(seed, left);                                                 \
		__asm__ volatile("" : : "r"(__builtin_frame_address(0)) : "memory");   \
	}
PATH(0) PATH(1) PATH(2) PATH(3) PATH(4) PATH(5) PATH(6) PATH(7)

static void (*const paths[8])(unsigned int *, int) = {
	path_0, path_1, path_2, path_3, path_4, path_5, path_6, path_7,
};

__attribute__((noinline)) static void step(unsigned int *seed, int left)
{
	if (!left)
		leaf();
	else
		paths[rand_r(seed) & 7](seed, left - 1);
	__asm__ volatile("" : : "r"(__builtin_frame_address(0)) : "memory");
}

static void *walker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg * 2654435761u;

	while (workload_now() < g_end)
		step(&seed, DEPTH);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = (int)workload_arg(argc, argv, 2, 2);
	pthread_t t[64];

	if (n < 1 || n > 64)
		n = 2;
	g_end = workload_now() + workload_arg(argc, argv, 1, 60);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, walker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
