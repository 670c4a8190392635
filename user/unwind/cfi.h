/* Unwind tables: an object's call frame information (.eh_frame, else .debug_frame) compiled
 * into the sorted rows of bpf/cprof.h that the BPF unwinder follows, plus a page index that
 * bounds a lookup to 16 binary-search steps, and a disk cache keyed by build id.
 * Everything read from an object or a cache file is untrusted: parsing is bounded. */
#ifndef CPROF_CFI_H
#define CPROF_CFI_H

#include <stddef.h>
#include <stdint.h>

#include "cprof.h"

/* Rows are grouped in pages of 1 << CFI_PAGE_SHIFT bytes of pc space (pc = vaddr - base).
 * rows[0].pc is 0 and the last row is END. pages[p] is the index of the row covering
 * pc p << CFI_PAGE_SHIFT, for p < n_pages - 1, and pages[n_pages - 1] is n_rows - 1; so the
 * row covering a pc of page p < n_pages - 1 is the last row with row.pc <= pc among
 * rows[pages[p] .. pages[p + 1]] (inclusive: at most 65537 rows, 17 probes of binary
 * search), and any higher pc is covered by the final END row. */
#define CFI_PAGE_SHIFT CPROF_PAGE_SHIFT

/* Where rows came from (flags). */
enum cfi_source {
	CFI_SRC_EH_FRAME = 1,	/* the object's .eh_frame */
	CFI_SRC_DEBUG_FRAME = 2,	/* the object's own .debug_frame */
	CFI_SRC_DEBUG_FILE = 4,	/* .debug_frame of the separate debuginfo file */
	CFI_SRC_GO = 8,		/* Go code fixed from the runtime's function table (cfi_go.h) */
	CFI_SRC_GO_PCSP = 16,	/* Go code's rows from the stack-pointer tables of the
				 * runtime's function table (.gopclntab: cfi_go.h) */
	CFI_SRC_CACHE = 32,	/* read from the disk cache, not compiled in this run */
};

struct cfi_stats {
	uint32_t rows[CPROF_ROW_NR];	/* rows per enum cprof_row_kind */
	uint32_t fdes;			/* FDEs compiled into rows */
	uint32_t fdes_dropped;		/* FDEs not compiled: overlapping, undecodable */
	uint32_t bad_programs;		/* malformed CFA programs (rest of the FDE UNSUPPORTED) */
	uint32_t source;		/* enum cfi_source flags */
};

struct cfi_table;

/* Compiles the CFI of the x86-64 ELF object open on fd: its .eh_frame, and for code that
 * .eh_frame does not cover, its .debug_frame or else that of debug_fd (the separate
 * debuginfo file; -1 for none). sym_fd (-1 for none; usually the separate debuginfo file)
 * adds its .symtab to the object's symbols, which name the functions whose CFI has gaps
 * the table fills (glibc's clone3: cfi_clone.h). Returns 0, -ENOENT (no CFI), -ENOEXEC
 * (not a 64-bit x86-64 ELF), -E2BIG (code spans more than 4 GiB) or -ENOMEM. Malformed
 * entries are dropped and counted in the stats, malformed programs give UNSUPPORTED
 * rows. */
int cfi_table__build(int fd, int debug_fd, int sym_fd, struct cfi_table **out);

/* A table from rows already compiled (the cache, tests). Rows must be sorted by strictly
 * increasing pc, have known kinds, and end with an END row. stats may be NULL; its row
 * counts are recomputed. Returns 0, -EINVAL or -ENOMEM. */
int cfi_table__new(const struct cprof_unwind_row *rows, size_t n_rows, uint64_t base,
		   const struct cfi_stats *stats, struct cfi_table **out);

void cfi_table__free(struct cfi_table *t);

const struct cprof_unwind_row *cfi_table__rows(const struct cfi_table *t, size_t *n_rows);
const uint32_t *cfi_table__pages(const struct cfi_table *t, size_t *n_pages);
/* Subtracted from ELF virtual addresses to give row pcs. */
uint64_t cfi_table__base(const struct cfi_table *t);
const struct cfi_stats *cfi_table__stats(const struct cfi_table *t);

/* The row covering ELF virtual address vaddr (an END row where no FDE does), or NULL below
 * the table's base. The BPF unwinder mirrors this search (see CFI_PAGE_SHIFT). */
const struct cprof_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr);

/* Loads <dir>/<build_id>.cfi. Returns 0, -ENOENT (not cached), -EINVAL (a corrupt,
 * truncated or foreign file, or one of another format version: the caller rebuilds and
 * stores over it) or -EPERM (not a regular file owned by this process's effective user: a
 * symlink, a FIFO, another user's file; never read). build_id is lowercase hex, 2 to 64
 * characters. */
int cfi_cache__load(const char *dir, const char *build_id, struct cfi_table **out);

/* The same on an open cache file (fuzzing, tests), which must be a regular file of ours. */
int cfi_cache__load_fd(int fd, const char *build_id, struct cfi_table **out);

/* Writes t as <dir>/<build_id>.cfi atomically (temporary file + rename), mode 0600. */
int cfi_cache__store(const char *dir, const char *build_id, const struct cfi_table *t);

/* The table of the object open on fd: from the cache when dir and build_id are given and a
 * valid file exists, else built (and then stored; a failed store is not an error).
 * Returns what cfi_table__build returns. */
int cfi_cache__get(const char *dir, const char *build_id, int fd, int debug_fd, int sym_fd,
		   struct cfi_table **out);

#endif
