// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See symtab.h. Every table read here comes from (or is chosen by) the profiled process:
 * counts and name lengths are capped, section indexes checked, and a table that does not
 * parse adds nothing. */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "symbols/elfsyms.h"
#include "symbols/plt.h"
#include "symbols/symtab.h"
#include "util/arena.h"
#include "util/util.h"
#include "util/vec.h"

/* Bounds on hostile input. libLLVM's .symtab has ~200k functions; 8M is far beyond any
 * real object and bounds memory at a few hundred MiB. */
#define SYM_MAX_SYMBOLS (1u << 23)
#define SYM_MAX_NAME 65536

/* A symbol read from a table, before duplicates at one address are folded. */
struct sym_cand {
	uint64_t start, size, sec_end;
	const char *name;	/* libelf's string, valid while the file is open */
	uint32_t rank;		/* lower is preferred, see sym_rank */
	bool sized_func;
};

/* Preference among names at one address, for stable and readable profiles:
 * non-LOCAL first (aliases are exported under their public name), FUNC/IFUNC over NOTYPE,
 * unversioned over "name@VERSION", fewer leading underscores (glibc exports `puts`
 * as a WEAK alias of the GLOBAL `_IO_puts`, and `malloc` beside `__libc_malloc`),
 * then GLOBAL over WEAK, then the shorter name; ties are broken by strcmp. */
static uint32_t sym_rank(const GElf_Sym *sym, const char *name, size_t len)
{
	unsigned bind = GELF_ST_BIND(sym->st_info), us = 0;

	while (us < 15 && name[us] == '_')
		us++;
	return (uint32_t)(bind == STB_LOCAL) << 20 |
	       (uint32_t)(GELF_ST_TYPE(sym->st_info) == STT_NOTYPE) << 19 |
	       (uint32_t)(strchr(name, '@') != NULL) << 18 | us << 14 |
	       (uint32_t)(bind == STB_WEAK) << 13 | (uint32_t)(len < 8191 ? len : 8191);
}

static int symtab__push(struct symtab *t, const struct sym_cand *c)
{
	return VEC_PUSH(t->cands, t->n_cands, t->cap_cands, *c);
}

/* Whether sym is code we can attribute samples to; fills c. */
static bool sym_accept(const struct elf_file *f, const GElf_Sym *sym, size_t shndx,
		       const char *name, struct sym_cand *c)
{
	unsigned type = GELF_ST_TYPE(sym->st_info), bind = GELF_ST_BIND(sym->st_info);
	const struct sec_info *sec;
	size_t len;

	if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
		return false;
	if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK &&
	    bind != STB_GNU_UNIQUE)
		return false;
	if (!name || !name[0] || shndx == SHN_UNDEF || shndx >= f->shnum)
		return false;
	sec = &f->secs[shndx];
	/* Executable sections only: a debuginfo file keeps the flags of the sections it
	 * emptied (SHT_NOBITS), so this works for it too. Symbols at or past their
	 * section's end are markers such as __etext. */
	if (!(sec->flags & SHF_EXECINSTR) || sym->st_value < sec->addr ||
	    sym->st_value >= sec->end)
		return false;
	/* Assembler local labels and mapping symbols are not functions. */
	if (type == STT_NOTYPE && (name[0] == '$' || !strncmp(name, ".L", 2)))
		return false;
	len = strnlen(name, SYM_MAX_NAME);
	if (len == SYM_MAX_NAME)
		return false;
	c->start = sym->st_value;
	c->sec_end = sec->end;
	c->size = sym->st_size < sec->end - c->start ? sym->st_size : sec->end - c->start;
	c->name = name;
	c->rank = sym_rank(sym, name, len);
	c->sized_func = c->size && type != STT_NOTYPE;
	return true;
}

struct table_walk {
	struct symtab *t;
	const struct elf_file *f;
};

