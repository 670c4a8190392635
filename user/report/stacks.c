// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/stacks.h"
#include "util/hashmap.h"
#include "util/vec.h"

struct stacks {
	struct proctab *pt;
	struct stack *v;	/* distinct stacks, in serial order */
	size_t n, cap;
	struct hashmap index;	/* uint32_t positions in v */
	uint64_t next_serial;
	size_t limit;		/* 0: none */
	uint64_t overflowed;
	uint64_t overflow_serial[CPROF_KIND_NR];	/* each kind's overflow stack; 0: none */
};

/* A record with the process it belongs to: the key of a stack. */
struct rec_key {
	const struct cprof_sample *r;
	uint32_t gen;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	/* FNV-1a: keys are short, and a final mix spreads them over the table. */
	for (size_t i = 0; i < len; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

/* The flags that change what a stack means: why it stopped (identical frames may end at a
 * root or be cut short, as before a process's tables exist), whether its first user frame
 * is an exact pc, and whether frame pointers stood in for missing unwind tables (counted
 * in the summary). */
#define KEY_FLAGS (CPROF_SF_STOP_MASK | CPROF_SF_PC_EXACT | CPROF_SF_FP_FALLBACK)

static uint64_t rec_hash(const struct rec_key *key)
{
	const struct cprof_sample *r = key->r;
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t flags = r->flags & KEY_FLAGS;

	h = hash_bytes(h, &key->gen, sizeof(key->gen));
	h = hash_bytes(h, &r->image, sizeof(r->image));
	h = hash_bytes(h, &flags, sizeof(flags));
	h = hash_bytes(h, &r->kind, sizeof(r->kind));
	h = hash_bytes(h, &r->pid, sizeof(r->pid));
	h = hash_bytes(h, r->comm, sizeof(r->comm));
	h = hash_bytes(h, r->pcomm, sizeof(r->pcomm));
	h = hash_bytes(h, &r->addr, sizeof(r->addr));
	h = hash_bytes(h, &r->aux, sizeof(r->aux));
	h = hash_bytes(h, r->aux_comm, sizeof(r->aux_comm));
	h = hash_bytes(h, &r->n_kernel, sizeof(r->n_kernel));
	h = hash_bytes(h, &r->n_user, sizeof(r->n_user));
	h = hash_bytes(h, r->frames, ((size_t)r->n_kernel + r->n_user) * sizeof(uint64_t));
	return hash__u64(h);
}

static bool rec_equal(const void *ctx, const void *key, const void *ent)
{
	const struct stack *s = &((const struct stacks *)ctx)->v[*(const uint32_t *)ent];
	const struct rec_key *k = key;
	const struct cprof_sample *r = k->r;
	size_t n = (size_t)r->n_kernel + r->n_user;

	return s->kind == r->kind && s->pid == r->pid && s->gen == k->gen && s->image == r->image &&
	       s->n_kernel == r->n_kernel && !(s->flags & STACK_OVERFLOW) &&
	       (s->flags & KEY_FLAGS) == (r->flags & KEY_FLAGS) &&
	       s->n_user == r->n_user && !memcmp(s->thread, r->comm, sizeof(s->thread)) &&
	       !memcmp(s->comm, r->pcomm, sizeof(s->comm)) && s->addr == r->addr &&
	       s->aux == r->aux && !memcmp(s->aux_comm, r->aux_comm, sizeof(s->aux_comm)) &&
	       !memcmp(s->frames, r->frames, n * sizeof(uint64_t));
}

struct stacks *stacks__new(struct proctab *pt)
{
	struct stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->pt = pt;
	st->index = (struct hashmap)HASHMAP_INIT(uint32_t);
	return st;
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].frames);
		free(st->v[i].maps);
	}
	free(st->v);
	hashmap__free(&st->index);
	free(st);
}

/* For re-indexing: stacks are distinct, so only the entry of s itself equals s. */
static bool same_stack(const void *ctx, const void *key, const void *ent)
{
	return &((const struct stacks *)ctx)->v[*(const uint32_t *)ent] == key;
}

/* Fills s from r; resolves its user frames to mappings while they are current. */
static int stack_init(struct stacks *st, struct stack *s, const struct cprof_sample *r,
		      uint32_t gen)
{
	size_t n = (size_t)r->n_kernel + r->n_user;

	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->frames = malloc((n ? n : 1) * sizeof(uint64_t));
	s->maps = calloc(r->n_user ? r->n_user : 1, sizeof(*s->maps));
	if (!s->frames || !s->maps) {
		free(s->frames);
		free(s->maps);
		return -ENOMEM;
	}
	memcpy(s->frames, r->frames, n * sizeof(uint64_t));
	s->kind = r->kind;
	s->pid = r->pid;
	s->image = r->image;
	s->flags = r->flags;
	s->n_kernel = r->n_kernel;
	s->n_user = r->n_user;
	memcpy(s->thread, r->comm, sizeof(s->thread));
	memcpy(s->comm, r->pcomm, sizeof(s->comm));
	s->addr = r->addr;
	s->aux = r->aux;
	memcpy(s->aux_comm, r->aux_comm, sizeof(s->aux_comm));
	s->aux_comm[sizeof(s->aux_comm) - 1] = 0;
	s->thread[sizeof(s->thread) - 1] = 0;
	s->comm[sizeof(s->comm) - 1] = 0;
	/* Read at the process's first sight (its first stack or its maps' first load). */
	s->cgroup = st->pt ? proctab__cgroup(st->pt, (int)r->pid) : NULL;
	for (size_t i = 0; st->pt && i < r->n_user; i++)
		s->maps[i] = proctab__find(st->pt, (int)r->pid, r->image,
					   r->frames[r->n_kernel + i]);
	return 0;
}

