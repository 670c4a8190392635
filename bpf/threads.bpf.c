// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Thread snapshot (`cprof-bpf stacks`): a sleepable task iterator visits every thread of the
 * watched processes (without a pid filter, of every program of the host), in the reader's
 * context, and writes one record per thread (a struct cprof_sample of kind CPROF_EV_THREAD)
 * to the iterator's file: its state, its kernel stack and its user stack. The threads are not stopped, signalled or traced: a thread's user
 * stack is copied out of its memory (bpf_copy_from_user_task, which needs a sleepable
 * program) from its saved user registers, then unwound over that copy by the same unwinder
 * and tables as every profile (unwind_replay(), as a CPU sample's stack copy is). Records go
 * to the iterator's file, not the ring buffer: read(2) returns them in order, with the
 * kernel's back-pressure (a full buffer ends one read and the next goes on from that
 * thread), so a snapshot loses none and user space knows when it is complete. docs/BPF.md
 * (threads) has more. */
#include "unwind.bpf.h"

#define TASK_RUNNING_STATE 0
/* Copies taken of one thread's stack: a stack deeper than one copy (28-32 KiB) is copied
 * again from the frame where the walk reached the copy's end, up to this many times. */
#define THREAD_COPIES 4

/* The user stack of task from sp into c, by pages as copy_stack() does, read from task's
 * memory. The bytes copied. */
static __always_inline __u32 copy_task_stack(struct cprof_stack_copy *c, struct task_struct *task,
					     __u64 sp)
{
	__u32 head = 4096 - (sp & 4095), len;

	if (bpf_copy_from_user_task(c->bytes, head, (void *)sp, task, 0))
		return 0;
	len = head;
#pragma unroll
	for (int i = 1; i < CPROF_STACK_COPY_PAGES; i++) {
		__u32 at = head + (i - 1) * 4096;

		if (bpf_copy_from_user_task(c->bytes + at, 4096, (void *)(sp + at), task, 0))
			break;
		len = at + 4096;
	}
	return len;
}

/* After a walk over a whole copy stopped on a read it could not make (past the copy's end,
 * most likely): the stack copied again from the frame where it stopped, and the walk taken
 * up there. Returns whether it was. */
static __always_inline bool unwind_more(struct task_struct *task, struct sample_buf *b)
{
	struct cprof_stack_copy *c;
	struct cprof_ustate *st;
	struct cprof_replay *r;
	__u32 zero = 0, slot;

	if (!b)
		return false;
	slot = b->slot;
	st = bpf_map_lookup_elem(&unwind_state, &slot);
	r = bpf_map_lookup_elem(&unwind_replay_io, &zero);
	if (!st || !r)
		return false;
	c = &r->copy;
	if (st->stop != CPROF_STOP_READ_FAULT || !st->n || st->sp <= c->sp ||
	    c->len != CPROF_STACK_COPY_BYTES - (c->sp & 4095))
		return false;
	c->ip = st->ip;
	c->sp = st->sp;
	c->bp = st->bp;
	c->frame = st->n - 1;
	c->flags = st->exact ? CPROF_COPY_EXACT : 0;
	c->len = copy_task_stack(c, task, c->sp);
	b->s.flags &= ~CPROF_SF_STOP_MASK;
	unwind_replay(b, c);
	return true;
}

/* b's user frames: task's stack above its saved user registers, copied into the replay
 * map and unwound there. The registers are those of the task's last entry into the kernel:
 * for a thread running in user mode on another CPU now, where it last entered it. */
static __always_inline void unwind_task(struct task_struct *task, struct sample_buf *b)
{
	struct pt_regs *uregs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct cprof_stack_copy *c;
	struct cprof_replay *r;
	__u32 zero = 0;
	__u16 insn = 0;
	bool exact;

	r = bpf_map_lookup_elem(&unwind_replay_io, &zero);
	if (!r || !uregs->ip) {
		b->s.flags |= CPROF_STOP_NO_REGS | CPROF_SF_STACK_UNREAD;
		return;
	}
	c = &r->copy;
	c->kind = CPROF_EV_THREAD;
	c->pid = b->s.pid;
	c->tid = b->s.tid;
	c->ip = uregs->ip;
	c->sp = uregs->sp;
	c->bp = uregs->bp;
	c->frame = 0;
	c->view_pid = 0;
	/* As unwind_user() decides: after a syscall ip is the next instruction. */
	exact = bpf_copy_from_user_task(&insn, sizeof(insn), (void *)(c->ip - 2), task, 0) ||
		insn != 0x050f;
	c->flags = exact ? CPROF_COPY_EXACT : 0;
	if (exact)
		b->s.flags |= CPROF_SF_PC_EXACT;
	/* The new thread's first moment in a clone (CPROF_ROW_CLONE, in_new_thread()). */
	if (!uregs->ax)
		c->flags |= CPROF_COPY_NEW_THREAD;
	c->len = copy_task_stack(c, task, c->sp);
	if (!c->len)
		b->s.flags |= CPROF_SF_STACK_UNREAD;
	unwind_replay(b, c);
	for (int i = 1; i < THREAD_COPIES; i++)
		if (!unwind_more(task, b))
			break;
}

SEC("iter.s/task")
int cprof_threads_iter(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct sample_buf *b;
	__u64 n, state;
	long k;

	/* Kernel threads have no user stack to show: a host's snapshot is of its programs. */
	if (!task || (BPF_CORE_READ(task, flags) & PF_KTHREAD) ||
	    !pid_watched(BPF_CORE_READ(task, tgid)))
		return 0;
	b = sample_begin_task(CPROF_EV_THREAD, task);
	if (!b)
		return 0;	/* counted: the snapshot says how many it lost */
	state = BPF_CORE_READ(task, __state);
	b->s.value[0] = state;
	b->s.value[1] = (BPF_CORE_READ(task, on_cpu) ? CPROF_THREAD_ON_CPU : 0) |
			(__u64)BPF_CORE_READ(task, exit_state) << 8;
	/* A thread running, or waiting for a CPU, waits for nothing in the kernel: its kernel
	 * stack would be that of its preemption (or, on a CPU, a stale one). */
	if (state != TASK_RUNNING_STATE) {
		k = bpf_get_task_stack(task, b->frames, sizeof(__u64) * CPROF_MAX_KERNEL_FRAMES, 0);
		if (k < 0)
			b->s.flags |= CPROF_SF_KSTACK_ERR;
		else
			b->s.n_kernel = k / sizeof(__u64);
	}
	if (has_user(task, TASK_PROBE))
		unwind_task(task, b);
	else
		b->s.flags |= CPROF_STOP_NO_REGS | CPROF_SF_STACK_UNREAD;
	n = (__u64)b->s.n_kernel + b->s.n_user;
	if (n > CPROF_SAMPLE_MAX_FRAMES)
		n = CPROF_SAMPLE_MAX_FRAMES;
	bpf_seq_write(seq, &b->s, sizeof(struct cprof_sample) + n * sizeof(__u64));
	sample_discard(b);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
