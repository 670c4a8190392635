/*
 * malloc/free loop of mixed sizes for the heap-profile benchmark: N pairs (argv[1], default
 * 2000000) of malloc(size) + free, sizes cycling through 16 B .. 64 KiB, with 64 blocks kept
 * live in a ring so frees are not always of the block just allocated. Prints
 * "mallocloop: N pairs, X ns/pair, Y cpu-ns/pair": the wall clock of the loop alone, and the
 * thread's CPU time (user + system, so probe traps count), which other load on the machine
 * disturbs much less.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 16, 24, 32, 48, 64, 100, 128, 200, 256, 512, 1000,
					4096, 8192, 16384, 65536 };
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	void *ring[64] = { 0 };
	struct timespec a, b, ca, cb;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		size_t k = (size_t)i % 64;

		free(ring[k]);
		ring[k] = malloc(sizes[(size_t)i % (sizeof(sizes) / sizeof(sizes[0]))]);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
	for (size_t k = 0; k < 64; k++)
		free(ring[k]);
	printf("mallocloop: %ld pairs, %.1f ns/pair, %.1f cpu-ns/pair\n", n,
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n,
	       ((cb.tv_sec - ca.tv_sec) * 1e9 + (cb.tv_nsec - ca.tv_nsec)) / (double)n);
	return 0;
}
