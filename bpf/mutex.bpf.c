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
 */
#include "unwind.bpf.h"
#include "futex_class.h"

const volatile __u32 mutex_rate = 1;

struct mutex_task {
	/* As a waiter. */
	__u64 wait_uaddr;	/* 0: not in a lock wait */
	__u64 wait_t0;
	__u32 pending;		/* woken by a kept lock release: send at sys_exit */
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

/* The futex word and expected value of a wait (futex_waitv: its first futex). */
static __always_inline void wait_args(long nr, const unsigned long *a, __u64 *uaddr, __u64 *val)
{
	struct futex_waitv w = {};

	if (nr == CPROF_NR_FUTEX_WAITV) {
		bpf_probe_read_user(&w, sizeof(w), (void *)a[0]);
		*uaddr = w.uaddr;
		*val = w.val;
	} else if (nr == CPROF_NR_FUTEX_WAIT) {
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

static __always_inline void on_enter(long nr, const unsigned long *a)
{
	int cls = cprof_futex_classify(nr, a[1]);
	struct mutex_task *mt;
	__u64 uaddr = 0, val = 0;
	__u32 word = 0;
	int ok;

	if (cls == CPROF_FX_OTHER || cls == CPROF_FX_WAIT_CV)
		return;
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
	if (!waiter || !waiter->wait_uaddr || waiter->pending ||
	    waiter->wait_uaddr != waker->wake_uaddr || p->tgid != cur->tgid)
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
