/* Compiles an object's CFI into unwind rows (see cfi.h and bpf/cprof.h).
 *
 * libdw's dwarf_next_cfi splits the section into CIEs and FDEs; the CFA programs are run
 * here, once per FDE, emitting a row at every location where the rules change. Asking
 * dwarf_cfi_addrframe instead would re-run the program from the FDE's start for every
 * address (quadratic per FDE) and needs the change points first anyway. Only the rules the
 * BPF unwinder uses are tracked: the CFA, rbp and the return address. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include "unwind/cfi.h"
#include "unwind/cfi_go.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RIP 16
/* DW_CFA_remember_state nesting; compilers use one or two levels. */
#define STATE_STACK_MAX 16

enum cfa_kind { CFA_REG, CFA_PLT, CFA_DEREF, CFA_BAD };
enum rule_kind { RULE_SAME, RULE_UNDEF, RULE_OFFSET, RULE_AT_RBP, RULE_OTHER };

/* reg and off survive an expression rule: see mod_cfa. */
struct cfa_rule {
	uint8_t kind;		/* enum cfa_kind */
	uint8_t plt_threshold;	/* CFA_PLT */
	uint64_t reg;		/* CFA_REG */
	int64_t off;		/* CFA_REG */
	int64_t expr_off;	/* CFA_PLT: added to rsp; CFA_DEREF: added to rbp */
};

struct reg_rule {
	uint8_t kind;		/* enum rule_kind */
	int64_t off;		/* RULE_OFFSET: saved at CFA + off */
};

struct frame_state {
	struct cfa_rule cfa;
	struct reg_rule rbp, ra;
};

struct cfi_section {
	Elf *elf;		/* the file holding the section */
	Elf_Data *data;
	uint64_t addr;		/* sh_addr, for pc-relative pointers */
	bool eh;		/* .eh_frame format (else .debug_frame) */
	enum cfi_source source;
};

struct cie {
	const struct cfi_section *sec;
	uint64_t offset;	/* in the section */
	uint64_t caf;		/* code alignment factor */
	int64_t daf;		/* data alignment factor */
	uint64_t ra_reg;
	uint8_t fde_enc;	/* DW_EH_PE_* of FDE addresses */
	bool has_z;		/* FDEs carry augmentation data with a length */
	bool signal;		/* 'S': signal trampoline */
	bool usable;		/* augmentation understood and initial program valid */
	const uint8_t *insns, *insns_end;
	struct frame_state init;
};

struct fde {
	const struct cfi_section *sec;
	uint64_t lo, hi;	/* [lo, hi) in ELF vaddr */
	const uint8_t *raw, *raw_end;	/* from the initial location on */
	const uint8_t *insns;
	uint64_t cie_off;
	const struct cie *cie;
};

/* .eh_frame, and .debug_frame for code .eh_frame does not cover. */
#define MAX_SECTIONS 2

struct builder {
	struct cfi_section secs[MAX_SECTIONS];
	size_t n_secs;
	struct cie *cies;
	size_t n_cies, cap_cies;
	struct fde *fdes;
	size_t n_fdes, cap_fdes;
	uint64_t base;
	struct cprof_unwind_row *rows;
	size_t n_rows, cap_rows;
	struct cfi_stats stats;
};

struct cfi_table {
	struct cprof_unwind_row *rows;
	size_t n_rows;
	uint32_t *pages;	/* see CFI_PAGE_SHIFT */
	size_t n_pages;
	uint64_t base;
	struct cfi_stats stats;
};

struct interp {
	const struct cie *cie;
	const struct frame_state *init;	/* for DW_CFA_restore; NULL while running a CIE */
	struct builder *b;		/* NULL while running a CIE: no rows, no advancing */
	struct frame_state st;
	struct frame_state saved[STATE_STACK_MAX];
	unsigned n_saved;
	uint64_t loc, end;
};

/* ---- bounded byte reader ---- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static uint8_t rd_u8(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static uint64_t rd_fixed(struct rd *r, unsigned n)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t byte;

	do {
		byte = rd_u8(r);
		if (shift < 64)
			v |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
	} while ((byte & 0x80) && !r->bad);
	return v;
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t byte;

	do {
		byte = rd_u8(r);
		if (shift < 64)
			v |= (uint64_t)(byte & 0x7f) << shift;
		shift += 7;
	} while ((byte & 0x80) && !r->bad);
	if (shift < 64 && (byte & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if ((uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

/* Reads the value part of a DW_EH_PE_* encoded pointer (no pc-relative adjustment). */
static int rd_encoded_value(struct rd *r, uint8_t enc, uint64_t *val)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		*val = rd_fixed(r, 8);
		break;
	case DW_EH_PE_uleb128:
		*val = rd_uleb(r);
		break;
	case DW_EH_PE_sleb128:
		*val = (uint64_t)rd_sleb(r);
		break;
	case DW_EH_PE_udata2:
		*val = rd_fixed(r, 2);
		break;
	case DW_EH_PE_sdata2:
		*val = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2);
		break;
	case DW_EH_PE_udata4:
		*val = rd_fixed(r, 4);
		break;
	case DW_EH_PE_sdata4:
		*val = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4);
		break;
	default:
		return -EINVAL;
	}
	return r->bad ? -EINVAL : 0;
}

