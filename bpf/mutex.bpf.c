// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mutex (lock contention) profile with Go's semantics: the delay a contended lock caused is
 * charged to the stack that released it.
 *
 * Only contention reaches the kernel: an uncontended lock and unlock are user-space atomics
 * and cost nothing here. A contended lock is a futex wait, its release a futex wake:
 *  - sys_enter of a lock wait stamps the waiter (futex word, time) in task storage;
 *  - sys_enter of a wake marks the waker with its word and whether it released a lock
 *    (futex_class.h has the rules);
 *  - sched_waking runs in the waker's context for each task it wakes: for a lock waiter of
 *    the same process on the same word, the waker's user stack is unwound there (its own
 *    context) into the waiter's storage, 1 in mutex_rate kept;
 *  - the waiter's sys_exit sends the record: the waker's stack and thread, 1 contention,
 *    the delay from the waiter's wait to its return (values scaled by the rate, as Go's
 *    scaleMutexProfile does).
 * Go charges the unlocker with the time its waiters waited until the unlock. The wait until
 * the waiter runs again is what it costs the waiter, and with busy CPUs the time from
 * being woken to running is a large part of it (half, on 2 CPUs with spinning holders):
 * it is charged too, to the same unlocker. A woken waiter that loses the lock to another
 * thread waits again; that second wait is charged to whoever releases it next.
 * A waiter's sys_exit without a lock-release wake (timeout, signal, EAGAIN, a condition
 * variable) clears its stamp: nobody is charged.
 *
 * Syscalls are hooked through the per-syscall tracepoints (syscalls/sys_enter_futex...)
 * when tracefs is there, so that other syscalls on the host run no program; otherwise
 * through raw sys_enter/sys_exit with an early return on non-futex syscalls.
 *
 * What processes that are not watched pay (measured with kernel.bpf_stats_enabled while
 * -p watched an idle process and an unwatched one contended a lock; ns per run include
 * the stats' own clock reads): sched_waking ~115-140 ns per wake-up of the host, the
 * futex enter ~140-180 ns and exit ~95-100 ns per futex call; nothing on other syscalls.
 * Each returns at its first map lookup: the exit and sched_waking look up the task's
 * mutex storage, which unwatched tasks never get, before anything else (a task without
 * storage answers at a pointer test; the pid filter's hash lookup first measured
 * 105-135 ns instead); the enter classifies the call from its arguments, then checks the
 * pid filter. The larger cost to a bystander is not in these programs: while any syscall
 * tracepoint is enabled, every task of the host takes the kernel's slow syscall path
 * (getppid measured 167 → 230 ns here). fentry/fexit on __x64_sys_futex would avoid that,
 * but loading a BPF_TRACE_FENTRY program fails with EPERM on the machines this is tested
 * on, so the path could not be tested and is not offered.
 */
#include "unwind.bpf.h"
#include "futex_class.h"

const volatile __u32 mutex_rate = 1;

struct mutex_task {
	/* As a waiter. */
	__u64 wait_uaddr;	/* 0: not in a lock wait; futex_waitv: its first lock futex */
	__u64 wait_t0;
	__u32 pending;		/* woken by a kept lock release: send at sys_exit */
	__u32 waitv;		/* in a futex_waitv on several lock futexes (mutex_waitv) */
	/* As a waker, during one wake syscall. */
	__u32 waking;		/* inside a wake syscall */
	__u64 wake_uaddr;
	__u32 wake_lock;	/* it releases a lock */
	/* The waker of a pending wait: who, and its user stack at the wake. */
	__u32 waker_tid;
	char waker_comm[CPROF_COMM_LEN];
	__u32 n_user, user_flags;
	__u64 ustack[CPROF_MAX_USER_FRAMES];
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

/* The futex word and expected value of a futex/futex_wait wait. */
static __always_inline void wait_args(long nr, const unsigned long *a, __u64 *uaddr, __u64 *val)
{
	if (nr == CPROF_NR_FUTEX_WAIT) {
		*uaddr = a[0];
		*val = a[1];
	} else {
		*uaddr = a[0];
		*val = a[2];
	}
}

static __always_inline struct mutex_task *own_storage(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct mutex_task *mt;

	if (!pid_watched(cur->tgid))
		return NULL;
	mt = bpf_task_storage_get(&mutex_tasks, cur, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!mt)
		count(CPROF_CNT_MUTEX_NO_STORAGE);
	return mt;
}

struct waitv_read {
	const struct futex_waitv *user;	/* the waiter's vector */
	struct mutex_waitv *wv;		/* NULL: find the first lock futex only */
	__u64 first;			/* the first lock futex */
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
	if (!r->first)
		r->first = w.uaddr;
	if (!r->wv)
		return 0;
	n = r->wv->n;
	if (n < CPROF_FUTEX_WAITV_MAX)
		r->wv->uaddr[n & (CPROF_FUTEX_WAITV_MAX - 1)] = w.uaddr;
	r->wv->n = n + 1;
	return 0;
}

/* futex_waitv(waiters, nr_futexes, ...): stamps a lock wait when some entry waits for a
 * lock, and keeps every such entry when there are several. */
static __always_inline void on_enter_waitv(const unsigned long *a)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct waitv_read r = { .user = (const void *)a[0] };
	__u32 nr = a[1] < CPROF_FUTEX_WAITV_MAX ? a[1] : CPROF_FUTEX_WAITV_MAX;
	struct mutex_task *mt;

	if (!nr || !(mt = own_storage()))
		return;
	if (nr > 1) {
		r.wv = bpf_task_storage_get(&mutex_waitvs, cur, NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!r.wv)
			count(CPROF_CNT_MUTEX_NO_STORAGE);
		else
			r.wv->n = 0;
	}
	bpf_loop(nr, waitv_read_step, &r, 0);
	if (!r.first)
		return;
	mt->wait_uaddr = r.first;
	mt->waitv = r.wv && r.wv->n > 1;
	mt->wait_t0 = bpf_ktime_get_ns();
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

static __always_inline void on_enter(long nr, const unsigned long *a)
{
	int cls = cprof_futex_classify(nr, a[1]);
	struct mutex_task *mt;
	__u64 uaddr = 0, val = 0;
	__u32 word = 0;
	int ok;

	if (cls == CPROF_FX_OTHER || cls == CPROF_FX_WAIT_CV)
		return;
	if (nr == CPROF_NR_FUTEX_WAITV) {
		on_enter_waitv(a);
		return;
	}
	if (cls == CPROF_FX_WAIT || cls == CPROF_FX_WAIT_PI) {
		wait_args(nr, a, &uaddr, &val);
		if (!uaddr || !cprof_futex_lock_wait(cls, val) || !(mt = own_storage()))
			return;
		mt->wait_uaddr = uaddr;
		mt->wait_t0 = bpf_ktime_get_ns();
		return;
	}
	if (!(mt = own_storage()))
		return;
	mt->waking = 1;
	mt->wake_uaddr = a[0];
	if (cls == CPROF_FX_REQUEUE) {
		mt->wake_lock = 0;
		return;
	}
	ok = !bpf_probe_read_user(&word, sizeof(word), (void *)a[0]);
	mt->wake_lock = cprof_futex_lock_release(cls, ok, word);
}

/* The waiter's context, after its wait: a record with its waker's stack. */
static __always_inline void send_wait(struct mutex_task *mt)
{
	__u32 rate = mutex_rate ? mutex_rate : 1;
	struct sample_buf *b = sample_begin(CPROF_KIND_MUTEX);
	__u64 nu = mt->n_user;

	mt->pending = 0;
	if (!b)
		return;
	b->s.tid = mt->waker_tid;
	__builtin_memcpy(b->s.comm, mt->waker_comm, sizeof(b->s.comm));
	b->s.value[0] = rate;
	b->s.value[1] = (b->s.ts - mt->wait_t0) * rate;
	b->s.addr = mt->wait_uaddr;
	b->s.flags = mt->user_flags;
	asm volatile("" : "+r"(nu));
	if (nu > CPROF_MAX_USER_FRAMES)
		nu = CPROF_MAX_USER_FRAMES;
	if (nu && !bpf_probe_read_kernel(b->frames, nu * sizeof(__u64), mt->ustack))
		b->s.n_user = nu;
	sample_submit(b);
}

static __always_inline void on_exit(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct mutex_task *mt = bpf_task_storage_get(&mutex_tasks, cur, NULL, 0);

	if (!mt)
		return;
	if (mt->pending)
		send_wait(mt);
	mt->wait_uaddr = 0;
	mt->waitv = 0;
	mt->waking = 0;
}

/* The waker's user stack, unwound in its own context, into the waiter's storage. */
static __always_inline void capture_waker(struct mutex_task *waiter)
{
	struct sample_buf *b = sample_begin(CPROF_KIND_MUTEX);
	__u32 n;

	if (!b)
		return;
	unwind_user(NULL, b);
	n = b->s.n_user;
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	if (bpf_probe_read_kernel(waiter->ustack, (n & (SCRATCH_FRAMES - 1)) * sizeof(__u64),
				  b->frames))
		n = 0;
	waiter->n_user = n;
	waiter->user_flags = n ? b->s.flags : CPROF_STOP_READ_FAULT;
	waiter->waker_tid = b->s.tid;
	__builtin_memcpy(waiter->waker_comm, b->s.comm, sizeof(waiter->waker_comm));
	sample_discard(b);
	waiter->pending = 1;
}

/* Runs in the waker's context for each task it wakes. */
SEC("tp_btf/sched_waking")
int BPF_PROG(cprof_mutex_waking, struct task_struct *p)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct mutex_task *waker, *waiter;
	__u32 rate = mutex_rate ? mutex_rate : 1;

	waker = bpf_task_storage_get(&mutex_tasks, cur, NULL, 0);
	if (!waker || !waker->waking)
		return 0;
	waiter = bpf_task_storage_get(&mutex_tasks, p, NULL, 0);
	if (!waiter || !waiter->wait_uaddr || waiter->pending || p->tgid != cur->tgid ||
	    !waits_on(p, waiter, waker->wake_uaddr))
		return 0;
	if (!waker->wake_lock) {
		waiter->wait_uaddr = 0;
		count(CPROF_CNT_MUTEX_NOT_LOCK);
		return 0;
	}
	count(CPROF_CNT_MUTEX_WAKES);
	if (rate > 1 && bpf_get_prandom_u32() % rate) {
		waiter->wait_uaddr = 0;
		return 0;
	}
	count(CPROF_CNT_MUTEX_KEPT);
	capture_waker(waiter);
	return 0;
}

/* Fallback without tracefs: every syscall of the host runs these two. */
SEC("tp_btf/sys_enter")
int BPF_PROG(cprof_mutex_raw_enter, struct pt_regs *regs, long id)
{
	unsigned long a[6];

	if (id != CPROF_NR_FUTEX && (id < CPROF_NR_FUTEX_WAITV || id > CPROF_NR_FUTEX_REQUEUE))
		return 0;
	a[0] = BPF_CORE_READ(regs, di);
	a[1] = BPF_CORE_READ(regs, si);
	a[2] = BPF_CORE_READ(regs, dx);
	a[3] = a[4] = a[5] = 0;	/* unused */
	on_enter(id, a);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cprof_mutex_raw_exit, struct pt_regs *regs, long ret)
{
	long id = BPF_CORE_READ(regs, orig_ax);

	if (id != CPROF_NR_FUTEX && (id < CPROF_NR_FUTEX_WAITV || id > CPROF_NR_FUTEX_REQUEUE))
		return 0;
	on_exit();
	return 0;
}

/* The per-syscall tracepoints: ctx->id is the syscall number, args[] its arguments. */
#define FUTEX_TP(name)                                                               \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                  \
	int cprof_mutex_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                            \
		unsigned long a[6] = { ctx->args[0], ctx->args[1], ctx->args[2] };   \
		on_enter((int)ctx->id, a);                                           \
		return 0;                                                            \
	}                                                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int cprof_mutex_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                            \
		on_exit();                                                           \
		return 0;                                                            \
	}

FUTEX_TP(futex)
FUTEX_TP(futex_waitv)
FUTEX_TP(futex_wait)
FUTEX_TP(futex_wake)
FUTEX_TP(futex_requeue)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
