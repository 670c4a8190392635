// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The run's loop: records from the ring buffer handed to the kind that takes them, process
 * events (exec, exit, dlopen) that refresh the unwinder's view, and the watch over what
 * ends the run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "core/loadlog.h"
#include "core/options.h"
#include "core/retain.h"
#include "core/serve.h"
#include "core/session_priv.h"
#include "core/sysinfo.h"
#include "core/top.h"
#include "cprof.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/stacks.h"
#include "unwind/unwinder.h"
#include "util/log.h"
#include "util/util.h"

/* After an exec the dynamic loader maps the libraries within milliseconds, after the view
 * published at the exec event: re-read the maps of a fresh image at these delays. */
static const double resync_delays[] = { 0.002, 0.010, 0.050 };

int loop__check_targets(struct session *s)
{
	const struct cprof_opts *o = s->o;

	s->targets = calloc(o->n_pids ? o->n_pids : 1, sizeof(*s->targets));
	if (!s->targets)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_pids; i++) {
		struct target *t = &s->targets[i];
		int err = sysinfo__check_pid(o->pids[i], t->comm, sizeof(t->comm)), tgid;

		t->pid = o->pids[i];
		if (err == -ESRCH) {
			log_error("pid %d: no such process", t->pid);
			return err;
		}
		if (err == -EINVAL) {
			log_error("pid %d (%s) is a kernel thread: it has no user space to profile; "
				  "profile the whole host (no -p) to see kernel time", t->pid, t->comm);
			return err;
		}
		if (err) {
			log_error("pid %d: cannot read /proc/%d/stat: %s", t->pid, t->pid,
				  strerror(-err));
			return err;
		}
		/* Samples are matched by process: a thread's id would match none of them. */
		tgid = sysinfo__tgid(t->pid);
		if (tgid > 0 && tgid != t->pid) {
			log_error("pid %d is a thread of process %d: give -p %d", t->pid, tgid, tgid);
			return -EINVAL;
		}
	}
	s->n_targets = o->n_pids;
	return 0;
}

static struct target *find_target(struct session *s, int pid)
{
	for (size_t i = 0; i < s->n_targets; i++)
		if (s->targets[i].pid == pid)
			return &s->targets[i];
	return NULL;
}

static void target_gone(struct session *s, struct target *t)
{
	if (t->gone)
		return;
	t->gone = true;
	t->gone_after = clock__secs(CLOCK_MONOTONIC) - s->t0;
}

int loop__report_gone(const struct session *s)
{
	int gone = 0;

	for (size_t i = 0; i < s->n_targets; i++) {
		const struct target *t = &s->targets[i];

		if (!t->gone)
			continue;
		log_info("pid %d (%s) exited %.1f s into the run; the profiles cover it until then",
			 t->pid, t->comm, t->gone_after);
		gone++;
	}
	return gone;
}

/* Publishes pid's unwind view from its maps, unless its exit was read: records come after
 * the exit record (samples of its last moments, a re-read due after its exec), and a view
 * published then would stay in the BPF map, which nothing would delete it from again,
 * until the map is full and no new process gets a view. */
static void sync_view(struct session *s, int pid)
{
	if (!proctab__exited_recently(s->env.pt, pid))
		unwinder__sync(s->uw, pid, proctab__get(s->env.pt, pid));
}

static void schedule_resync(struct session *s, int pid)
{
	for (size_t i = 0; i < RESYNC_SLOTS; i++) {
		if (s->resync[i].pid && s->resync[i].pid != pid)
			continue;
		s->resync[i] = (struct resync){ .pid = pid,
						.exec_time = clock__secs(CLOCK_MONOTONIC) };
		return;
	}
}

/* Re-reads the maps of fresh images whose next delay has passed; returns the milliseconds
 * until the next one is due (at most 100). */