/* Reads an encoded address. Only absolute and pc-relative forms occur in x86-64 CFI;
 * the others (and indirection) would need the loaded image. */
static int rd_encoded_addr(struct rd *r, const struct cfi_section *sec, uint8_t enc,
			   uint64_t *addr)
{
	uint64_t field = sec->addr + (uint64_t)(r->p - (const uint8_t *)sec->data->d_buf);
	int err;

	if (enc == DW_EH_PE_omit || (enc & DW_EH_PE_indirect))
		return -EINVAL;
	err = rd_encoded_value(r, enc, addr);
	if (err)
		return err;
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		return 0;
	case DW_EH_PE_pcrel:
		*addr += field;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- rules ---- */

/* ld's CFA for lazy-binding PLT entries: rsp + off, plus 8 once the entry's push has run,
 * i.e. when (rip & 15) >= threshold:
 * DW_OP_breg7 off; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_litN; DW_OP_ge;
 * DW_OP_lit3; DW_OP_shl; DW_OP_plus. */
static bool match_plt(struct rd r, struct cfa_rule *cfa)
{
	int64_t off;
	uint8_t lit;

	if (rd_u8(&r) != DW_OP_breg7)
		return false;
	off = rd_sleb(&r);
	if (rd_u8(&r) != DW_OP_breg16 || rd_sleb(&r) != 0 || rd_u8(&r) != DW_OP_lit15 ||
	    rd_u8(&r) != DW_OP_and)
		return false;
	lit = rd_u8(&r);
	if (lit < DW_OP_lit0 || lit > DW_OP_lit15)
		return false;
	if (rd_u8(&r) != DW_OP_ge || rd_u8(&r) != DW_OP_lit3 || rd_u8(&r) != DW_OP_shl ||
	    rd_u8(&r) != DW_OP_plus || r.bad || r.p != r.end)
		return false;
	cfa->kind = CFA_PLT;
	cfa->expr_off = off;
	cfa->plt_threshold = lit - DW_OP_lit0;
	return true;
}

/* gcc's stack realignment (DRAP): the CFA was pushed below the saved rbp,
 * DW_OP_breg6 off; DW_OP_deref. */
static bool match_deref(struct rd r, struct cfa_rule *cfa)
{
	int64_t off;

	if (rd_u8(&r) != DW_OP_breg6)
		return false;
	off = rd_sleb(&r);
	if (rd_u8(&r) != DW_OP_deref || r.bad || r.p != r.end)
		return false;
	cfa->kind = CFA_DEREF;
	cfa->expr_off = off;
	return true;
}

static void set_cfa_expr(struct interp *in, const uint8_t *e, uint64_t len)
{
	struct rd r = { e, e + len, false };

	if (!match_plt(r, &in->st.cfa) && !match_deref(r, &in->st.cfa))
		in->st.cfa.kind = CFA_BAD;
}

static struct reg_rule *tracked(struct interp *in, uint64_t reg)
{
	if (reg == REG_RBP)
		return &in->st.rbp;
	if (reg == in->cie->ra_reg)
		return &in->st.ra;
	return NULL;
}

static void set_rule(struct interp *in, uint64_t reg, uint8_t kind, int64_t off)
{
	struct reg_rule *rule = tracked(in, reg);

	if (rule) {
		rule->kind = kind;
		rule->off = off;
	}
}

/* DW_CFA_expression: only "rbp is saved at *rbp" (gcc's realigned frames) is followed. */
static void set_reg_expr(struct interp *in, uint64_t reg, const uint8_t *e, uint64_t len)
{
	bool at_rbp = len == 2 && e[0] == DW_OP_breg6 && e[1] == 0;

	set_rule(in, reg, reg == REG_RBP && at_rbp ? RULE_AT_RBP : RULE_OTHER, 0);
}

static void restore_rule(struct interp *in, uint64_t reg)
{
	struct reg_rule *rule = tracked(in, reg);

	if (!rule)
		return;
	if (!in->init)
		rule->kind = RULE_SAME;
	else
		*rule = reg == REG_RBP ? in->init->rbp : in->init->ra;
}

/* rbp_slot for the rbp rule, or -1 when the format cannot express it. An undefined rbp is
 * left as it is: readelf and gcc cannot tell it from "not saved" either. */
static int rbp_slot(const struct reg_rule *rbp)
{
	switch (rbp->kind) {
	case RULE_SAME:
	case RULE_UNDEF:
		return 0;
	case RULE_AT_RBP:
		return CPROF_RBP_AT_RBP;
	case RULE_OFFSET:
		if (rbp->off >= 0 || rbp->off % 8 || rbp->off <= -8 * CPROF_RBP_AT_RBP)
			return -1;
		return (int)(-rbp->off / 8);
	default:
		return -1;
	}
}

static bool off8(int64_t off, uint16_t *units)
{
	if (off < 0 || off % 8 || off / 8 > UINT16_MAX)
		return false;
	*units = (uint16_t)(off / 8);
	return true;
}

static struct cprof_unwind_row row_of(const struct frame_state *s)
{
	struct cprof_unwind_row row = { .kind = CPROF_ROW_UNSUPPORTED };
	int slot = rbp_slot(&s->rbp);

	if (s->ra.kind == RULE_UNDEF) {
		row.kind = CPROF_ROW_STOP;
		return row;
	}
	if (s->ra.kind != RULE_OFFSET || s->ra.off != -8 || slot < 0)
		return row;
	switch (s->cfa.kind) {
	case CFA_REG:
		if ((s->cfa.reg != REG_RSP && s->cfa.reg != REG_RBP) || !off8(s->cfa.off, &row.cfa_off))
			return row;
		row.kind = s->cfa.reg == REG_RSP ? CPROF_ROW_CFA_RSP : CPROF_ROW_CFA_RBP;
		row.rbp_slot = (uint8_t)slot;
		break;
	case CFA_PLT:
		if (slot != 0 || !off8(s->cfa.expr_off, &row.cfa_off))
			return row;
		row.kind = CPROF_ROW_PLT;
		row.rbp_slot = s->cfa.plt_threshold;
		break;
	case CFA_DEREF:
		if (s->cfa.expr_off >= 0 || !off8(-s->cfa.expr_off, &row.cfa_off))
			return row;
		row.kind = CPROF_ROW_DEREF;
		row.rbp_slot = (uint8_t)slot;
		break;
	}
	return row;
}

/* Offsets are factored by the CIE's data alignment; a product that overflows becomes
 * INT64_MIN, which no row can express. */
static int64_t scale(int64_t v, int64_t factor)
{
	int64_t out;

	return __builtin_mul_overflow(v, factor, &out) ? INT64_MIN : out;
}

static int64_t scale_u(uint64_t v, int64_t factor)
{
	return v > INT64_MAX ? INT64_MIN : scale((int64_t)v, factor);
}

/* ---- rows ---- */

/* Appends the row for [vaddr, next row). A row at the same pc as the last one replaces it
 * (the earlier covered nothing); a row equal to its predecessor is merged into it. */
static int emit(struct builder *b, uint64_t vaddr, struct cprof_unwind_row row)
{
	struct cprof_unwind_row *last;

	row.pc = (uint32_t)(vaddr - b->base);
	if (b->n_rows && b->rows[b->n_rows - 1].pc == row.pc)
		b->n_rows--;
	last = b->n_rows ? &b->rows[b->n_rows - 1] : NULL;
	if (last && last->kind == row.kind && last->rbp_slot == row.rbp_slot &&
	    last->cfa_off == row.cfa_off)
		return 0;
	if (b->n_rows == b->cap_rows) {
		size_t cap = b->cap_rows ? 2 * b->cap_rows : 1024;
		void *p = realloc(b->rows, cap * sizeof(*b->rows));

		if (!p)
			return -ENOMEM;
		b->rows = p;
		b->cap_rows = cap;
	}
	b->rows[b->n_rows++] = row;
	return 0;
}

static int emit_kind(struct builder *b, uint64_t vaddr, enum cprof_row_kind kind)
{
	struct cprof_unwind_row row = { .kind = (uint8_t)kind };

	return emit(b, vaddr, row);
}

/* ---- the CFA program ---- */

/* Moves to address to; the rules so far cover [loc, to). Returns 1 at the FDE's end. */
static int advance(struct interp *in, uint64_t to)
{
	int err;

	if (!in->b || to < in->loc)
		return -EINVAL;
	if (in->loc < in->end) {
		err = emit(in->b, in->loc, row_of(&in->st));
		if (err)
			return err;
	}
	in->loc = to;
	return in->loc >= in->end ? 1 : 0;
}

static int advance_by(struct interp *in, uint64_t delta)
{
	uint64_t to;

	if (__builtin_mul_overflow(delta, in->cie->caf, &delta) ||
	    __builtin_add_overflow(in->loc, delta, &to))
		return -EINVAL;
	return advance(in, to);
}

static int remember(struct interp *in, bool push)
{
	if (push) {
		if (in->n_saved == STATE_STACK_MAX)
			return -EINVAL;
		in->saved[in->n_saved++] = in->st;
	} else {
		if (!in->n_saved)
			return -EINVAL;
		in->st = in->saved[--in->n_saved];
	}
	return 0;
}

static void def_cfa(struct interp *in, uint64_t reg, int64_t off)
{
	in->st.cfa.kind = CFA_REG;
	in->st.cfa.reg = reg;
	in->st.cfa.off = off;
}

/* DWARF defines def_cfa_register and def_cfa_offset only on a register rule. After an
 * expression, GCC's unwinder (unwind-dw2.c) and readelf make def_cfa_register a register
 * rule with the last register offset, and let def_cfa_offset change that offset but keep
 * the expression; hand-written assembly relies on it (libgcrypt 1.10 has
 * def_cfa_expression, later def_cfa_register rsp). libdw gives up there. */
static void mod_cfa(struct interp *in, bool set_reg, uint64_t reg, int64_t off)
{
	if (set_reg) {
		in->st.cfa.kind = CFA_REG;
		in->st.cfa.reg = reg;
	} else {
		in->st.cfa.off = off;
	}
}

/* Operations with a block operand: DW_CFA_*expression. */
static void op_block(struct interp *in, uint8_t op, struct rd *r)
{
	uint64_t reg = op == DW_CFA_def_cfa_expression ? 0 : rd_uleb(r);
	uint64_t len = rd_uleb(r);
	const uint8_t *e = r->p;

	rd_skip(r, len);
	if (r->bad)
		return;
	if (op == DW_CFA_def_cfa_expression)
		set_cfa_expr(in, e, len);
	else if (op == DW_CFA_expression)
		set_reg_expr(in, reg, e, len);
	else
		set_rule(in, reg, RULE_OTHER, 0);
}

/* Operations that set one register's rule. Returns 0, or -EINVAL for an unknown opcode. */
static int op_reg(struct interp *in, uint8_t op, struct rd *r)
{
	int64_t daf = in->cie->daf;
	uint64_t reg = rd_uleb(r);

	switch (op) {
	case DW_CFA_offset_extended:
		set_rule(in, reg, RULE_OFFSET, scale_u(rd_uleb(r), daf));
		return 0;
	case DW_CFA_offset_extended_sf:
		set_rule(in, reg, RULE_OFFSET, scale(rd_sleb(r), daf));
		return 0;
	case DW_CFA_GNU_negative_offset_extended:
		set_rule(in, reg, RULE_OFFSET, scale(scale_u(rd_uleb(r), daf), -1));
		return 0;
	case DW_CFA_restore_extended:
		restore_rule(in, reg);
		return 0;
	case DW_CFA_undefined:
	case DW_CFA_same_value:
		set_rule(in, reg, op == DW_CFA_undefined ? RULE_UNDEF : RULE_SAME, 0);
		return 0;
	case DW_CFA_register:
	case DW_CFA_val_offset:
		rd_uleb(r);
		set_rule(in, reg, RULE_OTHER, 0);
		return 0;
	case DW_CFA_val_offset_sf:
		rd_sleb(r);
		set_rule(in, reg, RULE_OTHER, 0);
		return 0;
	default:
		return -EINVAL;
	}
}

/* One operation whose opcode is in the low 6 bits (the "extended" opcodes). Returns 0,
 * 1 at the FDE's end, or -EINVAL. */
static int op_ext(struct interp *in, uint8_t op, struct rd *r)
{
	uint64_t reg, u;

	switch (op) {
	case DW_CFA_nop:
	case DW_CFA_GNU_window_save:
		return 0;
	case DW_CFA_set_loc:
		if (!in->b || rd_encoded_addr(r, in->cie->sec, in->cie->fde_enc, &u))
			return -EINVAL;
		return advance(in, u);
	case DW_CFA_advance_loc1:
		return advance_by(in, rd_fixed(r, 1));
	case DW_CFA_advance_loc2:
		return advance_by(in, rd_fixed(r, 2));
	case DW_CFA_advance_loc4:
		return advance_by(in, rd_fixed(r, 4));
	case DW_CFA_MIPS_advance_loc8:
		return advance_by(in, rd_fixed(r, 8));
	case DW_CFA_remember_state:
	case DW_CFA_restore_state:
		return remember(in, op == DW_CFA_remember_state);
	case DW_CFA_def_cfa:
		reg = rd_uleb(r);
		def_cfa(in, reg, scale_u(rd_uleb(r), 1));
		return 0;
	case DW_CFA_def_cfa_sf:
		reg = rd_uleb(r);
		def_cfa(in, reg, scale(rd_sleb(r), in->cie->daf));
		return 0;
	case DW_CFA_def_cfa_register:
		mod_cfa(in, true, rd_uleb(r), 0);
		return 0;
	case DW_CFA_def_cfa_offset:
		mod_cfa(in, false, 0, scale_u(rd_uleb(r), 1));
		return 0;
	case DW_CFA_def_cfa_offset_sf:
		mod_cfa(in, false, 0, scale(rd_sleb(r), in->cie->daf));
		return 0;
	case DW_CFA_def_cfa_expression:
	case DW_CFA_expression:
	case DW_CFA_val_expression:
		op_block(in, op, r);
		return 0;
	case DW_CFA_GNU_args_size:
		rd_uleb(r);
		return 0;
	default:
		return op_reg(in, op, r);
	}
}

/* Runs a CFA program. Returns 0 (ran to the end or reached the FDE's end) or -EINVAL. */
static int run(struct interp *in, const uint8_t *p, const uint8_t *end)
{
	struct rd r = { p, end, false };
	int rc = 0;

	while (r.p < r.end && rc == 0) {
		uint8_t op = rd_u8(&r);

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
			rc = advance_by(in, op & 0x3f);
			break;
		case DW_CFA_offset:
			set_rule(in, op & 0x3f, RULE_OFFSET, scale_u(rd_uleb(&r), in->cie->daf));
			break;
		case DW_CFA_restore:
			restore_rule(in, op & 0x3f);
			break;
		default:
			rc = op_ext(in, op, &r);
			break;
		}
		if (r.bad)
			rc = -EINVAL;
	}
	return rc < 0 ? rc : 0;
}

