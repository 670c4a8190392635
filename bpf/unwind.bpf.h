/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* User-stack unwinding, one entry point for every program type: unwind_user() fills the
 * user part of a sample_buf and records why it stopped.
 *
 * Frames are unwound from tables that user space compiles out of .eh_frame (rows of
 * bpf/cprof.h, shared by every process mapping the object) through each process's sorted
 * list of executable mappings. Where an object has no CFI (Go code, JIT, hand-written
 * assembly) or the process's tables are not built yet, a frame-pointer step is taken
 * instead and the sample is flagged CPROF_SF_FP_FALLBACK. */
#ifndef CPROF_UNWIND_BPF_H
#define CPROF_UNWIND_BPF_H

#include "common.bpf.h"

/* The top of user space on x86-64: a "return address" above it is not user code. */
#define USER_ADDR_LIMIT 0x00007ffffffff000ULL
#define PF_KTHREAD 0x00200000
/* Stack switches a frame-pointer step may take (Go's g0 ↔ goroutine stacks under cgo). */
#define MAX_STACK_SWITCHES 4
/* struct rt_sigframe at a signal trampoline's sp: ucontext's mcontext is 40 bytes in, and
 * rbp, rsp, rip are its 11th, 16th and 17th registers (struct sigcontext_64). */
#define SIGFRAME_RBP (40 + 10 * 8)
#define SIGFRAME_RSP (40 + 15 * 8)
#define SIGFRAME_RIP (40 + 16 * 8)

/* Shared by all objects (user space sizes them before load and reuses their fds). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cprof_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);	/* array elements are 8-byte aligned: a __u32 would pad anyway */
} unwind_pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct cprof_proc_maps);
} proc_maps SEC(".maps");

struct cprof_ustate {
	__u64 ip, sp, bp;
	struct cprof_proc_maps *pm;	/* NULL: no tables for this process yet */
	__u32 base;	/* index of the first user frame in frames[] (= n_kernel) */
	__u32 n;	/* user frames collected */
	__u32 max;
	__u32 stop;	/* enum cprof_unwind_stop */
	__u32 flags;	/* CPROF_SF_FP_FALLBACK */
	__u32 switches;
	bool exact;	/* ip is an exact pc (interrupted), not a return address */
};

/* Binary searches run as bpf_loop callbacks: the verifier then checks one iteration instead
 * of every path through an unrolled search (which exceeds its 1M-instruction budget). */
struct map_search {
	const struct cprof_proc_maps *pm;
	__u64 pc;
	__u32 lo, hi;
	__s32 found;
};

static long map_search_step(__u32 i, void *ctx)
{
	struct map_search *ms = ctx;
	const struct cprof_exec_map *m;
	__u32 mid;

	if (ms->lo >= ms->hi)
		return 1;
	mid = (ms->lo + ms->hi) / 2;
	m = &ms->pm->maps[mid & (CPROF_MAX_EXEC_MAPS - 1)];
	if (ms->pc < m->start) {
		ms->hi = mid;
	} else if (ms->pc >= m->end) {
		ms->lo = mid + 1;
	} else {
		ms->found = mid;
		return 1;
	}
	return 0;
}

static __always_inline const struct cprof_exec_map *find_map(const struct cprof_proc_maps *pm,
							     __u64 pc)
{
	struct map_search ms = { .pm = pm, .pc = pc, .hi = pm->n, .found = -1 };

	if (ms.hi > CPROF_MAX_EXEC_MAPS)
		ms.hi = CPROF_MAX_EXEC_MAPS;
	bpf_loop(CPROF_MAP_SEARCH_STEPS, map_search_step, &ms, 0);
	if (ms.found < 0)
		return NULL;
	return &pm->maps[ms.found & (CPROF_MAX_EXEC_MAPS - 1)];
}

static __always_inline __u32 page_entry(__u32 idx, bool *ok)
{
	__u64 *v = bpf_map_lookup_elem(&unwind_pages, &idx);

	if (!v) {
		*ok = false;
		return 0;
	}
	return *v;
}

struct row_search {
	__u32 row_start, rel;
	__u32 lo, hi;
	bool fail;
};

