// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The samples the text views show (see pview.h). Without a base the model's own frames and
 * stacks are used as they are; with one, base frames are matched to the profile's by name,
 * file, module, line and kind, and samples merged on their stack and labels. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pview.h"
#include "util/hashmap.h"
#include "util/vec.h"

struct pv_priv {
	uint32_t *base_stacks;	/* the base's stacks in pview frame indices */
	size_t cap_frames, cap_samples;
};

static uint64_t frame_hash(const struct pv_frame *f)
{
	uint64_t h = hash__add(hash__str(f->fn->name), hash__str(f->fn->file));

	return hash__add(hash__add(hash__add(h, hash__str(f->fn->module)), f->line), f->kind);
}

static bool frame_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pv_frame *a = key, *b = &((const struct pview *)ctx)->frames[*(uint32_t *)ent];

	return a->line == b->line && a->kind == b->kind && !strcmp(a->fn->name, b->fn->name) &&
	       !strcmp(a->fn->file, b->fn->file) && !strcmp(a->fn->module, b->fn->module);
}

/* The pview frame of f (a frame of the profile or of its base), added if new. */
static int frame_index(struct pview *v, struct hashmap *tab, const struct pv_frame *f,
		       uint32_t *out)
{
	struct pv_priv *pp = v->priv;
	bool added;
	uint32_t *ent = hashmap__insert(tab, frame_hash(f), f, frame_eq, v, &added);

	if (!ent)
		return -ENOMEM;
	if (added) {
		if (VEC_GROW(v->frames, pp->cap_frames, v->n_frames + 1)) {
			hashmap__remove(tab, ent);
			return -ENOMEM;
		}
		v->frames[v->n_frames] = *f;
		*ent = v->n_frames++;
	}
	*out = *ent;
	return 0;
}

/* Frames of pm (the profile, or with map set the base) into the view; map[i] is base
 * frame i's view frame. */
static int add_frames(struct pview *v, struct hashmap *tab, const struct pmodel *pm,
		      uint32_t *map)
{
	struct pv_frame f;
	uint32_t idx = 0;
	size_t i;
	int err = 0;

	for (i = 0; i < pm->n_frames && !err; i++) {
		f = (struct pv_frame){ &pm->funcs[pm->frames[i].func], pm->frames[i].line,
				       pm->frames[i].kind };
		err = frame_index(v, tab, &f, &idx);
		if (map)
			map[i] = idx;
	}
	return err;
}

static uint64_t sample_hash(const struct pv_sample *s)
{
	uint64_t h = hash__add(hash__str(s->proc), hash__str(s->thread));
	uint32_t i;

	h = hash__add(h, (uint64_t)s->pid);
	for (i = 0; i < s->depth; i++)
		h = hash__add(h, s->stack[i]);
	return h;
}

static bool sample_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pv_sample *a = key, *b = &((const struct pview *)ctx)->samples[*(uint32_t *)ent];

	return a->depth == b->depth && a->pid == b->pid &&
	       !memcmp(a->stack, b->stack, a->depth * sizeof(*a->stack)) &&
	       !strcmp(a->proc, b->proc) && !strcmp(a->thread, b->thread);
}

/* Adds s to the view's samples; with tab (a base is merged), into an equal one if any. */
static int add_sample(struct pview *v, struct hashmap *tab, const struct pv_sample *s)
{
	struct pv_priv *pp = v->priv;
	uint32_t *ent = NULL;
	bool added = true;

	if (tab && !(ent = hashmap__insert(tab, sample_hash(s), s, sample_eq, v, &added)))
		return -ENOMEM;
	if (!added) {
		v->samples[*ent].nv = pv_add(v->samples[*ent].nv, s->nv);
		v->samples[*ent].bv = pv_add(v->samples[*ent].bv, s->bv);
		return 0;
	}
	if (VEC_GROW(v->samples, pp->cap_samples, v->n_samples + 1)) {
		if (ent)
			hashmap__remove(tab, ent);
		return -ENOMEM;
	}
	v->samples[v->n_samples] = *s;
	if (ent)
		*ent = v->n_samples;
	v->n_samples++;
	return 0;
}

/* The samples of pm that pass the filter; base ones (map set) have their stacks mapped. */
static int add_samples(struct pview *v, struct hashmap *tab, const struct pmodel *pm, size_t t,
		       const struct pm_filter *filt, const uint32_t *map)
{
	struct pv_priv *pp = v->priv;
	const struct pm_sample *ps;
	struct pv_sample s;
	int64_t val;
	size_t i, j;
	int err = 0;

	for (i = 0; i < pm->n_samples && !err; i++) {
		ps = &pm->samples[i];
		val = pmodel__value(pm, i, t);
		if (!val || !pmodel__sample_passes(pm, i, filt))
			continue;
		s = (struct pv_sample){ pm->stack_frames + ps->first, ps->depth,
					pm->procs[ps->proc], pm->threads[ps->thread], ps->pid,
					map ? 0 : val, map ? val : 0 };
		if (map) {
			for (j = 0; j < ps->depth; j++)
				pp->base_stacks[ps->first + j] = map[pm->stack_frames[ps->first + j]];
			s.stack = pp->base_stacks + ps->first;
		}
		err = add_sample(v, tab, &s);
	}
	return err;
}

