// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The session: sets up the run (targets, output, BPF objects), loads and attaches the kinds
 * of the table asked for — deciding which are collected when one cannot be — runs the loop,
 * writes the output; and --check. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/loadlog.h"
#include "core/options.h"
#include "core/procobj.h"
#include "core/retain.h"
#include "core/serve.h"
#include "core/session.h"
#include "core/session_priv.h"
#include "core/sysinfo.h"
#include "core/top.h"
#include "cprof.h"
#include "elf/debuginfod.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "proc/proctab.h"
#include "report/stacks.h"
#include "symbols/symbolizer.h"
#include "unwind/unwinder.h"
#include "util/log.h"

volatile sig_atomic_t session_stop;

/* A kind's failure in a few words (loadlog__reason). */
#define REASON_LEN 200

static void on_signal(int sig)
{
	if (session_stop && sig == SIGINT) {
		static const char msg[] = "cprof-bpf: second interrupt, exiting without writing\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
			/* nothing more to say */
		}
		_exit(130);
	}
	session_stop = sig;
}

/* Kind i cannot be collected: what failed, with err. An error when it was named with -t;
 * else a warning, and the run goes on without it. reason, in a few words ("" if none),
 * names the kernel feature missing where libbpf's or the verifier's messages tell it. */
static int kind_unavailable(struct session *s, unsigned int i, const char *what, int err,
			    const char *reason)
{
	const struct kind_ops *ops = kinds[i];
	const char *hint = "-v shows libbpf's and the verifier's log";

	if ((err == -EPERM || err == -EACCES) && !sysinfo__has_bpf_caps())
		hint = "run as root, or with CAP_BPF and CAP_PERFMON";
	if (err == -ECANCELED)
		snprintf(s->why[i], sizeof(s->why[i]), "%s: made to fail by CPROF_FAIL_KINDS",
			 what);
	else
		snprintf(s->why[i], sizeof(s->why[i]), "%s: %s%s%s%s", what, strerror(-err),
			 reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
	s->kinds &= ~KIND_BIT(ops->id);
	if (s->active[i])
		ops->free(s->active[i]);
	s->active[i] = NULL;
	if (s->o->check)
		return 0;
	if (s->o->kinds_required & KIND_BIT(ops->id)) {
		log_error("the %s profile cannot be collected: %s; %s", ops->name, s->why[i], hint);
		return err;
	}
	log_warn("no %s profile: %s; %s", ops->name, s->why[i], hint);
	return 0;
}

/* Why the step in this thread's capture window failed ("" if not known). */
static const char *log_reason(char reason[REASON_LEN])
{
	return loadlog__reason(reason, REASON_LEN) ? reason : "";
}

/* The kinds CPROF_FAIL_KINDS (tests) names fail to load, before anything is loaded. */
static int force_failures(struct session *s)
{
	int err;

	for (unsigned int i = 0; i < n_kinds; i++)
		if ((s->kinds & s->o->fail_kinds & KIND_BIT(kinds[i]->id)) &&
		    (err = kind_unavailable(s, i, "loading its BPF programs failed", -ECANCELED,
					    "")))
			return err;
	return 0;
}

/* Kind i's mechanism, the programs of its object and the instructions the verifier
 * processed, and the time since t0 (monotonic seconds), into its load record. */
static void note_load(struct session *s, unsigned int i, const struct kind *k, double t0)
{
	struct kind_load *kl = &s->loads[i];
	struct bpf_program *p;

	kl->mechanism = k->mechanism;
	kl->ms = (clock__secs(CLOCK_MONOTONIC) - t0) * 1e3;
	bpf_object__for_each_program(p, k->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		kl->progs++;
		kl->insns += info.verified_insns;
	}
}

/* One kind's open and load, in a thread of its own (or the caller's). */
struct kind_job {
	struct session *s;
	unsigned int i;
	bool wanted;		/* asked for (and not failed by CPROF_FAIL_KINDS) */
	bool threaded;		/* thread runs it: join it */
	pthread_t thread;
	int open_err;		/* ends the run */
	int load_err;		/* makes the kind unavailable */
	int watch_err;		/* so does this: watching a process given with -p failed */
	char reason[REASON_LEN];	/* why, from libbpf's and the verifier's log */
};

/* A kind that collects per process (heap) watches the processes given with -p, or COMMAND
 * (started, waiting for its exec), from its loading thread: reading their objects overlaps
 * the other loads. An exec of a target before the proc object attaches is not reported, but
 * the kind's periodic rescans find its new image. */
static int watch_targets(struct kind_job *j, struct kind *k)
{
	const struct session *s = j->s;
	int err = 0;

	if (!k->ops->watch)
		return 0;
	loadlog__begin();
	for (size_t t = 0; !err && t < s->n_targets; t++)
		err = k->ops->watch(k, s->targets[t].pid, NULL);
	if (!err && s->cmd.pid > 0)
		err = k->ops->watch(k, s->cmd.pid, s->o->command[0]);
	if (err)
		log_reason(j->reason);
	return err;
}

/* Opens, configures and loads kind j->i, and watches the targets. Touches only its own slots
 * of the session (and the kind environment, read-only but for the kernel's BTF, which
 * kinds.c guards). */
static void *load_kind(void *arg)
{
	struct kind_job *j = arg;
	struct session *s = j->s;
	const struct kind_ops *ops = kinds[j->i];
	double t0 = clock__secs(CLOCK_MONOTONIC);
	struct kind *k = NULL;

	loadlog__begin();
	j->open_err = ops->open(&s->env, &k);
	if (!j->open_err) {
		k->ops = ops;
		s->active[j->i] = k;
		j->load_err = ops->load(k, &s->env);
		if (!j->load_err) {
			note_load(s, j->i, k, t0);
			j->watch_err = watch_targets(j, k);
		} else {
			log_reason(j->reason);
		}
	}
	loadlog__end();
	return NULL;
}

/* Starts loading every kind asked for at once, a thread each: the objects are independent
 * once the shared maps exist, and most of a load is the kernel verifying programs and
 * libbpf reading the kernel's BTF, which run on as many CPUs as there are. The threads block
 * every signal: SIGINT and SIGTERM are the main thread's (and would make the verifier start
 * over). A kind whose thread cannot start loads in finish_kinds(), once the shared maps it
 * waits for are there. */
static void start_kinds(struct session *s, struct kind_job *jobs)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i < n_kinds; i++) {
		jobs[i] = (struct kind_job){ .s = s, .i = i };
		jobs[i].wanted = s->kinds & KIND_BIT(kinds[i]->id);
		if (jobs[i].wanted)
			jobs[i].threaded = !pthread_create(&jobs[i].thread, NULL, load_kind,
							   &jobs[i]);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* After the shared maps were made (or failed): loads the kinds whose thread could not start
 * and waits for the others, then, unless the run failed already (judge false), takes their
 * outcomes in the table's order, as one load after another would have: the first failed
 * open ends the run; a failed load makes its kind unavailable (an error if it was named with
 * -t). */
static int finish_kinds(struct session *s, struct kind_job *jobs, bool judge)
{
	int err = 0;

	for (unsigned int i = 0; i < n_kinds; i++)
		if (jobs[i].wanted && !jobs[i].threaded)
			load_kind(&jobs[i]);
	for (unsigned int i = 0; i < n_kinds; i++)
		if (jobs[i].threaded)
			pthread_join(jobs[i].thread, NULL);
	for (unsigned int i = 0; judge && i < n_kinds && !err; i++) {
		const struct kind_job *j = &jobs[i];

		if (!j->wanted)
			continue;
		err = j->open_err;
		if (!err && j->load_err)
			err = kind_unavailable(s, i, kinds[i]->load_fails, j->load_err, j->reason);
		else if (!err && j->watch_err)
			err = kind_unavailable(s, i, kinds[i]->attach_fails, j->watch_err,
					       j->reason);
	}
	return err;
}

/* Every kind's programs are typed against the kernel's BTF. */
static int require_btf(void)
{
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		return 0;
	log_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): CONFIG_DEBUG_INFO_BTF is "
		  "required");
	return -ENOTSUP;
}

