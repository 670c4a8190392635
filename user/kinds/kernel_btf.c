// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <bpf/btf.h>

#include "kinds/kernel_btf.h"

bool kernel_btf__has_func(const struct btf *vmlinux, const char *name)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) >= 0;
}

/* Offset of the per-CPU variable name (or of member in it) in .data..percpu, -1 if absent. */
static long long percpu_offset(const struct btf *btf, const char *name, const char *member)
{
	int id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_type *sec = id >= 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_var_secinfo *vs = sec ? btf_var_secinfos(sec) : NULL;

	for (int i = 0; vs && i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type), *t;
		const struct btf_member *m;

		if (!var || strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (!member)
			return vs->offset;
		t = btf__type_by_id(btf, btf__resolve_type(btf, var->type));
		if (!t || !btf_is_struct(t))
			return -1;
		m = btf_members(t);
		for (int j = 0; j < btf_vlen(t); j++, m++)
			if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
				return vs->offset + btf_member_bit_offset(t, j) / 8;
		return -1;
	}
	return -1;
}

/* __preempt_count since 6.15, a member of pcpu_hot from 6.2. Both live in the per-CPU area,
 * so their distance from runqueues is the same on every CPU whatever the area's layout. */
long long kernel_btf__rq_to_preempt_count(const struct btf *btf)
{
	long long rq, pc;

	if (!btf)
		return 0;
	rq = percpu_offset(btf, "runqueues", NULL);
	pc = percpu_offset(btf, "__preempt_count", NULL);
	if (pc < 0)
		pc = percpu_offset(btf, "pcpu_hot", "preempt_count");
	return rq < 0 || pc < 0 ? 0 : pc - rq;
}