/* ---- CIEs and FDEs ---- */

/* Parses the augmentation: the FDE pointer encoding ('R'), the signal flag ('S'). Other
 * letters than zPLRSB make the FDEs unparseable: their data's layout is unknown. */
static bool parse_augmentation(const Dwarf_CIE *dc, struct cie *cie)
{
	const char *a = dc->augmentation;
	struct rd r = { 0 };
	uint64_t skip;

	cie->fde_enc = DW_EH_PE_absptr;
	if (a && a[0] == '\0')
		return true;
	if (!a || a[0] != 'z' || !dc->augmentation_data)
		return false;
	r.p = dc->augmentation_data;
	r.end = r.p + dc->augmentation_data_size;
	cie->has_z = true;
	for (a++; *a; a++) {
		if (*a == 'R') {
			cie->fde_enc = rd_u8(&r);
		} else if (*a == 'P') {
			if (rd_encoded_value(&r, rd_u8(&r), &skip))
				return false;
		} else if (*a == 'L') {
			rd_u8(&r);
		} else if (*a == 'S') {
			cie->signal = true;
		} else if (*a != 'B') {
			return false;
		}
	}
	return !r.bad;
}

static int add_cie(struct builder *b, const struct cfi_section *sec, uint64_t off,
		   const Dwarf_CIE *dc)
{
	struct cie *cie;
	struct interp in = { 0 };

	if (b->n_cies == b->cap_cies) {
		size_t cap = b->cap_cies ? 2 * b->cap_cies : 16;
		void *p = realloc(b->cies, cap * sizeof(*b->cies));

		if (!p)
			return -ENOMEM;
		b->cies = p;
		b->cap_cies = cap;
	}
	cie = &b->cies[b->n_cies++];
	memset(cie, 0, sizeof(*cie));
	cie->sec = sec;
	cie->offset = off;
	cie->caf = dc->code_alignment_factor;
	cie->daf = dc->data_alignment_factor;
	cie->ra_reg = dc->return_address_register;
	cie->insns = dc->initial_instructions;
	cie->insns_end = dc->initial_instructions_end;
	/* Rows put the return address at CFA - 8: only rip can be that column on x86-64. */
	cie->usable = parse_augmentation(dc, cie) && cie->ra_reg == REG_RIP;
	/* Registers the CIE does not mention keep their value; the CFA must be defined. */
	in.cie = cie;
	in.st.cfa.kind = CFA_BAD;
	if (cie->usable && run(&in, cie->insns, cie->insns_end) < 0)
		cie->usable = false;
	cie->init = in.st;
	return 0;
}

