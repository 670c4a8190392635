// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Data symbols, see datasym.h. The files come from profiled processes: counts are capped and
 * a file that does not parse gives an empty table, never a crash. Only the few objects that
 * hold a contended lock are ever read, so objects are kept in a plain list. */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "symbols/datasym.h"
#include "symbols/dwvar.h"
#include "symbols/elfsyms.h"
#include "symbols/symbolizer.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

#define DATASYM_MAX (1u << 22)

struct dsym {
	uint64_t start, size;
	char *name;
};

struct dtable {
	uint64_t serial;		/* the object's: never reused, unlike its address */
	const struct object *obj;	/* valid only within a call passing it */
	struct dsym *v;
	size_t n;
	struct dwvars *vars;	/* NULL: no DWARF variables */
	bool vars_tried;
};

struct datasym {
	struct symbolizer *sym;
	struct dtable *t;
	size_t n, cap;
};

struct datasym *datasym__new(struct symbolizer *sym)
{
	struct datasym *ds;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOTSUP;
		return NULL;
	}
	ds = calloc(1, sizeof(struct datasym));
	if (ds)
		ds->sym = sym;
	return ds;
}

void datasym__free(struct datasym *ds)
{
	if (!ds)
		return;
	for (size_t i = 0; i < ds->n; i++) {
		for (size_t j = 0; j < ds->t[i].n; j++)
			free(ds->t[i].v[j].name);
		free(ds->t[i].v);
		dwvars__free(ds->t[i].vars);
	}
	free(ds->t);
	free(ds);
}

static int dsym_cmp(const void *pa, const void *pb)
{
	const struct dsym *a = pa, *b = pb;

	return CMP3(a->start, b->start);
}

struct data_walk {
	struct dtable *t;
	size_t cap;	/* of t->v */
	size_t added;
};

/* A sized OBJECT symbol joins the table. Past DATASYM_MAX, or out of memory, the walk
 * stops with what it has. */
static int add_sym(void *ctx, const GElf_Sym *sym, size_t shndx, const char *name)
{
	struct data_walk *w = ctx;
	struct dtable *t = w->t;
	char *copy;

	(void)shndx;
	if (t->n >= DATASYM_MAX)
		return 1;
	if (GELF_ST_TYPE(sym->st_info) != STT_OBJECT || !sym->st_size ||
	    sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE || !name || !name[0])
		return 0;
	if (VEC_GROW(t->v, w->cap, t->n + 1))
		return 1;
	copy = strdup(name);
	if (copy) {
		t->v[t->n++] = (struct dsym){ sym->st_value, sym->st_size, copy };
		w->added++;
	}
	return 0;
}

/* The .symtab's data symbols, else the .dynsym's. */
static void load_table(struct dtable *t)
{
	struct data_walk w = { .t = t };
	struct elf_file f;

	if (t->obj->fd < 0 || !t->obj->is_elf)
		return;
	if (!elf_file__open(&f, t->obj->fd, false, NULL, 0)) {
		elfsyms__walk(&f, SHT_SYMTAB, add_sym, &w);
		if (!w.added)
			elfsyms__walk(&f, SHT_DYNSYM, add_sym, &w);
	}
	elf_file__close(&f);
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), dsym_cmp);
}

static struct dtable *get_table(struct datasym *ds, const struct object *obj)
{
	for (size_t i = 0; i < ds->n; i++) {
		if (ds->t[i].serial == obj->serial) {
			ds->t[i].obj = obj;
			return &ds->t[i];
		}
	}
	if (VEC_GROW(ds->t, ds->cap, ds->n + 1))
		return NULL;
	ds->t[ds->n] = (struct dtable){ .serial = obj->serial, .obj = obj };
	load_table(&ds->t[ds->n]);
	return &ds->t[ds->n++];
}

static struct dwvars *get_vars(struct datasym *ds, struct dtable *t)
{
	Dwarf *dw;

	if (!t->vars_tried && ds->sym) {
		t->vars_tried = true;
		dw = symbolizer__dwarf(ds->sym, t->obj);
		if (dw)
			dwvars__open(dw, &t->vars);	/* no variables: names from symbols */
	}
	return t->vars;
}

#define DSYM_START(d) ((d)->start)

