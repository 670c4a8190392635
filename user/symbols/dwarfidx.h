/* DWARF of one object, indexed for many lookups: file, line and the chain of inlined
 * functions at an address. Nothing is read per address: the compile units' address ranges
 * are read at open, and a unit's functions and inlined calls are flattened once, on the
 * first lookup that falls in it, into a sorted table of disjoint ranges. */
#ifndef CPROF_DWARFIDX_H
#define CPROF_DWARFIDX_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dwarf_index;

struct dwarf_frame {
	const char *name;		/* demangled (C++) or as written; NULL if unnamed */
	const char *system_name;	/* linkage name, or the name */
	const char *file;		/* NULL if unknown */
	int64_t line;			/* 0 if unknown */
	int64_t decl_line;		/* the function's first line, 0 if unknown */
};

/* Indexes the DWARF of elf, which must stay open until dwarf_index__free. Returns 0,
 * -ENOENT when elf has no usable .debug_info/.debug_line, -ENOMEM. Debug sections must
 * already be checked against the file size (they are read whole, decompressed). */
int dwarf_index__open(Elf *elf, struct dwarf_index **out);
void dwarf_index__free(struct dwarf_index *di);

/* The libdw handle the index reads, for other questions about the same DWARF (valid until
 * dwarf_index__free). */
Dwarf *dwarf_index__dwarf(const struct dwarf_index *di);

/* What the object offers, for pprof's Mapping.has_* flags. */
bool dwarf_index__has_lines(const struct dwarf_index *di);
bool dwarf_index__has_functions(const struct dwarf_index *di);

/* The frames at addr, innermost first (frames[0] is the innermost inlined function, the
 * last the function that holds the code), at most max (the outermost is kept when the
 * chain is longer). A unit without function entries (assembly) gives one unnamed frame
 * with its line. *func_lo is the function's entry address (0 if unknown). Returns the
 * number of frames, 0 when no unit covers addr. Strings live until dwarf_index__free. */
size_t dwarf_index__lookup(struct dwarf_index *di, uint64_t addr, struct dwarf_frame *frames,
			   size_t max, uint64_t *func_lo);

#endif
