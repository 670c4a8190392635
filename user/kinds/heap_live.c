// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The heap profile's records: sampled allocations aggregated by (stack, size), and kept by
 * pointer until their free is seen, which moves them out of inuse_*. */
#include <errno.h>
#include <string.h>

#include "cprof.h"
#include "kinds/heap.h"
#include "report/stacks.h"
#include "util/hashmap.h"

static bool live_eq(const void *ctx, const void *key, const void *entry)
{
	const struct heap_live *k = key, *e = entry;

	(void)ctx;
	return e->ptr == k->ptr && e->pid == k->pid;
}

static uint64_t live_hash(const struct heap_live *k)
{
	return hash__add(hash__u64(k->ptr), k->pid);
}

static int live_put(struct heap *h, uint32_t pid, uint64_t ptr, uint64_t serial)
{
	struct heap_live key = { .pid = pid, .ptr = ptr }, *e;
	bool added;

	e = hashmap__insert(&h->live, live_hash(&key), &key, live_eq, NULL, &added);
	if (!e)
		return -ENOMEM;
	*e = (struct heap_live){ .pid = pid, .ptr = ptr, .serial = serial };
	return 0;
}

/* Removes (pid, ptr), its stack's serial into *serial; false if it is not there. */
static bool live_take(struct heap *h, uint32_t pid, uint64_t ptr, uint64_t *serial)
{
	struct heap_live key = { .pid = pid, .ptr = ptr }, *e;

	e = hashmap__find(&h->live, live_hash(&key), &key, live_eq, NULL);
	if (!e)
		return false;
	*serial = e->serial;
	hashmap__remove(&h->live, e);
	return true;
}

int heap__record(struct heap *h, const struct cprof_sample *r)
{
	struct cprof_sample *c = (struct cprof_sample *)h->rec;
	size_t n = sizeof(*r) + ((size_t)r->n_kernel + r->n_user) * sizeof(__u64);
	uint64_t serial;
	int err;

	if (r->kind == CPROF_KIND_HEAP_FREE) {
		if (live_take(h, r->pid, r->addr, &serial)) {
			stacks__add_values(h->env->st, serial, 0, 1);
			h->frees++;
		} else {
			h->unmatched_frees++;
		}
		return 0;
	}
	if (r->kind != CPROF_KIND_HEAP_ALLOC || n > CPROF_SAMPLE_MAX_SIZE)
		return 0;
	/* Aggregated per (stack, size), as Go's buckets: the pointer is not part of the key. */
	memcpy(c, r, n);
	c->aux = r->value[0];
	c->addr = 0;
	c->value[0] = 1;
	c->value[1] = 0;
	err = stacks__add_index(h->env->st, c, &serial);
	if (!err)
		err = live_put(h, r->pid, r->addr, serial);
	h->allocs++;
	return err;
}