int datasym__resolve(struct datasym *ds, const struct object *obj, uint64_t vaddr,
		     const char **name, uint64_t *off)
{
	struct dtable *t = get_table(ds, obj);
	size_t lo;

	if (!t || !t->n)
		return -ENOENT;
	/* The last symbol starting at or before vaddr; data symbols do not nest. */
	lo = UPPER_BOUND(t->v, t->n, DSYM_START, vaddr);
	if (!lo || vaddr - t->v[lo - 1].start >= t->v[lo - 1].size)
		return -ENOENT;
	*name = t->v[lo - 1].name;
	*off = vaddr - t->v[lo - 1].start;
	return 0;
}

/* "name" + the member path of vaddr in the variable DWARF has at vaddr, when that variable
 * starts at sym_start; with no symbol (name NULL) the variable's own name, and
 * "name+0xOFF" when the path fails (padding). Returns 0 or -ENOENT. */
static int name_dwarf(struct datasym *ds, const struct object *obj, uint64_t vaddr,
		      const char *name, uint64_t sym_start, char *buf, size_t len)
{
	struct dtable *t = get_table(ds, obj);
	struct dwvars *dv = t ? get_vars(ds, t) : NULL;
	const char *var;
	char path[256];
	uint64_t start, rest;
	Dwarf_Die type;
	int n;

	if (!dv || dwvars__find(dv, vaddr, &var, &start, &type) || (name && start != sym_start))
		return -ENOENT;
	if (dwvar__member_path(&type, vaddr - start, path, sizeof(path), &rest)) {
		if (name)
			return -ENOENT;
		snprintf(path, sizeof(path), "+0x%" PRIx64, vaddr - start);
		rest = 0;
	}
	if (!name)
		name = var;
	if (rest)
		n = snprintf(buf, len, "%s%s+0x%" PRIx64, name, path, rest);
	else
		n = snprintf(buf, len, "%s%s", name, path);
	return n > 0 && (size_t)n < len ? 0 : -ENOENT;
}

int datasym__name(struct datasym *ds, const struct object *obj, uint64_t vaddr, char *buf,
		  size_t len)
{
	const char *name;
	uint64_t off;

	if (datasym__resolve(ds, obj, vaddr, &name, &off))
		return name_dwarf(ds, obj, vaddr, NULL, 0, buf, len);
	if (!name_dwarf(ds, obj, vaddr, name, vaddr - off, buf, len))
		return 0;
	if (off)
		snprintf(buf, len, "%s+0x%" PRIx64, name, off);
	else
		snprintf(buf, len, "%s", name);
	return 0;
}

/* The load bias of the file e maps: where its offset-0 mapping starts, less the page of its
 * lowest PT_LOAD. */
static int load_bias(const struct procmaps *pm, const struct procmaps_entry *e,
		     const struct object *obj, uint64_t *bias)
{
	uint64_t lowest = UINT64_MAX;

	for (size_t i = 0; i < obj->n_loads; i++)
		if (obj->loads[i].vaddr < lowest)
			lowest = obj->loads[i].vaddr;
	if (lowest == UINT64_MAX)
		return -ENOENT;
	for (size_t i = 0; i < procmaps__count(pm); i++) {
		const struct procmaps_entry *m = procmaps__entry(pm, i);

		if (m->dev == e->dev && m->inode == e->inode && m->offset == 0) {
			*bias = m->start - (lowest & ~0xfffull);
			return 0;
		}
	}
	return -ENOENT;
}

/* The file-backed entry for addr: its own, or the one an anonymous .bss tail follows. */
static const struct procmaps_entry *file_entry(const struct procmaps *pm, uint64_t addr)
{
	const struct procmaps_entry *prev = NULL;

	for (size_t i = 0; i < procmaps__count(pm); i++) {
		const struct procmaps_entry *m = procmaps__entry(pm, i);

		if (addr >= m->start && addr < m->end) {
			if (m->path[0] == '/')
				return m;
			if (!m->path[0] && prev && prev->end == m->start && prev->path[0] == '/')
				return prev;
			return NULL;
		}
		prev = m;
	}
	return NULL;
}

void datasym__name_addr(struct datasym *ds, struct objcache *oc, const struct procmaps *pm,
			int pid, uint64_t addr, char *buf, size_t len)
{
	const struct procmaps_entry *e = pm ? file_entry(pm, addr) : NULL;
	struct object *obj;
	uint64_t bias;

	snprintf(buf, len, "0x%" PRIx64, addr);
	if (!e || !ds)
		return;
	obj = e->obj ? e->obj : objcache__get(oc, pid, e->start, e->end, e->path, e->dev, e->inode);
	if (!obj || load_bias(pm, e, obj, &bias))
		return;
	/* Nothing there leaves "0xADDR". */
	datasym__name(ds, obj, addr - bias, buf, len);
}
