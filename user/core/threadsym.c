// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The thread iterator's records symbolized into a snapshot (threadsym.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadsym.h"
#include "cprof.h"
#include "kinds/kind.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/summary.h"
#include "report/threadsnap.h"
#include "symbols/symbolizer.h"

/* Frames a thread's record may expand to once inline calls are added. */
#define STACKS_MAX_FRAMES (CPROF_SAMPLE_MAX_FRAMES * 4)

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* res's frames (innermost first) appended to f as one address's. */
static void push_resolved(struct thread_frame *f, size_t *n, const struct sym_result *res,
			  uint64_t addr, bool kernel, const char *object)
{
	for (size_t i = 0; i < res->n && *n < STACKS_MAX_FRAMES; i++)
		f[(*n)++] = (struct thread_frame){
			.addr = addr, .name = res->frames[i].name, .file = res->frames[i].file,
			.line = res->frames[i].line, .object = object, .kernel = kernel,
			.inlined = i + 1 < res->n,
		};
}

/* Frame a of a thread (its address as recorded), looked up at pc. */
static void push_kernel(const struct kind_env *env, struct thread_frame *f, size_t *n, uint64_t a,
			uint64_t pc)
{
	struct sym_result res;
	const char *module = "";

	if (*n >= STACKS_MAX_FRAMES)
		return;
	if (!symbolizer__resolve_kernel(env->sym, pc, &res, &module) && res.n) {
		push_resolved(f, n, &res, a, true, module[0] ? module : "kernel");
		return;
	}
	f[(*n)++] = (struct thread_frame){ .addr = a, .object = "kernel", .kernel = true };
}

static void push_user(const struct kind_env *env, const struct cprof_sample *r, struct thread_frame *f,
		      size_t *n, uint64_t a, uint64_t pc)
{
	const struct procmaps_entry *e = proctab__find(env->pt, (int)r->pid, r->image, pc);
	struct sym_result res;
	uint64_t vaddr;

	if (*n >= STACKS_MAX_FRAMES)
		return;
	if (e && e->obj && e->obj->is_elf &&
	    !object__file_offset_to_vaddr(e->obj, pc - e->start + e->offset, &vaddr) &&
	    !symbolizer__resolve(env->sym, e->obj, vaddr, &res) && res.n) {
		push_resolved(f, n, &res, a, false, base_name(e->path));
		return;
	}
	if (e && !(e->obj && e->obj->is_elf) &&
	    !symbolizer__resolve_perfmap(env->sym, (int)r->pid, pc, &res) && res.n) {
		push_resolved(f, n, &res, a, false, e->path[0] ? base_name(e->path) : "[anon]");
		return;
	}
	f[(*n)++] = (struct thread_frame){
		.addr = a, .object = e ? (e->path[0] ? base_name(e->path) : "[anon]") : NULL,
	};
}

/* One record: its frames symbolized (looked up at the return address less 1, except the
 * exact pc of each part's first frame), added to the snapshot. */
static int add_thread(const struct kind_env *env, const struct cprof_sample *r,
		      struct thread_frame *f, struct threadsnap *ts)
{
	uint32_t stop = r->flags & CPROF_SF_STOP_MASK;
	struct thread_info t = {
		.pid = (int)r->pid, .tid = (int)r->tid, .comm = r->comm, .pcomm = r->pcomm,
		.state = threadsnap__state(r->value[0], r->value[1]),
		.unreadable = r->flags & CPROF_SF_STACK_UNREAD,
		.complete = stop == CPROF_STOP_ROOT,
		.stop = summary__stop_name(stop),
	};
	size_t n = 0;

	for (size_t i = 0; i < r->n_kernel; i++) {
		uint64_t a = r->frames[i];

		push_kernel(env, f, &n, a, i ? a - 1 : a);
	}
	for (size_t i = 0; i < r->n_user; i++) {
		uint64_t a = r->frames[r->n_kernel + i];

		push_user(env, r, f, &n, a, !i && (r->flags & CPROF_SF_PC_EXACT) ? a : a - 1);
	}
	return threadsnap__add(ts, &t, f, n);
}

int threadsym__add(const struct kind_env *env, const void *buf, size_t len, uint32_t pid,
		   struct threadsnap *ts, size_t *off)
{
	struct thread_frame *f = calloc(STACKS_MAX_FRAMES, sizeof(*f));
	union thread_rec *rec = malloc(sizeof(*rec));
	int err = f && rec ? 0 : -ENOMEM, more = 0;

	*off = 0;
	while (!err && !(more = threadsnap__next(buf, len, off, rec)))
		if (!pid || rec->r.pid == pid)
			err = add_thread(env, &rec->r, f, ts);
	free(f);
	free(rec);
	return err ? err : more < 0 ? -EINVAL : 0;
}
