// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pprof builder: interned strings, functions, mappings and locations in flat arrays with
 * open-addressing indexes, samples stored flat; encoded with protobuf-c and streamed
 * through zlib's gzip. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomicfile.h"
#include "gzbuf.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "util/hashmap.h"
#include "util/util.h"
#include "util/vec.h"

struct fn {
	int64_t name;
	int64_t system_name;
	int64_t filename;
	int64_t start_line;
};

struct map {
	uint64_t start;
	uint64_t limit;
	uint64_t offset;
	int64_t filename;
	int64_t build_id;
	bool has_functions;
	bool has_filenames;
	bool has_line_numbers;
	bool has_inline_frames;
};

struct line {
	uint64_t function_id;
	int64_t line;
};

struct loc {
	uint64_t mapping_id;
	uint64_t address;
	size_t line0;	/* first of n_lines in pprof_builder.lines */
	uint32_t n_lines;
};

struct sample {
	size_t loc0;	/* in pprof_builder.sample_locs */
	size_t label0;	/* in pprof_builder.labels */
	uint32_t n_locs;
	uint32_t n_labels;
};

struct label {
	int64_t key;
	int64_t str;
	int64_t num;
	int64_t num_unit;
};

struct pprof_builder {
	struct { char **v; size_t n, cap; } strs;		/* owned; [0] = "" */
	struct { struct fn *v; size_t n, cap; } fns;		/* id = index + 1 */
	struct { struct map *v; size_t n, cap; } maps;		/* id = index + 1 */
	struct { struct loc *v; size_t n, cap; } locs;		/* id = index + 1 */
	struct { struct line *v; size_t n, cap; } lines;
	struct { struct sample *v; size_t n, cap; } samples;
	struct { uint64_t *v; size_t n, cap; } sample_locs;
	struct { int64_t *v; size_t n, cap; } values;		/* n_types per sample */
	struct { struct label *v; size_t n, cap; } labels;
	struct { int64_t *v; size_t n, cap; } comments;		/* string indices */
	/* Indexes over strs, fns, maps and locs: entries are uint32_t array indices. */
	struct hashmap str_tab;
	struct hashmap fn_tab;
	struct hashmap map_tab;
	struct hashmap loc_tab;
	int64_t *types;		/* type, unit string indices per sample type */
	size_t n_types;
	int64_t period_type[2];
	int64_t period;
	int64_t time_nanos;
	int64_t duration_nanos;
	int64_t default_type;
};

/* Appends elem to the array a (a struct with v, n, cap). Entry ids are uint32 in the
 * indexes: far beyond any real profile, but checked. Returns 0 or -ENOMEM. */
#define PUSH(a, elem) \
	((a).n >= UINT32_MAX - 1 ? -ENOMEM : VEC_PUSH((a).v, (a).n, (a).cap, (elem)))

/* Makes room for extra more elements of the array a without changing a.n. */
#define RESERVE(a, extra) VEC_GROW((a).v, (a).cap, (a).n + (extra))

/* The indexes hold uint32_t positions in the arrays; the builder is their context. */
static bool str_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pprof_builder *b = ctx;

	return strcmp(b->strs.v[*(const uint32_t *)ent], key) == 0;
}

/* Stores the string-table index of s (NULL counts as "") in *idx. */
static int intern(struct pprof_builder *b, const char *s, int64_t *idx)
{
	uint32_t *ent;
	char *copy;
	bool added;

	if (!s)
		s = "";
	ent = hashmap__insert(&b->str_tab, hash__str(s), s, str_eq, b, &added);
	if (!ent)
		return -ENOMEM;
	if (added) {
		copy = strdup(s);
		if (!copy || PUSH(b->strs, copy)) {
			free(copy);
			hashmap__remove(&b->str_tab, ent);
			return -ENOMEM;
		}
		*ent = b->strs.n - 1;
	}
	*idx = *ent;
	return 0;
}

