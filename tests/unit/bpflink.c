/* Links the programs of a BPF object as libbpf does; see bpflink.h. The relocation rules are
 * libbpf's (src/libbpf.c, bpf_program__record_reloc and bpf_object__reloc_code):
 *   call with a relocation    target = symbol value + (imm + 1) * 8, in .text
 *   call without one          target = own position + imm + 1, in the same section
 *   ld_imm64 with a relocation against a .text function or the .text section symbol
 *                             target = symbol value + imm (imm is in bytes)
 * and the target must be where a .text function starts. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpflink.h"
#include "elf/elffile.h"

#define INSN_SZ sizeof(struct bpf_insn)
#define NOT_PLACED SIZE_MAX

struct bpflink {
	struct bpflink_prog *progs;
	size_t n_progs;
	char **strings;		/* every name the programs point to */
	size_t n_strings;
};

/* An executable section: its instructions and, per instruction, the symbol its relocation
 * refers to (index + 1; 0: none). */
struct exec_sec {
	const struct bpf_insn *insns;
	size_t n;
	size_t *rel_sym;
};

/* A function symbol of an executable section. */
struct func_sym {
	size_t sec, first, n;	/* section index, instruction range in it */
	size_t name;		/* index into bpflink.strings */
};

struct reader {
	const char *path;
	struct elf_file ef;
	Elf_Data *symtab;
	size_t strndx, text;	/* .text: 0 if none */
	struct exec_sec *secs;	/* per section index; insns NULL if not executable */
	struct func_sym *funcs;
	size_t n_funcs;
	struct bpflink *bl;
};

/* One program being linked. */
struct linker {
	struct reader *r;
	struct bpflink_prog *p;
	size_t cap;
	size_t *base;		/* per func_sym: its first instruction in p, or NOT_PLACED */
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int read_sections(struct reader *r)
{
	size_t i;

	r->secs = calloc(r->ef.shnum, sizeof(*r->secs));
	if (!r->secs)
		return -ENOMEM;
	for (i = 1; i < r->ef.shnum; i++) {
		const struct sec_info *s = &r->ef.secs[i];
		const char *name = elf_file__section_name(&r->ef, i);
		Elf_Data *d;

		if (s->type != SHT_PROGBITS || !(s->flags & SHF_EXECINSTR))
			continue;
		d = elf_file__data(&r->ef, i);
		if (!d || d->d_size % INSN_SZ)
			return -ENOEXEC;
		r->secs[i].insns = d->d_buf;
		r->secs[i].n = d->d_size / INSN_SZ;
		r->secs[i].rel_sym = calloc(r->secs[i].n + 1, sizeof(*r->secs[i].rel_sym));
		if (!r->secs[i].rel_sym)
			return -ENOMEM;
		if (name && !strcmp(name, ".text"))
			r->text = i;
	}
	return 0;
}

/* Records the relocations of the executable sections, by instruction. */
static int read_relocs(struct reader *r)
{
	size_t i, k;

	for (i = 1; i < r->ef.shnum; i++) {
		GElf_Shdr sh;
		GElf_Rel rel;
		Elf_Data *d;
		struct exec_sec *s;

		if (r->ef.secs[i].type != SHT_REL ||
		    !gelf_getshdr(elf_getscn(r->ef.elf, i), &sh) || sh.sh_info >= r->ef.shnum)
			continue;
		s = &r->secs[sh.sh_info];
		if (!s->insns)
			continue;
		if (!(d = elf_file__data(&r->ef, i)))
			return -ENOEXEC;
		for (k = 0; gelf_getrel(d, (int)k, &rel); k++) {
			if (rel.r_offset % INSN_SZ || rel.r_offset / INSN_SZ >= s->n)
				return -ENOEXEC;
			s->rel_sym[rel.r_offset / INSN_SZ] = GELF_R_SYM(rel.r_info) + 1;
		}
	}
	return 0;
}

/* A copy of s owned by bl, as *idx into bl->strings. */
static int keep_string(struct bpflink *bl, const char *s, size_t *idx)
{
	char **grown = realloc(bl->strings, (bl->n_strings + 1) * sizeof(*bl->strings));

	if (!grown)
		return -ENOMEM;
	bl->strings = grown;
	if (!(bl->strings[bl->n_strings] = strdup(s)))
		return -ENOMEM;
	*idx = bl->n_strings++;
	return 0;
}

static int add_func(struct reader *r, const GElf_Sym *sym)
{
	const char *name = elf_file__str(&r->ef, r->strndx, sym->st_name);
	struct func_sym *f;
	void *grown;
	int err;

	if (!name || sym->st_value % INSN_SZ || sym->st_size % INSN_SZ || !sym->st_size ||
	    sym->st_value / INSN_SZ + sym->st_size / INSN_SZ > r->secs[sym->st_shndx].n)
		return -ENOEXEC;
	grown = realloc(r->funcs, (r->n_funcs + 1) * sizeof(*r->funcs));
	if (!grown)
		return -ENOMEM;
	r->funcs = grown;
	f = &r->funcs[r->n_funcs];
	f->sec = sym->st_shndx;
	f->first = sym->st_value / INSN_SZ;
	f->n = sym->st_size / INSN_SZ;
	if ((err = keep_string(r->bl, name, &f->name)))
		return err;
	r->n_funcs++;
	return 0;
}

static int read_funcs(struct reader *r)
{
	size_t i, symsec = elf_file__find_section(&r->ef, SHT_SYMTAB, NULL);
	GElf_Sym sym;
	int err;

	if (!symsec || !(r->symtab = elf_file__data(&r->ef, symsec)))
		return -ENOEXEC;
	r->strndx = r->ef.secs[symsec].link;
	for (i = 0; gelf_getsym(r->symtab, (int)i, &sym); i++) {
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx >= r->ef.shnum ||
		    !r->secs[sym.st_shndx].insns)
			continue;
		if ((err = add_func(r, &sym)))
			return err;
	}
	return 0;
}

