// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mutex (lock contention) profile with Go's semantics: the delay a contended lock caused is
 * charged to the stack that released it. Only contention reaches the kernel, as a futex wait
 * and a futex wake, and both are seen from the scheduler's tracepoints, with the futex call
 * read from the task's saved user registers:
 *  - sched_switch, prev going to sleep in a lock wait of a watched process: stamp it;
 *  - sched_waking, in the waker's context: a waker whose futex call releases a lock on a
 *    stamped waiter's word has its user stack kept for the waiter, 1 in mutex_rate;
 *  - sched_switch, next running again: a waiter woken by a kept release sends the record.
 * No syscall tracepoint: one puts every syscall of the host on the slow path. docs/BPF.md
 * (mutex) has what is charged, the measurements behind these choices and their costs.
 */
#include "user_stack.bpf.h"
#include "sched.bpf.h"
#include "futex_class.h"
#include "random.bpf.h"

const volatile __u32 mutex_rate = 1;

struct mutex_task {
	/* As a waiter. */
	__u64 wait_uaddr;	/* 0: not in a lock wait; futex_waitv: its first lock futex */
	__u64 wait_t0;		/* switch-out time (runqueue clock) */
	__u32 wait_val;		/* the value it sleeps on (futex_waitv: its first lock futex's) */
	__u32 pending;		/* woken by a kept lock release: send at switch-in */
	__u32 waitv;		/* in a futex_waitv on several lock futexes (mutex_waitv) */
	/* The waker of a pending wait: who, and its user stack at the wake. */
	struct waker waker;
	struct user_stack ustack;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mutex_task);
} mutex_tasks SEC(".maps");

/* A futex_waitv's lock futexes (entries waiting for a non-zero value), kept only for a
 * waitv with more than one: a wake on any of them ends the wait. Separate from mutex_task
 * so that other threads do not carry the 1 KiB. */
struct mutex_waitv {
	__u32 n;
	__u64 uaddr[CPROF_FUTEX_WAITV_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mutex_waitv);
} mutex_waitvs SEC(".maps");

/* Task storage for prev, a watched task going to sleep in a lock wait (prev is current). */
static __always_inline struct mutex_task *waiter_storage(struct task_struct *prev)
{
	struct mutex_task *mt;

	if (!pid_watched(prev->tgid))
		return NULL;
	mt = bpf_task_storage_get(&mutex_tasks, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!mt)
		count(CPROF_CNT_MUTEX_NO_STORAGE);
	return mt;
}

struct waitv_read {
	const struct futex_waitv *user;	/* the waiter's vector */
	struct mutex_waitv *wv;		/* NULL: find the first lock futex only */
	__u64 first;			/* the first lock futex */
	__u32 first_val;		/* the value it waits on */
};

static long waitv_read_step(__u64 i, void *ctx)
{
	struct waitv_read *r = ctx;
	struct futex_waitv w;
	__u32 n;

	if (bpf_probe_read_user(&w, sizeof(w), &r->user[i]))
		return 1;
	if (!w.uaddr || !cprof_futex_lock_wait(CPROF_FX_WAIT, w.val))
		return 0;
	if (!r->first) {
		r->first = w.uaddr;
		r->first_val = w.val;
	}
	if (!r->wv)
		return 0;
	n = r->wv->n;
	if (n < CPROF_FUTEX_WAITV_MAX)
		r->wv->uaddr[n & (CPROF_FUTEX_WAITV_MAX - 1)] = w.uaddr;
	r->wv->n = n + 1;
	return 0;
}

/* futex_waitv(waiters, nr_futexes, ...): the first lock futex of the vector and its value
 * (*val), and every such entry in mutex_waitvs when there are several (*several). Returns
 * the first, 0 if none. */
