// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "elf/debugcache.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/summary.h"
#include "unwind/unwinder.h"
#include "util/log.h"
#include "util/util.h"

const char *summary__stop_name(unsigned int stop)
{
	static const char *const names[CPROF_STOP_NR] = {
		[CPROF_STOP_ROOT] = "reached root",
		[CPROF_STOP_DEPTH] = "depth limit (raise --max-depth)",
		[CPROF_STOP_NO_REGS] = "no user registers",
		[CPROF_STOP_NO_MAPPING] = "pc outside known mappings",
		[CPROF_STOP_NO_CFI] = "no unwind info for pc",
		[CPROF_STOP_UNSUPPORTED] = "unsupported unwind rule",
		[CPROF_STOP_READ_FAULT] = "stack read faulted",
		[CPROF_STOP_BAD_SP] = "bad stack or frame pointer",
		[CPROF_STOP_BAD_RA] = "bad return address",
		[CPROF_STOP_FP_END] = "frame-pointer chain ended",
		[CPROF_STOP_NO_TABLES] = "unwind tables not ready",
		[CPROF_STOP_NOT_CAPTURED] = ("still waiting at the end (a user stack is read only "
					     "when its task runs)"),
	};

	return stop < CPROF_STOP_NR && names[stop] ? names[stop] : "unknown";
}

/* Complete = reached a thread root (or a frame-pointer chain's end); the rest by reason and
 * the object where the unwinder gave up, and per process when there are several. The
 * share of stacks where frame pointers stood in for missing unwind tables is always said:
 * code without tables or frame pointers unwinds wrong there, not just short. */
static void print_completeness(const struct report_result *res)
{
	/* Of the stacks still held: released ones are no longer looked at. */
	fprintf(stderr, "  user stacks: %.1f%% complete (reached a thread root), %.1f%% with "
		"frame-pointer steps where unwind tables were missing\n",
		100.0 * (double)(res->records - res->truncated) / (double)res->records,
		100.0 * (double)res->fp_fallback / (double)res->records);
	if (res->fp_fallback)
		fprintf(stderr, "    %llu with frame-pointer steps where unwind tables were missing\n",
			(unsigned long long)res->fp_fallback);
	/* In all objects, where the lines below name the largest few: the first moments of
	 * processes whose objects were new, as their tables were built. */
	if (res->stops[CPROF_STOP_NO_TABLES])
		fprintf(stderr, "    %.2f%% (%llu) cut short for want of unwind tables (not built "
			"or published yet)\n",
			100.0 * (double)res->stops[CPROF_STOP_NO_TABLES] / (double)res->records,
			(unsigned long long)res->stops[CPROF_STOP_NO_TABLES]);
	for (size_t i = 0; i < res->n_trunc && i < 5; i++)
		fprintf(stderr, "    %llu truncated: %s in %s\n",
			(unsigned long long)res->trunc[i].count, summary__stop_name(res->trunc[i].stop),
			res->trunc[i].object);
	if (res->n_procs < 2)
		return;
	fprintf(stderr, "  per process (most samples first):\n");
	for (size_t i = 0; i < res->n_procs && i < 8; i++)
		fprintf(stderr, "    pid %-7u %-16s %6llu samples, %5.1f%% complete, %5.1f%% "
			"frame-pointer steps without tables\n",
			res->procs[i].pid, res->procs[i].comm,
			(unsigned long long)res->procs[i].records,
			100.0 * (double)res->procs[i].complete / (double)res->procs[i].records,
			100.0 * (double)res->procs[i].fp_fallback / (double)res->procs[i].records);
}

/* With -v, every way the stacks ended and how many did (the summary lists the five most
 * common truncations only): tests count a reason that must not occur. */
