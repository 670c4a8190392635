/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_qsort [SECS]: burns one core for SECS seconds (default 5) in cmp_hot, a comparison
 * callback that libc's qsort calls: main → sort_round → qsort (libc, no frame pointers)
 * → ... → cmp_hot.
 *
 * Ground truth: every sample whose leaf is cmp_hot has the user stack
 *   cmp_hot; one or more libc sorting frames (msort_with_tmp..., qsort_r...);
 *   sort_round; main; __libc_start_call_main; __libc_start_main; _start
 */
#include <string.h>

#include "uw.h"

enum { N = 4096 };

UW_FN int cmp_hot(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	UW_BURN(2000);
	return (x > y) - (x < y);
}

UW_FN long sort_round(int *v, unsigned seed)
{
	long r;

	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		v[i] = (int)(seed >> 8);
	}
	qsort(v, N, sizeof(*v), cmp_hot);
	r = v[0];
	UW_KEEP(r);
	return r;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	static int v[N];
	unsigned rounds = 0;
	long sum = 0;

	while (workload_now() < end)
		sum += sort_round(v, rounds++);
	printf("uw_qsort: %u rounds (%ld)\n", rounds, sum);
	return 0;
}
