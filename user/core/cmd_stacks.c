// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `cprof-bpf stacks`: one snapshot of every thread of the given processes. The unwind
 * tables of each process are published first (as for a profile's targets), then one read
 * of the thread iterator's file (bpf/threads.bpf.c) visits every thread without stopping
 * it; its records are symbolized here and grouped by report/threadsnap.c. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/cliarg.h"
#include "core/cmd_stacks.h"
#include "core/loadlog.h"
#include "core/options.h"
#include "core/procobj.h"
#include "core/session_priv.h"
#include "core/sysinfo.h"
#include "cprof.h"
#include "kinds/kind.h"
#include "kinds/threads.h"
#include "core/threadsym.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/summary.h"
#include "report/threadsnap.h"
#include "symbols/symbolizer.h"
#include "threads.skel.h"
#include "unwind/unwinder.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"
#include "util/vec.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
/* How long tables being built are waited for before the snapshot (hostscan.c's bound). */
#define STACKS_WAIT_SECS 10.0

static const char stacks_usage[] =
	"Usage: cprof-bpf stacks [-p PID[,PID...]] [--each | --json] [-v]\n"
	"Prints the stack of every thread of the processes now, threads with the same stack\n"
	"grouped (leaf first: kernel frames, then user frames with inline calls and file:line),\n"
	"each thread's id, name and state. The processes are not stopped: no ptrace, no signal.\n"
	"\n"
	"  -p, --pid PID[,PID...]   the processes (repeatable); without it, every process of\n"
	"                           the host (but kernel threads and this one)\n"
	"      --each               each thread on its own, by thread id, with its stack\n"
	"                           (as goroutine?debug=2 lists goroutines)\n"
	"      --json               one JSON document of the groups instead of text\n"
	"  -v, --verbose            libbpf and unwinder diagnostics on stderr\n"
	"  -h, --help               this text\n"
	"\n"
	"Exit status: 0; 1 when a process cannot be read (not root, no such process, gone\n"
	"before its threads were read, a kernel without the iterator); 2 for bad usage.\n"
	"Environment: CPROF_CACHE_DIR, where unwind tables are cached; CPROF_STACKS_WAIT_MS=N\n"
	"(tests) waits N ms before the threads are read.\n";

struct stacks_args {
	int *pids;
	size_t n_pids, cap_pids;
	enum threadsnap_format fmt;
	bool verbose;
	bool host;	/* no -p: pids are every process of the host, found at the start */
};

/* Everything one snapshot holds, freed by snap_free. */
struct snap {
	struct cprof_opts o;
	struct kind_env env;
	struct procobj *po;
	struct unwinder *uw;
	struct threads_bpf *skel;
	struct threadsnap *ts;
	uint8_t *buf;		/* the iterator's output */
	size_t len, cap;
	uint64_t bad_records;
};

/* One line on stderr: "cprof-bpf stacks: MESSAGE". */
static void CPROF_PRINTF(1, 2) stacks_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cprof-bpf stacks: %s\n", msg);
}

enum { OPT_JSON = 1000, OPT_EACH };

static const struct option stacks_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "each", no_argument, NULL, OPT_EACH },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Returns 0, 1 for --help (done), or EXIT_USAGE (said). */
static int parse_stacks_args(int argc, char **argv, struct stacks_args *a)
{
	char bad[64];
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:vh", stacks_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			err = cliarg__pids(optarg, &a->pids, &a->n_pids, &a->cap_pids, bad,
					   sizeof(bad));
			if (err == -ENOMEM)
				return EXIT_FAIL;
			if (err) {
				stacks_error("-p: '%s' is not a process id", bad);
				return EXIT_USAGE;
			}
			break;
		case OPT_JSON:
		case OPT_EACH:
			if (a->fmt != THREADSNAP_GROUPS) {
				stacks_error("--each and --json: one format at a time");
				return EXIT_USAGE;
			}
			a->fmt = c == OPT_JSON ? THREADSNAP_JSON : THREADSNAP_EACH;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			fputs(stacks_usage, stdout);
			return 1;
		case ':':
			stacks_error("%s needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			stacks_error("unknown option %s (cprof-bpf stacks --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		stacks_error("unexpected argument '%s' (cprof-bpf stacks --help)", argv[optind]);
		return EXIT_USAGE;
	}
	a->host = !a->n_pids;
	return 0;
}

