// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The aggregation table over a long run: serials that survive evictions, deltas against a
 * snapshot (built into real profiles and read back), the limit on distinct stacks, and the
 * [evicted] sample that keeps released values. No kernel, no processes: stacks without a
 * process table resolve to [unmapped] frames. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "cprof.h"
#include "pprof_read.h"
#include "report/report.h"
#include "report/stacks.h"
#include "kinds/threads.h"

typedef Perftools__Profiles__Profile Profile;

static const struct pprof_value_type cpu_types[] = { { "samples", "count" },
						     { "cpu", "nanoseconds" } };

static void cpu_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
		       int64_t *out)
{
	(void)k;
	(void)value;
	out[0] = (int64_t)count;
	out[1] = (int64_t)count * 10;
}

static const struct report_kind cpu_kind = {
	.kind = CPROF_KIND_CPU,
	.name = "cpu",
	.file = "cpu.pb.gz",
	.types = cpu_types,
	.n_types = 2,
	.period_type = { "cpu", "nanoseconds" },
	.period = 10,
	.values = cpu_values,
};

/* times records of kind of pid's image whose one user frame is at pc, each of value. */
static void add_rec(struct stacks *st, uint32_t kind, uint32_t pid, uint64_t image, uint64_t pc,
		    uint64_t value, int times)
{
	union {
		struct cprof_sample r;
		unsigned char buf[sizeof(struct cprof_sample) + 8];
	} u;

	memset(&u, 0, sizeof(u));
	u.r.kind = kind;
	u.r.pid = pid;
	u.r.image = image;
	u.r.n_user = 1;
	u.r.flags = CPROF_STOP_ROOT;
	u.r.value[0] = value;
	snprintf(u.r.pcomm, sizeof(u.r.pcomm), "p%u", pid);
	u.r.frames[0] = pc;
	for (int i = 0; i < times; i++)
		CHECK(stacks__add(st, &u.r) == 0, "add");
}

/* A CPU record of pid's image whose one user frame is at pc. */
static void add_image(struct stacks *st, uint32_t pid, uint64_t image, uint64_t pc, int times)
{
	add_rec(st, CPROF_KIND_CPU, pid, image, pc, 0, times);
}

static void add(struct stacks *st, uint32_t pid, uint64_t pc, int times)
{
	add_image(st, pid, 0, pc, times);
}

/* Sum of value index vi over samples of p whose leaf is named name (NULL: all). */
static int64_t sum(const Profile *p, const char *name, size_t vi)
{
	int64_t total = 0;

	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const char *leaf = "";

		if (s->n_location_id) {
			const Perftools__Profiles__Location *l = p->location[s->location_id[0] - 1];

			if (l->n_line)
				leaf = pprof_read__str(p, p->function[l->line[0]->function_id - 1]->name);
		}
		if (!name || !strcmp(leaf, name))
			total += s->value[vi];
	}
	return total;
}

static Profile *build(struct stacks *st, const struct report_extra *extra)
{
	struct report *r = report__new(NULL);
	struct report_result res;
	void *buf = NULL;
	size_t len = 0;
	Profile *p = NULL;

	if (r && !report__build(r, &cpu_kind, st, extra, &buf, &len, &res))
		p = pprof_read__buf(buf, len);
	free(buf);
	report__free(r);
	return p;
}

static bool pick_pid(void *ctx, const struct stack *s)
{
	return s->pid == *(const uint32_t *)ctx;
}

TEST(delta_across_eviction)
{
	struct stacks *st = stacks__new(NULL);
	struct stacks_snap snap;
	struct report_extra extra = { 0 };
	uint32_t gone = 2;
	Profile *p;

	REQUIRE(st, "new");
	add(st, 1, 0x1000, 5);
	add(st, 2, 0x2000, 7);
	REQUIRE(stacks__snapshot(st, &snap) == 0, "snapshot");
	add(st, 1, 0x1000, 3);	/* +3 on a stack in the base */
	add(st, 1, 0x3000, 4);	/* a stack new since the base */
	CHECK(stacks__evict(st, pick_pid, &gone) == 1, "one stack of pid 2 evicted");
	CHECK(stacks__count(st) == 2, "%zu stacks left", stacks__count(st));
	add(st, 1, 0x1000, 1);	/* still found after re-indexing: no duplicate */
	CHECK(stacks__count(st) == 2, "re-index keeps the key: %zu stacks", stacks__count(st));
	extra.base = &snap;
	p = build(st, &extra);
	REQUIRE(p, "delta profile");
	CHECK(sum(p, NULL, 0) == 8, "delta %lld records, want 3+1+4", (long long)sum(p, NULL, 0));
	CHECK(p->n_sample == 2, "%zu samples: the evicted stack adds nothing", p->n_sample);
	pprof_read__free(p);
	stacks__snap_free(&snap);
	stacks__free(st);
}