/* The .text function starting at byte offset off, or n_funcs. */
static size_t text_func_at(const struct reader *r, uint64_t off)
{
	size_t i;

	for (i = 0; i < r->n_funcs; i++)
		if (r->funcs[i].sec == r->text && r->funcs[i].first * INSN_SZ == off)
			return i;
	return r->n_funcs;
}

static int link_error(const struct linker *l, size_t f, size_t k, const char *what,
		      long long off)
{
	fprintf(stderr, "bpflink: %s: program %s: instruction %zu of %s: %s %lld\n",
		base_name(l->r->path), l->p->name, k, l->r->bl->strings[l->r->funcs[f].name],
		what, off);
	return -EINVAL;
}

static bool is_ld_imm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* libbpf's sym_is_subprog(): an ld_imm64 against these takes a function's address. */
static bool is_text_sym(const struct reader *r, const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info), type = GELF_ST_TYPE(sym->st_info);

	return r->text && sym->st_shndx == r->text &&
	       ((bind == STB_LOCAL && type == STT_SECTION) ||
		((bind == STB_GLOBAL || bind == STB_WEAK) && type == STT_FUNC));
}

/* Where the instruction k of function f refers to, as a byte offset in section *sec; 0 if
 * it is not a code reference (kfunc calls are marked here), 1 if it is, or -EINVAL. */
static int ref_offset(struct linker *l, size_t f, size_t k, size_t *sec, long long *off)
{
	const struct func_sym *fs = &l->r->funcs[f];
	size_t at = fs->first + k, symi = l->r->secs[fs->sec].rel_sym[at];
	struct bpf_insn *in = &l->p->insns[l->base[f] + k];
	bool call = in->code == (BPF_JMP | BPF_CALL);
	GElf_Sym sym;

	if (!symi && !(call && in->src_reg == BPF_PSEUDO_CALL))
		return 0;
	if (!symi) {		/* a static function of the same section */
		*sec = fs->sec;
		*off = ((long long)at + in->imm + 1) * (long long)INSN_SZ;
		return 1;
	}
	if (!gelf_getsym(l->r->symtab, (int)(symi - 1), &sym))
		return link_error(l, f, k, "relocation against a bad symbol", (long long)symi - 1);
	if (call && sym.st_shndx == SHN_UNDEF) {
		in->src_reg = BPF_PSEUDO_KFUNC_CALL;
		return 0;
	}
	if (call && in->src_reg != BPF_PSEUDO_CALL)
		return link_error(l, f, k, "call relocation on a call of kind", in->src_reg);
	if (!call && (!is_ld_imm64(in) || !is_text_sym(l->r, &sym)))
		return 0;	/* a map, a global variable */
	*sec = sym.st_shndx;
	*off = (long long)sym.st_value +
	       (call ? ((long long)in->imm + 1) * (long long)INSN_SZ : in->imm);
	return 1;
}

static int append(struct linker *l, size_t f)
{
	const struct func_sym *fs = &l->r->funcs[f];
	struct bpflink_prog *p = l->p;
	void *grown;

	if (p->n_insns + fs->n > l->cap) {
		l->cap = (p->n_insns + fs->n) * 2;
		if (!(grown = realloc(p->insns, l->cap * INSN_SZ)))
			return -ENOMEM;
		p->insns = grown;
	}
	if (!(grown = realloc(p->funcs, (p->n_funcs + 1) * sizeof(*p->funcs))))
		return -ENOMEM;
	p->funcs = grown;
	p->funcs[p->n_funcs++] = (struct bpflink_func){ l->r->bl->strings[fs->name], p->n_insns };
	memcpy(p->insns + p->n_insns, l->r->secs[fs->sec].insns + fs->first, fs->n * INSN_SZ);
	l->base[f] = p->n_insns;
	p->n_insns += fs->n;
	return 0;
}

static int relocate(struct linker *l, size_t f);

