/* Where the symbolizer harnesses look addresses up: a lookup costs the same wherever it
 * falls, and most of the text they cover holds no code of a given input (its code is at
 * one of two bases, or its tables are broken), so a grid of 16-byte steps over all of it
 * spent most of its lookups where nothing was. */
#ifndef FUZZ_SCAN_H
#define FUZZ_SCAN_H

#include <stdbool.h>
#include <stdint.h>

/* Calls look(ctx, addr), which says whether something covers addr, across [base, base +
 * len) every 64 bytes, and every 16 bytes between two of those where either found
 * something. */
static inline void fuzz_scan(bool (*look)(void *ctx, uint64_t addr), void *ctx, uint64_t base,
			     uint64_t len)
{
	bool prev = look(ctx, base), hit;

	for (uint64_t a = 64; a <= len; a += 64, prev = hit) {
		hit = a < len && look(ctx, base + a);
		for (uint64_t f = a - 48; (prev || hit) && f < a; f += 16)
			look(ctx, base + f);
	}
}

#endif
