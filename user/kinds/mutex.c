// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The mutex (lock contention) profile: futex lock waits and their wakes, the delay charged
 * to the stack that released the lock (Go's semantics); bpf/futex_class.h says what
 * counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "kinds/kernel_btf.h"
#include "kinds/kind.h"
#include "mutex.skel.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/report.h"
#include "report/stacks.h"
#include "symbols/datasym.h"
#include "util/log.h"

/* Lock names for the `lock` label: data symbols of the processes' files, member paths from
 * the DWARF the symbolizer finds. */
struct mutex_names {
	struct proctab *pt;
	struct objcache *oc;
	struct datasym *ds;	/* NULL: addresses only */
};

struct mutex {
	struct kind k;
	struct mutex_bpf *skel;
	struct mutex_names names;
};

/* Before load: picks the sched_switch/sched_waking programs this kernel can load and
 * gives them the runqueue-to-preempt_count offset (interrupt-context wakers). vmlinux: the
 * kernel's BTF, NULL if it could not be read. */
static void prepare(struct mutex_bpf *skel, const struct btf *vmlinux)
{
	bool cast = kernel_btf__has_func(vmlinux, "bpf_rdonly_cast");

	if (vmlinux)
		skel->rodata->rq_to_preempt_count = kernel_btf__rq_to_preempt_count(vmlinux);
	bpf_program__set_autoload(skel->progs.cprof_mutex_switch, cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_waking, cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_switch_call, !cast);
	bpf_program__set_autoload(skel->progs.cprof_mutex_waking_call, !cast);
}

static void mutex_free(struct kind *k);

static int mutex_open(struct kind_env *env, struct kind **out)
{
	struct mutex *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->skel = mutex_bpf__open();
	if (!m->skel) {
		err = -errno;
		log_error("cannot open the mutex profile object: %s", strerror(-err));
		goto fail;
	}
	m->skel->rodata->filter_pids = env->filter_pids;
	m->skel->rodata->max_user_frames = env->opts->max_depth;
	m->skel->rodata->mutex_rate = env->opts->mutex_rate;
	m->skel->rodata->wakeup_bytes = env->wakeup_bytes;
	prepare(m->skel, kind_env__vmlinux(env));
	if ((err = kind__adopt_maps(m->skel->obj, env)))
		goto fail;
	*out = &m->k;
	return 0;
fail:
	mutex_free(&m->k);
	return err;
}

static int mutex_load(struct kind *k, struct kind_env *env)
{
	struct mutex *m = kind_container(k, struct mutex);

	(void)env;
	k->obj = m->skel->obj;
	k->mechanism = bpf_program__autoload(m->skel->progs.cprof_mutex_switch) ?
		"tp_btf sched_switch + sched_waking; saved registers by bpf_rdonly_cast" :
		"tp_btf sched_switch + sched_waking; saved registers by bpf_task_pt_regs";
	return mutex_bpf__load(m->skel);
}

static int mutex_attach(struct kind *k, struct kind_env *env, bool *fatal)
{
	(void)env;
	(void)fatal;
	return mutex_bpf__attach(kind_container(k, struct mutex)->skel);
}

static void mutex_detach(struct kind *k)
{
	mutex_bpf__detach(kind_container(k, struct mutex)->skel);
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
	/* By generation: the process may have exited long before the profile is built. */
	const struct procmaps *pm = proctab__maps_of(mn->pt, (int)s->pid, s->gen);

	datasym__name_addr(mn->ds, mn->oc, pm, (int)s->pid, s->addr, buf[0], REPORT_LABEL_LEN);
	out[0] = (struct pprof_label){ .key = "lock", .str = buf[0] };
	return 1;
}

/* Go's mutex profile conventions: contentions/count, delay/nanoseconds, period 1 (values
 * are already scaled by --mutex-rate); label lock: the data symbol or address of the futex
 * word. */
static int mutex_report(struct kind *k, struct kind_env *env, const uint64_t *cnt,
			struct kind_report *out)
{
	static const struct pprof_value_type types[] = {
		{ "contentions", "count" },
		{ "delay", "nanoseconds" },
	};
	struct mutex *m = kind_container(k, struct mutex);

	(void)cnt;
	m->names.pt = env->pt;
	m->names.oc = env->oc;
	if (!m->names.ds)
		m->names.ds = datasym__new(env->sym);
	*out = (struct kind_report){ .rk = {
		.kind = CPROF_KIND_MUTEX,
		.name = "mutex",
		.file = "mutex.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "contentions", "count" },
		.period = 1,
		.values = mutex_values,
		.labels_ctx = mutex_labels,
		.ctx = &m->names,
	} };
	return 0;
}

static void mutex_free(struct kind *k)
{
	struct mutex *m = k ? kind_container(k, struct mutex) : NULL;

	if (!m)
		return;
	mutex_bpf__destroy(m->skel);
	datasym__free(m->names.ds);
	free(m);
}

const struct kind_ops mutex_kind = {
	.name = "mutex",
	.id = CPROF_KIND_MUTEX,
	.records = KIND_BIT(CPROF_KIND_MUTEX),
	.load_fails = "loading its BPF programs failed",
	.attach_fails = "attaching sched_switch or sched_waking failed",
	.open = mutex_open,
	.load = mutex_load,
	.attach = mutex_attach,
	.detach = mutex_detach,
	.report = mutex_report,
	.free = mutex_free,
};
