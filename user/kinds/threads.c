// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The threads profile: the snapshot of `cprof-bpf stacks` (bpf/threads.bpf.c), taken every
 * --threads-interval during the run from the loop's poll, its threads aggregated as records
 * of kind CPROF_KIND_THREADS keyed by their state. Its value is the average number of
 * threads per stack over the snapshots (Go's goroutine profile, over time). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "kinds/kind.h"
#include "kinds/threads.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/threadsnap.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "symbols/symbolizer.h"
#include "threads.skel.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"
#include "util/vec.h"

/* How long a snapshot waits for the targets' unwind tables: one taken before them would
 * count its threads under stacks cut short. */
#define THREADS_TABLES_WAIT 10.0

struct threads {
	struct kind k;
	struct threads_bpf *skel;
	struct kind_env *env;
	union thread_rec *rec;
	uint8_t *buf;
	size_t len, cap;
	double interval, start, next;
	bool attached, failed;
	uint64_t snapshots, threads, bad, deferred;
	struct threads_avg avg;	/* the report's averages */
	double secs, cpu_secs;	/* spent taking them: wall, and the loop thread's CPU */
};

int threads_iter__read(struct bpf_program *prog, uint8_t **buf, size_t *len, size_t *cap,
		       const char **what)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	int fd, err = 0;
	ssize_t n;

	*what = "attach";
	if (!link)
		return -errno;
	*what = "create";
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	*what = "read";
	do {
		if ((err = VEC_GROW(*buf, *cap, *len + 65536)))
			break;
		n = read(fd, *buf + *len, *cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		*len += (size_t)n;
	} while (n > 0);
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

static void threads_free(struct kind *k);

static int threads_open(struct kind_env *env, struct kind **out)
{
	struct threads *t = calloc(1, sizeof(*t));
	int err;

	if (!t || !(t->rec = malloc(sizeof(*t->rec)))) {
		free(t);
		return -ENOMEM;
	}
	t->env = env;
	t->interval = env->opts->threads_interval;
	t->skel = threads_bpf__open();
	if (!t->skel) {
		err = -errno;
		log_error("cannot open the threads profile object: %s", strerror(-err));
		goto fail;
	}
	t->skel->rodata->filter_pids = env->filter_pids;
	t->skel->rodata->max_user_frames = env->opts->max_depth;
	if ((err = kind__adopt_maps(t->skel->obj, env)))
		goto fail;
	*out = &t->k;
	return 0;
fail:
	threads_free(&t->k);
	return err;
}

static int threads_load(struct kind *k, struct kind_env *env)
{
	struct threads *t = kind_container(k, struct threads);

	(void)env;
	k->obj = t->skel->obj;
	k->mechanism = "sleepable task iterator (bpf_copy_from_user_task), one pass per "
		       "snapshot";
	return threads_bpf__load(t->skel);
}

static int threads_attach(struct kind *k, struct kind_env *env, bool *fatal)
{
	struct threads *t = kind_container(k, struct threads);

	(void)env;
	(void)fatal;
	t->attached = true;
	t->start = t->next = clock__secs(CLOCK_MONOTONIC);
	return 0;
}

/* Whether a record's user stack was cut for want of its process's tables. */
static bool wants_tables(const struct cprof_sample *r)
{
	return (r->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_TABLES;
}

/* The label of each state kept as the stack's key (addr). */
enum { LABEL_RUNNING, LABEL_SLEEPING, LABEL_UNINTERRUPTIBLE, LABEL_STOPPED };
static const char *const state_label[] = { "running", "sleeping", "uninterruptible",
					   "stopped" };

/* running: on a CPU, runnable, or exiting; uninterruptible: idle kernel threads too;
 * stopped: traced too. */
static uint64_t state_key(const struct cprof_sample *r)
{
	switch (threadsnap__state(r->value[0], r->value[1])) {
	case THREAD_SLEEPING:
		return LABEL_SLEEPING;
	case THREAD_UNINTERRUPTIBLE:
	case THREAD_IDLE:
		return LABEL_UNINTERRUPTIBLE;
	case THREAD_STOPPED:
		return LABEL_STOPPED;
	default:
		return LABEL_RUNNING;
	}
}

/* A thread interrupted in user code has its exact pc as its leaf, a different one in each
 * snapshot for a thread in a loop: it becomes its function's entry, so that the thread's
 * stack is one across snapshots, as threads are grouped by function in `stacks`. The
 * other frames are return addresses, the same in every snapshot. */
static void leaf_to_entry(const struct kind_env *env, struct cprof_sample *r)
{
	__u64 *pc = &r->frames[r->n_kernel];
	uint64_t vaddr;
	const struct procmaps_entry *e;
	struct sym_result res;

	if (!r->n_user || !(r->flags & CPROF_SF_PC_EXACT) || !env->sym)
		return;
	e = proctab__find(env->pt, (int)r->pid, r->image, *pc);
	if (e && e->obj && e->obj->is_elf &&
	    !object__file_offset_to_vaddr(e->obj, *pc - e->start + e->offset, &vaddr) &&
	    !symbolizer__resolve(env->sym, e->obj, vaddr, &res) && res.n && res.sym_start &&
	    res.sym_start <= vaddr)
		*pc -= vaddr - res.sym_start;
}

int threads__add(const struct kind_env *env, struct stacks *st, const void *buf, size_t len,
		 union thread_rec *rec, size_t *n)
{
	struct cprof_sample *r = &rec->r;
	size_t off = 0;
	int more, err = 0;

	*n = 0;
	while (!err && !(more = threadsnap__next(buf, len, &off, rec))) {
		r->kind = CPROF_KIND_THREADS;
		r->addr = state_key(r);
		r->value[0] = 1;
		r->value[1] = 0;
		leaf_to_entry(env, r);
		err = stacks__add(st, r);
		(*n)++;
	}
	return err ? err : more < 0 ? -EINVAL : 0;
}

/* The iterator's output as records of the profile; none if wait and a thread's tables are
 * not ready (returns 1 then). Returns 0, 1 or -errno. */
static int add_snapshot(struct threads *t, bool wait)
{
	size_t off = 0, n;
	int err;

	while (wait && !threadsnap__next(t->buf, t->len, &off, t->rec))
		if (wants_tables(&t->rec->r))
			return 1;
	err = threads__add(t->env, t->env->st, t->buf, t->len, t->rec, &n);
	t->threads += n;
	if (err == -EINVAL) {
		t->bad++;
		err = 0;
	}
	return err;
}

/* Takes the snapshot when it is due. */
static void threads_poll(struct kind *k)
{
	struct threads *t = kind_container(k, struct threads);
	double now = clock__secs(CLOCK_MONOTONIC), cpu = clock__secs(CLOCK_THREAD_CPUTIME_ID), took;
	const char *what;
	int err;

	if (!t->attached || t->failed || now < t->next)
		return;
	t->len = 0;
	err = threads_iter__read(t->skel->progs.cprof_threads_iter, &t->buf, &t->len, &t->cap,
				 &what);
	if (!err)
		err = add_snapshot(t, now - t->start < THREADS_TABLES_WAIT);
	took = clock__secs(CLOCK_MONOTONIC) - now;
	if (err == 1) {
		t->deferred++;	/* again on the loop's next round */
		return;
	}
	if (err < 0) {
		log_error("threads profile: cannot take a snapshot (%s): %s; no more are taken",
			  what, strerror(-err));
		t->failed = true;
		return;
	}
	t->snapshots++;
	t->secs += took;
	t->cpu_secs += clock__secs(CLOCK_THREAD_CPUTIME_ID) - cpu;
	t->next += t->interval;
	if (t->next < now)
		t->next = now + t->interval;	/* the loop fell behind: no burst to catch up */
}

/* The last snapshot, if the run ended before one was taken. */
static void threads_detach(struct kind *k)
{
	struct threads *t = kind_container(k, struct threads);

	if (t->attached && !t->snapshots && !t->failed) {
		t->next = t->start = 0;
		threads_poll(k);
	}
	t->attached = false;
}

static size_t threads_labels(const struct stack *s, struct pprof_label *out,
			     char buf[][REPORT_LABEL_LEN])
{
	(void)buf;
	out[0] = (struct pprof_label){
		.key = "state", .str = state_label[s->addr < ARRAY_SIZE(state_label) ? s->addr : 0],
	};
	return 1;
}

struct threads_rem {
	uint64_t serial, rem;
};

static uint64_t avg_n(const struct threads_avg *avg)
{
	return avg && avg->snapshots && *avg->snapshots ? *avg->snapshots : 1;
}

/* thread_snapshots/count: the threads summed over the snapshots, exact; threads/count (last:
 * pprof's default): their average, rounded (pprof values are integers). For what has no
 * tally: [lost samples], a served window. */
static void threads_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
			   int64_t *out)
{
	uint64_t n = avg_n(k->ctx);

	(void)count;
	out[0] = (int64_t)value[0];
	out[1] = (int64_t)((value[0] * 2 + n) / (2 * n));
}

static int by_rem(const void *a, const void *b)
{
	const struct threads_rem *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->serial < y->serial ? -1 : x->serial > y->serial;
}

static int by_serial(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Largest remainder: every stack gets the floor of its average, and as many as the total's
 * rounding leaves get one more, those with the largest fractions first (ties: the older
 * stack). With NULL (before and after a profile's stacks): begins again. The tally is
 * turned into the stacks rounded up at threads_stack_values' first call. */
static int threads_tally(const struct report_kind *k, const struct stack *s)
{
	struct threads_avg *avg = k->ctx;
	uint64_t n = avg_n(avg);

	if (!avg)
		return 0;
	if (!s) {
		avg->n_rem = avg->n_up = 0;
		avg->sum = avg->sum_floor = 0;
		free(avg->up);
		avg->up = NULL;
		return 0;
	}
	avg->sum += s->value[0];
	avg->sum_floor += s->value[0] / n;
	if (s->value[0] % n &&
	    VEC_PUSH(avg->rem, avg->n_rem, avg->cap_rem,
		     ((struct threads_rem){ s->serial, s->value[0] % n })))
		return -ENOMEM;
	return 0;
}

/* The serials rounded up, once the tally is complete. */
static int threads_apportion(struct threads_avg *avg)
{
	uint64_t n = avg_n(avg), total = (avg->sum * 2 + n) / (2 * n);
	size_t extra = total > avg->sum_floor ? (size_t)(total - avg->sum_floor) : 0;

	if (extra > avg->n_rem)
		extra = avg->n_rem;
	if (avg->n_rem)
		qsort(avg->rem, avg->n_rem, sizeof(*avg->rem), by_rem);
	avg->up = malloc((extra ? extra : 1) * sizeof(*avg->up));
	if (!avg->up)
		return -ENOMEM;
	for (size_t i = 0; i < extra; i++)
		avg->up[i] = avg->rem[i].serial;
	avg->n_up = extra;
	if (extra)
		qsort(avg->up, extra, sizeof(*avg->up), by_serial);
	avg->n_rem = 0;
	return 0;
}

static void threads_stack_values(const struct report_kind *k, const struct stack *s,
				 int64_t *out)
{
	struct threads_avg *avg = k->ctx;
	uint64_t n = avg_n(avg);

	/* Without a tally (or memory for it): each average rounded on its own. */
	if (!avg || (!avg->up && (avg->n_rem || avg->sum) && threads_apportion(avg)) || !avg->up) {
		threads_values(k, s->count, s->value, out);
		return;
	}
	out[0] = (int64_t)s->value[0];
	out[1] = (int64_t)(s->value[0] / n) +
		 (bsearch(&s->serial, avg->up, avg->n_up, sizeof(*avg->up), by_serial) ? 1 : 0);
}

void threads_avg__free(struct threads_avg *avg)
{
	if (!avg)
		return;
	free(avg->rem);
	free(avg->up);
	avg->rem = NULL;
	avg->up = NULL;
	avg->n_rem = avg->cap_rem = avg->n_up = 0;
}

void threads__report_kind(struct report_kind *rk, struct threads_avg *avg)
{
	static const struct pprof_value_type types[] = {
		{ "thread_snapshots", "count" },
		{ "threads", "count" },
	};

	*rk = (struct report_kind){
		.kind = CPROF_KIND_THREADS,
		.name = "threads",
		.file = "threads.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "threads", "count" },
		.period = 1,
		.values = threads_values,
		.stack_values = threads_stack_values,
		.tally = threads_tally,
		.labels = threads_labels,
		.ctx = avg,
	};
}

static int threads_report(struct kind *k, struct kind_env *env, const uint64_t *cnt,
			  struct kind_report *out)
{
	struct threads *t = kind_container(k, struct threads);

	(void)env;
	(void)cnt;
	*out = (struct kind_report){ 0 };
	t->avg.snapshots = &t->snapshots;
	threads__report_kind(&out->rk, &t->avg);
	return 0;
}

static void threads_summary(struct kind *k, struct kind_env *env, const uint64_t *cnt)
{
	struct threads *t = kind_container(k, struct threads);
	double n = t->snapshots ? (double)t->snapshots : 1;

	(void)env;
	(void)cnt;

	log_info("threads: %llu snapshots every %g s, %.1f threads on average, %.1f ms each "
		 "(CPU %.1f ms)", (unsigned long long)t->snapshots, t->interval,
		 (double)t->threads / n, t->secs * 1e3 / n, t->cpu_secs * 1e3 / n);
	if (t->bad)
		log_warn("threads: %llu snapshots cut short by a malformed record",
			 (unsigned long long)t->bad);
}

static void threads_free(struct kind *k)
{
	struct threads *t = k ? kind_container(k, struct threads) : NULL;

	if (!t)
		return;
	threads_bpf__destroy(t->skel);
	threads_avg__free(&t->avg);
	free(t->buf);
	free(t->rec);
	free(t);
}

const struct kind_ops threads_kind = {
	.name = "threads",
	.id = CPROF_KIND_THREADS,
	.records = KIND_BIT(CPROF_KIND_THREADS),
	.opt_in = true,
	.load_fails = "this kernel refused the thread iterator (a sleepable task iterator with "
		      "bpf_copy_from_user_task, Linux 5.18+)",
	.attach_fails = "the thread iterator could not be attached",
	.open = threads_open,
	.load = threads_load,
	.attach = threads_attach,
	.poll = threads_poll,
	.detach = threads_detach,
	.report = threads_report,
	.summary = threads_summary,
	.free = threads_free,
};
