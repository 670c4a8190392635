/* Compiles an object's CFI into unwind rows (see cfi.h and bpf/cprof.h): the CIEs and FDEs
 * of its .eh_frame and .debug_frame (cfi_fde.c), each FDE's CFA program run into rows
 * (cfi_program.c), END rows where no FDE describes the code, then the fixes for glibc's
 * clone gaps (cfi_clone.c) and Go code's rows from the stack-pointer tables of its
 * .gopclntab (cfi_go.c, cfi_gopcln.c), and the rows wrapped into a table with its page
 * index (cfi_table.c). */
#include <errno.h>
#include <stdlib.h>

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
