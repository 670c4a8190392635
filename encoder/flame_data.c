// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flame.html's data: strings and functions named once for the page; per profile, a trie of
 * frames merged by (parent, function, kind) over the stacks of the profile and of its base,
 * built from the stacks sorted (a stack shares its common prefix with the one before it),
 * and the samples summed per (leaf node, process, thread). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flame_data.h"
#include "util/vec.h"

/* An index entry keyed by three numbers: a function (name, file, module strings), a trie
 * node (parent, function, kind), a sample row (node, process, thread), or a name (string, 0,
 * 0). val is the position of what it names. */
struct key3 {
	uint32_t k[3];
	uint32_t val;
};

static bool key3_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return memcmp(key, ent, sizeof(((struct key3 *)0)->k)) == 0;
}

static uint64_t key3_hash(const uint32_t k[3])
{
	return hash__add(hash__add(hash__u64(k[0]), k[1]), k[2]);
}

/* The position of k in the index, adding it as *n (then incremented) when new. */
static int key3_find_add(struct hashmap *m, uint32_t a, uint32_t b, uint32_t c, uint32_t *n,
			 uint32_t *pos, bool *added)
{
	struct key3 key = { .k = { a, b, c } }, *e;

	e = hashmap__insert(m, key3_hash(key.k), &key, key3_eq, NULL, added);
	if (!e)
		return -ENOMEM;
	if (*added) {
		memcpy(e->k, key.k, sizeof(key.k));
		e->val = (*n)++;
	}
	*pos = e->val;
	return 0;
}

static bool str_eq(const void *ctx, const void *key, const void *ent)
{
	const struct fl_doc *d = ctx;

	return strcmp(d->strs.v[*(const uint32_t *)ent], key) == 0;
}

int flame_doc__str(struct fl_doc *d, const char *s, uint32_t *idx)
{
	uint32_t *e;
	bool added;

	if (!s)
		s = "";
	e = hashmap__insert(&d->str_tab, hash__str(s), s, str_eq, d, &added);
	if (!e)
		return -ENOMEM;
	if (added) {
		if (d->strs.n >= UINT32_MAX || VEC_PUSH(d->strs.v, d->strs.n, d->strs.cap, s)) {
			hashmap__remove(&d->str_tab, e);
			return -ENOMEM;
		}
		*e = d->strs.n - 1;
	}
	*idx = *e;
	return 0;
}

static int flame_doc__func(struct fl_doc *d, const struct pm_func *f, uint32_t *idx)
{
	uint32_t k[3], n = d->funcs.n / 3;
	bool added;
	int err;

	err = flame_doc__str(d, f->name, &k[0]);
	if (!err)
		err = flame_doc__str(d, f->file, &k[1]);
	if (!err)
		err = flame_doc__str(d, f->module, &k[2]);
	if (!err)
		err = key3_find_add(&d->func_tab, k[0], k[1], k[2], &n, idx, &added);
	if (!err && added && VEC_GROW(d->funcs.v, d->funcs.cap, d->funcs.n + 3))
		err = -ENOMEM;	/* the index entry stays, pointing past the table: fatal anyway */
	if (!err && added) {
		memcpy(d->funcs.v + d->funcs.n, k, sizeof(k));
		d->funcs.n += 3;
	}
	return err;
}

int flame_doc__init(struct fl_doc *d)
{
	static const struct pm_func none = { "", "", "" };
	uint32_t idx;
	int err;

	*d = (struct fl_doc){ .str_tab = HASHMAP_INIT(uint32_t),
			      .func_tab = HASHMAP_INIT(struct key3) };
	/* String 0 is "" and function 0 the root's, so that 0 means "none" in both. */
	err = flame_doc__str(d, "", &idx);
	return err ? err : flame_doc__func(d, &none, &idx);
}

void flame_doc__free(struct fl_doc *d)
{
	hashmap__free(&d->str_tab);
	hashmap__free(&d->func_tab);
	free(d->strs.v);
	free(d->funcs.v);
}

