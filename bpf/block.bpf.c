// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Block (off-CPU) profile: how long threads wait between switching out voluntarily and
 * running again, with Go's block-profile sampling.
 *
 * Stacks are only ever read in the waiting task's own context:
 *  - switch-out (sched_switch, prev is current): stamp the wait in task storage. A task whose
 *    last wait was kept by the sampling also has its user stack captured here, since its
 *    next wait will likely be kept too; the cost is bounded by the rate (a task has at most
 *    1/rate waits of at least rate per second).
 *  - switch-in (sched_switch, next): the wait's length decides whether it is kept. The
 *    kernel stack of the sleeper is read then (bpf_get_task_stack: kernel memory, stable
 *    while it is off CPU). If its user stack was captured at switch-out the record goes
 *    out at once, else it waits for the task's next syscall exit (own context).
 *  - task iterators at the start (stamp tasks already asleep) and the end (report waits
 *    still in progress) keep long sleeps from being lost at the run's edges.
 */
#include "unwind.bpf.h"

const volatile __u64 block_rate_ns = 1000000;

/* x86-64 task stacks are 16 KiB (32 KiB with KASAN); interrupt handlers run on per-CPU IRQ
 * stacks instead, so code running off the current task's stack is in interrupt context. */
#define TASK_STACK_MAX (32 << 10)

struct block_task {
	__u64 t0;		/* switch-out time of the current wait, 0 if not waiting */
	__u64 last_delay;	/* length of the previous wait */
	__u64 count, delay;	/* pending record: its values */
	__u64 waker;		/* cprof_sample.aux */
	char waker_comm[CPROF_COMM_LEN];
	__u32 state;		/* prev_state at switch-out */
	__u32 pending;		/* a kept wait whose record is not sent yet */
	__u32 n_kernel, n_user;	/* captured stacks */
	__u32 user_flags;	/* unwind flags of the captured user stack */
	__u32 has_user;		/* the user stack was captured at this wait's switch-out */
	__u64 kstack[CPROF_MAX_KERNEL_FRAMES];
	__u64 ustack[CPROF_MAX_USER_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct block_task);
} block_tasks SEC(".maps");

static __always_inline bool user_task(struct task_struct *t)
{
	return t->pid && !(t->flags & PF_KTHREAD) && t->mm;
}

/* Go's blocksampled(): waits of at least the rate are kept as they are; shorter ones with
 * probability delay/rate, standing for rate/delay waits of rate ns in all. */
