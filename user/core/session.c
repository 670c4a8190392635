// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kinds/block.h"
#include "block.skel.h"
#include "cprof.h"
#include "kinds/cpu.h"
#include "cpu.skel.h"
#include "kinds/mutex.h"
#include "mutex.skel.h"
#include "kinds/heap.h"
#include "core/loadlog.h"
#include "proc/object.h"
#include "core/options.h"
#include "proc.skel.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "core/session.h"
#include "report/stacks.h"
#include "symbols/symbolizer.h"
#include "report/summary.h"
#include "core/sysinfo.h"
#include "unwind/unwinder.h"

/* Shared unwind arrays: 4M rows (32 MiB) hold the tables of ~150 typical libraries (libc is
 * ~25k rows, the largest C++ libraries ~900k); the page index is 1/4 of that in entries. */
#define UNWIND_ROWS (4u << 20)
#define UNWIND_PAGES (1u << 20)

/* After an exec the dynamic loader maps the libraries within milliseconds, after the view
 * published at the exec event: re-read the maps of a fresh image at these delays. */
static const double resync_delays[] = { 0.002, 0.010, 0.050 };
#define RESYNC_SLOTS 64

struct resync {
	int pid;		/* 0: free */
	unsigned int step;	/* next index into resync_delays */
	double exec_time;	/* monotonic seconds */
};

struct target {
	int pid;
	char comm[64];
	bool gone;
	double gone_after;	/* seconds into the run */
};

static const char *const kind_names[] = { "cpu", "block", "mutex", "heap" };
#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* What loading one kind took, for --check. */
struct kind_load {
	const char *mechanism;
	unsigned int progs;
	unsigned long long insns;	/* instructions the verifier processed */
	double ms;
};

struct session {
	const struct cprof_opts *o;
	unsigned int kinds;	/* being collected: o->kinds less those the kernel refused */
	char why[N_KINDS][320];	/* why a kind asked for is not collected */
	struct kind_load loads[N_KINDS];
	struct proc_bpf *proc;
	struct cpu_bpf *cpu;
	struct block_bpf *block;	/* NULL unless the block profile is asked for */
	bool block_attached;
	struct mutex_bpf *mutex;	/* NULL unless the mutex profile is asked for */
	struct heap *heap;		/* NULL unless the heap profile is asked for */
	struct btf *vmlinux;		/* the kernel's BTF while the objects are set up */
	bool vmlinux_read;
	struct bpf_link **cpu_links;
	int *cpus;
	size_t n_cpus;
	struct ring_buffer *rb;
	struct objcache *oc;
	struct proctab *pt;
	struct stacks *st;
	struct symbolizer *sym;
	struct unwinder *uw;
	struct target *targets;
	size_t n_targets;
	pid_t child;
	int release_fd;
	int child_status;
	bool child_done;
	bool child_execed;	/* COMMAND's exec was seen: its samples are the command's */
	bool first_complete;	/* a complete user stack was seen (-v tells when) */
	double t0, wall0;	/* monotonic and wall-clock start, seconds */
	double t1;		/* monotonic end: the profiles' duration is t1 - t0 */
	struct resync resync[RESYNC_SLOTS];	/* processes exec'ed a moment ago */
	uint64_t records, bad_records, agg_errors, pre_exec_records;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	if (stop_signal && sig == SIGINT) {
		static const char msg[] = "cprof-bpf: second interrupt, exiting without writing\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing more to say */
		}
		_exit(130);
	}
	stop_signal = sig;
}

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("cprof-bpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* EPERM/EACCES mean missing privileges, unless we have them: then the verifier refused. */
static const char *perm_hint(int err)
{
	if ((err == -EPERM || err == -EACCES) && !sysinfo__has_bpf_caps())
		return ": run as root, or with CAP_BPF and CAP_PERFMON";
	return " (-v shows libbpf's and the verifier's log)";
}

/* Kind k cannot be collected: what failed, with err. An error when k was named with -t;
 * else a warning, and the run goes on without it. The reason, in a few words, names the
 * kernel feature missing where libbpf's or the verifier's messages tell it. */
static int kind_unavailable(struct session *s, unsigned int k, const char *what, int err)
{
	char reason[200];
	const char *hint = "-v shows libbpf's and the verifier's log";

	if (!loadlog__reason(reason, sizeof(reason)))
		reason[0] = 0;
	if ((err == -EPERM || err == -EACCES) && !sysinfo__has_bpf_caps())
		hint = "run as root, or with CAP_BPF and CAP_PERFMON";
	if (err == -ECANCELED)
		snprintf(s->why[k], sizeof(s->why[k]), "%s: made to fail by CPROF_FAIL_KINDS",
			 what);
	else
		snprintf(s->why[k], sizeof(s->why[k]), "%s: %s%s%s%s", what, strerror(-err),
			 reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
	s->kinds &= ~KIND_BIT(k);
	if (s->o->check)
		return 0;
	if (s->o->kinds_required & KIND_BIT(k)) {
		errorf("the %s profile cannot be collected: %s; %s", kind_names[k], s->why[k], hint);
		return err;
	}
	fprintf(stderr, "cprof-bpf: warning: no %s profile: %s; %s\n", kind_names[k], s->why[k],
		hint);
	return 0;
}

/* The kinds CPROF_FAIL_KINDS (tests) names fail to load, before anything is loaded. */
static int force_failures(struct session *s)
{
	int err;

	loadlog__begin();
	for (unsigned int k = 0; k < N_KINDS; k++)
		if ((s->kinds & s->o->fail_kinds & KIND_BIT(k)) &&
		    (err = kind_unavailable(s, k, "loading its BPF programs failed", -ECANCELED)))
			return err;
	return 0;
}

/* Counts the loaded programs of obj and the instructions the verifier processed, and the
 * time since t0 (monotonic seconds), into kind k's load record. */
static void note_load(struct session *s, unsigned int k, struct bpf_object *obj, double t0)
{
	struct kind_load *kl = &s->loads[k];
	struct bpf_program *p;

	kl->ms = (now(CLOCK_MONOTONIC) - t0) * 1e3;
	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		kl->progs++;
		kl->insns += info.verified_insns;
	}
}

/* Every kind's programs are typed against the kernel's BTF. */
static int require_btf(void)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	errorf("the kernel has no BTF (/sys/kernel/btf/vmlinux): CONFIG_DEBUG_INFO_BTF is required");
	return -ENOTSUP;
}

