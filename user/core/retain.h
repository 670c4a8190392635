/* What a long run keeps: the stacks of processes that exited, and their maps, are released
 * once there are too many of them (their values folded into each kind's [evicted] sample),
 * so a server watching a host for weeks holds a bounded amount of memory. */
#ifndef CPROF_RETAIN_H
#define CPROF_RETAIN_H

struct session;

/* Applies the bounds (struct retain_opts, options.h): called from the loop; does its work
 * at most once a second. The stacks of a process are kept while a window (a delta being
 * measured) that began before its exit is open: oldest_window is the monotonic start of
 * the oldest such window in seconds, or 0 when none is open. */
void retain__run(struct session *s, double oldest_window);

/* Fixes malloc's thresholds for a long run, before the first allocation that matters. */
void retain__tune_malloc(void);

#endif
