// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See allocobj.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>

#include "kinds/allocobj.h"
#include "util/arena.h"
#include "util/util.h"
#include "util/vec.h"
#include "cprof.h"
#include "elf/elffile.h"
#include "symbols/plt.h"

#define RDI ALLOCOBJ_RDI
#define RSI ALLOCOBJ_RSI
#define RDX ALLOCOBJ_RDX
#define RA ALLOCOBJ_KEEP_RA

enum role { C_FN, CXX_OP };

struct fn_info {
	const char *name;
	uint8_t cookie;		/* enum cprof_heap_fn */
	uint8_t regs;		/* what the BPF program reads, and whether it takes the return */
	uint8_t role;
};

/* free and delete read only rdi and never ask for the return. Operators new take the
 * size in rdi (and the alignment in rsi) like malloc. */
static const struct fn_info fns[] = {
	{ "malloc", CPROF_HEAP_MALLOC, RDI | RA, C_FN },
	{ "valloc", CPROF_HEAP_MALLOC, RDI | RA, C_FN },
	{ "pvalloc", CPROF_HEAP_MALLOC, RDI | RA, C_FN },
	{ "calloc", CPROF_HEAP_CALLOC, RDI | RSI | RA, C_FN },
	{ "realloc", CPROF_HEAP_REALLOC, RDI | RSI | RA, C_FN },
	{ "reallocarray", CPROF_HEAP_REALLOCARRAY, RDI | RSI | RDX | RA, C_FN },
	{ "memalign", CPROF_HEAP_MEMALIGN, RDI | RSI | RA, C_FN },
	{ "aligned_alloc", CPROF_HEAP_MEMALIGN, RDI | RSI | RA, C_FN },
	{ "posix_memalign", CPROF_HEAP_POSIX_MEMALIGN, RDI | RSI | RDX | RA, C_FN },
	{ "free", CPROF_HEAP_FREE, RDI, C_FN },
	{ "_Znwm", CPROF_HEAP_MALLOC, RDI | RA, CXX_OP },
	{ "_Znam", CPROF_HEAP_MALLOC, RDI | RA, CXX_OP },
	{ "_ZnwmRKSt9nothrow_t", CPROF_HEAP_MALLOC, RDI | RSI | RA, CXX_OP },
	{ "_ZnamRKSt9nothrow_t", CPROF_HEAP_MALLOC, RDI | RSI | RA, CXX_OP },
	{ "_ZnwmSt11align_val_t", CPROF_HEAP_MALLOC, RDI | RSI | RA, CXX_OP },
	{ "_ZnamSt11align_val_t", CPROF_HEAP_MALLOC, RDI | RSI | RA, CXX_OP },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", CPROF_HEAP_MALLOC, RDI | RSI | RDX | RA, CXX_OP },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", CPROF_HEAP_MALLOC, RDI | RSI | RDX | RA, CXX_OP },
	{ "_ZdlPv", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPv", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdlPvm", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPvm", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdlPvRKSt9nothrow_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPvRKSt9nothrow_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdlPvSt11align_val_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPvSt11align_val_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdlPvmSt11align_val_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPvmSt11align_val_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", CPROF_HEAP_FREE, RDI, CXX_OP },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", CPROF_HEAP_FREE, RDI, CXX_OP },
};

#define N_FNS ARRAY_SIZE(fns)
_Static_assert(N_FNS <= ALLOCOBJ_MAX_PROBES, "probe table");

#define FN_MALLOC 0
#define FN_FREE 9
#define DL_HOOK "_dl_debug_state"
/* Code read per function: enough to find a probe place, or an operator's calls. */
#define PLACE_BYTES 96
#define THUNK_BYTES 256
#define SCAN_BYTES 4096

static bool emulated(csh cs, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_PUSH:
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG;
	case X86_INS_NOP:
		return in->size == 1;
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		return false;
	default:
		break;
	}
	/* arch/x86/kernel/uprobes.c emulates relative call, jmp and jcc. */
	if (!cs_insn_group(cs, in, CS_GRP_JUMP) && !cs_insn_group(cs, in, CS_GRP_CALL))
		return false;
	return x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
}

/* The 64-bit general register r is part of (at any width), as enum cprof_heap_reg; 0 for
 * the others (rsp, rip, flags, vector registers). */
