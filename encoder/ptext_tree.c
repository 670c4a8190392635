// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The call tree and folded stacks of a profile (see ptext.h). Both merge stacks by their rows
 * (functions, or functions and lines), so one function in two modules prints as one frame. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ptext.h"
#include "pview.h"
#include "util/hashmap.h"
#include "util/vec.h"

/* One distinct stack of rows, root first, in folded.rowseq. */
struct fold {
	uint32_t first, depth;
	int64_t nv, bv;
};

struct folded {
	const struct pview *v;
	uint32_t *rowseq;
	size_t n_rowseq, cap_rowseq;
	struct fold *folds;
	size_t n_folds, cap_folds;
	uint32_t *key;		/* the stack being looked up */
};

static bool fold_eq(const void *ctx, const void *key, const void *ent)
{
	const struct folded *fd = ctx;
	const struct fold *a = key, *b = &fd->folds[*(const uint32_t *)ent];

	return a->depth == b->depth &&
	       !memcmp(fd->key, fd->rowseq + b->first, a->depth * sizeof(*fd->key));
}

static int fold_add(struct folded *fd, struct hashmap *tab, const struct pv_sample *s)
{
	struct fold k = { 0, s->depth, s->nv, s->bv };
	uint64_t h = 0;
	uint32_t d, *ent;
	bool added;

	for (d = 0; d < s->depth; d++) {
		fd->key[d] = fd->v->row_of[s->stack[d]];
		h = hash__add(h, fd->key[d]);
	}
	ent = hashmap__insert(tab, h, &k, fold_eq, fd, &added);
	if (!ent)
		return -ENOMEM;
	if (!added) {
		fd->folds[*ent].nv += s->nv;
		fd->folds[*ent].bv += s->bv;
		return 0;
	}
	if (VEC_GROW(fd->folds, fd->cap_folds, fd->n_folds + 1) ||
	    VEC_GROW(fd->rowseq, fd->cap_rowseq, fd->n_rowseq + s->depth) ||
	    fd->n_rowseq + s->depth >= UINT32_MAX) {
		hashmap__remove(tab, ent);
		return -ENOMEM;
	}
	k.first = fd->n_rowseq;
	memcpy(fd->rowseq + fd->n_rowseq, fd->key, s->depth * sizeof(*fd->key));
	fd->n_rowseq += s->depth;
	fd->folds[fd->n_folds] = k;
	*ent = fd->n_folds++;
	return 0;
}

static int cmp_row_names(const struct pview *v, uint32_t a, uint32_t b)
{
	const struct ptext_row *x = &v->rows[a], *y = &v->rows[b];
	int c = strcmp(x->name, y->name);

	c = c ?: strcmp(x->file, y->file);
	return c ?: (x->line > y->line) - (x->line < y->line);
}

/* Folded lines in the order of their frames' names, as stackcollapse tools sort them. */
static int cmp_folds(const void *pa, const void *pb, void *ctx)
{
	const struct folded *fd = ctx;
	const struct fold *a = pa, *b = pb;
	uint32_t d, n = a->depth < b->depth ? a->depth : b->depth;
	int c;

	for (d = 0; d < n; d++) {
		c = cmp_row_names(fd->v, fd->rowseq[a->first + d], fd->rowseq[b->first + d]);
		if (c)
			return c;
	}
	return (a->depth > b->depth) - (a->depth < b->depth);
}

static void print_fold(FILE *f, const struct folded *fd, const struct fold *x,
		       const struct ptext_opts *o)
{
	uint32_t d;

	for (d = 0; d < x->depth; d++) {
		if (d)
			fputc(';', f);
		pview__print_name(f, &fd->v->rows[fd->rowseq[x->first + d]], o->by_line, true);
	}
	if (o->base)
		fprintf(f, " %" PRId64 " %" PRId64 "\n", x->bv, x->nv);
	else
		fprintf(f, " %" PRId64 "\n", x->nv);
}