/* Merges the base's samples in. */
static int merge_base(struct pview *v, const struct pmodel *pm, const struct ptext_opts *o)
{
	struct pv_priv *pp = v->priv;
	struct hashmap ftab = HASHMAP_INIT(uint32_t), stab = HASHMAP_INIT(uint32_t);
	uint32_t *map = calloc(o->base->n_frames + 1, sizeof(*map));
	int err = map ? 0 : -ENOMEM;

	pp->base_stacks = calloc(o->base->n_stack_frames + 1, sizeof(*pp->base_stacks));
	if (!pp->base_stacks)
		err = -ENOMEM;
	err = err ?: add_frames(v, &ftab, pm, NULL);
	err = err ?: add_frames(v, &ftab, o->base, map);
	err = err ?: add_samples(v, &stab, pm, o->type, o->filter, NULL);
	err = err ?: add_samples(v, &stab, o->base, o->base_type, o->filter, map);
	hashmap__free(&ftab);
	hashmap__free(&stab);
	free(map);
	return err;
}

struct row_ctx {
	const struct pview *v;
	bool by_line;
};

static bool row_eq(const void *ctx, const void *key, const void *ent)
{
	const struct row_ctx *c = ctx;
	const struct ptext_row *a = key, *b = &c->v->rows[*(uint32_t *)ent];

	return !strcmp(a->name, b->name) &&
	       (!c->by_line || (a->line == b->line && !strcmp(a->file, b->file)));
}

/* Rows as pprof makes nodes: by function name (its granularity "functions" forgets files),
 * or by name, file and line with by_line. */
static int make_rows(struct pview *v, bool by_line)
{
	struct hashmap tab = HASHMAP_INIT(uint32_t);
	struct row_ctx ctx = { v, by_line };
	const struct pv_frame *fr;
	struct ptext_row k;
	size_t i, cap = 0;
	uint64_t h;
	uint32_t *ent;
	bool added;
	int err = 0;

	v->row_of = calloc(v->n_frames + 1, sizeof(*v->row_of));
	if (!v->row_of)
		return -ENOMEM;
	for (i = 0; i < v->n_frames && !err; i++) {
		fr = &v->frames[i];
		k = (struct ptext_row){ fr->fn->name, fr->fn->file, by_line ? fr->line : 0,
					fr->fn->module, fr->kind, 0, 0, 0 };
		h = hash__str(k.name);
		if (by_line)
			h = hash__add(hash__add(h, hash__str(k.file)), k.line);
		ent = hashmap__insert(&tab, h, &k, row_eq, &ctx, &added);
		if (!ent || (added && VEC_GROW(v->rows, cap, v->n_rows + 1))) {
			err = -ENOMEM;
			break;
		}
		if (added) {
			v->rows[v->n_rows] = k;
			*ent = v->n_rows++;
		}
		v->row_of[i] = *ent;
	}
	hashmap__free(&tab);
	return err;
}

/* A caller → callee edge between rows, as pprof's graph has them: inline only if every
 * sample that took it entered the callee inlined. */
struct pv_edge {
	uint32_t from, to;
	uint32_t stamp;		/* the last sample (index + 1) that took it */
	bool inlined;
	int64_t weight;		/* the values of the samples that took it */
};

static bool edge_eq(const void *ctx, const void *key, const void *entry)
{
	const struct pv_edge *a = key, *b = entry;

	(void)ctx;
	return a->from == b->from && a->to == b->to;
}

/* The edge parent → r of sample i (pprof's newGraph: self edges skipped, each edge taken
 * once per sample, by its first occurrence from the root). Returns 0 or -ENOMEM. */
static int take_edge(struct hashmap *edges, uint32_t parent, uint32_t r, uint32_t i,
		     bool inlined, int64_t val)
{
	struct pv_edge k = { parent, r, 0, false, 0 }, *e;
	bool added;

	if (parent == r)
		return 0;
	e = hashmap__insert(edges, hash__add(hash__u64(parent), r), &k, edge_eq, NULL, &added);
	if (!e)
		return -ENOMEM;
	if (added)
		*e = (struct pv_edge){ parent, r, 0, true, 0 };
	if (e->stamp == i + 1)
		return 0;
	e->stamp = i + 1;
	e->inlined = e->inlined && inlined;
	e->weight = pv_add(e->weight, val);
	return 0;
}

/* "(inline)" for rows entered only by inline edges, "(partial-inline)" for rows entered by
 * both kinds (pprof's TextItems), counting only edges that carry at least a thousandth of
 * the flat sum: pprof trims lighter ones first (its -edgefraction default, 0.001). */
