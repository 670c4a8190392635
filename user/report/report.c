// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cprof.h"
#include "util/idmap.h"
#include "proc/cgroup.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/topfns.h"
#include "symbols/kallsyms.h"
#include "symbols/symbolizer.h"
#include "util/util.h"
#include "util/vec.h"

struct report {
	struct symbolizer *sym;
	char kernel_build_id[41];
	/* Per write: */
	struct pprof_builder *b;
	struct idmap *locs;	/* (mapping id, address) → location id */
	struct idmap *maps;	/* (entry pointer, 0) → mapping id */
	uint64_t kernel_mapping;
	struct topfns *fns;	/* the summary's top functions */
};

struct report *report__new(struct symbolizer *sym)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sym = sym;
	kallsyms__build_id(r->kernel_build_id, sizeof(r->kernel_build_id));
	return r;
}

static void reset(struct report *r)
{
	pprof_builder__free(r->b);
	idmap__free(r->locs);
	idmap__free(r->maps);
	topfns__free(r->fns);
	r->b = NULL;
	r->locs = r->maps = NULL;
	r->fns = NULL;
	r->kernel_mapping = 0;
}

void report__free(struct report *r)
{
	if (!r)
		return;
	reset(r);
	free(r);
}

/* Records the location's functions (inlined ones too) for the summary. */
static int note_location(struct report *r, uint64_t id, const struct pprof_line *lines,
			 size_t n)
{
	const char *names[SYM_MAX_FRAMES];

	n = MIN(n, ARRAY_SIZE(names));
	for (size_t i = 0; i < n; i++)
		names[i] = lines[i].name;
	return topfns__location(r->fns, id, names, n);
}

static uint64_t add_location(struct report *r, uint64_t mapping, uint64_t addr,
			     const struct pprof_line *lines, size_t n)
{
	uint64_t id = pprof_builder__location(r->b, mapping, addr, lines, n);

	if (!id || note_location(r, id, lines, n) || idmap__set(r->locs, mapping, addr, id))
		return 0;
	return id;
}

/* A location with one synthetic function, e.g. "[lost samples]" or "libfoo.so+0x1234". */
static uint64_t synthetic_location(struct report *r, uint64_t mapping, uint64_t addr,
				   const char *name)
{
	struct pprof_line line = { .name = name };
	uint64_t id;

	if (idmap__get(r->locs, mapping, addr, &id))
		return id;
	return add_location(r, mapping, addr, &line, 1);
}

static uint64_t symbolized_location(struct report *r, uint64_t mapping, uint64_t addr,
				    const struct sym_result *res)
{
	struct pprof_line lines[SYM_MAX_FRAMES];

	for (size_t i = 0; i < res->n; i++)
		lines[i] = (struct pprof_line){
			.name = res->frames[i].name,
			.system_name = res->frames[i].system_name,
			.filename = res->frames[i].file,
			.line = res->frames[i].line,
			.start_line = res->frames[i].start_line,
		};
	return add_location(r, mapping, addr, lines, res->n);
}