/* Each pid a process with a user space. Returns 0 or EXIT_FAIL (said). */
static int check_pids(const struct stacks_args *a)
{
	for (size_t i = 0; i < a->n_pids; i++) {
		char comm[64] = "";
		int err = sysinfo__check_pid(a->pids[i], comm, sizeof(comm)), tgid;

		if (err == -ESRCH)
			stacks_error("pid %d: no such process", a->pids[i]);
		else if (err == -EINVAL)
			stacks_error("pid %d (%s) is a kernel thread: it has no user stacks",
				     a->pids[i], comm);
		else if (err)
			stacks_error("pid %d: cannot read /proc/%d/stat: %s", a->pids[i],
				     a->pids[i], strerror(-err));
		if (err)
			return EXIT_FAIL;
		/* The iterator goes by process: a thread's id would match nothing. */
		tgid = sysinfo__tgid(a->pids[i]);
		if (tgid > 0 && tgid != a->pids[i]) {
			stacks_error("pid %d is a thread of process %d: give -p %d", a->pids[i], tgid,
				     tgid);
			return EXIT_FAIL;
		}
	}
	return 0;
}

static void snap_free(struct snap *s)
{
	threads_bpf__destroy(s->skel);
	unwinder__free(s->uw);
	procobj__free(s->po);
	symbolizer__free(s->env.sym);
	proctab__free(s->env.pt);
	objcache__free(s->env.oc);
	threadsnap__free(s->ts);
	free(s->buf);
}

/* The shared maps (the proc object owns them) and each process's unwind view, published
 * with the tables it needs (built now, or read from the cache). Returns 0 or -errno
 * (said). */
static int publish_views(struct snap *s, const struct stacks_args *a)
{
	double deadline = clock__secs(CLOCK_MONOTONIC) + STACKS_WAIT_SECS;
	int err;

	if ((err = procobj__open(&s->o, &s->po)) || (err = procobj__share(s->po, &s->env)) ||
	    (err = procobj__load(s->po)) || (err = procobj__unwinder(s->po, &s->o, NULL, &s->uw)))
		return err;
	for (size_t i = 0; i < a->n_pids; i++) {
		if ((err = procobj__watch_pid(s->po, a->pids[i]))) {
			stacks_error("cannot update the pid filter: %s", strerror(-err));
			return err;
		}
		unwinder__sync(s->uw, a->pids[i], proctab__get(s->env.pt, a->pids[i]));
	}
	while (unwinder__pending(s->uw) && clock__secs(CLOCK_MONOTONIC) < deadline) {
		unwinder__poll(s->uw);
		usleep(2000);
	}
	unwinder__poll(s->uw);
	if (unwinder__pending(s->uw))
		log_warn("unwind tables still being built after %.0f s: stacks through those "
			 "objects are cut short", STACKS_WAIT_SECS);
	return 0;
}

/* The thread iterator's object, on the shared maps. Returns 0 or -errno (said). */
static int load_iterator(struct snap *s)
{
	int err;

	s->skel = threads_bpf__open();
	if (!s->skel) {
		err = -errno;
		stacks_error("cannot open the thread iterator's BPF object: %s", strerror(-err));
		return err;
	}
	s->skel->rodata->filter_pids = true;
	s->skel->rodata->max_user_frames = CPROF_MAX_USER_FRAMES;
	if ((err = kind__adopt_maps(s->skel->obj, &s->env)))
		return err;
	loadlog__begin();
	err = threads_bpf__load(s->skel);
	loadlog__end();
	if (err) {
		char why[256] = "";

		loadlog__reason(why, sizeof(why));
		stacks_error("this kernel refused the thread iterator (a sleepable task iterator "
			     "with bpf_copy_from_user_task, Linux 5.18+): %s%s%s", strerror(-err),
			     why[0] ? ": " : "", why);
		return err;
	}
	return 0;
}

/* One pass of the iterator: every thread of the watched processes, into s->buf. Returns 0
 * or -errno (said). */
static int read_iterator(struct snap *s)
{
	const char *what;
	int err = threads_iter__read(s->skel->progs.cprof_threads_iter, &s->buf, &s->len,
				     &s->cap, &what);

	if (err)
		stacks_error("the thread iterator (%s): %s", what, strerror(-err));
	return err;
}

/* The iterator's records into the snapshot. Returns 0 or -ENOMEM. */
static int add_threads(struct snap *s)
{
	size_t off = 0;
	int err = threadsym__add(&s->env, s->buf, s->len, 0, s->ts, &off);

	if (err == -EINVAL) {
		s->bad_records++;
		log_warn("the thread iterator's output is cut or malformed at byte %zu of %zu: "
			 "the threads after it are not shown", off, s->len);
		err = 0;
	}
	return err;
}