/* The unwinder, and its first sight of the targets (of every process, host-wide): their
 * maps and tables, before the first sample. */
static int first_sight(struct session *s)
{
	int err = procobj__unwinder(s->po, s->o, s->dfd, &s->uw);

	for (size_t i = 0; !err && i < s->n_targets; i++) {
		int pid = s->targets[i].pid;

		unwinder__sync(s->uw, pid, proctab__get(s->env.pt, pid));
	}
	if (!err && !s->o->command && !s->o->n_pids)
		hostscan__run(s);
	return err;
}

/* Every object at once: each kind asked for in a thread of its own, which opens it while
 * this one creates the shared maps, then loads it; the process-tracking object here, which
 * then takes the first sight of the targets. */
static int open_bpf(struct session *s)
{
	struct kind_job jobs[KINDS_MAX];
	int err, kerr;

	if ((err = procobj__open(s->o, &s->po)) || (err = force_failures(s)))
		return err;
	start_kinds(s, jobs);
	err = procobj__share(s->po, &s->env);
	if (!err)
		err = procobj__load(s->po);
	if (!err && !s->o->check)
		err = first_sight(s);
	kerr = finish_kinds(s, jobs, !err);
	kind_env__drop_vmlinux(&s->env);	/* megabytes, needed by the set-ups only */
	return err ? err : kerr;
}