static int add_fde(struct builder *b, const struct cfi_section *sec, uint64_t cie_off,
		   const Dwarf_FDE *df)
{
	struct fde *f;

	if (b->n_fdes == b->cap_fdes) {
		size_t cap = b->cap_fdes ? 2 * b->cap_fdes : 256;
		void *p = realloc(b->fdes, cap * sizeof(*b->fdes));

		if (!p)
			return -ENOMEM;
		b->fdes = p;
		b->cap_fdes = cap;
	}
	f = &b->fdes[b->n_fdes++];
	memset(f, 0, sizeof(*f));
	f->sec = sec;
	f->cie_off = cie_off;
	f->raw = df->start;
	f->raw_end = df->end;
	return 0;
}

/* Splits the section into CIEs and FDEs. An entry libdw cannot parse is skipped when it
 * says where the next one starts, else the walk ends there. */
static int collect(struct builder *b, const struct cfi_section *sec)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(sec->elf, NULL);
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	int rc, err;

	for (;;) {
		next = (Dwarf_Off)-1;
		rc = dwarf_next_cfi(ident, sec->data, sec->eh, off, &next, &e);
		if (rc > 0)
			break;
		if (rc < 0) {
			b->stats.fdes_dropped++;
			if (next == (Dwarf_Off)-1 || next <= off)
				break;
			off = next;
			continue;
		}
		if (dwarf_cfi_cie_p(&e))
			err = add_cie(b, sec, off, &e.cie);
		else
			err = add_fde(b, sec, e.fde.CIE_pointer, &e.fde);
		if (err)
			return err;
		if (next <= off)
			break;
		off = next;
	}
	return 0;
}

