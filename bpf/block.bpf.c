// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Block (off-CPU) profile: how long threads wait between switching out voluntarily and
 * running again, with Go's block-profile sampling. Stacks are only ever read in the waiting
 * task's own context: the user stack at switch-out (for a task whose last wait was kept), or
 * by a task work (6.18+) or at sys_exit once it runs again; the kernel stack at switch-in.
 * sched_waking names the waker; task iterators cover the waits at the run's edges. Every
 * context switch and wake-up of the host runs these programs: their common paths do little
 * more than task-storage lookups. docs/BPF.md (block) has the details and measurements.
 */
#include "user_stack.bpf.h"
#include "sched.bpf.h"
#include "block_sample.h"
#include "random.bpf.h"

const volatile __u64 block_rate_ns = 1000000;

/* Kernel 6.18+; user space loads the programs that call them only where they exist. */
extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map, bpf_task_work_callback_t callback,
					      void *aux__prog) __ksym __weak;
extern void bpf_preempt_disable(void) __ksym __weak;
extern void bpf_preempt_enable(void) __ksym __weak;

struct block_task {
	__u64 t0;		/* switch-out time of the current wait (rq clock), 0 if none */
	__u64 last_delay;	/* length of the previous wait */
	__u64 count, delay;	/* pending record: its values */
	struct waker waker;	/* of the current wait */
	__u32 state;		/* prev_state at switch-out */
	__u32 pending;		/* a kept wait whose record is not sent yet */
	__u32 has_user;		/* ustack holds the stack of the current context */
	__u32 swept;		/* t0 comes from the start sweep, not from a switch-out */
	__u64 ran_at_out;	/* se.sum_exec_runtime at the last switch-out */
	__u64 entry_ip, entry_sp;	/* user registers of the pending wait's kernel entry */
	struct kernel_stack kstack;	/* of the pending record */
	struct user_stack ustack;	/* captured in the task's own context */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct block_task);
} block_tasks SEC(".maps");

/* Task works are map values (task storage cannot hold them): one per thread id with a
 * kept wait, evicted least recently used (a work is needed only until the thread next
 * returns to user space). An evicted work is cancelled; its record then goes out at the
 * task's next switch-out or in the end sweep. User space shrinks the map to one entry on
 * kernels without task works. */
struct block_work {
	struct bpf_task_work tw;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct block_work);
} block_works SEC(".maps");

/* A thread of a user process (not a kernel thread, nor one that has left its address
 * space), watched. */
static __always_inline bool watched_user_task(struct task_struct *t, enum task_load how)
{
	return t->pid && !(t->flags & PF_KTHREAD) && pid_watched(t->tgid) && task_mm(t, how);
}

/* How the switch programs load task fields: with_work (6.18) implies bpf_rdonly_cast. */
static __always_inline enum task_load switch_load(bool with_work)
{
	return with_work ? TASK_CAST : TASK_PLAIN;
}

/* Go's sampling (bpf/block_sample.h); a random draw only for waits shorter than the rate. */
static __always_inline bool keep_wait(__u64 delay, __u64 *count, __u64 *value)
{
	return block_sample(delay, block_rate_ns, delay < block_rate_ns ? random64() : 0, count,
			    value);
}

/* Unwinds current's user stack into bt (own context: current is the waiting task). */
static __always_inline void capture_user(struct block_task *bt, enum task_load how)
{
	bt->has_user = !user_stack_keep(&bt->ustack, CPROF_KIND_BLOCK, NULL, false, how);
}

/* The user registers saved when t entered the kernel: they stay until it returns. */
static __always_inline void note_entry(struct block_task *bt, struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	bt->entry_ip = regs->ip;
	bt->entry_sp = regs->sp;
}

/* current is still in (or leaving) the kernel entry of its pending wait: its user stack
 * is the one it waited with. A task work normally runs before the task's next entry, but
 * not always (and the sys_exit fallback misses waits outside syscalls, e.g. page faults);
 * a stack from a later entry would be another wait's. */
static __always_inline void capture_if_same_entry(struct block_task *bt, struct task_struct *t,
						  enum task_load how)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (regs->ip == bt->entry_ip && regs->sp == bt->entry_sp) {
		capture_user(bt, how);
		return;
	}
	bt->has_user = 0;
	count(CPROF_CNT_BLOCK_STACK_LATE);
}

/* Sends bt's pending wait as a record about task, with its captured stacks. */
static __always_inline void send_pending(struct block_task *bt, struct task_struct *task)
{
	int err;

	bt->pending = 0;
	/* No stack captured: an empty one that says so. (Stored here: a choice between two
	 * stacks made before the record is begun costs this program stack it has not got.) */
	if (!bt->has_user) {
		bt->ustack.n = 0;
		bt->ustack.flags = CPROF_STOP_NOT_CAPTURED;
	}
	err = send_wait(CPROF_KIND_BLOCK, task, bt->count, bt->delay, bt->state, &bt->waker,
			&bt->kstack, &bt->ustack);
	if (err == -2)
		return;
	bt->kstack.flags = 0;
	if (err)
		count_n(CPROF_CNT_BLOCK_LOST_DELAY, bt->delay);
}