static __always_inline __u64 read_waitv(struct task_struct *prev, const void *user, __u64 nr_arg,
					__u32 *val, __u32 *several)
{
	struct waitv_read r = { .user = user };
	__u32 nr = nr_arg < CPROF_FUTEX_WAITV_MAX ? nr_arg : CPROF_FUTEX_WAITV_MAX;

	if (!nr)
		return 0;
	if (nr > 1) {
		r.wv = bpf_task_storage_get(&mutex_waitvs, prev, NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!r.wv)
			count(CPROF_CNT_MUTEX_NO_STORAGE);
		else
			r.wv->n = 0;
	}
	bpf_loop(nr, waitv_read_step, &r, 0);
	*val = r.first_val;
	*several = r.wv && r.wv->n > 1;
	return r.first;
}

/* prev (current) goes to sleep: stamps it when it sleeps in a lock wait of a watched
 * process. Every sleep on the host comes here, so the tests that reject most of them are
 * loads of prev's saved registers; the pid filter and task storage come after. */
static __always_inline void switch_out_asleep(struct task_struct *prev, bool new_kernel)
{
	struct pt_regs *regs = saved_regs(prev, new_kernel);
	long nr = regs->orig_ax;
	struct mutex_task *mt;
	__u64 uaddr = 0, val;
	__u32 waitv_val = 0, several = 0;
	int cls;

	if (!cprof_futex_waits(nr) || regs->ax != (unsigned long)-ENOSYS_VAL)
		return;
	cls = cprof_futex_classify(nr, regs->si);
	if (nr == CPROF_NR_FUTEX_WAITV) {
		if (!(mt = waiter_storage(prev)) ||
		    !(uaddr = read_waitv(prev, (void *)regs->di, regs->si, &waitv_val, &several)))
			return;
		mt->waitv = several;
		mt->wait_val = waitv_val;
	} else {
		uaddr = regs->di;
		val = nr == CPROF_NR_FUTEX_WAIT ? regs->si : regs->dx;
		if (!uaddr || !cprof_futex_lock_wait(cls, val) || !(mt = waiter_storage(prev)))
			return;
		mt->waitv = 0;
		mt->wait_val = val;
	}
	mt->wait_uaddr = uaddr;
	mt->wait_t0 = sched_now(prev, new_kernel);
	mt->pending = 0;
}

struct waitv_match {
	struct mutex_waitv *wv;
	__u64 uaddr;
	bool found;
};

static long waitv_match_step(__u64 i, void *ctx)
{
	struct waitv_match *m = ctx;

	if (i >= m->wv->n)
		return 1;
	if (m->wv->uaddr[i & (CPROF_FUTEX_WAITV_MAX - 1)] != m->uaddr)
		return 0;
	m->found = true;
	return 1;
}

/* The waiter p waits (also) on uaddr: its own word, or one of its futex_waitv's. */
static __always_inline bool waits_on(struct task_struct *p, struct mutex_task *waiter,
				     __u64 uaddr)
{
	struct waitv_match m = { .uaddr = uaddr };

	if (waiter->wait_uaddr == uaddr)
		return true;
	if (!waiter->waitv)
		return false;
	m.wv = bpf_task_storage_get(&mutex_waitvs, p, NULL, 0);
	if (!m.wv)
		return false;
	bpf_loop(CPROF_FUTEX_WAITV_MAX, waitv_match_step, &m, 0);
	if (m.found)
		waiter->wait_uaddr = uaddr;	/* the record names the futex woken */
	return m.found;
}

/* next runs again: a wait ended by a kept lock release is sent, any other lock wait
 * (timeout, signal, a wake that released no lock, one the sampling dropped) ends here
 * without a record. */
static __always_inline void switch_in(struct task_struct *prev, struct task_struct *next,
				      bool new_kernel)
{
	struct mutex_task *mt = bpf_task_storage_get(&mutex_tasks, next, NULL, 0);

	if (!mt || !mt->wait_uaddr)
		return;
	if (mt->pending) {
		/* In the waiter's switch-in (current is another task): charged to the waker,
		 * values scaled by the rate as Go's scaleMutexProfile does. */
		__u32 rate = mutex_rate ? mutex_rate : 1;
		__u64 now = sched_now(prev, new_kernel);

		send_wait(CPROF_KIND_MUTEX, next, rate,
			  now > mt->wait_t0 ? (now - mt->wait_t0) * rate : 0, mt->wait_uaddr,
			  &mt->waker, NULL, &mt->ustack);
	}
	mt->wait_uaddr = 0;
	mt->waitv = 0;
	mt->pending = 0;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev,
				     struct task_struct *next, unsigned int prev_state,
				     bool new_kernel)
{
	/* Involuntary preemption (still runnable) is no sleep. Tasks without any task storage
	 * (no lock wait seen, in any watched process) are told by a pointer test. */
	bool asleep = !preempt &&
		      (prev_state & (CPROF_TASK_INTERRUPTIBLE | CPROF_TASK_UNINTERRUPTIBLE));

	if (asleep)
		switch_out_asleep(prev, new_kernel);
	if (task_fields(next, new_kernel)->bpf_storage)
		switch_in(prev, next, new_kernel);
	return 0;
}