static int attach_kinds(struct session *s)
{
	for (unsigned int i = 0; i < n_kinds; i++) {
		struct kind *k = s->active[i];
		bool fatal = false;
		char reason[REASON_LEN];
		int err;

		if (!k || !kinds[i]->attach)
			continue;
		loadlog__begin();
		err = kinds[i]->attach(k, &s->env, &fatal);
		if (err && !fatal)
			err = kind_unavailable(s, i, kinds[i]->attach_fails, err,
					       log_reason(reason));
		loadlog__end();
		if (err)
			return err;
	}
	return 0;
}

static int attach_bpf(struct session *s)
{
	int err;

	if ((err = procobj__attach(s->po)))
		return err;
	for (size_t i = 0; i < s->n_targets; i++)
		if ((err = procobj__watch_pid(s->po, s->targets[i].pid))) {
			log_error("cannot update the pid filter: %s", strerror(-err));
			return err;
		}
	return attach_kinds(s);
}

static void detach_bpf(struct session *s)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i])
			kinds[i]->detach(s->active[i]);
	procobj__detach(s->po);
}

/* What the kinds are given, and the state they share. */
static int new_env(struct session *s, bool symbols)
{
	const struct cprof_opts *o = s->o;
	struct symbolizer_opts so = { .debug_dirs = o->debug_dirs,
				      .cache_dir = procobj__cache_dir(o) };
	struct kind_env *env = &s->env;
	int err;

	env->opts = &o->k;
	env->filter_pids = o->n_pids > 0 || o->command;
	env->pids_given = o->n_pids > 0;
	env->wakeup_bytes = (uint64_t)o->ring_mib << 18;
	env->output_dir = o->output_dir;
	env->tables_now = loop__tables_now;
	env->oc = objcache__new();
	env->pt = env->oc ? proctab__new(env->oc) : NULL;
	env->st = env->pt ? stacks__new(env->pt) : NULL;
	if (env->st)
		stacks__set_limit(env->st, s->o->retain.max_stacks);
	if (symbols && (err = debuginfod__new(o->debuginfod_timeout, &s->dfd))) {
		log_error("debuginfod: cannot start its client: %s", strerror(-err));
		return err;
	}
	so.debuginfod = s->dfd;
	if (symbols)
		env->sym = symbolizer__new(&so);
	/* A server symbolizes the same addresses at every scrape, the live view at every
	 * refresh. */
	if (env->sym && (o->http.addr || o->top) && symbolizer__keep_results(env->sym, 100000))
		return -ENOMEM;
	return env->st && (env->sym || !symbols) ? 0 : -ENOMEM;
}

