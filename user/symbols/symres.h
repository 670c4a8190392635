/* What symbolization answers: the frames of one address (function, file, line, the inline
 * chain) and what an object's symbols came from. Shared by the symbolizer and the per-object
 * tables it keeps. */
#ifndef CPROF_SYMRES_H
#define CPROF_SYMRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYM_MAX_FRAMES 64	/* inline chains past this keep their innermost and outermost */

struct sym_frame {
	const char *name;	/* demangled */
	const char *system_name;/* as in the symbol table (DWARF: the linkage name) */
	const char *file;	/* of the line; NULL if unknown */
	int64_t line;		/* 0 if unknown; in a caller, the line of the inlined call */
	int64_t start_line;	/* the function's first line, 0 if unknown */
};

/* Innermost first: frames[0] is the function the address is in (inlined callee when
 * there is inline information), frames[n-1] the outermost (real) function. */
struct sym_result {
	size_t n;
	struct sym_frame frames[SYM_MAX_FRAMES];
	uint64_t sym_start;	/* start (vaddr) of the outermost function, 0 if unknown */
};

/* What the object's symbols came from, for Mapping.has_* flags. */
struct sym_object_info {
	bool has_functions;	/* any symbol table, DWARF or Go table found */
	bool has_filenames;	/* DWARF line tables or Go's table */
	bool has_line_numbers;
	bool has_inline_frames;	/* DWARF functions, or Go's inline trees */
	const char *debug_file;	/* separate debuginfo used, NULL if none */
};
#endif
