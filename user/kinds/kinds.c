// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The table of profile kinds. A new kind is one file implementing struct kind_ops (and its
 * BPF object), and one line here. */
#include "kinds/kind.h"
#include "util/util.h"

extern const struct kind_ops cpu_kind, block_kind, mutex_kind, heap_kind, threads_kind;

const struct kind_ops *const kinds[] = { &cpu_kind, &block_kind, &mutex_kind, &heap_kind,
					  &threads_kind };
const unsigned int n_kinds = ARRAY_SIZE(kinds);

_Static_assert(ARRAY_SIZE(kinds) <= KINDS_MAX, "raise KINDS_MAX");

int kinds__index(unsigned int id)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (kinds[i]->id == id)
			return (int)i;
	return -1;
}
