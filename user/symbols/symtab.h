/* An object's function symbols as one sorted table of disjoint ranges: read from ELF
 * symbol tables (.symtab, .dynsym, MiniDebugInfo's) and PLT stubs, aliases folded to one
 * preferred name, labels inside functions dropped. Lookups are binary searches. */
#ifndef CPROF_SYMTAB_H
#define CPROF_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/search.h"

struct arena;
struct elf_file;
struct sym_cand;

/* A function: [start, end) in ELF virtual addresses. */
struct sym {
	uint64_t start, end;
	const char *system_name;
	const char *name;	/* demangled; NULL until first looked up (C++ only) */
};

/* Zero-initialized is empty. Candidates are collected, then symtab__finish makes syms. */
struct symtab {
	struct sym *syms;
	size_t n;
	struct sym_cand *cands;
	size_t n_cands, cap_cands;
};

/* Adds the function symbols of f's first section of type (SHT_SYMTAB or SHT_DYNSYM); f
 * must stay open until symtab__finish. Returns 0, -ENOENT when there is no such table,
 * -ENOMEM. */
int symtab__add_table(struct symtab *t, const struct elf_file *f, uint32_t type);
/* Adds f's PLT stubs (plt.h), named in a. Returns 0 or -ENOMEM. */
int symtab__add_plt(struct symtab *t, const struct elf_file *f, struct arena *a);
/* Folds the candidates into syms, their names copied into a. Returns 0 or -ENOMEM. */
int symtab__finish(struct symtab *t, struct arena *a);
void symtab__free(struct symtab *t);

#define SYM_START(s) ((s)->start)

/* The function covering vaddr, or NULL. */
static inline struct sym *symtab__find(const struct symtab *t, uint64_t vaddr)
{
	size_t i = UPPER_BOUND(t->syms, t->n, SYM_START, vaddr);

	return i && vaddr < t->syms[i - 1].end ? &t->syms[i - 1] : NULL;
}

#endif