TEST(unchanged_dropped_from_delta)
{
	struct stacks *st = stacks__new(NULL);
	struct stacks_snap snap;
	struct report_extra extra = { 0 };
	Profile *p;

	REQUIRE(st, "new");
	add(st, 1, 0x1000, 5);
	add(st, 1, 0x2000, 5);
	REQUIRE(stacks__snapshot(st, &snap) == 0, "snapshot");
	add(st, 1, 0x2000, 2);
	extra.base = &snap;
	p = build(st, &extra);
	REQUIRE(p, "profile");
	CHECK(p->n_sample == 1 && sum(p, NULL, 0) == 2, "%zu samples, %lld records", p->n_sample,
	      (long long)sum(p, NULL, 0));
	pprof_read__free(p);
	stacks__snap_free(&snap);
	stacks__free(st);
}

TEST(evicted_sample_and_filters)
{
	struct stacks *st = stacks__new(NULL);
	int64_t evicted[2] = { 6, 60 };
	struct report_extra extra = { .evicted = evicted, .evicted_records = 6 };
	Profile *p;

	REQUIRE(st, "new");
	add(st, 1, 0x1000, 5);
	add(st, 2, 0x1000, 3);
	p = build(st, &extra);
	REQUIRE(p, "profile");
	CHECK(sum(p, "[evicted]", 1) == 60 && sum(p, NULL, 0) == 14, "[evicted] %lld, all %lld",
	      (long long)sum(p, "[evicted]", 1), (long long)sum(p, NULL, 0));
	for (size_t i = 0; i < p->n_location; i++)
		CHECK(p->location[i]->address != 0, "location %zu at address 0", i);
	pprof_read__free(p);
	extra = (struct report_extra){ .pid = 2 };
	p = build(st, &extra);
	REQUIRE(p, "pid profile");
	CHECK(sum(p, NULL, 0) == 3, "pid 2: %lld records", (long long)sum(p, NULL, 0));
	pprof_read__free(p);
	extra = (struct report_extra){ .comm = "p1" };
	p = build(st, &extra);
	REQUIRE(p, "comm profile");
	CHECK(sum(p, NULL, 0) == 5, "comm p1: %lld records", (long long)sum(p, NULL, 0));
	pprof_read__free(p);
	stacks__free(st);
}

TEST(limit_overflows_to_one_stack)
{
	struct stacks *st = stacks__new(NULL);
	Profile *p;

	REQUIRE(st, "new");
	stacks__set_limit(st, 3);
	for (uint64_t pc = 0x1000; pc < 0x1000 + 10 * 16; pc += 16)
		add(st, 1, pc, 2);
	CHECK(stacks__count(st) == 4, "%zu stacks: 3 and the overflow one", stacks__count(st));
	CHECK(stacks__overflowed(st) == 14, "%llu overflowed records",
	      (unsigned long long)stacks__overflowed(st));
	add(st, 1, 0x1000, 1);	/* a known stack still aggregates as itself */
	CHECK(stacks__overflowed(st) == 14, "known stack overflowed");
	p = build(st, NULL);
	REQUIRE(p, "profile");
	CHECK(sum(p, "[stack table full]", 0) == 14 && sum(p, NULL, 0) == 21,
	      "[stack table full] %lld of %lld", (long long)sum(p, "[stack table full]", 0),
	      (long long)sum(p, NULL, 0));
	pprof_read__free(p);
	stacks__free(st);
}

TEST(add_values_by_serial)
{
	struct stacks *st = stacks__new(NULL);
	union {
		struct cprof_sample r;
		unsigned char buf[sizeof(struct cprof_sample) + 8];
	} u;
	uint64_t a, b;
	uint32_t gone = 1;

	REQUIRE(st, "new");
	memset(&u, 0, sizeof(u));
	u.r.kind = CPROF_KIND_CPU;
	u.r.pid = 1;
	REQUIRE(stacks__add_index(st, &u.r, &a) == 0, "add a");
	u.r.pid = 2;
	REQUIRE(stacks__add_index(st, &u.r, &b) == 0, "add b");
	CHECK(a != b, "distinct serials");
	stacks__evict(st, pick_pid, &gone);
	stacks__add_values(st, b, 7, 9);	/* moved to position 0 */
	stacks__add_values(st, a, 100, 100);	/* evicted: nothing */
	CHECK(stacks__count(st) == 1 && stacks__get(st, 0)->value[0] == 7 &&
	      stacks__get(st, 0)->value[1] == 9, "values of b after the eviction");
	stacks__free(st);
}

/* The same frames in two images of one process (before and after an exec) are two stacks:
 * each is placed in its own image's maps. */
TEST(images_apart)
{
	struct stacks *st = stacks__new(NULL);

	REQUIRE(st, "new");
	add_image(st, 1, 0x7ffd00001000, 0x401000, 2);
	add_image(st, 1, 0x7ffe00002000, 0x401000, 1);
	CHECK(stacks__count(st) == 2 && stacks__get(st, 0)->count == 2 &&
	      stacks__get(st, 1)->image == 0x7ffe00002000, "%zu stacks", stacks__count(st));
	stacks__free(st);
}

