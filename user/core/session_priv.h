/* The session's state, shared by its files: session.c (setup, the kinds' availability, the
 * run and --check), loop.c (records, targets, exec resyncs), output.c (profiles and the
 * summary). Nothing else includes it. */
#ifndef CPROF_SESSION_PRIV_H
#define CPROF_SESSION_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/command.h"
#include "kinds/kind.h"
#include "util/clock.h"

struct cprof_opts;
struct procobj;
struct ring_buffer;
struct unwinder;

#define RESYNC_SLOTS 64

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
};

/* SIGINT or SIGTERM received: the run ends. */
extern volatile sig_atomic_t session_stop;

/* loop.c */

/* Checks the -p targets: each a process with a user space. Returns 0 or -errno
 * (reported). */
int loop__check_targets(struct session *s);

/* The ring buffer's callback: one record. */
int loop__record(void *ctx, void *data, size_t size);

/* Consumes records until the run ends: -d, a signal, COMMAND's exit, or every target's.
 * Returns 0 or -errno (reported). */
int loop__run(struct session *s);

/* Says which targets exited during the run; returns how many. */
int loop__report_gone(const struct session *s);

/* output.c */

/* Creates dir (and parents) and proves it writable. Returns 0 or -errno. */
int output__prepare(const char *dir);

/* Writes every collected kind's profile, then the end-of-run summary. Returns 0 or the
 * last error (reported); every kind is written even if one fails. */
int output__write(struct session *s);

#endif
