/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_rsort [SECS]: burns one core for SECS seconds (default 5) in two recursive functions
 * whose own code is hot at every depth: rsort, a quicksort that partitions in its own body
 * and calls itself from two call sites, and fib, which calls itself from two call sites and
 * burns in its body. A stack holds one of them many times, at several addresses (its leaf pc
 * and each call site's return address): a function is in a sample once for pprof's cum,
 * however many frames it has there.
 *
 * Ground truth: samples have the user stacks
 *   rsort; ...; rsort; sort_round; main; __libc_start_call_main; __libc_start_main; _start
 *   fib; ...; fib; main; __libc_start_call_main; __libc_start_main; _start
 */
#include "uw.h"

enum { N = 1 << 14 };

static int v[N];

/* Sorts v[lo, hi] (inclusive). The partition loop is rsort's own code, not a callee. */
UW_FN void rsort(int *a, long lo, long hi)
{
	long i = lo, j = hi;
	int pivot = a[lo + (hi - lo) / 2];

	if (lo >= hi)
		return;
	while (i <= j) {
		while (a[i] < pivot)
			i++;
		while (a[j] > pivot)
			j--;
		if (i <= j) {
			int t = a[i];

			a[i++] = a[j];
			a[j--] = t;
		}
	}
	rsort(a, lo, j);
	UW_KEEP(i);
	rsort(a, i, hi);
	UW_KEEP(i);
}

UW_FN long sort_round(unsigned seed)
{
	long r;

	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		v[i] = (int)(seed >> 8);
	}
	rsort(v, 0, N - 1);
	r = v[N / 2];
	UW_KEEP(r);
	return r;
}

UW_FN long fib(int n)
{
	long a, b;

	UW_BURN(200);
	if (n < 2)
		return n;
	a = fib(n - 1);
	UW_KEEP(a);
	b = fib(n - 2);
	UW_KEEP(b);
	return a + b;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 5);
	long total = 0;
	unsigned seed = 1;

	while (workload_now() < end) {
		total += sort_round(seed++);
		total += fib(14);
	}
	printf("uw_rsort: %ld\n", total);
	return 0;
}