int stacks__add(struct stacks *st, const struct cprof_sample *r)
{
	uint64_t serial;

	return stacks__add_index(st, r, &serial);
}

/* Position of the stack serial in v, or n if it is not there (evicted). */
static size_t position(const struct stacks *st, uint64_t serial)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->v[mid].serial < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n && st->v[lo].serial == serial ? lo : st->n;
}

void stacks__add_values(struct stacks *st, uint64_t serial, uint64_t v0, uint64_t v1)
{
	size_t i = position(st, serial);

	if (i == st->n)
		return;
	st->v[i].value[0] += v0;
	st->v[i].value[1] += v1;
}

/* Appends a stack for r (NULL frames: the kind's overflow stack) and indexes it. */
static int append(struct stacks *st, const struct cprof_sample *r, uint32_t gen, uint64_t hash,
		  uint32_t *pos)
{
	struct cprof_sample empty = { .kind = r->kind };
	int err = VEC_GROW(st->v, st->cap, st->n + 1);

	if (err)
		return err;
	err = stack_init(st, &st->v[st->n], pos ? r : &empty, pos ? gen : 0);
	if (err)
		return err;
	st->v[st->n].serial = ++st->next_serial;
	st->v[st->n].hash = hash;
	if (!pos) {
		st->v[st->n].flags = STACK_OVERFLOW;
		st->overflow_serial[r->kind] = st->v[st->n].serial;
	} else {
		*pos = (uint32_t)st->n;
	}
	st->n++;
	return 0;
}

/* The kind's overflow stack, created on first use. NULL on ENOMEM. */
static struct stack *overflow(struct stacks *st, const struct cprof_sample *r)
{
	size_t i = st->overflow_serial[r->kind] ? position(st, st->overflow_serial[r->kind]) : st->n;

	if (i == st->n && append(st, r, 0, 0, NULL))
		return NULL;
	st->overflowed++;
	return &st->v[i];
}

int stacks__add_index(struct stacks *st, const struct cprof_sample *r, uint64_t *serial)
{
	struct rec_key key = { .r = r, .gen = st->pt ? proctab__gen(st->pt, (int)r->pid) : 0 };
	uint64_t hash = rec_hash(&key);
	struct stack *s = NULL;
	uint32_t *ent;
	bool added;
	int err;

	if (r->kind >= CPROF_KIND_NR)
		return -EINVAL;
	ent = hashmap__find(&st->index, hash, &key, rec_equal, st);
	if (!ent && st->limit && st->n >= st->limit) {
		s = overflow(st, r);
		if (!s)
			return -ENOMEM;
	} else if (!ent) {
		ent = hashmap__insert(&st->index, hash, &key, rec_equal, st, &added);
		if (!ent)
			return -ENOMEM;
		err = append(st, r, key.gen, hash, ent);
		if (err) {
			hashmap__remove(&st->index, ent);
			return err;
		}
	}
	if (!s)
		s = &st->v[*ent];
	*serial = s->serial;
	s->count++;
	s->value[0] += r->value[0];
	s->value[1] += r->value[1];
	return 0;
}

void stacks__set_limit(struct stacks *st, size_t max)
{
	st->limit = max;
}

uint64_t stacks__overflowed(const struct stacks *st)
{
	return st->overflowed;
}

size_t stacks__evict(struct stacks *st, bool (*pick)(void *ctx, const struct stack *s),
		     void *ctx)
{
	size_t kept = 0, evicted;

	for (size_t i = 0; i < st->n; i++) {
		struct stack *s = &st->v[i];

		if (!(s->flags & STACK_OVERFLOW) && pick(ctx, s)) {
			free(s->frames);
			free(s->maps);
			continue;
		}
		st->v[kept++] = *s;
	}
	evicted = st->n - kept;
	st->n = kept;
	if (!evicted)
		return 0;
	/* Positions moved: index them again (records are keyed as when they were added). */
	hashmap__clear(&st->index);
	for (size_t i = 0; i < st->n; i++) {
		struct stack *s = &st->v[i];
		uint32_t *ent;
		bool added;

		if (s->flags & STACK_OVERFLOW)
			continue;
		ent = hashmap__insert(&st->index, s->hash, s, same_stack, st, &added);
		if (ent)
			*ent = (uint32_t)i;
	}
	return evicted;
}

void stacks__resolve_unmapped(struct stacks *st)
{
	for (size_t i = 0; st->pt && i < st->n; i++) {
		struct stack *s = &st->v[i];

		/* Only while pid is still the same process: a reused pid maps other code. */
		if (s->n_user && proctab__gen(st->pt, (int)s->pid) != s->gen)
			continue;
		for (size_t j = 0; j < s->n_user; j++)
			if (!s->maps[j])
				s->maps[j] = proctab__find(st->pt, (int)s->pid, s->image,
							   s->frames[s->n_kernel + j]);
	}
}

size_t stacks__count(const struct stacks *st)
{
	return st->n;
}

int stacks__snapshot(const struct stacks *st, struct stacks_snap *snap)
{
	snap->n = st->n;
	snap->v = malloc((st->n ? st->n : 1) * sizeof(*snap->v));
	if (!snap->v)
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++)
		snap->v[i] = (struct stacks_snap_entry){
			.serial = st->v[i].serial,
			.count = st->v[i].count,
			.value = { st->v[i].value[0], st->v[i].value[1] },
		};
	return 0;
}

void stacks__snap_free(struct stacks_snap *snap)
{
	free(snap->v);
	snap->v = NULL;
	snap->n = 0;
}

const struct stack *stacks__get(const struct stacks *st, size_t i)
{
	return i < st->n ? &st->v[i] : NULL;
}