static int set_opts(struct pprof_builder *b, const struct pprof_opts *opts)
{
	const char *dflt = opts->default_sample_type;
	int err = 0;
	size_t i;

	b->types = calloc(opts->n_sample_types ? opts->n_sample_types : 1, 2 * sizeof(int64_t));
	if (!b->types)
		return -ENOMEM;
	b->n_types = opts->n_sample_types;
	for (i = 0; i < b->n_types && !err; i++) {
		err = intern(b, opts->sample_types[i].type, &b->types[2 * i]);
		if (!err)
			err = intern(b, opts->sample_types[i].unit, &b->types[2 * i + 1]);
	}
	if (!err)
		err = intern(b, opts->period_type.type, &b->period_type[0]);
	if (!err)
		err = intern(b, opts->period_type.unit, &b->period_type[1]);
	if (err || !dflt)
		return err;
	for (i = 0; i < b->n_types; i++) {
		if (strcmp(b->strs.v[b->types[2 * i]], dflt) == 0)
			return intern(b, dflt, &b->default_type);
	}
	/* pprof refuses a profile whose default names no sample type; say so now. */
	return -EINVAL;
}

struct pprof_builder *pprof_builder__new(const struct pprof_opts *opts)
{
	struct pprof_builder *b;
	int64_t empty;
	int err;

	if (!opts || (opts->n_sample_types && !opts->sample_types)) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->str_tab = b->fn_tab = b->map_tab = b->loc_tab = (struct hashmap)HASHMAP_INIT(uint32_t);
	err = intern(b, "", &empty);
	if (!err)
		err = set_opts(b, opts);
	if (err) {
		pprof_builder__free(b);
		errno = -err;
		return NULL;
	}
	b->period = opts->period;
	b->time_nanos = opts->time_nanos;
	b->duration_nanos = opts->duration_nanos;
	return b;
}

void pprof_builder__free(struct pprof_builder *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->strs.n; i++)
		free(b->strs.v[i]);
	free(b->strs.v);
	free(b->fns.v);
	free(b->maps.v);
	free(b->locs.v);
	free(b->lines.v);
	free(b->samples.v);
	free(b->sample_locs.v);
	free(b->values.v);
	free(b->labels.v);
	free(b->comments.v);
	hashmap__free(&b->str_tab);
	hashmap__free(&b->fn_tab);
	hashmap__free(&b->map_tab);
	hashmap__free(&b->loc_tab);
	free(b->types);
	free(b);
}

static bool map_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pprof_builder *b = ctx;
	const struct map *m = &b->maps.v[*(const uint32_t *)ent], *k = key;

	return m->start == k->start && m->limit == k->limit && m->offset == k->offset &&
	       m->filename == k->filename && m->build_id == k->build_id &&
	       m->has_functions == k->has_functions && m->has_filenames == k->has_filenames &&
	       m->has_line_numbers == k->has_line_numbers &&
	       m->has_inline_frames == k->has_inline_frames;
}

static uint64_t map_hash(const struct map *k)
{
	uint64_t h = hash__add(0, k->start);

	h = hash__add(h, k->limit);
	h = hash__add(h, k->offset);
	h = hash__add(h, (uint64_t)k->filename);
	h = hash__add(h, (uint64_t)k->build_id);
	return hash__add(h, k->has_functions | k->has_filenames << 1 | k->has_line_numbers << 2 |
				    k->has_inline_frames << 3);
}

uint64_t pprof_builder__mapping(struct pprof_builder *b, const struct pprof_mapping *m)
{
	struct map k = {
		.start = m->memory_start,
		.limit = m->memory_limit,
		.offset = m->file_offset,
		.has_functions = m->has_functions,
		.has_filenames = m->has_filenames,
		.has_line_numbers = m->has_line_numbers,
		.has_inline_frames = m->has_inline_frames,
	};
	uint32_t *ent;
	bool added;
	int err;

	err = intern(b, m->filename, &k.filename);
	if (!err)
		err = intern(b, m->build_id, &k.build_id);
	if (err)
		goto err_out;
	ent = hashmap__insert(&b->map_tab, map_hash(&k), &k, map_eq, b, &added);
	if (!ent)
		err = -ENOMEM;
	else if (added && (err = PUSH(b->maps, k)))
		hashmap__remove(&b->map_tab, ent);
	else if (added)
		*ent = b->maps.n - 1;
	if (err)
		goto err_out;
	return *ent + 1;
err_out:
	errno = -err;
	return 0;
}