/* Symbols past SYM_MAX_SYMBOLS stop the walk (1), which is not an error. */
static int add_sym(void *ctx, const GElf_Sym *sym, size_t shndx, const char *name)
{
	struct table_walk *w = ctx;
	struct sym_cand c;

	if (w->t->n_cands >= SYM_MAX_SYMBOLS)
		return 1;
	return sym_accept(w->f, sym, shndx, name, &c) ? symtab__push(w->t, &c) : 0;
}

int symtab__add_table(struct symtab *t, const struct elf_file *f, uint32_t type)
{
	struct table_walk w = { t, f };
	int err = elfsyms__walk(f, type, add_sym, &w);

	return err > 0 ? 0 : err;
}

static int sym_cand_cmp(const void *pa, const void *pb)
{
	const struct sym_cand *a = pa, *b = pb;

	if (a->start != b->start)
		return CMP3(a->start, b->start);
	return a->rank != b->rank ? CMP3(a->rank, b->rank) : strcmp(a->name, b->name);
}

/* Folds aliases (the first of a run at one address is the preferred name; the largest
 * size wins) and drops unsized or NOTYPE symbols that lie inside a sized function: they
 * are labels within it (glibc's assembly has many), not functions of their own. */
static size_t symtab__fold(struct symtab *t)
{
	uint64_t cover_end = 0;
	size_t i, out = 0;

	if (!t->n_cands)
		return 0;
	qsort(t->cands, t->n_cands, sizeof(*t->cands), sym_cand_cmp);
	for (i = 0; i < t->n_cands; i++) {
		struct sym_cand *c = &t->cands[i];

		if (out && t->cands[out - 1].start == c->start) {
			struct sym_cand *keep = &t->cands[out - 1];

			if (c->size > keep->size) {
				keep->size = c->size;
				keep->sized_func = true;
				if (keep->start + keep->size > cover_end)
					cover_end = keep->start + keep->size;
			}
			continue;
		}
		if (!c->sized_func && c->start < cover_end)
			continue;
		if (c->sized_func && c->start + c->size > cover_end)
			cover_end = c->start + c->size;
		t->cands[out++] = *c;
	}
	return out;
}

/* A symbol without size extends to the next symbol or the end of its section. */
int symtab__finish(struct symtab *t, struct arena *a)
{
	size_t i, n = symtab__fold(t);
	int err = 0;

	if (n && !(t->syms = calloc(n, sizeof(*t->syms))))
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		const struct sym_cand *c = &t->cands[i];
		struct sym *s = &t->syms[i];
		uint64_t next = i + 1 < n ? t->cands[i + 1].start : UINT64_MAX;

		s->start = c->start;
		s->end = c->size ? c->start + c->size : (next < c->sec_end ? next : c->sec_end);
		s->system_name = arena__strdup(a, c->name, strlen(c->name));
		if (!s->system_name) {
			err = -ENOMEM;
			break;
		}
		/* Only C++ (Itanium ABI) names need the demangler. */
		s->name = strncmp(s->system_name, "_Z", 2) ? s->system_name : NULL;
		t->n = i + 1;
	}
	free(t->cands);
	t->cands = NULL;
	t->n_cands = t->cap_cands = 0;
	return err;
}

/* A PLT stub: sized, and ranked as a global function. */
static int add_plt(void *ctx, uint64_t start, uint64_t size, const char *name)
{
	GElf_Sym sym = { .st_info = GELF_ST_INFO(STB_GLOBAL, STT_FUNC) };
	struct sym_cand c = {
		.start = start, .size = size, .sec_end = start + size, .name = name,
		.rank = sym_rank(&sym, name, strlen(name)), .sized_func = true,
	};

	return symtab__push(ctx, &c);
}

int symtab__add_plt(struct symtab *t, const struct elf_file *f, struct arena *a)
{
	return plt__symbols(f, a, add_plt, t);
}

void symtab__free(struct symtab *t)
{
	free(t->syms);
	free(t->cands);
	*t = (struct symtab){ 0 };
}
