// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See elfsyms.h. The table comes from the profiled process: its sections are bounded by
 * elf_file, names are read through libelf (which checks them against their section), and
 * the count is capped at what gelf_getsym can index. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "elf/elffile.h"
#include "symbols/elfsyms.h"

/* Extended section index of symbol i (tables of files with ≥ SHN_LORESERVE sections). */
static size_t sym_shndx(const GElf_Sym *sym, const Elf_Data *xdata, size_t i)
{
	Elf32_Word x;

	if (sym->st_shndx != SHN_XINDEX)
		return sym->st_shndx >= SHN_LORESERVE ? SHN_UNDEF : sym->st_shndx;
	if (!xdata || !xdata->d_buf || i >= xdata->d_size / sizeof(x))
		return SHN_UNDEF;
	memcpy(&x, (const char *)xdata->d_buf + i * sizeof(x), sizeof(x));
	return x;
}

int elfsyms__walk(const struct elf_file *f, uint32_t type, elfsyms_fn fn, void *ctx)
{
	size_t idx = elf_file__find_section(f, type, NULL), strndx, n, i, x;
	size_t entsize = gelf_fsize(f->elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Data *data, *xdata = NULL;
	int ret = 0;

	if (!idx || !entsize)
		return -ENOENT;
	strndx = f->secs[idx].link;
	data = elf_file__data(f, idx);
	if (!data || !data->d_buf || strndx >= f->shnum || f->secs[strndx].type != SHT_STRTAB ||
	    !elf_file__data(f, strndx))
		return -ENOENT;
	for (x = 1; x < f->shnum; x++)
		if (f->secs[x].type == SHT_SYMTAB_SHNDX && f->secs[x].link == idx)
			xdata = elf_file__data(f, x);
	n = data->d_size / entsize;
	if (n > INT_MAX) /* gelf_getsym takes an int */
		n = INT_MAX;
	for (i = 1; i < n && !ret; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		ret = fn(ctx, &sym, sym_shndx(&sym, xdata, i),
			 sym.st_name ? elf_strptr(f->elf, strndx, sym.st_name) : NULL);
	}
	return ret;
}
