/* Address → function names, files, lines. See symbolizer.h.
 *
 * Per object (keyed by the struct object pointer, which the objcache keeps alive for the
 * whole run) everything is built on first use and kept: a sorted table of function
 * symbols (.symtab of the object, else .symtab of its separate debuginfo or its
 * MiniDebugInfo merged with its .dynsym, plus PLT stubs), the DWARF index (dwarfidx.h) of
 * the object or its debuginfo, else Go's tables (gopclntab.h). Lookups are binary
 * searches. Names live in one arena per object; C++ names are demangled on first lookup
 * only, since most symbols of a big library are never hit.
 *
 * Every file read here comes from (or is chosen by) the profiled process: headers are
 * checked against the file size before libelf allocates anything from them, counts are
 * capped, and a file that does not parse yields an empty table (-ENOENT), never a crash.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/arena.h"
#include "elf/debuginfo.h"
#include "symbols/demangle.h"
#include "symbols/dwarfidx.h"
#include "elf/elffile.h"
#include "symbols/gopclntab.h"
#include "symbols/kallsyms.h"
#include "elf/minidebug.h"
#include "proc/object.h"
#include "symbols/perfmap.h"
#include "symbols/plt.h"
#include "symbols/symbolizer.h"

/* Bounds on hostile input. libLLVM's .symtab has ~200k functions; 8M is far beyond any
 * real object and bounds memory at a few hundred MiB. */
#define SYM_MAX_SYMBOLS (1u << 23)
#define SYM_MAX_NAME 65536
/* A debug section read whole into memory (libLLVM's .debug_info is ~1 GiB). */
#define SYM_MAX_DEBUG_SECTION (4ull << 30)

static const char *const default_debug_dirs[] = { "/usr/lib/debug", NULL };

/* ---- per-object state ---- */

struct sym {
	uint64_t start, end;	/* [start, end) in ELF virtual addresses */
	const char *system_name;
	const char *name;	/* demangled; NULL until first looked up */
};

struct symobj {
	const struct object *obj;
	struct sym *syms;
	size_t n_syms;
	bool has_table;		/* a symbol table was found (own or debuginfo) */
	const char *debug_file;	/* arena; NULL if no separate debuginfo was used */
	struct dwarf_index *dw;	/* NULL without DWARF */
	struct gopclntab *go;	/* Go's tables, when there is no DWARF */
	struct elf_file dw_elf;	/* what dw reads: the object or its debuginfo */
	struct arena arena;
};

/* A process's JIT map, read once (pm NULL if it has none). */
struct pid_map {
	int pid;		/* 0: free slot */
	struct perfmap *pm;
};

struct symbolizer {
	char **debug_dirs;	/* NULL-terminated copy of the options' */
	char *kallsyms_path;
	bool verbose;
	struct symobj **objs;	/* open addressing on the object pointer */
	size_t objs_cap, objs_n;
	struct kallsyms *ks;
	bool ks_tried;
	struct pid_map *pms;	/* open addressing on the pid */
	size_t pms_cap, pms_n;
};

static void symobj__free(struct symobj *so)
{
	if (!so)
		return;
	free(so->syms);
	dwarf_index__free(so->dw);
	gopclntab__free(so->go);
	elf_file__close(&so->dw_elf);
	arena__free(&so->arena);
	free(so);
}

