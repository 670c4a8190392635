// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shared utilities every module builds on (user/util/): the hash table against a plain
 * array under random inserts and removals, the growable arrays, the binary searches against
 * a linear scan, the pair-keyed id map. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "util/hashmap.h"
#include "util/extents.h"
#include "util/idmap.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

struct kv {
	uint64_t key, val;
};

static bool kv_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return ((const struct kv *)entry)->key == *(const uint64_t *)key;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Keys from a small range, so that inserts hit existing keys and removals find them; the
 * hash is deliberately weak (key & 7 clusters) in half the rounds to exercise long probes
 * and backward shifts across the table's end. */
static void hashmap_round(bool weak)
{
	enum { RANGE = 2000, OPS = 200000 };
	static uint64_t ref[RANGE];	/* 0: absent, else value */
	struct hashmap m = HASHMAP_INIT(struct kv);
	size_t present = 0, bad = 0;

	memset(ref, 0, sizeof(ref));
	for (int op = 0; op < OPS; op++) {
		uint64_t key = next_rand() % RANGE, h = weak ? key & 7 : hash__u64(key);
		struct kv *e = hashmap__find(&m, h, &key, kv_eq, NULL);
		bool added;

		if ((e != NULL) != (ref[key] != 0) || (e && e->val != ref[key]))
			bad++;
		if (next_rand() % 3) {
			e = hashmap__insert(&m, h, &key, kv_eq, NULL, &added);
			if (!e) {
				bad++;
				break;
			}
			present += added;
			e->key = key;
			e->val = ref[key] = next_rand() | 1;
		} else if (e) {
			hashmap__remove(&m, e);
			ref[key] = 0;
			present--;
		}
	}
	CHECK(bad == 0, "%zu lookups disagreed with the reference", bad);
	CHECK(hashmap__count(&m) == present, "count %zu, expected %zu", hashmap__count(&m),
	      present);
	size_t it = 0, seen = 0;
	for (struct kv *e; (e = hashmap__next(&m, &it)); seen++)
		CHECK(ref[e->key] == e->val, "key %llu: %llu vs %llu", (unsigned long long)e->key,
		      (unsigned long long)e->val, (unsigned long long)ref[e->key]);
	CHECK(seen == present, "iterated %zu of %zu", seen, present);
	hashmap__free(&m);
}

TEST(hashmap_random_ops)
{
	hashmap_round(false);
	hashmap_round(true);
}

TEST(hashmap_strings)
{
	CHECK(hash__str("libc.so.6") == hash__bytes("libc.so.6", 9), "str and bytes differ");
	CHECK(hash__str("a") != hash__str("b"), "trivial collision");
	CHECK(hash__add(0, 1) != hash__add(1, 0), "hash__add is symmetric");
}

TEST(vec_grow)
{
	uint32_t *v = NULL;
	size_t n = 0, cap = 0;

	for (uint32_t i = 0; i < 100000; i++)
		REQUIRE(VEC_PUSH(v, n, cap, i) == 0, "push %u", i);
	CHECK(n == 100000 && cap >= n && cap < 2 * n + 16, "n %zu cap %zu", n, cap);
	for (uint32_t i = 0; i < n; i++)
		if (v[i] != i) {
			CHECK(0, "v[%u] = %u", i, v[i]);
			break;
		}
	CHECK(VEC_GROW(v, cap, SIZE_MAX / 2) == -ENOMEM, "overflow not refused");
	CHECK(v[99999] == 99999 && n == 100000, "array changed by a refused grow");
	free(v);
}

struct range {
	uint64_t start;
};

#define RANGE_START(r) ((r)->start)

static int cmp_u64(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = ((const struct range *)elem)->start;

	return CMP3(a, b);
}

TEST(search_bounds)
{
	struct range r[64];
	size_t bad = 0;

	for (size_t n = 0; n <= ARRAY_SIZE(r); n++) {
		for (size_t i = 0; i < n; i++)
			r[i].start = 10 * (i / 2);	/* duplicates */
		for (uint64_t key = 0; key < 10 * n / 2 + 12; key++) {
			size_t lo = 0, up = 0;

			while (lo < n && r[lo].start < key)
				lo++;
			while (up < n && r[up].start <= key)
				up++;
			bad += LOWER_BOUND(r, n, RANGE_START, key) != lo;
			bad += UPPER_BOUND(r, n, RANGE_START, key) != up;
			bad += search__lower(r, n, sizeof(r[0]), &key, cmp_u64) != lo;
			bad += search__upper(r, n, sizeof(r[0]), &key, cmp_u64) != up;
		}
	}
	CHECK(bad == 0, "%zu bounds disagreed with a linear scan", bad);
}

