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
#include "kinds/kernel_btf.h"
#include "cprof.h"
#include "report/report.h"
#include "report/stacks.h"

void block__prepare(struct block_bpf *skel, const struct btf *vmlinux)
{
	/* bpf_task_work_schedule_resume_impl() appeared in 6.18 (also named without _impl
	 * from 7.0, which keeps this name). CPROF_BLOCK_SYS_EXIT=1 forces the older way, so
	 * that tests cover it on any kernel. */
	const char *env = getenv("CPROF_BLOCK_SYS_EXIT");
	bool forced = env && !strcmp(env, "1");
	bool tw = kernel_btf__has_func(vmlinux, "bpf_task_work_schedule_resume_impl") && !forced;

	if (vmlinux)
		skel->rodata->rq_to_preempt_count = kernel_btf__rq_to_preempt_count(vmlinux);
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
