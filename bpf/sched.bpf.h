/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Helpers for the programs on sched_switch and sched_waking (block and mutex profiles): the
 * scheduler's clock, a task's saved user registers, and whether a wake-up comes from an
 * interrupt. Each object that includes this has its own copy of the variables below. */
#ifndef CPROF_SCHED_BPF_H
#define CPROF_SCHED_BPF_H

#include "common.bpf.h"

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

/* 6.2+: a pointer of a kernel type from an address, with no call (the verifier inlines it). */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym __weak;

/* The runqueue of the CPU that t runs on (or last ran on), NULL if the kernel has no
 * group scheduling to lead there. */
static __always_inline struct rq *rq_of(struct task_struct *t)
{
	struct cfs_rq *cfs;

	if (!bpf_core_field_exists(t->se.cfs_rq))
		return NULL;
	cfs = t->se.cfs_rq;
	return cfs ? cfs->rq : NULL;
}

/* The time, from t's runqueue clock: the scheduler updates it (from sched_clock,
 * synchronized across CPUs where the TSC is stable) just before sched_switch, so at a switch
 * it costs two loads where bpf_ktime_get_ns() costs a clock read (≈ 70 ns in a KVM guest).
 * t must be running on this CPU. Kernels without group scheduling use the clock. */
static __always_inline __u64 sched_now(struct task_struct *t)
{
	struct rq *rq;

	if (!bpf_core_field_exists(t->se.cfs_rq))
		return bpf_ktime_get_ns();
	rq = rq_of(t);
	return rq ? rq->clock : 0;
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
	rq = rq_of(cur);
	if (rq && rq_to_preempt_count &&
	    !bpf_probe_read_kernel(&pc, sizeof(pc), (void *)rq + rq_to_preempt_count))
		return pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET);
	/* Without it: system vectors (the local timer among them) store orig_ax = -1. */
	return (long)regs->orig_ax < 0;
}

#endif
