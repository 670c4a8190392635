// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "kinds/kernel_btf.h"
#include "symbols/datasym.h"
#include "kinds/mutex.h"
#include "mutex.skel.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "report/stacks.h"

struct mutex_names {
	struct proctab *pt;
	struct objcache *oc;
	struct datasym *ds;
};

void mutex__prepare(struct mutex_bpf *skel, const struct btf *vmlinux)
{
	bool cast = kernel_btf__has_func(vmlinux, "bpf_rdonly_cast");

	if (vmlinux)
		skel->rodata->rq_to_preempt_count = kernel_btf__rq_to_preempt_count(vmlinux);
	bpf_program__set_autoload(skel->progs.cprof_mutex_switch, cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_waking, cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_switch_call, !cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_waking_call, !cast);
}

int mutex__attach(struct mutex_bpf *skel)
{
	return mutex_bpf__attach(skel);
}

struct mutex_names *mutex_names__new(struct proctab *pt, struct objcache *oc,
				     struct symbolizer *sym)
{
	struct mutex_names *mn = calloc(1, sizeof(*mn));

	if (!mn)
		return NULL;
	mn->pt = pt;
	mn->oc = oc;
	mn->ds = datasym__new(sym);	/* NULL: addresses only */
	return mn;
}

void mutex_names__free(struct mutex_names *mn)
{
	if (!mn)
		return;
	datasym__free(mn->ds);
	free(mn);
}

static void mutex_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
			 int64_t *out)
{
	(void)k;
	(void)count;
	out[0] = (int64_t)value[0];
	out[1] = (int64_t)value[1];
}

static size_t mutex_labels(void *ctx, const struct stack *s, struct pprof_label *out,
			   char buf[][REPORT_LABEL_LEN])
{
	struct mutex_names *mn = ctx;
	const struct procmaps *pm = mn ? proctab__get(mn->pt, (int)s->pid) : NULL;

	if (mn)
		datasym__name_addr(mn->ds, mn->oc, pm, (int)s->pid, s->addr, buf[0],
				   REPORT_LABEL_LEN);
	else
		snprintf(buf[0], REPORT_LABEL_LEN, "0x%llx", (unsigned long long)s->addr);
	out[0] = (struct pprof_label){ .key = "lock", .str = buf[0] };
	return 1;
}

void mutex__report_kind(struct report_kind *k, struct mutex_names *mn)
{
	static const struct pprof_value_type types[] = {
		{ "contentions", "count" },
		{ "delay", "nanoseconds" },
	};

	*k = (struct report_kind){
		.kind = CPROF_KIND_MUTEX,
		.name = "mutex",
		.file = "mutex.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "contentions", "count" },
		.period = 1,
		.values = mutex_values,
		.labels_ctx = mutex_labels,
		.ctx = mn,
	};
}
