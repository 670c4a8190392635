// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The profile model read from pprof_read's protobuf-c structs. Every location is expanded once
 * into frames (its Lines, outermost first); samples then copy their locations' frames root
 * first. Strings point into the decoded profile, which the model keeps; the few it makes
 * (addresses of unsymbolized frames, process names) live in an arena. The input is untrusted:
 * every id and string index is checked, and the expansion is capped. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmodel.h"
#include "pprof_read.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/idmap.h"
#include "util/vec.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Sample Sample;

/* Past this many frames over all samples (4 bytes each) a profile is refused: a location with
 * thousands of Lines named by every sample expands a small file a millionfold. Real profiles
 * stay far below (100k samples of 128 frames are 12.8M). */
#define PM_MAX_STACK_FRAMES (1UL << 27)

/* id → index for one table of the profile: dense when the ids are (as Go and we write them)
 * small numbers, else a hash map. */
struct idindex {
	uint32_t *dense;	/* [id] = index + 1, 0 = none */
	size_t n_dense;
	struct idmap *map;
};

struct priv {
	Profile *p;
	struct arena strs;
	struct idindex maps, fns, locs;
	struct hashmap func_tab, frame_tab, proc_tab, thread_tab;	/* of uint32_t indices */
	uint32_t *loc_first, *loc_n;	/* per location: its frames in loc_frames, root first */
	uint32_t *loc_frames;
	size_t n_loc_frames, cap_loc_frames;
	size_t cap_funcs, cap_frames, cap_procs, cap_threads;
	char *tmp;			/* a process name being built */
	size_t cap_tmp;
};

/* A string by index, strictly: an index past the table makes the profile invalid. */
static int str_at(const Profile *p, int64_t i, const char **s)
{
	if (i < 0 || (uint64_t)i >= p->n_string_table)
		return -EINVAL;
	*s = p->string_table[i] ? p->string_table[i] : "";
	return 0;
}

static int idindex__build(struct idindex *x, uint64_t (*id_at)(const Profile *, size_t),
			  const Profile *p, size_t n)
{
	uint64_t id, max = 0, dummy;
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++)
		max = id_at(p, i) > max ? id_at(p, i) : max;
	if (n < UINT32_MAX && max <= 4 * (uint64_t)n + 16) {
		x->n_dense = max + 1;
		x->dense = calloc(x->n_dense, sizeof(*x->dense));
		if (!x->dense)
			return -ENOMEM;
	} else if (!(x->map = idmap__new())) {
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i++) {
		id = id_at(p, i);
		/* id 0 means "none" in references, so it cannot name anything; nor can an id twice */
		if (id == 0 || n >= UINT32_MAX)
			err = -EINVAL;
		else if (x->dense)
			err = x->dense[id] ? -EINVAL : (x->dense[id] = i + 1, 0);
		else
			err = idmap__get(x->map, 0, id, &dummy) ? -EINVAL : idmap__set(x->map, 0, id, i);
	}
	return err;
}

/* The index of the entry with this id, or -EINVAL when none has it. */
static int64_t idindex__find(const struct idindex *x, uint64_t id)
{
	uint64_t v;

	if (x->dense)
		return id < x->n_dense && x->dense[id] ? (int64_t)x->dense[id] - 1 : -EINVAL;
	return x->map && idmap__get(x->map, 0, id, &v) ? (int64_t)v : -EINVAL;
}

static void idindex__free(struct idindex *x)
{
	free(x->dense);
	idmap__free(x->map);
}

static uint64_t map_id(const Profile *p, size_t i) { return p->mapping[i]->id; }
static uint64_t fn_id(const Profile *p, size_t i) { return p->function[i]->id; }
static uint64_t loc_id(const Profile *p, size_t i) { return p->location[i]->id; }

