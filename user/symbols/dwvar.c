// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See dwvar.h.
 *
 * Variables: every DW_TAG_variable whose location is one DW_OP_addr (or DW_OP_addrx), at
 * file scope, in namespaces, and in functions' scopes (function statics), into a table
 * sorted by address. Types: typedefs and qualifiers are peeled, structs, classes and
 * unions are searched member by member (base classes too, with no name of their own in
 * the path), arrays indexed dimension by dimension.
 *
 * Everything is bounded: DIE nesting, the typedef chains of one level, the members of one
 * type, the dimensions of one array, and the DIEs one walk may visit in all (a union's
 * members are tried in turn, so hostile nested unions could otherwise cost members^depth). */
#include <dwarf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/dwvar.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

#define DV_MAX_DEPTH 32			/* members and elements descended */
#define DV_MAX_PEEL 16			/* typedefs and qualifiers in a row */
#define DV_MAX_DIMS 16			/* dimensions of one array */
#define DV_MAX_STEPS 65536		/* DIEs one walk visits */
#define DV_MAX_SCOPE 64			/* scope nesting followed by the index */
#define DV_MAX_DIES (1u << 26)		/* DIEs the index visits */
#define DV_MAX_VARS (1u << 22)

struct dvar {
	uint64_t start, size;		/* size 0: unknown, only start itself is covered */
	Dwarf_Off die;			/* the variable's DIE */
	const char *name;		/* libdw's string */
};

struct dwvars {
	Dwarf *dw;
	struct dvar *v;
	size_t n, cap;
};

/* ---- types ---- */

struct walk {
	char *buf;
	size_t len, pos;
	unsigned steps;
	bool exact;	/* only paths that end at the start of a scalar */
};

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

/* Declared by a system header: the C library's and the C++ library's types. */
static bool is_system(Dwarf_Die *die)
{
	static const char *const dirs[] = { "/usr/include/", "/usr/lib/gcc/",
					    "/usr/local/include/" };
	const char *f;

	if (!dwarf_hasattr_integrate(die, DW_AT_decl_file) || !(f = dwarf_decl_file(die)))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (!strncmp(f, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

/* Follows typedefs and qualifiers from *die to the type they name; *sys (if not NULL) is
 * set when one of them, or that type, comes from a system header. */
static int peel(Dwarf_Die *die, bool *sys)
{
	for (int i = 0;; i++) {
		Dwarf_Die next;

		if (sys && !*sys)
			*sys = is_system(die);
		switch (dwarf_tag(die)) {
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
			break;
		default:
			return 0;
		}
		if (i == DV_MAX_PEEL)
			return -ELOOP;
		if (!type_of(die, &next))
			return -ENOENT;	/* a qualified void */
		*die = next;
	}
}

/* An array's dimensions; UINT64_MAX: unknown (int a[]). */
static int array_dims(Dwarf_Die *arr, uint64_t *n, size_t *k)
{
	Dwarf_Die c;
	Dwarf_Attribute a;
	Dwarf_Word cnt, lo, hi;

	*k = 0;
	if (dwarf_child(arr, &c))
		return -ENOENT;
	do {
		if (dwarf_tag(&c) != DW_TAG_subrange_type)
			continue;
		if (*k == DV_MAX_DIMS)
			return -E2BIG;
		lo = 0;
		if (dwarf_attr_integrate(&c, DW_AT_count, &a) && !dwarf_formudata(&a, &cnt)) {
			n[(*k)++] = cnt;
		} else if (dwarf_attr_integrate(&c, DW_AT_upper_bound, &a) &&
			   !dwarf_formudata(&a, &hi)) {
			if (dwarf_attr_integrate(&c, DW_AT_lower_bound, &a) &&
			    dwarf_formudata(&a, &lo))
				return -ENOENT;
			/* [0] is written as upper bound -1. */
			n[(*k)++] = hi + 1 - lo;
		} else {
			n[(*k)++] = UINT64_MAX;
		}
	} while (dwarf_siblingof(&c, &c) == 0);
	return *k ? 0 : -ENOENT;
}

static int type_size(Dwarf_Die *type, int depth, uint64_t *size)
{
	Dwarf_Die t = *type, elem;
	Dwarf_Attribute a;
	Dwarf_Word w;
	uint64_t n[DV_MAX_DIMS], esz;
	size_t k;
	int err;

	if (depth > DV_MAX_DEPTH)
		return -ELOOP;
	if ((err = peel(&t, NULL)))
		return err;
	if (dwarf_attr_integrate(&t, DW_AT_byte_size, &a))
		return dwarf_formudata(&a, &w) ? -ENOENT : (*size = w, 0);
	if (dwarf_tag(&t) != DW_TAG_array_type || !type_of(&t, &elem))
		return -ENOENT;
	if ((err = array_dims(&t, n, &k)) || (err = type_size(&elem, depth + 1, &esz)))
		return err;
	for (size_t i = 0; i < k; i++) {
		if (n[i] == UINT64_MAX)
			return -ENOENT;
		if (n[i] && esz > UINT64_MAX / n[i])
			return -EOVERFLOW;
		esz *= n[i];
	}
	*size = esz;
	return 0;
}

static int member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
		*off = 0;	/* a union's members */
		if (!dwarf_attr(m, DW_AT_data_bit_offset, &a))
			return 0;
		if (dwarf_formudata(&a, &w) || w % 8)
			return -ENOENT;
		*off = w / 8;
		return 0;
	}
	switch (dwarf_whatform(&a)) {
	case DW_FORM_exprloc:
	case DW_FORM_block:
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
		/* DWARF 2's DW_OP_plus_uconst N; anything longer is a virtual base. */
		if (dwarf_getlocation(&a, &ops, &n) || n != 1 || ops[0].atom != DW_OP_plus_uconst)
			return -ENOENT;
		*off = ops[0].number;
		return 0;
	default:
		if (dwarf_formudata(&a, &w))
			return -ENOENT;
		*off = w;
		return 0;
	}
}

static int path_add(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, w->len - w->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->pos)
		return -ENAMETOOLONG;
	/* Names come from the target: no control characters in a label. */
	for (size_t i = w->pos; i < w->pos + (size_t)n; i++)
		if ((unsigned char)w->buf[i] < 0x20 || w->buf[i] == 0x7f)
			w->buf[i] = '?';
	w->pos += (size_t)n;
	return 0;
}