/* Creates the output directory (and parents) and proves it is writable before profiling,
 * so a bad -o fails in a second, not after the run. */
static int prepare_output(const char *dir)
{
	char path[4096], *p;
	int fd;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/.cprof-write-test.XXXXXX", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

static int check_targets(struct session *s)
{
	const struct cprof_opts *o = s->o;

	s->targets = calloc(o->n_pids ? o->n_pids : 1, sizeof(*s->targets));
	if (!s->targets)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_pids; i++) {
		struct target *t = &s->targets[i];
		int err = sysinfo__check_pid(o->pids[i], t->comm, sizeof(t->comm));

		t->pid = o->pids[i];
		if (err == -ESRCH) {
			errorf("pid %d: no such process", t->pid);
			return err;
		}
		if (err == -EINVAL) {
			errorf("pid %d (%s) is a kernel thread: it has no user space to profile; "
			       "profile the whole host (no -p) to see kernel time", t->pid, t->comm);
			return err;
		}
		if (err) {
			errorf("pid %d: cannot read /proc/%d/stat: %s", t->pid, t->pid, strerror(-err));
			return err;
		}
	}
	s->n_targets = o->n_pids;
	return 0;
}

/* Tables are cached by build-id in CPROF_CACHE_DIR, else /var/cache/cprof-bpf; a cache
 * that cannot be created only costs rebuilding. */
static const char *cache_dir(void)
{
	const char *dir = getenv("CPROF_CACHE_DIR");

	if (!dir || !*dir)
		dir = "/var/cache/cprof-bpf";
	if (mkdir(dir, 0700) && errno != EEXIST)
		return NULL;
	return dir;
}