/* CIEs were collected section by section, each in increasing offset order. */
static const struct cie *find_cie(const struct builder *b, const struct cfi_section *sec,
				  uint64_t off)
{
	size_t lo = 0, hi = b->n_cies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cie *c = &b->cies[mid];

		if (c->sec < sec || (c->sec == sec && c->offset < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->n_cies && b->cies[lo].sec == sec && b->cies[lo].offset == off)
		return &b->cies[lo];
	return NULL;
}

/* Decodes an FDE's address range and finds its instructions. */
static int decode_fde(const struct builder *b, struct fde *f)
{
	struct rd r = { f->raw, f->raw_end, false };
	uint64_t len;

	f->cie = find_cie(b, f->sec, f->cie_off);
	if (!f->cie || !f->cie->usable)
		return -EINVAL;
	if (rd_encoded_addr(&r, f->sec, f->cie->fde_enc, &f->lo) ||
	    rd_encoded_value(&r, f->cie->fde_enc & 0x0f, &len))
		return -EINVAL;
	if (f->cie->has_z)
		rd_skip(&r, rd_uleb(&r));
	if (r.bad || __builtin_add_overflow(f->lo, len, &f->hi))
		return -EINVAL;
	f->insns = r.p;
	return 0;
}

static int cmp_fde(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/* Whether [f->lo, f->hi) overlaps one of the n FDEs at fdes, sorted and disjoint. */
static bool overlaps(const struct fde *fdes, size_t n, const struct fde *f)
{
	size_t lo = 0, hi = n;

	/* The first FDE ending after f's start. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fdes[mid].hi <= f->lo)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && fdes[lo].lo < f->hi;
}

/* Decodes all FDEs, drops the empty and undecodable ones and the .debug_frame ones for code
 * that .eh_frame describes, and sorts the rest by address. */
static void prepare_fdes(struct builder *b)
{
	const struct cfi_section *first = &b->secs[0];
	size_t n = 0, n_first;

	for (size_t i = 0; i < b->n_fdes; i++) {
		if (decode_fde(b, &b->fdes[i])) {
			b->stats.fdes_dropped++;
			continue;
		}
		if (b->fdes[i].lo != b->fdes[i].hi)
			b->fdes[n++] = b->fdes[i];
	}
	/* FDEs were collected section by section: the first section's come first. */
	for (n_first = 0; n_first < n && b->fdes[n_first].sec == first; n_first++)
		;
	b->n_fdes = n_first;
	if (!n)
		return;	/* qsort wants a non-NULL array */
	qsort(b->fdes, n_first, sizeof(*b->fdes), cmp_fde);
	for (size_t i = n_first; i < n; i++) {
		if (overlaps(b->fdes, n_first, &b->fdes[i]))
			continue;
		b->fdes[b->n_fdes++] = b->fdes[i];
		b->stats.source |= b->fdes[i].sec->source;
	}
	if (n_first)
		b->stats.source |= first->source;
	qsort(b->fdes, b->n_fdes, sizeof(*b->fdes), cmp_fde);
}

/* Row pcs are u32: base is 0 when every address fits, else the first FDE's 64 KiB page. */
static int choose_base(struct builder *b)
{
	uint64_t lo = b->fdes[0].lo, hi = 0;

	for (size_t i = 0; i < b->n_fdes; i++)
		hi = b->fdes[i].hi > hi ? b->fdes[i].hi : hi;
	b->base = hi <= UINT32_MAX ? 0 : lo & ~(((uint64_t)1 << CFI_PAGE_SHIFT) - 1);
	return hi - b->base > UINT32_MAX ? -E2BIG : 0;
}

static int compile_fde(struct builder *b, const struct fde *f)
{
	struct interp in = { .cie = f->cie, .init = &f->cie->init, .b = b };
	int err;

	if (f->cie->signal)
		return emit_kind(b, f->lo, CPROF_ROW_SIGNAL);
	in.st = f->cie->init;
	in.loc = f->lo;
	in.end = f->hi;
	err = run(&in, f->insns, f->raw_end);
	if (err == -ENOMEM)
		return err;
	if (err) {
		/* The rules from here on are unknown: say so rather than guess. */
		b->stats.bad_programs++;
		return in.loc < in.end ? emit_kind(b, in.loc, CPROF_ROW_UNSUPPORTED) : 0;
	}
	return in.loc < in.end ? emit(b, in.loc, row_of(&in.st)) : 0;
}

/* Emits the rows of every FDE in address order, END rows in the gaps. An FDE overlapping
 * the previous one is dropped: two descriptions of one pc cannot both be right. */
static int compile_all(struct builder *b)
{
	uint64_t prev_end = b->base;
	int err = 0;

	for (size_t i = 0; i < b->n_fdes && !err; i++) {
		const struct fde *f = &b->fdes[i];

		if (f->lo < prev_end) {
			b->stats.fdes_dropped++;
			continue;
		}
		if (f->lo > prev_end || !b->n_rows)
			err = emit_kind(b, prev_end, CPROF_ROW_END);
		if (!err)
			err = compile_fde(b, f);
		b->stats.fdes++;
		prev_end = f->hi;
	}
	return err ? err : emit_kind(b, prev_end, CPROF_ROW_END);
}

/* ---- ELF ---- */

static int open_elf(int fd, Elf **out)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	int err = -ENOEXEC;

	if (!elf)
		goto out;
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    !gelf_getehdr(elf, &eh) || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		goto out;
	*out = elf;
	elf = NULL;
	err = 0;
out:
	elf_end(elf);
	return err;
}

static Elf_Scn *find_scn(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static int open_section(Elf *elf, const char *name, enum cfi_source src,
			struct cfi_section *sec)
{
	Elf_Scn *scn = find_scn(elf, name);
	GElf_Shdr sh;

	if (!scn)
		return -ENOENT;
	if (!gelf_getshdr(scn, &sh))
		return -EINVAL;
	/* Debuginfo files often compress .debug_frame. */
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return -EINVAL;
	sec->data = elf_getdata(scn, NULL);
	if (!sec->data || !sec->data->d_buf || !sec->data->d_size)
		return -EINVAL;
	sec->elf = elf;
	sec->addr = sh.sh_addr;
	sec->eh = src == CFI_SRC_EH_FRAME;
	sec->source = src;
	return 0;
}

/* .eh_frame is what the code itself unwinds with, so it comes first; .debug_frame (the
 * object's, else the debuginfo file's) fills in code compiled without unwind tables, such
 * as Go code in a cgo binary. A section that cannot be read counts as absent. */
static int pick_sections(struct builder *b, Elf *elf, int debug_fd, Elf **dbg)
{
	struct cfi_section *sec = b->secs;

	if (!open_section(elf, ".eh_frame", CFI_SRC_EH_FRAME, sec))
		sec++;
	if (!open_section(elf, ".debug_frame", CFI_SRC_DEBUG_FRAME, sec))
		sec++;
	else if (debug_fd >= 0 && !open_elf(debug_fd, dbg) &&
		 !open_section(*dbg, ".debug_frame", CFI_SRC_DEBUG_FILE, sec))
		sec++;
	b->n_secs = (size_t)(sec - b->secs);
	return b->n_secs ? 0 : -ENOENT;
}

static int build_rows(struct builder *b)
{
	int err = 0;

	for (size_t i = 0; i < b->n_secs && !err; i++)
		err = collect(b, &b->secs[i]);
	if (err)
		return err;
	prepare_fdes(b);
	if (!b->n_fdes)
		return -ENOENT;
	err = choose_base(b);
	return err ? err : compile_all(b);
}

/* A Go object without CFI (stripped of .debug_frame): frame pointers over its Go code, to
 * which cfi_go__fix adds the runtime's roots and stack switches. */
static int go_rows(struct builder *b, const struct cfi_go *go)
{
	uint64_t lo, hi;
	int err;

	cfi_go__text(go, &lo, &hi);
	b->base = hi <= UINT32_MAX ? 0 : lo & ~(((uint64_t)1 << CFI_PAGE_SHIFT) - 1);
	if (hi - b->base > UINT32_MAX)
		return -E2BIG;
	b->stats.source |= CFI_SRC_GO;
	err = emit_kind(b, b->base, CPROF_ROW_END);
	if (!err)
		err = emit_kind(b, lo, CPROF_ROW_FP);
	return err ? err : emit_kind(b, hi, CPROF_ROW_END);
}

/* ---- tables ---- */

/* Builds the page index of t->rows (rows[0].pc is 0, so every page start is covered). */
static int index_pages(struct cfi_table *t)
{
	size_t last = t->n_rows - 1, i = 0;

	t->n_pages = ((size_t)t->rows[last].pc >> CFI_PAGE_SHIFT) + 2;
	t->pages = malloc(t->n_pages * sizeof(*t->pages));
	if (!t->pages)
		return -ENOMEM;
	for (size_t p = 0; p + 1 < t->n_pages; p++) {
		uint64_t start = (uint64_t)p << CFI_PAGE_SHIFT;

		while (i < last && t->rows[i + 1].pc <= start)
			i++;
		t->pages[p] = (uint32_t)i;
	}
	t->pages[t->n_pages - 1] = (uint32_t)last;
	return 0;
}

/* Wraps rows (taking ownership, also on failure) into a table. */
static int table_finish(struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
			const struct cfi_stats *stats, struct cfi_table **out)
{
	struct cfi_table *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t) {
		free(rows);
		goto out;
	}
	t->rows = rows;
	t->n_rows = n_rows;
	t->base = base;
	if (stats)
		t->stats = *stats;
	memset(t->stats.rows, 0, sizeof(t->stats.rows));
	for (size_t i = 0; i < n_rows; i++)
		t->stats.rows[rows[i].kind]++;
	err = index_pages(t);
	if (err)
		goto out;
	*out = t;
	t = NULL;
out:
	cfi_table__free(t);
	return err;
}

int cfi_table__build(int fd, int debug_fd, struct cfi_table **out)
{
	struct builder b = { 0 };
	Elf *elf = NULL, *dbg = NULL;
	struct cfi_go *go = NULL;
	int err;

	*out = NULL;
	elf_version(EV_CURRENT);
	err = open_elf(fd, &elf);
	if (err)
		goto out;
	/* A Go object without a readable function table is compiled like any other. */
	if (cfi_go__open(elf, &go) == -ENOMEM) {
		err = -ENOMEM;
		goto out;
	}
	err = pick_sections(&b, elf, debug_fd, &dbg);
	if (!err)
		err = build_rows(&b);
	if (err == -ENOENT && go)
		err = go_rows(&b, go);
	if (!err && go) {
		err = cfi_go__fix(go, b.base, &b.rows, &b.n_rows);
		b.cap_rows = b.n_rows;
		b.stats.source |= CFI_SRC_GO;
	}
	if (err)
		goto out;
	err = table_finish(b.rows, b.n_rows, b.base, &b.stats, out);
	b.rows = NULL;
out:
	cfi_go__free(go);
	free(b.rows);
	free(b.fdes);
	free(b.cies);
	elf_end(dbg);
	elf_end(elf);
	return err;
}

int cfi_table__new(const struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
		   const struct cfi_stats *stats, struct cfi_table **out)
{
	struct cprof_unwind_row *copy;

	*out = NULL;
	if (!n_rows || rows[0].pc != 0 || rows[n_rows - 1].kind != CPROF_ROW_END ||
	    rows[n_rows - 1].pc > UINT64_MAX - base)
		return -EINVAL;
	for (size_t i = 0; i < n_rows; i++) {
		if (rows[i].kind >= CPROF_ROW_NR || (i && rows[i].pc <= rows[i - 1].pc))
			return -EINVAL;
	}
	copy = malloc(n_rows * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rows, n_rows * sizeof(*copy));
	return table_finish(copy, n_rows, base, stats, out);
}

void cfi_table__free(struct cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t->pages);
	free(t);
}

const struct cprof_unwind_row *cfi_table__rows(const struct cfi_table *t, size_t *n_rows)
{
	*n_rows = t->n_rows;
	return t->rows;
}

const uint32_t *cfi_table__pages(const struct cfi_table *t, size_t *n_pages)
{
	*n_pages = t->n_pages;
	return t->pages;
}

uint64_t cfi_table__base(const struct cfi_table *t)
{
	return t->base;
}

const struct cfi_stats *cfi_table__stats(const struct cfi_table *t)
{
	return &t->stats;
}

const struct cprof_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr)
{
	uint64_t pc, page;
	size_t lo, hi;

	if (vaddr < t->base)
		return NULL;
	pc = vaddr - t->base;
	page = pc >> CFI_PAGE_SHIFT;
	if (page >= t->n_pages - 1)
		return &t->rows[t->n_rows - 1];
	/* The last row with row.pc <= pc. */
	lo = t->pages[page];
	hi = t->pages[page + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &t->rows[lo];
}
