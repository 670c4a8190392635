// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The CPU profile: perf_event cpu-clock sampling on every online CPU. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "cpu.skel.h"
#include "kinds/kind.h"
#include "kinds/stackcopy.h"
#include "proc/proctab.h"
#include "report/report.h"
#include "report/stacks.h"
#include "util/log.h"
#include "util/vec.h"

struct cpu {
	struct kind k;
	struct cpu_bpf *skel;
	int *cpus;		/* online CPUs */
	size_t n_cpus, cap_cpus;
	struct bpf_link **links;	/* one per CPU, NULL where it went offline */
	struct stackcopy *copies;	/* stacks cut at code mapped after their tables */
};

/* Parses a CPU list such as "0-3,5,7-8" into c->cpus. Returns 0 or -EINVAL/-ENOMEM. */
static int parse_cpu_list(struct cpu *c, const char *s)
{
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a > 65535)
			return -EINVAL;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > 65535)
				return -EINVAL;
		}
		for (long i = a; i <= b; i++)
			if (VEC_PUSH(c->cpus, c->n_cpus, c->cap_cpus, (int)i))
				return -ENOMEM;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return c->n_cpus ? 0 : -EINVAL;
}

static int online_cpus(struct cpu *c)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return parse_cpu_list(c, buf);
}

/* Opens a cpu-clock perf event at freq Hz on each CPU and attaches the program to it. */
static int attach_cpus(struct cpu *c, unsigned int freq)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.sample_freq = freq,
		.freq = 1,
	};
	int attached = 0, err = 0;

	for (size_t i = 0; i < c->n_cpus; i++) {
		int fd = syscall(__NR_perf_event_open, &attr, -1, c->cpus[i], -1,
				 PERF_FLAG_FD_CLOEXEC);

		c->links[i] = NULL;
		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV)	/* went offline since we listed it */
				continue;
			return err;
		}
		c->links[i] = bpf_program__attach_perf_event(c->skel->progs.cprof_cpu_sample, fd);
		if (!c->links[i]) {
			err = -errno;
			close(fd);
			return err;
		}
		attached++;
	}
	return attached ? 0 : (err ? err : -ENODEV);
}

static void cpu_detach(struct kind *k)
{
	struct cpu *c = kind_container(k, struct cpu);

	for (size_t i = 0; c->links && i < c->n_cpus; i++) {
		bpf_link__destroy(c->links[i]);
		c->links[i] = NULL;
	}
}

static int cpu_attach(struct kind *k, struct kind_env *env, bool *fatal)
{
	struct cpu *c = kind_container(k, struct cpu);
	unsigned int freq = env->opts->freq;
	int err = online_cpus(c);

	*fatal = true;
	if (err) {
		log_error("cannot read /sys/devices/system/cpu/online: %s", strerror(-err));
		return err;
	}
	c->links = calloc(c->n_cpus, sizeof(*c->links));
	if (!c->links)
		return -ENOMEM;
	err = attach_cpus(c, freq);
	if (err == -EINVAL) {
		log_error("cannot open cpu-clock perf events at %u Hz: %s (frequency above "
			  "kernel.perf_event_max_sample_rate?)", freq, strerror(-err));
		return err;
	}
	*fatal = false;
	if (err)
		cpu_detach(k);
	return err;
}

static void cpu_free(struct kind *k);

static int cpu_open(struct kind_env *env, struct kind **out)
{
	struct cpu *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->skel = cpu_bpf__open();
	if (!c->skel) {
		err = -errno;
		log_error("cannot open the CPU profile object: %s", strerror(-err));
		goto fail;
	}
	c->skel->rodata->wakeup_bytes = env->wakeup_bytes;
	c->skel->rodata->filter_pids = env->filter_pids;
	c->skel->rodata->max_user_frames = env->opts->max_depth;
	if ((err = kind__adopt_maps(c->skel->obj, env)))
		goto fail;
	*out = &c->k;
	return 0;
fail:
	cpu_free(&c->k);
	return err;
}

static int cpu_load(struct kind *k, struct kind_env *env)
{
	struct cpu *c = kind_container(k, struct cpu);
	int err;

	(void)env;
	k->obj = c->skel->obj;
	k->mechanism = "perf_event cpu-clock sampling";
	err = cpu_bpf__load(c->skel);
	if (err)
		return err;
	c->copies = stackcopy__new(bpf_program__fd(c->skel->progs.cprof_cpu_replay),
				   bpf_map__fd(c->skel->maps.unwind_replay_io));
	return c->copies ? 0 : -ENOMEM;
}

