/* The bookkeeping of debuginfo fetches by build id, without threads, clocks or network
 * (debuginfod.c drives it under its lock, with monotonic seconds): each build id is asked
 * for once and its outcome remembered for the run; fetches run one at a time in the order
 * asked; each has a budget of seconds counted from when it was first asked for, and every
 * budget can be capped at one moment (the end of the run, a request's limit). */
#ifndef CPROF_FETCHQ_H
#define CPROF_FETCHQ_H

#include <stdbool.h>
#include <stddef.h>

#include "util/hashmap.h"

enum fetch_state {
	FETCH_QUEUED,		/* asked for, not begun */
	FETCH_RUNNING,
	FETCH_FOUND,		/* path is the fetched file */
	FETCH_MISSING,		/* no server has it, or the fetch failed (err) */
	FETCH_TIMED_OUT,	/* its budget ran out, while fetching or before it began */
};

struct fetch {
	char build_id[41];
	enum fetch_state state;
	bool begun;		/* a fetch was started (a timed-out one may not have been) */
	int err;		/* MISSING: -errno */
	double t_asked, t_begun, t_ended;
	char *what;		/* the object, for messages */
	char *path;		/* FOUND: the file */
};

struct fetchq {
	struct fetch **all;	/* in the order asked */
	size_t n, cap;
	size_t next;		/* all[next..n) may hold QUEUED fetches; none before */
	size_t queued;
	size_t max_queued, max_all;
	struct hashmap ids;	/* struct fetch * by build id */
	double budget;		/* seconds */
	double cap_at;		/* no deadline later than this; INFINITY when none */
	size_t timed_out;
};

void fetchq__init(struct fetchq *q, double budget, size_t max_queued, size_t max_all);
void fetchq__free(struct fetchq *q);

/* The fetch of build_id (lowercase hex), queued at now (what names the object in messages)
 * when it was never asked for. Returns it, or NULL with errno ENOSPC (the queue or the
 * run's bound is full: not remembered, may be asked again) or ENOMEM. */
struct fetch *fetchq__ask(struct fetchq *q, const char *build_id, const char *what,
			  double now);
struct fetch *fetchq__find(const struct fetchq *q, const char *build_id);

/* When f's budget ends: asked + budget, capped. */
double fetchq__deadline(const struct fetchq *q, const struct fetch *f);

/* No deadline goes past at (an earlier cap stays). */
void fetchq__cap(struct fetchq *q, double at);
/* Lifts the cap (a request's limit, once the request is served). */
void fetchq__uncap(struct fetchq *q);

/* The next fetch whose state changes at now, in the order asked: one whose budget ran out
 * while queued is returned TIMED_OUT (say so, then ask again); else the next one, now
 * RUNNING (fetch it). NULL when nothing is queued. */
struct fetch *fetchq__next(struct fetchq *q, double now);

/* The running fetch f ended at now: found at path (taken, malloc'ed) when err is 0; else
 * timed out when timed_out, or missing with err. */
void fetchq__done(struct fetchq *q, struct fetch *f, int err, bool timed_out, char *path,
		  double now);

static inline bool fetchq__final(const struct fetch *f)
{
	return f->state != FETCH_QUEUED && f->state != FETCH_RUNNING;
}

#endif