static __always_inline bool keep_wait(__u64 delay, __u64 *count, __u64 *value)
{
	__u64 rate = block_rate_ns ? block_rate_ns : 1;

	*count = 1;
	*value = delay;
	if (delay >= rate)
		return true;
	if (!delay || (((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32()) % rate >= delay)
		return false;
	*count = rate / delay;
	*value = rate;
	return true;
}

/* Unwinds current's user stack into bt (own context: current is the waiting task). */
static __always_inline void capture_user(struct block_task *bt)
{
	struct sample_buf *b = sample_begin(CPROF_KIND_BLOCK);
	__u32 n;

	bt->has_user = 0;
	if (!b)
		return;
	unwind_user(NULL, b);
	n = b->s.n_user;
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	if (bpf_probe_read_kernel(bt->ustack, (n & (SCRATCH_FRAMES - 1)) * sizeof(__u64),
				  b->frames))
		return;
	bt->n_user = n;
	bt->user_flags = b->s.flags;
	bt->has_user = 1;
}

/* Sends bt's pending wait as a record about task, with its captured stacks. */
static __always_inline void send_wait(struct block_task *bt, struct task_struct *task)
{
	struct sample_buf *b = sample_begin_task(CPROF_KIND_BLOCK, task);
	__u64 nk = bt->n_kernel, nu = bt->n_user;

	bt->pending = 0;
	if (!b)
		return;
	b->s.value[0] = bt->count;
	b->s.value[1] = bt->delay;
	b->s.addr = bt->state;
	b->s.aux = bt->waker;
	__builtin_memcpy(b->s.aux_comm, bt->waker_comm, sizeof(b->s.aux_comm));
	b->s.flags = CPROF_STOP_NO_REGS;	/* no user stack unless one was captured */
	/* Explicit bounds the verifier can follow: kernel part ≤ 64, user part ≤ 256. */
	asm volatile("" : "+r"(nk), "+r"(nu));
	if (nk > CPROF_MAX_KERNEL_FRAMES)
		nk = CPROF_MAX_KERNEL_FRAMES;
	if (nu > CPROF_MAX_USER_FRAMES)
		nu = CPROF_MAX_USER_FRAMES;
	if (nk && bpf_probe_read_kernel(b->frames, nk * sizeof(__u64), bt->kstack))
		nk = 0;
	b->s.n_kernel = nk;
	if (bt->has_user && nu &&
	    !bpf_probe_read_kernel(&b->frames[nk], nu * sizeof(__u64), bt->ustack)) {
		b->s.flags = bt->user_flags;
		b->s.n_user = nu;
	}
	sample_submit(b);
}

static __always_inline void switch_out(struct task_struct *prev, unsigned int prev_state,
				       bool preempt, __u64 now)
{
	struct block_task *bt;

	if (!user_task(prev) || !pid_watched(prev->tgid))
		return;
	bt = bpf_task_storage_get(&block_tasks, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!bt) {
		count(CPROF_CNT_BLOCK_NO_STORAGE);
		return;
	}
	if (bt->pending) {
		/* Kept, but no syscall exit came since: take the stack here, in its context. */
		count(CPROF_CNT_BLOCK_OVERWRITTEN);
		capture_user(bt);
		send_wait(bt, prev);
	}
	/* Involuntary preemption (still runnable) is not waiting. */
	if (preempt || !(prev_state & (CPROF_TASK_INTERRUPTIBLE | CPROF_TASK_UNINTERRUPTIBLE))) {
		bt->t0 = 0;
		return;
	}
	bt->t0 = now;
	bt->state = prev_state;
	bt->waker = 0;
	bt->has_user = 0;
	if (bt->last_delay >= block_rate_ns)
		capture_user(bt);
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	struct block_task *bt;
	__u64 delay;
	long n;

	if (!next->pid)
		return;
	bt = bpf_task_storage_get(&block_tasks, next, NULL, 0);
	if (!bt || !bt->t0)
		return;
	delay = now - bt->t0;
	bt->t0 = 0;
	bt->last_delay = delay;
	count(CPROF_CNT_BLOCK_WAITS);
	if (!keep_wait(delay, &bt->count, &bt->delay))
		return;
	count(CPROF_CNT_BLOCK_KEPT);
	n = bpf_get_task_stack(next, bt->kstack, sizeof(bt->kstack), 0);
	bt->n_kernel = n > 0 ? n / sizeof(__u64) : 0;
	bt->pending = 1;
	if (bt->has_user)
		send_wait(bt, next);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_block_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();

	switch_out(prev, prev_state, preempt, now);
	switch_in(next, now);
	return 0;
}

/* Runs in the waker's context: remembers who ended the wait. */
SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_block_waking, struct task_struct *p)
{
	struct block_task *bt = bpf_task_storage_get(&block_tasks, p, NULL, 0);
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 here = (__u64)&bt, stack = (__u64)cur->stack;

	if (!bt || !bt->t0 || bt->waker)
		return 0;
	/* A timer or I/O completion interrupt woke it, not the task it interrupted. Per-CPU
	 * preempt_count would say so too, but it is not always reachable from BPF. */
	if (!cur->pid || here - stack >= TASK_STACK_MAX) {
		bt->waker = CPROF_WAKER_IRQ;
		return 0;
	}
	bt->waker = bpf_get_current_pid_tgid();
	bt->waker = (bt->waker >> 32) << 32 | (__u32)bt->waker;
	bpf_get_current_comm(bt->waker_comm, sizeof(bt->waker_comm));
	return 0;
}

/* The woken task's own context, right after its blocking syscall: its user stack. */
SEC("tp_btf/sys_exit")
int BPF_PROG(cprof_block_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct block_task *bt = bpf_task_storage_get(&block_tasks, task, NULL, 0);

	if (!bt || !bt->pending)
		return 0;
	capture_user(bt);
	send_wait(bt, task);
	return 0;
}

/* Set by user space before running the iterator: 1 = stamp the waits in progress at the
 * start, 2 = report the waits in progress at the end. */
__u32 iter_mode;
__u64 iter_now;

SEC("iter/task")
int cprof_block_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct block_task *bt;
	long n;

	if (!task || !user_task(task) || !pid_watched(task->tgid))
		return 0;
	if (iter_mode == 1) {
		if (task->__state == 0)	/* running or runnable: not waiting */
			return 0;
		bt = bpf_task_storage_get(&block_tasks, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (bt && !bt->t0) {
			bt->t0 = iter_now;
			bt->state = task->__state;
		}
		return 0;
	}
	bt = bpf_task_storage_get(&block_tasks, task, NULL, 0);
	if (bt && bt->pending)	/* kept, but it never ran a syscall exit since */
		send_wait(bt, task);
	if (!bt || !bt->t0 || bt->t0 > iter_now)
		return 0;
	count(CPROF_CNT_BLOCK_WAITS);
	if (!keep_wait(iter_now - bt->t0, &bt->count, &bt->delay))
		return 0;
	count(CPROF_CNT_BLOCK_KEPT);
	n = bpf_get_task_stack(task, bt->kstack, sizeof(bt->kstack), 0);
	bt->n_kernel = n > 0 ? n / sizeof(__u64) : 0;
	send_wait(bt, task);
	bt->t0 = 0;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