static int run_resyncs(struct session *s)
{
	double t = clock__secs(CLOCK_MONOTONIC), next = 0.1;

	for (size_t i = 0; i < RESYNC_SLOTS; i++) {
		struct resync *r = &s->resync[i];
		double due;

		if (!r->pid)
			continue;
		due = r->exec_time + resync_delays[r->step];
		if (t >= due) {
			proctab__invalidate(s->env.pt, r->pid);
			sync_view(s, r->pid);
			if (++r->step == ARRAY_SIZE(resync_delays)) {
				r->pid = 0;
				continue;
			}
			due = r->exec_time + resync_delays[r->step];
		}
		if (due - t < next)
			next = due - t;
	}
	return next > 0 ? (int)(next * 1000) + 1 : 1;
}

/* Exec, dlopen: the kinds that watch processes may attach to what was mapped. */
static void kinds_event(struct session *s, const struct cprof_sample *ev)
{
	for (unsigned int i = 0; i < n_kinds; i++) {
		struct kind *k = s->active[i];

		if (!k || !k->ops->on_event)
			continue;
		loadlog__begin();
		k->ops->on_event(k, ev);
		loadlog__end();
	}
}

/* A new image: its maps read (or, the process gone already, taken from what the record
 * says of them) and its tables published in place of those the exec program published
 * from the objects it knew. */
static void exec_event(struct session *s, const struct cprof_sample *r, size_t size)
{
	const struct cprof_exec_info *xi = NULL;

	if (size >= sizeof(*r) + sizeof(*xi))
		xi = (const struct cprof_exec_info *)(r + 1);
	if (s->cmd.pid > 0 && r->pid == (__u32)s->cmd.pid)
		s->cmd.execed = true;
	log_debug("pid %u: exec at %.6f s (monotonic), seen %.3f ms later", r->pid,
		  (double)r->ts / 1e9, (double)(clock__ns(CLOCK_MONOTONIC) - r->ts) / 1e6);
	proctab__exec(s->env.pt, (int)r->pid, r->image, xi);
	unwinder__exec(s->uw, (int)r->pid);
	unwinder__sync(s->uw, (int)r->pid, proctab__get(s->env.pt, (int)r->pid));
	schedule_resync(s, (int)r->pid);
	kinds_event(s, r);
}

/* A copy of a stack cut short, kept by the kind for the sample that follows. The unwind went
 * by the view of another process (a child that has not exec'ed went by its parent's): that
 * one gets the maps that hold the pc now, before the sample is finished through it. */
static void stack_copy_event(struct session *s, const struct cprof_stack_copy *c)
{
	int view = (int)c->view_pid;

	/* A process gone already: the area the kernel saw the pc in places it. */
	proctab__mapped(s->env.pt, view > 0 ? view : (int)c->pid,
			c->flags & CPROF_COPY_EXACT ? c->ip : c->ip - 1, &c->vma);
	if (view > 0 && view != (int)c->pid) {
		proctab__find_mapped(s->env.pt, view, 0, c->flags & CPROF_COPY_EXACT ? c->ip :
										  c->ip - 1);
		sync_view(s, view);
	}
	kinds_event(s, (const struct cprof_sample *)c);
}

/* Returns true when r (size bytes) was an event (handled), false for a sample. */
static bool process_event(struct session *s, const struct cprof_sample *r, size_t size)
{
	struct target *t;

	switch (r->kind) {
	case CPROF_EV_EXEC:
		exec_event(s, r, size);
		return true;
	case CPROF_EV_DLOPEN:
		kinds_event(s, r);
		return true;
	case CPROF_EV_STACK_COPY:
		/* For the sample that follows it, finished once the tables it lacked are out. */
		if (size < sizeof(struct cprof_stack_copy))
			s->bad_records++;
		else
			stack_copy_event(s, (const struct cprof_stack_copy *)r);
		return true;
	case CPROF_EV_EXIT:
		if ((t = find_target(s, r->pid)))
			target_gone(s, t);
		unwinder__forget(s->uw, r->pid);
		proctab__exit(s->env.pt, (int)r->pid);
		return true;
	default:
		return false;
	}
}