/* The task's first wait: its storage, if its process is watched. */
static __always_inline struct block_task *new_task(struct task_struct *t, enum task_load how)
{
	struct block_task *bt;

	if (!watched_user_task(t, how))
		return NULL;
	bt = bpf_task_storage_get(&block_tasks, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!bt)
		count(CPROF_CNT_BLOCK_NO_STORAGE);
	return bt;
}

/* prev is running, so its last wait ended, but no sched_switch reported that: on this
 * kernel about one switch-in in a few hundred never reaches the program (nor ftrace's
 * sched_switch event). It has run without interruption since, for the CPU time it gained
 * since its last switch-out: the wait ended that long ago. Its user stack, if captured
 * at the wait's start, is still its own; its kernel stack is gone. (The end sweep uses
 * this too, for tasks found running with a wait still open: missed = false.) */
static __always_inline void end_unseen(struct block_task *bt, struct task_struct *prev,
				       __u64 now, bool missed)
{
	__u64 ran = prev->se.sum_exec_runtime - bt->ran_at_out;
	__u64 end = now - ran, delay = end > bt->t0 ? end - bt->t0 : 0;

	if (missed)
		count(CPROF_CNT_BLOCK_UNSEEN_END);
	count(CPROF_CNT_BLOCK_WAITS);
	bt->t0 = 0;
	bt->last_delay = delay;
	if (keep_wait(delay, &bt->count, &bt->delay)) {
		count(CPROF_CNT_BLOCK_KEPT);
		bt->kstack.flags = CPROF_SF_KSTACK_ERR;
		send_pending(bt, prev);
	}
	bt->has_user = 0;
}

/* prev (current) leaves the CPU; state is its task state if it goes to sleep, else 0. */
static __always_inline void switch_out(struct block_task *bt, struct task_struct *prev,
				       unsigned int state, __u64 now, enum task_load how)
{
	if (bt->t0 && !bt->swept)
		end_unseen(bt, prev, now, true);
	bt->swept = 0;
	bt->ran_at_out = prev->se.sum_exec_runtime;
	if (bt->pending) {
		/* Kept, and no task work ran since: e.g. it waits again in the same syscall. */
		capture_if_same_entry(bt, prev, how);
		send_pending(bt, prev);
	}
	if (!state) {
		bt->t0 = 0;
		bt->has_user = 0;
		return;
	}
	bt->t0 = now;
	bt->state = state;
	bt->waker.id = 0;
	if (!bt->has_user && bt->last_delay >= block_rate_ns)
		capture_user(bt, how);
}

/* Called back in the task's own context on its way to user space (or in its exit). */
static int user_stack_work(struct bpf_map *map, void *key, void *value)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct block_task *bt = bpf_task_storage_get(&block_tasks, task, NULL, 0);

	if (!bt || !bt->pending)
		return 0;
	/* Task works run preemptible; the scratch records are per CPU. */
	bpf_preempt_disable();
	capture_if_same_entry(bt, task, TASK_CAST);
	send_pending(bt, task);
	bt->has_user = 0;	/* the task runs on: this stack is not its next wait's */
	bpf_preempt_enable();
	return 0;
}

/* Asks for next's user stack at its return to user space (task work). */
static __always_inline void request_user_stack(struct task_struct *next)
{
	struct block_work zero = {}, *w;
	__u32 tid = next->pid;

	w = bpf_map_lookup_elem(&block_works, &tid);
	if (!w) {
		bpf_map_update_elem(&block_works, &tid, &zero, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&block_works, &tid);
	}
	/* -EBUSY: a work scheduled earlier has not run yet; it sends this record. */
	if (w)
		bpf_task_work_schedule_resume_impl(next, &w->tw, &block_works, user_stack_work,
						   NULL);
}