static int walk(Dwarf_Die *type, uint64_t off, int depth, struct walk *w, uint64_t *rest);

static int walk_members(Dwarf_Die *t, uint64_t off, int depth, struct walk *w,
			uint64_t *rest)
{
	Dwarf_Die c, mt;
	uint64_t moff, msz;
	size_t save = w->pos;
	int tag, err;

	if (dwarf_child(t, &c))
		return -ENOENT;
	do {
		const char *name = NULL;

		if (++w->steps > DV_MAX_STEPS)
			return -ELOOP;
		tag = dwarf_tag(&c);
		if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) ||
		    dwarf_hasattr(&c, DW_AT_declaration) ||	/* a static member */
		    dwarf_hasattr(&c, DW_AT_bit_size) || member_offset(&c, &moff) ||
		    !type_of(&c, &mt) || off < moff || type_size(&mt, depth + 1, &msz) ||
		    off - moff >= msz)
			continue;
		if (tag == DW_TAG_member)
			name = dwarf_diename(&c);	/* NULL: an anonymous struct or union */
		if (name && (err = path_add(w, ".%s", name)))
			return err;
		err = walk(&mt, off - moff, depth + 1, w, rest);
		if (err != -ENOENT)
			return err;
		/* Padding inside it: another member of a union may still cover off. */
		w->pos = save;
		w->buf[save] = '\0';
	} while (dwarf_siblingof(&c, &c) == 0);
	return -ENOENT;
}

static int walk_array(Dwarf_Die *t, uint64_t off, int depth, struct walk *w, uint64_t *rest)
{
	uint64_t n[DV_MAX_DIMS], stride[DV_MAX_DIMS], idx;
	Dwarf_Die elem;
	size_t k;
	int err = -ENOENT;

	if (!type_of(t, &elem) || (err = array_dims(t, n, &k)) ||
	    (err = type_size(&elem, depth + 1, &stride[k - 1])))
		return err ? err : -ENOENT;
	if (!stride[k - 1])
		return -ENOENT;
	for (size_t i = k - 1; i > 0; i--) {
		if (n[i] == UINT64_MAX || !n[i] || stride[i] > UINT64_MAX / n[i])
			return -ENOENT;
		stride[i - 1] = stride[i] * n[i];
	}
	for (size_t i = 0; i < k; i++) {
		idx = off / stride[i];
		if (n[i] != UINT64_MAX && idx >= n[i])
			return -ENOENT;
		if ((err = path_add(w, "[%llu]", (unsigned long long)idx)))
			return err;
		off -= idx * stride[i];
	}
	return walk(&elem, off, depth + 1, w, rest);
}

static int walk(Dwarf_Die *type, uint64_t off, int depth, struct walk *w, uint64_t *rest)
{
	Dwarf_Die t = *type;
	bool sys = false;
	uint64_t size;
	int err;

	if (depth > DV_MAX_DEPTH || ++w->steps > DV_MAX_STEPS)
		return -ELOOP;
	if ((err = peel(&t, &sys)))
		return err;
	if (sys) {
		if ((err = type_size(&t, depth, &size)))
			return err;
		*rest = 0;
		return off < size ? 0 : -ENOENT;
	}
	switch (dwarf_tag(&t)) {
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		return walk_members(&t, off, depth, w, rest);
	case DW_TAG_array_type:
		return walk_array(&t, off, depth, w, rest);
	default:
		if ((err = type_size(&t, depth, &size)))
			return err;
		*rest = off;
		return off < size && (!w->exact || !off) ? 0 : -ENOENT;
	}
}

