// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profile model (encoder/pmodel.c): stacks root first with inlined frames expanded, kinds,
 * labels, filters, pprof's units, and the inputs it must refuse without crashing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pmodel_util.h"

typedef Perftools__Profiles__Profile Profile;

/* The frame names of sample s, root first, joined by ';'. */
static const char *stack_str(const struct pmodel *pm, size_t s, char *buf, size_t size)
{
	const struct pm_sample *ps = &pm->samples[s];
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < ps->depth && at < size; i++) {
		const struct pm_frame *f = &pm->frames[pm->stack_frames[ps->first + i]];

		at += snprintf(buf + at, size - at, "%s%s:%u", i ? ";" : "",
			       pm->funcs[f->func].name, f->line);
	}
	return buf;
}

static int frame_kind(const struct pmodel *pm, const char *name)
{
	size_t i;

	for (i = 0; i < pm->n_frames; i++)
		if (!strcmp(pm->funcs[pm->frames[i].func].name, name))
			return pm->frames[i].kind;
	return -1;
}

TEST(stacks_root_first)
{
	struct pmodel *pm = NULL;
	char buf[512];
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(pm->n_samples == 3, "%zu samples", pm->n_samples);
	CHECK(!strcmp(stack_str(pm, 0, buf, sizeof(buf)),
		      "main:30;rec:40;rec:40;outer_fn:20;inl_leaf:10"), "A: %s", buf);
	CHECK(!strcmp(stack_str(pm, 1, buf, sizeof(buf)), "main:30;rec:40"), "B: %s", buf);
	CHECK(!strcmp(stack_str(pm, 2, buf, sizeof(buf)), "main:30"), "C: %s", buf);
	CHECK(pm->n_funcs == 4, "%zu funcs (deduplicated)", pm->n_funcs);
	CHECK(pm->n_frames == 4, "%zu frames (deduplicated)", pm->n_frames);
	CHECK(pm->n_stack_frames == 8, "%zu stack frames", pm->n_stack_frames);
	CHECK(frame_kind(pm, "inl_leaf") == PM_INLINED, "inl_leaf %d", frame_kind(pm, "inl_leaf"));
	CHECK(frame_kind(pm, "outer_fn") == PM_NATIVE, "outer_fn %d", frame_kind(pm, "outer_fn"));
	CHECK(!strcmp(pm->funcs[0].module, "demo") && !strcmp(pm->funcs[0].file, "demo.c"),
	      "module %s file %s", pm->funcs[0].module, pm->funcs[0].file);
	CHECK(pmodel__value(pm, 0, 1) == 10000000 && pmodel__value(pm, 1, 0) == 2, "values");
	CHECK(pm->n_types == 2 && pm->default_type == 1, "types %zu default %zu", pm->n_types,
	      pm->default_type);
	CHECK(pm->period == 10000000 && !strcmp(pm->period_type, "cpu"), "period");
	CHECK(pm->duration_nanos == 3000000000LL, "duration");
	pmodel__free(pm);
}

TEST(labels_and_filter)
{
	struct pmodel *pm = NULL;
	int64_t pids[] = { 43 }, both[] = { 42, 43 };
	struct pm_filter f43 = { pids, 1, NULL }, fboth = { both, 2, NULL };
	struct pm_filter fdemo = { NULL, 0, "demo" }, fnone = { NULL, 0, "nosuch" };
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(pm->n_procs == 3 && pm->n_threads == 2, "%zu procs %zu threads", pm->n_procs,
		pm->n_threads);
	CHECK(!strcmp(pm->procs[0], "") && !strcmp(pm->threads[0], ""), "index 0 is none");
	CHECK(!strcmp(pm->procs[pm->samples[0].proc], "demo (42)"), "%s",
	      pm->procs[pm->samples[0].proc]);
	CHECK(!strcmp(pm->procs[pm->samples[1].proc], "demo (43)"), "B proc");
	CHECK(pm->samples[2].proc == 0 && pm->samples[2].pid == 0, "C has no labels");
	CHECK(!strcmp(pm->threads[pm->samples[0].thread], "worker"), "thread");
	CHECK(pm->samples[1].thread == 0, "B has no thread");
	CHECK(!pmodel__sample_passes(pm, 0, &f43) && pmodel__sample_passes(pm, 1, &f43) &&
	      !pmodel__sample_passes(pm, 2, &f43), "pid 43");
	CHECK(pmodel__sample_passes(pm, 0, &fboth) && pmodel__sample_passes(pm, 1, &fboth),
	      "pids 42,43");
	CHECK(pmodel__sample_passes(pm, 0, &fdemo) && !pmodel__sample_passes(pm, 2, &fdemo),
	      "comm demo");
	CHECK(!pmodel__sample_passes(pm, 1, &fnone), "comm nosuch");
	CHECK(pmodel__sample_passes(pm, 2, NULL), "no filter");
	pmodel__free(pm);
}

