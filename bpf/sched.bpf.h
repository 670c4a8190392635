/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for the programs on sched_switch and sched_waking (block and mutex profiles): the
 * scheduler's clock, a task's saved user registers, whether a wake-up comes from an
 * interrupt, and the record of a kept wait. Each object that includes this has its own copy
 * of the variables below. */
#ifndef CPROF_SCHED_BPF_H
#define CPROF_SCHED_BPF_H

#include "common.bpf.h"
#include "user_stack.bpf.h"

/* x86-64 task stacks are 16 KiB (32 KiB with KASAN); interrupts that arrive in kernel mode
 * run on per-CPU IRQ stacks. */
#define TASK_STACK_MAX (32 << 10)
/* preempt_count() bits (include/linux/preempt.h). */
#define SOFTIRQ_OFFSET 0x100
#define HARDIRQ_MASK 0xf0000
#define NMI_MASK 0xf00000
#define ENOSYS_VAL 38

/* From a CPU's runqueue to its preempt_count, in bytes: both are per-CPU variables, whose
 * distance user space reads from the kernel's BTF (typed ksyms would need their addresses
 * in kallsyms, which kernels without CONFIG_KALLSYMS_ALL do not list). 0: unknown. */
const volatile __s64 rq_to_preempt_count = 0;

/* The runqueue of the CPU that t runs on (or last ran on), NULL if the kernel has no
 * group scheduling to lead there. */
static __always_inline struct rq *rq_of(struct task_struct *t, bool new_kernel)
{
	struct cfs_rq *cfs;

	if (!bpf_core_field_exists(t->se.cfs_rq))
		return NULL;
	cfs = task_fields(t, new_kernel)->se.cfs_rq;
	return cfs ? cfs->rq : NULL;
}

/* The time, from t's runqueue clock: the scheduler updates it (from sched_clock,
 * synchronized across CPUs where the TSC is stable) just before sched_switch, so at a switch
 * it costs two loads where bpf_ktime_get_ns() costs a clock read (≈ 70 ns in a KVM guest).
 * t must be running on this CPU. Kernels without group scheduling use the clock. */
static __always_inline __u64 sched_now(struct task_struct *t, bool new_kernel)
{
	struct rq *rq;

	if (!bpf_core_field_exists(t->se.cfs_rq))
		return bpf_ktime_get_ns();
	rq = rq_of(t, new_kernel);
	return rq ? rq->clock : 0;
}

/* sched_now() by probe reads, for programs loaded on every kernel that run rarely (the
 * task iterator): a call per read, and nothing for the verifier to check. */
static __always_inline __u64 sched_now_read(struct task_struct *t)
{
	struct rq *rq;

	if (!bpf_core_field_exists(t->se.cfs_rq))
		return bpf_ktime_get_ns();
	rq = BPF_CORE_READ(t, se.cfs_rq, rq);
	return rq ? BPF_CORE_READ(rq, clock) : 0;
}

/* Where the user registers sit in a task's stack area (THREAD_SIZE - sizeof(struct
 * pt_regs)): the same for every task, learnt from the first bpf_task_pt_regs(). */
__u64 pt_regs_off;

/* t's saved user registers. new_kernel: the program may use bpf_rdonly_cast(), which
 * saves a helper call (≈ 30 ns here, return thunks included) at every call. */
static __always_inline struct pt_regs *saved_regs(struct task_struct *t, bool new_kernel)
{
	struct pt_regs *regs;

	if (new_kernel && pt_regs_off)
		return bpf_rdonly_cast((void *)t->stack + pt_regs_off,
				       bpf_core_type_id_kernel(struct pt_regs));
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	/* Only where it is used: kernels before bpf_rdonly_cast (6.1) also refuse arithmetic
	 * on the pointer bpf_task_pt_regs() returns. */
	if (new_kernel)
		pt_regs_off = (__u64)regs - (__u64)t->stack;
	return regs;
}

/* regs belong to a task inside a system call: the entry code stores orig_ax = the call's
 * number and ax = -ENOSYS until it returns (arch/x86/entry/entry_64.S). */
static __always_inline bool in_syscall(const struct pt_regs *regs)
{
	return (long)regs->orig_ax >= 0 && regs->ax == (unsigned long)-ENOSYS_VAL;
}

/* A timer or I/O completion interrupt (or softirq work: timers, network receive) ended the
 * wait, not the task cur it happened to interrupt. This runs at every wakeup of a watched
 * task: the cheap tests first, and loads rather than helper calls where a load will do
 * (a call costs 15-30 ns with this kernel's return-thunk mitigations).
 * The first test takes the address of a local as the current stack pointer, so the calling
 * BPF function's frame must stay under 64 bytes: the verifier moves frames of 64 bytes and
 * more onto a per-CPU private stack (BPF_PRIV_STACK_MIN_SIZE, kernel/bpf/verifier.c, 6.13+)
 * and every wake-up would then look like one from an interrupt. Put the rest of a program's
 * work in a __noinline function. */
