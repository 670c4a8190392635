// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The heap profile's operations, its BPF object in the probe mode the kernel accepts, and
 * the sampling math. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "heap.skel.h"
#include "kinds/heap.h"
#include "kinds/kind.h"
#include "report/report.h"
#include "report/stacks.h"
#include "util/hashmap.h"
#include "util/log.h"

double heap__weight(uint64_t size, uint64_t rate)
{
	if (!size || !rate)
		return 1.0;
	return 1.0 / -expm1(-(double)size / (double)rate);
}

void heap__draws(uint64_t *draws, size_t n, uint64_t rate, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		double v = -(double)rate * log1p(-((double)i + 0.5) / (double)n);

		draws[i] = v < 1 ? 1 : (uint64_t)llround(v);
	}
	for (size_t i = n; i > 1; i--) {	/* Fisher-Yates with xorshift64 */
		size_t j;
		uint64_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % i;
		t = draws[i - 1];
		draws[i - 1] = draws[j];
		draws[j] = t;
	}
}

/* In one call: an update per draw was 4096 system calls at every start. */
static int fill_draws(struct heap *h)
{
	uint64_t draws[CPROF_HEAP_DRAWS];
	uint32_t keys[CPROF_HEAP_DRAWS], n = CPROF_HEAP_DRAWS;
	int fd = bpf_map__fd(h->skel->maps.heap_draws);

	heap__draws(draws, CPROF_HEAP_DRAWS, h->rate, (uint64_t)time(NULL) ^ getpid());
	for (uint32_t i = 0; i < CPROF_HEAP_DRAWS; i++)
		keys[i] = i;
	if (bpf_map_update_batch(fd, keys, draws, &n, NULL))
		return -errno;
	return n == CPROF_HEAP_DRAWS ? 0 : -EIO;
}

static const char *const mode_names[] = {
	[MODE_SESSION] = "uprobe sessions",
	[MODE_MULTI_RET] = "uprobe_multi and uretprobe_multi links",
	[MODE_PERF_RET] = "perf-event uprobes and uretprobes",
};

/* Opens and loads the object with the programs of mode. */
static int load(struct heap *h, enum heap_mode mode)
{
	const struct kind_env *env = h->env;
	enum bpf_attach_type ret_type = (enum bpf_attach_type)(mode == MODE_MULTI_RET ?
							       ATTACH_UPROBE_MULTI : 0);
	struct heap_bpf *s;
	int err;

	heap_bpf__destroy(h->skel);
	h->skel = s = heap_bpf__open();
	if (!s) {
		err = -errno;
		log_error("cannot open the heap profile object: %s", strerror(-err));
		return err;
	}
	h->mode = mode;
	h->k.obj = s->obj;
	/* Allocator probes go into given processes only, never host-wide. */
	s->rodata->filter_pids = true;
	s->rodata->max_user_frames = env->opts->max_depth;
	s->rodata->wakeup_bytes = env->wakeup_bytes;
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_probe,
					      (enum bpf_attach_type)ATTACH_UPROBE_SESSION);
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_entry, ret_type);
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_return, ret_type);
	bpf_program__set_autoload(s->progs.cprof_heap_probe, mode == MODE_SESSION);
	bpf_program__set_autoload(s->progs.cprof_heap_entry, mode != MODE_SESSION);
	bpf_program__set_autoload(s->progs.cprof_heap_return, mode != MODE_SESSION);
	if ((err = kind__adopt_maps(s->obj, env)))
		return err;
	if ((err = heap_bpf__load(s)))
		return err;
	if ((err = fill_draws(h)))
		log_error("heap profile: cannot fill heap_draws: %s", strerror(-err));
	return err;
}

int heap__switch_mode(struct heap *h, enum heap_mode mode)
{
	int err = load(h, mode);

	if (err)
		log_error("loading the heap profile programs for %s: %s", mode_names[mode],
			  strerror(-err));
	else
		log_debug("heap profile: using %s", mode_names[mode]);
	h->k.mechanism = mode_names[h->mode];
	return err;
}


static void heap_free(struct kind *k);

static int heap_open(struct kind_env *env, struct kind **out)
{
	struct heap *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->env = env;
	h->rate = env->opts->heap_rate ? env->opts->heap_rate : 1;
	h->live = (struct hashmap)HASHMAP_INIT(struct heap_live);
	h->rec = malloc(CPROF_SAMPLE_MAX_SIZE);
	if (!h->rec) {
		heap_free(&h->k);
		return -ENOMEM;
	}
	*out = &h->k;
	return 0;
}

/* Feature detection by trying: a kernel without uprobe sessions refuses the session
 * program (its kfunc, its attach type); then the return-probe programs. */
static int heap_load(struct kind *k, struct kind_env *env)
{
	struct heap *h = kind_container(k, struct heap);
	int force = env->opts->heap_uretprobes;
	enum heap_mode mode = force == 2 ? MODE_PERF_RET : force ? MODE_MULTI_RET : MODE_SESSION;
	int err = load(h, mode);

	while (err && err != -EPERM && mode < MODE_PERF_RET)
		err = load(h, ++mode);
	if (err)
		return err;	/* the session says why: the last mode, every kernel's, failed */
	log_debug("heap profile: using %s", mode_names[h->mode]);
	k->mechanism = mode_names[h->mode];
	return 0;
}

static int heap_watch(struct kind *k, int pid, const char *exe)
{
	return heap__watch(kind_container(k, struct heap), pid, exe);
}

/* A new image may map another allocator; dlopen may have mapped one. */
static void heap_on_event(struct kind *k, const struct cprof_sample *ev)
{
	struct heap *h = kind_container(k, struct heap);

	if (ev->kind == CPROF_EV_EXEC)
		heap__watch(h, ev->pid, NULL);
	else if (ev->kind == CPROF_EV_DLOPEN)
		heap__rescan(h, ev->pid);
}

