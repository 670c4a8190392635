/* Go's function table (.gopclntab, Go 1.18 and later) as the unwind-table compiler reads it
 * (private to user/unwind): its functions by index, and each one's stack-pointer table
 * (pcsp), which gives the stack pointer's distance from the function's entry at every pc.
 * Everything here comes from the object and is untrusted: every offset is bounds-checked
 * and the decoding of the tables is capped (see gopcln__pcsp_begin).
 *
 * The layout is the Go runtime's (runtime/symtab.go, runtime2.go):
 *   pcHeader: magic u32 (0xfffffff0: Go 1.18-1.19, 0xfffffff1: 1.20+), two zero bytes,
 *             minLC u8 (the pc quantum), ptrSize u8, then u64 nfunc, nfiles, textStart and
 *             the offsets from the header of funcnametab, cutab, filetab, pctab, pclntab.
 *   pclntab:  functab[nfunc + 1] {entryoff u32, funcoff u32} sorted by entry, the last one
 *             the end of the text; _func at pclntab + funcoff: entryoff u32, nameoff i32,
 *             args, deferreturn, pcsp (its offset in pctab; 0: none), ... (u32 each).
 *   pc-value tables: pairs of varints (zigzag value delta, pc delta / minLC) from the
 *             function's entry, the value -1 before the first pair; a zero value delta
 *             after the first pair ends the table. */
#ifndef CPROF_CFI_GOPCLN_H
#define CPROF_CFI_GOPCLN_H

#include <stdbool.h>
#include <stdint.h>

struct gopcln {
	const uint8_t *d;	/* the section's bytes */
	uint64_t size;
	uint64_t nfunc;
	uint64_t text;		/* textStart: the ELF address of entry offset 0 (0 in the
				 * file of a position-independent binary) */
	uint64_t names, pctab, pcln;	/* offsets of funcnametab, pctab, pclntab in d */
	uint8_t quantum;	/* minLC */
	uint64_t budget;	/* pc-value pairs left to decode, over all functions */
};

struct gopcln_func {
	uint64_t lo, hi;	/* ELF addresses: [entry, the next function's entry) */
	const char *name;	/* NUL-terminated inside the section */
	uint32_t pcsp;		/* offset of its stack-pointer table in pctab; 0: none */
};

/* One function's stack-pointer table, decoded run by run. */
struct gopcln_iter {
	struct gopcln *t;
	uint64_t p, end;	/* the next pair, and the end of pctab, in d */
	uint64_t pc, hi;	/* where the next run starts; the function's end */
	int32_t value;
	bool first, done;
};

/* Checks the header of the table d[0 .. size) and fills *t. Returns 0, -ENOENT (not a Go
 * 1.18+ table) or -EINVAL (malformed). d must outlive *t. */
int gopcln__init(struct gopcln *t, const uint8_t *d, uint64_t size);

/* Function i (< t->nfunc) into *f. Returns 0 or -EINVAL (an offset outside the section,
 * an entry before the previous one's, or a name without its NUL). */
int gopcln__func(const struct gopcln *t, uint64_t i, struct gopcln_func *f);

/* Starts decoding f's stack-pointer table; false if it has none. */
bool gopcln__pcsp_begin(struct gopcln *t, const struct gopcln_func *f, struct gopcln_iter *it);

/* The next run: the stack pointer is *delta bytes below its value at entry over [*lo, *hi).
 * Runs are consecutive from f->lo, and the last one is extended to f->hi (the alignment
 * padding after the function's code, which its table does not cover). Returns false at
 * the end, where a malformed table ends too (what it described up to there stands), and
 * when t's budget of pairs (sized from the section in gopcln__init: real tables need far
 * fewer) is spent. */
bool gopcln__pcsp_next(struct gopcln_iter *it, uint64_t *lo, uint64_t *hi, int32_t *delta);

#endif
