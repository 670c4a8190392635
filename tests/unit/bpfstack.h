/* bpfstack: the stack a linked BPF program needs on its deepest call chain, counted from its
 * instructions the way the kernel verifier counts it (kernel/bpf/verifier.c,
 * check_max_stack_depth_subprog), but as if no frame had a private stack. Nothing is loaded:
 * the answer does not depend on the running kernel. */
#ifndef CPROF_BPFSTACK_H
#define CPROF_BPFSTACK_H

#include <linux/bpf.h>
#include <stddef.h>

#define BPFSTACK_MAX_STACK 512	/* MAX_BPF_STACK: the verifier's limit on a chain's sum */
#define BPFSTACK_MAX_FRAMES 8	/* MAX_CALL_FRAMES: the verifier's limit on a chain's length */
/* Frame granularity: the interpreter rounds each frame up to 32 bytes (and an empty frame
 * to 32), the JIT to 16 (an empty frame stays 0). 32 is never below what the kernel counts. */
#define BPFSTACK_ROUND_INTERP 32
#define BPFSTACK_ROUND_JIT 16

/* The deepest byte below r10 that insns[0..n) (one function) reads, writes, or hands out as
 * a pointer to a call or a store, rounded up to 8 as the verifier's grow_stack_state() does.
 * Copies of r10, offsets added to them, and spills of such pointers to the stack are
 * followed on every path; a register added to a stack pointer is taken as >= 0 (an index).
 * A stack pointer moved down by a register has no bound: -ERANGE if it is then accessed or
 * stored, ignored if it is only compared or left in r1-r5 at a call. Returns 0, -ERANGE or
 * -EINVAL (a jump leaves the function, or its last instruction falls off the end). */
int bpfstack__frame(const struct bpf_insn *insns, size_t n, int *depth);

/* A frame of depth bytes as the verifier counts it toward the limit (round_up_stack_depth()):
 * rounded up to round, and at least one unit with the interpreter's rounding. */
int bpfstack__round(int depth, int round);

/* One function of a linked program: instructions [start, end). */
struct bpfstack_func {
	size_t start, end;
	int depth;		/* bpfstack__frame of its instructions */
};

/* The functions of the linked program insns[0..n), in the order they start: at 0 and at every
 * target of a BPF_PSEUDO_CALL call or a BPF_PSEUDO_FUNC ld_imm64 (a bpf_loop-style
 * callback), both holding their target as pc + imm + 1 as after libbpf's relocation. Their
 * depths, in this order, are what the verifier prints as "stack depth A+B+..." at log level
 * 4. *funcs is malloc'ed. Returns 0, -EINVAL (a target or a jump out of range) or -ENOMEM. */
int bpfstack__split(const struct bpf_insn *insns, size_t n, struct bpfstack_func **funcs,
		    size_t *count);

struct bpfstack_chain {
	int total;			/* sum of the rounded frames along the chain */
	size_t n;			/* functions on the chain, the program first */
	size_t func[BPFSTACK_MAX_FRAMES];	/* indexes into the bpfstack__split table */
};

/* The call chain from function 0 whose frames, each rounded up to round bytes
 * (BPFSTACK_ROUND_*), sum highest. A callback referenced by a BPF_PSEUDO_FUNC counts as called
 * from the referencing function, as the verifier counts it. funcs is the table
 * bpfstack__split made of insns. Returns 0, -ELOOP (recursion), -E2BIG (some chain is longer
 * than BPFSTACK_MAX_FRAMES, which the verifier refuses) or -ENOMEM. */
int bpfstack__worst(const struct bpf_insn *insns, const struct bpfstack_func *funcs,
		    size_t count, int round, struct bpfstack_chain *out);

#endif