/* Narrows [lo, hi] to the last row with row.pc <= rel. */
static long row_search_step(__u32 i, void *ctx)
{
	struct row_search *rs = ctx;
	struct cprof_unwind_row *row;
	__u32 mid, idx;

	if (rs->lo >= rs->hi)
		return 1;
	mid = rs->lo + (rs->hi - rs->lo + 1) / 2;
	idx = rs->row_start + mid;
	row = bpf_map_lookup_elem(&unwind_rows, &idx);
	if (!row) {
		rs->fail = true;
		return 1;
	}
	if (row->pc <= rs->rel)
		rs->lo = mid;
	else
		rs->hi = mid - 1;
	return 0;
}

/* The row covering pc in m's table, mirroring cfi_table__find(); NULL: none (a gap). */
static __always_inline struct cprof_unwind_row *find_row(const struct cprof_exec_map *m,
							 __u64 pc)
{
	__u64 rel = pc - m->bias;
	struct row_search rs = { .row_start = m->row_start, .rel = (__u32)rel };
	__u32 page, idx;
	bool ok = true;

	if (pc < m->bias || rel >> 32)
		return NULL;
	page = rel >> CPROF_PAGE_SHIFT;
	if (page + 1 >= m->n_pages)
		return NULL;
	rs.lo = page_entry(m->page_start + page, &ok);
	rs.hi = page_entry(m->page_start + page + 1, &ok);
	if (!ok || rs.hi < rs.lo || rs.hi >= m->n_rows)
		return NULL;
	bpf_loop(CPROF_ROW_SEARCH_STEPS, row_search_step, &rs, 0);
	if (rs.fail)
		return NULL;
	idx = m->row_start + rs.lo;
	return bpf_map_lookup_elem(&unwind_rows, &idx);
}

static __always_inline int read_u64(__u64 addr, __u64 *v)
{
	return bpf_probe_read_user(v, sizeof(*v), (void *)addr);
}

/* Ends the walk when ra cannot be a return into user code; else moves to the caller. */
static __always_inline long to_caller(struct cprof_ustate *st, __u64 ra, __u64 sp, __u64 bp)
{
	if (ra == 0) {
		st->stop = CPROF_STOP_ROOT;
		return 1;
	}
	if (ra >= USER_ADDR_LIMIT) {
		st->stop = CPROF_STOP_BAD_RA;
		return 1;
	}
	st->ip = ra;
	st->sp = sp;
	st->bp = bp;
	st->exact = false;
	return 0;
}

static __always_inline long fp_step(struct cprof_ustate *st)
{
	__u64 next_bp, ra;

	if (st->bp == 0) {
		st->stop = CPROF_STOP_FP_END;
		return 1;
	}
	if (st->bp & 7) {
		st->stop = CPROF_STOP_BAD_SP;
		return 1;
	}
	/* A frame record lies above sp unless the code switched stacks (Go's cgo calls). */
	if (st->bp < st->sp) {
		if (st->switches >= MAX_STACK_SWITCHES) {
			st->stop = CPROF_STOP_BAD_SP;
			return 1;
		}
		st->switches++;
	}
	if (read_u64(st->bp, &next_bp) || read_u64(st->bp + 8, &ra)) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	return to_caller(st, ra, st->bp + 16, next_bp);
}

static __always_inline long signal_step(struct cprof_ustate *st)
{
	__u64 ip, sp, bp;

	if (read_u64(st->sp + SIGFRAME_RIP, &ip) || read_u64(st->sp + SIGFRAME_RSP, &sp) ||
	    read_u64(st->sp + SIGFRAME_RBP, &bp)) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	if (to_caller(st, ip, sp, bp))
		return 1;
	st->exact = true;	/* the interrupted instruction itself */
	return 0;
}

