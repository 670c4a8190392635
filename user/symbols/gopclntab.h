/* Go's own symbol and line tables (.gopclntab), which even a stripped Go binary keeps
 * because its runtime needs them for tracebacks: function names, file:line of every pc,
 * and the tree of calls the compiler inlined. Formats of Go 1.18-1.19 (magic 0xfffffff0)
 * and 1.20+ (0xfffffff1). All of it comes from the profiled binary: every offset and
 * count is checked against the table's bounds. */
#ifndef CPROF_GOPCLNTAB_H
#define CPROF_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gopclntab;

struct gopcln_frame {
	const char *name;	/* NULL if the table does not name it */
	const char *file;	/* NULL if unknown */
	int64_t line;		/* 0 if unknown */
	int64_t start_line;	/* Go 1.20+; 0 if unknown */
};

/* Parses a copy of the table (data, len: the .gopclntab section). gofunc_data is the
 * memory at the module's go:func.* base (vaddr gofunc), where the inline trees are; NULL
 * when unknown (no inline frames then). Returns 0, -EINVAL (not a table we read),
 * -ENOMEM. */
int gopclntab__open(const void *data, size_t len, const void *gofunc_data, size_t gofunc_len,
		    struct gopclntab **out);
void gopclntab__free(struct gopclntab *g);

/* Whether inline trees can be read. */
bool gopclntab__has_inlines(const struct gopclntab *g);

/* The frames at pc, innermost first (the last is the function holding the code), at most
 * max. *entry is the function's entry. Returns the number of frames, 0 if no function
 * covers pc. Strings live until gopclntab__free. */
size_t gopclntab__lookup(const struct gopclntab *g, uint64_t pc, struct gopcln_frame *frames,
			 size_t max, uint64_t *entry);

/* The go:func.* base of the module whose pcHeader is at vaddr pcheader, found in the
 * runtime's moduledata, which lies in .noptrdata (data, len: a section at vaddr base)
 * and points back at the pcHeader. For stripped binaries, which lack the go:func.*
 * symbol. Returns 0 or -ENOENT. */
int gopclntab__find_gofunc(const struct gopclntab *g, const void *data, size_t len,
			   uint64_t pcheader, uint64_t *gofunc);

/* The table of a Go ELF file (its .gopclntab section), with the inline trees when the
 * go:func.* base is found (its symbol, else the moduledata). Returns 0, -ENOENT (not
 * Go), -EINVAL, -ENOMEM. */
struct elf_file;
int gopclntab__open_elf(const struct elf_file *f, struct gopclntab **out);

#endif
