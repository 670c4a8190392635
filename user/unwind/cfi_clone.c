/* The gaps in the CFI of glibc's clone and clone3 (see cfi_clone.h): found by the shape of
 * the rows around them, kept only inside a function the object's symbols call clone. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "unwind/cfi_clone.h"
#include "unwind/cfi_dwarf.h"
#include "unwind/cfi_int.h"
#include "util/util.h"

/* glibc's names: __clone3 (internal: in .symtab only) with its alias clone3, and __clone
 * (exported) with its weak alias clone. */
static const char *const clone_names[] = { "__clone3", "clone3", "__clone", "clone" };

/* Distinct functions kept: glibc has two, each under two names. */
#define MAX_FUNCS 8

struct clone_funcs {
	uint64_t lo[MAX_FUNCS], hi[MAX_FUNCS];	/* ELF addresses, [lo, hi) */
	size_t n;
};

static int add_func(const GElf_Sym *sym, const char *name, void *arg)
{
	struct clone_funcs *f = arg;
	uint64_t hi;
	size_t i;

	if (GELF_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF ||
	    !sym->st_value || !sym->st_size ||
	    __builtin_add_overflow(sym->st_value, sym->st_size, &hi))
		return 0;
	for (i = 0; i < ARRAY_SIZE(clone_names) && strcmp(name, clone_names[i]); i++)
		;
	if (i == ARRAY_SIZE(clone_names))
		return 0;
	for (i = 0; i < f->n; i++)
		if (f->lo[i] == sym->st_value && f->hi[i] == hi)
			return 0;
	if (f->n == MAX_FUNCS)
		return 1;
	f->lo[f->n] = sym->st_value;
	f->hi[f->n++] = hi;
	return 0;
}

static void read_funcs(Elf *elf, int sym_fd, struct clone_funcs *f)
{
	Elf *sym_elf = NULL;

	cfi_elf__symbols(elf, SHT_SYMTAB, add_func, f);
	cfi_elf__symbols(elf, SHT_DYNSYM, add_func, f);
	if (sym_fd >= 0 && !cfi_fde__open_elf(sym_fd, &sym_elf))
		cfi_elf__symbols(sym_elf, SHT_SYMTAB, add_func, f);
	elf_end(sym_elf);
}

/* rows[k] is an END row after a CFA = rsp + 8k row and before one with an undefined return
 * address: the shape of the gap. */
static bool gap_shape(const struct cprof_unwind_row *r, size_t n, size_t k)
{
	return k > 0 && k + 1 < n && r[k].kind == CPROF_ROW_END &&
	       r[k - 1].kind == CPROF_ROW_CFA_RSP && r[k + 1].kind == CPROF_ROW_STOP;
}

/* Whether the gap rows[k] lies inside [lo, hi), after code that rows describe without a
 * break from lo on, and before the new thread's entry, also inside. */
static bool gap_in_func(const struct cprof_unwind_row *r, size_t k, uint64_t base,
			uint64_t lo, uint64_t hi)
{
	size_t j = k - 1;

	if (lo < base || lo - base >= r[k].pc || base + r[k + 1].pc >= hi)
		return false;
	/* The rows from the one covering lo to the gap. */
	while (j > 0 && r[j].pc > lo - base && r[j].kind != CPROF_ROW_END)
		j--;
	return r[j].kind != CPROF_ROW_END;
}

void cfi_clone__fix(Elf *elf, int sym_fd, uint64_t base, struct cfi_rows *rows)
{
	struct cprof_unwind_row *r = rows->rows;
	struct clone_funcs f = { .n = 0 };
	size_t k;

	for (k = 1; k < rows->n && !gap_shape(r, rows->n, k); k++)
		;
	if (k >= rows->n)
		return;
	read_funcs(elf, sym_fd, &f);
	for (; k < rows->n; k++) {
		if (!gap_shape(r, rows->n, k))
			continue;
		for (size_t i = 0; i < f.n; i++) {
			if (!gap_in_func(r, k, base, f.lo[i], f.hi[i]))
				continue;
			/* rsp is where it was at the syscall: the rule before the gap holds. */
			r[k].kind = CPROF_ROW_CLONE;
			r[k].cfa_off = r[k - 1].cfa_off;
			r[k].rbp_slot = r[k - 1].rbp_slot;
			break;
		}
	}
}
