/* Hand-built profiles for the profile model's and the text views' tests: a pprof_builder
 * profile with known recursion, inlining and labels, and raw protobuf-c profiles that are
 * broken on purpose. */
#ifndef PMODEL_UTIL_H
#define PMODEL_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pmodel.h"
#include "pprof.h"
#include "pprof_read.h"

static const struct pprof_value_type pmu_cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};

static const struct pprof_opts pmu_cpu_opts = {
	.sample_types = pmu_cpu_types,
	.n_sample_types = 2,
	.period_type = { "cpu", "nanoseconds" },
	.period = 10000000,
	.duration_nanos = 3000000000LL,
	.default_sample_type = "cpu",
};

static const struct pprof_mapping pmu_demo_map = {
	.memory_start = 0x400000,
	.memory_limit = 0x500000,
	.filename = "/usr/bin/demo",
	.has_functions = true,
	.has_filenames = true,
	.has_line_numbers = true,
	.has_inline_frames = true,
};

/* Locations of the demo profile, by name. */
struct pmu_locs {
	uint64_t main, rec, hot;	/* hot: inl_leaf inlined into outer_fn */
};

static inline int pmu_demo_locs(struct pprof_builder *b, struct pmu_locs *l)
{
	struct pprof_line main_l[] = { { "main", NULL, "demo.c", 1, 30 } };
	struct pprof_line rec_l[] = { { "rec", NULL, "demo.c", 35, 40 } };
	/* innermost first: inl_leaf (line 10) inlined into outer_fn (line 20) */
	struct pprof_line hot_l[] = { { "inl_leaf", NULL, "demo.c", 9, 10 },
				      { "outer_fn", NULL, "demo.c", 18, 20 } };
	uint64_t m = pprof_builder__mapping(b, &pmu_demo_map);

	l->main = pprof_builder__location(b, m, 0x401000, main_l, 1);
	l->rec = pprof_builder__location(b, m, 0x402000, rec_l, 1);
	l->hot = pprof_builder__location(b, m, 0x403000, hot_l, 2);
	return m && l->main && l->rec && l->hot ? 0 : -ENOMEM;
}

/* The demo profile, scaled by `scale`:
 *   A: main → rec → rec → outer_fn → inl_leaf   1 sample, 10ms  pid 42 comm demo thread worker
 *   B: main → rec                               2 samples, 20ms pid 43 comm demo
 *   C: main                                     1 sample, 5ms   no labels
 * Flat: inl_leaf 10ms, rec 20ms, main 5ms; cum: main 35, rec 30 (once per sample), outer_fn
 * 10, inl_leaf 10; total 35ms. */
static inline int pmu_demo_encode(int64_t scale, void **buf, size_t *len)
{
	struct pprof_builder *b = pprof_builder__new(&pmu_cpu_opts);
	struct pprof_label la[] = { { "pid", NULL, 42, NULL }, { "comm", "demo", 0, NULL },
				    { "thread", "worker", 0, NULL } };
	struct pprof_label lb[] = { { "pid", NULL, 43, NULL }, { "comm", "demo", 0, NULL } };
	struct pmu_locs l;
	int64_t va[] = { 1 * scale, 10000000 * scale }, vb[] = { 2 * scale, 20000000 * scale };
	int64_t vc[] = { 1 * scale, 5000000 * scale };
	int err;

	if (!b)
		return -errno;
	err = pmu_demo_locs(b, &l);
	if (!err) {
		uint64_t sa[] = { l.hot, l.rec, l.rec, l.main }, sb[] = { l.rec, l.main };

		err = pprof_builder__add_sample(b, sa, 4, va, la, 3);
		err = err ?: pprof_builder__add_sample(b, sb, 2, vb, lb, 2);
		err = err ?: pprof_builder__add_sample(b, &l.main, 1, vc, NULL, 0);
	}
	err = err ?: pprof_builder__encode(b, buf, len);
	pprof_builder__free(b);
	return err;
}

static inline int pmu_demo_model(int64_t scale, struct pmodel **pm)
{
	void *buf = NULL;
	size_t len = 0;
	int err = pmu_demo_encode(scale, &buf, &len);

	err = err ?: pmodel__read_buf(buf, len, pm);
	free(buf);
	return err;
}

#endif
