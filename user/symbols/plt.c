/* See plt.h. Like binutils (elf_x86_64_get_synthetic_symtab), stubs are named by decoding
 * them rather than by their index in .rela.plt: the entry's `jmp *disp(%rip)` names a
 * GOT slot, and the relocation that fills that slot names the function. This covers the
 * lazy PLT, the IBT PLT (.plt.sec, where .plt only holds lazy-binding code), the
 * non-lazy .plt.got and -z now layouts alike, without knowing which one the linker chose.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "symbols/plt.h"
#include "util/arena.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

/* Real objects have a few thousand PLT relocations; this bounds hostile ones. */
#define PLT_MAX_RELOCS (1u << 20)
#define PLT_MAX_NAME 4096

struct got_slot {
	uint64_t addr;
	const char *name;	/* libelf's string; NULL for IRELATIVE */
	int64_t addend;		/* IRELATIVE: the resolver's address */
};

struct slots {
	struct got_slot *v;
	size_t n, cap;
};

/* The symbol name of dynamic symbol idx of table symtab (a section index), or NULL. */
static const char *dynsym_name(const struct elf_file *f, size_t symtab, size_t idx)
{
	Elf_Data *d = elf_file__data(f, symtab);
	GElf_Sym sym;

	if (!d || idx > INT32_MAX || idx >= d->d_size / sizeof(Elf64_Sym) ||
	    !gelf_getsym(d, (int)idx, &sym) || !sym.st_name)
		return NULL;
	return elf_file__str(f, f->secs[symtab].link, sym.st_name);
}

/* Adds the GOT slots that relocation section idx fills with a function address. */
static int slots__add_relocs(struct slots *s, const struct elf_file *f, size_t idx)
{
	uint32_t link = f->secs[idx].link;
	bool has_syms = link && link < f->shnum && f->secs[link].type == SHT_DYNSYM;
	Elf_Data *d = elf_file__data(f, idx);
	size_t i, n;
	int err = 0;

	if (!d || !d->d_buf)
		return 0;
	n = d->d_size / sizeof(Elf64_Rela);
	for (i = 0; i < n && s->n < PLT_MAX_RELOCS && !err; i++) {
		struct got_slot g = { 0 };
		GElf_Rela r;
		uint32_t type;

		if (!gelf_getrela(d, (int)i, &r))
			break;
		type = GELF_R_TYPE(r.r_info);
		g.addr = r.r_offset;
		if (type == R_X86_64_IRELATIVE) {
			g.addend = r.r_addend;
		} else if ((type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT) && has_syms) {
			g.name = dynsym_name(f, link, GELF_R_SYM(r.r_info));
			if (!g.name || !g.name[0])
				continue;
		} else {
			continue;
		}
		err = VEC_PUSH(s->v, s->n, s->cap, g);
	}
	return err;
}

static int slot_cmp(const void *pa, const void *pb)
{
	const struct got_slot *a = pa, *b = pb;

	return CMP3(a->addr, b->addr);
}

#define SLOT_ADDR(g) ((g)->addr)

static const struct got_slot *slots__find(const struct slots *s, uint64_t addr)
{
	size_t i = LOWER_BOUND(s->v, s->n, SLOT_ADDR, addr);

	return i < s->n && s->v[i].addr == addr ? &s->v[i] : NULL;
}

/* The GOT slot an entry jumps through: `[endbr64] [bnd] jmp *disp32(%rip)` at its start.
 * PLT0 (`push GOT+8; jmp *GOT+16`) and IBT lazy entries (`endbr64; push n; bnd jmp PLT0`)
 * do not match. */
static bool entry_slot(const unsigned char *p, size_t len, uint64_t addr, uint64_t *slot)
{
	size_t i = 0;
	int32_t disp;

	if (len >= 4 && !memcmp(p, "\xf3\x0f\x1e\xfa", 4))
		i = 4;
	if (i < len && p[i] == 0xf2)
		i++;
	if (len < 6 || i > len - 6 || p[i] != 0xff || p[i + 1] != 0x25)
		return false;
	memcpy(&disp, p + i + 2, sizeof(disp));
	*slot = addr + i + 6 + (uint64_t)(int64_t)disp;
	return true;
}

static const char *slot_name(struct arena *a, const struct got_slot *g)
{
	char buf[PLT_MAX_NAME];
	int len;

	if (g->name)
		len = snprintf(buf, sizeof(buf), "%s@plt", g->name);
	else
		len = snprintf(buf, sizeof(buf), "*ABS*+0x%llx@plt", (unsigned long long)g->addend);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return "[plt]";
	return arena__strdup(a, buf, (size_t)len);
}

/* Names the entries of PLT section idx; consecutive unnamed entries become one "[plt]". */
static int plt__section(const struct elf_file *f, size_t idx, const struct slots *s,
			struct arena *a, plt_cb cb, void *ctx)
{
	const struct sec_info *sec = &f->secs[idx];
	Elf_Data *d = elf_file__data(f, idx);
	uint64_t ent = 16, off, unnamed = 0, unnamed_start = 0;
	GElf_Shdr sh;
	int err = 0;

	if (!d || !d->d_buf || !gelf_getshdr(elf_getscn(f->elf, idx), &sh))
		return 0;
	if (sh.sh_entsize == 8 || sh.sh_entsize == 16)
		ent = sh.sh_entsize;
	for (off = 0; off + ent <= d->d_size && !err; off += ent) {
		uint64_t addr = sec->addr + off, slot;
		const struct got_slot *g = NULL;
		const char *name;

		if (entry_slot((const unsigned char *)d->d_buf + off, ent, addr, &slot))
			g = slots__find(s, slot);
		if (!g) {
			if (!unnamed++)
				unnamed_start = addr;
			continue;
		}
		if (unnamed)
			err = cb(ctx, unnamed_start, unnamed * ent, "[plt]");
		unnamed = 0;
		name = err ? NULL : slot_name(a, g);
		if (!err && !name)
			err = -ENOMEM;
		if (!err)
			err = cb(ctx, addr, ent, name);
	}
	if (!err && unnamed)
		err = cb(ctx, unnamed_start, unnamed * ent, "[plt]");
	return err;
}

int plt__symbols(const struct elf_file *f, struct arena *a, plt_cb cb, void *ctx)
{
	struct slots s = { 0 };
	GElf_Ehdr eh;
	size_t i;
	int err = 0;

	if (!gelf_getehdr(f->elf, &eh) || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	for (i = 1; i < f->shnum && !err; i++)
		if (f->secs[i].type == SHT_RELA)
			err = slots__add_relocs(&s, f, i);
	if (err)
		goto out;
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), slot_cmp);
	for (i = 1; i < f->shnum && !err; i++) {
		const char *name;

		if (f->secs[i].type != SHT_PROGBITS || !(f->secs[i].flags & SHF_EXECINSTR))
			continue;
		name = elf_file__section_name(f, i);
		if (name && !strncmp(name, ".plt", 4))
			err = plt__section(f, i, &s, a, cb, ctx);
	}
out:
	free(s.v);
	return err;
}
