/* Unwind rows for Go code, from what the Go runtime says about itself (.gopclntab).
 *
 * Go code on amd64 keeps frame pointers, but hand-written assembly may use rbp as a plain
 * register (crypto/sha256's block does), so the CFA comes from the stack pointer instead:
 * the runtime's function table holds, for every function, a table of the stack pointer's
 * distance from its value at entry (pcsp; cfi_gopcln.h), the same one Go's linker turns
 * into .debug_frame, and kept when a binary is stripped of that (-ldflags=-s -w). Three
 * things are missing from both: where rbp is saved (Go saves it just below the return
 * address, at CFA - 16), the runtime's stack switches (asmcgocall and systemstack move to
 * the system stack, time.now and nanotime1 call the vDSO there), and its thread roots and
 * signal return. cfi_go__fix adds them, by the names of the runtime's functions. Code in
 * Go's text without a table keeps the rows it had: its CFI, or frame pointers for an
 * object without CFI. */
#ifndef CPROF_CFI_GO_H
#define CPROF_CFI_GO_H

#include <stddef.h>
#include <stdint.h>
#include <gelf.h>

#include "cprof.h"

struct cfi_go;
struct cfi_rows;
struct cfi_stats;

/* Reads the function table of the Go object elf. Returns 0, -ENOENT (not a Go object, or
 * a table older than Go 1.18's), -EINVAL (malformed) or -ENOMEM. elf must outlive *out. */
int cfi_go__open(Elf *elf, struct cfi_go **out);
void cfi_go__free(struct cfi_go *g);

/* The ELF addresses of the object's Go code, [*lo, *hi). */
void cfi_go__text(const struct cfi_go *g, uint64_t *lo, uint64_t *hi);

/* Rewrites the rows of a table (sorted by pc, pcs relative to base, the first at 0 and the
 * last END; replaced by new ones) for Go code: over every function that has a
 * stack-pointer table, rows from it replace what was there, then the additions above.
 * Adds CFI_SRC_GO, and CFI_SRC_GO_PCSP if some function had a table, to stats->source.
 * Returns 0 or -ENOMEM (the rows are unchanged then). */
int cfi_go__fix(const struct cfi_go *g, uint64_t base, struct cfi_rows *rows,
		struct cfi_stats *stats);

#endif