static unsigned int gpr(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX: case X86_REG_EAX: case X86_REG_AX: case X86_REG_AL: case X86_REG_AH:
		return CPROF_HEAP_REG_AX;
	case X86_REG_RBX: case X86_REG_EBX: case X86_REG_BX: case X86_REG_BL: case X86_REG_BH:
		return CPROF_HEAP_REG_BX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return CPROF_HEAP_REG_CX;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return CPROF_HEAP_REG_DX;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return CPROF_HEAP_REG_SI;
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return CPROF_HEAP_REG_DI;
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return CPROF_HEAP_REG_BP;
	case X86_REG_R8: case X86_REG_R8D: case X86_REG_R8W: case X86_REG_R8B:
		return CPROF_HEAP_REG_R8;
	case X86_REG_R9: case X86_REG_R9D: case X86_REG_R9W: case X86_REG_R9B:
		return CPROF_HEAP_REG_R9;
	case X86_REG_R10: case X86_REG_R10D: case X86_REG_R10W: case X86_REG_R10B:
		return CPROF_HEAP_REG_R10;
	case X86_REG_R11: case X86_REG_R11D: case X86_REG_R11W: case X86_REG_R11B:
		return CPROF_HEAP_REG_R11;
	case X86_REG_R12: case X86_REG_R12D: case X86_REG_R12W: case X86_REG_R12B:
		return CPROF_HEAP_REG_R12;
	case X86_REG_R13: case X86_REG_R13D: case X86_REG_R13W: case X86_REG_R13B:
		return CPROF_HEAP_REG_R13;
	case X86_REG_R14: case X86_REG_R14D: case X86_REG_R14W: case X86_REG_R14B:
		return CPROF_HEAP_REG_R14;
	case X86_REG_R15: case X86_REG_R15D: case X86_REG_R15W: case X86_REG_R15B:
		return CPROF_HEAP_REG_R15;
	default:
		return 0;
	}
}

static bool is_sp(unsigned int r)
{
	return r == X86_REG_RSP || r == X86_REG_ESP || r == X86_REG_SP || r == X86_REG_SPL;
}

/* Where the arguments are: the argument (1..3, 0 none) each general register holds. */
struct args_at {
	uint8_t holds[CPROF_HEAP_REG_N];	/* [0] unused, stays 0 */
};

static const uint8_t usual_reg[3] = { CPROF_HEAP_REG_DI, CPROF_HEAP_REG_SI, CPROF_HEAP_REG_DX };

/* Whether the probe may move past in, and where the arguments are after it: it goes on to
 * the next instruction and, with RA, writes neither rsp nor memory. A 64-bit
 * register-to-register mov copies what its source holds; any other write of a register
 * loses it. */
static bool track(csh cs, const cs_insn *in, unsigned int regs, struct args_at *a)
{
	const cs_x86 *x = &in->detail->x86;
	cs_regs rr, rw;
	uint8_t nr, nw;

	if (cs_insn_group(cs, in, CS_GRP_JUMP) || cs_insn_group(cs, in, CS_GRP_CALL) ||
	    cs_insn_group(cs, in, CS_GRP_RET) || cs_insn_group(cs, in, CS_GRP_INT) ||
	    cs_insn_group(cs, in, CS_GRP_IRET) || cs_insn_group(cs, in, CS_GRP_PRIVILEGE) ||
	    in->id == X86_INS_SYSCALL || in->id == X86_INS_SYSENTER || in->id == X86_INS_UD2 ||
	    in->id == X86_INS_HLT || in->id == X86_INS_INVALID)
		return false;
	if (cs_regs_access(cs, in, rr, &nr, rw, &nw))
		return false;
	if (regs & RA) {
		for (uint8_t i = 0; i < nw; i++)
			if (is_sp(rw[i]))
				return false;
		for (uint8_t i = 0; i < x->op_count; i++)
			if (x->operands[i].type == X86_OP_MEM &&
			    (x->operands[i].access & CS_AC_WRITE))
				return false;
	}
	if (in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_REG && x->operands[0].size == 8 &&
	    x->operands[1].size == 8 && gpr(x->operands[0].reg)) {
		unsigned int src = gpr(x->operands[1].reg);

		a->holds[gpr(x->operands[0].reg)] = src ? a->holds[src] : 0;
		return true;
	}
	for (uint8_t i = 0; i < nw; i++)
		a->holds[gpr(rw[i])] = 0;
	return true;
}

