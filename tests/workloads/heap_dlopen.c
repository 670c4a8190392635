/*
 * dlopen workload: waits for SIGUSR1 (the test sends it once cprof-bpf says it is
 * profiling), then dlopens argv[1] (build/workloads/libheapdl.so, with its own allocator)
 * and calls, per argv[2]:
 *   main   after 100 ms (the library's allocator probed by then: without probes all of
 *          this takes about 10 ms), dl_retain_blocks() keeps 64 MiB in 64 KiB blocks;
 *          dl_churn() allocates and frees 1 GiB in 4 KiB blocks
 *   early  dl_early(): 4000 allocations of 1 KiB, one every 50 us from dlopen's return
 *          (200 ms), kept: which of them a profile sees tells how soon after dlopen the
 *          library's allocator was probed
 * Prints "dlopen: X us" (the call's own duration).
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "main";
	void **(*retain)(size_t, size_t);
	void (*churn)(size_t, size_t);
	void (*early)(size_t, double, double);
	double t0, t1;
	void *h;

	if (argc < 2) {
		fprintf(stderr, "usage: heap_dlopen LIBRARY [main|early]\n");
		return 2;
	}
	workload_wait_usr1();
	t0 = now_us();
	h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
	t1 = now_us();
	if (!h) {
		fprintf(stderr, "heap_dlopen: %s\n", dlerror());
		return 1;
	}
	printf("dlopen: %.0f us, returned at %.6f s (monotonic)\n", t1 - t0, t1 / 1e6);
	retain = (void **(*)(size_t, size_t))dlsym(h, "dl_retain_blocks");
	churn = (void (*)(size_t, size_t))dlsym(h, "dl_churn");
	early = (void (*)(size_t, double, double))dlsym(h, "dl_early");
	if (!retain || !churn || !early) {
		fprintf(stderr, "heap_dlopen: %s lacks dl_retain_blocks, dl_churn or dl_early\n",
			argv[1]);
		return 1;
	}
	if (!strcmp(mode, "early")) {
		early(4000, t1, 50);
	} else {
		usleep(100000);
		retain(64 << 20, 65536);
		churn(1 << 30, 4096);
	}
	printf("done\n");
	return 0;
}