static bool fn_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pprof_builder *b = ctx;
	const struct fn *f = &b->fns.v[*(const uint32_t *)ent], *k = key;

	return f->name == k->name && f->system_name == k->system_name &&
	       f->filename == k->filename && f->start_line == k->start_line;
}

/* Stores the id of the function a line belongs to in *id. */
static int function_id(struct pprof_builder *b, const struct pprof_line *l, uint64_t *id)
{
	struct fn k = { .start_line = l->start_line };
	uint64_t hash;
	uint32_t *ent;
	bool added;
	int err;

	err = intern(b, l->name, &k.name);
	/* The system name is most often the name itself (C code): no second lookup then. */
	if (!err && (!l->system_name || l->system_name == l->name))
		k.system_name = k.name;
	else if (!err)
		err = intern(b, l->system_name, &k.system_name);
	if (!err)
		err = intern(b, l->filename, &k.filename);
	if (err)
		return err;
	hash = hash__add(hash__add(hash__add(hash__add(0, (uint64_t)k.name),
					     (uint64_t)k.system_name),
				   (uint64_t)k.filename),
			 (uint64_t)k.start_line);
	ent = hashmap__insert(&b->fn_tab, hash, &k, fn_eq, b, &added);
	if (!ent)
		return -ENOMEM;
	if (added && (err = PUSH(b->fns, k))) {
		hashmap__remove(&b->fn_tab, ent);
		return err;
	}
	if (added)
		*ent = b->fns.n - 1;
	*id = *ent + 1;
	return 0;
}

/* Appends the lines of a location to b->lines; on error appends nothing. */
static int add_lines(struct pprof_builder *b, const struct pprof_line *lines, size_t n_lines)
{
	size_t line0 = b->lines.n, i;
	struct line l;
	int err = 0;

	for (i = 0; i < n_lines && !err; i++) {
		l.line = lines[i].line;
		err = function_id(b, &lines[i], &l.function_id);
		if (!err)
			err = PUSH(b->lines, l);
	}
	if (err)
		b->lines.n = line0;
	return err;
}

/* Without an address, the lines are what tells two locations apart: synthetic frames
 * such as "[lost samples]" and "[truncated]" must not collapse into one. */
static bool loc_eq(const void *ctx, const void *key, const void *ent)
{
	const struct pprof_builder *b = ctx;
	const struct loc *l = &b->locs.v[*(const uint32_t *)ent], *k = key;
	const struct line *lines = b->lines.v;

	if (l->mapping_id != k->mapping_id || l->address != k->address)
		return false;
	if (k->address || (l->n_lines == 0 && k->n_lines == 0))
		return true;
	return l->n_lines == k->n_lines &&
	       memcmp(lines + l->line0, lines + k->line0, k->n_lines * sizeof(*lines)) == 0;
}

static uint64_t loc_hash(const struct pprof_builder *b, const struct loc *k)
{
	const struct line *lines = b->lines.v;
	uint64_t h = hash__add(hash__add(0, k->mapping_id), k->address);
	uint32_t i;

	for (i = 0; !k->address && i < k->n_lines; i++) {
		h = hash__add(h, lines[k->line0 + i].function_id);
		h = hash__add(h, (uint64_t)lines[k->line0 + i].line);
	}
	return h;
}

/* With an address, the location is looked up (and its entry reserved) before its lines
 * are interned: the first call's lines win. Without one, its lines are its key. */