static void log_stops(const struct report_kind *k, const struct report_result *res)
{
	char buf[1024];
	size_t off = 0;

	if (!log__verbose())
		return;
	for (unsigned int i = 0; i < CPROF_STOP_NR && i < ARRAY_SIZE(res->stops); i++) {
		int n;

		if (!res->stops[i])
			continue;
		n = snprintf(buf + off, sizeof(buf) - off, "%s%s: %llu", off ? ", " : "",
			     summary__stop_name(i), (unsigned long long)res->stops[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	log_debug("%s: user stacks by how they ended: %s", k->name, off ? buf : "none");
}

void summary__kind(const struct report_kind *k, const struct report_result *res,
		   const uint64_t *cnt, const char *path, double secs)
{
	uint64_t lost = cnt[CPROF_CNT_LOST_KIND + k->kind];

	fprintf(stderr, "%s: %llu samples in %.1f s, %llu lost (ring buffer full%s)", k->name,
		(unsigned long long)(res->records + res->evicted), secs, (unsigned long long)lost,
		lost ? ": raise --ring-size" : "");
	if (res->evicted)
		fprintf(stderr, ", %llu of them in stacks since released ([evicted])",
			(unsigned long long)res->evicted);
	if (k->kind == CPROF_KIND_CPU)
		fprintf(stderr, ", %llu kernel stacks unreadable",
			(unsigned long long)cnt[CPROF_CNT_KSTACK_ERR]);
	if (k->kind == CPROF_KIND_BLOCK && lost)
		fprintf(stderr, ", %.3f s of delay in them", cnt[CPROF_CNT_BLOCK_LOST_DELAY] / 1e9);
	if (k->kind == CPROF_KIND_BLOCK)
		fprintf(stderr, "; %llu waits ended, %llu kept by --block-rate sampling, %llu lost "
			"(no task storage)", (unsigned long long)cnt[CPROF_CNT_BLOCK_WAITS],
			(unsigned long long)cnt[CPROF_CNT_BLOCK_KEPT],
			(unsigned long long)cnt[CPROF_CNT_BLOCK_NO_STORAGE]);
	if (k->kind == CPROF_KIND_MUTEX)
		fprintf(stderr, "; %llu lock waiters woken by a release, %llu kept by --mutex-rate; "
			"%llu waiters woken by no lock release (condition variables, semaphores), "
			"%llu lock waits lost (no task storage)",
			(unsigned long long)cnt[CPROF_CNT_MUTEX_WAKES],
			(unsigned long long)cnt[CPROF_CNT_MUTEX_KEPT],
			(unsigned long long)cnt[CPROF_CNT_MUTEX_NOT_LOCK],
			(unsigned long long)cnt[CPROF_CNT_MUTEX_NO_STORAGE]);
	fputc('\n', stderr);
	if (k->kind == CPROF_KIND_BLOCK && (cnt[CPROF_CNT_BLOCK_UNSEEN_END] ||
					    cnt[CPROF_CNT_BLOCK_STACK_LATE]))
		fprintf(stderr, "  %llu waits ended unseen by sched_switch (lengths from run "
			"times, no kernel stacks); %llu kept waits without a user stack: the task "
			"entered the kernel again before it could be read\n",
			(unsigned long long)cnt[CPROF_CNT_BLOCK_UNSEEN_END],
			(unsigned long long)cnt[CPROF_CNT_BLOCK_STACK_LATE]);
	if (res->records)
		print_completeness(res);
	log_stops(k, res);
	if (res->n_top && res->total > 0)
		fprintf(stderr, "  top functions (flat):\n");
	for (size_t i = 0; i < res->n_top && res->total > 0; i++)
		fprintf(stderr, "    %5.1f%%  %5.1f%% cum  %s\n",
			100.0 * (double)res->top[i].flat / (double)res->total,
			100.0 * (double)res->top[i].cum / (double)res->total, res->top[i].name);
	fprintf(stderr, "  wrote %s  (cprof-bpf report %s)\n", path, path);
}

void summary__unwind(const struct unwinder_stats *us)
{
	fprintf(stderr, "unwind tables: %zu objects with CFI, %zu Go objects with tables from "
		".gopclntab only, %zu without CFI (frame pointers there), %zu rows, %zu processes, "
		"%zu tables read from the cache, %.0f ms building\n", us->objects, us->objects_go,
		us->objects_without, us->rows, us->processes, us->from_cache,
		us->build_seconds * 1e3);
	if (us->objects_full)
		fprintf(stderr, "  %zu objects left without tables: the row arrays are full\n",
			us->objects_full);
	/* A cache file that could not be used costs a rebuild, never trust: said, counted. */
	if (us->cache_rebuilt || us->cache_ignored)
		fprintf(stderr, "  unwind table cache: %zu files rebuilt (corrupt, truncated or of "
			"another version), %zu ignored (not regular files of ours)\n",
			us->cache_rebuilt, us->cache_ignored);
	log_debug("unwind table cache: %zu tables loaded, %zu files rebuilt, %zu ignored, %zu "
		  "tables stored", us->cache_loaded, us->cache_rebuilt, us->cache_ignored,
		  us->cache_stored);
	if (us->dropped)
		log_debug("unwind tables: %zu dropped with their objects (no kept process maps "
			  "them), their rows used again", us->dropped);
	summary__debugcache();
}

void summary__debugcache(void)
{
	struct debugcache_stats ds;

	debugcache__stats(&ds);
	if (ds.rebuilt || ds.ignored)
		fprintf(stderr, "  debuginfo cache: %lu uncompressed copies made again (torn or "
			"another file), %lu ignored (not regular files of ours)\n", ds.rebuilt,
			ds.ignored);
	log_debug("debuginfo cache: %lu uncompressed copies read, %lu made, %lu made again, %lu "
		  "ignored, %lu removed (least recently used)", ds.read, ds.stored, ds.rebuilt,
		  ds.ignored, ds.evicted);
}


struct proc_time {
	uint32_t pid;
	char comm[CPROF_COMM_LEN];
	int64_t on, off;	/* nanoseconds */
};

static int cmp_off(const void *a, const void *b)
{
	const struct proc_time *x = a, *y = b;

	return CMP3(y->off, x->off);
}

/* Per-process totals from the aggregated stacks (linear in distinct stacks). */
static size_t proc_times(const struct stacks *st, int64_t cpu_period, struct proc_time *pt,
			 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < stacks__count(st); i++) {
		const struct stack *s = stacks__get(st, i);
		size_t j;

		if (s->kind != CPROF_KIND_CPU && s->kind != CPROF_KIND_BLOCK)
			continue;
		for (j = 0; j < n && pt[j].pid != s->pid; j++)
			;
		if (j == n) {
			if (n == max)
				continue;
			pt[n] = (struct proc_time){ .pid = s->pid };
			memcpy(pt[n++].comm, s->comm, sizeof(pt[0].comm));
		}
		if (s->kind == CPROF_KIND_CPU)
			pt[j].on += (int64_t)s->count * cpu_period;
		else
			pt[j].off += (int64_t)s->value[1];
	}
	return n;
}

void summary__offcpu(const struct stacks *st, int64_t cpu_period, const char *dir,
		     const char *flame)
{
	enum { MAX_PROCS = 4096 };
	struct proc_time *pt = calloc(MAX_PROCS, sizeof(*pt));
	size_t n, hints = 0;

	if (!pt)
		return;
	n = proc_times(st, cpu_period, pt, MAX_PROCS);
	qsort(pt, n, sizeof(*pt), cmp_off);
	if (n)
		fprintf(stderr, "on-CPU vs off-CPU (all threads, most waiting first):\n");
	for (size_t i = 0; i < n && i < 8; i++) {
		double total = (double)(pt[i].on + pt[i].off), off_share;

		if (total <= 0)
			continue;
		off_share = 100.0 * (double)pt[i].off / total;
		fprintf(stderr, "  pid %-7u %-16s on-CPU %8.3f s, off-CPU %8.3f s (%.0f%% waiting)\n",
			pt[i].pid, pt[i].comm, pt[i].on / 1e9, pt[i].off / 1e9, off_share);
		if (off_share >= 90.0 && ++hints)
			fprintf(stderr, "  hint: pid %u was off-CPU %.0f%% of the time: see "
				"block.pb.gz for where it waits\n", pt[i].pid, off_share);
	}
	/* Once, however many processes mostly waited: where to look. */
	if (hints && dir)
		fprintf(stderr, "  to see where: cprof-bpf report %s/block.pb.gz%s%s\n", dir,
			flame ? ", or the block view of " : "", flame ? flame : "");
	free(pt);
}
