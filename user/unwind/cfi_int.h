/* What the files that compile unwind tables share (cfi_build.c, cfi_fde.c, cfi_program.c,
 * cfi_go.c, cfi_table.c, cfi_cache.c); not an API for other modules: the growing row array,
 * ELF section lookup, handing finished rows to a table, and the cache file's header (which
 * the cache's fuzz harness writes, checksum and all, to reach the rows behind it). */
#ifndef CPROF_CFI_INT_H
#define CPROF_CFI_INT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <gelf.h>

#include "cprof.h"
#include "unwind/cfi.h"
#include "util/vec.h"

struct cfi_rows {
	struct cprof_unwind_row *rows;
	size_t n, cap;
};

/* Appends row for [pc, next row). A row at the last row's pc replaces it (the earlier
 * covered nothing); a row equal to the last is merged into it. Returns 0 or -ENOMEM. */
static inline int cfi_rows__push(struct cfi_rows *rb, uint32_t pc, struct cprof_unwind_row row)
{
	struct cprof_unwind_row *last;

	row.pc = pc;
	if (rb->n && rb->rows[rb->n - 1].pc == pc)
		rb->n--;
	last = rb->n ? &rb->rows[rb->n - 1] : NULL;
	if (last && last->kind == row.kind && last->rbp_slot == row.rbp_slot &&
	    last->cfa_off == row.cfa_off)
		return 0;
	if (rb->n == rb->cap && VEC_GROW(rb->rows, rb->cap, rb->n + 1))
		return -ENOMEM;
	rb->rows[rb->n++] = row;
	return 0;
}

static inline int cfi_rows__push_kind(struct cfi_rows *rb, uint32_t pc, enum cprof_row_kind kind)
{
	struct cprof_unwind_row row = { .kind = (uint8_t)kind };

	return cfi_rows__push(rb, pc, row);
}

/* The first section after scn (NULL: from the start) named name and not SHT_NOBITS, with
 * its header in *sh; NULL if none. (cfi_fde.c) */
Elf_Scn *cfi_elf__section(Elf *elf, Elf_Scn *scn, const char *name, GElf_Shdr *sh);

/* Calls fn with each symbol of elf's sections of type type (SHT_SYMTAB or SHT_DYNSYM) and
 * its name, until fn returns non-zero: returns that, else 0. (cfi_fde.c) */
typedef int (*cfi_symbol_fn)(const GElf_Sym *sym, const char *name, void *arg);
int cfi_elf__symbols(Elf *elf, uint32_t type, cfi_symbol_fn fn, void *arg);

/* A table of rows (sorted, the first at pc 0, the last END), taking ownership of rows, also
 * on failure; stats may be NULL, its row counts are recomputed. Returns 0 or -ENOMEM.
 * (cfi_table.c) */
int cfi_table__adopt(struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
		     const struct cfi_stats *stats, struct cfi_table **out);

/* The cache file (cfi_cache.c): this header, then the rows as the BPF side reads them. */
#define CFI_CACHE_MAGIC "CPROFCFI"
/* Bump whenever the compiler (cfi_build.c and the files it drives) would compile the same
 * object into different rows. */
#define CFI_CACHE_VERSION 6	/* 2: Go rows (cfi_go.h); 3: clone gaps (cfi_clone.h); 4: Go
				 * rows from .gopclntab's stack-pointer tables; 5: Go's entry
				 * stubs are roots; 6: ld.so's entry code is a root */
#define CFI_CACHE_BUILD_ID_MAX 64

struct cfi_cache_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t row_size;
	uint32_t crc;		/* cfi_cache__checksum */
	uint64_t base;
	uint64_t n_rows;
	uint32_t fdes, fdes_dropped, bad_programs, source;
	char build_id[CFI_CACHE_BUILD_ID_MAX];	/* NUL-padded */
};

_Static_assert(sizeof(struct cfi_cache_header) == 120, "cache header layout");

/* The crc32 of h (its crc taken as 0) and of the rows_len bytes of rows. (cfi_cache.c) */
uint32_t cfi_cache__checksum(const struct cfi_cache_header *h, const void *rows,
			     size_t rows_len);

#endif