static void session_free(struct session *s)
{
	top__free(s->top);
	serve__free(s->srv);
	detach_bpf(s);
	ring_buffer__free(s->rb);
	unwinder__free(s->uw);
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i])
			kinds[i]->free(s->active[i]);
	kind_env__drop_vmlinux(&s->env);
	procobj__free(s->po);
	stacks__free(s->env.st);
	symbolizer__free(s->env.sym);
	debuginfod__free(s->dfd);
	proctab__free(s->env.pt);
	objcache__free(s->env.oc);
	free(s->targets);
	command__close(&s->cmd);
}

/* COMMAND joins the pid filter only now: its wait for command__release() is ours, not the
 * command's, and the start sweep of the block profile must not stamp it. (The kinds that
 * collect per process watched it as they loaded.) */
static int watch_command(struct session *s)
{
	int err;

	if (s->cmd.pid <= 0)
		return 0;
	if ((err = procobj__watch_pid(s->po, s->cmd.pid)))
		log_error("cannot update the pid filter: %s", strerror(-err));
	return err;
}

/* -v: where the start went, in ms since setup began (t0): the objects' loads, each kind's in
 * a thread of its own, then the attaching. */
static void say_startup(const struct session *s, double t0, double t_loaded)
{
	double now = clock__secs(CLOCK_MONOTONIC);
	char list[160] = "";

	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->kinds & KIND_BIT(kinds[i]->id))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s %.0f",
				 list[0] ? ", " : "", kinds[i]->name, s->loads[i].ms);
	log_debug("attached in %.0f ms: BPF objects loaded in %.0f ms (at once, ms each: %s), "
		  "then %.0f ms attaching", (now - t0) * 1e3, (t_loaded - t0) * 1e3, list,
		  (now - t_loaded) * 1e3);
}

static int setup(struct session *s)
{
	const struct cprof_opts *o = s->o;
	double t0 = clock__secs(CLOCK_MONOTONIC), t_loaded;
	int err;

	if ((err = loop__check_targets(s)) || (err = require_btf()))
		return err;
	/* top writes profiles only when -o names a directory. */
	if (o->output_dir && (err = output__prepare(o->output_dir))) {
		log_error("cannot write to %s: %s", o->output_dir, strerror(-err));
		return err;
	}
	/* Bound before the BPF work: an address in use fails in a moment. */
	if (o->http.addr && (err = serve__start(s, &o->http, &s->srv)))
		return err;
	if ((err = new_env(s, true)))
		return err;
	/* Started (it waits for command__release()) before the loads, which watch its pid, and
	 * before any thread. */
	if (o->command && (err = command__spawn(&s->cmd, o->command))) {
		log_error("cannot start %s: %s", o->command[0], strerror(-err));
		return err;
	}
	if ((err = open_bpf(s)))
		return err;
	t_loaded = clock__secs(CLOCK_MONOTONIC);
	s->rb = procobj__ring_buffer(s->po, loop__record, s);
	if (!s->rb) {
		err = -errno;
		log_error("cannot open the ring buffer: %s", strerror(-err));
		return err;
	}
	if ((err = attach_bpf(s)) || (err = watch_command(s)))
		return err;
	if (!s->kinds) {
		log_error("no profile kind can be collected on this kernel (cprof-bpf --check "
			  "tells why)");
		return -ENOTSUP;
	}
	say_startup(s, t0, t_loaded);
	return 0;
}

static int exit_status(struct session *s, int err)
{
	if (s->cmd.pid > 0) {
		if (!s->cmd.done)
			command__stop(&s->cmd);
		return err ? 1 : command__exit_status(&s->cmd);
	}
	if (err)
		return 1;
	return loop__report_gone(s) ? CPROF_EXIT_TARGET_GONE : 0;
}

