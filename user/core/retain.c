// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Bounds on what a long run keeps. A whole-host server sees processes come and go for weeks:
 * each one leaves distinct stacks (its pid is part of their key) and the snapshots of its
 * maps. Past --max-exited exited processes (or when the stack table nears --max-stacks), the
 * oldest exited ones are released: their stacks' values, and those of the block stacks
 * they were the wakers of, move into their kind's [evicted] sample, which only grows (a
 * scraper computing deltas never sees a value go down), and their maps are freed. A process
 * is released only once its exit is older than every open delta window, so a window's
 * delta never counts what it did before the window began.
 * The files no kept snapshot maps any more are then closed, and their tables freed
 * (objcache__sweep): a host that runs a new binary every second holds a bounded number. */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/options.h"
#include "core/procobj.h"
#include "core/retain.h"
#include "core/session_priv.h"
#include "cprof.h"
#include "proc/object.h"
#include "proc/proctab.h"
#include "report/report.h"
#include "report/stacks.h"
#include "symbols/symbolizer.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "unwind/unwinder.h"
#include "util/log.h"

#define RETAIN_INTERVAL_S 1.0
/* Files no kept process maps stay open this long, and this many at most: a host that runs
 * the same compiler every few seconds keeps it (and its unwind table) between runs. */
#define OBJECT_IDLE_SECS 10.0
#define OBJECT_IDLE_MAX 64
#define TRIM_INTERVAL_S 10.0
/* Blocks from this size on are mapped on their own and unmapped at free (glibc's default is
 * 128 KiB, raised at run time up to 32 MiB by every large free); a thread arena's free top
 * beyond TRIM_MAX goes back to the system at a free there. */
#define MMAP_MIN (256 << 10)
#define TRIM_MAX (1 << 20)

struct fold {
	struct session *s;
	struct hashmap gone;	/* uint64_t pid << 32 | gen of the processes released */
	struct hashmap wakers;	/* uint64_t pid of the same */
	const struct report_kind *rk[KINDS_MAX];	/* by index into kinds[] */
};

static bool key_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return *(const uint64_t *)key == *(const uint64_t *)ent;
}

static uint64_t proc_key(uint32_t pid, uint32_t gen)
{
	return (uint64_t)pid << 32 | gen;
}

/* A block stack of another process whose waker (part of its key) is a process released:
 * a process woken by each of its short-lived children (a shell, a supervisor) would
 * otherwise keep a stack per child for as long as it lives. The waker exited before every
 * open window began, so no window's delta has counts of such a stack. */
static bool woken_by_gone(const struct fold *f, const struct stack *st)
{
	uint64_t pid;

	if (st->kind != CPROF_KIND_BLOCK || !st->aux || st->aux == CPROF_WAKER_IRQ ||
	    st->aux >> 32 == st->pid)
		return false;
	pid = st->aux >> 32;
	return hashmap__find(&f->wakers, hash__u64(pid), &pid, key_eq, NULL);
}

/* Picks the stacks of released processes, and those they woke, adding their values to
 * their kind's totals. */
static bool pick(void *ctx, const struct stack *st)
{
	struct fold *f = ctx;
	uint64_t key = proc_key(st->pid, st->gen);
	int64_t v[8] = { 0 };

	if (!hashmap__find(&f->gone, hash__u64(key), &key, key_eq, NULL) && !woken_by_gone(f, st))
		return false;
	for (unsigned int i = 0; i < n_kinds; i++) {
		struct retain_kind *rk = &f->s->evicted[i];

		if (!f->rk[i] || f->rk[i]->kind != st->kind)
			continue;
		report__stack_values(f->rk[i], st, v);
		for (size_t t = 0; t < f->rk[i]->n_types && t < 8; t++)
			rk->values[t] += v[t];
		rk->stacks++;
		rk->records += st->count;
		break;
	}
	return true;
}

/* How many of the oldest exited processes to release now. */
static size_t to_release(const struct session *s, const struct proctab_exited *ex, size_t n,
			 double oldest_window)
{
	const struct cprof_opts *o = s->o;
	uint64_t window_ns = oldest_window > 0 ? (uint64_t)(oldest_window * 1e9) : UINT64_MAX;
	/* Near the stack limit, every exited process that may go goes. */
	bool crowded = o->retain.max_stacks && stacks__count(s->env.st) > o->retain.max_stacks / 4 * 3;
	size_t k = 0;

	while (k < n && ex[k].exit_ns < window_ns && (crowded || n - k > o->retain.max_exited))
		k++;
	return k;
}