/* A union's members overlap: the first path that ends exactly at a scalar's start (the
 * union { int word; struct { short lo, hi; } half; } at offset 2 is ".half.hi"), else the
 * first that covers off at all (".word+0x2"). */
int dwvar__member_path(Dwarf_Die *type, uint64_t off, char *buf, size_t len, uint64_t *rest)
{
	struct walk w = { buf, len, 0, 0, true };
	int err;

	if (!len)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	*rest = 0;
	err = walk(type, off, 0, &w, rest);
	if (err == -ENOENT) {
		w = (struct walk){ buf, len, 0, 0, false };
		buf[0] = '\0';
		err = walk(type, off, 0, &w, rest);
	}
	if (err)
		buf[0] = '\0';
	return err;
}

/* ---- the variable index ---- */

static int var_addr(Dwarf_Die *var, uint64_t *addr)
{
	Dwarf_Attribute a, at;
	Dwarf_Op *ops;
	Dwarf_Addr ad;
	size_t n;

	if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) || n != 1)
		return -ENOENT;
	if (ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return 0;
	}
	if ((ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) &&
	    !dwarf_getlocation_attr(&a, ops, &at) && !dwarf_formaddr(&at, &ad)) {
		*addr = ad;
		return 0;
	}
	return -ENOENT;
}

static int add_var(struct dwvars *dv, Dwarf_Die *var)
{
	Dwarf_Attribute a;
	Dwarf_Die type;
	const char *name;
	uint64_t addr, size = 0;

	if (var_addr(var, &addr) || !dwarf_attr_integrate(var, DW_AT_name, &a) ||
	    !(name = dwarf_formstring(&a)) || !name[0])
		return 0;
	if (type_of(var, &type) && type_size(&type, 0, &size))
		size = 0;
	if (dv->n >= DV_MAX_VARS)
		return -E2BIG;
	return VEC_PUSH(dv->v, dv->n, dv->cap,
			((struct dvar){ addr, size, dwarf_dieoffset(var), name }));
}

static int index_scope(struct dwvars *dv, Dwarf_Die *scope, int depth, size_t *dies)
{
	Dwarf_Die c;
	int err = 0;

	if (depth > DV_MAX_SCOPE || dwarf_child(scope, &c))
		return 0;
	do {
		if (++*dies > DV_MAX_DIES)
			return -E2BIG;
		switch (dwarf_tag(&c)) {
		case DW_TAG_variable:
			err = add_var(dv, &c);
			break;
		case DW_TAG_namespace:
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
			err = index_scope(dv, &c, depth + 1, dies);
			break;
		default:
			break;
		}
	} while (!err && dwarf_siblingof(&c, &c) == 0);
	return err;
}

static int dvar_cmp(const void *pa, const void *pb)
{
	const struct dvar *a = pa, *b = pb;

	return a->start != b->start ? CMP3(a->start, b->start) : CMP3(a->size, b->size);
}

int dwvars__open(Dwarf *dw, struct dwvars **out)
{
	struct dwvars *dv = calloc(1, sizeof(*dv));
	Dwarf_Off off = 0, next;
	size_t hsize, dies = 0;
	Dwarf_Die cu;
	int err = 0;

	*out = NULL;
	if (!dv)
		return -ENOMEM;
	dv->dw = dw;
	while (!err && dwarf_next_unit(dw, off, &next, &hsize, NULL, NULL, NULL, NULL, NULL,
				       NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, &cu))
			err = index_scope(dv, &cu, 0, &dies);
		off = next;
	}
	/* Past a bound, what was read so far is kept. */
	if (err == -ENOMEM || !dv->n) {
		dwvars__free(dv);
		return err == -ENOMEM ? err : -ENOENT;
	}
	qsort(dv->v, dv->n, sizeof(*dv->v), dvar_cmp);
	*out = dv;
	return 0;
}

void dwvars__free(struct dwvars *dv)
{
	if (!dv)
		return;
	free(dv->v);
	free(dv);
}

#define DVAR_START(v) ((v)->start)

int dwvars__find(struct dwvars *dv, uint64_t vaddr, const char **name, uint64_t *start,
		 Dwarf_Die *type)
{
	size_t lo = dv ? UPPER_BOUND(dv->v, dv->n, DVAR_START, vaddr) : 0;
	const struct dvar *v;
	Dwarf_Die var;

	if (!lo)
		return -ENOENT;
	v = &dv->v[lo - 1];
	if (vaddr != v->start && vaddr - v->start >= v->size)
		return -ENOENT;
	if (!dwarf_offdie(dv->dw, v->die, &var) || !type_of(&var, type))
		return -ENOENT;
	*name = v->name;
	*start = v->start;
	return 0;
}
