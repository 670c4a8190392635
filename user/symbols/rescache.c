// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See rescache.h. Entries point into one frame array and one string arena; strings are
 * interned (function names and file paths repeat across addresses). Starting over when full
 * keeps the bound simple: a server then resolves its hot addresses again once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/rescache.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/vec.h"

struct entry {
	uint64_t obj;		/* the object's serial */
	uint64_t vaddr;
	uint64_t sym_start;
	uint32_t first;		/* into frames */
	uint16_t n;
	int16_t err;
};

struct rescache {
	size_t max;
	struct hashmap entries;	/* struct entry */
	struct hashmap strings;	/* const char *, interned in arena */
	struct arena arena;
	struct sym_frame *frames;
	size_t n_frames, cap_frames;
};

struct key {
	uint64_t obj;
	uint64_t vaddr;
};

static bool entry_eq(const void *ctx, const void *key, const void *ent)
{
	const struct key *k = key;
	const struct entry *e = ent;

	(void)ctx;
	return e->obj == k->obj && e->vaddr == k->vaddr;
}

static bool string_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return !strcmp(*(const char *const *)ent, key);
}

static uint64_t key_hash(const struct key *k)
{
	return hash__add(hash__u64(k->obj), k->vaddr);
}

struct rescache *rescache__new(size_t max_entries)
{
	struct rescache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max = max_entries;
	c->entries = (struct hashmap)HASHMAP_INIT(struct entry);
	c->strings = (struct hashmap)HASHMAP_INIT(const char *);
	return c;
}

static void clear(struct rescache *c)
{
	hashmap__clear(&c->entries);
	hashmap__clear(&c->strings);
	arena__free(&c->arena);
	c->n_frames = 0;
}

void rescache__free(struct rescache *c)
{
	if (!c)
		return;
	clear(c);
	hashmap__free(&c->entries);
	hashmap__free(&c->strings);
	free(c->frames);
	free(c);
}

bool rescache__get(struct rescache *c, uint64_t obj, uint64_t vaddr, struct sym_result *res,
		   int *err)
{
	struct key k = { obj, vaddr };
	const struct entry *e = hashmap__find(&c->entries, key_hash(&k), &k, entry_eq, NULL);

	if (!e)
		return false;
	*err = e->err;
	memset(res, 0, sizeof(*res));
	res->n = e->n;
	res->sym_start = e->sym_start;
	memcpy(res->frames, c->frames + e->first, e->n * sizeof(res->frames[0]));
	return true;
}

/* The interned copy of s (NULL stays NULL); NULL with *failed set when out of memory. */
static const char *intern(struct rescache *c, const char *s, bool *failed)
{
	uint64_t h;
	const char **ent;
	bool added;

	if (!s || *failed)
		return NULL;
	h = hash__str(s);
	ent = hashmap__insert(&c->strings, h, s, string_eq, NULL, &added);
	if (!ent) {
		*failed = true;
		return NULL;
	}
	if (added && !(*ent = arena__strdup(&c->arena, s, strlen(s)))) {
		hashmap__remove(&c->strings, ent);
		*failed = true;
		return NULL;
	}
	return *ent;
}

void rescache__put(struct rescache *c, uint64_t obj, uint64_t vaddr,
		   const struct sym_result *res, int err)
{
	struct key k = { obj, vaddr };
	size_t n = err ? 0 : res->n;
	struct entry *e;
	bool added, failed = false;

	if (hashmap__count(&c->entries) >= c->max)
		clear(c);
	if (VEC_GROW(c->frames, c->cap_frames, c->n_frames + n))
		return;
	for (size_t i = 0; i < n; i++) {
		const struct sym_frame *f = &res->frames[i];

		c->frames[c->n_frames + i] = (struct sym_frame){
			.name = intern(c, f->name, &failed),
			.system_name = intern(c, f->system_name, &failed),
			.file = intern(c, f->file, &failed),
			.line = f->line,
			.start_line = f->start_line,
		};
	}
	if (failed)
		return;
	e = hashmap__insert(&c->entries, key_hash(&k), &k, entry_eq, NULL, &added);
	if (!e)
		return;
	*e = (struct entry){
		.obj = obj,
		.vaddr = vaddr,
		.sym_start = err ? 0 : res->sym_start,
		.first = (uint32_t)c->n_frames,
		.n = (uint16_t)n,
		.err = (int16_t)err,
	};
	c->n_frames += n;
}

size_t rescache__count(const struct rescache *c)
{
	return hashmap__count(&c->entries);
}