static void symbolizer__vlog(const struct symbolizer *s, const char *fmt, const char *a,
			     const char *b)
{
	if (!s->verbose)
		return;
	fprintf(stderr, "symbolizer: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
}


/* ---- building a table ---- */

/* A symbol read from a table, before duplicates at one address are folded. */
struct sym_cand {
	uint64_t start, size, sec_end;
	const char *name;	/* libelf's string, valid while the file is open */
	uint32_t rank;		/* lower is preferred, see sym_rank */
	bool sized_func;
};

struct symvec {
	struct sym_cand *v;
	size_t n, cap;
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

static int symvec__push(struct symvec *sv, const struct sym_cand *c)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 1024;
		struct sym_cand *v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = *c;
	return 0;
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

/* Adds the function symbols of f's first section of type (SHT_SYMTAB or SHT_DYNSYM).
 * Returns 0, -ENOENT when there is no such table, -ENOMEM. */
static int symvec__add_table(struct symvec *sv, const struct elf_file *f, uint32_t type)
{
	size_t idx = elf_file__find_section(f, type, NULL), strndx, n, i, x;
	Elf_Data *data, *xdata = NULL;
	size_t entsize = gelf_fsize(f->elf, ELF_T_SYM, 1, EV_CURRENT);
	int err = 0;

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
	for (i = 1; i < n && sv->n < SYM_MAX_SYMBOLS && !err; i++) {
		GElf_Sym sym;
		struct sym_cand c;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		name = sym.st_name ? elf_strptr(f->elf, strndx, sym.st_name) : NULL;
		if (sym_accept(f, &sym, sym_shndx(&sym, xdata, i), name, &c))
			err = symvec__push(sv, &c);
	}
	return err;
}

static int sym_cand_cmp(const void *pa, const void *pb)
{
	const struct sym_cand *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Folds aliases (the first of a run at one address is the preferred name; the largest
 * size wins) and drops unsized or NOTYPE symbols that lie inside a sized function: they
 * are labels within it (glibc's assembly has many), not functions of their own. */
static size_t symvec__fold(struct symvec *sv)
{
	uint64_t cover_end = 0;
	size_t i, out = 0;

	if (!sv->n)
		return 0;
	qsort(sv->v, sv->n, sizeof(*sv->v), sym_cand_cmp);
	for (i = 0; i < sv->n; i++) {
		struct sym_cand *c = &sv->v[i];

		if (out && sv->v[out - 1].start == c->start) {
			struct sym_cand *keep = &sv->v[out - 1];

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
		sv->v[out++] = *c;
	}
	return out;
}

/* Turns the candidates into so's final table; names are copied into the arena. A symbol
 * without size extends to the next symbol or the end of its section. */
static int symobj__finish(struct symobj *so, struct symvec *sv)
{
	size_t i, n = symvec__fold(sv);

	if (!n)
		return 0;
	so->syms = calloc(n, sizeof(*so->syms));
	if (!so->syms)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct sym_cand *c = &sv->v[i];
		struct sym *s = &so->syms[i];
		uint64_t next = i + 1 < n ? sv->v[i + 1].start : UINT64_MAX;

		s->start = c->start;
		s->end = c->size ? c->start + c->size : (next < c->sec_end ? next : c->sec_end);
		s->system_name = arena__strdup(&so->arena, c->name, strlen(c->name));
		if (!s->system_name)
			return -ENOMEM;
		/* Only C++ (Itanium ABI) names need the demangler. */
		s->name = strncmp(s->system_name, "_Z", 2) ? s->system_name : NULL;
		so->n_syms = i + 1;
	}
	return 0;
}

/* A PLT stub (plt.h): sized, and ranked as a global function. */
static int symvec__add_plt(void *ctx, uint64_t start, uint64_t size, const char *name)
{
	GElf_Sym sym = { .st_info = GELF_ST_INFO(STB_GLOBAL, STT_FUNC) };
	struct sym_cand c = {
		.start = start, .size = size, .sec_end = start + size, .name = name,
		.rank = sym_rank(&sym, name, strlen(name)), .sized_func = true,
	};

	return symvec__push(ctx, &c);
}

/* ---- per-object tables ---- */

/* Finds obj's separate debuginfo, opened into dbg. Returns 0, -ENOENT, -ENOMEM. */
static int symobj__find_debuginfo(const struct symbolizer *s, struct symobj *so,
				  const struct elf_file *own, struct elf_file *dbg)
{
	struct debuginfo_search ds = { (const char *const *)s->debug_dirs };
	char *path = malloc(PATH_MAX);
	int err = -ENOMEM;

	if (!path)
		goto out;
	err = debuginfo__find(&ds, so->obj, own, dbg, path);
	if (err)
		goto out;
	so->debug_file = arena__strdup(&so->arena, path, strlen(path));
	if (!so->debug_file) {
		elf_file__close(dbg);
		err = -ENOMEM;
	}
out:
	free(path);
	return err;
}

static int symobj__open(const struct object *obj, struct elf_file *own)
{
	if (obj->is_vdso && obj->vdso_image)
		return elf_file__open(own, -1, false, obj->vdso_image, obj->vdso_size);
	if (obj->fd >= 0)
		return elf_file__open(own, obj->fd, false, NULL, 0);
	return -ENOENT;
}

/* Without an own .symtab: the debuginfo's (richer), else MiniDebugInfo's (opened into
 * mini, image), each merged with the own .dynsym (which they lack: they hold what
 * stripping removed). Returns 0, -ENOENT when there is no table at all, -ENOMEM. */
static int symobj__add_fallback(struct symvec *sv, const struct elf_file *own,
				const struct elf_file *dbg, struct elf_file *mini, void **image)
{
	int err = dbg->elf ? symvec__add_table(sv, dbg, SHT_SYMTAB) : -ENOENT, dyn;

	if (err == -ENOENT && !own->image) {
		err = minidebug__open(own, mini, image);
		if (!err)
			err = symvec__add_table(sv, mini, SHT_SYMTAB);
	}
	dyn = symvec__add_table(sv, own, SHT_DYNSYM);
	if (err == -ENOMEM || dyn == -ENOMEM)
		return -ENOMEM;
	return err && dyn ? -ENOENT : 0;
}

/* Indexes f's DWARF and keeps f open for it (f is left closed). Files whose debug
 * sections would not fit in memory are skipped. */
static int symobj__open_dwarf(const struct symbolizer *s, struct symobj *so,
			      struct elf_file *f)
{
	int err = elf_file__check_debug(f, SYM_MAX_DEBUG_SECTION);

	if (!err)
		err = dwarf_index__open(f->elf, &so->dw);
	if (err) {
		symbolizer__vlog(s, "%s: %s, no file:line or inline frames",
				 f == &so->dw_elf || !so->debug_file ? so->obj->path : so->debug_file,
				 err == -ENOMEM ? strerror(ENOMEM) : "unusable DWARF");
		return err == -ENOMEM ? err : 0;
	}
	so->dw_elf = *f;
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	/* libdw has read the debug sections whole: a separate file's fd is not needed. */
	if (so->dw_elf.own_fd && so->dw_elf.fd >= 0) {
		elf_cntl(so->dw_elf.elf, ELF_C_FDDONE);
		close(so->dw_elf.fd);
		so->dw_elf.fd = -1;
	}
	return 0;
}

/* Symbols: the own .symtab if there is one, else symobj__add_fallback; PLT stubs always.
 * The files stay open until symobj__finish has copied the names.
 * DWARF: the object's own, else its separate debuginfo's; without DWARF, Go's tables. */
static int symobj__build(const struct symbolizer *s, struct symobj *so)
{
	struct elf_file own = { .fd = -1 }, dbg = { .fd = -1 }, mini = { .fd = -1 };
	struct symvec sv = { 0 };
	void *mini_image = NULL;
	bool own_dwarf;
	int err;

	err = symobj__open(so->obj, &own);
	if (err) {
		symbolizer__vlog(s, "%s: %s, no symbols", so->obj->path ? so->obj->path : "?",
				 err == -ENOENT ? "not a readable ELF file" : strerror(-err));
		err = err == -ENOMEM ? err : 0;
		goto out;
	}
	own_dwarf = elf_file__has_dwarf(&own);
	err = symvec__add_table(&sv, &own, SHT_SYMTAB);
	if ((err == -ENOENT || !own_dwarf) && !own.image &&
	    symobj__find_debuginfo(s, so, &own, &dbg) == -ENOMEM)
		err = -ENOMEM;
	if (err == -ENOENT)
		err = symobj__add_fallback(&sv, &own, &dbg, &mini, &mini_image);
	so->has_table = !err;
	if (err == -ENOENT)
		err = 0;
	if (!err)
		err = plt__symbols(&own, &so->arena, symvec__add_plt, &sv);
	if (!err)
		err = symobj__finish(so, &sv);
	if (!err && (own_dwarf || (dbg.elf && elf_file__has_dwarf(&dbg))))
		err = symobj__open_dwarf(s, so, own_dwarf ? &own : &dbg);
	if (!err && !so->dw && own.elf && gopclntab__open_elf(&own, &so->go) == -ENOMEM)
		err = -ENOMEM;
out:
	free(sv.v);
	elf_file__close(&mini);
	free(mini_image);
	elf_file__close(&dbg);
	elf_file__close(&own);
	return err;
}

static size_t ptr_hash(const void *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (cap - 1);
}

static int symbolizer__grow(struct symbolizer *s)
{
	size_t cap = s->objs_cap ? s->objs_cap * 2 : 64, i, j;
	struct symobj **objs = calloc(cap, sizeof(*objs));

	if (!objs)
		return -ENOMEM;
	for (i = 0; i < s->objs_cap; i++) {
		if (!s->objs[i])
			continue;
		for (j = ptr_hash(s->objs[i]->obj, cap); objs[j]; j = (j + 1) & (cap - 1))
			;
		objs[j] = s->objs[i];
	}
	free(s->objs);
	s->objs = objs;
	s->objs_cap = cap;
	return 0;
}

/* The table of obj, built on first use. A file without symbols still gets an (empty)
 * entry so it is not read again. */
static int symbolizer__get(struct symbolizer *s, const struct object *obj, struct symobj **sop)
{
	struct symobj *so = NULL;
	size_t j;
	int err = 0;

	if (s->objs_cap) {
		for (j = ptr_hash(obj, s->objs_cap); s->objs[j]; j = (j + 1) & (s->objs_cap - 1))
			if (s->objs[j]->obj == obj) {
				*sop = s->objs[j];
				return 0;
			}
	}
	if ((s->objs_n + 1) * 2 > s->objs_cap && (err = symbolizer__grow(s)))
		goto out;
	so = calloc(1, sizeof(*so));
	if (!so) {
		err = -ENOMEM;
		goto out;
	}
	so->obj = obj;
	err = symobj__build(s, so);
	if (err)
		goto out;
	for (j = ptr_hash(obj, s->objs_cap); s->objs[j]; j = (j + 1) & (s->objs_cap - 1))
		;
	s->objs[j] = so;
	s->objs_n++;
	*sop = so;
	so = NULL;
out:
	symobj__free(so);
	return err;
}

static struct sym *symobj__find(struct symobj *so, uint64_t vaddr)
{
	size_t lo = 0, hi = so->n_syms;

	/* First symbol starting after vaddr; the one before it is the candidate. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (so->syms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= so->syms[lo - 1].end)
		return NULL;
	return &so->syms[lo - 1];
}

static const char *symobj__name(struct symobj *so, struct sym *sym)
{
	if (sym->name)
		return sym->name;
	sym->name = demangle__cxx(&so->arena, sym->system_name);
	/* Not demangleable (or no memory): the mangled name is still a useful name. */
	if (!sym->name)
		sym->name = sym->system_name;
	return sym->name;
}

/* The outermost frame of res (whose function starts at entry) takes the symbol table's
 * name when the symbol starts at that entry: the name users know (malloc, not glibc's
 * __GI___libc_malloc), and the one profiles without debuginfo show. A split part
 * (foo.cold) has no symbol at foo's entry and so counts as foo. Unnamed code (assembly
 * that DWARF gives lines for) takes the symbol's name too. */
static void symobj__outer(struct symobj *so, struct sym *sym, uint64_t entry,
			  struct sym_result *res)
{
	struct sym_frame *outer = &res->frames[res->n - 1];

	if (sym && (!outer->name || sym->start == entry)) {
		outer->name = symobj__name(so, sym);
		outer->system_name = sym->system_name;
	}
	res->sym_start = sym ? sym->start : entry;
}

/* DWARF's frames at vaddr, if it covers it, named as addr2line names them (but see
 * symobj__outer). */
static bool symobj__dwarf(struct symobj *so, struct sym *sym, uint64_t vaddr,
			  struct sym_result *res)
{
	struct dwarf_frame df[SYM_MAX_FRAMES];
	uint64_t func_lo;
	size_t n, i;

	n = dwarf_index__lookup(so->dw, vaddr, df, SYM_MAX_FRAMES, &func_lo);
	if (!n || (!sym && !df[n - 1].name))
		return false;
	for (i = 0; i < n; i++)
		res->frames[i] = (struct sym_frame){
			.name = df[i].name, .system_name = df[i].system_name,
			.file = df[i].file, .line = df[i].line, .start_line = df[i].decl_line,
		};
	res->n = n;
	symobj__outer(so, sym, func_lo, res);
	return true;
}

/* The same from .gopclntab, for Go binaries without DWARF. */
static bool symobj__go(struct symobj *so, struct sym *sym, uint64_t vaddr,
		       struct sym_result *res)
{
	struct gopcln_frame gf[SYM_MAX_FRAMES];
	uint64_t entry;
	size_t n, i;

	n = gopclntab__lookup(so->go, vaddr, gf, SYM_MAX_FRAMES, &entry);
	if (!n || (!sym && !gf[n - 1].name))
		return false;
	for (i = 0; i < n; i++)
		res->frames[i] = (struct sym_frame){
			.name = gf[i].name, .system_name = gf[i].name,
			.file = gf[i].file, .line = gf[i].line, .start_line = gf[i].start_line,
		};
	res->n = n;
	symobj__outer(so, sym, entry, res);
	return true;
}

int symbolizer__resolve(struct symbolizer *s, struct object *obj, uint64_t vaddr,
			struct sym_result *res)
{
	struct symobj *so;
	struct sym *sym;
	int err;

	memset(res, 0, sizeof(*res));
	err = symbolizer__get(s, obj, &so);
	if (err)
		return err;
	sym = symobj__find(so, vaddr);
	if (so->dw && symobj__dwarf(so, sym, vaddr, res))
		return 0;
	if (so->go && symobj__go(so, sym, vaddr, res))
		return 0;
	if (!sym)
		return -ENOENT;
	res->n = 1;
	res->frames[0].name = symobj__name(so, sym);
	res->frames[0].system_name = sym->system_name;
	res->sym_start = sym->start;
	return 0;
}

int symbolizer__object_info(struct symbolizer *s, struct object *obj, struct sym_object_info *info)
{
	struct symobj *so;
	int err;

	memset(info, 0, sizeof(*info));
	err = symbolizer__get(s, obj, &so);
	if (err)
		return err;
	info->has_functions = (so->has_table && so->n_syms > 0) ||
			      dwarf_index__has_functions(so->dw) || so->go;
	info->has_filenames = info->has_line_numbers = dwarf_index__has_lines(so->dw) || so->go;
	info->has_inline_frames = dwarf_index__has_functions(so->dw) ||
				  gopclntab__has_inlines(so->go);
	info->debug_file = so->debug_file;
	return 0;
}

struct Dwarf *symbolizer__dwarf(struct symbolizer *s, const struct object *obj)
{
	struct symobj *so;

	return symbolizer__get(s, obj, &so) ? NULL : dwarf_index__dwarf(so->dw);
}

/* ---- JIT maps ---- */

static size_t pid_slot(int pid, size_t cap)
{
	return (size_t)(((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static int symbolizer__grow_pms(struct symbolizer *s)
{
	size_t cap = s->pms_cap ? s->pms_cap * 2 : 32, i, j;
	struct pid_map *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->pms_cap; i++) {
		if (!s->pms[i].pid)
			continue;
		for (j = pid_slot(s->pms[i].pid, cap); v[j].pid; j = (j + 1) & (cap - 1))
			;
		v[j] = s->pms[i];
	}
	free(s->pms);
	s->pms = v;
	s->pms_cap = cap;
	return 0;
}

/* pid's map, read on first use; NULL if it has none. */
static struct perfmap *symbolizer__perfmap(struct symbolizer *s, int pid)
{
	char what[64];
	size_t j;

	if (s->pms_cap)
		for (j = pid_slot(pid, s->pms_cap); s->pms[j].pid; j = (j + 1) & (s->pms_cap - 1))
			if (s->pms[j].pid == pid)
				return s->pms[j].pm;
	if ((s->pms_n + 1) * 2 > s->pms_cap && symbolizer__grow_pms(s))
		return NULL;
	for (j = pid_slot(pid, s->pms_cap); s->pms[j].pid; j = (j + 1) & (s->pms_cap - 1))
		;
	s->pms[j].pid = pid;
	s->pms[j].pm = perfmap__load(pid);
	s->pms_n++;
	snprintf(what, sizeof(what), "pid %d: /tmp/perf-PID.map", pid);
	if (!s->pms[j].pm && errno != ENOENT)
		symbolizer__vlog(s, "%s: %s, JIT frames stay unnamed", what, strerror(errno));
	return s->pms[j].pm;
}

int symbolizer__resolve_perfmap(struct symbolizer *s, int pid, uint64_t addr,
				struct sym_result *res)
{
	struct perfmap *pm;
	const char *name;
	uint64_t start;

	memset(res, 0, sizeof(*res));
	if (pid <= 0 || !(pm = symbolizer__perfmap(s, pid)) ||
	    perfmap__find(pm, addr, &name, &start))
		return -ENOENT;
	res->n = 1;
	res->frames[0].name = res->frames[0].system_name = name;
	res->sym_start = start;
	return 0;
}

/* ---- kernel ---- */

int symbolizer__resolve_kernel(struct symbolizer *s, uint64_t addr, struct sym_result *res,
			       const char **module)
{
	const char *name, *mod;
	uint64_t start;

	memset(res, 0, sizeof(*res));
	*module = "";
	if (!s->ks_tried) {
		const char *path = s->kallsyms_path ? s->kallsyms_path : "/proc/kallsyms";

		s->ks_tried = true;
		s->ks = kallsyms__load(path);
		if (!s->ks)
			symbolizer__vlog(s, "%s: %s, kernel frames stay unsymbolized", path,
					 strerror(errno));
	}
	if (!s->ks || kallsyms__find(s->ks, addr, &name, &start, &mod))
		return -ENOENT;
	res->n = 1;
	res->frames[0].name = name;
	res->frames[0].system_name = name;
	res->sym_start = start;
	*module = mod ? mod : "";
	return 0;
}

/* ---- lifetime ---- */

static void free_strv(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

static char **dup_strv(const char *const *v)
{
	size_t n = 0, i;
	char **out;

	while (v[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (i = 0; out && i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			free_strv(out);
			return NULL;
		}
	}
	return out;
}

struct symbolizer *symbolizer__new(const struct symbolizer_opts *opts)
{
	const struct symbolizer_opts none = { 0 };
	struct symbolizer *s;

	if (!opts)
		opts = &none;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->verbose = opts->verbose;
	s->debug_dirs = dup_strv(opts->debug_dirs ? opts->debug_dirs : default_debug_dirs);
	if (opts->kallsyms_path)
		s->kallsyms_path = strdup(opts->kallsyms_path);
	if (!s->debug_dirs || (opts->kallsyms_path && !s->kallsyms_path)) {
		symbolizer__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->objs_cap; i++)
		symobj__free(s->objs[i]);
	free(s->objs);
	for (i = 0; i < s->pms_cap; i++)
		perfmap__free(s->pms[i].pm);
	free(s->pms);
	kallsyms__free(s->ks);
	free_strv(s->debug_dirs);
	free(s->kallsyms_path);
	free(s);
}