static uint64_t kernel_location(struct report *r, uint64_t addr)
{
	struct sym_result res;
	const char *module = "";
	char name[256];
	uint64_t id;

	if (!r->kernel_mapping) {
		struct pprof_mapping m = {
			.memory_start = 0xffffffff80000000ULL,
			.memory_limit = UINT64_MAX,
			.filename = "[kernel.kallsyms]",
			.build_id = r->kernel_build_id[0] ? r->kernel_build_id : NULL,
			.has_functions = true,
		};
		r->kernel_mapping = pprof_builder__mapping(r->b, &m);
	}
	if (idmap__get(r->locs, r->kernel_mapping, addr, &id))
		return id;
	if (symbolizer__resolve_kernel(r->sym, addr, &res, &module) || !res.n) {
		snprintf(name, sizeof(name), "[kernel]+0x%" PRIx64, addr);
		return synthetic_location(r, r->kernel_mapping, addr, name);
	}
	if (module && module[0]) {
		/* Module functions carry the module name, as perf shows them. */
		snprintf(name, sizeof(name), "%s [%s]", res.frames[0].name, module);
		res.frames[0].name = name;
	}
	return symbolized_location(r, r->kernel_mapping, addr, &res);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static uint64_t user_mapping(struct report *r, const struct procmaps_entry *e)
{
	struct sym_object_info info = { 0 };
	struct pprof_mapping m;
	uint64_t id;

	if (idmap__get(r->maps, (uintptr_t)e, 0, &id))
		return id;
	if (e->obj && e->obj->is_elf)
		symbolizer__object_info(r->sym, e->obj, &info);
	m = (struct pprof_mapping){
		.memory_start = e->start,
		.memory_limit = e->end,
		.file_offset = e->offset,
		.filename = e->path[0] ? e->path : "[anon]",
		.build_id = e->obj && e->obj->build_id[0] ? e->obj->build_id : NULL,
		.has_functions = info.has_functions,
		.has_filenames = info.has_filenames,
		.has_line_numbers = info.has_line_numbers,
		.has_inline_frames = info.has_inline_frames,
	};
	id = pprof_builder__mapping(r->b, &m);
	if (id && idmap__set(r->maps, (uintptr_t)e, 0, id))
		return 0;
	return id;
}

/* pc: the address to look up (already adjusted for return addresses) in process pid. */
static uint64_t user_location(struct report *r, int pid, const struct procmaps_entry *e,
			      uint64_t pc)
{
	uint64_t mapping, id, off, vaddr;
	struct sym_result res;
	char name[256];

	if (!e) {
		snprintf(name, sizeof(name), "[unmapped]+0x%" PRIx64, pc);
		return synthetic_location(r, 0, pc, name);
	}
	mapping = user_mapping(r, e);
	if (!mapping)
		return 0;
	if (idmap__get(r->locs, mapping, pc, &id))
		return id;
	off = pc - e->start + e->offset;
	if (e->obj && e->obj->is_elf && !object__file_offset_to_vaddr(e->obj, off, &vaddr) &&
	    !symbolizer__resolve(r->sym, e->obj, vaddr, &res) && res.n)
		return symbolized_location(r, mapping, pc, &res);
	/* Code without an ELF file behind it: a JIT's, named by its perf map if it has one. */
	if (!(e->obj && e->obj->is_elf) && !symbolizer__resolve_perfmap(r->sym, pid, pc, &res))
		return symbolized_location(r, mapping, pc, &res);
	snprintf(name, sizeof(name), "%s+0x%" PRIx64, e->path[0] ? base_name(e->path) : "[anon]",
		 off);
	return synthetic_location(r, mapping, pc, name);
}

/* The address to symbolize for frame i of s: return addresses point after the call, so
 * every frame but the interrupted one is looked up at address - 1. The first user frame is
 * exact unless the task entered the kernel by a syscall (then it is the next instruction). */
static uint64_t frame_pc(const struct stack *s, size_t i)
{
	uint64_t a = s->frames[i];

	if (i == 0 || (i == s->n_kernel && (s->flags & CPROF_SF_PC_EXACT)))
		return a;
	return a ? a - 1 : a;
}

/* Complete: the unwinder reached a thread root (or there is no user stack). A frame-pointer
 * chain that ends (rbp == 0) is not one: every root has a table row saying so, and code
 * without frame pointers leaves rbp 0 as often as not. */
static bool stack_complete(const struct stack *s)
{
	uint32_t stop = s->flags & CPROF_SF_STOP_MASK;

	return stop == CPROF_STOP_ROOT || stop == CPROF_STOP_NO_REGS;
}

/* The object where s stopped short: that of its last frame inside a known mapping. */
static const char *trunc_object(const struct stack *s)
{
	for (size_t i = s->n_user; i > 0; i--)
		if (s->maps[i - 1])
			return s->maps[i - 1]->path[0] ? s->maps[i - 1]->path : "[anon]";
	return s->n_user ? "[unmapped]" : "[no user frames]";
}

static void count_trunc(struct report_result *res, const struct stack *s, uint32_t stop)
{
	const char *obj = trunc_object(s);
	size_t i;

	for (i = 0; i < res->n_trunc; i++)
		if (res->trunc[i].stop == stop && !strncmp(res->trunc[i].object, obj,
							   sizeof(res->trunc[i].object) - 1))
			break;
	if (i == res->n_trunc) {
		if (i == REPORT_TRUNC)
			return;
		res->n_trunc++;
		res->trunc[i] = (struct report_trunc){ .stop = stop };
		snprintf(res->trunc[i].object, sizeof(res->trunc[i].object), "%s", obj);
	}
	res->trunc[i].count += s->count;
}

static void count_proc(struct report_result *res, const struct stack *s, bool complete)
{
	bool fp = s->flags & CPROF_SF_FP_FALLBACK;
	size_t i;

	for (i = 0; i < res->n_procs && res->procs[i].pid != s->pid; i++)
		;
	if (i == res->n_procs) {
		if (i == REPORT_PROCS)
			return;
		res->n_procs++;
		res->procs[i] = (struct report_proc){ .pid = s->pid };
		memcpy(res->procs[i].comm, s->comm, sizeof(res->procs[i].comm));
	}
	res->procs[i].records += s->count;
	if (complete)
		res->procs[i].complete += s->count;
	if (fp)
		res->procs[i].fp_fallback += s->count;
}

/* The labels of the process and thread: pid, comm, thread, and where known cgroup and
 * container_id (strings the proctab keeps for the whole run). Returns how many. */
static size_t proc_labels(const struct stack *s, struct pprof_label *out)
{
	size_t n = 0;

	out[n++] = (struct pprof_label){ .key = "pid", .num = s->pid };
	out[n++] = (struct pprof_label){ .key = "comm", .str = s->comm };
	out[n++] = (struct pprof_label){ .key = "thread", .str = s->thread };
	if (s->cgroup) {
		out[n++] = (struct pprof_label){ .key = "cgroup", .str = s->cgroup->path };
		if (s->cgroup->container_id)
			out[n++] = (struct pprof_label){ .key = "container_id",
							 .str = s->cgroup->container_id };
	}
	return n;
}

static int add_stack(struct report *r, const struct report_kind *k, const struct stack *s,
		     struct report_result *res)
{
	uint64_t ids[CPROF_SAMPLE_MAX_FRAMES + 1];
	size_t n = 0, total = (size_t)s->n_kernel + s->n_user, n_labels;
	int64_t vals[8] = { 0 };
	char buf[REPORT_EXTRA_LABELS][REPORT_LABEL_LEN];
	struct pprof_label labels[REPORT_PROC_LABELS + REPORT_EXTRA_LABELS];
	uint32_t stop = s->flags & CPROF_SF_STOP_MASK;

	for (size_t i = 0; i < total && n < CPROF_SAMPLE_MAX_FRAMES; i++) {
		uint64_t pc = frame_pc(s, i);

		ids[n] = i < s->n_kernel ? kernel_location(r, pc)
					 : user_location(r, (int)s->pid, s->maps[i - s->n_kernel], pc);
		if (!ids[n])
			return -ENOMEM;
		n++;
	}
	if (s->flags & STACK_OVERFLOW) {
		/* Records whose stacks came past the table's limit: counted, not drawn. */
		ids[n] = synthetic_location(r, 0, REPORT_ADDR_OVERFLOW, "[stack table full]");
		if (!ids[n++])
			return -ENOMEM;
	} else if (!stack_complete(s)) {
		/* A stack that did not reach its root says so at its root end. */
		ids[n] = synthetic_location(r, 0, REPORT_ADDR_TRUNCATED, "[truncated]");
		if (!ids[n++])
			return -ENOMEM;
		res->truncated += s->count;
		count_trunc(res, s, stop);
	}
	count_proc(res, s, stack_complete(s));
	if (s->flags & CPROF_SF_FP_FALLBACK)
		res->fp_fallback += s->count;
	if (stop < 32)
		res->stops[stop] += s->count;
	report__stack_values(k, s, vals);
	res->total += vals[k->n_types - 1];
	res->records += s->count;
	topfns__sample(r->fns, ids, n, vals[k->n_types - 1]);
	n_labels = proc_labels(s, labels);
	if (k->labels_ctx)
		n_labels += k->labels_ctx(k->ctx, s, labels + n_labels, buf);
	else if (k->labels)
		n_labels += k->labels(s, labels + n_labels, buf);
	return pprof_builder__add_sample(r->b, ids, n, vals, labels, n_labels);
}

void report__stack_values(const struct report_kind *k, const struct stack *s, int64_t *out)
{
	if (k->stack_values)
		k->stack_values(k, s, out);
	else
		k->values(k, s->count, s->value, out);
}

/* What was evicted from the table, as one sample. */
static int add_evicted(struct report *r, const struct report_kind *k, const int64_t *vals,
		       uint64_t records, struct report_result *res)
{
	int64_t v[8] = { 0 };
	bool any = false;
	uint64_t id;

	for (size_t i = 0; vals && i < k->n_types && i < ARRAY_SIZE(v); i++)
		any |= (v[i] = vals[i]) != 0;
	if (!any)
		return 0;
	id = synthetic_location(r, 0, REPORT_ADDR_EVICTED, "[evicted]");
	if (!id)
		return -ENOMEM;
	topfns__sample(r->fns, &id, 1, v[k->n_types - 1]);
	res->total += v[k->n_types - 1];
	res->evicted = records;
	return pprof_builder__add_sample(r->b, &id, 1, v, NULL, 0);
}

static int add_lost(struct report *r, const struct report_kind *k, uint64_t lost,
		    uint64_t lost_value, struct report_result *res)
{
	uint64_t value[2] = { lost, lost_value }, id;
	int64_t vals[8] = { 0 };

	if (!lost)
		return 0;
	id = synthetic_location(r, 0, REPORT_ADDR_LOST, "[lost samples]");
	if (!id)
		return -ENOMEM;
	k->values(k, lost, value, vals);
	topfns__sample(r->fns, &id, 1, vals[k->n_types - 1]);
	res->total += vals[k->n_types - 1];
	return pprof_builder__add_sample(r->b, &id, 1, vals, NULL, 0);
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return CMP3(b, a);
}

static int cmp_trunc(const void *a, const void *b)
{
	return cmp_u64_desc(((const struct report_trunc *)a)->count,
			    ((const struct report_trunc *)b)->count);
}

static int cmp_proc(const void *a, const void *b)
{
	return cmp_u64_desc(((const struct report_proc *)a)->records,
			    ((const struct report_proc *)b)->records);
}

/* Stack s as the profile sees it: its values less base's in a delta (*bi walks base, in
 * serial order as the stacks are); false if it is not in the profile (another kind or
 * process, or no change in the delta's window). */
static bool view_stack(const struct report_kind *k, const struct report_extra *extra,
		       const struct stack *s, size_t *bi, struct stack *out)
{
	const struct stacks_snap *base = extra ? extra->base : NULL;
	const struct stacks_snap_entry *b;

	if (s->kind != k->kind || (extra && extra->pid && s->pid != extra->pid) ||
	    (extra && extra->comm && strcmp(s->comm, extra->comm)))
		return false;
	*out = *s;
	if (!base)
		return true;
	while (*bi < base->n && base->v[*bi].serial < s->serial)
		(*bi)++;
	if (*bi < base->n && base->v[*bi].serial == s->serial) {
		b = &base->v[*bi];
		out->count -= b->count;
		out->value[0] -= b->value[0];
		out->value[1] -= b->value[1];
	}
	return out->count || out->value[0] || out->value[1];
}

static int build(struct report *r, const struct report_kind *k, const struct stacks *st,
		 const struct report_extra *extra, struct report_result *res)
{
	struct pprof_opts o = {
		.sample_types = k->types,
		.n_sample_types = k->n_types,
		.period_type = k->period_type,
		.period = k->period,
		.time_nanos = extra ? extra->time_nanos : 0,
		.duration_nanos = extra ? extra->duration_nanos : 0,
		.default_sample_type = extra ? extra->default_sample_type : NULL,
	};
	struct stack view;
	size_t bi = 0;
	int err;

	memset(res, 0, sizeof(*res));
	reset(r);
	r->b = pprof_builder__new(&o);
	r->locs = idmap__new();
	r->maps = idmap__new();
	r->fns = topfns__new();
	if (!r->b || !r->locs || !r->maps || !r->fns)
		return -ENOMEM;
	if (k->tally) {
		err = k->tally(k, NULL);
		for (size_t i = 0; !err && i < stacks__count(st); i++)
			if (view_stack(k, extra, stacks__get(st, i), &bi, &view))
				err = k->tally(k, &view);
		if (err)
			return err;
		bi = 0;
	}
	for (size_t i = 0; i < stacks__count(st); i++) {
		if (!view_stack(k, extra, stacks__get(st, i), &bi, &view))
			continue;
		res->stacks++;
		err = add_stack(r, k, &view, res);
		if (err)
			return err;
	}
	/* Begun again: what was tallied is for this profile only. */
	if (k->tally)
		k->tally(k, NULL);
	err = add_lost(r, k, extra ? extra->lost : 0, extra ? extra->lost_value : 0, res);
	if (!err && extra && !extra->base)
		err = add_evicted(r, k, extra->evicted, extra->evicted_records, res);
	if (!err && extra && extra->comment)
		err = pprof_builder__add_comment(r->b, extra->comment);
	return err;
}

/* The summary's figures, once the profile is built. */
static void finish(struct report *r, struct report_result *res)
{
	res->n_top = topfns__top(r->fns, res->top, REPORT_TOP);
	qsort(res->trunc, res->n_trunc, sizeof(res->trunc[0]), cmp_trunc);
	qsort(res->procs, res->n_procs, sizeof(res->procs[0]), cmp_proc);
}

int report__write(struct report *r, const struct report_kind *k, const struct stacks *st,
		  const struct report_extra *extra, const char *path, struct report_result *res)
{
	int err = build(r, k, st, extra, res);

	if (!err)
		err = pprof_builder__write(r->b, path);
	if (!err)
		finish(r, res);
	reset(r);
	return err;
}

int report__build(struct report *r, const struct report_kind *k, const struct stacks *st,
		  const struct report_extra *extra, void **buf, size_t *len,
		  struct report_result *res)
{
	int err = build(r, k, st, extra, res);

	if (!err)
		err = extra && extra->plain ? pprof_builder__encode_plain(r->b, buf, len) :
		      pprof_builder__encode(r->b, buf, len);
	if (!err)
		finish(r, res);
	reset(r);
	return err;
}