TEST(types_and_units)
{
	struct pmodel *pm = NULL;
	char buf[64];
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	CHECK(pmodel__type_index(pm, NULL) == 1 && pmodel__type_index(pm, "") == 1, "default");
	CHECK(pmodel__type_index(pm, "samples") == 0, "by name");
	CHECK(pmodel__type_index(pm, "0") == 0 && pmodel__type_index(pm, "1") == 1, "by number");
	CHECK(pmodel__type_index(pm, "2") == -ENOENT && pmodel__type_index(pm, "x") == -ENOENT &&
	      pmodel__type_index(pm, "-1") == -ENOENT, "none");
	pmodel__format_value(pm, 1, 10000000, buf, sizeof(buf));
	CHECK(!strcmp(buf, "10ms"), "%s", buf);
	pmodel__format_value(pm, 1, 1234567890, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1.23s"), "%s", buf);
	pmodel__format_value(pm, 1, -1500, buf, sizeof(buf));
	CHECK(!strcmp(buf, "-1.50us"), "%s", buf);
	pmodel__format_value(pm, 1, 0, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0"), "%s", buf);
	pmodel__format_value(pm, 0, 1234, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1234"), "%s", buf);
	/* pprof -top: smallest 10ms, total 1.5s → in seconds, 0.01s */
	err = pmodel__table_unit(pm, 1, 10000000, 1500000000);
	pmodel__format_in(pm, 1, 10000000, err, buf, sizeof(buf));
	CHECK(!strcmp(buf, "0.01s"), "%s", buf);
	/* smallest 1ms, total 1.5s: 1ms*100 < 1.5s, so milliseconds */
	err = pmodel__table_unit(pm, 1, 1000000, 1500000000);
	pmodel__format_in(pm, 1, 1500000000, err, buf, sizeof(buf));
	CHECK(!strcmp(buf, "1500ms"), "%s", buf);
	CHECK(pmodel__table_unit(pm, 0, 1, 100) == -1, "counts have no unit");
	pmodel__format_in(pm, 0, 100, -1, buf, sizeof(buf));
	CHECK(!strcmp(buf, "100"), "%s", buf);
	pmodel__free(pm);
}

/* One location of each kind, each its own one-frame sample. */
TEST(frame_kinds)
{
	struct pprof_builder *b = pprof_builder__new(&pmu_cpu_opts);
	struct pprof_mapping kmap = { .filename = "[kernel.kallsyms]" };
	struct pprof_mapping jmap = { .memory_start = 0x7000, .memory_limit = 0x8000,
				      .filename = "[anon]" };
	struct pprof_line kl[] = { { "do_syscall_64", NULL, NULL, 0, 0 } };
	struct pprof_line jl[] = { { "jit_fn", NULL, NULL, 0, 0 } };
	struct pprof_line gl[] = { { "main.work", NULL, "/src/main.go", 10, 12 } };
	struct pprof_line tl[] = { { "[truncated]", NULL, NULL, 0, 0 } };
	struct pprof_line ul[] = { { "[unmapped]+0x10", NULL, NULL, 0, 0 } };
	uint64_t m, km, jm, locs[7];
	int64_t v[] = { 1, 1 };
	struct pmodel *pm = NULL;
	void *buf = NULL;
	size_t len = 0, i;
	int err;

	REQUIRE(b, "new");
	m = pprof_builder__mapping(b, &pmu_demo_map);
	km = pprof_builder__mapping(b, &kmap);
	jm = pprof_builder__mapping(b, &jmap);
	locs[0] = pprof_builder__location(b, km, 0xffffffff81000000, kl, 1);
	locs[1] = pprof_builder__location(b, jm, 0x7010, jl, 1);
	locs[2] = pprof_builder__location(b, m, 0x404000, gl, 1);
	locs[3] = pprof_builder__location(b, 0, 0, tl, 1);
	locs[4] = pprof_builder__location(b, 0, 0x10, ul, 1);
	locs[5] = pprof_builder__location(b, m, 0x401234, NULL, 0);
	locs[6] = pprof_builder__location(b, 0, 0x1234, NULL, 0);
	for (i = 0, err = 0; i < 7 && !err; i++)
		err = pprof_builder__add_sample(b, &locs[i], 1, v, NULL, 0);
	err = err ?: pprof_builder__encode(b, &buf, &len);
	pprof_builder__free(b);
	REQUIRE(err == 0, "build: %d", err);
	err = pmodel__read_buf(buf, len, &pm);
	free(buf);
	REQUIRE(err == 0, "read: %s", strerror(-err));
	CHECK(frame_kind(pm, "do_syscall_64") == PM_KERNEL, "kernel");
	CHECK(frame_kind(pm, "jit_fn") == PM_JIT, "jit");
	CHECK(frame_kind(pm, "main.work") == PM_GO, "go");
	CHECK(frame_kind(pm, "[truncated]") == PM_SYNTHETIC, "synthetic");
	CHECK(frame_kind(pm, "[unmapped]+0x10") == PM_NATIVE, "unmapped is native unknown");
	CHECK(frame_kind(pm, "demo+0x401234") == PM_NATIVE, "unsymbolized in a module");
	CHECK(frame_kind(pm, "0x1234") == PM_NATIVE, "unsymbolized, no mapping");
	CHECK(pm->n_samples == 7 && pm->n_stack_frames == 7, "one frame each");
	pmodel__free(pm);
}

/* A minimal valid raw profile (one type, function, location, sample) to break on purpose. */
struct raw {
	Profile p;
	char *strs[5];
	Perftools__Profiles__ValueType vt, *vts[1];
	Perftools__Profiles__Function fn, *fns[1];
	Perftools__Profiles__Line ln, *lns[1];
	Perftools__Profiles__Location loc, *locs[1];
	Perftools__Profiles__Sample s, *ss[1];
	uint64_t sl[1];
	int64_t sv[2];
};

static void raw_init(struct raw *r)
{
	static char *strs[] = { "", "samples", "count", "f", "f.c" };

	memset(r, 0, sizeof(*r));
	perftools__profiles__profile__init(&r->p);
	perftools__profiles__value_type__init(&r->vt);
	perftools__profiles__function__init(&r->fn);
	perftools__profiles__line__init(&r->ln);
	perftools__profiles__location__init(&r->loc);
	perftools__profiles__sample__init(&r->s);
	memcpy(r->strs, strs, sizeof(strs));
	r->p.string_table = r->strs, r->p.n_string_table = 5;
	r->vt.type = 1, r->vt.unit = 2;
	r->vts[0] = &r->vt, r->p.sample_type = r->vts, r->p.n_sample_type = 1;
	r->fn.id = 1, r->fn.name = 3, r->fn.filename = 4;
	r->fns[0] = &r->fn, r->p.function = r->fns, r->p.n_function = 1;
	r->ln.function_id = 1, r->ln.line = 7;
	r->lns[0] = &r->ln, r->loc.line = r->lns, r->loc.n_line = 1, r->loc.id = 1;
	r->locs[0] = &r->loc, r->p.location = r->locs, r->p.n_location = 1;
	r->sl[0] = 1, r->sv[0] = 5;
	r->s.location_id = r->sl, r->s.n_location_id = 1, r->s.value = r->sv, r->s.n_value = 1;
	r->ss[0] = &r->s, r->p.sample = r->ss, r->p.n_sample = 1;
}

static int raw_read(const Profile *p, struct pmodel **pm)
{
	size_t len = perftools__profiles__profile__get_packed_size(p);
	uint8_t *buf = malloc(len + 1);
	int err;

	if (!buf)
		return -ENOMEM;
	perftools__profiles__profile__pack(p, buf);
	*pm = NULL;
	err = pmodel__read_buf(buf, len, pm);
	free(buf);
	return err;
}

#define EXPECT_READ(r, want, what)                                                         \
	do {                                                                               \
		struct pmodel *pm_ = NULL;                                                 \
		int e_ = raw_read(&(r)->p, &pm_);                                          \
		CHECK(e_ == (want), "%s: got %d (%s), want %d", what, e_, strerror(-e_),   \
		      want);                                                               \
		CHECK(!e_ == !!pm_, "%s: model iff success", what);                        \
		pmodel__free(pm_);                                                         \
	} while (0)

TEST(invalid_inputs)
{
	struct pmodel *pm = NULL;
	struct raw r;

	raw_init(&r);
	EXPECT_READ(&r, 0, "the valid base");
	raw_init(&r), r.sl[0] = 99;
	EXPECT_READ(&r, -EINVAL, "sample names no location");
	raw_init(&r), r.ln.function_id = 5;
	EXPECT_READ(&r, -EINVAL, "line names no function");
	raw_init(&r), r.loc.mapping_id = 3;
	EXPECT_READ(&r, -EINVAL, "location names no mapping");
	raw_init(&r), r.fn.name = 77;
	EXPECT_READ(&r, -EINVAL, "function name past the string table");
	raw_init(&r), r.vt.unit = -1;
	EXPECT_READ(&r, -EINVAL, "negative string index");
	raw_init(&r), r.s.n_value = 2;
	EXPECT_READ(&r, -EINVAL, "two values for one type");
	raw_init(&r), r.loc.id = 0, r.sl[0] = 0;
	EXPECT_READ(&r, -EINVAL, "location id 0");
	raw_init(&r), r.loc.id = 1ULL << 60, r.sl[0] = 1ULL << 60;
	EXPECT_READ(&r, 0, "a sparse id");
	CHECK(pmodel__read_buf("garbage!", 8, &pm) == -EINVAL && !pm, "garbage");
	CHECK(pmodel__read_buf("\x1f\x8b\x08\x00", 4, &pm) == -EINVAL, "truncated gzip");
	CHECK(pmodel__read_file("/nonexistent/x.pb.gz", &pm) == -ENOENT, "missing file");
}

TEST(duplicate_ids)
{
	Perftools__Profiles__Location loc2;
	Perftools__Profiles__Location *locs[2];
	struct raw r;

	raw_init(&r);
	loc2 = r.loc;
	locs[0] = &r.loc, locs[1] = &loc2;
	r.p.location = locs, r.p.n_location = 2;
	EXPECT_READ(&r, -EINVAL, "two locations with id 1");
	loc2.id = 2;
	EXPECT_READ(&r, 0, "ids 1 and 2");
}

/* A location of 2048 Lines named 70000 times expands to 143M frames: refused, not allocated. */
TEST(expansion_cap)
{
	size_t n_lines = 2048, n_samples = 70000, i;
	Perftools__Profiles__Line **lns = calloc(n_lines, sizeof(*lns));
	Perftools__Profiles__Sample **ss = calloc(n_samples, sizeof(*ss));
	struct raw r;

	REQUIRE(lns && ss, "calloc");
	raw_init(&r);
	for (i = 0; i < n_lines; i++)
		lns[i] = &r.ln;
	for (i = 0; i < n_samples; i++)
		ss[i] = &r.s;
	r.loc.line = lns, r.loc.n_line = n_lines;
	r.p.sample = ss, r.p.n_sample = n_samples;
	EXPECT_READ(&r, -EFBIG, "143M frames");
	r.p.n_sample = 1000;
	EXPECT_READ(&r, 0, "2M frames");
	free(lns);
	free(ss);
}

/* 100k distinct 30-deep stacks over 3000 functions: read well under a second. */
TEST(read_speed)
{
	struct pprof_builder *b = pprof_builder__new(&pmu_cpu_opts);
	uint64_t m, locs[3000], stack[30];
	struct pprof_line ln = { NULL, NULL, "big.c", 1, 1 };
	struct timespec t0, t1;
	struct pmodel *pm = NULL;
	char name[32];
	int64_t v[] = { 1, 10000000 };
	uint64_t x = 88172645463325252ULL;
	void *buf = NULL;
	size_t len = 0, i, j;
	double secs, t;
	int err = 0;

	REQUIRE(b, "new");
	m = pprof_builder__mapping(b, &pmu_demo_map);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "fn_%zu", i);
		ln.name = name, ln.line = i;
		locs[i] = pprof_builder__location(b, m, 0x401000 + i * 16, &ln, 1);
	}
	for (i = 0; i < 100000 && !err; i++) {
		for (j = 0; j < 30; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			stack[j] = locs[x % 3000];
		}
		err = pprof_builder__add_sample(b, stack, 30, v, NULL, 0);
	}
	err = err ?: pprof_builder__encode(b, &buf, &len);
	pprof_builder__free(b);
	REQUIRE(err == 0, "build: %d", err);
	/* the best of three: the machine is shared, and one slow run says little */
	for (i = 0, secs = 1e9; i < 3 && !err; i++) {
		pmodel__free(pm);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = pmodel__read_buf(buf, len, &pm);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		t = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		secs = t < secs ? t : secs;
	}
	free(buf);
	REQUIRE(err == 0, "read: %s", strerror(-err));
	printf("    100k samples x 30 frames read in %.3fs\n", secs);
	CHECK(pm->n_samples == 100000 && pm->n_stack_frames == 3000000, "%zu frames",
	      pm->n_stack_frames);
	CHECK(pm->n_funcs == 3000, "%zu funcs", pm->n_funcs);
	CHECK(secs < 1.0, "%.3fs", secs);
	pmodel__free(pm);
}

int main(void)
{
	CHECK_SUITE("pmodel");
	RUN(stacks_root_first);
	RUN(labels_and_filter);
	RUN(types_and_units);
	RUN(frame_kinds);
	RUN(invalid_inputs);
	RUN(duplicate_ids);
	RUN(expansion_cap);
	RUN(read_speed);
	return CHECK_EXIT();
}
