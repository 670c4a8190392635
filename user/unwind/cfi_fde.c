/* The CIEs and FDEs of an object's .eh_frame and .debug_frame (see cfi_dwarf.h). libdw's
 * dwarf_next_cfi splits a section into entries; their augmentations and address ranges are
 * decoded here, with the bounded reader. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdw.h>

#include "unwind/cfi_dwarf.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

/* ---- ELF sections ---- */

int cfi_fde__open_elf(int fd, Elf **out)
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

Elf_Scn *cfi_elf__section(Elf *elf, Elf_Scn *scn, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh) || sh->sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

int cfi_elf__symbols(Elf *elf, uint32_t type, cfi_symbol_fn fn, void *arg)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	int rc;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		/* gelf_getsym checks the index against the data read. */
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize && i <= INT_MAX; i++) {
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym))
				break;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && (rc = fn(&sym, n, arg)))
				return rc;
		}
	}
	return 0;
}

/* The first section named name that has contents. */
static int open_section(Elf *elf, const char *name, enum cfi_source src,
			struct cfi_section *sec)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = cfi_elf__section(elf, scn, name, &sh)) && !sh.sh_size)
		;
	if (!scn)
		return -ENOENT;
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
int cfi_fde__sections(struct cfi_fdes *c, Elf *elf, int debug_fd, Elf **dbg)
{
	struct cfi_section *sec = c->secs;

	if (!open_section(elf, ".eh_frame", CFI_SRC_EH_FRAME, sec))
		sec++;
	if (!open_section(elf, ".debug_frame", CFI_SRC_DEBUG_FRAME, sec))
		sec++;
	else if (debug_fd >= 0 && !cfi_fde__open_elf(debug_fd, dbg) &&
		 !open_section(*dbg, ".debug_frame", CFI_SRC_DEBUG_FILE, sec))
		sec++;
	c->n_secs = (size_t)(sec - c->secs);
	return c->n_secs ? 0 : -ENOENT;
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

static int add_cie(struct cfi_fdes *c, const struct cfi_section *sec, uint64_t off,
		   const Dwarf_CIE *dc)
{
	struct cie *cie;

	if (VEC_GROW(c->cies, c->cap_cies, c->n_cies + 1))
		return -ENOMEM;
	cie = &c->cies[c->n_cies++];
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
	cie->init.cfa.kind = CFA_BAD;
	if (cie->usable && !cfi_program__cie(cie))
		cie->usable = false;
	return 0;
}

static int add_fde(struct cfi_fdes *c, const struct cfi_section *sec, uint64_t cie_off,
		   const Dwarf_FDE *df)
{
	struct fde f = { .sec = sec, .cie_off = cie_off, .raw = df->start, .raw_end = df->end };

	return VEC_PUSH(c->fdes, c->n_fdes, c->cap_fdes, f);
}

/* Splits the section into CIEs and FDEs. An entry libdw cannot parse is skipped when it
 * says where the next one starts, else the walk ends there. */
static int collect(struct cfi_fdes *c, struct cfi_section *sec, struct cfi_stats *st)
{
	const unsigned char *ident = (const unsigned char *)elf_getident(sec->elf, NULL);
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	int rc, err;

	sec->first_cie = c->n_cies;
	for (;;) {
		next = (Dwarf_Off)-1;
		rc = dwarf_next_cfi(ident, sec->data, sec->eh, off, &next, &e);
		if (rc > 0)
			break;
		if (rc < 0) {
			st->fdes_dropped++;
			if (next == (Dwarf_Off)-1 || next <= off)
				break;
			off = next;
			continue;
		}
		if (dwarf_cfi_cie_p(&e))
			err = add_cie(c, sec, off, &e.cie);
		else
			err = add_fde(c, sec, e.fde.CIE_pointer, &e.fde);
		if (err)
			break;
		if (next <= off)
			break;
		off = next;
	}
	sec->n_cies = c->n_cies - sec->first_cie;
	return err;
}

#define CIE_OFFSET(c) ((c)->offset)

/* A section's CIEs were collected in increasing offset order. */
static const struct cie *find_cie(const struct cfi_fdes *c, const struct cfi_section *sec,
				  uint64_t off)
{
	const struct cie *cies;
	size_t i;

	if (!sec->n_cies)
		return NULL;	/* c->cies may be NULL */
	cies = c->cies + sec->first_cie;
	i = LOWER_BOUND(cies, sec->n_cies, CIE_OFFSET, off);
	return i < sec->n_cies && cies[i].offset == off ? &cies[i] : NULL;
}

/* Decodes an FDE's address range and finds its instructions. */
static int decode_fde(const struct cfi_fdes *c, struct fde *f)
{
	struct rd r = { f->raw, f->raw_end, false };
	uint64_t len;

	f->cie = find_cie(c, f->sec, f->cie_off);
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

	return x->lo != y->lo ? CMP3(x->lo, y->lo) : CMP3(x->hi, y->hi);
}

#define FDE_HI(f) ((f)->hi)

/* Whether [f->lo, f->hi) overlaps one of the n FDEs at fdes, sorted and disjoint. */
static bool overlaps(const struct fde *fdes, size_t n, const struct fde *f)
{
	/* The first FDE ending after f's start. */
	size_t i = UPPER_BOUND(fdes, n, FDE_HI, f->lo);

	return i < n && fdes[i].lo < f->hi;
}

/* Decodes all FDEs, drops the empty and undecodable ones and the .debug_frame ones for code
 * that .eh_frame describes, and sorts the rest by address. */
static void prepare_fdes(struct cfi_fdes *c, struct cfi_stats *st)
{
	const struct cfi_section *first = &c->secs[0];
	size_t n = 0, n_first;

	for (size_t i = 0; i < c->n_fdes; i++) {
		if (decode_fde(c, &c->fdes[i])) {
			st->fdes_dropped++;
			continue;
		}
		if (c->fdes[i].lo != c->fdes[i].hi)
			c->fdes[n++] = c->fdes[i];
	}
	/* FDEs were collected section by section: the first section's come first. */
	for (n_first = 0; n_first < n && c->fdes[n_first].sec == first; n_first++)
		;
	c->n_fdes = n_first;
	if (!n)
		return;	/* qsort wants a non-NULL array */
	qsort(c->fdes, n_first, sizeof(*c->fdes), cmp_fde);
	for (size_t i = n_first; i < n; i++) {
		if (overlaps(c->fdes, n_first, &c->fdes[i]))
			continue;
		c->fdes[c->n_fdes++] = c->fdes[i];
		st->source |= c->fdes[i].sec->source;
	}
	if (n_first)
		st->source |= first->source;
	qsort(c->fdes, c->n_fdes, sizeof(*c->fdes), cmp_fde);
}

int cfi_fde__collect(struct cfi_fdes *c, struct cfi_stats *st)
{
	int err = 0;

	for (size_t i = 0; i < c->n_secs && !err; i++)
		err = collect(c, &c->secs[i], st);
	if (!err)
		prepare_fdes(c, st);
	return err;
}

void cfi_fde__free(struct cfi_fdes *c)
{
	free(c->fdes);
	free(c->cies);
}