/* How one model's indices become the page's. */
struct fl_map {
	uint32_t *func;		/* per model function */
	uint32_t *fk;		/* per model frame: its (func, kind) pair */
	uint32_t *seq;		/* stack_frames as (func, kind) pairs */
	uint32_t *proc, *thread;
	long *type;		/* per page type: the model's type, or -1 */
};

static void map__free(struct fl_map *m)
{
	free(m->func);
	free(m->fk);
	free(m->seq);
	free(m->proc);
	free(m->thread);
	free(m->type);
}

/* The page's index of a process (is_thread 0) or thread name, adding it when new. */
static int flame_prof__name(struct fl_prof *p, const char *s, int is_thread, uint32_t *idx)
{
	uint32_t str, n = is_thread ? p->threads.n : p->procs.n;
	bool added;
	int err;

	err = flame_doc__str(p->doc, s, &str);
	if (!err)
		err = key3_find_add(&p->name_tab, str, is_thread, 0, &n, idx, &added);
	if (err || !added)
		return err;
	if (is_thread)
		return VEC_PUSH(p->threads.v, p->threads.n, p->threads.cap, str);
	return VEC_PUSH(p->procs.v, p->procs.n, p->procs.cap, str);
}

static int map__names(struct fl_map *m, struct fl_prof *p, const struct pmodel *pm)
{
	size_t i;
	int err = 0;

	m->proc = calloc(pm->n_procs + 1, sizeof(*m->proc));
	m->thread = calloc(pm->n_threads + 1, sizeof(*m->thread));
	if (!m->proc || !m->thread)
		return -ENOMEM;
	/* A model's index 0 is "no label", which is the page's 0 too. */
	for (i = 1; !err && i < pm->n_procs; i++)
		err = flame_prof__name(p, pm->procs[i], 0, &m->proc[i]);
	for (i = 1; !err && i < pm->n_threads; i++)
		err = flame_prof__name(p, pm->threads[i], 1, &m->thread[i]);
	return err;
}

/* Frames as the page merges them, (function, kind) pairs, and each stack as those. */
static int map__frames(struct fl_map *m, struct fl_prof *p, const struct pmodel *pm)
{
	const struct pm_frame *f;
	uint32_t n = p->fks.n / 2, fk, kind;
	bool added;
	size_t i;
	int err;

	m->fk = calloc(pm->n_frames + 1, sizeof(*m->fk));
	m->seq = calloc(pm->n_stack_frames + 1, sizeof(*m->seq));
	if (!m->fk || !m->seq)
		return -ENOMEM;
	for (i = 0; i < pm->n_frames; i++) {
		f = &pm->frames[i];
		if (f->func >= pm->n_funcs)
			return -EINVAL;
		kind = f->kind < PM_N_KINDS ? f->kind : PM_NATIVE;
		err = key3_find_add(&p->fk_tab, m->func[f->func], kind, 0, &n, &fk, &added);
		if (!err && added && VEC_GROW(p->fks.v, p->fks.cap, p->fks.n + 2))
			err = -ENOMEM;
		if (err)
			return err;
		if (added) {
			p->fks.v[p->fks.n++] = m->func[f->func];
			p->fks.v[p->fks.n++] = kind;
		}
		m->fk[i] = fk;
	}
	for (i = 0; i < pm->n_stack_frames; i++) {
		if (pm->stack_frames[i] >= pm->n_frames)
			return -EINVAL;
		m->seq[i] = m->fk[pm->stack_frames[i]];
	}
	return 0;
}

