// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "util/hashmap.h"
#include "util/idmap.h"

struct idmap_entry {
	uint64_t a, b, val;
};

struct idmap {
	struct hashmap map;	/* of struct idmap_entry */
};

static bool entry_eq(const void *ctx, const void *key, const void *entry)
{
	const struct idmap_entry *k = key, *e = entry;

	(void)ctx;
	return k->a == e->a && k->b == e->b;
}

static uint64_t hash_of(uint64_t a, uint64_t b)
{
	return hash__add(hash__u64(a), b);
}

struct idmap *idmap__new(void)
{
	struct idmap *m = calloc(1, sizeof(*m));

	if (m)
		m->map = (struct hashmap)HASHMAP_INIT(struct idmap_entry);
	return m;
}

void idmap__free(struct idmap *m)
{
	if (!m)
		return;
	hashmap__free(&m->map);
	free(m);
}

int idmap__get(const struct idmap *m, uint64_t a, uint64_t b, uint64_t *val)
{
	struct idmap_entry key = { .a = a, .b = b };
	const struct idmap_entry *e = hashmap__find(&m->map, hash_of(a, b), &key, entry_eq, NULL);

	if (!e)
		return 0;
	*val = e->val;
	return 1;
}

int idmap__set(struct idmap *m, uint64_t a, uint64_t b, uint64_t val)
{
	struct idmap_entry key = { .a = a, .b = b }, *e;
	bool added;

	e = hashmap__insert(&m->map, hash_of(a, b), &key, entry_eq, NULL, &added);
	if (!e)
		return -ENOMEM;
	*e = (struct idmap_entry){ .a = a, .b = b, .val = val };
	return 0;
}

void idmap__remove(struct idmap *m, uint64_t a, uint64_t b)
{
	struct idmap_entry key = { .a = a, .b = b }, *e;

	e = hashmap__find(&m->map, hash_of(a, b), &key, entry_eq, NULL);
	if (e)
		hashmap__remove(&m->map, e);
}

size_t idmap__count(const struct idmap *m)
{
	return hashmap__count(&m->map);
}
