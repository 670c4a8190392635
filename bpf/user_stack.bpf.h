/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A user stack kept in task storage, from the context it is unwound in (the only one where
 * that is possible) to the record that sends it later: block keeps the sleeper's, mutex the
 * waker's for its waiter, heap the allocating thread's until the allocator returns. */
#ifndef CPROF_USER_STACK_BPF_H
#define CPROF_USER_STACK_BPF_H

#include "unwind.bpf.h"

struct user_stack {
	__u32 n;	/* frames in ip[] */
	__u32 flags;	/* the unwind's sample flags: why it stopped, CPROF_SF_* */
	__u64 ip[CPROF_MAX_USER_FRAMES];
};

/* Unwinds current's user stack into us, in a scratch record of kind that is not sent.
 * at_entry false: from the user registers current saved when it entered the kernel (how:
 * how the program loads the task's pointer fields); true: ctx is a uprobe's at a function's
 * entry, and the stack starts at that function's caller. A constant at each call, so only
 * one of the two unwinds is compiled in. Returns 0; -1 when no scratch record was free (us
 * untouched); -2 when the frames could not be copied (us->n is 0, us->flags the unwind's). */
static __always_inline int user_stack_keep(struct user_stack *us, __u32 kind,
					   struct pt_regs *ctx, bool at_entry,
					   enum task_load how)
{
	struct sample_buf *b = sample_begin(kind);
	int err = 0;
	__u32 n;

	if (!b)
		return -1;
	if (at_entry)
		unwind_entry_caller(ctx, b);
	else
		unwind_user(NULL, b, how);
	n = b->s.n_user;
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	/* No test of n first: a read of 0 bytes succeeds, and the test costs block's busiest
	 * program 8 bytes of stack it does not have. */
	if (bpf_probe_read_kernel(us->ip, (n & SCRATCH_MASK) * sizeof(__u64), b->frames)) {
		n = 0;
		err = -2;
	}
	us->n = n;
	us->flags = b->s.flags;
	sample_discard(b);
	return err;
}

/* Puts us into b after its first nk frames: its flags, and its frames when they can be
 * copied. nk ≤ CPROF_MAX_KERNEL_FRAMES, in a way the verifier can follow. */
static __always_inline void user_stack_put(struct sample_buf *b, __u64 nk,
					   const struct user_stack *us)
{
	__u64 n;

	b->s.flags = us->flags;
	n = us->n;
	/* An explicit bound the verifier can follow: ≤ 256. */
	asm volatile("" : "+r"(n));
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	if (n && !bpf_probe_read_kernel(&b->frames[nk], n * sizeof(__u64), us->ip))
		b->s.n_user = n;
}

#endif
