/*
 * malloc/free loop of mixed sizes for the heap-profile benchmark: N pairs (argv[1], default
 * 2000000) of malloc(size) + free, sizes cycling through 16 B .. 64 KiB, with 64 blocks kept
 * live in a ring so frees are not always of the block just allocated. Prints
 * "mallocloop: N pairs, X ns/pair, Y cpu-ns/pair": the wall clock of the loop alone, and the
 * thread's CPU time (user + system, so probe traps count), which other load on the machine
 * disturbs much less.
 *
 * mallocloop progress: the same loop until killed, printing every 100 ms of wall time
 * "progress WALL_NS CPU_NS PAIRS BYTES" (CLOCK_REALTIME, the thread's CPU time, pairs and
 * bytes allocated so far): its allocation rate per CPU second, which probes on malloc and
 * free divide many times, and the bytes a heap profile of any window must account for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const size_t sizes[] = { 16, 24, 32, 48, 64, 100, 128, 200, 256, 512, 1000,
				4096, 8192, 16384, 65536 };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static long long ns(clockid_t clk)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* One pair: the block allocated i pairs ago (mod 64) is freed, a new one takes its place. */
static size_t pair(void **ring, long i)
{
	size_t k = (size_t)i % 64, size = sizes[(size_t)i % N_SIZES];

	free(ring[k]);
	ring[k] = malloc(size);
	return size;
}

__attribute__((noreturn)) static void progress(void)
{
	void *ring[64] = { 0 };
	unsigned long long bytes = 0;
	long long next = ns(CLOCK_REALTIME);

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0;; i++) {
		bytes += pair(ring, i);
		/* The clock every 1024 pairs: ~20 us unprobed, ~1 ms probed. */
		if ((i & 1023) == 0 && ns(CLOCK_REALTIME) >= next) {
			printf("progress %lld %lld %ld %llu\n", ns(CLOCK_REALTIME),
			       ns(CLOCK_THREAD_CPUTIME_ID), i + 1, bytes);
			next += 100000000LL;
		}
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	void *ring[64] = { 0 };
	long long a, b, ca, cb;

	if (argc > 1 && !strcmp(argv[1], "progress"))
		progress();
	ca = ns(CLOCK_THREAD_CPUTIME_ID);
	a = ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++)
		pair(ring, i);
	b = ns(CLOCK_MONOTONIC);
	cb = ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t k = 0; k < 64; k++)
		free(ring[k]);
	printf("mallocloop: %ld pairs, %.1f ns/pair, %.1f cpu-ns/pair\n", n, (b - a) / (double)n,
	       (cb - ca) / (double)n);
	return 0;
}
