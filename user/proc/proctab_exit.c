// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The end of a process's life in the table: its exit, the pid taken by another process, the
 * exited list its snapshots wait in until the stacks that point into them are released. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proctab.h"
#include "proc/proctab_int.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/vec.h"

int proctab_retire_proc(struct proctab *pt, struct proc *p)
{
	struct proctab_exited e = {
		.pid = p->pid,
		.gen = p->gen,
		.exit_ns = p->exit_ns,
		.cur = p->cur,
		.snaps = p->snaps,
		.n_snaps = p->n_snaps,
	};

	if (VEC_PUSH(pt->exited, pt->n_exited, pt->cap_exited, e))
		return -ENOMEM;
	proctab_unlabel(pt, p);
	hashmap__remove(&pt->procs, p);
	return 0;
}

/* Whether p, which exited, cannot be the process of a record that shows image: it showed
 * other images and never this one. (One seen with no image at all proves nothing: a child
 * gone before its maps could be read.) */
static bool other_life(const struct proc *p, uint64_t image)
{
	bool shown = false;

	if (!p->exit_ns || !image)
		return false;
	for (size_t i = 0; i < p->n_snaps; i++) {
		uint64_t im = procmaps__image(p->snaps[i]);

		if (im == image)
			return false;
		shown |= im != 0;
	}
	return shown;
}

void proctab__record(struct proctab *pt, int pid, uint64_t image)
{
	struct proc *p = pid > 0 ? proc_find(pt, pid) : NULL;

	if (p && other_life(p, image))
		proctab_retire_proc(pt, p);
}

void proctab__exit(struct proctab *pt, int pid)
{
	struct proc *p = proc_find(pt, pid);

	if (p && !p->exit_ns)
		p->exit_ns = clock__ns(CLOCK_MONOTONIC);
}

bool proctab__exited_recently(const struct proctab *pt, int pid)
{
	const struct proc *p = proc_find(pt, pid);

	return p && p->exit_ns && clock__ns(CLOCK_MONOTONIC) - p->exit_ns <= EXIT_GRACE_NS;
}

/* Marks processes that are gone without an exit event (it was lost, or the pid was never
 * in the filter's view of exits). */
static void sweep(struct proctab *pt, uint64_t now)
{
	struct proc *p;
	size_t it = 0;

	pt->swept_ns = now;
	while ((p = hashmap__next(&pt->procs, &it)))
		if (!p->exit_ns && kill(p->pid, 0) && errno == ESRCH)
			p->exit_ns = now;
}

size_t proctab__retire(struct proctab *pt)
{
	uint64_t now = clock__ns(CLOCK_MONOTONIC);
	int *pids = NULL;
	size_t n = 0, cap = 0, it = 0;
	struct proc *p;

	if (now - pt->swept_ns >= SWEEP_INTERVAL_NS)
		sweep(pt, now);
	/* Removal shifts entries: collect first, then retire one by one. */
	while ((p = hashmap__next(&pt->procs, &it)))
		if (p->exit_ns && now - p->exit_ns > EXIT_GRACE_NS &&
		    VEC_PUSH(pids, n, cap, p->pid))
			break;
	for (size_t i = 0; i < n; i++)
		if ((p = proc_find(pt, pids[i])))
			proctab_retire_proc(pt, p);
	free(pids);
	return pt->n_exited;
}

const struct proctab_exited *proctab__exited(const struct proctab *pt, size_t *n)
{
	*n = pt->n_exited;
	return pt->exited;
}

void proctab__reap(struct proctab *pt, size_t n)
{
	if (n > pt->n_exited)
		n = pt->n_exited;
	if (!n)		/* exited may be NULL: no offset or memmove on it */
		return;
	for (size_t i = 0; i < n; i++)
		proctab_free_snaps(pt->exited[i].snaps, pt->exited[i].n_snaps);
	memmove(pt->exited, pt->exited + n, (pt->n_exited - n) * sizeof(*pt->exited));
	pt->n_exited -= n;
}