static int map__init(struct fl_map *m, struct fl_prof *p, const struct pmodel *pm,
		     const struct pmodel *types_of)
{
	size_t i, t;
	int err;

	*m = (struct fl_map){ 0 };
	m->func = calloc(pm->n_funcs + 1, sizeof(*m->func));
	m->type = calloc(types_of->n_types + 1, sizeof(*m->type));
	if (!m->func || !m->type)
		return -ENOMEM;
	for (i = 0; i < pm->n_funcs; i++) {
		err = flame_doc__func(p->doc, &pm->funcs[i], &m->func[i]);
		if (err)
			return err;
	}
	/* A base's types line up with the profile's by name and unit; others read as 0. */
	for (t = 0; t < types_of->n_types; t++) {
		m->type[t] = -1;
		for (i = 0; i < pm->n_types && m->type[t] < 0; i++)
			if (!strcmp(pm->type_names[i], types_of->type_names[t]) &&
			    !strcmp(pm->type_units[i], types_of->type_units[t]))
				m->type[t] = (long)i;
	}
	err = map__frames(m, p, pm);
	return err ? err : map__names(m, p, pm);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

static int agg__add(struct fl_agg *a, size_t n_types, const uint32_t key[3],
		    const struct pmodel *pm, size_t sample, const long *type)
{
	uint32_t row, n = a->keys.n / 3;
	int64_t *v;
	bool added;
	size_t t;
	int err;

	err = key3_find_add(&a->tab, key[0], key[1], key[2], &n, &row, &added);
	if (!err && added && (VEC_GROW(a->keys.v, a->keys.cap, a->keys.n + 3) ||
			      VEC_GROW(a->vals.v, a->vals.cap, a->vals.n + n_types)))
		err = -ENOMEM;
	if (err)
		return err;
	if (added) {
		memcpy(a->keys.v + a->keys.n, key, 3 * sizeof(*key));
		a->keys.n += 3;
		memset(a->vals.v + a->vals.n, 0, n_types * sizeof(*a->vals.v));
		a->vals.n += n_types;
	}
	v = a->vals.v + (size_t)row * n_types;
	for (t = 0; t < n_types; t++)
		if (type[t] >= 0)
			v[t] = add_sat(v[t], pmodel__value(pm, sample, type[t]));
	return 0;
}

/* One sample to place in the trie: its stack as (function, kind) pairs, root first. */
struct fl_stack {
	const uint32_t *seq;
	uint32_t depth;
	uint32_t sample;
	uint32_t from;		/* 0: the profile, 1: its base */
};

/* Lexicographic on the stacks, so that stacks sharing a prefix are neighbours; then by
 * model and sample, so that the page is the same for the same input. */
static int stack_cmp(const void *pa, const void *pb)
{
	const struct fl_stack *a = pa, *b = pb;
	uint32_t i, n = a->depth < b->depth ? a->depth : b->depth;

	for (i = 0; i < n; i++)
		if (a->seq[i] != b->seq[i])
			return a->seq[i] < b->seq[i] ? -1 : 1;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->sample < b->sample ? -1 : a->sample > b->sample;
}

/* Appends the stacks of pm's samples to st (room for them all). */
static int collect(struct fl_stack *st, size_t *n, const struct pmodel *pm,
		   const struct fl_map *m, uint32_t from)
{
	const struct pm_sample *s;
	size_t i;

	for (i = 0; i < pm->n_samples; i++) {
		s = &pm->samples[i];
		if (s->first > pm->n_stack_frames || s->depth > pm->n_stack_frames - s->first ||
		    s->proc >= (pm->n_procs ? pm->n_procs : 1) ||
		    s->thread >= (pm->n_threads ? pm->n_threads : 1))
			return -EINVAL;
		st[(*n)++] = (struct fl_stack){ m->seq + s->first, s->depth, i, from };
	}
	return 0;
}

/* The trie from the sorted stacks: a stack shares the nodes of its common prefix with the
 * stack before it, and every frame past that prefix is a new node. No lookups, and nodes
 * come out in depth-first order. Each sample is then summed at its leaf. */
static int flame_prof__walk(struct fl_prof *p, const struct fl_stack *st, size_t n,
		      const struct flame_input *in, const struct fl_map *maps)
{
	const struct fl_stack *prev = NULL;
	uint32_t *path = NULL, key[3], cp, d, fk;
	size_t i, cap = 0;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		const struct pmodel *pm = st[i].from ? in->base : in->pm;
		const struct fl_map *m = &maps[st[i].from];

		if (VEC_GROW(path, cap, st[i].depth + 1) ||
		    VEC_GROW(p->nodes.v, p->nodes.cap, p->nodes.n + 3 * (size_t)st[i].depth)) {
			err = -ENOMEM;
			break;
		}
		path[0] = 0;
		for (cp = 0; prev && cp < prev->depth && cp < st[i].depth &&
			     prev->seq[cp] == st[i].seq[cp]; cp++)
			;
		for (d = cp; d < st[i].depth; d++) {
			if (p->nodes.n / 3 >= UINT32_MAX) {
				err = -ENOMEM;
				break;
			}
			fk = st[i].seq[d];
			path[d + 1] = p->nodes.n / 3;
			p->nodes.v[p->nodes.n++] = path[d];
			p->nodes.v[p->nodes.n++] = p->fks.v[2 * fk];
			p->nodes.v[p->nodes.n++] = p->fks.v[2 * fk + 1];
		}
		key[0] = path[st[i].depth];
		key[1] = m->proc[pm->samples[st[i].sample].proc];
		key[2] = m->thread[pm->samples[st[i].sample].thread];
		if (!err)
			err = agg__add(st[i].from ? &p->base : &p->cur, p->n_types, key, pm,
				       st[i].sample, m->type);
		prev = &st[i];
	}
	free(path);
	return err;
}

