/* An object's DWARF call frame information as the table compiler reads it (private to
 * user/unwind): a bounded byte reader, the CIEs and FDEs of .eh_frame and .debug_frame
 * (cfi_fde.c), and the CFA program interpreter that compiles one FDE into rows
 * (cfi_program.c). Everything here comes from the object and is untrusted. */
#ifndef CPROF_CFI_DWARF_H
#define CPROF_CFI_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dwarf.h>
#include <gelf.h>

#include "unwind/cfi.h"
#include "unwind/cfi_int.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RIP 16
/* DW_CFA_remember_state nesting; compilers use one or two levels. */
#define STATE_STACK_MAX 16

enum cfa_kind { CFA_REG, CFA_PLT, CFA_DEREF, CFA_BAD };
enum rule_kind { RULE_SAME, RULE_UNDEF, RULE_OFFSET, RULE_AT_RBP, RULE_OTHER };

/* reg and off survive an expression rule: see mod_cfa (cfi_program.c). */
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
	size_t first_cie, n_cies;	/* its CIEs in struct cfi_fdes, by offset */
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

/* ---- bounded byte reader ---- */

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static inline uint8_t rd_u8(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

static inline uint64_t rd_fixed(struct rd *r, unsigned n)
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

/* The bits of a LEB128 number; *shift and *last say where a signed one's sign bit is. */
static inline uint64_t rd_leb(struct rd *r, unsigned *shift, uint8_t *last)
{
	uint64_t v = 0;
	uint8_t byte;

	*shift = 0;
	do {
		byte = rd_u8(r);
		if (*shift < 64)
			v |= (uint64_t)(byte & 0x7f) << *shift;
		*shift += 7;
	} while ((byte & 0x80) && !r->bad);
	*last = byte;
	return v;
}

static inline uint64_t rd_uleb(struct rd *r)
{
	unsigned shift;
	uint8_t last;

	return rd_leb(r, &shift, &last);
}

static inline int64_t rd_sleb(struct rd *r)
{
	unsigned shift;
	uint8_t last;
	uint64_t v = rd_leb(r, &shift, &last);

	if (shift < 64 && (last & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

static inline void rd_skip(struct rd *r, uint64_t n)
{
	if ((uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

/* Reads the value part of a DW_EH_PE_* encoded pointer (no pc-relative adjustment). */
static inline int rd_encoded_value(struct rd *r, uint8_t enc, uint64_t *val)
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
static inline int rd_encoded_addr(struct rd *r, const struct cfi_section *sec, uint8_t enc,
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

/* ---- CIEs and FDEs (cfi_fde.c) ---- */

/* .eh_frame, and .debug_frame for code .eh_frame does not cover. */
#define CFI_MAX_SECTIONS 2

struct cfi_fdes {
	struct cfi_section secs[CFI_MAX_SECTIONS];
	size_t n_secs;
	struct cie *cies;	/* section by section, each by offset */
	size_t n_cies, cap_cies;
	struct fde *fdes;
	size_t n_fdes, cap_fdes;
};

/* Opens the 64-bit little-endian x86-64 ELF file on fd. Returns 0 or -ENOEXEC. */
int cfi_fde__open_elf(int fd, Elf **out);

/* Picks the sections to read: elf's .eh_frame, and its .debug_frame or else that of the
 * ELF file on debug_fd (-1: none), opened into *dbg. Returns 0 or -ENOENT (none). */
int cfi_fde__sections(struct cfi_fdes *c, Elf *elf, int debug_fd, Elf **dbg);

/* Reads the sections' CIEs and FDEs and keeps the FDEs that can be compiled, sorted by
 * address: .debug_frame ones only for code .eh_frame does not describe. Undecodable entries
 * are counted in st->fdes_dropped; st->source gets the sections used. Returns 0 or
 * -ENOMEM. */
int cfi_fde__collect(struct cfi_fdes *c, struct cfi_stats *st);

void cfi_fde__free(struct cfi_fdes *c);

/* ---- the CFA program (cfi_program.c) ---- */

/* Runs cie's initial instructions into cie->init. Returns false if they are malformed. */
bool cfi_program__cie(struct cie *cie);

/* Appends the rows of f (pcs relative to base). Returns 0 or -ENOMEM; a malformed program
 * is counted in st->bad_programs and its rules from there on are UNSUPPORTED. */
int cfi_program__fde(const struct fde *f, uint64_t base, struct cfi_rows *rows,
		     struct cfi_stats *st);

#endif