int ptext__print_folded(FILE *f, const struct pmodel *pm, const struct ptext_opts *o)
{
	struct hashmap tab = HASHMAP_INIT(uint32_t);
	struct folded fd = { 0 };
	struct pview v;
	uint32_t max = 0;
	size_t i;
	int err = pview__build(pm, o, &v);

	if (err)
		return err;
	fd.v = &v;
	for (i = 0; i < v.n_samples; i++)
		max = v.samples[i].depth > max ? v.samples[i].depth : max;
	fd.key = calloc(max + 1, sizeof(*fd.key));
	err = fd.key ? 0 : -ENOMEM;
	for (i = 0; i < v.n_samples && !err; i++)
		if (v.samples[i].depth)
			err = fold_add(&fd, &tab, &v.samples[i]);
	if (!err) {
		qsort_r(fd.folds, fd.n_folds, sizeof(*fd.folds), cmp_folds, &fd);
		for (i = 0; i < fd.n_folds; i++)
			if (fd.folds[i].nv || fd.folds[i].bv)
				print_fold(f, &fd, &fd.folds[i], o);
		err = ferror(f) ? -EIO : 0;
	}
	hashmap__free(&tab);
	free(fd.key);
	free(fd.rowseq);
	free(fd.folds);
	pview__free(&v);
	return err;
}

/* A node of the call tree: one path of rows from the root. Node 0 is the root (no row). */
struct tnode {
	uint32_t parent, row;
	int64_t cum, self;
	uint32_t first_child, n_children;	/* in tree.kids, once built */
};

struct tree {
	const struct pview *v;
	struct tnode *nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *kids;		/* children of each node, sorted by |cum| */
	const struct pmodel *pm;
	int type;
	int64_t total;
	double min_share;
};

static bool tnode_eq(const void *ctx, const void *key, const void *ent)
{
	const struct tnode *a = key, *b = &((const struct tree *)ctx)->nodes[*(uint32_t *)ent];

	return a->parent == b->parent && a->row == b->row;
}

static int tree_child(struct tree *t, struct hashmap *tab, uint32_t parent, uint32_t row,
		      uint32_t *out)
{
	struct tnode k = { .parent = parent, .row = row };
	bool added;
	uint32_t *ent = hashmap__insert(tab, hash__add(hash__u64(parent), row), &k, tnode_eq, t,
					&added);

	if (!ent)
		return -ENOMEM;
	if (added) {
		if (t->n_nodes >= UINT32_MAX ||
		    VEC_GROW(t->nodes, t->cap_nodes, t->n_nodes + 1)) {
			hashmap__remove(tab, ent);
			return -ENOMEM;
		}
		t->nodes[t->n_nodes] = k;
		*ent = t->n_nodes++;
	}
	*out = *ent;
	return 0;
}

static int tree_build(struct tree *t)
{
	struct hashmap tab = HASHMAP_INIT(uint32_t);
	const struct pv_sample *s;
	uint32_t node, d;
	int64_t val;
	size_t i;
	int err = VEC_GROW(t->nodes, t->cap_nodes, 1);

	if (!err)
		t->nodes[t->n_nodes++] = (struct tnode){ .row = UINT32_MAX };
	for (i = 0; i < t->v->n_samples && !err; i++) {
		s = &t->v->samples[i];
		val = s->nv - s->bv;
		if (!val)
			continue;
		t->nodes[0].cum += val;
		for (d = 0, node = 0; d < s->depth && !err; d++) {
			err = tree_child(t, &tab, node, t->v->row_of[s->stack[d]], &node);
			if (!err)
				t->nodes[node].cum += val;
		}
		t->nodes[node].self += val;
	}
	hashmap__free(&tab);
	return err;
}

static int cmp_kids(const void *pa, const void *pb, void *ctx)
{
	const struct tree *t = ctx;
	const struct tnode *a = &t->nodes[*(const uint32_t *)pa], *b = &t->nodes[*(const uint32_t *)pb];
	int64_t x = a->cum < 0 ? -a->cum : a->cum, y = b->cum < 0 ? -b->cum : b->cum;

	if (x != y)
		return x < y ? 1 : -1;
	return cmp_row_names(t->v, a->row, b->row);
}

