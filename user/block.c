// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "block.h"
#include "block.skel.h"
#include "cprof.h"
#include "report.h"
#include "stacks.h"

int block__attach(struct block_bpf *skel)
{
	/* The iterator runs on demand (block__sweep), not as an attached program. */
	bpf_program__set_autoattach(skel->progs.cprof_block_iter, false);
	return block_bpf__attach(skel);
}

int block__sweep(struct block_bpf *skel, int mode)
{
	struct bpf_link *link;
	struct timespec ts;
	char buf[256];
	int fd, err = 0;

	/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	skel->bss->iter_mode = mode;
	skel->bss->iter_now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