static int read_types(struct pmodel *pm, const Profile *p)
{
	const char *def = "";
	size_t i;
	int err = 0;

	pm->n_types = p->n_sample_type;
	pm->type_names = calloc(pm->n_types + 1, sizeof(*pm->type_names));
	pm->type_units = calloc(pm->n_types + 1, sizeof(*pm->type_units));
	if (!pm->type_names || !pm->type_units)
		return -ENOMEM;
	for (i = 0; i < pm->n_types && !err; i++) {
		err = str_at(p, p->sample_type[i]->type, &pm->type_names[i]);
		err = err ?: str_at(p, p->sample_type[i]->unit, &pm->type_units[i]);
	}
	pm->period_type = pm->period_unit = "";
	if (p->period_type) {
		err = err ?: str_at(p, p->period_type->type, &pm->period_type);
		err = err ?: str_at(p, p->period_type->unit, &pm->period_unit);
	}
	err = err ?: str_at(p, p->default_sample_type, &def);
	/* pprof's rule: the named default if it exists, else the last type */
	pm->default_type = pm->n_types ? pm->n_types - 1 : 0;
	for (i = 0; def[0] && i < pm->n_types; i++)
		if (!strcmp(pm->type_names[i], def))
			pm->default_type = i;
	pm->period = p->period;
	pm->duration_nanos = p->duration_nanos;
	pm->time_nanos = p->time_nanos;
	return err;
}

struct fkey {
	const char *name, *file, *module;
};

static bool func_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pm_func *f = &((const struct pmodel *)ctx)->funcs[*(const uint32_t *)ent];
	const struct fkey *k = key;

	return !strcmp(f->name, k->name) && !strcmp(f->file, k->file) &&
	       !strcmp(f->module, k->module);
}

static int intern_func(struct pmodel *pm, const struct fkey *k, uint32_t *out)
{
	struct priv *pv = pm->priv;
	uint64_t h = hash__add(hash__add(hash__str(k->name), hash__str(k->file)),
			       hash__str(k->module));
	bool added;
	uint32_t *ent = hashmap__insert(&pv->func_tab, h, k, func_eq, pm, &added);

	if (!ent)
		return -ENOMEM;
	if (added) {
		if (VEC_GROW(pm->funcs, pv->cap_funcs, pm->n_funcs + 1)) {
			hashmap__remove(&pv->func_tab, ent);
			return -ENOMEM;
		}
		pm->funcs[pm->n_funcs] = (struct pm_func){ k->name, k->file, k->module };
		*ent = pm->n_funcs++;
	}
	*out = *ent;
	return 0;
}

static bool frame_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pm_frame *f = &((const struct pmodel *)ctx)->frames[*(const uint32_t *)ent];
	const struct pm_frame *k = key;

	return f->func == k->func && f->line == k->line && f->kind == k->kind;
}