/* The waker's user stack, unwound in its own context, into the waiter's storage. Probe
 * reads: waker_release() is one function for both programs, 6.1's too. */
static __always_inline void capture_waker(struct mutex_task *waiter)
{
	if (user_stack_keep(&waiter->ustack, CPROF_KIND_MUTEX, NULL, false, TASK_PROBE) == -1)
		return;
	if (!waiter->ustack.n)
		waiter->ustack.flags = CPROF_STOP_READ_FAULT;
	waker_note(&waiter->waker, bpf_get_current_task_btf());
	waiter->pending = 1;
}

/* A lock waiter p of the current process is woken by the task current, in a system call
 * (regs): when that call releases a lock on p's word, p gets current's stack, 1 in
 * mutex_rate. Not inlined: this frame's locals keep the caller's frame small (see
 * woken_by_interrupt). */
static __noinline int waker_release(struct task_struct *p, struct mutex_task *waiter,
				    struct pt_regs *regs)
{
	__u32 rate = mutex_rate ? mutex_rate : 1;
	__u32 word = 0;
	int cls, ok = 0;

	if (!waiter)
		return 0;
	cls = cprof_futex_classify(regs->orig_ax, regs->si);
	if ((cls != CPROF_FX_WAKE && cls != CPROF_FX_UNLOCK_PI && cls != CPROF_FX_REQUEUE) ||
	    !waits_on(p, waiter, regs->di))
		return 0;
	if (cls == CPROF_FX_WAKE)
		ok = !bpf_probe_read_user(&word, sizeof(word), (void *)regs->di);
	if (!cprof_futex_lock_release(cls, ok, word, waiter->wait_val)) {
		waiter->wait_uaddr = 0;
		count(CPROF_CNT_MUTEX_NOT_LOCK);
		return 0;
	}
	count(CPROF_CNT_MUTEX_WAKES);
	if (rate > 1 && random32() % rate) {
		waiter->wait_uaddr = 0;
		return 0;
	}
	count(CPROF_CNT_MUTEX_KEPT);
	capture_waker(waiter);
	return 0;
}

/* In the waker's context (current) for each task p it wakes: only waiters with a lock-wait
 * stamp go further than a pointer test and a storage lookup. */
static __always_inline int on_waking(struct task_struct *p, bool new_kernel)
{
	struct task_struct *cur;
	struct mutex_task *waiter;
	struct pt_regs *regs;

	if (!task_fields(p, new_kernel)->bpf_storage)
		return 0;
	waiter = bpf_task_storage_get(&mutex_tasks, p, NULL, 0);
	if (!waiter || !waiter->wait_uaddr || waiter->pending)
		return 0;
	cur = bpf_get_current_task_btf();
	if (p->tgid != cur->tgid || woken_by_interrupt(cur, new_kernel))
		return 0;
	regs = saved_regs(cur, new_kernel);
	if (!in_syscall(regs))
		return 0;
	return waker_release(p, waiter, regs);
}

/* Kernels with bpf_rdonly_cast() (6.2+): user space loads these two, else the two after. */
SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_mutex_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, true);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_mutex_waking, struct task_struct *p)
{
	return on_waking(p, true);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_mutex_switch_call, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	return on_switch(preempt, prev, next, prev_state, false);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_mutex_waking_call, struct task_struct *p)
{
	return on_waking(p, false);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
