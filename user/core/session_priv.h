/* The session's state, shared by its files: session.c (setup, the kinds' availability, the
 * run and --check), loop.c (records, targets, exec resyncs), output.c (profiles and the
 * summary), serve*.c (the /debug/pprof server). Nothing else includes it. */
#ifndef CPROF_SESSION_PRIV_H
#define CPROF_SESSION_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/command.h"
#include "kinds/kind.h"
#include "report/stacks.h"
#include "util/clock.h"

struct cprof_opts;
struct debuginfod;
struct procobj;
struct ring_buffer;
struct serve;
struct top;
struct unwinder;

#define RESYNC_SLOTS 64

/* What the bounds of a long run released so far, per kind (core/retain.c). */
struct retain_kind {
	int64_t values[8];	/* sample values, as the kind's profile counts them */
	uint64_t stacks, records;
};

/* A process exec'ed a moment ago: its maps are read again at a few delays. */
struct resync {
	int pid;		/* 0: free */
	unsigned int step;	/* next index into the delays */
	double exec_time;	/* monotonic seconds */
};

/* A process given with -p. */
struct target {
	int pid;
	char comm[64];
	bool gone;
	double gone_after;	/* seconds into the run */
};

/* What loading one kind took, for --check. */
struct kind_load {
	const char *mechanism;
	unsigned int progs;
	unsigned long long insns;	/* instructions the verifier processed */
	double ms;
};

struct session {
	const struct cprof_opts *o;
	struct kind_env env;
	unsigned int kinds;	/* being collected: o->kinds less those the kernel refused */
	struct kind *active[KINDS_MAX];	/* by index into kinds[]: loaded, NULL if not */
	char why[KINDS_MAX][320];	/* why a kind asked for is not collected */
	struct kind_load loads[KINDS_MAX];
	struct procobj *po;	/* owns the maps every BPF object shares */
	struct ring_buffer *rb;
	struct unwinder *uw;
	struct command cmd;
	struct target *targets;
	size_t n_targets;
	struct resync resync[RESYNC_SLOTS];	/* processes exec'ed a moment ago */
	bool first_complete;	/* a complete user stack was seen (-v tells when) */
	double t0, wall0;	/* monotonic and wall-clock start, seconds */
	double t1;		/* monotonic end: the profiles' duration is t1 - t0 */
	uint64_t records, bad_records, agg_errors, pre_exec_records;
	uint64_t orphan_records;	/* of a kind dropped mid-run, still in the ring buffer */
	struct serve *srv;	/* --http: the /debug/pprof server; NULL without */
	struct top *top;	/* cprof-bpf top: the live view; NULL without */
	bool gone_said;		/* serving: the watched processes' end was said */
	struct retain_kind evicted[KINDS_MAX];	/* released stacks, by index into kinds[] */
	uint64_t evicted_procs;	/* exited processes released */
	double retained_at;	/* monotonic: the bounds were last applied */
	double trimmed_at;	/* monotonic: freed memory last went back (retain.c) */
	struct debuginfod *dfd;	/* fetches debuginfo; NULL without DEBUGINFOD_URLS */
};

/* SIGINT or SIGTERM received: the run ends. */
extern volatile sig_atomic_t session_stop;

/* loop.c */

/* Checks the -p targets: each a process with a user space. Returns 0 or -errno
 * (reported). */
int loop__check_targets(struct session *s);

/* The ring buffer's callback: one record. */
int loop__record(void *ctx, void *data, size_t size);

/* kind_env.tables_now, for the session's env. */
bool loop__tables_now(struct kind_env *env, int pid, uint64_t image, uint64_t pc);

/* Consumes records until the run ends: -d, a signal, COMMAND's exit, or every target's.
 * Returns 0 or -errno (reported). */
int loop__run(struct session *s);

/* Says which targets exited during the run; returns how many. */
int loop__report_gone(const struct session *s);

/* hostscan.c */

/* A whole-host run: every process running now gets its unwind view, and the tables being
 * built for it are waited for (a few seconds at most), before the programs attach. */
void hostscan__run(struct session *s);

/* Appends to *pids the pid of every process of the host that runs a program (not a kernel
 * thread), but this one's. Returns 0 or -errno. */
int hostscan__pids(int **pids, size_t *n, size_t *cap);

/* output.c */

/* Creates dir (and parents) and proves it writable. Returns 0 or -errno. */
int output__prepare(const char *dir);

/* Writes every collected kind's profile, then the end-of-run summary. Returns 0 or the
 * last error (reported); every kind is written even if one fails. */
int output__write(struct session *s);

/* One kind's aggregates at a moment: the base of a delta profile. */
struct output_mark {
	struct stacks_snap snap;
	uint64_t lost, lost_value;	/* the kind's records lost so far, and their value */
	double mono;			/* monotonic seconds */
	int64_t wall_ns;		/* wall clock */
};

/* Marks kind kind_id's aggregates now (records waiting in the ring buffer first). Returns 0,
 * -ENOENT if the kind is not collected, or -ENOMEM. */
int output__mark(struct session *s, unsigned int kind_id, struct output_mark *m);
void output__mark_free(struct output_mark *m);

/* Which profile output__build makes. */
struct output_req {
	const struct output_mark *base;	/* a delta since base; NULL: cumulative */
	bool stamp_start;	/* a delta's time is its start (Go's CPU profile), else its end */
	uint32_t pid;		/* only this process; 0: all */
	const char *comm;	/* only processes of this name; NULL: all */
	const char *default_type;	/* NULL: pprof's default, the last sample type */
	bool plain;		/* not gzipped: for a reader in this process (the live view) */
	/* Also marks the aggregates this profile is built from, for the next delta: deltas
	 * chained this way neither miss nor repeat a record. NULL: none. Freed by the caller
	 * (output__mark_free) whatever the result. */
	struct output_mark *remark;
};

/* Builds kind kind_id's profile, as of now, into a malloc'ed buffer, gzipped unless
 * rq->plain. Returns 0, -ENOENT if the kind is not collected, or -errno. */
int output__build(struct session *s, unsigned int kind_id, const struct output_req *rq,
		  void **buf, size_t *len);

#endif