static int open_unwinder(struct session *s)
{
	struct unwinder_opts uo = {
		.rows_fd = bpf_map__fd(s->cpu->maps.unwind_rows),
		.pages_fd = bpf_map__fd(s->cpu->maps.unwind_pages),
		.proc_maps_fd = bpf_map__fd(s->cpu->maps.proc_maps),
		.max_rows = UNWIND_ROWS,
		.max_pages = UNWIND_PAGES,
		.cache_dir = cache_dir(),
		.debug_dirs = (const char *const *)s->o->debug_dirs,
		.verbose = s->o->verbose,
	};
	int err;

	s->uw = unwinder__new(&uo);
	if (!s->uw) {
		err = -errno;
		errorf("cannot map the unwind table arrays: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Maps the block object shares: the pid filter, ring buffer and counters of the lifecycle
 * object, the unwind tables of the CPU object. */
static int share_block_maps(struct session *s)
{
	struct { struct bpf_map *map, *from; } m[] = {
		{ s->block->maps.pids, s->proc->maps.pids },
		{ s->block->maps.rb, s->proc->maps.rb },
		{ s->block->maps.counters, s->proc->maps.counters },
		{ s->block->maps.unwind_rows, s->cpu->maps.unwind_rows },
		{ s->block->maps.unwind_pages, s->cpu->maps.unwind_pages },
		{ s->block->maps.proc_maps, s->cpu->maps.proc_maps },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int err = bpf_map__reuse_fd(m[i].map, bpf_map__fd(m[i].from));

		if (err)
			return err;
	}
	return 0;
}

/* The kernel's BTF for block__prepare and mutex__prepare: one parse (~11 ms) for both; NULL
 * if it cannot be read (they then keep their defaults). */
static const struct btf *session_vmlinux(struct session *s)
{
	if (!s->vmlinux_read) {
		s->vmlinux = btf__load_vmlinux_btf();
		s->vmlinux_read = true;
	}
	return s->vmlinux;
}

/* The block object, loaded; NULL (reported) when it cannot be. */
static int open_block(struct session *s)
{
	const struct cprof_opts *o = s->o;
	double t0 = now(CLOCK_MONOTONIC);
	int err;

	loadlog__begin();
	s->block = block_bpf__open();
	if (!s->block) {
		err = -errno;
		errorf("cannot open the block profile object: %s", strerror(-err));
		return err;
	}
	s->block->rodata->filter_pids = o->n_pids > 0 || o->command;
	s->block->rodata->max_user_frames = o->max_depth;
	s->block->rodata->block_rate_ns = o->block_rate_ns;
	s->block->rodata->wakeup_bytes = (__u64)o->ring_mib << 18;
	block__prepare(s->block, session_vmlinux(s));
	err = share_block_maps(s);
	if (err) {
		errorf("sharing BPF maps: %s", strerror(-err));
		return err;
	}
	err = block_bpf__load(s->block);
	if (err) {
		block_bpf__destroy(s->block);
		s->block = NULL;
		return kind_unavailable(s, CPROF_KIND_BLOCK, "loading its BPF programs failed", err);
	}
	s->loads[CPROF_KIND_BLOCK].mechanism =
		bpf_program__autoload(s->block->progs.cprof_block_switch_tw) ?
		"tp_btf sched_switch + sched_waking; user stacks read by BPF task work" :
		"tp_btf sched_switch + sched_waking; user stacks read at syscall exit (no BPF "
		"task work before 6.18)";
	note_load(s, CPROF_KIND_BLOCK, s->block->obj, t0);
	return 0;
}

/* The mutex object shares the same maps as the block object. */
static int open_mutex(struct session *s)
{
	const struct cprof_opts *o = s->o;
	double t0 = now(CLOCK_MONOTONIC);
	struct mutex_bpf *m;
	int err;

	loadlog__begin();
	s->mutex = m = mutex_bpf__open();
	if (!m) {
		err = -errno;
		errorf("cannot open the mutex profile object: %s", strerror(-err));
		return err;
	}
	m->rodata->filter_pids = o->n_pids > 0 || o->command;
	m->rodata->max_user_frames = o->max_depth;
	m->rodata->mutex_rate = o->mutex_rate;
	m->rodata->wakeup_bytes = (__u64)o->ring_mib << 18;
	mutex__prepare(m, session_vmlinux(s));
	if ((err = bpf_map__reuse_fd(m->maps.pids, bpf_map__fd(s->proc->maps.pids))) ||
	    (err = bpf_map__reuse_fd(m->maps.rb, bpf_map__fd(s->proc->maps.rb))) ||
	    (err = bpf_map__reuse_fd(m->maps.counters, bpf_map__fd(s->proc->maps.counters))) ||
	    (err = bpf_map__reuse_fd(m->maps.unwind_rows, bpf_map__fd(s->cpu->maps.unwind_rows))) ||
	    (err = bpf_map__reuse_fd(m->maps.unwind_pages,
				     bpf_map__fd(s->cpu->maps.unwind_pages))) ||
	    (err = bpf_map__reuse_fd(m->maps.proc_maps, bpf_map__fd(s->cpu->maps.proc_maps)))) {
		errorf("sharing BPF maps: %s", strerror(-err));
		return err;
	}
	err = mutex_bpf__load(m);
	if (err) {
		mutex_bpf__destroy(m);
		s->mutex = NULL;
		return kind_unavailable(s, CPROF_KIND_MUTEX, "loading its BPF programs failed", err);
	}
	s->loads[CPROF_KIND_MUTEX].mechanism =
		bpf_program__autoload(m->progs.cprof_mutex_switch) ?
		"tp_btf sched_switch + sched_waking; saved registers by bpf_rdonly_cast" :
		"tp_btf sched_switch + sched_waking; saved registers by bpf_task_pt_regs";
	note_load(s, CPROF_KIND_MUTEX, m->obj, t0);
	return 0;
}

static int open_heap(struct session *s)
{
	const struct cprof_opts *o = s->o;
	struct heap_opts ho = {
		.rate = o->heap_rate,
		.max_depth = o->max_depth,
		.filter_pids = true,
		.wakeup_bytes = (__u64)o->ring_mib << 18,
		.pids_fd = bpf_map__fd(s->proc->maps.pids),
		.rb_fd = bpf_map__fd(s->proc->maps.rb),
		.counters_fd = bpf_map__fd(s->proc->maps.counters),
		.rows_fd = bpf_map__fd(s->cpu->maps.unwind_rows),
		.pages_fd = bpf_map__fd(s->cpu->maps.unwind_pages),
		.proc_maps_fd = bpf_map__fd(s->cpu->maps.proc_maps),
		.st = s->st,
		.verbose = o->verbose,
		.force_uretprobes = o->heap_uretprobes,
	};

	double t0 = now(CLOCK_MONOTONIC);

	loadlog__begin();
	s->heap = heap__open(&ho);
	if (!s->heap)
		return kind_unavailable(s, CPROF_KIND_HEAP_ALLOC,
					"loading its BPF programs failed in every probe mode",
					-errno);
	s->loads[CPROF_KIND_HEAP_ALLOC].mechanism = heap__mode_name(s->heap);
	note_load(s, CPROF_KIND_HEAP_ALLOC, heap__object(s->heap), t0);
	return 0;
}

/* The CPU object owns the unwind tables' maps, which every kind uses: it is loaded even
 * without the CPU profile, then without its program. */
static int load_cpu(struct session *s, bool with_prog)
{
	const struct cprof_opts *o = s->o;
	bool filter = o->n_pids > 0 || o->command;
	int err;

	cpu_bpf__destroy(s->cpu);
	s->cpu = cpu_bpf__open();
	if (!s->cpu) {
		err = -errno;
		errorf("cannot open the CPU profile object: %s", strerror(-err));
		return err;
	}
	s->cpu->rodata->wakeup_bytes = (__u64)o->ring_mib << 18;
	s->cpu->rodata->filter_pids = filter;
	s->cpu->rodata->max_user_frames = o->max_depth;
	bpf_map__set_max_entries(s->cpu->maps.unwind_rows, UNWIND_ROWS);
	bpf_map__set_max_entries(s->cpu->maps.unwind_pages, UNWIND_PAGES);
	bpf_map__set_max_entries(s->cpu->maps.proc_maps, filter ? 1024 : 8192);
	/* One pid filter, ring buffer and counter set for every object. */
	if ((err = bpf_map__reuse_fd(s->cpu->maps.pids, bpf_map__fd(s->proc->maps.pids))) ||
	    (err = bpf_map__reuse_fd(s->cpu->maps.rb, bpf_map__fd(s->proc->maps.rb))) ||
	    (err = bpf_map__reuse_fd(s->cpu->maps.counters, bpf_map__fd(s->proc->maps.counters)))) {
		errorf("sharing BPF maps: %s", strerror(-err));
		return err;
	}
	bpf_program__set_autoload(s->cpu->progs.cprof_cpu_sample, with_prog);
	return cpu_bpf__load(s->cpu);
}

static int open_cpu(struct session *s)
{
	bool want = s->kinds & KIND_BIT(CPROF_KIND_CPU);
	double t0 = now(CLOCK_MONOTONIC);
	int err;

	loadlog__begin();
	err = load_cpu(s, want);
	if (err && want) {
		if ((err = kind_unavailable(s, CPROF_KIND_CPU, "loading its BPF program failed",
					    err)))
			return err;
		err = load_cpu(s, false);
	}
	if (err) {
		errorf("loading the unwinder's BPF maps: %s%s", strerror(-err), perm_hint(err));
		return err;
	}
	if (s->kinds & KIND_BIT(CPROF_KIND_CPU)) {
		s->loads[CPROF_KIND_CPU].mechanism = "perf_event cpu-clock sampling";
		note_load(s, CPROF_KIND_CPU, s->cpu->obj, t0);
	}
	return 0;
}

static int open_bpf(struct session *s)
{
	const struct cprof_opts *o = s->o;
	bool filter = o->n_pids > 0 || o->command;
	int err;

	s->proc = proc_bpf__open();
	if (!s->proc) {
		err = -errno;
		errorf("cannot open BPF objects: %s", strerror(-err));
		return err;
	}
	s->proc->rodata->filter_pids = filter;
	s->proc->rodata->wakeup_bytes = (__u64)o->ring_mib << 18;
	s->proc->rodata->follow_children = o->command != NULL;
	bpf_map__set_max_entries(s->proc->maps.rb, o->ring_mib << 20);
	bpf_map__set_max_entries(s->proc->maps.pids, 65536);
	err = proc_bpf__load(s->proc);
	if (err) {
		errorf("loading the process-tracking BPF programs: %s%s", strerror(-err),
		       perm_hint(err));
		return err;
	}
	if ((err = force_failures(s)) || (err = open_cpu(s)))
		return err;
	if (s->kinds & KIND_BIT(CPROF_KIND_BLOCK) && (err = open_block(s)))
		return err;
	if (s->kinds & KIND_BIT(CPROF_KIND_MUTEX) && (err = open_mutex(s)))
		return err;
	btf__free(s->vmlinux);	/* megabytes, needed by the two set-ups above only */
	s->vmlinux = NULL;
	if (s->kinds & KIND_BIT(CPROF_KIND_HEAP_ALLOC) && (err = open_heap(s)))
		return err;
	return o->check ? 0 : open_unwinder(s);
}

static int watch_pid(struct session *s, int pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(s->proc->maps.pids), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

static int attach_bpf(struct session *s)
{
	const struct cprof_opts *o = s->o;
	int err;

	err = proc_bpf__attach(s->proc);
	if (err) {
		errorf("attaching process lifecycle tracepoints: %s%s", strerror(-err),
		       perm_hint(err));
		return err;
	}
	for (size_t i = 0; i < s->n_targets; i++)
		if ((err = watch_pid(s, s->targets[i].pid)))
			goto map_err;
	for (size_t i = 0; s->heap && i < s->n_targets; i++) {
		loadlog__begin();
		if ((err = heap__watch(s->heap, s->targets[i].pid, NULL))) {
			heap__free(s->heap);
			s->heap = NULL;
			if ((err = kind_unavailable(s, CPROF_KIND_HEAP_ALLOC,
						    "attaching its uprobes failed", err)))
				return err;
		}
	}
	if (s->block) {
		loadlog__begin();
		err = block__attach(s->block);
		if (!err)
			err = block__sweep(s->block, 1);
		if (err) {
			block_bpf__destroy(s->block);
			s->block = NULL;
			if ((err = kind_unavailable(s, CPROF_KIND_BLOCK, "attaching sched_switch, "
						    "sched_waking or sys_exit failed", err)))
				return err;
		} else {
			s->block_attached = true;
		}
	}
	loadlog__begin();
	if (s->mutex && (err = mutex__attach(s->mutex))) {
		mutex_bpf__destroy(s->mutex);
		s->mutex = NULL;
		if ((err = kind_unavailable(s, CPROF_KIND_MUTEX, "attaching sched_switch or "
					    "sched_waking failed", err)))
			return err;
	}
	if (!(s->kinds & KIND_BIT(CPROF_KIND_CPU)))
		return 0;
	err = sysinfo__online_cpus(&s->cpus, &s->n_cpus);
	if (err) {
		errorf("cannot read /sys/devices/system/cpu/online: %s", strerror(-err));
		return err;
	}
	s->cpu_links = calloc(s->n_cpus, sizeof(*s->cpu_links));
	if (!s->cpu_links)
		return -ENOMEM;
	err = cpu__attach(s->cpu->progs.cprof_cpu_sample, o->freq, s->cpus, s->n_cpus,
			  s->cpu_links);
	if (err == -EINVAL) {
		errorf("cannot open cpu-clock perf events at %u Hz: %s (frequency above "
		       "kernel.perf_event_max_sample_rate?)", o->freq, strerror(-err));
		return err;
	}
	if (err) {
		for (size_t i = 0; i < s->n_cpus; i++) {
			bpf_link__destroy(s->cpu_links[i]);
			s->cpu_links[i] = NULL;
		}
		return kind_unavailable(s, CPROF_KIND_CPU, "opening cpu-clock perf events failed",
					err);
	}
	return 0;
map_err:
	errorf("cannot update the pid filter: %s", strerror(-err));
	return err;
}

/* After detaching: the waits still in progress become records too. */
static void finish_block(struct session *s)
{
	int err;

	if (!s->block_attached)
		return;
	s->block_attached = false;
	err = block__sweep(s->block, 2);
	if (err)
		errorf("block profile: cannot report the waits in progress at the end: %s",
		       strerror(-err));
}

static void detach_bpf(struct session *s)
{
	for (size_t i = 0; s->cpu_links && i < s->n_cpus; i++) {
		bpf_link__destroy(s->cpu_links[i]);
		s->cpu_links[i] = NULL;
	}
	if (s->block) {
		block_bpf__detach(s->block);
		finish_block(s);	/* before the slow heap detach: waits end with the run */
	}
	if (s->mutex)
		mutex_bpf__detach(s->mutex);
	heap__detach(s->heap);
	if (s->proc)
		proc_bpf__detach(s->proc);
}


/* Forks COMMAND stopped on a pipe; it execs when release_command() writes to it, after
 * the probes are attached and its pid is in the filter. */
static int spawn_command(struct session *s)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	s->child = fork();
	if (s->child < 0) {
		int err = -errno;

		close(p[0]);
		close(p[1]);
		return err;
	}
	if (s->child == 0) {
		char c;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(127);	/* the profiler failed before starting us */
		signal(SIGPIPE, SIG_DFL);	/* ignored by us, not by the command */
		execvp(s->o->command[0], s->o->command);
		fprintf(stderr, "cprof-bpf: cannot run %s: %s\n", s->o->command[0],
			strerror(errno));
		_exit(127);
	}
	close(p[0]);
	s->release_fd = p[1];
	return 0;
}

static int release_command(struct session *s)
{
	int err = 0;

	if (write(s->release_fd, "x", 1) != 1)
		err = -errno;
	close(s->release_fd);
	s->release_fd = -1;
	return err;
}

static struct target *find_target(struct session *s, int pid)
{
	for (size_t i = 0; i < s->n_targets; i++)
		if (s->targets[i].pid == pid)
			return &s->targets[i];
	return NULL;
}

static void target_gone(struct session *s, struct target *t)
{
	if (t->gone)
		return;
	t->gone = true;
	t->gone_after = now(CLOCK_MONOTONIC) - s->t0;
}

static void schedule_resync(struct session *s, int pid)
{
	for (size_t i = 0; i < RESYNC_SLOTS; i++) {
		if (s->resync[i].pid && s->resync[i].pid != pid)
			continue;
		s->resync[i] = (struct resync){ .pid = pid, .exec_time = now(CLOCK_MONOTONIC) };
		return;
	}
}

/* Re-reads the maps of fresh images whose next delay has passed; returns the milliseconds
 * until the next one is due (at most 100). */
static int run_resyncs(struct session *s)
{
	double t = now(CLOCK_MONOTONIC), next = 0.1;

	for (size_t i = 0; i < RESYNC_SLOTS; i++) {
		struct resync *r = &s->resync[i];
		double due;

		if (!r->pid)
			continue;
		due = r->exec_time + resync_delays[r->step];
		if (t >= due) {
			proctab__invalidate(s->pt, r->pid);
			unwinder__sync(s->uw, r->pid, proctab__get(s->pt, r->pid));
			if (++r->step == sizeof(resync_delays) / sizeof(resync_delays[0])) {
				r->pid = 0;
				continue;
			}
			due = r->exec_time + resync_delays[r->step];
		}
		if (due - t < next)
			next = due - t;
	}
	return next > 0 ? (int)(next * 1000) + 1 : 1;
}

/* Records come from BPF but describe target memory: check sizes before trusting counts. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct cprof_sample *r = data;
	struct target *t;

	if (size < sizeof(*r)) {
		s->bad_records++;
		return 0;
	}
	switch (r->kind) {
	case CPROF_EV_EXEC:
		if (s->child > 0 && r->pid == (__u32)s->child)
			s->child_execed = true;
		/* New image: publish its tables before its first samples if we can. */
		proctab__invalidate(s->pt, r->pid);
		unwinder__sync(s->uw, r->pid, proctab__get(s->pt, r->pid));
		schedule_resync(s, r->pid);
		if (s->heap)
			heap__watch(s->heap, r->pid, NULL);
		return 0;
	case CPROF_EV_DLOPEN:
		heap__rescan(s->heap, r->pid);
		return 0;
	case CPROF_EV_EXIT:
		if ((t = find_target(s, r->pid)))
			target_gone(s, t);
		unwinder__forget(s->uw, r->pid);
		return 0;
	default:
		break;
	}
	/* Before its exec, COMMAND's process is our fork (inside execve): not the command. */
	if (s->child > 0 && r->pid == (__u32)s->child && !s->child_execed) {
		s->pre_exec_records++;
		return 0;
	}
	if (r->kind >= CPROF_KIND_NR || r->n_kernel > CPROF_MAX_KERNEL_FRAMES ||
	    r->n_user > CPROF_MAX_USER_FRAMES ||
	    size < sizeof(*r) + ((size_t)r->n_kernel + r->n_user) * sizeof(__u64)) {
		s->bad_records++;
		return 0;
	}
	s->records++;
	/* First sight of a process: capture its maps and open its files while it lives, and
	 * publish its unwind tables. A pc outside the published view (a library mapped since,
	 * e.g. by the dynamic loader right after exec, or dlopen) reloads and republishes. */
	if ((r->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_MAPPING && r->n_user)
		proctab__find(s->pt, r->pid, r->frames[r->n_kernel + r->n_user - 1]);
	unwinder__sync(s->uw, r->pid, proctab__get(s->pt, r->pid));
	if (s->o->verbose && !s->first_complete && r->n_user &&
	    (r->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT) {
		s->first_complete = true;
		/* ts is bpf_ktime_get_ns(): CLOCK_MONOTONIC */
		fprintf(stderr, "cprof-bpf: first complete user stack at %.3f s (monotonic): pid %u\n",
			(double)r->ts / 1e9, r->pid);
	}
	if (r->kind == CPROF_KIND_HEAP_ALLOC || r->kind == CPROF_KIND_HEAP_FREE) {
		if (s->heap && heap__record(s->heap, r))
			s->agg_errors++;
	} else if (stacks__add(s->st, r)) {
		s->agg_errors++;
	}
	return 0;
}

static bool run_over(struct session *s)
{
	bool any_alive = false;

	if (stop_signal)
		return true;
	if (s->o->duration > 0 && now(CLOCK_MONOTONIC) - s->t0 >= s->o->duration)
		return true;
	if (s->child > 0 && !s->child_done) {
		if (waitpid(s->child, &s->child_status, WNOHANG) == s->child)
			s->child_done = true;
		return s->child_done;
	}
	if (!s->n_targets)
		return false;
	for (size_t i = 0; i < s->n_targets; i++) {
		struct target *t = &s->targets[i];

		if (!t->gone && kill(t->pid, 0) && errno == ESRCH)
			target_gone(s, t);
		any_alive |= !t->gone;
	}
	return !any_alive;
}

static int poll_loop(struct session *s)
{
	int err;

	while (!run_over(s)) {
		/* Records arrive without wakeups until the ring is a quarter full: drain on the
		 * timeout too. */
		heap__poll(s->heap, 250);	/* allocators loaded since (dlopen) */
		err = ring_buffer__poll(s->rb, run_resyncs(s));
		if (err >= 0)
			err = ring_buffer__consume(s->rb);
		if (err < 0 && err != -EINTR) {
			errorf("reading the ring buffer: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static void read_counters(struct session *s, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(s->proc->maps.counters);
	uint64_t *vals;

	memset(out, 0, CPROF_CNT_NR * sizeof(*out));
	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return;
	for (uint32_t k = 0; k < CPROF_CNT_NR; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
}

/* Writes kind k's profile and its summary. */
static int write_kind(struct session *s, struct report *rep, const struct report_kind *k,
		      const uint64_t *cnt, double secs)
{
	const struct cprof_opts *o = s->o;
	char path[4096], comment[256];
	struct report_result res;
	struct report_extra extra = {
		.lost = cnt[CPROF_CNT_LOST_KIND + k->kind],
		.lost_value = k->kind == CPROF_KIND_BLOCK ? cnt[CPROF_CNT_BLOCK_LOST_DELAY] : 0,
		.time_nanos = (int64_t)(s->wall0 * 1e9),
		.duration_nanos = (int64_t)(secs * 1e9),
		.comment = comment,
	};
	int err;

	snprintf(comment, sizeof(comment), "cprof-bpf %s: %s", CPROF_VERSION,
		 o->n_pids ? "selected processes" : o->command ? "command" : "whole host");
	snprintf(path, sizeof(path), "%s/%s", o->output_dir, k->file);
	err = report__write(rep, k, s->st, &extra, path, &res);
	if (err)
		errorf("cannot write %s: %s", path, strerror(-err));
	else
		summary__kind(k, &res, cnt, path, secs);
	return err;
}

static int write_profiles(struct session *s)
{
	const struct cprof_opts *o = s->o;
	double secs = s->t1 - s->t0;
	struct report *rep = report__new(s->sym);
	struct unwinder_stats us;
	uint64_t cnt[CPROF_CNT_NR];
	struct report_kind cpu, block, mutex, heap;
	struct mutex_names *names = mutex_names__new(s->pt, s->oc, s->sym);
	int err = 0, e;

	if (!rep || !names) {
		report__free(rep);
		mutex_names__free(names);
		return -ENOMEM;
	}
	read_counters(s, cnt);
	stacks__resolve_unmapped(s->st);
	cpu__report_kind(&cpu, o->freq);
	block__report_kind(&block);
	mutex__report_kind(&mutex, names);
	heap__report_kind(&heap, o->heap_rate);
	/* Every kind is written even if one fails: no collected data is dropped. */
	if (s->kinds & KIND_BIT(CPROF_KIND_CPU) && (e = write_kind(s, rep, &cpu, cnt, secs)))
		err = e;
	if (s->kinds & KIND_BIT(CPROF_KIND_BLOCK) && (e = write_kind(s, rep, &block, cnt, secs)))
		err = e;
	if (s->kinds & KIND_BIT(CPROF_KIND_MUTEX) && (e = write_kind(s, rep, &mutex, cnt, secs)))
		err = e;
	if (s->heap && (e = write_kind(s, rep, &heap, cnt, secs)))
		err = e;
	heap__summary(s->heap, cnt, o->n_pids > 0);
	unwinder__stats(s->uw, &us);
	summary__unwind(&us);
	if ((s->kinds & KIND_BIT(CPROF_KIND_CPU)) && (s->kinds & KIND_BIT(CPROF_KIND_BLOCK)))
		summary__offcpu(s->st, cpu.period);
	for (unsigned int k = 0; k < N_KINDS; k++)
		if (s->why[k][0])
			fprintf(stderr, "  not collected: the %s profile (%s)\n", kind_names[k],
				s->why[k]);
	if (o->verbose && s->pre_exec_records)
		fprintf(stderr, "  %llu samples of the command's process before its exec (our fork) "
			"left out\n", (unsigned long long)s->pre_exec_records);
	if (cnt[CPROF_CNT_SCRATCH_BUSY])
		fprintf(stderr, "  %llu samples dropped: every scratch record of their CPU was in "
			"use by programs running there at once\n",
			(unsigned long long)cnt[CPROF_CNT_SCRATCH_BUSY]);
	if (s->bad_records || s->agg_errors || cnt[CPROF_CNT_EVENTS_LOST])
		fprintf(stderr, "  %llu malformed records, %llu aggregation failures, "
			"%llu process events lost\n", (unsigned long long)s->bad_records,
			(unsigned long long)s->agg_errors,
			(unsigned long long)cnt[CPROF_CNT_EVENTS_LOST]);
	report__free(rep);
	mutex_names__free(names);
	return err;
}

static void session_free(struct session *s)
{
	detach_bpf(s);
	ring_buffer__free(s->rb);
	unwinder__free(s->uw);
	block_bpf__destroy(s->block);
	mutex_bpf__destroy(s->mutex);
	btf__free(s->vmlinux);
	heap__free(s->heap);
	cpu_bpf__destroy(s->cpu);
	proc_bpf__destroy(s->proc);
	free(s->cpu_links);
	free(s->cpus);
	stacks__free(s->st);
	symbolizer__free(s->sym);
	proctab__free(s->pt);
	objcache__free(s->oc);
	free(s->targets);
	if (s->release_fd >= 0)
		close(s->release_fd);
}

static int setup(struct session *s)
{
	const struct cprof_opts *o = s->o;
	struct symbolizer_opts so = { .debug_dirs = o->debug_dirs };
	int err;

	if ((err = check_targets(s)))
		return err;
	if ((err = require_btf()))
		return err;
	if ((err = prepare_output(o->output_dir))) {
		errorf("cannot write to %s: %s", o->output_dir, strerror(-err));
		return err;
	}
	s->oc = objcache__new();
	s->pt = s->oc ? proctab__new(s->oc) : NULL;
	s->st = s->pt ? stacks__new(s->pt) : NULL;
	s->sym = symbolizer__new(&so);
	if (!s->st || !s->sym)
		return -ENOMEM;
	if ((err = open_bpf(s)))
		return err;
	/* First sight of the targets: their maps and tables, before the first sample. */
	for (size_t i = 0; i < s->n_targets; i++)
		unwinder__sync(s->uw, s->targets[i].pid, proctab__get(s->pt, s->targets[i].pid));
	s->rb = ring_buffer__new(bpf_map__fd(s->proc->maps.rb), on_record, s, NULL);
	if (!s->rb) {
		err = -errno;
		errorf("cannot open the ring buffer: %s", strerror(-err));
		return err;
	}
	if (o->command && (err = spawn_command(s))) {
		errorf("cannot start %s: %s", o->command[0], strerror(-err));
		return err;
	}
	if ((err = attach_bpf(s)))
		return err;
	/* Watched only now: its wait for release_command() is ours, not the command's, and the
	 * start sweep of the block profile must not stamp it. */
	if (s->child > 0 && (err = watch_pid(s, s->child)))
		errorf("cannot update the pid filter: %s", strerror(-err));
	if (!err && s->child > 0 && s->heap) {
		loadlog__begin();
		if ((err = heap__watch(s->heap, s->child, o->command[0]))) {
			heap__free(s->heap);
			s->heap = NULL;
			err = kind_unavailable(s, CPROF_KIND_HEAP_ALLOC, "attaching its uprobes failed",
					       err);
		}
	}
	if (!err && !s->kinds) {
		errorf("no profile kind can be collected on this kernel (cprof-bpf --check tells "
		       "why)");
		return -ENOTSUP;
	}
	return err;
}

/* The run ended (-d or a signal) before COMMAND did: it was started for the profile, so it
 * ends with it — SIGTERM, then SIGKILL if it lingers past 2 s. */
static void stop_command(struct session *s)
{
	kill(s->child, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(s->child, &s->child_status, WNOHANG) == s->child) {
			s->child_done = true;
			return;
		}
		usleep(10000);
	}
	kill(s->child, SIGKILL);
	if (waitpid(s->child, &s->child_status, 0) == s->child)
		s->child_done = true;
}

static int exit_status(struct session *s, int err)
{
	int gone = 0;

	if (s->child > 0) {
		if (!s->child_done)
			stop_command(s);
		if (err)
			return 1;
		if (WIFEXITED(s->child_status))
			return WEXITSTATUS(s->child_status);
		return 128 + WTERMSIG(s->child_status);
	}
	if (err)
		return 1;
	for (size_t i = 0; i < s->n_targets; i++) {
		const struct target *t = &s->targets[i];

		if (!t->gone)
			continue;
		fprintf(stderr, "cprof-bpf: pid %d (%s) exited %.1f s into the run; the profiles "
			"cover it until then\n", t->pid, t->comm, t->gone_after);
		gone++;
	}
	return gone ? CPROF_EXIT_TARGET_GONE : 0;
}

/* One line once everything is attached: from here on the profiles cover the run. */
static void announce(const struct session *s)
{
	const struct cprof_opts *o = s->o;
	char kinds[64] = "";

	for (unsigned int k = 0; k < N_KINDS; k++)
		if (s->kinds & KIND_BIT(k))
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 kinds[0] ? "," : "", kind_names[k]);
	if (o->command)
		fprintf(stderr, "cprof-bpf: profiling %s (%s)\n", o->command[0], kinds);
	else if (o->n_pids)
		fprintf(stderr, "cprof-bpf: profiling %zu process%s (%s)%s\n", o->n_pids,
			o->n_pids > 1 ? "es" : "", kinds, o->duration > 0 ? "" : ": Ctrl-C to stop");
	else
		fprintf(stderr, "cprof-bpf: profiling the whole host (%s)%s\n", kinds,
			o->duration > 0 ? "" : ": Ctrl-C to stop");
}

int session__run(const struct cprof_opts *o)
{
	struct session s = { .o = o, .kinds = o->kinds, .release_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	loadlog__install(o->verbose);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader of stderr that went away (| head) must not cost the profiles. */
	signal(SIGPIPE, SIG_IGN);
	err = setup(&s);
	if (err) {
		if (s.child > 0) {
			kill(s.child, SIGKILL);
			waitpid(s.child, NULL, 0);
			s.child = 0;
		}
		goto out;
	}
	s.t0 = now(CLOCK_MONOTONIC);
	s.wall0 = now(CLOCK_REALTIME);
	announce(&s);
	if (s.child > 0 && (err = release_command(&s))) {
		errorf("cannot start %s: %s", o->command[0], strerror(-err));
		goto out;
	}
	err = poll_loop(&s);
	s.t1 = now(CLOCK_MONOTONIC);
	/* Stop sampling, then drain what is already in the ring buffer. */
	detach_bpf(&s);
	ring_buffer__consume(s.rb);
	if (!err)
		err = write_profiles(&s);
out:
	err = exit_status(&s, err);
	session_free(&s);
	return err;
}

/* --check: every kind's programs loaded (not attached), one line per kind. */
int session__check(const struct cprof_opts *o)
{
	struct session s = { .o = o, .kinds = o->kinds, .release_fd = -1 };
	struct utsname u = {};
	int err, missing = 0;

	loadlog__install(o->verbose);
	uname(&u);
	printf("cprof-bpf %s on Linux %s\n", CPROF_VERSION, u.release);
	s.oc = objcache__new();
	s.pt = s.oc ? proctab__new(s.oc) : NULL;
	s.st = s.pt ? stacks__new(s.pt) : NULL;
	if (!s.st) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = require_btf()) || (err = open_bpf(&s)))
		goto out;
	for (unsigned int k = 0; k < N_KINDS; k++) {
		const struct kind_load *kl = &s.loads[k];

		if (!(o->kinds & KIND_BIT(k)))
			continue;
		if (!(s.kinds & KIND_BIT(k))) {
			printf("  %-6s unavailable  %s\n", kind_names[k], s.why[k]);
			missing++;
			continue;
		}
		printf("  %-6s available    %s; %u program%s, %llu instructions verified, "
		       "%.0f ms\n", kind_names[k], kl->mechanism, kl->progs,
		       kl->progs == 1 ? "" : "s", kl->insns, kl->ms);
	}
out:
	session_free(&s);
	if (err)
		return 1;
	return missing ? 1 : 0;
}