/* n thread records (one snapshot's thread each) of a threads-kind stack at pc. */
static void add_threads(struct stacks *st, uint64_t pc, int n)
{
	add_rec(st, CPROF_KIND_THREADS, 7, 0, pc, 1, n);
}

/* threads/count per sample, in the profile's sample order (that of the stacks' serials). */
static size_t thread_counts(struct stacks *st, uint64_t snapshots, int64_t *out, size_t max,
			    int64_t *exact)
{
	struct threads_avg avg = { .snapshots = &snapshots };
	struct report *r = report__new(NULL);
	struct report_result res;
	struct report_kind rk;
	void *buf = NULL;
	size_t len = 0, n = 0;
	Profile *p = NULL;

	threads__report_kind(&rk, &avg);
	if (r && !report__build(r, &rk, st, NULL, &buf, &len, &res))
		p = pprof_read__buf(buf, len);
	*exact = 0;
	for (size_t i = 0; p && i < p->n_sample && n < max; i++) {
		out[n++] = p->sample[i]->value[1];
		*exact += p->sample[i]->value[0];
	}
	free(buf);
	report__free(r);
	threads_avg__free(&avg);
	if (p)
		pprof_read__free(p);
	return n;
}

/* threads/count, an average over the snapshots, is apportioned by largest remainder: the
 * profile's total is the average thread count rounded, and its fractions go to the stacks
 * with the largest ones (ties: the older). Rounding each on its own gave 0 to six stacks
 * each seen in one of 3 snapshots (2 threads on average), and 3 to three stacks seen in one
 * of 2 (1.5). */
TEST(threads_apportioned)
{
	struct stacks *st = stacks__new(NULL);
	int64_t v[8], exact;
	size_t n;

	REQUIRE(st, "new");
	for (int i = 0; i < 6; i++)
		add_threads(st, 0x1000 + 0x100 * (uint64_t)i, 1);
	n = thread_counts(st, 3, v, 8, &exact);
	REQUIRE(n == 6, "%zu samples", n);
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 0 && v[3] == 0 && v[4] == 0 && v[5] == 0,
	      "threads/count %lld %lld %lld %lld %lld %lld, want 1 1 0 0 0 0", (long long)v[0],
	      (long long)v[1], (long long)v[2], (long long)v[3], (long long)v[4], (long long)v[5]);
	CHECK(exact == 6, "thread_snapshots/count %lld, want 6", (long long)exact);
	/* Again: what the first profile tallied is not carried over. */
	n = thread_counts(st, 3, v, 8, &exact);
	CHECK(n == 6 && v[0] + v[1] + v[2] + v[3] + v[4] + v[5] == 2, "again: total %lld",
	      (long long)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5]));
	stacks__free(st);

	st = stacks__new(NULL);
	REQUIRE(st, "new");
	add_threads(st, 0x1000, 1);
	add_threads(st, 0x2000, 1);
	add_threads(st, 0x3000, 1);
	n = thread_counts(st, 2, v, 8, &exact);
	REQUIRE(n == 3, "%zu samples", n);
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 0, "threads/count %lld %lld %lld, want 1 1 0",
	      (long long)v[0], (long long)v[1], (long long)v[2]);
	/* Whole averages stay as they are; the fractions decide the rest: 1.25, 0.75, 0.5 of
	 * 2.5 → 3: 1, 1, 1. */
	stacks__free(st);
	st = stacks__new(NULL);
	REQUIRE(st, "new");
	add_threads(st, 0x1000, 5);
	add_threads(st, 0x2000, 3);
	add_threads(st, 0x3000, 2);
	add_threads(st, 0x4000, 8);
	n = thread_counts(st, 4, v, 8, &exact);
	REQUIRE(n == 4, "%zu samples", n);
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 2,
	      "threads/count %lld %lld %lld %lld, want 1 1 1 2", (long long)v[0], (long long)v[1],
	      (long long)v[2], (long long)v[3]);
	CHECK(exact == 18, "thread_snapshots/count %lld, want 18", (long long)exact);
	/* One snapshot (a served one): no fractions at all, the counts as they are. */
	n = thread_counts(st, 1, v, 8, &exact);
	CHECK(n == 4 && v[0] == 5 && v[1] == 3 && v[2] == 2 && v[3] == 8,
	      "one snapshot: %lld %lld %lld %lld, want 5 3 2 8", (long long)v[0], (long long)v[1],
	      (long long)v[2], (long long)v[3]);
	stacks__free(st);
}

int main(void)
{
	check__suite = "stacks";
	check__run("delta_across_eviction", delta_across_eviction);
	check__run("unchanged_dropped_from_delta", unchanged_dropped_from_delta);
	check__run("evicted_sample_and_filters", evicted_sample_and_filters);
	check__run("limit_overflows_to_one_stack", limit_overflows_to_one_stack);
	check__run("add_values_by_serial", add_values_by_serial);
	check__run("images_apart", images_apart);
	check__run("threads_apportioned", threads_apportioned);
	return check__any_failed;
}
