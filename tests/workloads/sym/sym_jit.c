/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sym_jit [SECS]: a tiny JIT. Copies two machine-code loops into an anonymous executable
 * mapping, announces them in /tmp/perf-PID.map as jit_spin_a and jit_spin_b (as Node's
 * --perf-basic-prof, JVM agents or LuaJIT do), then for SECS seconds (default 2) runs
 * them, a:b = 2:1, and burns as long again in its own c_spin. Only the perf map names the
 * JIT code; c_spin and main are named by the binary's (separate) debuginfo. The map is
 * left behind (whoever runs it removes it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* mov %rdi,%rax; 1: dec %rax; jnz 1b; ret */
static const unsigned char spin_code[] = { 0x48, 0x89, 0xf8, 0x48, 0xff, 0xc8, 0x75, 0xfb, 0xc3 };
#define SPIN_B_OFFSET 64

static volatile uint64_t sink;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

__attribute__((noinline)) void c_spin(uint64_t n)
{
	uint64_t x = sink | 1;

	__asm__ volatile("" : : "r"(__builtin_frame_address(0)));
	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	sink = x;
}

static int write_map(const unsigned char *code)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%lx %zx jit_spin_a\n", (unsigned long)code, sizeof(spin_code));
	fprintf(f, "%lx %zx jit_spin_b\n", (unsigned long)(code + SPIN_B_OFFSET),
		sizeof(spin_code));
	return fclose(f);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2, t0 = now();
	unsigned char *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void (*spin_a)(uint64_t), (*spin_b)(uint64_t);
	char path[64];

	if (code == MAP_FAILED)
		return 1;
	memcpy(code, spin_code, sizeof(spin_code));
	memcpy(code + SPIN_B_OFFSET, spin_code, sizeof(spin_code));
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC) || write_map(code))
		return 1;
	spin_a = (void (*)(uint64_t))code;
	spin_b = (void (*)(uint64_t))(code + SPIN_B_OFFSET);
	/*
	 * Rounds of ~50 ms, several sampling periods each: a round of a few ms at a fixed
	 * length beats against a 99 Hz timer and skews the a:b share from run to run.
	 */
	while (now() - t0 < secs) {
		spin_a(40000000);
		spin_b(20000000);
		c_spin(18000000);
	}
	/* The map stays, as JITs leave it, for profilers that read it after the exit. */
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", getpid());
	printf("sym_jit: done, %s left behind\n", path);
	return 0;
}