/* The register holding argument i (0-based) as enum cprof_heap_reg, the usual one first;
 * 0 if none does. */
static unsigned int arg_reg(const struct args_at *a, unsigned int i)
{
	if (a->holds[usual_reg[i]] == i + 1)
		return usual_reg[i];
	for (unsigned int r = 1; r < CPROF_HEAP_REG_N; r++)
		if (a->holds[r] == i + 1)
			return r;
	return 0;
}

static bool args_held(const struct args_at *a, unsigned int regs)
{
	for (unsigned int i = 0; i < 3; i++)
		if ((regs & 1u << i) && !arg_reg(a, i))
			return false;
	return true;
}

/* The cookie bits saying where the arguments of regs are (0 for those in place). */
static uint32_t args_bits(const struct args_at *a, unsigned int regs)
{
	uint32_t bits = 0;

	for (unsigned int i = 0; i < 3; i++) {
		unsigned int r = regs & 1u << i ? arg_reg(a, i) : 0;

		if (r && r != usual_reg[i])
			bits |= (uint32_t)r << CPROF_HEAP_ARG_SHIFT(i);
	}
	return bits;
}

static int open_cs(csh *cs)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
	return 0;
}

static long probe_offset(csh cs, const uint8_t *code, size_t len, uint64_t addr,
			 unsigned int regs, uint32_t *args)
{
	struct args_at a = { .holds = {
		[CPROF_HEAP_REG_DI] = 1, [CPROF_HEAP_REG_SI] = 2, [CPROF_HEAP_REG_DX] = 3 } };
	cs_insn *in = NULL;
	long off = 0;
	size_t n = cs_disasm(cs, code, len, addr, 16, &in);

	*args = 0;
	for (size_t i = 0; i < n; i++) {
		if (emulated(cs, &in[i])) {
			off = (long)(in[i].address - addr);
			*args = args_bits(&a, regs);
			break;
		}
		if (!track(cs, &in[i], regs, &a) || !args_held(&a, regs))
			break;
	}
	cs_free(in, n);
	return off;
}

long allocobj__probe_offset(const uint8_t *code, size_t len, uint64_t addr, unsigned int regs,
			    uint32_t *args)
{
	uint32_t bits;
	long off;
	csh cs;

	if (open_cs(&cs))
		return -ENOTSUP;
	off = probe_offset(cs, code, len, addr, regs, &bits);
	cs_close(&cs);
	if (args)
		*args = bits;
	return off;
}

/* A function found in the file: its address and size (0 unknown) in ELF virtual
 * addresses. */
struct found {
	uint64_t va, size;
};

struct stub {
	uint64_t start, size;
	const char *name;
};

/* What reading one file needs. */
struct reader {
	struct elf_file f;
	csh cs;
	struct found fn[N_FNS];
	uint64_t dl_hook;
	struct stub *stubs;
	size_t n_stubs, cap_stubs;
	struct arena arena;
};

static void scan_symbols(struct reader *r, size_t idx)
{
	Elf_Data *d = elf_file__data(&r->f, idx);
	size_t n = d ? d->d_size / sizeof(Elf64_Sym) : 0;

	for (size_t i = 0; i < n && i <= INT32_MAX; i++) {
		const char *name;
		GElf_Sym sym;
		size_t l;

		if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_file__str(&r->f, r->f.secs[idx].link, sym.st_name);
		if (!name)
			continue;
		l = strcspn(name, "@");	/* static executables: "malloc@GLIBC_..." is not ours */
		if (!r->dl_hook && l == strlen(DL_HOOK) && !strncmp(name, DL_HOOK, l))
			r->dl_hook = sym.st_value;
		for (size_t f = 0; f < N_FNS; f++)
			if (!r->fn[f].va && l == strlen(fns[f].name) && !strncmp(name, fns[f].name, l))
				r->fn[f] = (struct found){ sym.st_value, sym.st_size };
	}
}

/* The defined function name of the dynamic symbol table, or 0. */
static uint64_t dynsym_value(const struct reader *r, const char *want)
{
	size_t idx = elf_file__find_section(&r->f, SHT_DYNSYM, NULL);
	Elf_Data *d = idx ? elf_file__data(&r->f, idx) : NULL;
	size_t n = d ? d->d_size / sizeof(Elf64_Sym) : 0;

	for (size_t i = 0; i < n && i <= INT32_MAX; i++) {
		const char *name;
		GElf_Sym sym;

		if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_file__str(&r->f, r->f.secs[idx].link, sym.st_name);
		if (name && !strcmp(name, want))
			return sym.st_value;
	}
	return 0;
}

