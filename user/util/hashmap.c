// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

static inline uint32_t tag_of(uint64_t hash)
{
	return (uint32_t)hash | 1;
}

static inline void *ent(const struct hashmap *m, size_t i)
{
	return m->ents + i * m->esize;
}

void hashmap__free(struct hashmap *m)
{
	if (!m)
		return;
	free(m->ents);
	free(m->tags);
	m->ents = NULL;
	m->tags = NULL;
	m->cap = m->n = 0;
}

void hashmap__clear(struct hashmap *m)
{
	if (m->cap)
		memset(m->tags, 0, m->cap * sizeof(*m->tags));
	m->n = 0;
}

/* Doubles the slots and places every entry again. */
static int grow(struct hashmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	unsigned char *ents;
	uint32_t *tags;

	if (cap > SIZE_MAX / 2 / (m->esize + sizeof(*tags)))
		return -ENOMEM;
	ents = malloc(cap * m->esize);
	tags = calloc(cap, sizeof(*tags));
	if (!ents || !tags) {
		free(ents);
		free(tags);
		return -ENOMEM;
	}
	/* Tags keep only 32 bits of the hash, enough to place entries again: the table never
	 * outgrows 2^31 slots. */
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->tags[i])
			continue;
		for (j = m->tags[i] & (cap - 1); tags[j]; j = (j + 1) & (cap - 1))
			;
		tags[j] = m->tags[i];
		memcpy(ents + j * m->esize, ent(m, i), m->esize);
	}
	free(m->ents);
	free(m->tags);
	m->ents = ents;
	m->tags = tags;
	m->cap = cap;
	return 0;
}

/* The slot of the entry equal to key, or of the empty slot where it belongs; cap > 0.
 * Inlined into find and insert: it is the whole of a lookup. */
static inline __attribute__((always_inline)) size_t probe(const struct hashmap *m, uint32_t tag,
							  const void *key, hashmap_eq_fn eq,
							  const void *ctx)
{
	size_t i = tag & (m->cap - 1);

	for (; m->tags[i]; i = (i + 1) & (m->cap - 1))
		if (m->tags[i] == tag && eq(ctx, key, ent(m, i)))
			break;
	return i;
}

void *hashmap__find(const struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn eq,
		    const void *ctx)
{
	size_t i;

	if (!m->n)
		return NULL;
	i = probe(m, tag_of(hash), key, eq, ctx);
	return m->tags[i] ? ent(m, i) : NULL;
}

void *hashmap__insert(struct hashmap *m, uint64_t hash, const void *key, hashmap_eq_fn eq,
		      const void *ctx, bool *added)
{
	uint32_t tag = tag_of(hash);
	size_t i = 0;

	*added = false;
	if (m->cap) {
		i = probe(m, tag, key, eq, ctx);
		if (m->tags[i])
			return ent(m, i);
	}
	if ((m->n + 1) * 2 > m->cap) {
		if (grow(m))
			return NULL;
		i = probe(m, tag, key, eq, ctx);
	}
	m->tags[i] = tag;
	memset(ent(m, i), 0, m->esize);
	m->n++;
	*added = true;
	return ent(m, i);
}

/* Backward-shift deletion: entries after the hole that may move into it do, so that probes
 * never stop early and no tombstones accumulate. */
void hashmap__remove(struct hashmap *m, void *entry)
{
	size_t mask = m->cap - 1, i = ((unsigned char *)entry - m->ents) / m->esize, j;

	m->tags[i] = 0;
	m->n--;
	for (j = (i + 1) & mask; m->tags[j]; j = (j + 1) & mask) {
		size_t home = m->tags[j] & mask;

		/* j's entry stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		m->tags[i] = m->tags[j];
		memcpy(ent(m, i), ent(m, j), m->esize);
		m->tags[j] = 0;
		i = j;
	}
}

void *hashmap__next(const struct hashmap *m, size_t *it)
{
	for (; *it < m->cap; (*it)++)
		if (m->tags[*it])
			return ent(m, (*it)++);
	return NULL;
}

uint64_t hash__bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a, then mixed */

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return hash__u64(h);
}

uint64_t hash__str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return hash__u64(h);
}
