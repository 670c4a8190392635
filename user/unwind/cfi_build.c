/* Compiles an object's CFI into unwind rows (see cfi.h and bpf/cprof.h): the CIEs and FDEs
 * of its .eh_frame and .debug_frame (cfi_fde.c), each FDE's CFA program run into rows
 * (cfi_program.c), END rows where no FDE describes the code, then the fixes for glibc's
 * clone gaps (cfi_clone.c) and the dynamic loader's entry code (entry_root), Go code's rows
 * from the stack-pointer tables of its .gopclntab (cfi_go.c, cfi_gopcln.c), and the rows
 * wrapped into a table with its page index (cfi_table.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/cfi.h"
#include "unwind/cfi_clone.h"
#include "unwind/cfi_dwarf.h"
#include "unwind/cfi_go.h"
#include "unwind/cfi_int.h"

struct builder {
	struct cfi_fdes c;
	uint64_t base;
	struct cfi_rows rows;
	struct cfi_stats stats;
};

static int emit_kind(struct builder *b, uint64_t vaddr, enum cprof_row_kind kind)
{
	return cfi_rows__push_kind(&b->rows, (uint32_t)(vaddr - b->base), kind);
}

/* Row pcs are u32: base is 0 when every address of [lo, hi) fits, else lo's 64 KiB page. */
static int set_base(struct builder *b, uint64_t lo, uint64_t hi)
{
	b->base = hi <= UINT32_MAX ? 0 : lo & ~(((uint64_t)1 << CFI_PAGE_SHIFT) - 1);
	return hi - b->base > UINT32_MAX ? -E2BIG : 0;
}

/* Emits the rows of every FDE in address order, END rows in the gaps. An FDE overlapping
 * the previous one is dropped: two descriptions of one pc cannot both be right. */
static int compile_all(struct builder *b)
{
	uint64_t prev_end = b->base;
	int err = 0;

	for (size_t i = 0; i < b->c.n_fdes && !err; i++) {
		const struct fde *f = &b->c.fdes[i];

		if (f->lo < prev_end) {
			b->stats.fdes_dropped++;
			continue;
		}
		if (f->lo > prev_end || !b->rows.n)
			err = emit_kind(b, prev_end, CPROF_ROW_END);
		if (!err)
			err = cfi_program__fde(f, b->base, &b->rows, &b->stats);
		b->stats.fdes++;
		prev_end = f->hi;
	}
	return err ? err : emit_kind(b, prev_end, CPROF_ROW_END);
}

static int build_rows(struct builder *b)
{
	uint64_t hi = 0;
	int err;

	err = cfi_fde__collect(&b->c, &b->stats);
	if (err)
		return err;
	if (!b->c.n_fdes)
		return -ENOENT;
	for (size_t i = 0; i < b->c.n_fdes; i++)
		hi = b->c.fdes[i].hi > hi ? b->c.fdes[i].hi : hi;
	err = set_base(b, b->c.fdes[0].lo, hi);
	return err ? err : compile_all(b);
}

/* A Go object without CFI (stripped of .debug_frame): frame pointers over its Go code, over
 * which cfi_go__fix lays the rows of its stack-pointer tables (frame pointers stay where a
 * function has none) and adds the runtime's roots and stack switches. */
static int go_rows(struct builder *b, const struct cfi_go *go)
{
	uint64_t lo, hi;
	int err;

	cfi_go__text(go, &lo, &hi);
	err = set_base(b, lo, hi);
	if (err)
		return err;
	err = emit_kind(b, b->base, CPROF_ROW_END);
	if (!err)
		err = emit_kind(b, lo, CPROF_ROW_FP);
	return err ? err : emit_kind(b, hi, CPROF_ROW_END);
}

/* Entry code this long at most: a few instructions. A longer gap after the entry point holds
 * other code without CFI, whose frames are left to frame pointers. */
#define ENTRY_GAP_MAX 1024

/* Whether elf asks for no program interpreter: it is one (ld.so), or a static program. */
static bool no_interp(Elf *elf)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			return false;
	return true;
}

/* The process's first code, at the entry point of an object without PT_INTERP, when no FDE
 * describes it: glibc's ld.so (RTLD_START in sysdeps/x86_64/dl-machine.h) starts with rsp
 * at argc, no return address, and calls _dl_start and _dl_init from there. A frame there is
 * the main thread's root, not a frame-pointer step off the rbp of 0 the kernel left: the
 * END row of [entry, next row) becomes a STOP row, if that gap is short (ENTRY_GAP_MAX).
 * Returns 0 or -ENOMEM. */
static int entry_root(Elf *elf, struct builder *b)
{
	struct cprof_unwind_row *r = b->rows.rows, stop = { .kind = CPROF_ROW_STOP };
	GElf_Ehdr eh;
	uint64_t pc;
	size_t k = 0;

	if (!gelf_getehdr(elf, &eh) || !eh.e_entry || eh.e_entry < b->base ||
	    eh.e_entry - b->base >= UINT32_MAX || !no_interp(elf))
		return 0;
	pc = eh.e_entry - b->base;
	while (k + 1 < b->rows.n && r[k + 1].pc <= pc)
		k++;
	if (k + 1 >= b->rows.n || r[k].kind != CPROF_ROW_END || r[k + 1].pc - pc > ENTRY_GAP_MAX)
		return 0;
	if (r[k].pc == pc) {
		r[k].kind = CPROF_ROW_STOP;
		return 0;
	}
	if (b->rows.n == b->rows.cap && VEC_GROW(b->rows.rows, b->rows.cap, b->rows.n + 1))
		return -ENOMEM;
	r = b->rows.rows;
	memmove(&r[k + 2], &r[k + 1], (b->rows.n - k - 1) * sizeof(*r));
	stop.pc = (uint32_t)pc;
	r[k + 1] = stop;
	b->rows.n++;
	return 0;
}

int cfi_table__build(int fd, int debug_fd, int sym_fd, struct cfi_table **out)
{
	struct builder b = { 0 };
	Elf *elf = NULL, *dbg = NULL;
	struct cfi_go *go = NULL;
	int err;

	*out = NULL;
	elf_version(EV_CURRENT);
	err = cfi_fde__open_elf(fd, &elf);
	if (err)
		goto out;
	/* A Go object without a readable function table is compiled like any other. */
	if (cfi_go__open(elf, &go) == -ENOMEM) {
		err = -ENOMEM;
		goto out;
	}
	err = cfi_fde__sections(&b.c, elf, debug_fd, &dbg);
	if (!err)
		err = build_rows(&b);
	if (!err)
		cfi_clone__fix(elf, sym_fd, b.base, &b.rows);
	if (!err)
		err = entry_root(elf, &b);
	if (err == -ENOENT && go)
		err = go_rows(&b, go);
	if (!err && go)
		err = cfi_go__fix(go, b.base, &b.rows, &b.stats);
	if (err)
		goto out;
	err = cfi_table__adopt(b.rows.rows, b.rows.n, b.base, &b.stats, out);
	b.rows.rows = NULL;
out:
	cfi_go__free(go);
	free(b.rows.rows);
	cfi_fde__free(&b.c);
	elf_end(dbg);
	elf_end(elf);
	return err;
}
