// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The block (off-CPU) profile: sched_switch waits with Go's block-profile sampling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "block.skel.h"
#include "cprof.h"
#include "kinds/kernel_btf.h"
#include "kinds/kind.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/summary.h"
#include "util/log.h"

struct block {
	struct kind k;
	struct block_bpf *skel;
	bool attached;		/* the waits in progress at the end are still to be reported */
};

/* Before load: chooses how user stacks of kept waits are read (a task work at the return
 * to user space where the kernel has them, else the sys_exit tracepoint), and says so when
 * it is the costly one. vmlinux: the kernel's BTF, NULL if it could not be read. */
static void prepare(struct block_bpf *skel, const struct btf *vmlinux, bool forced)
{
	/* bpf_task_work_schedule_resume_impl() appeared in 6.18 (also named without _impl
	 * from 7.0, which keeps this name). CPROF_BLOCK_SYS_EXIT=1 forces the older way, so
	 * that tests cover it on any kernel. */
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
			log_info("block profile: this kernel has no BPF task works (6.18+); user "
				 "stacks of kept waits are read at syscall exit, which slows every "
				 "syscall on the host (about 0.2 us each)");
	}
}

/* Runs the task iterator: at the start (mode 1) it stamps waits already in progress, at
 * the end (mode 2) it reports the waits still in progress. Returns 0 or -errno. */
static int sweep(struct block_bpf *skel, int mode)
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

static void block_free(struct kind *k);

static int block_open(struct kind_env *env, struct kind **out)
{
	struct block *b = calloc(1, sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	b->skel = block_bpf__open();
	if (!b->skel) {
		err = -errno;
		log_error("cannot open the block profile object: %s", strerror(-err));
		goto fail;
	}
	b->skel->rodata->filter_pids = env->filter_pids;
	b->skel->rodata->max_user_frames = env->opts->max_depth;
	b->skel->rodata->block_rate_ns = env->opts->block_rate_ns;
	b->skel->rodata->wakeup_bytes = env->wakeup_bytes;
	prepare(b->skel, kind_env__vmlinux(env), env->opts->block_sys_exit);
	if ((err = kind__adopt_maps(b->skel->obj, env)))
		goto fail;
	*out = &b->k;
	return 0;
fail:
	block_free(&b->k);
	return err;
}

static int block_load(struct kind *k, struct kind_env *env)
{
	struct block *b = kind_container(k, struct block);

	(void)env;
	k->obj = b->skel->obj;
	k->mechanism = bpf_program__autoload(b->skel->progs.cprof_block_switch_tw) ?
		"tp_btf sched_switch + sched_waking; user stacks read by BPF task work" :
		"tp_btf sched_switch + sched_waking; user stacks read at syscall exit (no BPF "
		"task work before 6.18)";
	return block_bpf__load(b->skel);
}

/* The switch, waking (and syscall-exit) programs, then the start sweep. */
static int block_attach(struct kind *k, struct kind_env *env, bool *fatal)
{
	struct block *b = kind_container(k, struct block);
	int err;

	(void)env;
	(void)fatal;
	/* The iterator runs on demand (sweep), not as an attached program. */
	bpf_program__set_autoattach(b->skel->progs.cprof_block_iter, false);
	err = block_bpf__attach(b->skel);
	if (!err)
		err = sweep(b->skel, 1);
	b->attached = !err;
	return err;
}

/* After detaching: the waits still in progress become records too. */
static void block_detach(struct kind *k)
{
	struct block *b = kind_container(k, struct block);
	int err;

	block_bpf__detach(b->skel);
	if (!b->attached)
		return;
	b->attached = false;
	err = sweep(b->skel, 2);
	if (err)
		log_error("block profile: cannot report the waits in progress at the end: %s",
			  strerror(-err));
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

/* Go's block profile conventions: contentions/count, delay/nanoseconds, period 1; labels
 * state (interruptible/uninterruptible) and waker (thread name) with waker_pid. */
static int block_report(struct kind *k, struct kind_env *env, const uint64_t *cnt,
			struct kind_report *out)
{
	static const struct pprof_value_type types[] = {
		{ "contentions", "count" },
		{ "delay", "nanoseconds" },
	};

	(void)k;
	(void)env;
	*out = (struct kind_report){
		.rk = {
			.kind = CPROF_KIND_BLOCK,
			.name = "block",
			.file = "block.pb.gz",
			.types = types,
			.n_types = 2,
			.period_type = { "contentions", "count" },
			.period = 1,
			.values = block_values,
			.labels = block_labels,
		},
		.lost_value = cnt[CPROF_CNT_BLOCK_LOST_DELAY],
	};
	return 0;
}

/* With the CPU profile too: how each process's time split between running and waiting. */
static void block_hints(struct kind *k, struct kind_env *env,
			const struct report_kind *const *profiles)
{
	(void)k;
	if (profiles[CPROF_KIND_CPU])
		summary__offcpu(env->st, profiles[CPROF_KIND_CPU]->period, env->output_dir,
				env->flame_path);
}

static void block_free(struct kind *k)
{
	struct block *b = k ? kind_container(k, struct block) : NULL;

	if (!b)
		return;
	block_bpf__destroy(b->skel);
	free(b);
}

const struct kind_ops block_kind = {
	.name = "block",
	.id = CPROF_KIND_BLOCK,
	.records = KIND_BIT(CPROF_KIND_BLOCK),
	.host_default = true,
	.load_fails = "loading its BPF programs failed",
	.attach_fails = "attaching sched_switch, sched_waking or sys_exit failed",
	.open = block_open,
	.load = block_load,
	.attach = block_attach,
	.detach = block_detach,
	.report = block_report,
	.hints = block_hints,
	.free = block_free,
};