/* next is about to run after a wait; with_work: the kernel has task works. */
static __always_inline void switch_in(struct block_task *bt, struct task_struct *next,
				      __u64 now, bool with_work)
{
	__u64 delay = now > bt->t0 ? now - bt->t0 : 0;
	long n;

	bt->t0 = 0;
	bt->swept = 0;
	bt->last_delay = delay;
	count(CPROF_CNT_BLOCK_WAITS);
	if (!keep_wait(delay, &bt->count, &bt->delay)) {
		bt->has_user = 0;
		return;
	}
	count(CPROF_CNT_BLOCK_KEPT);
	n = bpf_get_task_stack(next, bt->kstack.ip, sizeof(bt->kstack.ip), 0);
	bt->kstack.n = n > 0 ? n / sizeof(__u64) : 0;
	bt->pending = 1;
	if (bt->has_user) {
		send_pending(bt, next);
		bt->has_user = 0;
		return;
	}
	note_entry(bt, next);
	if (with_work)
		request_user_stack(next);
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev,
				     struct task_struct *next, unsigned int prev_state,
				     bool with_work)
{
	struct block_task *out = NULL, *in = NULL;
	unsigned int state = 0;
	__u64 now;

	/* Involuntary preemption (still runnable) is not waiting. */
	if (!preempt && (prev_state & (CPROF_TASK_INTERRUPTIBLE | CPROF_TASK_UNINTERRUPTIBLE)))
		state = prev_state;
	if (prev->pid)
		out = bpf_task_storage_get(&block_tasks, prev, NULL, 0);
	if (!out && state)
		out = new_task(prev, switch_load(with_work));
	if (next->pid)
		in = bpf_task_storage_get(&block_tasks, next, NULL, 0);
	if (in && !in->t0)
		in = NULL;
	if (!in && !(out && (state || out->pending || out->t0 || out->has_user)))
		return 0;
	now = sched_now(prev, with_work);
	if (out)
		switch_out(out, prev, state, now, switch_load(with_work));
	if (in)
		switch_in(in, next, now, with_work);
	return 0;
}

/* Kernels with task works (6.18+): user space loads this one and not the two below. */
SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_block_switch_tw, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, true);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_block_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, false);
}

/* Older kernels: the woken task's own context right after its blocking syscall. */
SEC("tp_btf/sys_exit")
int BPF_PROG(cprof_block_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct block_task *bt = bpf_task_storage_get(&block_tasks, task, NULL, 0);

	if (!bt || !bt->pending)
		return 0;
	capture_if_same_entry(bt, task, TASK_PLAIN);
	send_pending(bt, task);
	bt->has_user = 0;
	return 0;
}

/* In the waker's context: remembers who ended the wait. */
static __always_inline int on_waking(struct task_struct *p, bool new_kernel)
{
	struct block_task *bt = bpf_task_storage_get(&block_tasks, p, NULL, 0);
	struct task_struct *cur;

	if (!bt || !bt->t0 || bt->waker.id)
		return 0;
	cur = bpf_get_current_task_btf();
	if (woken_by_interrupt(cur, new_kernel)) {
		bt->waker.id = CPROF_WAKER_IRQ;
		return 0;
	}
	waker_note(&bt->waker, cur);
	return 0;
}

/* Kernels with task works (6.18+), which have bpf_rdonly_cast() too; the other one before. */
SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_block_waking_tw, struct task_struct *p)
{
	return on_waking(p, true);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_block_waking, struct task_struct *p)
{
	return on_waking(p, false);
}

/* Set by user space before running the iterator: 1 = stamp the waits in progress at the
 * start, 2 = report the waits in progress at the end. */
__u32 iter_mode;

/* Start sweep: a task asleep since before the run waits from now on. */
static __always_inline void stamp_asleep(struct task_struct *task)
{
	unsigned int state = task->__state;
	struct block_task *bt;

	if (!(state & (CPROF_TASK_INTERRUPTIBLE | CPROF_TASK_UNINTERRUPTIBLE)))
		return;
	bt = bpf_task_storage_get(&block_tasks, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!bt) {
		count(CPROF_CNT_BLOCK_NO_STORAGE);
		return;
	}
	if (!bt->t0) {
		bt->t0 = sched_now_read(bpf_get_current_task_btf());
		bt->state = state;
		bt->waker.id = 0;
		bt->swept = 1;
		bt->ran_at_out = task->se.sum_exec_runtime;
	}
}

/* End sweep: records still unsent, and the waits still in progress up to now. */
static __always_inline void report_in_progress(struct task_struct *task)
{
	struct block_task *bt = bpf_task_storage_get(&block_tasks, task, NULL, 0);
	__u64 now = sched_now_read(bpf_get_current_task_btf());
	long n;

	if (!bt)
		return;
	if (bt->pending)	/* kept, but it never returned to user space since */
		send_pending(bt, task);
	if (!bt->t0 || bt->t0 > now)
		return;
	if (!(task->__state & (CPROF_TASK_INTERRUPTIBLE | CPROF_TASK_UNINTERRUPTIBLE)) &&
	    !bt->swept) {
		/* Running: its wait ended after the programs were detached (or unseen). */
		end_unseen(bt, task, now, false);
		return;
	}
	count(CPROF_CNT_BLOCK_WAITS);
	if (!keep_wait(now - bt->t0, &bt->count, &bt->delay))
		return;
	count(CPROF_CNT_BLOCK_KEPT);
	n = bpf_get_task_stack(task, bt->kstack.ip, sizeof(bt->kstack.ip), 0);
	bt->kstack.n = n > 0 ? n / sizeof(__u64) : 0;
	send_pending(bt, task);
	bt->t0 = 0;
	bt->has_user = 0;
}

SEC("iter/task")
int cprof_block_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	/* One program for every kernel, and it runs twice a run. */
	if (!task || !watched_user_task(task, TASK_PROBE))
		return 0;
	if (iter_mode == 1)
		stamp_asleep(task);
	else
		report_in_progress(task);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
