/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* User-stack unwinding, one entry point for every program type: unwind_user() fills the
 * user part of a sample_buf and records why it stopped. This version follows frame
 * pointers; the table-driven (.eh_frame) unwinder replaces unwind_step() behind the same
 * interface. */
#ifndef CPROF_UNWIND_BPF_H
#define CPROF_UNWIND_BPF_H

#include "common.bpf.h"

/* Lowest kernel address on x86-64: a "return address" at or above it is not user code. */
#define USER_ADDR_LIMIT 0x00007ffffffff000ULL
#define PF_KTHREAD 0x00200000

struct cprof_ustate {
	__u64 ip, sp, bp;
	__u32 base;	/* index of the first user frame in frames[] (= n_kernel) */
	__u32 n;	/* user frames collected */
	__u32 max;
	__u32 stop;	/* enum cprof_unwind_stop */
};

static long unwind_step(__u32 i, void *ctx)
{
	struct cprof_ustate *st = ctx;
	__u32 zero = 0, idx = st->base + st->n;
	struct sample_buf *b = bpf_map_lookup_elem(&scratch, &zero);
	__u64 next_bp = 0, ra = 0;

	if (!b)
		return 1;
	if (st->n >= st->max || idx >= CPROF_SAMPLE_MAX_FRAMES) {
		st->stop = CPROF_STOP_DEPTH;
		return 1;
	}
	b->frames[idx] = st->ip;
	st->n++;

	if (st->bp == 0) {
		st->stop = CPROF_STOP_FP_END;
		return 1;
	}
	/* A frame record lies above the current stack pointer and is 8-byte aligned. */
	if (st->bp < st->sp || (st->bp & 7)) {
		st->stop = CPROF_STOP_BAD_SP;
		return 1;
	}
	if (bpf_probe_read_user(&next_bp, sizeof(next_bp), (void *)st->bp) ||
	    bpf_probe_read_user(&ra, sizeof(ra), (void *)(st->bp + 8))) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	if (ra == 0) {
		st->stop = CPROF_STOP_FP_END;
		return 1;
	}
	if (ra >= USER_ADDR_LIMIT) {
		st->stop = CPROF_STOP_BAD_RA;
		return 1;
	}
	st->sp = st->bp + 16;
	st->bp = next_bp;
	st->ip = ra;
	return 0;
}

/* Fills b's user frames (after its kernel frames). regs: the interrupted registers when
 * the program has them (perf_event); NULL or kernel-mode regs mean "use the task's saved
 * user registers". */
static __always_inline void unwind_user(struct pt_regs *regs, struct sample_buf *b)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct cprof_ustate st = {};
	struct pt_regs *uregs;

	st.base = b->s.n_kernel;
	st.max = max_user_frames;
	if (st.max > CPROF_MAX_USER_FRAMES)
		st.max = CPROF_MAX_USER_FRAMES;
	if ((task->flags & PF_KTHREAD) || !task->mm) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	if (regs && (BPF_CORE_READ(regs, cs) & 3) == 3) {
		b->s.flags |= CPROF_SF_USER_MODE;
		uregs = regs;
	} else {
		uregs = (struct pt_regs *)bpf_task_pt_regs(task);
	}
	st.ip = BPF_CORE_READ(uregs, ip);
	st.sp = BPF_CORE_READ(uregs, sp);
	st.bp = BPF_CORE_READ(uregs, bp);
	if (!st.ip) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	st.stop = CPROF_STOP_DEPTH;
	bpf_loop(CPROF_MAX_USER_FRAMES + 1, unwind_step, &st, 0);
	b->s.n_user = st.n;
	b->s.flags |= st.stop & CPROF_SF_STOP_MASK;
}

#endif