static int snap_env(struct snap *s, const struct stacks_args *a)
{
	struct symbolizer_opts so = { 0 };

	s->o.ring_mib = 1;
	s->o.pids = a->pids;
	s->o.n_pids = a->n_pids;
	s->o.verbose = a->verbose;
	s->o.k.max_depth = CPROF_MAX_USER_FRAMES;
	s->o.cache_dir = getenv("CPROF_CACHE_DIR");
	if (s->o.cache_dir && !s->o.cache_dir[0])
		s->o.cache_dir = NULL;
	s->env.opts = &s->o.k;
	s->env.filter_pids = true;
	s->env.pids_given = true;
	s->env.oc = objcache__new();
	s->env.pt = s->env.oc ? proctab__new(s->env.oc) : NULL;
	so.cache_dir = procobj__cache_dir(&s->o);
	s->env.sym = s->env.pt ? symbolizer__new(&so) : NULL;
	s->ts = threadsnap__new();
	return s->env.sym && s->ts ? 0 : -ENOMEM;
}

/* Says which processes had no thread in the snapshot (gone meanwhile); returns how many. */
static int report_gone(const struct snap *s, const struct stacks_args *a)
{
	int gone = 0;

	for (size_t i = 0; !a->host && i < a->n_pids; i++) {
		if (threadsnap__count(s->ts, a->pids[i]))
			continue;
		stacks_error("pid %d exited before its threads could be read", a->pids[i]);
		gone++;
	}
	return gone;
}

/* CPROF_STACKS_WAIT_MS=N (tests): a pause before the threads are read, in which a process
 * given can exit after it was found. */
static void test_pause(void)
{
	const char *env = getenv("CPROF_STACKS_WAIT_MS");
	unsigned long ms;

	if (env && !cliarg__uint(env, 0, 60000, &ms))
		usleep((useconds_t)ms * 1000);
}

static int snapshot(const struct stacks_args *a)
{
	uint64_t cnt[CPROF_CNT_NR] = { 0 };
	struct snap s = { 0 };
	double t[3], cpu[3];	/* wall and this thread's CPU: before the read, after, grouped */
	int err, gone;

	if ((err = snap_env(&s, a))) {
		stacks_error("out of memory");
		goto out;
	}
	if ((err = publish_views(&s, a)) || (err = load_iterator(&s)))
		goto out;
	test_pause();
	t[0] = clock__secs(CLOCK_MONOTONIC);
	cpu[0] = clock__secs(CLOCK_THREAD_CPUTIME_ID);
	if ((err = read_iterator(&s)))
		goto out;
	t[1] = clock__secs(CLOCK_MONOTONIC);
	cpu[1] = clock__secs(CLOCK_THREAD_CPUTIME_ID);
	if ((err = add_threads(&s))) {
		stacks_error("out of memory");
		goto out;
	}
	t[2] = clock__secs(CLOCK_MONOTONIC);
	cpu[2] = clock__secs(CLOCK_THREAD_CPUTIME_ID);
	/* The iterator runs in this thread (its BPF programs in the read's system time). */
	log_debug("snapshot: %zu threads read in %.2f ms (CPU %.2f ms), symbolized and grouped "
		  "in %.2f ms (CPU %.2f ms)", threadsnap__count(s.ts, 0), (t[1] - t[0]) * 1e3,
		  (cpu[1] - cpu[0]) * 1e3, (t[2] - t[1]) * 1e3, (cpu[2] - cpu[1]) * 1e3);
	summary__debugcache();
	procobj__read_counters(s.po, cnt);
	if (cnt[CPROF_CNT_SCRATCH_BUSY])
		log_warn("%llu threads could not be read (no scratch record was free): the "
			 "snapshot misses them", (unsigned long long)cnt[CPROF_CNT_SCRATCH_BUSY]);
	gone = report_gone(&s, a);
	if ((err = threadsnap__print(s.ts, stdout, a->fmt)))
		stacks_error("writing the stacks: %s", strerror(-err));
	else if (gone || s.bad_records || cnt[CPROF_CNT_SCRATCH_BUSY])
		err = -ESRCH;
out:
	snap_free(&s);
	return err ? EXIT_FAIL : 0;
}

int cmd_stacks__main(int argc, char **argv)
{
	struct stacks_args a = { 0 };
	int rc = parse_stacks_args(argc, argv, &a);

	if (rc == 1)
		rc = 0;
	else if (!rc && !sysinfo__has_bpf_caps()) {
		stacks_error("reading threads' stacks needs root (or CAP_BPF and CAP_PERFMON): "
			     "run it with sudo");
		rc = EXIT_FAIL;
	} else if (!rc && a.host && (rc = hostscan__pids(&a.pids, &a.n_pids, &a.cap_pids))) {
		stacks_error("cannot list the host's processes in /proc: %s", strerror(-rc));
		rc = EXIT_FAIL;
	} else if (!rc && (a.host || !(rc = check_pids(&a)))) {
		log__set_verbose(a.verbose);
		loadlog__install(a.verbose);
		rc = snapshot(&a);
	}
	free(a.pids);
	return rc;
}
