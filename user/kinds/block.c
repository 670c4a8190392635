// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kinds/block.h"
#include "block.skel.h"
#include "cprof.h"
#include "report/report.h"
#include "report/stacks.h"

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

/* From a CPU's runqueue to its preempt_count: __preempt_count since 6.15, a member of
 * pcpu_hot from 6.2. Both live in the per-CPU area, so their distance is the same on every
 * CPU whatever the area's layout. 0: not found. */
long long block__rq_to_preempt_count(const struct btf *btf)
{
	long long rq = percpu_offset(btf, "runqueues", NULL);
	long long pc = percpu_offset(btf, "__preempt_count", NULL);

	if (pc < 0)
		pc = percpu_offset(btf, "pcpu_hot", "preempt_count");
	return rq < 0 || pc < 0 ? 0 : pc - rq;
}

void block__prepare(struct block_bpf *skel, const struct btf *vmlinux)
{
	/* bpf_task_work_schedule_resume_impl() appeared in 6.18 (also named without _impl
	 * from 7.0, which keeps this name). CPROF_BLOCK_SYS_EXIT=1 forces the older way, so
	 * that tests cover it on any kernel. */
	const char *env = getenv("CPROF_BLOCK_SYS_EXIT");
	bool forced = env && !strcmp(env, "1");
	bool tw = vmlinux && btf__find_by_name_kind(vmlinux, "bpf_task_work_schedule_resume_impl",
						    BTF_KIND_FUNC) >= 0 && !forced;

	if (vmlinux)
		skel->rodata->rq_to_preempt_count = block__rq_to_preempt_count(vmlinux);
	bpf_program__set_autoload(skel->progs.cprof_block_switch_tw, tw);
	bpf_program__set_autoload(skel->progs.cprof_block_switch, !tw);
	bpf_program__set_autoload(skel->progs.cprof_block_waking_tw, tw);
	bpf_program__set_autoload(skel->progs.cprof_block_waking, !tw);
	bpf_program__set_autoload(skel->progs.cprof_block_sys_exit, !tw);
	if (!tw) {
		bpf_map__set_max_entries(skel->maps.block_works, 1);
		if (!forced)
			fprintf(stderr, "cprof-bpf: block profile: this kernel has no BPF task works "
				"(6.18+); user stacks of kept waits are read at syscall exit, which "
				"slows every syscall on the host (about 0.2 us each)\n");
	}
}

int block__attach(struct block_bpf *skel)
{
	/* The iterator runs on demand (block__sweep), not as an attached program. */
	bpf_program__set_autoattach(skel->progs.cprof_block_iter, false);
	return block_bpf__attach(skel);
}

int block__sweep(struct block_bpf *skel, int mode)
{
	struct bpf_link *link;
	char buf[256];
	int fd, err = 0;

	skel->bss->iter_mode = mode;
	link = bpf_program__attach_iter(skel->progs.cprof_block_iter, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* The program writes nothing to the iterator's file; reading runs it over every task. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

static void block_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
			 int64_t *out)
{
	(void)k;
	(void)count;
	out[0] = (int64_t)value[0];
	out[1] = (int64_t)value[1];
}

static size_t block_labels(const struct stack *s, struct pprof_label *out,
			   char buf[][REPORT_LABEL_LEN])
{
	size_t n = 0;

	out[n++] = (struct pprof_label){
		.key = "state",
		.str = s->addr & CPROF_TASK_UNINTERRUPTIBLE ? "uninterruptible" : "interruptible",
	};
	if (s->aux == CPROF_WAKER_IRQ) {
		out[n++] = (struct pprof_label){ .key = "waker", .str = "[interrupt]" };
	} else if (s->aux) {
		snprintf(buf[0], REPORT_LABEL_LEN, "%s", s->aux_comm);
		out[n++] = (struct pprof_label){ .key = "waker", .str = buf[0] };
		out[n++] = (struct pprof_label){ .key = "waker_pid", .num = (int64_t)(s->aux >> 32) };
	}
	return n;
}

void block__report_kind(struct report_kind *k)
{
	static const struct pprof_value_type types[] = {
		{ "contentions", "count" },
		{ "delay", "nanoseconds" },
	};

	*k = (struct report_kind){
		.kind = CPROF_KIND_BLOCK,
		.name = "block",
		.file = "block.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "contentions", "count" },
		.period = 1,
		.values = block_values,
		.labels = block_labels,
	};
}