/* Pairs that differ in one half only, (0, 0) included; set replaces. */
TEST(idmap_pairs)
{
	struct idmap *m = idmap__new();
	uint64_t v = 0;
	size_t bad = 0;

	REQUIRE(m, "idmap__new failed");
	for (uint64_t a = 0; a < 300; a++)
		for (uint64_t b = 0; b < 3; b++)
			bad += idmap__set(m, a, b, a * 10 + b) != 0;
	bad += idmap__set(m, 7, 1, 4242) != 0;
	for (uint64_t a = 0; a < 300; a++)
		for (uint64_t b = 0; b < 3; b++)
			bad += !idmap__get(m, a, b, &v) || v != (a == 7 && b == 1 ? 4242 : a * 10 + b);
	CHECK(bad == 0, "%zu lookups disagreed", bad);
	CHECK(!idmap__get(m, 300, 0, &v) && !idmap__get(m, 0, 3, &v), "absent pair found");
	CHECK(idmap__count(m) == 900, "count %zu, want 900", idmap__count(m));
	for (uint64_t a = 0; a < 300; a += 2)
		idmap__remove(m, a, 1);
	idmap__remove(m, 300, 1);	/* absent: nothing happens */
	bad = 0;
	for (uint64_t a = 0; a < 300; a++)
		for (uint64_t b = 0; b < 3; b++)
			bad += idmap__get(m, a, b, &v) != !(b == 1 && a % 2 == 0);
	CHECK(bad == 0, "%zu pairs present or absent against their removal", bad);
	CHECK(idmap__count(m) == 750, "count %zu after 150 removals, want 750", idmap__count(m));
	idmap__free(m);
}

/* Ranges handed out first fit, given back merged with their neighbours; the top comes back
 * when what reaches it does; a full array says so; the count of used elements holds. */
TEST(extents_reuse)
{
	struct extents x;
	uint32_t a = 0, b = 0, c = 0, d = 0, e = 0;

	extents__init(&x, 100);
	CHECK(!extents__alloc(&x, 10, &a) && !extents__alloc(&x, 20, &b) &&
	      !extents__alloc(&x, 30, &c) && a == 0 && b == 10 && c == 30,
	      "bump: %u %u %u, want 0 10 30", a, b, c);
	CHECK(extents__alloc(&x, 41, &d) == -ENOSPC, "41 of 40 left given");
	CHECK(!extents__alloc(&x, 0, &d) && d == 0 && x.used == 60, "n 0: %u, used %llu", d,
	      (unsigned long long)x.used);
	CHECK(!extents__free(&x, b, 20) && x.n_free == 1 && x.used == 40, "free b: %zu ranges",
	      x.n_free);
	CHECK(!extents__alloc(&x, 5, &d) && d == 10, "first fit into b's range: %u, want 10", d);
	CHECK(!extents__alloc(&x, 15, &e) && e == 15 && x.n_free == 0,
	      "the rest of b's range: %u, want 15 (%zu free ranges left)", e, x.n_free);
	/* Free a, then d between a and e: one range 0..20 merged. */
	CHECK(!extents__free(&x, a, 10) && !extents__free(&x, d, 5) && x.n_free == 1 &&
	      x.free[0].start == 0 && x.free[0].n == 15, "merged: %zu ranges, first %u+%u",
	      x.n_free, x.free[0].start, x.free[0].n);
	CHECK(!extents__free(&x, e, 15) && x.n_free == 1 && x.free[0].n == 30,
	      "merged with the next: %u", x.free[0].n);
	/* c reaches the top: giving it back takes everything below back to the top. */
	CHECK(!extents__free(&x, c, 30) && x.n_free == 0 && x.top == 0 && x.used == 0,
	      "all back: %zu ranges, top %u, used %llu", x.n_free, x.top,
	      (unsigned long long)x.used);
	CHECK(!extents__alloc(&x, 100, &a) && a == 0, "the whole array again: %u", a);
	extents__fini(&x);
}

/* Many objects coming and going in random sizes never leak a range: at the end, with all
 * given back, the array is whole again and every allocation on the way was disjoint. */
TEST(extents_random_churn)
{
	enum { LIMIT = 5000, LIVE = 40 };
	static uint8_t owner[LIMIT];
	struct extents x;
	struct extent live[LIVE] = { 0 };
	size_t overlaps = 0, full = 0;
	unsigned int seed = 7;

	extents__init(&x, LIMIT);
	memset(owner, 0, sizeof(owner));
	for (int round = 0; round < 20000; round++) {
		size_t i = (size_t)rand_r(&seed) % LIVE;
		uint32_t n = 1 + (uint32_t)rand_r(&seed) % 200, start;

		if (live[i].n) {
			for (uint32_t k = 0; k < live[i].n; k++)
				owner[live[i].start + k] = 0;
			extents__free(&x, live[i].start, live[i].n);
			live[i].n = 0;
			continue;
		}
		if (extents__alloc(&x, n, &start)) {
			full++;
			continue;
		}
		for (uint32_t k = 0; k < n; k++)
			overlaps += owner[start + k]++ != 0;
		live[i] = (struct extent){ start, n };
	}
	for (size_t i = 0; i < LIVE; i++)
		extents__free(&x, live[i].start, live[i].n);
	CHECK(overlaps == 0, "%zu elements handed out twice", overlaps);
	CHECK(x.used == 0 && x.top == 0 && x.n_free == 0,
	      "after all came back: used %llu, top %u, %zu free ranges",
	      (unsigned long long)x.used, x.top, x.n_free);
	CHECK(full < 20000 / 10, "%zu allocations refused of 20000 (40 x <= 200 of 5000)", full);
	extents__fini(&x);
}

int main(void)
{
	check__suite = "util";
	check__run("hashmap_random_ops", hashmap_random_ops);
	check__run("hashmap_strings", hashmap_strings);
	check__run("vec_grow", vec_grow);
	check__run("search_bounds", search_bounds);
	check__run("idmap_pairs", idmap_pairs);
	check__run("extents_reuse", extents_reuse);
	check__run("extents_random_churn", extents_random_churn);
	return check__any_failed;
}