static uint64_t vaddr_to_off(const struct reader *r, uint64_t va)
{
	size_t n;

	if (elf_getphdrnum(r->f.elf, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		/* Inside the file too: the kernel refuses a probe past its end, and with it the
		 * whole object's link. */
		if (gelf_getphdr(r->f.elf, i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X) && va >= ph.p_vaddr && va - ph.p_vaddr < ph.p_filesz &&
		    ph.p_offset < r->f.size && va - ph.p_vaddr < r->f.size - ph.p_offset)
			return va - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static int add_stub(void *ctx, uint64_t start, uint64_t size, const char *name)
{
	struct reader *r = ctx;

	if (r->n_stubs >= 1u << 20)
		return 0;
	return VEC_PUSH(r->stubs, r->n_stubs, r->cap_stubs, ((struct stub){ start, size, name }));
}

/* Whether a call or jump to target reaches one of the object's allocator functions: their
 * address, or a PLT stub of one of their names (wherever it resolves, that is probed) or of
 * a name this object defines at one of their addresses (mimalloc's mi_free). */
static bool reaches_allocator(const struct reader *r, uint64_t target, size_t self)
{
	const char *name = NULL;
	size_t l;

	for (size_t i = 0; i < r->n_stubs && !name; i++)
		if (target >= r->stubs[i].start && target - r->stubs[i].start < r->stubs[i].size)
			name = r->stubs[i].name;
	if (name) {
		char base[256];

		l = strcspn(name, "@");
		if (l >= sizeof(base))
			return false;
		memcpy(base, name, l);
		base[l] = 0;
		for (size_t f = 0; f < N_FNS; f++)
			if (!strcmp(base, fns[f].name))
				return true;
		target = dynsym_value(r, base);
		if (!target)
			return false;
	}
	for (size_t f = 0; f < N_FNS; f++)
		if (f != self && r->fn[f].va && r->fn[f].va == target)
			return true;
	return false;
}

/* Whether a call to function f always reaches another of the object's allocator functions,
 * which then counts it: f is a thunk (its first control transfer is a direct call or jump
 * to one, as jemalloc's delete jumps to free), or a wrapper (every call or jump out of its
 * body goes to one, as tcmalloc's posix_memalign calls memalign). A function with a path
 * of its own (an internal helper, an indirect call) is probed even if a rarer path calls
 * an allocator function: glibc's realloc(NULL, n) calls malloc, tcmalloc's sized delete
 * falls back to free. */
static bool delegates(struct reader *r, size_t f)
{
	uint64_t va = r->fn[f].va, size = r->fn[f].size, off = vaddr_to_off(r, va), len;
	size_t n, to_alloc = 0, to_other = 0, transfers = 0;
	bool thunk = false;
	cs_insn *in = NULL;
	uint8_t *code;

	if (!off)
		return true;	/* not in the file's code: nothing to probe */
	len = size && size < SCAN_BYTES ? size : size ? SCAN_BYTES : THUNK_BYTES;
	if (len > r->f.size - off)
		len = r->f.size - off;
	code = malloc(len ? len : 1);
	if (!code || elf_file__read(&r->f, off, code, len)) {
		free(code);
		return false;
	}
	n = cs_disasm(r->cs, code, len, va, 0, &in);
	for (size_t i = 0; i < n; i++) {
		const cs_x86 *x = &in[i].detail->x86;
		bool direct = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
		uint64_t t = direct ? (uint64_t)x->operands[0].imm : 0;
		bool to = direct && reaches_allocator(r, t, f);

		if (!cs_insn_group(r->cs, &in[i], CS_GRP_JUMP) &&
		    !cs_insn_group(r->cs, &in[i], CS_GRP_CALL) &&
		    !cs_insn_group(r->cs, &in[i], CS_GRP_RET) &&
		    !cs_insn_group(r->cs, &in[i], CS_GRP_INT))
			continue;
		if (!transfers++)
			thunk = to && (in[i].id == X86_INS_JMP || in[i].id == X86_INS_CALL);
		if (cs_insn_group(r->cs, &in[i], CS_GRP_RET))
			continue;
		if (to)
			to_alloc++;
		else if (!direct || t < va || t - va >= size)
			to_other++;
	}
	cs_free(in, n);
	free(code);
	return thunk || (size && to_alloc && !to_other);
}

static void add_probe(struct reader *r, struct allocobj *ao, size_t f)
{
	uint64_t off = vaddr_to_off(r, r->fn[f].va);
	uint8_t code[PLACE_BYTES];
	uint32_t args = 0;
	long shift = 0;
	size_t len;

	if (!off)
		return;
	for (size_t i = 0; i < ao->n; i++)	/* aliases: one probe per address */
		if (ao->probes[i].off - ao->probes[i].shift == off)
			return;
	len = r->f.size - off < sizeof(code) ? r->f.size - off : sizeof(code);
	if (!elf_file__read(&r->f, off, code, len))
		shift = probe_offset(r->cs, code, len, r->fn[f].va, fns[f].regs, &args);
	ao->probes[ao->n++] = (struct allocobj_probe){
		.name = fns[f].name,
		.off = off + (uint64_t)shift,
		.shift = (uint32_t)shift,
		.cookie = fns[f].cookie,
		.args = args,
	};
	if (len) {
		cs_insn *in = NULL;
		size_t n = cs_disasm(r->cs, code + shift, len - (size_t)shift,
				     r->fn[f].va + (uint64_t)shift, 1, &in);

		ao->probes[ao->n - 1].emulated = n == 1 && emulated(r->cs, in);
		cs_free(in, n);
	}
}

static void plan(struct reader *r, struct allocobj *ao)
{
	bool stubs_read = false;

	ao->has = r->fn[FN_MALLOC].va && r->fn[FN_FREE].va;
	if (r->dl_hook)
		ao->dl_hook = vaddr_to_off(r, r->dl_hook);
	if (!ao->has)
		return;
	add_probe(r, ao, FN_MALLOC);
	add_probe(r, ao, FN_FREE);
	for (size_t f = 0; f < N_FNS; f++) {
		if (!r->fn[f].va || f == FN_MALLOC || f == FN_FREE)
			continue;
		if (!stubs_read) {
			stubs_read = true;
			plt__symbols(&r->f, &r->arena, add_stub, r);
		}
		if (delegates(r, f))
			ao->n_delegating++;
		else
			add_probe(r, ao, f);
	}
}

int allocobj__read(int fd, struct allocobj *ao)
{
	struct reader r = { 0 };
	int err;

	memset(ao, 0, sizeof(*ao));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	err = elf_file__open(&r.f, fd, false, NULL, 0);
	if (!err)
		err = open_cs(&r.cs);
	if (err)
		goto out;
	/* .dynsym first: a shared library's exported names; then .symtab (static executables). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 1; i < r.f.shnum; i++)
			if (r.f.secs[i].type == (pass ? SHT_SYMTAB : SHT_DYNSYM))
				scan_symbols(&r, i);
	plan(&r, ao);
	cs_close(&r.cs);
out:
	free(r.stubs);
	arena__free(&r.arena);
	elf_file__close(&r.f);
	return err;
}

static const char *const reg_names[CPROF_HEAP_REG_N] = {
	"", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

int allocobj__describe(const struct allocobj *ao, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < ao->n; i++) {
		const struct allocobj_probe *p = &ao->probes[i];
		int w;

		w = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s", i ? " " : "",
			     p->name);
		n += w > 0 ? (size_t)w : 0;
		if (p->shift)
			w = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "+%u",
				     p->shift);
		else
			w = 0;
		n += w > 0 ? (size_t)w : 0;
		w = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s",
			     p->emulated ? "" : "(stepped)");
		n += w > 0 ? (size_t)w : 0;
		for (unsigned int a = 0, k = 0; a < 3 && p->args; a++) {
			unsigned int r = p->args >> CPROF_HEAP_ARG_SHIFT(a) & 15;

			if (!r)
				continue;
			w = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%sarg%u=%s%s",
				     k++ ? "," : "[", a + 1, reg_names[r],
				     p->args >> CPROF_HEAP_ARG_SHIFT(a + 1) ? "" : "]");
			n += w > 0 ? (size_t)w : 0;
		}
	}
	return (int)n;
}
