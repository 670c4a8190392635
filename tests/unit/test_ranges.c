// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Nested address ranges swept into disjoint segments (user/symbols/ranges.c), the way
 * dwarfidx uses them for a unit's functions and inlined calls: innermost wins, ranges that
 * stick out of their parent are clipped, equal ranges keep the first in DIE order, and
 * touching segments of one range merge. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "symbols/ranges.h"
#include "util/util.h"

struct want {
	uint64_t lo, hi;
	uint32_t id;
};

static void check_segs(const struct seg *segs, size_t n, const struct want *w, size_t nw)
{
	CHECK(n == nw, "%zu segments, want %zu", n, nw);
	for (size_t i = 0; i < n && i < nw; i++)
		CHECK(segs[i].lo == w[i].lo && segs[i].hi == w[i].hi && segs[i].id == w[i].id,
		      "segment %zu: [%#llx, %#llx) -> %u, want [%#llx, %#llx) -> %u", i,
		      (unsigned long long)segs[i].lo, (unsigned long long)segs[i].hi, segs[i].id,
		      (unsigned long long)w[i].lo, (unsigned long long)w[i].hi, w[i].id);
}

/* A function with an inlined call holding another, added out of order. */
TEST(test_nested)
{
	static const struct want w[] = {
		{ 0x100, 0x140, 0 }, { 0x140, 0x150, 1 }, { 0x150, 0x160, 2 },
		{ 0x160, 0x180, 1 }, { 0x180, 0x200, 0 },
	};
	struct ranges rs = { 0 };
	struct seg *segs;
	size_t n;

	REQUIRE(!ranges__add(&rs, 0x150, 0x160, 2, 2) && !ranges__add(&rs, 0x100, 0x200, 0, 0) &&
		!ranges__add(&rs, 0x140, 0x180, 1, 1), "add");
	REQUIRE(!ranges__sweep(&rs, &segs, &n), "sweep");
	check_segs(segs, n, w, ARRAY_SIZE(w));
	CHECK(!seg__find(segs, n, 0xff), "below the first segment");
	CHECK(seg__find(segs, n, 0x100) == &segs[0], "at the first start");
	CHECK(seg__find(segs, n, 0x15f) == &segs[2], "in the innermost");
	CHECK(seg__find(segs, n, 0x1ff) == &segs[4], "at the last byte");
	CHECK(!seg__find(segs, n, 0x200), "at the end");
	free(segs);
	ranges__free(&rs);
}

/* A child sticking out of its parent is clipped to it; of equal ranges the lower id (the
 * first in DIE order) wins whatever the order they were added in; adjacent ranges of one id
 * merge; gaps stay gaps. */
TEST(test_clip_alias_merge)
{
	static const struct want w[] = {
		{ 0x100, 0x1f0, 0 }, { 0x1f0, 0x200, 1 },
		{ 0x300, 0x320, 5 },
		{ 0x400, 0x420, 7 },
	};
	struct ranges rs = { 0 };
	struct seg *segs;
	size_t n;

	REQUIRE(!ranges__add(&rs, 0x100, 0x200, 0, 0) && !ranges__add(&rs, 0x1f0, 0x250, 1, 1) &&
		!ranges__add(&rs, 0x300, 0x320, 6, 0) && !ranges__add(&rs, 0x300, 0x320, 5, 0) &&
		!ranges__add(&rs, 0x400, 0x410, 7, 0) && !ranges__add(&rs, 0x410, 0x420, 7, 0),
		"add");
	REQUIRE(!ranges__sweep(&rs, &segs, &n), "sweep");
	check_segs(segs, n, w, ARRAY_SIZE(w));
	CHECK(!seg__find(segs, n, 0x250), "in a gap");
	free(segs);
	ranges__free(&rs);
}

TEST(test_empty)
{
	struct ranges rs = { 0 };
	struct seg *segs = (struct seg *)1;
	size_t n = 1;

	CHECK(!ranges__sweep(&rs, &segs, &n) && !segs && !n, "no ranges, no segments");
	CHECK(!seg__find(NULL, 0, 0x100), "lookup in nothing");
}

int main(void)
{
	CHECK_SUITE("ranges");
	RUN(test_nested);
	RUN(test_clip_alias_merge);
	RUN(test_empty);
	return CHECK_EXIT();
}