static __always_inline long cfa_step(struct cprof_ustate *st, const struct cprof_unwind_row *row)
{
	__u64 off = (__u64)row->cfa_off * 8, cfa, ra, bp = st->bp;

	switch (row->kind) {
	case CPROF_ROW_CFA_RSP:
		cfa = st->sp + off;
		break;
	case CPROF_ROW_CFA_RBP:
		cfa = st->bp + off;
		break;
	case CPROF_ROW_PLT:
		cfa = st->sp + off + ((st->ip & 15) >= row->rbp_slot ? 8 : 0);
		break;
	default: /* CPROF_ROW_DEREF */
		if (read_u64(st->bp - off, &cfa)) {
			st->stop = CPROF_STOP_READ_FAULT;
			return 1;
		}
		break;
	}
	/* The return address was pushed below the CFA: a CFA at or below sp is garbage. */
	if (cfa <= st->sp) {
		st->stop = CPROF_STOP_BAD_SP;
		return 1;
	}
	if (read_u64(cfa - 8, &ra)) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	if (row->kind != CPROF_ROW_PLT && row->rbp_slot) {
		__u64 at = row->rbp_slot == CPROF_RBP_AT_RBP ? st->bp : cfa - 8 * row->rbp_slot;

		if (read_u64(at, &bp)) {
			st->stop = CPROF_STOP_READ_FAULT;
			return 1;
		}
	}
	return to_caller(st, ra, cfa, bp);
}

static long unwind_step(__u32 i, void *ctx)
{
	struct cprof_ustate *st = ctx;
	__u32 zero = 0, idx = st->base + st->n;
	struct sample_buf *b = bpf_map_lookup_elem(&scratch, &zero);
	const struct cprof_exec_map *m = NULL;
	struct cprof_unwind_row *row = NULL;
	__u64 pc = st->exact ? st->ip : st->ip - 1;

	if (!b)
		return 1;
	if (st->n >= st->max || idx >= CPROF_SAMPLE_MAX_FRAMES) {
		st->stop = CPROF_STOP_DEPTH;
		return 1;
	}
	if (st->pm)
		m = find_map(st->pm, pc);
	/* Hide idx's known range from clang so the mask survives for the verifier. */
	asm volatile("" : "+r"(idx));
	b->frames[idx & SCRATCH_MASK] = st->ip;
	st->n++;
	if (!st->pm) {
		st->flags |= CPROF_SF_FP_FALLBACK;
		return fp_step(st);
	}
	if (!m) {
		/* Kept: user space reloads the maps when it sees an address outside them (a
		 * library mapped after the view was published), or shows it as unmapped. */
		st->stop = CPROF_STOP_NO_MAPPING;
		return 1;
	}
	if (!(m->flags & CPROF_MAP_NO_TABLES))
		row = find_row(m, pc);
	if (!row || row->kind == CPROF_ROW_END || row->kind == CPROF_ROW_FP) {
		if (!row || row->kind == CPROF_ROW_END)
			st->flags |= CPROF_SF_FP_FALLBACK;
		return fp_step(st);
	}
	switch (row->kind) {
	case CPROF_ROW_STOP:
		st->stop = CPROF_STOP_ROOT;
		return 1;
	case CPROF_ROW_SIGNAL:
		return signal_step(st);
	case CPROF_ROW_CFA_RSP:
	case CPROF_ROW_CFA_RBP:
	case CPROF_ROW_PLT:
	case CPROF_ROW_DEREF:
		return cfa_step(st, row);
	default:
		st->stop = CPROF_STOP_UNSUPPORTED;
		return 1;
	}
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
		st.exact = true;
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
	if (!st.exact) {
		/* Saved at kernel entry: after a syscall ip is the next instruction (a return
		 * address); after a fault it is the faulting instruction itself. */
		__u16 insn = 0;

		st.exact = bpf_probe_read_user(&insn, sizeof(insn), (void *)(st.ip - 2)) ||
			   insn != 0x050f;	/* "syscall" is 0f 05 */
	}
	if (st.exact)
		b->s.flags |= CPROF_SF_PC_EXACT;
	st.pm = bpf_map_lookup_elem(&proc_maps, &b->s.pid);
	st.stop = CPROF_STOP_DEPTH;
	bpf_loop(CPROF_MAX_USER_FRAMES + 1, unwind_step, &st, 0);
	b->s.n_user = st.n;
	b->s.flags |= (st.stop & CPROF_SF_STOP_MASK) | st.flags;
}

#endif
