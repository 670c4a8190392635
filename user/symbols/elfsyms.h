/* Walking an ELF symbol table (.symtab, .dynsym) of a checked elf_file, written once for
 * every reader: function tables, data symbols, single symbols looked up by name. */
#ifndef CPROF_ELFSYMS_H
#define CPROF_ELFSYMS_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* One symbol: its section index (extended indexes resolved; SHN_UNDEF for the reserved
 * ones) and its name (NULL when it has none). A non-zero return stops the walk. */
typedef int (*elfsyms_fn)(void *ctx, const GElf_Sym *sym, size_t shndx, const char *name);

/* Calls fn for the symbols (from index 1, unreadable ones skipped) of f's first section of
 * type (SHT_SYMTAB or SHT_DYNSYM). Returns what fn returned to stop, 0 at the end, or
 * -ENOENT when there is no such table or its string table is unreadable. */
int elfsyms__walk(const struct elf_file *f, uint32_t type, elfsyms_fn fn, void *ctx);

#endif
