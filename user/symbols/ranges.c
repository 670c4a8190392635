// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See ranges.h. */
#include <errno.h>
#include <stdlib.h>

#include "symbols/ranges.h"
#include "util/util.h"
#include "util/vec.h"

int ranges__add(struct ranges *rs, uint64_t lo, uint64_t hi, uint32_t id, uint32_t depth)
{
	if (rs->n >= RANGES_MAX)
		return -E2BIG;
	return VEC_PUSH(rs->v, rs->n, rs->cap, ((struct drange){ lo, hi, id, depth }));
}

void ranges__free(struct ranges *rs)
{
	free(rs->v);
	*rs = (struct ranges){ 0 };
}

static int drange_cmp(const void *pa, const void *pb)
{
	const struct drange *a = pa, *b = pb;

	if (a->lo != b->lo)
		return CMP3(a->lo, b->lo);
	if (a->depth != b->depth)
		return CMP3(a->depth, b->depth);
	if (a->hi != b->hi)
		return CMP3(b->hi, a->hi);
	/* Equal ranges (the assembler's aliases of one function): the sweep lets the later
	 * one win, and the first in DIE order should, as in dwarf_getscopes. */
	return CMP3(b->id, a->id);
}

/* Appends [lo, hi) → id, merged with the previous segment when they touch. */
static void segs__emit(struct seg *segs, size_t *n, uint64_t lo, uint64_t hi, uint32_t id)
{
	if (lo >= hi)
		return;
	if (*n && segs[*n - 1].id == id && segs[*n - 1].hi == lo) {
		segs[*n - 1].hi = hi;
		return;
	}
	segs[(*n)++] = (struct seg){ lo, hi, id };
}

/* A stack of the ranges that hold the current address; there are at most 2n - 1 segments. */
int ranges__sweep(struct ranges *rs, struct seg **out, size_t *n_out)
{
	struct drange *stack = NULL;
	struct seg *segs = NULL;
	size_t i, sp = 0, n = 0;
	uint64_t cur = 0;
	int err = 0;

	*out = NULL;
	*n_out = 0;
	if (!rs->n)
		goto out;
	qsort(rs->v, rs->n, sizeof(*rs->v), drange_cmp);
	stack = malloc(rs->n * sizeof(*stack));
	segs = malloc((2 * rs->n) * sizeof(*segs));
	if (!stack || !segs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rs->n; i++) {
		struct drange r = rs->v[i];

		while (sp && stack[sp - 1].hi <= r.lo) {
			segs__emit(segs, &n, cur, stack[sp - 1].hi, stack[sp - 1].id);
			if (stack[sp - 1].hi > cur)
				cur = stack[sp - 1].hi;
			sp--;
		}
		if (sp)
			segs__emit(segs, &n, cur, r.lo, stack[sp - 1].id);
		cur = r.lo;
		if (sp && r.hi > stack[sp - 1].hi)
			r.hi = stack[sp - 1].hi;
		if (r.hi > r.lo)
			stack[sp++] = r;
	}
	for (; sp; sp--) {
		segs__emit(segs, &n, cur, stack[sp - 1].hi, stack[sp - 1].id);
		if (stack[sp - 1].hi > cur)
			cur = stack[sp - 1].hi;
	}
	*out = segs;
	*n_out = n;
	segs = NULL;
out:
	free(stack);
	free(segs);
	return err;
}
