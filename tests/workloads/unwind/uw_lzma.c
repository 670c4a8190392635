/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * uw_lzma [SECS]: compresses a 256 KiB buffer with Debian's liblzma (-llzma, stripped,
 * without frame pointers) in a loop for SECS seconds (default 2), starting at once: its
 * first samples after the dynamic loader mapped liblzma and libc are in their code.
 *
 * Ground truth: every sample inside liblzma has the user stack
 *   (liblzma frames); compress_round; main; __libc_start_call_main; __libc_start_main; _start
 * with lzma_easy_buffer_encode, the function called, among the liblzma frames.
 */
#include <lzma.h>
#include <string.h>

#include "uw.h"

#define UW_LZMA_IN (256 << 10)

static uint8_t in[UW_LZMA_IN], out[UW_LZMA_IN + (UW_LZMA_IN >> 2)];

UW_FN size_t compress_round(uint32_t preset)
{
	size_t n = 0;
	lzma_ret ret = lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC32, NULL, in, sizeof(in),
					       out, &n, sizeof(out));

	UW_KEEP(n);
	if (ret != LZMA_OK) {
		fprintf(stderr, "uw_lzma: lzma_easy_buffer_encode: error %d\n", (int)ret);
		exit(1);
	}
	return n;
}

int main(int argc, char **argv)
{
	double end = workload_now() + workload_arg(argc, argv, 1, 2);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t total = 0;
	long rounds = 0;

	/* Text-like input: compressible, but not trivially (a few symbols, random order). */
	for (size_t i = 0; i < sizeof(in); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		in[i] = (uint8_t)("etaoin shrdlu\n"[x % 14]);
	}
	do {
		total += compress_round(1);
		rounds++;
	} while (workload_now() < end);
	printf("uw_lzma: %ld rounds, %zu bytes out\n", rounds, total);
	return 0;
}
