// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/idmap.h"

struct slot {
	uint64_t a, b, val;
	bool used;
};

struct idmap {
	struct slot *slots;
	size_t n_slots;	/* power of two */
	size_t n;
};

static size_t slot_of(uint64_t a, uint64_t b, size_t n_slots)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;

	return (h ^ (h >> 32)) & (n_slots - 1);
}

struct idmap *idmap__new(void)
{
	struct idmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->n_slots = 256;
	m->slots = calloc(m->n_slots, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void idmap__free(struct idmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static struct slot *find(const struct idmap *m, uint64_t a, uint64_t b)
{
	size_t j = slot_of(a, b, m->n_slots);

	while (m->slots[j].used && (m->slots[j].a != a || m->slots[j].b != b))
		j = (j + 1) & (m->n_slots - 1);
	return &m->slots[j];
}

int idmap__get(const struct idmap *m, uint64_t a, uint64_t b, uint64_t *val)
{
	const struct slot *s = find(m, a, b);

	if (!s->used)
		return 0;
	*val = s->val;
	return 1;
}

static int grow(struct idmap *m)
{
	struct idmap bigger = { .n_slots = m->n_slots * 2 };

	bigger.slots = calloc(bigger.n_slots, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_slots; i++)
		if (m->slots[i].used)
			*find(&bigger, m->slots[i].a, m->slots[i].b) = m->slots[i];
	free(m->slots);
	m->slots = bigger.slots;
	m->n_slots = bigger.n_slots;
	return 0;
}

int idmap__set(struct idmap *m, uint64_t a, uint64_t b, uint64_t val)
{
	struct slot *s;

	if ((m->n + 1) * 2 > m->n_slots && grow(m))
		return -ENOMEM;
	s = find(m, a, b);
	if (!s->used)
		m->n++;
	*s = (struct slot){ .a = a, .b = b, .val = val, .used = true };
	return 0;
}

size_t idmap__count(const struct idmap *m)
{
	return m->n;
}
