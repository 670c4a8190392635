/* The CFA program interpreter (see cfi_dwarf.h): runs an FDE's instructions once, emitting
 * a row at every location where the rules change. Asking libdw's dwarf_cfi_addrframe
 * instead would re-run the program from the FDE's start for every address (quadratic per
 * FDE) and needs the change points first anyway. Only the rules the BPF unwinder uses are
 * tracked: the CFA, rbp and the return address. */
#include <errno.h>
#include <stdbool.h>

#include "unwind/cfi_dwarf.h"

struct interp {
	const struct cie *cie;
	const struct frame_state *init;	/* for DW_CFA_restore; NULL while running a CIE */
	struct cfi_rows *rows;		/* NULL while running a CIE: no rows, no advancing */
	uint64_t base;			/* row pcs are vaddr - base */
	struct frame_state st;
	struct frame_state saved[STATE_STACK_MAX];
	unsigned n_saved;
	uint64_t loc, end;
};

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

static int emit(struct interp *in, uint64_t vaddr, struct cprof_unwind_row row)
{
	return cfi_rows__push(in->rows, (uint32_t)(vaddr - in->base), row);
}

static int emit_kind(struct interp *in, uint64_t vaddr, enum cprof_row_kind kind)
{
	return cfi_rows__push_kind(in->rows, (uint32_t)(vaddr - in->base), kind);
}

/* ---- the CFA program ---- */

/* Moves to address to; the rules so far cover [loc, to). Returns 1 at the FDE's end. */
static int advance(struct interp *in, uint64_t to)
{
	int err;

	if (!in->rows || to < in->loc)
		return -EINVAL;
	if (in->loc < in->end) {
		err = emit(in, in->loc, row_of(&in->st));
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
		if (!in->rows || rd_encoded_addr(r, in->cie->sec, in->cie->fde_enc, &u))
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

/* ---- entry points ---- */

bool cfi_program__cie(struct cie *cie)
{
	struct interp in = { .cie = cie, .st = cie->init };
	int err = run(&in, cie->insns, cie->insns_end);

	cie->init = in.st;
	return err >= 0;
}

int cfi_program__fde(const struct fde *f, uint64_t base, struct cfi_rows *rows,
		     struct cfi_stats *st)
{
	struct interp in = { .cie = f->cie, .init = &f->cie->init, .rows = rows, .base = base };
	int err;

	if (f->cie->signal)
		return emit_kind(&in, f->lo, CPROF_ROW_SIGNAL);
	in.st = f->cie->init;
	in.loc = f->lo;
	in.end = f->hi;
	err = run(&in, f->insns, f->raw_end);
	if (err == -ENOMEM)
		return err;
	if (err) {
		/* The rules from here on are unknown: say so rather than guess. */
		st->bad_programs++;
		return in.loc < in.end ? emit_kind(&in, in.loc, CPROF_ROW_UNSUPPORTED) : 0;
	}
	return in.loc < in.end ? emit(&in, in.loc, row_of(&in.st)) : 0;
}