/* The active kind that takes records of kind rk; NULL if none. */
static struct kind *taker(const struct session *s, uint32_t rk)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i] && (kinds[i]->records & KIND_BIT(rk)))
			return s->active[i];
	return NULL;
}

/* kind_env.tables_now: for a frame deeper than the one a stack copy was taken at, which
 * BPF did not see mapped (the maps are reloaded only as often as proctab__find allows). */
bool loop__tables_now(struct kind_env *env, int pid, uint64_t image, uint64_t pc)
{
	struct session *s = (struct session *)(void *)((char *)env - offsetof(struct session, env));
	const struct procmaps_entry *e = proctab__find(env->pt, pid, image, pc);

	if (!e)
		return false;
	unwinder__urgent(s->uw, proctab__get(env->pt, pid), pc);
	sync_view(s, pid);
	return true;
}

/* A sample, its sizes checked: its process's tables synced, then to its kind. */
static void sample(struct session *s, const struct cprof_sample *r)
{
	struct kind *k;

	s->records++;
	/* A pid given to a new process right after its previous owner's exit. */
	proctab__record(s->env.pt, (int)r->pid, r->image);
	/* First sight of a process: capture its maps and open its files while it lives, and
	 * publish its unwind tables. A pc outside the published view (a library mapped since,
	 * e.g. by the dynamic loader right after exec, or dlopen) reloads and republishes: at
	 * once when BPF found it mapped and copied the stack there, for the kind to finish the
	 * stack with the new tables. */
	if (((r->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_MAPPING ||
	     (r->flags & CPROF_SF_STACK_COPY)) && r->n_user) {
		uint64_t pc = r->frames[r->n_kernel + r->n_user - 1];

		if (r->flags & CPROF_SF_STACK_COPY) {
			proctab__find_mapped(s->env.pt, (int)r->pid, r->image, pc);
			unwinder__urgent(s->uw, proctab__get(s->env.pt, (int)r->pid), pc);
		} else {
			proctab__find(s->env.pt, (int)r->pid, r->image, pc);
		}
	}
	sync_view(s, (int)r->pid);
	if (!s->first_complete && r->n_user &&
	    (r->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT && log__verbose()) {
		s->first_complete = true;
		/* ts is bpf_ktime_get_ns(): CLOCK_MONOTONIC */
		log_debug("first complete user stack at %.3f s (monotonic): pid %u",
			  (double)r->ts / 1e9, r->pid);
	}
	k = taker(s, r->kind);
	if (!k)
		s->orphan_records++;
	else if (k->ops->on_record ? k->ops->on_record(k, &s->env, r) :
		 stacks__add(s->env.st, r))
		s->agg_errors++;
}

/* Records come from BPF but describe target memory: check sizes before trusting counts. */
int loop__record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct cprof_sample *r = data;

	if (size < sizeof(*r)) {
		s->bad_records++;
		return 0;
	}
	if (process_event(s, r, size))
		return 0;
	/* Before its exec, COMMAND's process is our fork (inside execve): not the command. */
	if (s->cmd.pid > 0 && r->pid == (__u32)s->cmd.pid && !s->cmd.execed) {
		s->pre_exec_records++;
		return 0;
	}
	if (r->kind >= CPROF_KIND_NR || r->n_kernel > CPROF_MAX_KERNEL_FRAMES ||
	    r->n_user > CPROF_MAX_USER_FRAMES ||
	    size < sizeof(*r) + ((size_t)r->n_kernel + r->n_user) * sizeof(__u64)) {
		s->bad_records++;
		return 0;
	}
	sample(s, r);
	return 0;
}

/* Whether what the run watches is gone: COMMAND exited, or every -p target did. */
static bool watched_gone(struct session *s)
{
	bool any_alive = false;

	if (s->cmd.pid > 0)
		return s->cmd.done || command__exited(&s->cmd);
	for (size_t i = 0; i < s->n_targets; i++) {
		struct target *t = &s->targets[i];

		if (!t->gone && kill(t->pid, 0) && errno == ESRCH)
			target_gone(s, t);
		any_alive |= !t->gone;
	}
	return s->n_targets && !any_alive;
}

static bool run_over(struct session *s)
{
	if (session_stop || top__quit(s->top))
		return true;
	if (s->o->duration > 0 && clock__secs(CLOCK_MONOTONIC) - s->t0 >= s->o->duration)
		return true;
	if (!watched_gone(s))
		return false;
	if (!s->srv)
		return true;
	/* Serving: what was collected stays available until a signal or -d. */
	if (!s->gone_said) {
		s->gone_said = true;
		log_info("%s exited; still serving what was collected (Ctrl-C to stop)",
			 s->o->command ? s->o->command[0] : "every target");
	}
	return false;
}

/* The kinds' periodic work (the heap profile's rescans for allocators). */
static void kinds_poll(struct session *s)
{
	for (unsigned int i = 0; i < n_kinds; i++) {
		struct kind *k = s->active[i];

		if (!k || !k->ops->poll)
			continue;
		loadlog__begin();
		k->ops->poll(k);
		loadlog__end();
	}
}

/* Adds fd to the epoll set efd, if there is one (>= 0). */
static int watch_fd(int efd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	return fd < 0 ? 0 : epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
}

/* How long the loop may wait: resyncs, tables being built, the server's timeouts, the
 * live view's refresh. */
static int wait_ms(struct session *s)
{
	int ms = unwinder__timeout_ms(s->uw, run_resyncs(s));

	if (s->srv)
		ms = serve__timeout_ms(s->srv, ms);
	return top__timeout_ms(s->top, ms);
}

/* The monotonic start of the oldest delta still open (the server's windows, the live
 * view's interval); 0 if none. */
static double oldest_window(const struct session *s)
{
	double a = s->srv ? serve__oldest_window(s->srv) : 0, b = top__oldest_window(s->top);

	return a > 0 && (b <= 0 || a < b) ? a : b;
}

/* With --http or the live view's screen: one epoll set over the ring buffer, the server and
 * the terminal, so a request is answered and a key handled as soon as it arrives, and
 * records are drained as they come. */
static int run_epoll(struct session *s)
{
	struct epoll_event got[4];
	int efd = epoll_create1(EPOLL_CLOEXEC), err = 0;

	if (efd < 0 || watch_fd(efd, ring_buffer__epoll_fd(s->rb)) ||
	    watch_fd(efd, s->srv ? serve__fd(s->srv) : -1) || watch_fd(efd, top__fd(s->top))) {
		err = -errno;
		log_error("cannot wait for records, requests and keys: %s", strerror(errno));
		goto out;
	}
	while (!run_over(s)) {
		kinds_poll(s);
		/* Records arrive without wakeups until the ring is a quarter full: drain on the
		 * timeout too. */
		if (epoll_wait(efd, got, ARRAY_SIZE(got), wait_ms(s)) < 0 && errno != EINTR) {
			err = -errno;
			log_error("waiting for records: %s", strerror(errno));
			break;
		}
		err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR) {
			log_error("reading the ring buffer: %s", strerror(-err));
			break;
		}
		err = 0;
		unwinder__poll(s->uw);
		if (s->srv)
			serve__run(s->srv);
		top__run(s->top);
		retain__run(s, oldest_window(s));
	}
out:
	if (efd >= 0)
		close(efd);
	return err;
}

int loop__run(struct session *s)
{
	int err;

	if (s->srv || top__fd(s->top) >= 0)
		return run_epoll(s);
	while (!run_over(s)) {
		kinds_poll(s);
		/* Records arrive without wakeups until the ring is a quarter full: drain on the
		 * timeout too. */
		err = ring_buffer__poll(s->rb, unwinder__timeout_ms(s->uw, run_resyncs(s)));
		if (err >= 0)
			err = ring_buffer__consume(s->rb);
		unwinder__poll(s->uw);
		retain__run(s, 0);
		if (err < 0 && err != -EINTR) {
			log_error("reading the ring buffer: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}
