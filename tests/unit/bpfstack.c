/* Stack depth of BPF functions and of a linked program's worst call chain; see bpfstack.h.
 * A frame's depth comes from a forward data-flow pass over the function (which registers and
 * spilled stack slots hold a pointer into the frame, at which offset), the chain from a
 * depth-first walk of the call graph. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfstack.h"

#define NOT_STACK INT_MAX	/* the value is not known to point into the frame */
#define UNBOUNDED INT_MIN	/* it points into the frame, moved down by an unknown amount */
/* Offsets are clamped here: deeper is invalid anyway, and the floor bounds the fixed point
 * (a pointer stepped down in a loop would otherwise never settle). */
#define OFF_FLOOR (-2 * BPFSTACK_MAX_STACK)
#define OFF_CEIL BPFSTACK_MAX_STACK
#define SLOTS (BPFSTACK_MAX_STACK / 8)
#define NVAL (MAX_BPF_REG + SLOTS)	/* registers, then the frame's 8-byte slots */

struct frame_walk {
	const struct bpf_insn *insns;
	size_t n;
	int *in;		/* n * NVAL: stack offset held on entry to each instruction */
	bool *seen, *queued;
	size_t *work, nwork;
	int deepest;		/* bytes below r10 */
	int err;
};

static bool is_ld_imm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* A reference that makes a function of its target (pc + imm + 1): a bpf-to-bpf call or the
 * address of a callback. */
static bool is_func_ref(const struct bpf_insn *in)
{
	return (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) ||
	       (is_ld_imm64(in) && in->src_reg == BPF_PSEUDO_FUNC);
}

/* A stack pointer moved by delta bytes. */
static int move_off(int off, long long delta)
{
	long long moved = (long long)off + delta;

	if (off == NOT_STACK || off == UNBOUNDED)
		return off;
	return moved < OFF_FLOOR ? OFF_FLOOR : moved > OFF_CEIL ? OFF_CEIL : (int)moved;
}

/* The frame reaches down to off: it is accessed there or handed out. Like the verifier, only
 * such uses count, not the pointer arithmetic before them. */
static void note(struct frame_walk *w, int off)
{
	if (off == UNBOUNDED)
		w->err = -ERANGE;
	else if (off != NOT_STACK && off < 0 && -off > w->deepest)
		w->deepest = -off;
}

/* The slot index of an aligned 8-byte frame address, or -1. */
static int slot_of(int addr)
{
	if (addr == NOT_STACK || addr == UNBOUNDED || addr >= 0 || addr < -BPFSTACK_MAX_STACK ||
	    addr % 8)
		return -1;
	return MAX_BPF_REG + (-addr / 8 - 1);
}

/* Forgets what the slots under [addr, addr + size) held. */
static void clobber(int *v, int addr, int size)
{
	int a;

	if (addr == NOT_STACK || addr == UNBOUNDED)
		return;
	for (a = addr & ~7; a < addr + size; a += 8)
		if (slot_of(a) >= 0)
			v[slot_of(a)] = NOT_STACK;
}

static int addr_of(const int *v, int reg, int off)
{
	return move_off(v[reg], off);
}

static void step_alu64(int *v, const struct bpf_insn *in)
{
	int op = BPF_OP(in->code), d = in->dst_reg;
	bool reg = BPF_SRC(in->code) == BPF_X;
	int src = reg ? v[in->src_reg] : NOT_STACK;

	if (op == BPF_MOV) {
		v[d] = reg && !in->off ? src : NOT_STACK;	/* off != 0: movsx, a scalar */
	} else if ((op == BPF_ADD || op == BPF_SUB) && !reg) {
		v[d] = move_off(v[d], op == BPF_ADD ? in->imm : -(long long)in->imm);
	} else if (op == BPF_ADD && reg) {
		/* pointer + scalar stays at the pointer (the scalar is taken as >= 0, as an
		 * array index is); scalar + pointer becomes the pointer */
		if (v[d] == NOT_STACK)
			v[d] = src;
		else if (src != NOT_STACK)
			v[d] = NOT_STACK;
	} else if (op == BPF_SUB && reg && v[d] != NOT_STACK && src == NOT_STACK) {
		v[d] = UNBOUNDED;	/* harmless unless it is then used */
	} else {
		v[d] = NOT_STACK;
	}
}

static void step_mem(struct frame_walk *w, int *v, const struct bpf_insn *in)
{
	static const int sizes[] = { 4, 2, 1, 8 };	/* BPF_W, BPF_H, BPF_B, BPF_DW */
	int cls = BPF_CLASS(in->code), size = sizes[BPF_SIZE(in->code) >> 3];
	int base = cls == BPF_LDX ? in->src_reg : in->dst_reg;
	int addr = addr_of(v, base, in->off);

	note(w, addr);
	if (cls == BPF_LDX) {
		v[in->dst_reg] = size == 8 && slot_of(addr) >= 0 && BPF_MODE(in->code) == BPF_MEM ?
				 v[slot_of(addr)] : NOT_STACK;
		return;
	}
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_MEM && size == 8 && slot_of(addr) >= 0) {
		v[slot_of(addr)] = v[in->src_reg];	/* a spill, followed */
		return;
	}
	if (cls == BPF_STX)
		note(w, v[in->src_reg]);	/* a frame pointer stored elsewhere escapes */
	clobber(v, addr, size);
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH))
		v[in->src_reg] = v[BPF_REG_0] = NOT_STACK;	/* old value; cmpxchg: r0 */
}