static void agg__free(struct fl_agg *a)
{
	hashmap__free(&a->tab);
	free(a->keys.v);
	free(a->vals.v);
}

void flame_prof__free(struct fl_prof *p)
{
	hashmap__free(&p->fk_tab);
	free(p->fks.v);
	hashmap__free(&p->name_tab);
	free(p->nodes.v);
	free(p->procs.v);
	free(p->threads.v);
	agg__free(&p->cur);
	agg__free(&p->base);
}

/* Every stack of the profile and of its base, sorted, then walked into the trie. */
static int flame_prof__stacks(struct fl_prof *p, const struct flame_input *in,
			const struct fl_map maps[2])
{
	size_t n = in->pm->n_samples + (in->base ? in->base->n_samples : 0), k = 0;
	struct fl_stack *st = calloc(n + 1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	err = collect(st, &k, in->pm, &maps[0], 0);
	if (!err && in->base)
		err = collect(st, &k, in->base, &maps[1], 1);
	if (!err) {
		qsort(st, k, sizeof(*st), stack_cmp);
		err = flame_prof__walk(p, st, k, in, maps);
	}
	free(st);
	return err;
}

int flame_prof__build(struct fl_prof *p, struct fl_doc *d, const struct flame_input *in)
{
	struct fl_map maps[2] = { { 0 }, { 0 } };
	uint32_t zero = 0;
	int err;

	*p = (struct fl_prof){
		.doc = d, .n_types = in->pm->n_types,
		.fk_tab = HASHMAP_INIT(struct key3), .name_tab = HASHMAP_INIT(struct key3),
		.cur.tab = HASHMAP_INIT(struct key3), .base.tab = HASHMAP_INIT(struct key3),
	};
	/* Node 0 is the root; process and thread 0 are "none". */
	err = VEC_GROW(p->nodes.v, p->nodes.cap, 3);
	if (!err) {
		memset(p->nodes.v, 0, 3 * sizeof(*p->nodes.v));
		p->nodes.n = 3;
		err = VEC_PUSH(p->procs.v, p->procs.n, p->procs.cap, zero);
	}
	if (!err)
		err = VEC_PUSH(p->threads.v, p->threads.n, p->threads.cap, zero);
	if (!err)
		err = map__init(&maps[0], p, in->pm, in->pm);
	if (!err && in->base)
		err = map__init(&maps[1], p, in->base, in->pm);
	if (!err)
		err = flame_prof__stacks(p, in, maps);
	map__free(&maps[0]);
	map__free(&maps[1]);
	return err;
}