uint64_t pprof_builder__location(struct pprof_builder *b, uint64_t mapping_id, uint64_t address,
				 const struct pprof_line *lines, size_t n_lines)
{
	struct loc k = { mapping_id, address, b->lines.n, (uint32_t)n_lines };
	uint32_t *ent = NULL;
	bool added = false;
	int err = -EINVAL;

	if (mapping_id > b->maps.n || n_lines >= UINT32_MAX || (n_lines && !lines))
		goto err_out;
	if (address) {
		ent = hashmap__insert(&b->loc_tab, loc_hash(b, &k), &k, loc_eq, b, &added);
		if (ent && !added)
			return *ent + 1;
	}
	err = address && !ent ? -ENOMEM : add_lines(b, lines, n_lines);
	if (!err && !address) {
		ent = hashmap__insert(&b->loc_tab, loc_hash(b, &k), &k, loc_eq, b, &added);
		if (ent && !added) {
			b->lines.n = k.line0;
			return *ent + 1;
		}
		err = ent ? 0 : -ENOMEM;
	}
	if (!err)
		err = PUSH(b->locs, k);
	if (!err) {
		*ent = b->locs.n - 1;
		return b->locs.n;
	}
	if (ent)
		hashmap__remove(&b->loc_tab, ent);
	b->lines.n = k.line0;
err_out:
	errno = -err;
	return 0;
}

/* Fills label slots past b->labels.n (already reserved) without committing them. */
static int fill_labels(struct pprof_builder *b, const struct pprof_label *in, size_t n)
{
	struct label *out = b->labels.v, *o;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (!in[i].key)
			return -EINVAL;
		o = &out[b->labels.n + i];
		*o = (struct label){ .num = in[i].str ? 0 : in[i].num };
		err = intern(b, in[i].key, &o->key);
		if (!err && in[i].str)
			err = intern(b, in[i].str, &o->str);
		if (!err && !in[i].str && in[i].num_unit)
			err = intern(b, in[i].num_unit, &o->num_unit);
		if (err)
			return err;
	}
	return 0;
}

int pprof_builder__add_sample(struct pprof_builder *b, const uint64_t *location_ids, size_t n_locs,
			      const int64_t *values, const struct pprof_label *labels,
			      size_t n_labels)
{
	struct sample s = { b->sample_locs.n, b->labels.n, (uint32_t)n_locs, (uint32_t)n_labels };
	size_t i;
	int err;

	if (n_locs >= UINT32_MAX || n_labels >= UINT32_MAX || (n_locs && !location_ids) ||
	    (n_labels && !labels) || (b->n_types && !values))
		return -EINVAL;
	/* pprof rejects the whole profile for one dangling id: refuse it here instead. */
	for (i = 0; i < n_locs; i++) {
		if (location_ids[i] == 0 || location_ids[i] > b->locs.n)
			return -EINVAL;
	}
	err = RESERVE(b->sample_locs, n_locs);
	if (!err)
		err = RESERVE(b->values, b->n_types);
	if (!err)
		err = RESERVE(b->labels, n_labels);
	if (!err)
		err = fill_labels(b, labels, n_labels);
	if (!err)
		err = PUSH(b->samples, s);
	if (err)
		return err;
	if (n_locs)
		memcpy(b->sample_locs.v + b->sample_locs.n, location_ids,
		       n_locs * sizeof(uint64_t));
	if (b->n_types)
		memcpy(b->values.v + b->values.n, values, b->n_types * sizeof(int64_t));
	b->sample_locs.n += n_locs;
	b->values.n += b->n_types;
	b->labels.n += n_labels;
	return 0;
}

int pprof_builder__add_comment(struct pprof_builder *b, const char *comment)
{
	int64_t idx;
	int err;

	err = intern(b, comment, &idx);
	if (!err)
		err = PUSH(b->comments, idx);
	return err;
}

/* What encoding allocates besides the builder's arrays: protobuf-c wants arrays of message
 * pointers, so each kind gets one block holding the pointers followed by the messages. */
struct pb {
	Perftools__Profiles__Profile prof;
	Perftools__Profiles__ValueType period_type;
	void *blocks[8];
	size_t n_blocks;
};

static void *pb__alloc(struct pb *pb, size_t n, size_t size)
{
	void *p;

	if (n > SIZE_MAX / (sizeof(void *) + size))
		return NULL;
	p = malloc(n ? n * (sizeof(void *) + size) : 1);
	if (p)
		pb->blocks[pb->n_blocks++] = p;
	return p;
}

static void pb__free(struct pb *pb)
{
	size_t i;

	for (i = 0; i < pb->n_blocks; i++)
		free(pb->blocks[i]);
}