/* A call reads its pointer arguments and clobbers r0-r5; so do the legacy packet loads.
 * Which of r1-r5 are arguments is not known here, so an unbounded stack pointer among them
 * is taken for a leftover (clang leaves the "is this address on my stack" difference there)
 * rather than an argument: the verifier would refuse it as one unless the register
 * subtracted had known bounds. */
static void step_call(struct frame_walk *w, int *v)
{
	int r;

	for (r = BPF_REG_1; r <= BPF_REG_5; r++)
		if (v[r] != UNBOUNDED)
			note(w, v[r]);
	for (r = BPF_REG_0; r <= BPF_REG_5; r++)
		v[r] = NOT_STACK;
}

static void step(struct frame_walk *w, int *v, const struct bpf_insn *in)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU64:
		step_alu64(v, in);
		break;
	case BPF_ALU:
		v[in->dst_reg] = NOT_STACK;
		break;
	case BPF_LD:
		if (is_ld_imm64(in))
			v[in->dst_reg] = NOT_STACK;
		else
			step_call(w, v);
		break;
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		step_mem(w, v, in);
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_CALL)
			step_call(w, v);
		break;
	}
}

/* Merges state v into the entry state of instruction to, queueing it if that changed. */
static void flow(struct frame_walk *w, const int *v, long long to)
{
	int *dst;
	bool changed = false;
	size_t k;

	if (to < 0 || (size_t)to >= w->n) {
		w->err = -EINVAL;
		return;
	}
	dst = w->in + (size_t)to * NVAL;
	for (k = 0; k < NVAL; k++) {
		if (!w->seen[to] || v[k] < dst[k]) {
			dst[k] = v[k];
			changed = true;
		}
	}
	w->seen[to] = true;
	if (changed && !w->queued[to]) {
		w->queued[to] = true;
		w->work[w->nwork++] = (size_t)to;
	}
}

static void successors(struct frame_walk *w, const int *v, size_t pc)
{
	const struct bpf_insn *in = &w->insns[pc];
	int cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	long long next = (long long)pc + 1;

	if (is_ld_imm64(in)) {
		flow(w, v, next + 1);
	} else if (cls != BPF_JMP && cls != BPF_JMP32) {
		flow(w, v, next);
	} else if (op == BPF_EXIT && cls == BPF_JMP) {
		return;
	} else if (op == BPF_CALL) {
		flow(w, v, next);
	} else if (op == BPF_JA) {	/* JMP32 | JA (gotol) keeps its offset in imm */
		flow(w, v, next + (cls == BPF_JMP ? in->off : in->imm));
	} else {
		flow(w, v, next);
		flow(w, v, next + in->off);
	}
}

static void frame_walk__free(struct frame_walk *w)
{
	free(w->in);
	free(w->seen);
	free(w->queued);
	free(w->work);
}

int bpfstack__frame(const struct bpf_insn *insns, size_t n, int *depth)
{
	struct frame_walk w = { .insns = insns, .n = n };
	int v[NVAL];
	size_t k, pc;

	*depth = 0;
	if (!n)
		return -EINVAL;
	w.in = malloc(n * NVAL * sizeof(*w.in));
	w.seen = calloc(n, sizeof(*w.seen));
	w.queued = calloc(n, sizeof(*w.queued));
	w.work = malloc(n * sizeof(*w.work));
	if (!w.in || !w.seen || !w.queued || !w.work) {
		w.err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < NVAL; k++)
		v[k] = k == BPF_REG_10 ? 0 : NOT_STACK;
	flow(&w, v, 0);
	while (w.nwork && !w.err) {
		pc = w.work[--w.nwork];
		w.queued[pc] = false;
		memcpy(v, w.in + pc * NVAL, sizeof(v));
		step(&w, v, &insns[pc]);
		successors(&w, v, pc);
	}
	*depth = (w.deepest + 7) / 8 * 8;
out:
	frame_walk__free(&w);
	return w.err;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The target of a function reference at pc, or -1 if it is outside the program. */
static long long ref_target(const struct bpf_insn *insns, size_t n, size_t pc)
{
	long long t = (long long)pc + insns[pc].imm + 1;

	return t >= 0 && (size_t)t < n ? t : -1;
}

/* 0 and every referenced target, sorted and unique, into starts[]; returns their count. */
static long long func_starts(const struct bpf_insn *insns, size_t n, size_t *starts)
{
	size_t pc, k, count = 1;

	starts[0] = 0;
	for (pc = 0; pc < n; pc += is_ld_imm64(&insns[pc]) ? 2 : 1) {
		if (!is_func_ref(&insns[pc]))
			continue;
		if (ref_target(insns, n, pc) < 0)
			return -EINVAL;
		starts[count++] = (size_t)ref_target(insns, n, pc);
	}
	qsort(starts, count, sizeof(*starts), cmp_size);
	for (pc = k = 1; pc < count; pc++)
		if (starts[pc] != starts[k - 1])
			starts[k++] = starts[pc];
	return (long long)k;
}

int bpfstack__split(const struct bpf_insn *insns, size_t n, struct bpfstack_func **funcs,
		    size_t *count)
{
	size_t *starts = malloc((n + 1) * sizeof(*starts)), k;
	struct bpfstack_func *f = NULL;
	long long nf;
	int err = 0;

	*funcs = NULL;
	*count = 0;
	if (!starts)
		return -ENOMEM;
	nf = func_starts(insns, n, starts);
	if (nf < 0) {
		err = (int)nf;
		goto out;
	}
	f = calloc((size_t)nf, sizeof(*f));
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < (size_t)nf && !err; k++) {
		f[k].start = starts[k];
		f[k].end = k + 1 < (size_t)nf ? starts[k + 1] : n;
		err = bpfstack__frame(insns + f[k].start, f[k].end - f[k].start, &f[k].depth);
	}
	if (err) {
		free(f);
		goto out;
	}
	*funcs = f;
	*count = (size_t)nf;
out:
	free(starts);
	return err;
}

