/*
 * Heap workload with a known heap profile. Modes (argv[1]):
 *   main     retain_blocks() keeps 64 MiB in 64 KiB blocks; churn() allocates and frees
 *            1 GiB in 4 KiB blocks.
 *   kinds    calloc_blocks() 16 MiB via calloc(1, 16 KiB); realloc_chain() grows 64 buffers
 *            to 256 KiB each by doubling realloc (kept); memalign_blocks() 16 MiB via
 *            posix_memalign(64, 32 KiB) (kept).
 *   threads  4 threads at once, each: thread_retain() keeps 16 MiB in 64 KiB blocks, then
 *            thread_churn() allocates and frees 256 MiB in 4 KiB blocks (64 MiB and 1 GiB in
 *            all), so allocations of several threads interleave on each CPU.
 * With argv[2] "wait", waits for SIGUSR1 before starting (workload_wait_usr1), so that a
 * profiler attached with -p sees every allocation.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define MIB (1024 * 1024)

static void *volatile sink;

void **retain_blocks(size_t total, size_t block)
{
	size_t n = total / block;
	void **v = calloc(n, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i] = malloc(block);
		memset(v[i], 1, 64);
	}
	return v;
}

void churn(size_t total, size_t block)
{
	for (size_t i = 0; i < total / block; i++) {
		char *p = malloc(block);

		p[0] = 1;
		sink = p;
		free(p);
	}
}

void **calloc_blocks(size_t total, size_t block)
{
	size_t n = total / block;
	void **v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = calloc(1, block);
	return v;
}

void **realloc_chain(size_t n, size_t final)
{
	void **v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		char *p = NULL;

		for (size_t sz = 1024; sz <= final; sz *= 2) {
			p = realloc(p, sz);
			p[sz - 1] = 1;
		}
		v[i] = p;
	}
	return v;
}

void **memalign_blocks(size_t total, size_t block)
{
	size_t n = total / block;
	void **v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++)
		if (posix_memalign(&v[i], 64, block))
			v[i] = NULL;
	return v;
}

__attribute__((noinline)) void **thread_retain(size_t total, size_t block)
{
	return retain_blocks(total, block);
}

__attribute__((noinline)) void thread_churn(size_t total, size_t block)
{
	churn(total, block);
}

static void *thread_main(void *arg __attribute__((unused)))
{
	void **kept = thread_retain(16 * MIB, 65536);

	thread_churn(256 * MIB, 4096);
	return kept;
}

static void threads(void)
{
	pthread_t t[4];
	void *kept;

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL)) {
			perror("heap: pthread_create");
			exit(1);
		}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &kept);
		sink = kept;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "main";

	if (argc > 2 && !strcmp(argv[2], "wait"))
		workload_wait_usr1();
	if (!strcmp(mode, "kinds")) {
		sink = calloc_blocks(16 * MIB, 16384);
		sink = realloc_chain(64, 256 * 1024);
		sink = memalign_blocks(16 * MIB, 32768);
	} else if (!strcmp(mode, "threads")) {
		threads();
	} else if (!strcmp(mode, "main")) {
		sink = retain_blocks(64 * MIB, 65536);
		churn(1024 * MIB, 4096);
	} else {
		fprintf(stderr, "heap: unknown mode '%s'\n", mode);
		return 2;
	}
	printf("done\n");
	return 0;
}