static int release(struct session *s, const struct proctab_exited *ex, size_t k)
{
	struct fold f = { .s = s, .gone = HASHMAP_INIT(uint64_t), .wakers = HASHMAP_INIT(uint64_t) };
	struct kind_report kr[KINDS_MAX];
	uint64_t cnt[CPROF_CNT_NR];
	size_t evicted;
	bool added;

	procobj__read_counters(s->po, cnt);
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i] && !kinds[i]->report(s->active[i], &s->env, cnt, &kr[i]))
			f.rk[i] = &kr[i].rk;
	for (size_t i = 0; i < k; i++) {
		uint64_t key = proc_key((uint32_t)ex[i].pid, ex[i].gen), pid = (uint32_t)ex[i].pid;
		uint64_t *e = hashmap__insert(&f.gone, hash__u64(key), &key, key_eq, NULL, &added);
		uint64_t *w = e ? hashmap__insert(&f.wakers, hash__u64(pid), &pid, key_eq, NULL,
						  &added) : NULL;

		if (!w) {
			hashmap__free(&f.gone);
			hashmap__free(&f.wakers);
			return -1;
		}
		*e = key;
		*w = pid;
		symbolizer__forget(s->env.sym, ex[i].pid);
	}
	evicted = stacks__evict(s->env.st, pick, &f);
	hashmap__free(&f.gone);
	hashmap__free(&f.wakers);
	s->evicted_procs += k;
	log_debug("released %zu exited processes and %zu of their stacks (%zu kept)", k, evicted,
		  stacks__count(s->env.st));
	return 0;
}

/* An object no snapshot shows any more (its processes released): what the unwinder and
 * the symbolizer keep of it goes, then the objcache closes it. */
static int forget_object(void *ctx, struct object *obj)
{
	struct session *s = ctx;

	if (s->uw && unwinder__drop(s->uw, obj))
		return -EBUSY;
	if (s->env.sym)
		symbolizer__drop(s->env.sym, obj);
	return 0;
}

void retain__run(struct session *s, double oldest_window)
{
	const struct proctab_exited *ex;
	double now = clock__secs(CLOCK_MONOTONIC);
	size_t n, k;

	if (now - s->retained_at < RETAIN_INTERVAL_S)
		return;
	s->retained_at = now;
	proctab__retire(s->env.pt);
	ex = proctab__exited(s->env.pt, &n);
	k = to_release(s, ex, n, oldest_window);
	/* Snapshots are freed only once no stack points into them. */
	if (k && !release(s, ex, k))
		proctab__reap(s->env.pt, k);
	else
		k = 0;
	k += objcache__sweep(s->env.oc, OBJECT_IDLE_SECS, OBJECT_IDLE_MAX, forget_object, s);
	/* What was freed goes back to the system now and then: a run's stacks and snapshots,
	 * and the tables the build thread made in an arena of its own, are freed in pieces
	 * that malloc otherwise keeps resident (soak: the RSS kept every peak). */
	if (k && now - s->trimmed_at >= TRIM_INTERVAL_S) {
		s->trimmed_at = now;
		malloc_trim(0);
	}
}

/* glibc raises its mmap threshold to the size of each mapped block freed (up to 32 MiB),
 * so after the first large table build every table of up to that size comes from an
 * arena, and the arena keeps the pages at the top when it is freed: malloc_trim() returns
 * the free pages of the bins, not a thread arena's top. Setting the thresholds turns the
 * adjustment off. Soak (tests/bench/soak.sh), 60 s in: the arenas held 32 MiB for 7.7 MiB
 * in use, 25 MiB of it free and resident, with the default; 8 MiB for 6.4 MiB with these. */
void retain__tune_malloc(void)
{
	if (!mallopt(M_MMAP_THRESHOLD, MMAP_MIN) || !mallopt(M_TRIM_THRESHOLD, TRIM_MAX))
		log_debug("malloc's thresholds could not be set: freed memory may stay resident");
}