/* A stack copy is kept for the sample that follows it. */
static void cpu_on_event(struct kind *k, const struct cprof_sample *ev)
{
	struct cpu *c = kind_container(k, struct cpu);

	if (ev->kind == CPROF_EV_STACK_COPY)
		stackcopy__keep(c->copies, (const struct cprof_stack_copy *)ev);
}

/* stackcopy_more_fn: through the session, for the process whose view the replay goes by. */
static bool cpu_more(void *ctx, const struct cprof_sample *r, const struct cprof_stack_copy *c,
		     __u64 pc)
{
	struct kind_env *env = ctx;
	unsigned int view = c->view_pid ? c->view_pid : c->pid;

	return env->tables_now && env->tables_now(env, (int)view, view == r->pid ? r->image : 0, pc);
}

/* The loop has published the tables r's process has now: a stack cut for want of them is
 * finished from its copy, through the view the unwind went by (its process's, or a child's
 * parent's), as it is now. If that process shows another image by now (it exec'ed since),
 * r keeps what it has. */
static int cpu_on_record(struct kind *k, struct kind_env *env, const struct cprof_sample *r)
{
	struct cpu *c = kind_container(k, struct cpu);
	unsigned int view = stackcopy__view(c->copies, r);
	uint64_t now = view && env->pt ? proctab__image(env->pt, (int)view) : 0;

	if (r->image && now && now != r->image) {
		stackcopy__drop(c->copies, r);
		return stacks__add(env->st, r);
	}
	return stacks__add(env->st, stackcopy__finish(c->copies, r, cpu_more, env));
}

static void cpu_summary(struct kind *k, struct kind_env *env, const uint64_t *cnt)
{
	struct cpu *c = kind_container(k, struct cpu);
	struct stackcopy_stats st;

	(void)env;
	(void)cnt;
	stackcopy__stats(c->copies, &st);
	log_debug("cpu: %zu user stacks cut for want of tables (code mapped after they were "
		  "published, or none ready yet): %zu finished from a copy of the stack (%zu "
		  "after making a deeper frame's object ready), %zu not; %zu more of an image "
		  "replaced by an exec since, not replayed", st.copies, st.finished, st.again,
		  st.unmatched, st.dropped);
}

static void cpu_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
		       int64_t *out)
{
	(void)value;
	out[0] = (int64_t)count;
	out[1] = (int64_t)count * k->period;
}

/* Go's CPU profile conventions: samples/count, cpu/nanoseconds, period 1e9/freq. */
static int cpu_report(struct kind *k, struct kind_env *env, const uint64_t *cnt,
		      struct kind_report *out)
{
	static const struct pprof_value_type types[] = {
		{ "samples", "count" },
		{ "cpu", "nanoseconds" },
	};
	unsigned int freq = env->opts->freq;

	(void)k;
	(void)cnt;
	*out = (struct kind_report){ .rk = {
		.kind = CPROF_KIND_CPU,
		.name = "cpu",
		.file = "cpu.pb.gz",
		.types = types,
		.n_types = 2,
		.period_type = { "cpu", "nanoseconds" },
		.period = 1000000000LL / (freq ? freq : 1),
		.values = cpu_values,
	} };
	return 0;
}

static void cpu_free(struct kind *k)
{
	struct cpu *c = k ? kind_container(k, struct cpu) : NULL;

	if (!c)
		return;
	cpu_detach(k);
	stackcopy__free(c->copies);
	cpu_bpf__destroy(c->skel);
	free(c->links);
	free(c->cpus);
	free(c);
}

const struct kind_ops cpu_kind = {
	.name = "cpu",
	.id = CPROF_KIND_CPU,
	.records = KIND_BIT(CPROF_KIND_CPU),
	.host_default = true,
	.load_fails = "loading its BPF program failed",
	.attach_fails = "opening cpu-clock perf events failed",
	.open = cpu_open,
	.load = cpu_load,
	.attach = cpu_attach,
	.on_event = cpu_on_event,
	.on_record = cpu_on_record,
	.detach = cpu_detach,
	.report = cpu_report,
	.summary = cpu_summary,
	.free = cpu_free,
};
