/* BPF stack budget: every program of every built BPF object (each .bpf.o in $OUT/bpf) must
 * fit its deepest call chain in 448 bytes (the verifier's 512 less 64 of headroom), counted
 * as if no frame had a private stack. Linux 6.13 gave frames of 64 bytes or more of some
 * program types a per-CPU private stack that does not count; 6.18.44 took it away from
 * kprobe programs (our uprobes), and code that loaded before was refused with "combined
 * stack size of N calls is M. Too large". The count is made from the ELF objects, not by
 * loading them, so it holds whatever the running kernel is; frames are rounded to 32 bytes,
 * the interpreter's unit, which is never below the JIT's 16. Before it, the counting rule
 * and the linking are tested on hand-assembled programs and on a fixture object. */
#include <errno.h>
#include <glob.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpflink.h"
#include "bpfstack.h"
#include "check.h"

#define HEADROOM 64
#define BUDGET (BPFSTACK_MAX_STACK - HEADROOM)

#define INSN(c, d, s, o, i) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) }
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define ADD_REG(d, s) INSN(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define SUB_REG(d, s) INSN(BPF_ALU64 | BPF_SUB | BPF_X, d, s, 0, 0)
#define ST_W(d, o) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, 0)
#define STX_DW(d, o, s) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define LDX_DW(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JA(o) INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define HELPER(id) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define KFUNC(id) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id)
/* to: the target's index minus the call's index minus 1, as the verifier reads it */
#define CALL(to) INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, to)
#define LD_FUNC(d, to) \
	INSN(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_FUNC, 0, to), INSN(0, 0, 0, 0, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define RET0() MOV_IMM(BPF_REG_0, 0), EXIT()

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BPF_FUNC_LOOP 181	/* bpf_loop */

static int frame_of(const struct bpf_insn *insns, size_t n)
{
	int depth, err = bpfstack__frame(insns, n, &depth);

	return err ? err : depth;
}

#define CHECK_FRAME(p, want) CHECK(frame_of(p, N(p)) == (want), "%d", frame_of(p, N(p)))

/* Splits and walks insns; returns the worst total at round, or -errno. */
static int worst_of(const struct bpf_insn *insns, size_t n, int round,
		    struct bpfstack_chain *chain)
{
	struct bpfstack_func *funcs;
	size_t count;
	int err = bpfstack__split(insns, n, &funcs, &count);

	if (!err)
		err = bpfstack__worst(insns, funcs, count, round, chain);
	free(funcs);
	return err ? err : chain->total;
}

/* main touches 40 bytes and calls sub (100 bytes), which hands a callback (8 bytes) to
 * bpf_loop: the verifier counts the callback as called from sub. */
TEST(main_sub_callback)
{
	static const struct bpf_insn p[] = {
		ST_W(BPF_REG_10, -40), CALL(2), RET0(),			/* 0: main */
		ST_W(BPF_REG_10, -100), LD_FUNC(BPF_REG_2, 3),		/* 4: sub */
		HELPER(BPF_FUNC_LOOP), EXIT(),
		ST_W(BPF_REG_10, -8), RET0(),				/* 9: callback */
	};
	struct bpfstack_func *f;
	struct bpfstack_chain c;
	size_t n;

	REQUIRE(!bpfstack__split(p, N(p), &f, &n), "split");
	CHECK(n == 3 && f[0].start == 0 && f[1].start == 4 && f[2].start == 9, "%zu funcs", n);
	CHECK(n == 3 && f[0].depth == 40 && f[1].depth == 104 && f[2].depth == 8,
	      "depths rounded to 8 like grow_stack_state");
	free(f);
	/* interpreter: 64 + 128 + 32; JIT: 48 + 112 + 16 */
	CHECK(worst_of(p, N(p), BPFSTACK_ROUND_INTERP, &c) == 224, "interp %d", c.total);
	CHECK(c.n == 3 && c.func[0] == 0 && c.func[1] == 1 && c.func[2] == 2, "chain of %zu", c.n);
	CHECK(worst_of(p, N(p), BPFSTACK_ROUND_JIT, &c) == 176, "jit %d", c.total);
}

/* An empty frame is one 32-byte unit to the interpreter, nothing to the JIT. */
TEST(empty_frame)
{
	static const struct bpf_insn p[] = { RET0() };
	struct bpfstack_chain c;

	CHECK_FRAME(p, 0);
	CHECK(worst_of(p, N(p), BPFSTACK_ROUND_INTERP, &c) == 32, "interp %d", c.total);
	CHECK(worst_of(p, N(p), BPFSTACK_ROUND_JIT, &c) == 0, "jit %d", c.total);
}

/* Pointers into the frame count where they are handed to a call or accessed, through copies
 * of r10, added offsets and spills, but not where they are only formed. */
TEST(frame_pointers)
{
	static const struct bpf_insn helper_arg[] = {
		MOV_REG(BPF_REG_1, BPF_REG_10), ADD_IMM(BPF_REG_1, -200),
		MOV_IMM(BPF_REG_2, 8), HELPER(113), RET0(),
	};
	static const struct bpf_insn formed_only[] = {
		MOV_REG(BPF_REG_3, BPF_REG_10), ADD_IMM(BPF_REG_3, -300), RET0(),
	};
	static const struct bpf_insn spilled[] = {
		MOV_REG(BPF_REG_6, BPF_REG_10), ADD_IMM(BPF_REG_6, -16),
		STX_DW(BPF_REG_10, -8, BPF_REG_6), MOV_IMM(BPF_REG_6, 0),
		LDX_DW(BPF_REG_1, BPF_REG_10, -8), ST_W(BPF_REG_1, -48), RET0(),
	};
	static const struct bpf_insn indexed[] = {
		MOV_REG(BPF_REG_1, BPF_REG_10), ADD_IMM(BPF_REG_1, -72),
		ADD_REG(BPF_REG_1, BPF_REG_2), ST_W(BPF_REG_1, 0), RET0(),
	};

	CHECK_FRAME(helper_arg, 200);
	CHECK_FRAME(formed_only, 0);
	CHECK_FRAME(spilled, 64);
	CHECK_FRAME(indexed, 72);
}

/* Where paths meet, the deeper pointer wins; a pointer stepped down in a loop settles at the
 * floor (over the limit) instead of looping forever. */
TEST(frame_paths)
{
	static const struct bpf_insn join[] = {
		JEQ_IMM(BPF_REG_1, 0, 3),
		MOV_REG(BPF_REG_2, BPF_REG_10), ADD_IMM(BPF_REG_2, -24), JA(2),
		MOV_REG(BPF_REG_2, BPF_REG_10), ADD_IMM(BPF_REG_2, -72),
		ST_W(BPF_REG_2, 0), RET0(),
	};
	static const struct bpf_insn loop[] = {
		MOV_REG(BPF_REG_1, BPF_REG_10), ADD_IMM(BPF_REG_1, -8),
		ST_W(BPF_REG_1, 0), JEQ_IMM(BPF_REG_2, 0, -3), RET0(),
	};

	CHECK_FRAME(join, 72);
	CHECK(frame_of(loop, N(loop)) > BPFSTACK_MAX_STACK, "%d", frame_of(loop, N(loop)));
}

TEST(frame_malformed)
{
	static const struct bpf_insn off_end[] = { MOV_IMM(BPF_REG_0, 0) };
	static const struct bpf_insn jump_out[] = { JA(5), RET0() };
	static const struct bpf_insn sub_reg[] = {
		MOV_REG(BPF_REG_1, BPF_REG_10), SUB_REG(BPF_REG_1, BPF_REG_2),
		ST_W(BPF_REG_1, 0), RET0(),
	};
	/* is the address on this stack: compared, then left in r2 across a call */
	static const struct bpf_insn sub_reg_unused[] = {
		MOV_REG(BPF_REG_2, BPF_REG_10), ADD_IMM(BPF_REG_2, -8),
		SUB_REG(BPF_REG_2, BPF_REG_1), JEQ_IMM(BPF_REG_2, 0, 0), HELPER(175), RET0(),
	};
	/* spilled, it is followed, not used */
	static const struct bpf_insn sub_reg_spilled[] = {
		MOV_REG(BPF_REG_2, BPF_REG_10), SUB_REG(BPF_REG_2, BPF_REG_1),
		STX_DW(BPF_REG_10, -8, BPF_REG_2), RET0(),
	};

	CHECK_FRAME(off_end, -EINVAL);
	CHECK_FRAME(jump_out, -EINVAL);
	CHECK_FRAME(sub_reg, -ERANGE);
	CHECK_FRAME(sub_reg_unused, 0);
	CHECK_FRAME(sub_reg_spilled, 8);
}

/* The worst chain is the heaviest sum, not the heaviest first callee; kfunc calls are not
 * bpf-to-bpf calls. */
TEST(chain_heaviest)
{
	static const struct bpf_insn p[] = {
		CALL(4), CALL(6), KFUNC(1), RET0(),		/* 0: main, empty */
		ST_W(BPF_REG_10, -200), RET0(),			/* 5: a: 200 */
		ST_W(BPF_REG_10, -40), CALL(2), RET0(),		/* 8: b: 40 */
		ST_W(BPF_REG_10, -300), RET0(),			/* 12: c: 300 */
	};
	struct bpfstack_chain c;

	CHECK(worst_of(p, N(p), BPFSTACK_ROUND_INTERP, &c) == 32 + 64 + 320, "%d", c.total);
	CHECK(c.n == 3 && c.func[1] == 2 && c.func[2] == 3, "chain of %zu", c.n);
}

TEST(chain_refused)
{
	static const struct bpf_insn self[] = { CALL(2), RET0(), CALL(-1), RET0() };
	static const struct bpf_insn mutual[] = {
		CALL(2), RET0(), CALL(2), RET0(), CALL(-4), RET0(),
	};
	/* each function calls the next: 8 functions pass, 9 are refused */
	static const struct bpf_insn eight[] = {
		CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(),
		CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(), RET0(),
	};
	static const struct bpf_insn nine[] = {
		CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(),
		CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(), CALL(2), RET0(), RET0(),
	};
	static const struct bpf_insn bad_target[] = { CALL(7), RET0() };
	struct bpfstack_chain c;

	CHECK(worst_of(self, N(self), BPFSTACK_ROUND_JIT, &c) == -ELOOP, "self");
	CHECK(worst_of(mutual, N(mutual), BPFSTACK_ROUND_JIT, &c) == -ELOOP, "mutual");
	CHECK(worst_of(eight, N(eight), BPFSTACK_ROUND_INTERP, &c) == 8 * 32 && c.n == 8, "eight");
	CHECK(worst_of(nine, N(nine), BPFSTACK_ROUND_INTERP, &c) == -E2BIG, "nine");
	CHECK(worst_of(bad_target, N(bad_target), BPFSTACK_ROUND_JIT, &c) == -EINVAL, "target");
}

static const char *out_path(const char *name, char *buf, size_t len)
{
	const char *out = getenv("OUT");

	snprintf(buf, len, "%s/%s", out && *out ? out : "build", name);
	return buf;
}

static const struct bpflink_prog *prog_named(const struct bpflink *bl, const char *name)
{
	size_t i;

	for (i = 0; i < bpflink__count(bl); i++)
		if (!strcmp(bpflink__prog(bl, i)->name, name))
			return bpflink__prog(bl, i);
	return NULL;
}

/* The fixture's programs link as libbpf links them (depth-first, in reference order), and
 * each function's frame holds its buffer. */
TEST(link_fixture)
{
	static const char *const order[] = { "second", "static_sub", "step", "global_sub", "leaf" };
	static const int bufs[] = { 200, 0, 32, 128, 64 };
	const struct bpflink_prog *first, *second;
	struct bpfstack_func *f = NULL;
	struct bpfstack_chain c;
	struct bpflink *bl;
	char path[4096];
	size_t i, n = 0;

	REQUIRE(!bpflink__open(out_path("fixtures/bpfstack_prog.bpf.o", path, sizeof(path)),
			       &bl), "%s", path);
	first = prog_named(bl, "first");
	second = prog_named(bl, "second");
	CHECK(bpflink__count(bl) == 2 && first && second, "%zu programs", bpflink__count(bl));
	if (!first || !second)
		goto out;
	CHECK(!strcmp(second->section, "kprobe"), "section %s", second->section);
	CHECK(first->n_funcs == 2 && !strcmp(first->funcs[1].name, "leaf"), "first");
	CHECK(second->n_funcs == N(order), "second: %zu functions", second->n_funcs);
	for (i = 0; i < N(order) && i < second->n_funcs; i++)
		CHECK(!strcmp(second->funcs[i].name, order[i]), "%zu: %s", i,
		      second->funcs[i].name);
	REQUIRE(!bpfstack__split(second->insns, second->n_insns, &f, &n), "split");
	CHECK(n == second->n_funcs, "%zu functions split", n);
	for (i = 0; i < n && i < N(bufs); i++)
		CHECK(f[i].start == second->funcs[i].start && f[i].depth >= bufs[i] &&
		      f[i].depth < bufs[i] + 32, "%s: %d at %zu", order[i], f[i].depth, f[i].start);
	CHECK(!bpfstack__worst(second->insns, f, n, BPFSTACK_ROUND_INTERP, &c) && c.n == 4 &&
	      !strcmp(bpflink__func_name(second, f[c.func[3]].start), "leaf"), "chain of %zu", c.n);
out:
	free(f);
	bpflink__free(bl);
}

TEST(link_not_bpf)
{
	struct bpflink *bl;

	CHECK(bpflink__open("/proc/self/exe", &bl) == -ENOEXEC, "an x86 executable");
	CHECK(bpflink__open("/nonexistent.bpf.o", &bl) == -ENOENT, "missing");
}

static const char *why(int err)
{
	switch (err) {
	case -ELOOP:
		return "recursion, which the verifier refuses";
	case -E2BIG:
		return "a call chain longer than the verifier's 8 frames";
	case -ERANGE:
		return "a stack pointer moved down by a register: no bound";
	default:
		return strerror(-err);
	}
}

/* "main" for the program's own function, as the verifier's subprog 0, else its name. */
static const char *func_label(const struct bpflink_prog *p, const struct bpfstack_func *f,
			      size_t i)
{
	const char *name = bpflink__func_name(p, f[i].start);

	return !i ? "main" : name ? name : "?";
}

/* "main 192 + unwind_step 64 + ...": a chain, each frame as counted. */
static void print_chain(const struct bpflink_prog *p, const struct bpfstack_func *f,
			const struct bpfstack_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		printf("%s%s %d", i ? " + " : "", func_label(p, f, c->func[i]),
		       bpfstack__round(f[c->func[i]].depth, BPFSTACK_ROUND_INTERP));
}

/* "main 184, unwind_step 40, ...": every function's depth in the verifier's order, to set
 * beside its log ("stack depth 184+40+..." at log level 4). After a successful load the log
 * shows 24 bytes more for each function whose bpf_loop calls the verifier inlined: it adds
 * their spill slots after check_max_stack_depth(), so they are not counted here either. */
static void print_frames(const struct bpflink_prog *p, const struct bpfstack_func *f, size_t n)
{
	size_t i;

	printf("    stack depth by function (the verifier's order):");
	for (i = 0; i < n; i++)
		printf("%s %s %d", i ? "," : "", func_label(p, f, i), f[i].depth);
	printf("\n");
}

/* One program against the budget: a line with its worst chain and margin, then PASS or
 * FAIL. Returns whether it passed. */
static bool budget_prog(const char *obj, const struct bpflink_prog *p)
{
	struct bpfstack_chain c, jit;
	struct bpfstack_func *f;
	size_t n;
	int err = bpfstack__split(p->insns, p->n_insns, &f, &n);

	if (!err)
		err = bpfstack__worst(p->insns, f, n, BPFSTACK_ROUND_INTERP, &c);
	if (!err)
		err = bpfstack__worst(p->insns, f, n, BPFSTACK_ROUND_JIT, &jit);
	if (err) {
		printf("FAIL: bpf stack %s:%s: %s\n", obj, p->name, why(err));
		free(f);
		return false;
	}
	printf("%s %s: %d bytes (", obj, p->name, c.total);
	print_chain(p, f, &c);
	printf("), %d bytes to spare of %d (want >= %d); %d with the JIT's 16-byte rounding\n",
	       BPFSTACK_MAX_STACK - c.total, BPFSTACK_MAX_STACK, HEADROOM, jit.total);
	print_frames(p, f, n);
	if (c.total > BUDGET)
		printf("FAIL: bpf stack %s:%s: %d > %d\n", obj, p->name, c.total, BUDGET);
	else
		printf("PASS: bpf stack %s:%s\n", obj, p->name);
	free(f);
	return c.total <= BUDGET;
}

/* Every program of every object under $OUT/bpf. Returns whether all passed; no object at all
 * is a failure, never a silent pass. */
static bool budget_all(void)
{
	char pattern[4096];
	bool ok = true;
	glob_t g;
	size_t i, k;

	out_path("bpf/*.bpf.o", pattern, sizeof(pattern));
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		printf("FAIL: bpf stack: no BPF object matches %s (build them first)\n", pattern);
		globfree(&g);
		return false;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *obj = strrchr(g.gl_pathv[i], '/') + 1;
		struct bpflink *bl;
		int err = bpflink__open(g.gl_pathv[i], &bl);

		if (err || !bpflink__count(bl)) {
			printf("FAIL: bpf stack %s: %s\n", obj,
			       err ? strerror(-err) : "no program");
			ok = false;
		}
		for (k = 0; !err && k < bpflink__count(bl); k++)
			ok &= budget_prog(obj, bpflink__prog(bl, k));
		bpflink__free(bl);
	}
	globfree(&g);
	return ok;
}

int main(void)
{
	bool budget_ok;

	elf_version(EV_CURRENT);
	CHECK_SUITE("unit/bpf_stack");
	RUN(main_sub_callback);
	RUN(empty_frame);
	RUN(frame_pointers);
	RUN(frame_paths);
	RUN(frame_malformed);
	RUN(chain_heaviest);
	RUN(chain_refused);
	RUN(link_fixture);
	RUN(link_not_bpf);
	budget_ok = budget_all();
	return CHECK_EXIT() || !budget_ok;
}