static int heap_on_record(struct kind *k, struct kind_env *env, const struct cprof_sample *r)
{
	(void)env;
	return heap__record(kind_container(k, struct heap), r);
}

/* Allocators loaded since (dlopen) that the dlopen hook did not report. */
static void heap_poll(struct kind *k)
{
	heap__poll(kind_container(k, struct heap), 250);
}

static void heap_detach(struct kind *k)
{
	heap__detach(kind_container(k, struct heap));
}

static void heap_free(struct kind *k)
{
	struct heap *h = k ? kind_container(k, struct heap) : NULL;

	if (!h)
		return;
	heap__detach(h);
	heap_bpf__destroy(h->skel);
	heap__free_probes(h);
	hashmap__free(&h->live);
	free(h->rec);
	free(h);
}

/* What was probed where, and the caveats of the run. */
static void heap_summary(struct kind *k, struct kind_env *env, const uint64_t *cnt)
{
	const struct heap *h = kind_container(k, struct heap);

	fprintf(stderr, "  heap: %llu allocations sampled (%llu recorded), %llu of them freed "
		"during the run", (unsigned long long)cnt[CPROF_CNT_HEAP_SAMPLED],
		(unsigned long long)h->allocs, (unsigned long long)h->frees);
	if (cnt[CPROF_CNT_HEAP_NO_STORAGE] || cnt[CPROF_CNT_HEAP_LIVE_FULL])
		fprintf(stderr, "; %llu calls missed (no task storage), %llu frees unmatchable "
			"(live-pointer map full)", (unsigned long long)cnt[CPROF_CNT_HEAP_NO_STORAGE],
			(unsigned long long)cnt[CPROF_CNT_HEAP_LIVE_FULL]);
	fprintf(stderr, "; allocator probes in");
	for (size_t i = 0, n = 0; i < h->n_probed; i++) {
		const struct allocobj *ao = &h->objs[h->probed[i].obj].plan;
		const char *sep = "; single-stepped:";

		if (!h->probed[i].alloc)
			continue;
		fprintf(stderr, "%s %s (pid %d", n++ ? "," : "", h->probed[i].name,
			h->probed[i].pid);
		for (size_t j = 0; j < ao->n; j++)
			if (!ao->probes[j].emulated) {
				fprintf(stderr, "%s %s", sep, ao->probes[j].name);
				sep = ",";
			}
		fputc(')', stderr);
	}
	if (!h->n_probed)
		fprintf(stderr, " none: no process mapped malloc and free");
	fputc('\n', stderr);
	if (h->mode != MODE_SESSION)
		fprintf(stderr, "  heap: uretprobes (%s; %s): each allocation pays a return probe\n",
			env->opts->heap_uretprobes ? "CPROF_HEAP_URETPROBES is set" :
			"no uprobe sessions on this kernel", mode_names[h->mode]);
	if (env->pids_given)
		fprintf(stderr, "  heap: allocations made before cprof-bpf attached are not seen; "
			"inuse_* covers what was allocated during the run and is still held\n");
}

static void heap_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
			int64_t *out)
{
	(void)k;
	(void)value;
	/* [lost samples]: allocations of unknown size. */
	out[0] = (int64_t)count;
	out[1] = out[2] = out[3] = 0;
}

static void heap_stack_values(const struct report_kind *k, const struct stack *s,
			      int64_t *out)
{
	uint64_t size = s->aux, allocs = s->value[0];
	uint64_t inuse = allocs > s->value[1] ? allocs - s->value[1] : 0;
	double w = heap__weight(size, (uint64_t)k->period);

	out[0] = llround(allocs * w);
	out[1] = llround(allocs * w * size);
	out[2] = llround(inuse * w);
	out[3] = llround(inuse * w * size);
}

static size_t heap_labels(const struct stack *s, struct pprof_label *out,
			  char buf[][REPORT_LABEL_LEN])
{
	(void)buf;
	out[0] = (struct pprof_label){ .key = "bytes", .num = (int64_t)s->aux, .num_unit = "bytes" };
	return 1;
}

/* Go's heap profile: alloc_objects, alloc_space, inuse_objects, inuse_space; period type
 * space/bytes, period = rate; label bytes. */
static int heap_report(struct kind *k, struct kind_env *env, const uint64_t *cnt,
		       struct kind_report *out)
{
	static const struct pprof_value_type types[] = {
		{ "alloc_objects", "count" },
		{ "alloc_space", "bytes" },
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};

	(void)k;
	(void)cnt;
	*out = (struct kind_report){ .rk = {
		.kind = CPROF_KIND_HEAP_ALLOC,
		.name = "heap",
		.file = "heap.pb.gz",
		.types = types,
		.n_types = 4,
		.period_type = { "space", "bytes" },
		.period = (int64_t)env->opts->heap_rate,
		.values = heap_values,
		.stack_values = heap_stack_values,
		.labels = heap_labels,
	} };
	return 0;
}

const struct kind_ops heap_kind = {
	.name = "heap",
	.id = CPROF_KIND_HEAP_ALLOC,
	.records = KIND_BIT(CPROF_KIND_HEAP_ALLOC) | KIND_BIT(CPROF_KIND_HEAP_FREE),
	.needs_targets = true,
	.load_fails = "loading its BPF programs failed in every probe mode",
	.attach_fails = "attaching its uprobes failed",
	.open = heap_open,
	.load = heap_load,
	.watch = heap_watch,
	.on_event = heap_on_event,
	.on_record = heap_on_record,
	.poll = heap_poll,
	.detach = heap_detach,
	.report = heap_report,
	.summary = heap_summary,
	.free = heap_free,
};
