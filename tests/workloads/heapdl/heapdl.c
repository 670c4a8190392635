/*
 * libheapdl.so, loaded by heap_dlopen with dlopen(RTLD_DEEPBIND) after profiling started:
 * it brings its own allocator (mimalloc, a dependency it pulls in; RTLD_DEEPBIND binds its
 * malloc and free there rather than to the program's libc), so its allocations are seen
 * only once cprof-bpf has found and probed the newly mapped allocator.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *volatile sink;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* n allocations of 1 KiB (kept), the i-th at t0 + i * step microseconds. */
void dl_early(size_t n, double t0, double step)
{
	for (size_t i = 0; i < n; i++) {
		while (now_us() < t0 + (double)i * step)
			;
		sink = malloc(1024);
	}
}

void **dl_retain_blocks(size_t total, size_t block)
{
	size_t n = total / block;
	void **v = malloc(n * sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i] = malloc(block);
		memset(v[i], 1, 64);
	}
	return v;
}

void dl_churn(size_t total, size_t block)
{
	for (size_t i = 0; i < total / block; i++) {
		char *p = malloc(block);

		p[0] = 1;
		sink = p;
		free(p);
	}
}
