/* What a long run keeps: the stacks of processes that exited, and their maps, are released
 * once there are too many of them (their values folded into each kind's [evicted] sample),
 * so a server watching a host for weeks holds a bounded amount of memory. */
#ifndef CPROF_RETAIN_H
#define CPROF_RETAIN_H

#include <stddef.h>
#include <stdint.h>

struct session;

/* Bounds, from the options. */
struct retain_opts {
	unsigned int max_stacks;	/* --max-stacks: distinct stacks kept (0: no limit) */
	unsigned int max_exited;	/* --max-exited: exited processes whose stacks are kept */
};

/* What was released so far, per kind (by index into kinds[]). */
struct retain_kind {
	int64_t values[8];	/* sample values, as the kind's profile counts them */
	uint64_t stacks, records;
};

/* Applies the bounds: called from the loop; does its work at most once a second. The
 * stacks of a process are kept while a window (a delta being measured) that began before
 * its exit is open: oldest_window is the monotonic start of the oldest such window in
 * seconds, or 0 when none is open. */
void retain__run(struct session *s, double oldest_window);

#endif