/* Children lists, each sorted by |cum| then name. */
static int tree_link(struct tree *t)
{
	uint32_t *at;
	size_t i, n = 0;

	t->kids = calloc(t->n_nodes + 1, sizeof(*t->kids));
	at = calloc(t->n_nodes + 1, sizeof(*at));
	if (!t->kids || !at) {
		free(at);
		return -ENOMEM;
	}
	for (i = 1; i < t->n_nodes; i++)
		t->nodes[t->nodes[i].parent].n_children++;
	for (i = 0; i < t->n_nodes; i++) {
		t->nodes[i].first_child = at[i] = n;
		n += t->nodes[i].n_children;
	}
	for (i = 1; i < t->n_nodes; i++)
		t->kids[at[t->nodes[i].parent]++] = i;
	for (i = 0; i < t->n_nodes; i++)
		qsort_r(t->kids + t->nodes[i].first_child, t->nodes[i].n_children,
			sizeof(*t->kids), cmp_kids, t);
	free(at);
	return 0;
}

/* Past this depth lines are no longer indented further (stacks can be thousands deep). */
#define TREE_MAX_INDENT 64

static void tree_line(FILE *f, const struct tree *t, int64_t cum, int64_t self, uint32_t depth)
{
	char a[64], b[64], c[16];
	double r = t->total ? (double)cum / (double)t->total * 100 : 0;

	pmodel__format_value(t->pm, t->type, cum, a, sizeof(a));
	pmodel__format_value(t->pm, t->type, self, b, sizeof(b));
	snprintf(c, sizeof(c), "%.2f%%", r);
	fprintf(f, "%10s %7s %10s  %*s", a, c, b,
		(int)(2 * (depth < TREE_MAX_INDENT ? depth : TREE_MAX_INDENT)), "");
}

/* Prints the children of node at depth, depth first, without recursion. */
static int tree_print(FILE *f, const struct tree *t, const struct ptext_opts *o)
{
	uint32_t *pos = calloc(t->n_nodes + 1, sizeof(*pos)), *stack, depth = 0, node, kid;
	int64_t cut = (int64_t)(t->min_share * (double)(t->total < 0 ? -t->total : t->total));
	int64_t rest;
	size_t n_rest;

	stack = calloc(t->n_nodes + 1, sizeof(*stack));
	if (!pos || !stack) {
		free(pos);
		free(stack);
		return -ENOMEM;
	}
	stack[0] = 0;
	for (;;) {
		node = stack[depth];
		if (pos[node] == t->nodes[node].n_children) {
			if (depth-- == 0)
				break;
			continue;
		}
		kid = t->kids[t->nodes[node].first_child + pos[node]];
		if (t->nodes[kid].cum > cut || t->nodes[kid].cum < -cut || !cut) {
			pos[node]++;
			tree_line(f, t, t->nodes[kid].cum, t->nodes[kid].self, depth);
			pview__print_name(f, &t->v->rows[t->nodes[kid].row], o->by_line, false);
			fputc('\n', f);
			stack[++depth] = kid;
			continue;
		}
		/* the rest are narrower still: one line for them all */
		for (rest = 0, n_rest = 0; pos[node] < t->nodes[node].n_children; pos[node]++, n_rest++)
			rest += t->nodes[t->kids[t->nodes[node].first_child + pos[node]]].cum;
		tree_line(f, t, rest, 0, depth);
		fprintf(f, "\xe2\x80\xa6 %zu more\n", n_rest);
	}
	free(pos);
	free(stack);
	return 0;
}

int ptext__print_tree(FILE *f, const struct pmodel *pm, const struct ptext_opts *o,
		      double min_share)
{
	struct tree t = { .pm = pm, .type = o->type, .min_share = min_share };
	struct pview v;
	char a[64];
	int err = pview__build(pm, o, &v);

	if (err)
		return err;
	t.v = &v;
	t.total = v.total;
	err = tree_build(&t);
	err = err ?: tree_link(&t);
	if (!err) {
		pmodel__format_value(pm, o->type, v.total, a, sizeof(a));
		fprintf(f, "Type: %s\nTotal: %s\n", pm->type_names[o->type], a);
		fprintf(f, "%10s %7s %10s  %s\n", "cum", "cum%", "self", "function");
		err = tree_print(f, &t, o);
	}
	err = err ?: ferror(f) ? -EIO : 0;
	free(t.nodes);
	free(t.kids);
	pview__free(&v);
	return err;
}