/* here (a stack address of this program) lies in [lo, lo + TASK_STACK_MAX). Compared in asm,
 * a pointer against two bounds: 6.1's verifier refuses arithmetic between a stack pointer
 * and an unbounded scalar, and clang would fold two comparisons into that subtraction. */
static __always_inline bool on_task_stack(void *here, __u64 lo)
{
	__u64 hi = lo + TASK_STACK_MAX, in = 0;

	asm volatile("if %[h] < %[lo] goto +2\n\t"
		     "if %[h] >= %[hi] goto +1\n\t"
		     "%[in] = 1\n\t"
		     : [in] "+r"(in)
		     : [h] "r"(here), [lo] "r"(lo), [hi] "r"(hi));
	return in;
}

static __always_inline bool woken_by_interrupt(struct task_struct *cur, bool new_kernel)
{
	struct pt_regs *regs;
	struct rq *rq;
	int pc;

	/* The idle task, or an interrupt that arrived in kernel mode: IRQ stacks are per CPU. */
	if (!cur->pid || !on_task_stack(&cur, (__u64)cur->stack))
		return true;
	regs = saved_regs(cur, new_kernel);
	if (in_syscall(regs))
		return false;
	/* Interrupts that arrive in user mode run on the task stack: ask preempt_count. */
	rq = rq_of(cur, new_kernel);
	if (rq && rq_to_preempt_count &&
	    !bpf_probe_read_kernel(&pc, sizeof(pc), (void *)rq + rq_to_preempt_count))
		return pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET);
	/* Without it: system vectors (the local timer among them) store orig_ax = -1. */
	return (long)regs->orig_ax < 0;
}

/* The task that ended a wait, noted in its own context at sched_waking. */
struct waker {
	__u64 id;	/* tgid << 32 | tid; block also: 0 none seen, CPROF_WAKER_IRQ */
	char comm[CPROF_COMM_LEN];
};

static __always_inline void waker_note(struct waker *w, struct task_struct *cur)
{
	w->id = (__u64)cur->tgid << 32 | (__u32)cur->pid;
	__builtin_memcpy(w->comm, cur->comm, sizeof(w->comm));
}

/* A kernel stack kept in task storage: block reads the sleeper's at its switch-in. */
struct kernel_stack {
	__u32 n;	/* frames in ip[] */
	__u32 flags;	/* CPROF_SF_KSTACK_ERR: the record goes without it */
	__u64 ip[CPROF_MAX_KERNEL_FRAMES];
};

/* Sends the record of a wait of waiter's that the sampling kept, from any context: count
 * waits standing for delay ns in all, at addr (block: the task state; mutex: the futex word).
 * The kinds differ in whom they charge. A block record is the waiter's own and names waker w
 * in aux; a mutex record goes to the waker, as Go's mutex profile charges the unlocker: w's
 * thread and name replace the waiter's. ks: the waiter's kernel stack, NULL for none. us: the
 * user stack kept for the record (where none was captured, an empty one whose flags say
 * CPROF_STOP_NOT_CAPTURED). Returns 0; -1 when the ring buffer was full (counted), -2 when no
 * scratch record was free (counted). */
static __always_inline int send_wait(__u32 kind, struct task_struct *waiter, __u64 count,
				     __u64 delay, __u64 addr, const struct waker *w,
				     const struct kernel_stack *ks, const struct user_stack *us)
{
	struct sample_buf *b = sample_begin_task(kind, waiter);
	__u64 nk = 0;

	if (!b)
		return -2;
	b->s.value[0] = count;
	b->s.value[1] = delay;
	b->s.addr = addr;
	if (kind == CPROF_KIND_MUTEX) {
		b->s.tid = (__u32)w->id;
		__builtin_memcpy(b->s.comm, w->comm, sizeof(b->s.comm));
	} else {
		b->s.aux = w->id;
		__builtin_memcpy(b->s.aux_comm, w->comm, sizeof(b->s.aux_comm));
	}
	if (ks && !(ks->flags & CPROF_SF_KSTACK_ERR)) {
		nk = ks->n;
		asm volatile("" : "+r"(nk));	/* a bound the verifier can follow */
		if (nk > CPROF_MAX_KERNEL_FRAMES)
			nk = CPROF_MAX_KERNEL_FRAMES;
		if (nk && bpf_probe_read_kernel(b->frames, nk * sizeof(__u64), ks->ip))
			nk = 0;
	}
	b->s.n_kernel = nk;
	/* Its flags even without frames (e.g. no user registers: an exiting task). */
	user_stack_put(b, nk, us);
	if (ks)
		b->s.flags |= ks->flags;
	return sample_submit(b);
}

#endif
