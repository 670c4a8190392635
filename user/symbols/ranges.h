/* Address ranges that nest (DWARF's units, functions and inlined calls) swept into
 * disjoint segments, each naming its innermost range: one binary search then answers
 * "which innermost scope holds this address". */
#ifndef CPROF_RANGES_H
#define CPROF_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "util/search.h"

/* Beyond any real unit: bounds what hostile DWARF can make us allocate. */
#define RANGES_MAX (1u << 24)

struct drange {
	uint64_t lo, hi;
	uint32_t id;		/* node (or unit) index */
	uint32_t depth;		/* DIE depth: at one start address the outer comes first */
};

/* The ranges collected so far; zero-initialized is empty. */
struct ranges {
	struct drange *v;
	size_t n, cap;
};

/* [lo, hi) whose innermost range is id. */
struct seg {
	uint64_t lo, hi;
	uint32_t id;
};

/* Adds [lo, hi) as id's, at DIE depth depth. Returns 0, -E2BIG past RANGES_MAX, -ENOMEM. */
int ranges__add(struct ranges *rs, uint64_t lo, uint64_t hi, uint32_t id, uint32_t depth);
void ranges__free(struct ranges *rs);

/* Sweeps the ranges (sorted in place) into a malloc'ed array of disjoint segments sorted by
 * address. A range that sticks out of the one it starts in is clipped to it (DWARF nests
 * scopes; broken producers or hostile files may not). Returns 0 or -ENOMEM. */
int ranges__sweep(struct ranges *rs, struct seg **out, size_t *n_out);

#define SEG_LO(s) ((s)->lo)

/* The segment covering addr, or NULL. */
static inline const struct seg *seg__find(const struct seg *segs, size_t n, uint64_t addr)
{
	size_t i = UPPER_BOUND(segs, n, SEG_LO, addr);

	return i && addr < segs[i - 1].hi ? &segs[i - 1] : NULL;
}

#endif