static int pb__value_types(struct pb *pb, const struct pprof_builder *b)
{
	Perftools__Profiles__ValueType **pp, *m;
	size_t i;

	pp = pb__alloc(pb, b->n_types, sizeof(*m));
	if (!pp)
		return -ENOMEM;
	m = (void *)(pp + b->n_types);
	for (i = 0; i < b->n_types; i++) {
		perftools__profiles__value_type__init(&m[i]);
		m[i].type = b->types[2 * i];
		m[i].unit = b->types[2 * i + 1];
		pp[i] = &m[i];
	}
	pb->prof.n_sample_type = b->n_types;
	pb->prof.sample_type = pp;
	return 0;
}

/* Sample values, location ids and labels point into the builder: nothing is copied. */
static int pb__samples(struct pb *pb, const struct pprof_builder *b)
{
	const struct sample *s = b->samples.v;
	const struct label *l = b->labels.v;
	uint64_t *locs = b->sample_locs.v;
	int64_t *values = b->values.v;
	Perftools__Profiles__Sample **sp, *sm;
	Perftools__Profiles__Label **lp, *lm;
	size_t i;

	sp = pb__alloc(pb, b->samples.n, sizeof(*sm));
	lp = pb__alloc(pb, b->labels.n, sizeof(*lm));
	if (!sp || !lp)
		return -ENOMEM;
	lm = (void *)(lp + b->labels.n);
	for (i = 0; i < b->labels.n; i++) {
		perftools__profiles__label__init(&lm[i]);
		lm[i].key = l[i].key;
		lm[i].str = l[i].str;
		lm[i].num = l[i].num;
		lm[i].num_unit = l[i].num_unit;
		lp[i] = &lm[i];
	}
	sm = (void *)(sp + b->samples.n);
	for (i = 0; i < b->samples.n; i++) {
		perftools__profiles__sample__init(&sm[i]);
		/* arrays stay NULL while empty: no pointer arithmetic on them then */
		sm[i].n_location_id = s[i].n_locs;
		sm[i].location_id = s[i].n_locs ? locs + s[i].loc0 : NULL;
		sm[i].n_value = b->n_types;
		sm[i].value = b->n_types ? values + i * b->n_types : NULL;
		sm[i].n_label = s[i].n_labels;
		sm[i].label = lp + s[i].label0;
		sp[i] = &sm[i];
	}
	pb->prof.n_sample = b->samples.n;
	pb->prof.sample = sp;
	return 0;
}

static int pb__mappings(struct pb *pb, const struct pprof_builder *b)
{
	const struct map *in = b->maps.v;
	Perftools__Profiles__Mapping **pp, *m;
	size_t i;

	pp = pb__alloc(pb, b->maps.n, sizeof(*m));
	if (!pp)
		return -ENOMEM;
	m = (void *)(pp + b->maps.n);
	for (i = 0; i < b->maps.n; i++) {
		perftools__profiles__mapping__init(&m[i]);
		m[i].id = i + 1;
		m[i].memory_start = in[i].start;
		m[i].memory_limit = in[i].limit;
		m[i].file_offset = in[i].offset;
		m[i].filename = in[i].filename;
		m[i].build_id = in[i].build_id;
		m[i].has_functions = in[i].has_functions;
		m[i].has_filenames = in[i].has_filenames;
		m[i].has_line_numbers = in[i].has_line_numbers;
		m[i].has_inline_frames = in[i].has_inline_frames;
		pp[i] = &m[i];
	}
	pb->prof.n_mapping = b->maps.n;
	pb->prof.mapping = pp;
	return 0;
}

