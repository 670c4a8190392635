// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "datasym.h"
#include "mutex.h"
#include "mutex.skel.h"
#include "procmaps.h"
#include "report.h"
#include "stacks.h"

struct mutex_names {
	struct proctab *pt;
	struct objcache *oc;
	struct datasym *ds;
};

/* libbpf finds tracepoint ids under either mount point. */
static bool has_futex_events(void)
{
	return !access("/sys/kernel/tracing/events/syscalls/sys_enter_futex", F_OK) ||
	       !access("/sys/kernel/debug/tracing/events/syscalls/sys_enter_futex", F_OK);
}

static bool has_event(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/syscalls/%s", name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/syscalls/%s", name);
	return !access(path, F_OK);
}

bool mutex__choose_hooks(struct mutex_bpf *skel)
{
	struct bpf_program *tp[] = {
		skel->progs.cprof_mutex_enter_futex, skel->progs.cprof_mutex_exit_futex,
		skel->progs.cprof_mutex_enter_futex_waitv, skel->progs.cprof_mutex_exit_futex_waitv,
		skel->progs.cprof_mutex_enter_futex_wait, skel->progs.cprof_mutex_exit_futex_wait,
		skel->progs.cprof_mutex_enter_futex_wake, skel->progs.cprof_mutex_exit_futex_wake,
		skel->progs.cprof_mutex_enter_futex_requeue,
		skel->progs.cprof_mutex_exit_futex_requeue,
	};
	bool use_tp;

	/* A missing tracefs is mounted where the kernel expects it; failing that, the raw
	 * hooks cost every syscall of the host a program run. */
	if (!has_futex_events())
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	use_tp = has_futex_events();
	for (size_t i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		/* Section "tracepoint/syscalls/NAME": the futex2 calls are newer than futex. */
		const char *sec = bpf_program__section_name(tp[i]);
		const char *ev = sec + sizeof("tracepoint/syscalls/") - 1;

		bpf_program__set_autoload(tp[i], use_tp && has_event(ev));
	}
	bpf_program__set_autoload(skel->progs.cprof_mutex_raw_enter, !use_tp);
	bpf_program__set_autoload(skel->progs.cprof_mutex_raw_exit, !use_tp);
	return use_tp;
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
