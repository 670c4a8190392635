// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* See extents.h. A run frees ranges as objects are released, at most a few a second, and
 * holds at most a few thousand at once: a sorted array is enough. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/extents.h"
#include "util/vec.h"

void extents__init(struct extents *x, uint32_t limit)
{
	*x = (struct extents){ .limit = limit };
}

void extents__fini(struct extents *x)
{
	free(x->free);
	*x = (struct extents){ 0 };
}

static void remove_at(struct extents *x, size_t i)
{
	memmove(&x->free[i], &x->free[i + 1], (x->n_free - i - 1) * sizeof(*x->free));
	x->n_free--;
}

int extents__alloc(struct extents *x, uint32_t n, uint32_t *start)
{
	*start = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < x->n_free; i++) {
		struct extent *e = &x->free[i];

		if (e->n < n)
			continue;
		*start = e->start;
		e->start += n;
		e->n -= n;
		if (!e->n)
			remove_at(x, i);
		x->used += n;
		return 0;
	}
	if (n > x->limit - x->top)
		return -ENOSPC;
	*start = x->top;
	x->top += n;
	x->used += n;
	return 0;
}

int extents__free(struct extents *x, uint32_t start, uint32_t n)
{
	size_t i = 0;

	if (!n)
		return 0;
	x->used -= n;
	/* The first free range after it. */
	while (i < x->n_free && x->free[i].start < start)
		i++;
	if (i > 0 && x->free[i - 1].start + x->free[i - 1].n == start) {
		x->free[i - 1].n += n;
		if (i < x->n_free && start + n == x->free[i].start) {
			x->free[i - 1].n += x->free[i].n;
			remove_at(x, i);
		}
		i--;
	} else if (i < x->n_free && start + n == x->free[i].start) {
		x->free[i].start = start;
		x->free[i].n += n;
	} else {
		if (VEC_GROW(x->free, x->cap_free, x->n_free + 1)) {
			x->used += n;	/* not given back after all */
			return -ENOMEM;
		}
		memmove(&x->free[i + 1], &x->free[i], (x->n_free - i) * sizeof(*x->free));
		x->free[i] = (struct extent){ start, n };
		x->n_free++;
	}
	/* A range that reaches the top lowers it. */
	if (x->free[i].start + x->free[i].n == x->top) {
		x->top = x->free[i].start;
		remove_at(x, i);
	}
	return 0;
}