/* Points the code reference at instruction k of function f, if it is one, at its target,
 * appending the target and relocating it first when it is not in the program yet: libbpf's
 * depth-first order. */
static int resolve(struct linker *l, size_t f, size_t k)
{
	size_t sec = 0, t, pc = l->base[f] + k;
	long long off = 0;
	int err = ref_offset(l, f, k, &sec, &off);

	if (err <= 0)
		return err;
	if (!sec || sec != l->r->text)
		return link_error(l, f, k, "refers outside .text, to section", (long long)sec);
	if (off < 0 || (t = text_func_at(l->r, (uint64_t)off)) == l->r->n_funcs)
		return link_error(l, f, k, "no .text function starts at byte", off);
	if (l->base[t] == NOT_PLACED && ((err = append(l, t)) || (err = relocate(l, t))))
		return err;
	l->p->insns[pc].imm = (int32_t)((long long)l->base[t] - (long long)pc - 1);
	if (is_ld_imm64(&l->p->insns[pc]))
		l->p->insns[pc].src_reg = BPF_PSEUDO_FUNC;
	return 0;
}

/* Resolves every code reference of function f, which is already appended. */
static int relocate(struct linker *l, size_t f)
{
	size_t k;
	int err;

	for (k = 0; k < l->r->funcs[f].n; k++) {
		if ((err = resolve(l, f, k)))
			return err;
		if (is_ld_imm64(&l->p->insns[l->base[f] + k]))
			k++;
	}
	return 0;
}

static int link_prog(struct reader *r, size_t f, struct bpflink_prog *p)
{
	struct linker l = { .r = r, .p = p };
	const char *sec = elf_file__section_name(&r->ef, r->funcs[f].sec);
	size_t i, idx;
	int err;

	p->name = r->bl->strings[r->funcs[f].name];
	if ((err = keep_string(r->bl, sec ? sec : "?", &idx)))
		return err;
	p->section = r->bl->strings[idx];
	if (!(l.base = malloc(r->n_funcs * sizeof(*l.base))))
		return -ENOMEM;
	for (i = 0; i < r->n_funcs; i++)
		l.base[i] = NOT_PLACED;
	err = append(&l, f);
	if (!err)
		err = relocate(&l, f);
	free(l.base);
	return err;
}

/* Every function outside .text is a program (libbpf refuses static ones there). */
static int link_all(struct reader *r)
{
	void *grown;
	size_t f;
	int err;

	for (f = 0; f < r->n_funcs; f++) {
		if (r->funcs[f].sec == r->text)
			continue;
		grown = realloc(r->bl->progs, (r->bl->n_progs + 1) * sizeof(*r->bl->progs));
		if (!grown)
			return -ENOMEM;
		r->bl->progs = grown;
		memset(&r->bl->progs[r->bl->n_progs], 0, sizeof(*r->bl->progs));
		if ((err = link_prog(r, f, &r->bl->progs[r->bl->n_progs++])))
			return err;
	}
	return 0;
}

static void reader_free(struct reader *r)
{
	size_t i;

	for (i = 0; r->secs && i < r->ef.shnum; i++)
		free(r->secs[i].rel_sym);
	free(r->secs);
	free(r->funcs);
	elf_file__close(&r->ef);
}

int bpflink__open(const char *path, struct bpflink **out)
{
	struct reader r = { .path = path };
	GElf_Ehdr eh;
	int fd, err;

	*out = NULL;
	if (!(r.bl = calloc(1, sizeof(*r.bl))))
		return -ENOMEM;
	if ((err = elf_file__open_regular(path, &fd)))
		goto out;
	if (elf_file__open(&r.ef, fd, true, NULL, 0) || !gelf_getehdr(r.ef.elf, &eh) ||
	    eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		err = -ENOEXEC;
		goto out;
	}
	if ((err = read_sections(&r)) || (err = read_relocs(&r)) || (err = read_funcs(&r)) ||
	    (err = link_all(&r)))
		goto out;
	*out = r.bl;
	r.bl = NULL;
out:
	reader_free(&r);
	bpflink__free(r.bl);
	return err;
}

void bpflink__free(struct bpflink *bl)
{
	size_t i;

	if (!bl)
		return;
	for (i = 0; i < bl->n_progs; i++) {
		free(bl->progs[i].insns);
		free(bl->progs[i].funcs);
	}
	for (i = 0; i < bl->n_strings; i++)
		free(bl->strings[i]);
	free(bl->progs);
	free(bl->strings);
	free(bl);
}

size_t bpflink__count(const struct bpflink *bl)
{
	return bl->n_progs;
}

const struct bpflink_prog *bpflink__prog(const struct bpflink *bl, size_t i)
{
	return i < bl->n_progs ? &bl->progs[i] : NULL;
}

const char *bpflink__func_name(const struct bpflink_prog *p, size_t start)
{
	size_t i;

	for (i = 0; i < p->n_funcs; i++)
		if (p->funcs[i].start == start)
			return p->funcs[i].name;
	return NULL;
}
