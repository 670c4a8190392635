/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* User-stack unwinding, one entry point for every program type: unwind_user() (or, at a
 * uprobe on a function's entry, unwind_entry_caller()) fills the user part of a sample_buf
 * and records why it stopped. Frames are unwound from tables user space compiles out of
 * .eh_frame, through each process's sorted executable mappings, with frame-pointer steps
 * where there are none. User-memory reads and the searches dominate the cost, hence the stack
 * read a page at a time and a per-CPU cache of rows. docs/BPF.md (the unwinder) has more. */
#ifndef CPROF_UNWIND_BPF_H
#define CPROF_UNWIND_BPF_H

#include "common.bpf.h"
#include "maps.bpf.h"	/* unwind_rows, unwind_pages, proc_maps */

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

/* A page of the stack, read at once: one read of user memory costs ~70 ns here (a VM with
 * speculation mitigations), more than the rest of a frame, and a page holds many frames.
 * One per scratch record, used by the unwind that fills that record: programs running on a
 * CPU at once each have theirs. */
#define STACK_WIN 4096

struct stack_win {
	__u8 bytes[STACK_WIN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct stack_win);
} unwind_stack SEC(".maps");

/* Where the last frames were found: the mapping (consecutive frames are often in one) and
 * the stack page held in unwind_stack. Memory of the caller's that the global functions
 * below read and update. */
struct unwind_hint {
	__u64 m_start, m_end;	/* the mapping found last; m_end == 0: none */
	__u32 m_idx;
	__u32 slot;		/* the scratch record filled, and its page in unwind_stack */
	__u64 win_base;		/* user address of the page in unwind_stack; 0: none */
	__u32 replay;		/* the stack is the copy in unwind_replay_io, not user memory */
	__u32 pad;
};

struct cprof_ustate {
	__u64 ip, sp, bp;
	struct unwind_hint hint;
	__u32 pid, gen;	/* the process and its view's generation; gen 0: no view yet */
	__u32 base;	/* index of the first user frame in frames[] (= n_kernel) */
	__u32 n;	/* user frames collected */
	__u32 max;
	__u32 stop;	/* enum cprof_unwind_stop */
	__u32 flags;	/* CPROF_SF_FP_FALLBACK */
	__u32 switches;
	__u32 first;	/* the index of the walk's first frame among the user frames: 0, or
			 * where a replay over a stack copy takes up the unwind */
	bool exact;	/* ip is an exact pc (interrupted), not a return address */
	bool new_thread;	/* replay: the copy's CPROF_COPY_NEW_THREAD */
	/* Without a view: where return addresses may be, the executable's text and the area
	 * below mmap_base where libraries are mapped. */
	__u64 text_lo, text_hi, libs_lo, libs_hi;
	/* Without a view: the registers of the walk's first frame, where a stack copy starts
	 * (every frame was found by frame pointers; cprof_copy_stack). */
	__u64 ip0, sp0, bp0;
	bool exact0;
};

/* The unwinder's state, one per scratch record: at 136 bytes it would take a quarter of the
 * 512 bytes that a program's whole call chain may use (counted without the private stacks
 * some kernels give some program types; see tests/unit/test_bpf_stack.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct cprof_ustate);
} unwind_state SEC(".maps");

/* The frame loop's context, on the stack for bpf_loop: the state and the record filled. */
struct unwind_ctx {
	struct cprof_ustate *st;
	struct sample_buf *b;
};

/* Binary searches run as bpf_loop callbacks: the verifier then checks one iteration instead
 * of every path through an unrolled search (which exceeds its 1M-instruction budget). */
struct map_search {
	const struct cprof_proc_maps *pm;
	__u64 pc;
	__u16 lo, hi;	/* 16 bits: this struct sits in cprof_resolve's frame, near its limit */
	__s32 found;
};
_Static_assert(CPROF_MAX_EXEC_MAPS <= 0xffff, "map_search indexes");

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

/* The index of the mapping of pm that holds pc, or -1. */
static __always_inline __s32 find_map(const struct cprof_proc_maps *pm, __u64 pc)
{
	struct map_search ms = { .pm = pm, .pc = pc, .hi = pm->n, .found = -1 };

	if (ms.hi > CPROF_MAX_EXEC_MAPS)
		ms.hi = CPROF_MAX_EXEC_MAPS;
	bpf_loop(CPROF_MAP_SEARCH_STEPS, map_search_step, &ms, 0);
	return ms.found;
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

/* A stack copy (struct cprof_stack_copy) being unwound again by user space's replay, and the
 * frames found (bpf/cpu.bpf.c, cprof_cpu_replay). One: replays run one at a time, from the
 * thread that reads the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cprof_replay);
} unwind_replay_io SEC(".maps");

/* *v = the 8 bytes at addr in the stack copy being replayed; -1 outside it. */
static __always_inline int replay_read(__u64 addr, __u64 *v)
{
	struct cprof_replay *r;
	__u32 zero = 0;
	__u64 off;

	r = bpf_map_lookup_elem(&unwind_replay_io, &zero);
	if (!r)
		return -1;
	off = addr - r->copy.sp;
	if (r->copy.len < 8 || off > r->copy.len - 8 || off > CPROF_STACK_COPY_BYTES - 8)
		return -1;
	*v = *(__u64 *)&r->copy.bytes[off];
	return 0;
}

/* The verifier checks a global function once, on its own, and its callers only against its
 * signature: the reads and searches below are global so that their branches do not multiply
 * the paths it walks through the frame loop (inlined, they cost 0.6 s of verification at
 * every start; 10-25 ms now). Their pointer arguments may be NULL as far as it knows. */

/* *v = the 8 bytes of user memory at addr, from the page in unwind_stack when addr is in it;
 * a page that cannot be read whole (or a value across pages) is read alone. 0 or negative. */
__noinline int cprof_read_user(struct unwind_hint *h, __u64 addr, __u64 *v)
{
	struct stack_win *win;
	__u64 off, page = addr & ~(__u64)(STACK_WIN - 1);
	__u32 slot;

	if (!h || !v)
		return -1;
	if (h->replay)
		return replay_read(addr, v);
	/* Copied: kernels before 6.2 (at least) take no argument memory as a map key. */
	slot = h->slot;
	win = bpf_map_lookup_elem(&unwind_stack, &slot);
	if (!win)
		return bpf_probe_read_user(v, sizeof(*v), (void *)addr);
	off = addr - h->win_base;
	if (!h->win_base || off > STACK_WIN - 8) {
		off = addr - page;
		if (off > STACK_WIN - 8 || bpf_probe_read_user(win->bytes, STACK_WIN, (void *)page)) {
			h->win_base = 0;
			return bpf_probe_read_user(v, sizeof(*v), (void *)addr);
		}
		h->win_base = page;
	}
	/* Restated for the verifier, which does not follow both paths to here. */
	asm volatile("" : "+r"(off));
	if (off > STACK_WIN - 8)
		return -1;
	*v = *(__u64 *)&win->bytes[off];
	return 0;
}

static __always_inline int read_u64(struct cprof_ustate *st, __u64 addr, __u64 *v)
{
	return cprof_read_user(&st->hint, addr, v);
}

/* The rows found for recent pcs, per CPU: a profile samples the same stacks again and
 * again, and a hit costs a fraction of the two binary searches. Entries are keyed by pc and
 * the generation of the process's view (unique per publication), so a republished view or
 * a new process never sees another's rows; check guards against an entry torn by a program
 * that interrupted the one writing it. */
#define PC_CACHE_SLOTS 4096
/* Slots per map value: a per-CPU array allocates each value on its own, and 4096 such
 * allocations took 3-5 ms of every start per object; four values of 1024 (24 KiB, under
 * the 32 KiB limit of a per-CPU value) take a fraction of a millisecond. */
#define PC_CACHE_PER_VALUE 1024

struct pc_cache_entry {
	__u64 pc;
	__u32 gen;
	__u32 check;
	union {
		struct cprof_unwind_row row;
		__u64 row_bits;	/* the row as one word: read and written in registers */
	};
};
_Static_assert(sizeof(struct cprof_unwind_row) == sizeof(__u64), "a row is one word");

struct pc_cache_value {
	struct pc_cache_entry e[PC_CACHE_PER_VALUE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_CACHE_SLOTS / PC_CACHE_PER_VALUE);
	__type(key, __u32);
	__type(value, struct pc_cache_value);
} unwind_pc_cache SEC(".maps");
_Static_assert(sizeof(struct pc_cache_value) <= 32768, "the per-CPU value limit");
_Static_assert(PC_CACHE_SLOTS % PC_CACHE_PER_VALUE == 0 &&
	       !(PC_CACHE_PER_VALUE & (PC_CACHE_PER_VALUE - 1)), "slots split into values");

static __always_inline __u32 pc_cache_check(__u64 pc, __u32 gen, __u64 row_bits)
{
	__u64 h = (pc ^ ((__u64)gen << 40) ^ ((row_bits << 17) | (row_bits >> 47))) *
		  0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> 32);
}

/* The row of kind alone, as one word: what a pc gets without a row of its table. */
static __always_inline __u64 made_up_row(__u8 kind)
{
	return ((union { struct cprof_unwind_row r; __u64 b; }){ .r = { .kind = kind } }).b;
}

/* h's mapping becomes the one of pm that holds pc (kept if it does already); false: none. */
static __always_inline bool hint_map(const struct cprof_proc_maps *pm, struct unwind_hint *h,
				     __u64 pc)
{
	const struct cprof_exec_map *m;
	__s32 i;

	if (pc - h->m_start < h->m_end - h->m_start)
		return true;
	i = find_map(pm, pc);
	if (i < 0)
		return false;
	m = &pm->maps[i & (CPROF_MAX_EXEC_MAPS - 1)];
	h->m_start = m->start;
	h->m_end = m->end;
	h->m_idx = i;
	return true;
}

/* h's mapping becomes the one of pid's view (generation gen) that holds pc: 1, or 0 when
 * there is none. A pc found in the row cache leaves h as it was; this makes sure. */
__noinline int cprof_locate(__u32 pid, __u32 gen, struct unwind_hint *h, __u64 pc)
{
	const struct cprof_proc_maps *pm = bpf_map_lookup_elem(&proc_maps, &pid);

	if (!h || !pm || pm->gen != gen)
		return 0;
	return hint_map(pm, h, pc);
}

/* *row = the row covering pc in the view of pid (generation gen): 1, or 0 when pc is outside
 * every executable mapping of the view (or the view changed since gen). A pc in a mapping
 * without tables, or in a gap of its table, gets an END row; one whose table is being
 * built a PENDING row. */
__noinline int cprof_resolve(__u32 pid, __u32 gen, struct unwind_hint *h, __u64 pc,
			     struct cprof_unwind_row *row)
{
	__u32 slot = (__u32)(((pc ^ ((__u64)gen << 32)) * 0x9e3779b97f4a7c15ULL) >> 52);
	__u32 key = slot / PC_CACHE_PER_VALUE;
	struct pc_cache_value *v = bpf_map_lookup_elem(&unwind_pc_cache, &key);
	struct pc_cache_entry *e = v ? &v->e[slot & (PC_CACHE_PER_VALUE - 1)] : NULL;
	const struct cprof_proc_maps *pm;
	const struct cprof_exec_map *m;
	struct cprof_unwind_row *r;
	__u64 epc, bits;
	__u32 egen, echeck;

	if (!e || !h || !row)
		return 0;
	/* Read into registers, then checked: an entry checked in place could change before
	 * it is read (a program that interrupted this one writing the same slot). */
	epc = e->pc;
	egen = e->gen;
	echeck = e->check;
	bits = e->row_bits;
	if (epc == pc && egen == gen && echeck == pc_cache_check(pc, gen, bits)) {
		*(__u64 *)row = bits;
		return 1;
	}
	pm = bpf_map_lookup_elem(&proc_maps, &pid);
	if (!pm || pm->gen != gen || !hint_map(pm, h, pc))
		return 0;
	m = &pm->maps[h->m_idx & (CPROF_MAX_EXEC_MAPS - 1)];
	/* Nothing but the search's own state is live across it: the busiest programs' stack
	 * has no room for more. */
	if (m->flags & (CPROF_MAP_NO_TABLES | CPROF_MAP_PENDING)) {
		bits = made_up_row(m->flags & CPROF_MAP_PENDING ? CPROF_ROW_PENDING : CPROF_ROW_END);
	} else {
		r = find_row(m, pc);
		bits = r ? *(__u64 *)r : made_up_row(CPROF_ROW_END);
	}
	/* Stored field by field: one torn by an interrupting writer fails check. */
	e->pc = pc;
	e->gen = gen;
	e->row_bits = bits;
	e->check = pc_cache_check(pc, gen, bits);
	*(__u64 *)row = bits;
	return 1;
}

static __always_inline bool resolve(struct cprof_ustate *st, __u64 pc, struct cprof_unwind_row *row)
{
	return cprof_resolve(st->pid, st->gen, &st->hint, pc, row);
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

/* A caller's frame below sp is legitimate only after a switch of stacks (Go's g0 ↔
 * goroutine stacks under cgo); a few are allowed, then the walk stops. */
static __always_inline bool switch_allowed(struct cprof_ustate *st, __u64 sp)
{
	if (sp >= st->sp)
		return true;
	if (st->switches >= MAX_STACK_SWITCHES)
		return false;
	st->switches++;
	return true;
}

static __always_inline long fp_step(struct cprof_ustate *st)
{
	__u64 next_bp, ra;

	if (st->bp == 0) {
		st->stop = CPROF_STOP_FP_END;
		return 1;
	}
	if ((st->bp & 7) || !switch_allowed(st, st->bp)) {
		st->stop = CPROF_STOP_BAD_SP;
		return 1;
	}
	if (read_u64(st, st->bp, &next_bp) || read_u64(st, st->bp + 8, &ra)) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	return to_caller(st, ra, st->bp + 16, next_bp);
}

/* Go's runtime.systemstack has many callers: their frames are looked for this many 8-byte
 * words below the frame pointer. Its callers in Go 1.19's runtime have CFA offsets of 3 to
 * 55 words at the call. */
#define SWITCH_SCAN_WORDS 64

/* The search of cprof_switch_step, on its stack for bpf_loop. */
struct switch_scan {
	struct unwind_hint *hint;	/* the walk's own, updated in place */
	__u64 bp;	/* the caller's frame pointer */
	__u64 ra;	/* out: the return address into the caller */
	__u32 pid, gen;
	__u32 lo, n;	/* the CFA offsets tried: lo .. lo + n - 1 */
	__u32 k;	/* out: the one found, 0: none */
};

/* Candidate k = lo + i of cprof_switch_step: ends the search at a match or a fault. */
static long switch_scan_step(__u32 i, void *ctx)
{
	struct switch_scan *ss = ctx;
	struct cprof_unwind_row crow;
	__u64 k = (__u64)ss->lo + i, ra;

	struct unwind_hint *h = ss->hint;

	if (!h || cprof_read_user(h, ss->bp + 8 - 8 * k, &ra))
		return 1;
	if (ra - 1 - h->m_start >= h->m_end - h->m_start ||
	    !cprof_resolve(ss->pid, ss->gen, h, ra - 1, &crow) ||
	    crow.kind != CPROF_ROW_CFA_RSP || crow.cfa_off != k)
		return 0;
	ss->ra = ra;
	ss->k = k;
	return 1;
}

/* A frameless function that switched stacks (Go's asmcgocall, systemstack), at pc: rbp is
 * still its caller's frame pointer, on the stack it came from. A frame-pointer step from
 * there would skip the caller itself. The caller's sp at the call is rbp + 16 - 8k, where
 * k is the caller's CFA offset there, and our return address lies just below it: each
 * candidate k takes the word at rbp + 8 - 8k as the return address, kept only if it lies
 * in code of the switching function's object whose row has that very CFA offset. Where
 * user space knows the only caller (runtime.cgocall, for asmcgocall), cfa_off gives the
 * one k tried; else 2 .. SWITCH_SCAN_WORDS + 1 are. A global function returning
 * unwind_step's verdict: the verifier checks it once, not within every path of the frame
 * loop. */
__noinline int cprof_switch_step(struct cprof_ustate *st, __u32 cfa_off, __u64 pc)
{
	struct switch_scan ss = {
		.lo = cfa_off > 1 ? cfa_off : 2,
		.n = cfa_off > 1 ? 1 : SWITCH_SCAN_WORDS,
	};
	__u64 csp;

	if (!st)
		return 1;
	if (!st->bp || (st->bp & 7))
		return fp_step(st);
	ss.hint = &st->hint;
	ss.bp = st->bp;
	ss.pid = st->pid;
	ss.gen = st->gen;
	if (cprof_locate(ss.pid, ss.gen, &st->hint, pc))
		bpf_loop(ss.n, switch_scan_step, &ss, 0);
	if (!ss.k)
		return fp_step(st);
	csp = st->bp + 16 - 8 * (__u64)ss.k;
	if (!switch_allowed(st, csp)) {
		st->stop = CPROF_STOP_BAD_SP;
		return 1;
	}
	return to_caller(st, ss.ra, csp, st->bp);
}

static __always_inline long signal_step(struct cprof_ustate *st)
{
	__u64 ip, sp, bp;

	if (read_u64(st, st->sp + SIGFRAME_RIP, &ip) || read_u64(st, st->sp + SIGFRAME_RSP, &sp) ||
	    read_u64(st, st->sp + SIGFRAME_RBP, &bp)) {
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
	case CPROF_ROW_CLONE:
		cfa = st->sp + off;
		break;
	case CPROF_ROW_CFA_RBP:
		cfa = st->bp + off;
		break;
	case CPROF_ROW_PLT:
		cfa = st->sp + off + ((st->ip & 15) >= row->rbp_slot ? 8 : 0);
		break;
	default: /* CPROF_ROW_DEREF */
		if (read_u64(st, st->bp - off, &cfa)) {
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
	if (read_u64(st, cfa - 8, &ra)) {
		st->stop = CPROF_STOP_READ_FAULT;
		return 1;
	}
	if (row->kind != CPROF_ROW_PLT && row->rbp_slot) {
		__u64 at = row->rbp_slot == CPROF_RBP_AT_RBP ? st->bp : cfa - 8 * row->rbp_slot;

		/* A slot below sp was popped already (an epilogue whose CFI does not restore
		 * rbp after "pop %rbp"): rbp holds the caller's value, and the slot is dead
		 * memory, which a signal frame may have overwritten or a read may fault on. */
		if (row->rbp_slot != CPROF_RBP_AT_RBP && at < st->sp)
			at = 0;
		if (at && read_u64(st, at, &bp)) {
			st->stop = CPROF_STOP_READ_FAULT;
			return 1;
		}
	}
	return to_caller(st, ra, cfa, bp);
}

/* Whether the first frame, in the gap of a clone system call (CPROF_ROW_CLONE), is the
 * new thread's: rax is 0 there (copy_thread), and the parent's is -ENOSYS in the system
 * call, the new thread's id after it. The registers unwound from are the task's saved user
 * registers, or (a perf_event sample in user mode) the same ones the interrupt saved there.
 * Read only here, on this rare path: carried from the program's start, rax would cost the
 * busiest programs stack they do not have. */
static __always_inline bool in_new_thread(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return regs->ax == 0;
}

/* One frame: records st->ip, then moves st to the caller. Returns 1 to end the walk.
 * Every call but the last records one frame, so frame i is recorded by call i (counted from
 * st->first): counting with i, which the verifier sees as any number, rather than with a
 * counter it would track as a constant, lets it check this callback once instead of once
 * per possible count. */
static long unwind_step(__u32 i, void *ctx)
{
	struct unwind_ctx *c = ctx;
	struct cprof_ustate *st = c->st;
	struct sample_buf *b = c->b;
	struct cprof_unwind_row row;
	__u32 idx;
	__u64 pc;

	if (!st || !b)
		return 1;
	i += st->first;
	idx = st->base + i;
	pc = st->exact ? st->ip : st->ip - 1;
	if (i >= st->max || idx >= CPROF_SAMPLE_MAX_FRAMES) {
		st->stop = CPROF_STOP_DEPTH;
		return 1;
	}
	/* Hide idx's known range from clang so the mask survives for the verifier. */
	asm volatile("" : "+r"(idx));
	idx &= SCRATCH_MASK;
	/* User space looks frames after the first up at address - 1 (they are return
	 * addresses): an exact pc there (the instruction a signal interrupted) is stored + 1. */
	b->frames[idx] = st->ip + (st->exact && i ? 1 : 0);
	st->n = i + 1;
	if (!st->gen) {
		/* No view yet: frame pointers through the executable's own code (right if it
		 * was built with them; distro libraries mostly are not), to the first frame
		 * outside it, if that lands in plausible code. The stack counts as cut short. */
		st->flags |= CPROF_SF_FP_FALLBACK;
		if (i == st->first) {
			st->ip0 = st->ip;
			st->sp0 = st->sp;
			st->bp0 = st->bp;
			st->exact0 = st->exact;
		}
		if (pc >= st->text_lo && pc < st->text_hi && !fp_step(st) &&
		    ((st->ip >= st->text_lo && st->ip < st->text_hi) ||
		     (st->ip >= st->libs_lo && st->ip < st->libs_hi)))
			return 0;
		st->stop = CPROF_STOP_NO_TABLES;
		return 1;
	}
	if (!resolve(st, pc, &row)) {
		/* Kept: user space reloads the maps when it sees an address outside them (a
		 * library mapped after the view was published), or shows it as unmapped. The
		 * view the exec program published holds only objects whose tables it knew: a
		 * pc outside it is in one whose tables are not ready. */
		st->stop = st->gen & CPROF_GEN_AT_EXEC ? CPROF_STOP_NO_TABLES :
							 CPROF_STOP_NO_MAPPING;
		return 1;
	}
	switch (row.kind) {
	case CPROF_ROW_END:
		st->flags |= CPROF_SF_FP_FALLBACK;
		return fp_step(st);
	case CPROF_ROW_FP:
		/* No usable CFI here either (a Go binary stripped of .debug_frame). */
		st->flags |= CPROF_SF_FP_FALLBACK;
		return fp_step(st);
	case CPROF_ROW_STOP:
		st->stop = CPROF_STOP_ROOT;
		return 1;
	case CPROF_ROW_PENDING:
		st->stop = CPROF_STOP_NO_TABLES;
		return 1;
	case CPROF_ROW_SIGNAL:
		/* The handler returned to the trampoline's first byte: its own frame is that
		 * exact address, not the byte before. */
		if (!st->exact && i)
			b->frames[idx] += 1;
		return signal_step(st);
	case CPROF_ROW_FP_SWITCH:
		return cprof_switch_step(st, row.cfa_off, pc) ? 1 : 0;
	case CPROF_ROW_CLONE:
		/* rax is known for the first frame only. No later frame is in the gap: no call
		 * returns there, and glibc blocks signals around the system call. */
		if (!i && (st->hint.replay ? st->new_thread : in_new_thread())) {
			st->stop = CPROF_STOP_ROOT;
			return 1;
		}
		return cfa_step(st, &row);
	case CPROF_ROW_CFA_RSP:
	case CPROF_ROW_CFA_RBP:
	case CPROF_ROW_PLT:
	case CPROF_ROW_DEREF:
		return cfa_step(st, &row);
	default:
		st->stop = CPROF_STOP_UNSUPPORTED;
		return 1;
	}
}

/* The unwinder's state for a walk from the given registers into b's user frames (after its
 * kernel frames), reset; NULL if there is none. It lives in unwind_state, not on the BPF
 * stack. */
static __always_inline struct cprof_ustate *ustate_init(struct sample_buf *b, __u64 ip, __u64 sp,
							 __u64 bp, bool exact)
{
	struct cprof_ustate *st = bpf_map_lookup_elem(&unwind_state, &b->slot);

	if (!st)
		return NULL;
	__builtin_memset(st, 0, sizeof(*st));
	st->ip = ip;
	st->sp = sp;
	st->bp = bp;
	st->exact = exact;
	st->hint.slot = b->slot;
	st->base = b->s.n_kernel;
	st->max = max_user_frames;
	if (st->max > CPROF_MAX_USER_FRAMES)
		st->max = CPROF_MAX_USER_FRAMES;
	st->stop = CPROF_STOP_DEPTH;
	return st;
}

/* Walks st's stack into b and says in b how far it went and why it stopped. */
static __always_inline void unwind_run(struct sample_buf *b, struct cprof_ustate *st)
{
	struct unwind_ctx c = { .b = b, .st = st };

	bpf_loop(CPROF_MAX_USER_FRAMES + 1, unwind_step, &c, 0);
	b->s.n_user = st->n;
	b->s.flags |= (st->stop & CPROF_SF_STOP_MASK) | st->flags;
}

/* Sets st's view: its process's (pid), else, for a process that has none and has not
 * exec'ed since its fork (it shows its parent's image: a shell's subshell, a vfork child
 * before its exec), its parent's, which holds the same mappings and keeps up with them.
 * Without either, where return addresses may be for frame-pointer steps. The task is the
 * current one (every caller's). A function of its own: inlined, what stays live across it
 * costs the busiest programs stack they do not have. */
static __noinline void view_init(struct cprof_ustate *st, __u32 pid)
{
	struct task_struct *task = bpf_get_current_task_btf(), *parent;
	struct cprof_proc_maps *pm;
	struct mm_struct *mm;

	if (!st)
		return;
	/* Keys in the state, not on the stack. Fields by probe reads into st, as task_fields()
	 * (common.bpf.h) explains: no stack, no loads of pointer fields to verify; libs_hi
	 * carries the pointers, text_lo and text_hi the two images. */
	st->pid = pid;
	pm = bpf_map_lookup_elem(&proc_maps, &st->pid);
	if (!pm) {
		bpf_core_read(&st->libs_hi, sizeof(st->libs_hi), &task->mm);
		mm = (struct mm_struct *)st->libs_hi;
		bpf_core_read(&st->text_lo, sizeof(st->text_lo), &mm->start_stack);
		bpf_core_read(&st->libs_hi, sizeof(st->libs_hi), &task->real_parent);
		parent = (struct task_struct *)st->libs_hi;
		bpf_core_read(&st->libs_hi, sizeof(st->libs_hi), &parent->mm);
		mm = (struct mm_struct *)st->libs_hi;
		bpf_core_read(&st->text_hi, sizeof(st->text_hi), &mm->start_stack);
		if (st->libs_hi && st->text_lo && st->text_lo == st->text_hi) {
			bpf_core_read(&st->pid, sizeof(st->pid), &parent->tgid);
			pm = bpf_map_lookup_elem(&proc_maps, &st->pid);
		}
	}
	if (pm) {
		st->gen = pm->gen;
		return;
	}
	st->pid = pid;	/* whose view a copy of the stack is to be replayed through */
	bpf_core_read(&st->libs_hi, sizeof(st->libs_hi), &task->mm);
	mm = (struct mm_struct *)st->libs_hi;
	bpf_core_read(&st->text_lo, sizeof(st->text_lo), &mm->start_code);
	bpf_core_read(&st->text_hi, sizeof(st->text_hi), &mm->end_code);
	bpf_core_read(&st->libs_hi, sizeof(st->libs_hi), &mm->mmap_base);
	st->libs_lo = st->libs_hi > (1ULL << 40) ? st->libs_hi - (1ULL << 40) : 0;
}

/* Unwinds from the given user registers into b's user frames (after its kernel frames).
 * exact: ip is the instruction itself (interrupted), not a return address. */
static __always_inline void unwind_from(struct sample_buf *b, __u64 ip, __u64 sp, __u64 bp,
					bool exact)
{
	struct cprof_ustate *st = ip ? ustate_init(b, ip, sp, bp, exact) : NULL;

	if (!st) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	view_init(st, b->s.pid);
	unwind_run(b, st);
}

/* Unwinds the stack copy c (in unwind_replay_io) again from its frame on, through the view
 * of its process published now, into b's frames: frames[c->frame ..] (b has no kernel
 * frames). Without a view the copy's frame is all there is. */
static __always_inline void unwind_replay(struct sample_buf *b, const struct cprof_stack_copy *c)
{
	struct cprof_proc_maps *pm;
	struct cprof_ustate *st;
	__u32 pid = c->view_pid ? c->view_pid : c->pid;

	st = ustate_init(b, c->ip, c->sp, c->bp, c->flags & CPROF_COPY_EXACT);
	if (!st) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	st->hint.replay = 1;
	st->new_thread = c->flags & CPROF_COPY_NEW_THREAD;
	st->first = c->frame;
	pm = bpf_map_lookup_elem(&proc_maps, &pid);
	if (!pm) {
		b->s.flags |= CPROF_STOP_NO_MAPPING;
		return;
	}
	st->pid = pid;
	st->gen = pm->gen;
	unwind_run(b, st);
}

/* bpf_find_vma's callback: the area holding the address, described in ctx if it maps a file
 * (end stays 0 if not). Pointer fields by probe reads (task_fields() in common.bpf.h). */
static long vma_describe_file(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct cprof_exec_vma *v = ctx;
	struct inode *inode = BPF_CORE_READ(vma, vm_file, f_inode);

	if (!inode)
		return 0;
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->offset = (__u64)vma->vm_pgoff << 12;
	v->ino = BPF_CORE_READ(inode, i_ino);
	v->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	return 0;
}

/* Copies the user stack from sp into c by pages, as far as they can be read; the bytes
 * copied. Whole pages after the first: a read across the end of the stack would fail whole. */
static __always_inline __u32 copy_stack(struct cprof_stack_copy *c, __u64 sp)
{
	__u32 head = 4096 - (sp & 4095), len;

	if (bpf_probe_read_user(c->bytes, head, (void *)sp))
		return 0;
	len = head;
#pragma unroll
	for (int i = 1; i < CPROF_STACK_COPY_PAGES; i++) {
		__u32 at = head + (i - 1) * 4096;

		if (bpf_probe_read_user(c->bytes + at, 4096, (void *)(sp + at)))
			break;
		len = at + 4096;
	}
	return len;
}

/* When b's unwind stopped at a pc outside the view in an area of the process that maps a
 * file (code the dynamic loader, or dlopen, mapped after the view was published), or where
 * the tables were not ready, sends the stack there (struct cprof_stack_copy) and flags b:
 * user space finishes the unwind once it has published that object's tables. Then b must be sent at once, from the same CPU (the
 * copy is read first). Returns whether a copy was sent. bpf_find_vma is called once, here:
 * a second call in the same interrupt finds its unlock still pending and fails (-EBUSY),
 * and so does the first while another thread changes the mappings; the stack is copied then
 * too. A global function: the verifier checks it once. */
__noinline int cprof_copy_stack(struct sample_buf *b)
{
	struct cprof_exec_vma v = {};
	struct cprof_stack_copy *c;
	struct cprof_ustate *st;
	__u32 slot;
	long err;

	if (!b)
		return 0;
	slot = b->slot;
	st = bpf_map_lookup_elem(&unwind_state, &slot);
	/* Outside the view, or where the tables are not ready: no view yet (the process's
	 * first milliseconds), a view the exec program published (objects new to user space),
	 * one of user space's with tables still being built (CPROF_MAP_PENDING). */
	if (!st || !st->n || (st->stop != CPROF_STOP_NO_MAPPING &&
			      st->stop != CPROF_STOP_NO_TABLES))
		return 0;
	err = bpf_find_vma(bpf_get_current_task_btf(), st->exact ? st->ip : st->ip - 1,
			   vma_describe_file, &v, 0);
	/* -ENOENT: in no area at all, a garbage address; found without a file: anonymous. */
	if (err == -2 || (!err && !v.end))
		return 0;
	c = bpf_ringbuf_reserve(&rb, sizeof(*c), 0);
	if (!c)
		return 0;	/* the sample stays cut short, as the summary says */
	c->kind = CPROF_EV_STACK_COPY;
	c->pid = b->s.pid;
	c->tid = b->s.tid;
	c->ts = b->s.ts;
	c->view_pid = st->pid;
	c->vma = v;
	if (st->gen) {
		c->ip = st->ip;
		c->sp = st->sp;
		c->bp = st->bp;
		c->frame = st->n - 1;
		c->flags = st->exact ? CPROF_COPY_EXACT : 0;
	} else {
		/* Without a view every frame is a frame-pointer step, which skips the caller
		 * of a function sampled in its prologue: the replay starts from the first. */
		c->ip = st->ip0;
		c->sp = st->sp0;
		c->bp = st->bp0;
		c->frame = st->first;
		c->flags = st->exact0 ? CPROF_COPY_EXACT : 0;
	}
	if (c->frame == 0 && in_new_thread())
		c->flags |= CPROF_COPY_NEW_THREAD;
	c->len = copy_stack(c, c->sp);
	/* The sample that follows wakes the reader. */
	bpf_ringbuf_submit(c, BPF_RB_NO_WAKEUP);
	b->s.flags |= CPROF_SF_STACK_COPY;
	return 1;
}

/* A user-space task: not a kernel thread, with an address space (mm loaded as how says)
 * whose registers are its own. Inside exec, from the moment the new address space replaces
 * the old one to the new image's first instruction, the saved registers still point into
 * the image that is gone: load_elf_binary sets start_code a moment before it points them at
 * the new one (for that moment, see in_exec_limbo). start_code is no pointer: loaded from
 * any alias without the check task_fields() avoids. */
static __always_inline bool has_user(struct task_struct *task, enum task_load how)
{
	struct mm_struct *mm;
	__u64 start_code = 0;

	if (task->flags & PF_KTHREAD)
		return false;
	mm = task_mm(task, how);
	if (!mm)
		return false;
	if (how == TASK_PROBE)
		bpf_core_read(&start_code, sizeof(start_code), &mm->start_code);
	else
		start_code = mm->start_code;
	return start_code;
}

/* The rest of that window: a task inside execve whose saved pc is not mapped (read_failed:
 * reading it faulted) has registers of the image it replaced; before the point of no
 * return the pc is the old image's own code, mapped and recently run. Kernels without
 * in_execve leave only has_user's test. */
static __always_inline bool in_exec_limbo(struct task_struct *task, bool read_failed)
{
	if (!read_failed || !bpf_core_field_exists(task->in_execve))
		return false;
	return BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
}

/* The x86-64 UAPI layout of struct pt_regs, which is that of a perf_event or uprobe
 * program's context whatever the kernel: cs is its 18th word. Not relocated (CO-RE): since
 * FRED (6.9) the kernel's cs sits in a union, a path kernels before it cannot match. */
#define UAPI_PT_REGS_CS (17 * 8)

/* Fills b's user frames (after its kernel frames). regs: the program's own context when it
 * holds the interrupted registers (perf_event), else NULL; kernel-mode regs mean "use the
 * task's saved user registers". how: how the program loads the task's pointer fields. */
static __always_inline void unwind_user(struct pt_regs *regs, struct sample_buf *b,
					enum task_load how)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *uregs;
	__u64 ip, sp, bp;
	__u16 insn = 0;
	bool exact, faulted;

	if (!has_user(task, how)) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	/* regs is the program's context: read directly, without a helper call, and in whole
	 * words (the verifier's rule for context reads). */
	if (regs && (*(__u64 *)((void *)regs + UAPI_PT_REGS_CS) & 3) == 3) {
		b->s.flags |= CPROF_SF_USER_MODE | CPROF_SF_PC_EXACT;
		unwind_from(b, regs->ip, regs->sp, regs->bp, true);
		return;
	}
	/* A BTF pointer: its fields are plain loads too. */
	uregs = (struct pt_regs *)bpf_task_pt_regs(task);
	ip = uregs->ip;
	sp = uregs->sp;
	bp = uregs->bp;
	/* Saved at kernel entry: after a syscall ip is the next instruction (a return address);
	 * after a fault it is the faulting instruction itself. */
	faulted = bpf_probe_read_user(&insn, sizeof(insn), (void *)(ip - 2));
	if (in_exec_limbo(task, faulted)) {
		b->s.flags |= CPROF_STOP_NO_REGS;
		return;
	}
	exact = faulted || insn != 0x050f;	/* "syscall" is 0f 05 */
	if (exact && ip)
		b->s.flags |= CPROF_SF_PC_EXACT;
	unwind_from(b, ip, sp, bp, exact);
}

/* One load of a pt_regs field, at a constant offset in the instruction itself. */
#define CTX_LOAD(ctx, field)							\
	({									\
		__u64 __v;							\
		asm volatile("%[v] = *(u64 *)(%[c] + %[o])" : [v] "=r"(__v)	\
			     : [c] "r"(ctx), [o] "i"(__builtin_offsetof(struct pt_regs, field))); \
		__v;								\
	})

/* Fills b's user frames from the caller of the function at whose entry a uprobe's ctx was
 * taken (Go's heap stacks start at the allocating function): there the return address is at
 * sp. The caller's state is handed over as an exact pc (ra - 1, inside the call) so the
 * unwinder needs no CFI row for the probed function itself, nor frame pointers there. The
 * registers are read from the context one by one: a copy of struct pt_regs would take 168
 * bytes of the BPF stack. */
static __always_inline void unwind_entry_caller(struct pt_regs *ctx, struct sample_buf *b)
{
	__u64 ip = CTX_LOAD(ctx, ip), sp = CTX_LOAD(ctx, sp), bp = CTX_LOAD(ctx, bp), ra = 0;

	if (!bpf_probe_read_user(&ra, sizeof(ra), (void *)sp) && ra >= 2) {
		ip = ra - 1;
		sp += 8;
	}
	b->s.flags |= CPROF_SF_USER_MODE | CPROF_SF_PC_EXACT;
	unwind_from(b, ip, sp, bp, true);
}

#endif