static int pb__locations(struct pb *pb, const struct pprof_builder *b)
{
	const struct loc *in = b->locs.v;
	const struct line *lines = b->lines.v;
	Perftools__Profiles__Location **pp, *m;
	Perftools__Profiles__Line **lp, *lm;
	size_t i;

	pp = pb__alloc(pb, b->locs.n, sizeof(*m));
	lp = pb__alloc(pb, b->lines.n, sizeof(*lm));
	if (!pp || !lp)
		return -ENOMEM;
	lm = (void *)(lp + b->lines.n);
	for (i = 0; i < b->lines.n; i++) {
		perftools__profiles__line__init(&lm[i]);
		lm[i].function_id = lines[i].function_id;
		lm[i].line = lines[i].line;
		lp[i] = &lm[i];
	}
	m = (void *)(pp + b->locs.n);
	for (i = 0; i < b->locs.n; i++) {
		perftools__profiles__location__init(&m[i]);
		m[i].id = i + 1;
		m[i].mapping_id = in[i].mapping_id;
		m[i].address = in[i].address;
		m[i].n_line = in[i].n_lines;
		m[i].line = lp + in[i].line0;
		pp[i] = &m[i];
	}
	pb->prof.n_location = b->locs.n;
	pb->prof.location = pp;
	return 0;
}

static int pb__functions(struct pb *pb, const struct pprof_builder *b)
{
	const struct fn *in = b->fns.v;
	Perftools__Profiles__Function **pp, *m;
	size_t i;

	pp = pb__alloc(pb, b->fns.n, sizeof(*m));
	if (!pp)
		return -ENOMEM;
	m = (void *)(pp + b->fns.n);
	for (i = 0; i < b->fns.n; i++) {
		perftools__profiles__function__init(&m[i]);
		m[i].id = i + 1;
		m[i].name = in[i].name;
		m[i].system_name = in[i].system_name;
		m[i].filename = in[i].filename;
		m[i].start_line = in[i].start_line;
		pp[i] = &m[i];
	}
	pb->prof.n_function = b->fns.n;
	pb->prof.function = pp;
	return 0;
}

static int pb__build(struct pb *pb, const struct pprof_builder *b)
{
	Perftools__Profiles__Profile *p = &pb->prof;
	int err;

	perftools__profiles__profile__init(p);
	perftools__profiles__value_type__init(&pb->period_type);
	/* Go's writer leaves an all-zero period_type out; match it. */
	if (b->period_type[0] || b->period_type[1]) {
		pb->period_type.type = b->period_type[0];
		pb->period_type.unit = b->period_type[1];
		p->period_type = &pb->period_type;
	}
	p->n_string_table = b->strs.n;
	p->string_table = b->strs.v;
	p->time_nanos = b->time_nanos;
	p->duration_nanos = b->duration_nanos;
	p->period = b->period;
	p->n_comment = b->comments.n;
	p->comment = b->comments.v;
	p->default_sample_type = b->default_type;
	err = pb__value_types(pb, b);
	if (!err)
		err = pb__samples(pb, b);
	if (!err)
		err = pb__mappings(pb, b);
	if (!err)
		err = pb__locations(pb, b);
	if (!err)
		err = pb__functions(pb, b);
	return err;
}

/* protobuf-c's output, gzipped as it comes: its append callback cannot fail, so the first
 * error is kept for after packing. */
struct gz_sink {
	ProtobufCBuffer base;	/* first: protobuf-c hands this back to gz_sink__append */
	struct gzbuf *gz;
	int err;
};

static void gz_sink__append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct gz_sink *s = (struct gz_sink *)buf;

	if (!s->err)
		s->err = gzbuf__append(s->gz, data, len);
}

int pprof_builder__encode(struct pprof_builder *b, void **buf, size_t *len)
{
	struct gz_sink s = { .base.append = gz_sink__append };
	struct pb pb = { .n_blocks = 0 };
	int err;

	*buf = NULL;
	*len = 0;
	err = pb__build(&pb, b);
	if (!err) {
		s.gz = gzbuf__new(Z_BEST_SPEED);
		err = s.gz ? 0 : -ENOMEM;
	}
	if (err)
		goto out;
	perftools__profiles__profile__pack_to_buffer(&pb.prof, &s.base);
	err = s.err;
	if (!err)
		err = gzbuf__finish(s.gz, buf, len);
out:
	gzbuf__free(s.gz);
	pb__free(&pb);
	return err;
}

int pprof_builder__write(struct pprof_builder *b, const char *path)
{
	void *buf = NULL;
	size_t len = 0;
	int err;

	err = pprof_builder__encode(b, &buf, &len);
	if (!err)
		err = atomicfile__write(path, buf, len);
	free(buf);
	return err;
}
