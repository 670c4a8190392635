// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/topfns.h"
#include "util/hashmap.h"
#include "util/util.h"
#include "util/vec.h"

struct fn {
	char *name;
	int64_t flat, cum;
	uint64_t seen;		/* the last sample that counted its cum */
};

/* A location's functions: fn_ids[first .. first + n). */
struct loc {
	size_t first, n;
};

struct name_ent {
	const char *name;	/* the fn's own copy */
	uint32_t fn;
};

struct topfns {
	struct hashmap names;	/* name → fn index */
	struct fn *fns;
	size_t n_fns, cap_fns;
	struct loc *locs;	/* by location id; n == 0: unknown */
	size_t cap_locs;
	uint32_t *fn_ids;
	size_t n_fn_ids, cap_fn_ids;
	uint64_t samples;
};

struct topfns *topfns__new(void)
{
	struct topfns *t = calloc(1, sizeof(*t));

	if (t)
		t->names = (struct hashmap)HASHMAP_INIT(struct name_ent);
	return t;
}

void topfns__free(struct topfns *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_fns; i++)
		free(t->fns[i].name);
	free(t->fns);
	free(t->locs);
	free(t->fn_ids);
	hashmap__free(&t->names);
	free(t);
}

static bool name_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return !strcmp(key, ((const struct name_ent *)entry)->name);
}

/* The index of function name, added on first sight; -ENOMEM. */
static int64_t intern(struct topfns *t, const char *name)
{
	uint64_t h = hash__str(name);
	struct name_ent *e = hashmap__find(&t->names, h, name, name_eq, NULL);
	char *copy;
	bool added;

	if (e)
		return e->fn;
	if (t->n_fns >= UINT32_MAX || VEC_GROW(t->fns, t->cap_fns, t->n_fns + 1))
		return -ENOMEM;
	copy = strdup(name);
	e = copy ? hashmap__insert(&t->names, h, copy, name_eq, NULL, &added) : NULL;
	if (!e) {
		free(copy);
		return -ENOMEM;
	}
	*e = (struct name_ent){ .name = copy, .fn = (uint32_t)t->n_fns };
	t->fns[t->n_fns] = (struct fn){ .name = copy };
	return (int64_t)t->n_fns++;
}

int topfns__location(struct topfns *t, uint64_t id, const char *const *names, size_t n)
{
	size_t old = t->cap_locs;

	if (!n || id >= SIZE_MAX / 2 || VEC_GROW(t->locs, t->cap_locs, id + 1) ||
	    VEC_GROW(t->fn_ids, t->cap_fn_ids, t->n_fn_ids + n))
		return n ? -ENOMEM : 0;
	memset(t->locs + old, 0, (t->cap_locs - old) * sizeof(*t->locs));
	if (t->locs[id].n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int64_t fn = intern(t, names[i] ? names[i] : "");

		if (fn < 0)
			return (int)fn;
		t->fn_ids[t->n_fn_ids + i] = (uint32_t)fn;
	}
	t->locs[id] = (struct loc){ .first = t->n_fn_ids, .n = n };
	t->n_fn_ids += n;
	return 0;
}

void topfns__sample(struct topfns *t, const uint64_t *ids, size_t n, int64_t v)
{
	uint64_t tag = ++t->samples;

	for (size_t i = 0; i < n; i++) {
		const struct loc *l = ids[i] < t->cap_locs ? &t->locs[ids[i]] : NULL;

		for (size_t j = 0; l && j < l->n; j++) {
			struct fn *f = &t->fns[t->fn_ids[l->first + j]];

			if (i == 0 && j == 0)
				f->flat += v;
			if (f->seen != tag) {
				f->seen = tag;
				f->cum += v;
			}
		}
	}
}

/* Does a rank above b: more flat, or as much and a smaller name. */
static bool ranks_above(const struct fn *a, const struct topfns_entry *b, const char *b_name)
{
	return a->flat > b->flat || (a->flat == b->flat && strcmp(a->name, b_name) < 0);
}

size_t topfns__top(const struct topfns *t, struct topfns_entry *out, size_t max)
{
	const char *full[64];
	size_t n = 0;

	max = MIN(max, ARRAY_SIZE(full));
	if (!max)
		return 0;
	for (size_t i = 0; i < t->n_fns; i++) {
		const struct fn *f = &t->fns[i];
		size_t pos;

		if (f->flat <= 0 || (n == max && !ranks_above(f, &out[n - 1], full[n - 1])))
			continue;
		pos = n < max ? n++ : max - 1;
		for (; pos > 0 && ranks_above(f, &out[pos - 1], full[pos - 1]); pos--) {
			out[pos] = out[pos - 1];
			full[pos] = full[pos - 1];
		}
		out[pos] = (struct topfns_entry){ .flat = f->flat, .cum = f->cum };
		snprintf(out[pos].name, sizeof(out[pos].name), "%s", f->name);
		full[pos] = f->name;
	}
	return n;
}