int bpfstack__round(int depth, int round)
{
	if (round == BPFSTACK_ROUND_INTERP && depth < 1)
		depth = 1;
	return (depth + round - 1) / round * round;
}

struct chain_walk {
	const struct bpf_insn *insns;
	const struct bpfstack_func *funcs;
	size_t count;
	int round;
	int *best;		/* heaviest chain from each function, rounded bytes */
	size_t *len;		/* longest chain from each function, in functions */
	size_t *next;		/* the callee on the heaviest chain; count if none */
	unsigned char *state;	/* 0 unseen, 1 on the walk's path, 2 done */
};

static int cmp_start(const void *key, const void *func)
{
	size_t start = *(const size_t *)key, f = ((const struct bpfstack_func *)func)->start;

	return start < f ? -1 : start > f;
}

/* The function starting at start: bpfstack__split made one of every reference's target. */
static size_t func_at(const struct chain_walk *w, size_t start)
{
	const struct bpfstack_func *f = bsearch(&start, w->funcs, w->count, sizeof(*w->funcs),
						cmp_start);

	return f ? (size_t)(f - w->funcs) : w->count;
}

/* Depth-first: the verifier's walk, with each function's answer kept. The recursion is as
 * deep as the longest chain, which is at most the number of functions. */
static int chain_visit(struct chain_walk *w, size_t f)
{
	const struct bpfstack_func *fn = &w->funcs[f];
	size_t pc, g;
	int err;

	w->state[f] = 1;
	w->best[f] = 0;
	w->len[f] = 0;
	w->next[f] = w->count;
	for (pc = fn->start; pc < fn->end; pc += is_ld_imm64(&w->insns[pc]) ? 2 : 1) {
		if (!is_func_ref(&w->insns[pc]))
			continue;
		g = func_at(w, (size_t)((long long)pc + w->insns[pc].imm + 1));
		if (g == w->count)
			return -EINVAL;
		if (w->state[g] == 1)
			return -ELOOP;
		if (!w->state[g] && (err = chain_visit(w, g)))
			return err;
		if (w->next[f] == w->count || w->best[g] > w->best[w->next[f]])
			w->next[f] = g;
		if (w->len[g] > w->len[f])
			w->len[f] = w->len[g];
	}
	w->best[f] = bpfstack__round(fn->depth, w->round) +
		     (w->next[f] < w->count ? w->best[w->next[f]] : 0);
	w->len[f]++;
	w->state[f] = 2;
	return 0;
}

int bpfstack__worst(const struct bpf_insn *insns, const struct bpfstack_func *funcs,
		    size_t count, int round, struct bpfstack_chain *out)
{
	struct chain_walk w = { .insns = insns, .funcs = funcs, .count = count, .round = round };
	size_t f;
	int err;

	memset(out, 0, sizeof(*out));
	w.best = calloc(count, sizeof(*w.best));
	w.len = calloc(count, sizeof(*w.len));
	w.next = calloc(count, sizeof(*w.next));
	w.state = calloc(count, sizeof(*w.state));
	err = !count ? -EINVAL : !w.best || !w.len || !w.next || !w.state ? -ENOMEM : 0;
	if (!err)
		err = chain_visit(&w, 0);
	if (!err && w.len[0] > BPFSTACK_MAX_FRAMES)
		err = -E2BIG;
	for (f = 0; !err && f < count; f = w.next[f]) {
		out->func[out->n++] = f;
		out->total += bpfstack__round(funcs[f].depth, round);
	}
	free(w.best);
	free(w.len);
	free(w.next);
	free(w.state);
	return err;
}