/* One line once everything is attached: from here on the profiles cover the run. */
static void announce(const struct session *s)
{
	const struct cprof_opts *o = s->o;
	char list[64] = "";

	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->kinds & KIND_BIT(kinds[i]->id))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "," : "", kinds[i]->name);
	if (o->command)
		log_info("profiling %s (%s)", o->command[0], list);
	else if (o->n_pids)
		log_info("profiling %zu process%s (%s)%s", o->n_pids, o->n_pids > 1 ? "es" : "",
			 list, o->duration > 0 ? "" : ": Ctrl-C to stop");
	else
		log_info("profiling the whole host (%s)%s", list,
			 o->duration > 0 ? "" : ": Ctrl-C to stop");
}

static void start(const struct cprof_opts *o)
{
	log__set_verbose(o->verbose);
	loadlog__install(o->verbose);
}

/* Every distinct file the watched processes map holds a descriptor while they do
 * (object.h), and every BPF map and link one: the soft limit (often 1024) goes up to the
 * hard one. COMMAND runs with the limit we were given. */
static void raise_nofile(struct command *cmd)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	cmd->nofile = rl;
	cmd->nofile_set = true;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_debug("cannot raise the descriptor limit: %s", strerror(errno));
}

int session__run(const struct cprof_opts *o)
{
	struct session s = { .o = o, .kinds = o->kinds, .cmd = COMMAND_INIT };
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	start(o);
	retain__tune_malloc();
	raise_nofile(&s.cmd);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader of stderr that went away (| head) must not cost the profiles. */
	signal(SIGPIPE, SIG_IGN);
	err = setup(&s);
	if (err) {
		if (s.cmd.pid > 0)
			command__kill(&s.cmd);
		goto out;
	}
	s.t0 = clock__secs(CLOCK_MONOTONIC);
	s.wall0 = clock__secs(CLOCK_REALTIME);
	announce(&s);
	if (s.cmd.pid > 0 && (err = command__release(&s.cmd))) {
		log_error("cannot start %s: %s", o->command[0], strerror(-err));
		goto out;
	}
	if (o->top && (err = top__new(&s, &s.top)))
		goto out;
	err = loop__run(&s);
	if (s.srv)
		serve__finish(s.srv);
	s.t1 = clock__secs(CLOCK_MONOTONIC);
	/* Stop sampling, then drain what is already in the ring buffer. */
	detach_bpf(&s);
	ring_buffer__consume(s.rb);
	if (!err && s.top)
		err = top__end(s.top);
	if (!err && o->output_dir)
		err = output__write(&s);
out:
	err = exit_status(&s, err);
	session_free(&s);
	return err;
}

/* --check's line per kind asked for; returns how many are unavailable. */
static int check_lines(const struct session *s)
{
	int missing = 0;

	for (unsigned int i = 0; i < n_kinds; i++) {
		const struct kind_load *kl = &s->loads[i];
		unsigned int bit = KIND_BIT(kinds[i]->id);

		if (!(s->o->kinds & bit))
			continue;
		if (!(s->kinds & bit)) {
			printf("  %-7s unavailable  %s\n", kinds[i]->name, s->why[i]);
			missing++;
			continue;
		}
		printf("  %-7s available    %s; %u program%s, %llu instructions verified, "
		       "%.0f ms\n", kinds[i]->name, kl->mechanism, kl->progs,
		       kl->progs == 1 ? "" : "s", kl->insns, kl->ms);
	}
	return missing;
}

/* --check: every kind's programs loaded (not attached), one line per kind. */
int session__check(const struct cprof_opts *o)
{
	struct session s = { .o = o, .kinds = o->kinds, .cmd = COMMAND_INIT };
	struct utsname u = {};
	int err, missing = 0;

	start(o);
	uname(&u);
	printf("cprof-bpf %s on Linux %s\n", CPROF_VERSION, u.release);
	if ((err = new_env(&s, false)) || (err = require_btf()) || (err = open_bpf(&s)))
		goto out;
	missing = check_lines(&s);
out:
	session_free(&s);
	if (err)
		return 1;
	return missing ? 1 : 0;
}