static int intern_frame(struct pmodel *pm, const struct pm_frame *k)
{
	struct priv *pv = pm->priv;
	uint64_t h = hash__add(hash__add(hash__u64(k->func), k->line), k->kind);
	bool added;
	uint32_t *ent = hashmap__insert(&pv->frame_tab, h, k, frame_eq, pm, &added);

	if (!ent)
		return -ENOMEM;
	if (added) {
		if (VEC_GROW(pm->frames, pv->cap_frames, pm->n_frames + 1)) {
			hashmap__remove(&pv->frame_tab, ent);
			return -ENOMEM;
		}
		pm->frames[pm->n_frames] = *k;
		*ent = pm->n_frames++;
	}
	if (VEC_GROW(pv->loc_frames, pv->cap_loc_frames, pv->n_loc_frames + 1))
		return -ENOMEM;
	pv->loc_frames[pv->n_loc_frames++] = *ent;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Code perf maps name: anonymous or memfd mappings (how JITs and our perf map reader name
 * them). */
static bool is_jit_mapping(const char *f)
{
	return !strcmp(f, "[anon]") || !strcmp(f, "//anon") || !strncmp(f, "/memfd:", 7) ||
	       !strncmp(f, "[anon:", 6);
}

struct lctx {
	const char *mapfile, *module;
	bool has_mapping;
};

static uint8_t frame_kind(const struct lctx *c, const struct fkey *k, bool inlined, bool named)
{
	if (!strcmp(c->mapfile, "[kernel.kallsyms]") || !strcmp(c->mapfile, "[vmlinux]") ||
	    !strncmp(k->name, "[kernel]+0x", 11))
		return PM_KERNEL;
	if (inlined)
		return PM_INLINED;
	/* "[unmapped]+0x..." is a real address that no mapping covered: native, unknown */
	if (!c->has_mapping && k->name[0] == '[' && strncmp(k->name, "[unmapped]+0x", 13))
		return PM_SYNTHETIC;
	if (named && is_jit_mapping(c->mapfile))
		return PM_JIT;
	return ends_with(k->file, ".go") ? PM_GO : PM_NATIVE;
}

/* Room for n bytes in the scratch buffer, or NULL. */
static char *tmp_room(struct priv *pv, size_t n)
{
	return VEC_GROW(pv->tmp, pv->cap_tmp, n) ? NULL : pv->tmp;
}

/* pprof's name for a frame it has no function for: the module and the address. */
static const char *address_name(struct priv *pv, const char *module, uint64_t addr)
{
	size_t room = strlen(module) + 24;
	char *buf = tmp_room(pv, room);
	int n;

	if (!buf)
		return NULL;
	if (module[0])
		n = snprintf(buf, room, "%s+0x%" PRIx64, module, addr);
	else
		n = snprintf(buf, room, "0x%" PRIx64, addr);
	return arena__strdup(&pv->strs, buf, n);
}

static int line_frame(struct pmodel *pm, const struct lctx *c, const Location *l, size_t j)
{
	struct priv *pv = pm->priv;
	const Perftools__Profiles__Line *ln = l->line[j];
	const Perftools__Profiles__Function *fn;
	struct fkey k = { "", "", c->module };
	struct pm_frame fr = { 0 };
	int64_t fi;
	int err;

	if (ln->function_id) {
		fi = idindex__find(&pv->fns, ln->function_id);
		if (fi < 0)
			return -EINVAL;
		fn = pv->p->function[fi];
		err = str_at(pv->p, fn->name, &k.name);
		err = err ?: str_at(pv->p, fn->filename, &k.file);
		if (err)
			return err;
	}
	if (!k.name[0] && !(k.name = address_name(pv, c->module, l->address)))
		return -ENOMEM;
	fr.line = ln->line > 0 && ln->line <= UINT32_MAX ? (uint32_t)ln->line : 0;
	fr.kind = frame_kind(c, &k, j != l->n_line - 1, ln->function_id != 0);
	err = intern_func(pm, &k, &fr.func);
	return err ?: intern_frame(pm, &fr);
}

/* Expands location i into frames, root first: its last Line is the outermost function. */
static int expand_location(struct pmodel *pm, size_t i)
{
	struct priv *pv = pm->priv;
	const Location *l = pv->p->location[i];
	struct lctx c = { "", "", false };
	struct fkey k;
	struct pm_frame fr = { 0 };
	const char *slash;
	int64_t mi;
	size_t j;
	int err = 0;

	if (l->mapping_id) {
		mi = idindex__find(&pv->maps, l->mapping_id);
		if (mi < 0 || str_at(pv->p, pv->p->mapping[mi]->filename, &c.mapfile))
			return -EINVAL;
		slash = strrchr(c.mapfile, '/');
		c.module = slash ? slash + 1 : c.mapfile;
		c.has_mapping = true;
	}
	pv->loc_first[i] = pv->n_loc_frames;
	for (j = l->n_line; j-- > 0 && !err;)
		err = line_frame(pm, &c, l, j);
	if (l->n_line == 0 && !err) {
		k = (struct fkey){ address_name(pv, c.module, l->address), "", c.module };
		if (!k.name)
			return -ENOMEM;
		fr.kind = frame_kind(&c, &k, false, false);
		err = intern_func(pm, &k, &fr.func);
		err = err ?: intern_frame(pm, &fr);
	}
	if (pv->n_loc_frames - pv->loc_first[i] >= UINT32_MAX || pv->n_loc_frames >= UINT32_MAX)
		err = err ?: -EFBIG;
	pv->loc_n[i] = pv->n_loc_frames - pv->loc_first[i];
	return err;
}

static int read_locations(struct pmodel *pm)
{
	struct priv *pv = pm->priv;
	const Profile *p = pv->p;
	size_t i;
	int err;

	err = idindex__build(&pv->maps, map_id, p, p->n_mapping);
	err = err ?: idindex__build(&pv->fns, fn_id, p, p->n_function);
	err = err ?: idindex__build(&pv->locs, loc_id, p, p->n_location);
	if (err)
		return err;
	pv->loc_first = calloc(p->n_location + 1, sizeof(*pv->loc_first));
	pv->loc_n = calloc(p->n_location + 1, sizeof(*pv->loc_n));
	if (!pv->loc_first || !pv->loc_n)
		return -ENOMEM;
	for (i = 0; i < p->n_location && !err; i++)
		err = expand_location(pm, i);
	return err;
}

static bool name_eq(const void *ctx, const void *key, const void *ent)
{
	return !strcmp((*(const char *const *const *)ctx)[*(const uint32_t *)ent], key);
}

/* The index of name in names[] (process or thread names), added if new. */
static int intern_name(struct priv *pv, struct hashmap *tab, const char ***names, size_t *n,
		       size_t *cap, const char *name, uint32_t *out)
{
	bool added;
	uint32_t *ent = hashmap__insert(tab, hash__str(name), name, name_eq, names, &added);
	const char *copy;

	if (!ent)
		return -ENOMEM;
	if (added) {
		copy = arena__strdup(&pv->strs, name, strlen(name));
		if (!copy || VEC_GROW(*names, *cap, *n + 1)) {
			hashmap__remove(tab, ent);
			return -ENOMEM;
		}
		(*names)[*n] = copy;
		*ent = (*n)++;
	}
	*out = *ent;
	return 0;
}

/* Our labels: numeric "pid", strings "comm" and "thread". Other labels (Go's pprof.Labels)
 * are not shown. */
static int read_labels(struct pmodel *pm, const Sample *s, struct pm_sample *out)
{
	struct priv *pv = pm->priv;
	const char *key, *comm = "", *thread = "", *proc;
	bool has_pid = false;
	size_t i, room;
	int err = 0;

	for (i = 0; i < s->n_label && !err; i++) {
		err = str_at(pv->p, s->label[i]->key, &key);
		if (err)
			break;
		if (!strcmp(key, "pid") && !s->label[i]->str)
			out->pid = s->label[i]->num, has_pid = true;
		else if (!strcmp(key, "comm"))
			err = str_at(pv->p, s->label[i]->str, &comm);
		else if (!strcmp(key, "thread"))
			err = str_at(pv->p, s->label[i]->str, &thread);
	}
	if (err)
		return err;
	proc = comm;
	if (has_pid) {
		room = strlen(comm) + 32;
		if (!tmp_room(pv, room))
			return -ENOMEM;
		if (comm[0])
			snprintf(pv->tmp, room, "%s (%" PRId64 ")", comm, out->pid);
		else
			snprintf(pv->tmp, room, "%" PRId64, out->pid);
		proc = pv->tmp;
	}
	err = intern_name(pv, &pv->proc_tab, &pm->procs, &pm->n_procs, &pv->cap_procs, proc,
			  &out->proc);
	return err ?: intern_name(pv, &pv->thread_tab, &pm->threads, &pm->n_threads,
				  &pv->cap_threads, thread, &out->thread);
}

/* Counts the frames of all samples, checking every location id and the cap. */
static int count_frames(struct pmodel *pm, size_t *total)
{
	struct priv *pv = pm->priv;
	const Profile *p = pv->p;
	const Sample *s;
	size_t i, j, n = 0;
	int64_t li;

	for (i = 0; i < p->n_sample; i++) {
		s = p->sample[i];
		if (s->n_value != pm->n_types)
			return -EINVAL;
		for (j = 0; j < s->n_location_id; j++) {
			li = idindex__find(&pv->locs, s->location_id[j]);
			if (li < 0)
				return -EINVAL;
			n += pv->loc_n[li];
			if (n > PM_MAX_STACK_FRAMES)
				return -EFBIG;
		}
	}
	*total = n;
	return 0;
}

static int read_samples(struct pmodel *pm)
{
	struct priv *pv = pm->priv;
	const Profile *p = pv->p;
	const Sample *s;
	struct pm_sample *ps;
	size_t i, j, total = 0, at = 0;
	int err;

	err = count_frames(pm, &total);
	if (err)
		return err;
	if (pm->n_types && p->n_sample > SIZE_MAX / sizeof(int64_t) / pm->n_types)
		return -EFBIG;
	pm->samples = calloc(p->n_sample + 1, sizeof(*pm->samples));
	pm->values = calloc(p->n_sample * pm->n_types + 1, sizeof(*pm->values));
	pm->stack_frames = calloc(total + 1, sizeof(*pm->stack_frames));
	if (!pm->samples || !pm->values || !pm->stack_frames)
		return -ENOMEM;
	for (i = 0; i < p->n_sample && !err; i++) {
		s = p->sample[i];
		ps = &pm->samples[i];
		ps->first = at;
		/* leaf first in the file: the last location is the root */
		for (j = s->n_location_id; j-- > 0;) {
			int64_t li = idindex__find(&pv->locs, s->location_id[j]);

			memcpy(pm->stack_frames + at, pv->loc_frames + pv->loc_first[li],
			       pv->loc_n[li] * sizeof(*pm->stack_frames));
			at += pv->loc_n[li];
		}
		ps->depth = at - ps->first;
		if (pm->n_types)
			memcpy(pm->values + i * pm->n_types, s->value,
			       pm->n_types * sizeof(*pm->values));
		err = read_labels(pm, s, ps);
	}
	pm->n_samples = p->n_sample;
	pm->n_stack_frames = at;
	return err;
}

static int build(struct pmodel *pm)
{
	struct priv *pv = pm->priv;
	uint32_t none;
	int err;

	pv->func_tab = pv->frame_tab = (struct hashmap)HASHMAP_INIT(uint32_t);
	pv->proc_tab = pv->thread_tab = (struct hashmap)HASHMAP_INIT(uint32_t);
	err = read_types(pm, pv->p);
	/* index 0 of procs and threads is "" (no label) */
	err = err ?: intern_name(pv, &pv->proc_tab, &pm->procs, &pm->n_procs, &pv->cap_procs,
				 "", &none);
	err = err ?: intern_name(pv, &pv->thread_tab, &pm->threads, &pm->n_threads,
				 &pv->cap_threads, "", &none);
	err = err ?: read_locations(pm);
	return err ?: read_samples(pm);
}

/* Frees what only reading needed; the strings and the decoded profile stay. */
static void drop_scratch(struct priv *pv)
{
	struct priv keep = { .p = pv->p, .strs = pv->strs };

	idindex__free(&pv->maps);
	idindex__free(&pv->fns);
	idindex__free(&pv->locs);
	hashmap__free(&pv->func_tab);
	hashmap__free(&pv->frame_tab);
	hashmap__free(&pv->proc_tab);
	hashmap__free(&pv->thread_tab);
	free(pv->loc_first);
	free(pv->loc_n);
	free(pv->loc_frames);
	free(pv->tmp);
	*pv = keep;
}

/* Takes p (freed on error too). */
static int from_profile(Profile *p, struct pmodel **out)
{
	struct pmodel *pm = calloc(1, sizeof(*pm));
	struct priv *pv = calloc(1, sizeof(*pv));
	int err;

	if (!pm || !pv) {
		free(pm);
		free(pv);
		pprof_read__free(p);
		return -ENOMEM;
	}
	pv->p = p;
	pm->priv = pv;
	err = build(pm);
	drop_scratch(pv);
	if (err) {
		pmodel__free(pm);
		return err;
	}
	*out = pm;
	return 0;
}

int pmodel__read_buf(const void *buf, size_t len, struct pmodel **out)
{
	Profile *p = pprof_read__buf(buf, len);

	if (!p)
		return errno ? -errno : -EINVAL;
	return from_profile(p, out);
}

int pmodel__read_file(const char *path, struct pmodel **out)
{
	Profile *p = pprof_read__file(path);

	if (!p)
		return errno ? -errno : -EINVAL;
	return from_profile(p, out);
}

void pmodel__free(struct pmodel *pm)
{
	struct priv *pv;

	if (!pm)
		return;
	pv = pm->priv;
	if (pv) {
		drop_scratch(pv);
		arena__free(&pv->strs);
		pprof_read__free(pv->p);
		free(pv);
	}
	free(pm->type_names);
	free(pm->type_units);
	free(pm->funcs);
	free(pm->frames);
	free(pm->stack_frames);
	free(pm->samples);
	free(pm->values);
	free(pm->procs);
	free(pm->threads);
	free(pm);
}

bool pmodel__sample_passes(const struct pmodel *pm, size_t sample, const struct pm_filter *f)
{
	const struct pm_sample *s = &pm->samples[sample];
	size_t i;

	if (!f)
		return true;
	if (f->n_pids) {
		for (i = 0; i < f->n_pids && f->pids[i] != s->pid; i++)
			;
		if (i == f->n_pids)
			return false;
	}
	return !f->comm || !f->comm[0] || strstr(pm->procs[s->proc], f->comm);
}