static void mark_inlined(struct pview *v, const struct hashmap *edges, int64_t flat_sum)
{
	int64_t cutoff = (int64_t)((double)flat_sum * 0.001);
	const struct pv_edge *e;
	uint8_t *entry = calloc(v->n_rows + 1, 1);
	size_t it = 0, r;

	if (!entry)
		return;
	cutoff = pv_abs(cutoff);
	while ((e = hashmap__next(edges, &it)))
		if (pv_abs(e->weight) >= cutoff)
			entry[e->to] |= e->inlined ? 1 : 2;
	for (r = 0; r < v->n_rows; r++)
		v->rows[r].inlined = entry[r] == 1 ? 1 : entry[r] == 3 ? 2 : 0;
	free(entry);
}

/* flat to the leaf's row, cum to every row of the stack once per sample (pprof's rule). */
static int accumulate(struct pview *v)
{
	uint32_t *stamp = calloc(v->n_rows + 1, sizeof(*stamp)), r, d;
	const struct pv_sample *s;
	int64_t val;
	size_t i;

	if (!stamp)
		return -ENOMEM;
	for (i = 0; i < v->n_samples; i++) {
		s = &v->samples[i];
		val = pv_sub(s->nv, s->bv);
		v->total = pv_add(v->total, pv_abs(val));
		if (!val || !s->depth)
			continue;
		r = v->row_of[s->stack[s->depth - 1]];
		v->rows[r].flat = pv_add(v->rows[r].flat, val);
		for (d = 0; d < s->depth; d++) {
			r = v->row_of[s->stack[d]];
			if (stamp[r] != i + 1) {
				stamp[r] = i + 1;
				v->rows[r].cum = pv_add(v->rows[r].cum, val);
			}
		}
	}
	free(stamp);
	return 0;
}

/* How each row is entered from its callers, inlined or called: a table of caller edges,
 * built only for the text that shows the marks (a hash insert per frame of every sample). */
static int mark_rows(struct pview *v)
{
	struct hashmap edges = HASHMAP_INIT(struct pv_edge);
	const struct pv_sample *s;
	int64_t val, flat_sum = 0;
	uint32_t d;
	size_t i;
	int err = 0;

	for (i = 0; i < v->n_samples && !err; i++) {
		s = &v->samples[i];
		val = pv_sub(s->nv, s->bv);
		if (!val || !s->depth)
			continue;
		flat_sum = pv_add(flat_sum, val);
		for (d = 1; d < s->depth && !err; d++)
			err = take_edge(&edges, v->row_of[s->stack[d - 1]], v->row_of[s->stack[d]],
					(uint32_t)i, v->frames[s->stack[d]].kind == PM_INLINED, val);
	}
	if (!err)
		mark_inlined(v, &edges, flat_sum);
	hashmap__free(&edges);
	return err;
}

int pview__build(const struct pmodel *pm, const struct ptext_opts *o, struct pview *v)
{
	struct pv_frame f;
	size_t i;
	int err = 0;

	memset(v, 0, sizeof(*v));
	if (o->type < 0 || (size_t)o->type >= pm->n_types ||
	    (o->base && o->base_type >= o->base->n_types) || pm->n_samples >= UINT32_MAX)
		return -EINVAL;
	if (!(v->priv = calloc(1, sizeof(struct pv_priv))))
		return -ENOMEM;
	if (o->base) {
		err = merge_base(v, pm, o);
	} else {
		/* the model's frames are already distinct: view frame i is model frame i */
		for (i = 0; i < pm->n_frames && !err; i++) {
			f = (struct pv_frame){ &pm->funcs[pm->frames[i].func], pm->frames[i].line,
					       pm->frames[i].kind };
			err = VEC_PUSH(v->frames, v->n_frames,
				       ((struct pv_priv *)v->priv)->cap_frames, f);
		}
		err = err ?: add_samples(v, NULL, pm, o->type, o->filter, NULL);
	}
	err = err ?: make_rows(v, o->by_line);
	err = err ?: accumulate(v);
	if (o->inline_marks)
		err = err ?: mark_rows(v);
	if (err)
		pview__free(v);
	return err;
}

void pview__free(struct pview *v)
{
	struct pv_priv *pp = v->priv;

	if (pp)
		free(pp->base_stacks);
	free(pp);
	free(v->frames);
	free(v->samples);
	free(v->row_of);
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

static void put_clean(FILE *f, const char *s, bool folded)
{
	for (; folded && *s; s++)
		fputc(*s == ';' || (unsigned char)*s < 0x20 ? '_' : *s, f);
	if (!folded)
		fputs(s, f);
}

void pview__print_name(FILE *f, const struct ptext_row *r, bool by_line, bool folded)
{
	put_clean(f, r->name, folded);
	if (by_line && (r->line || r->file[0])) {
		fputc(' ', f);
		put_clean(f, r->file, folded);
		if (r->line)
			fprintf(f, ":%u", r->line);
	}
}
