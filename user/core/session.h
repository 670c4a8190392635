/* One profiling run: checks, opens and loads the BPF objects, attaches the kinds asked for,
 * starts COMMAND, consumes records until the run ends, writes the profiles and the
 * summary. The only module that knows which kinds are attached. */
#ifndef CPROF_SESSION_H
#define CPROF_SESSION_H

struct cprof_opts;

/* Exit codes beyond 0/1/2: a watched pid exited before the run's end (profiles written). */
#define CPROF_EXIT_TARGET_GONE 3

/* Runs the session. Returns the process exit status: 0, 1 on errors (already reported on
 * stderr in one line), CPROF_EXIT_TARGET_GONE, or COMMAND's own status. */
int session__run(const struct cprof_opts *o);

/* --check: loads every kind's BPF programs without attaching them and prints one line per
 * kind: available with its mechanism, verifier instructions and load time, or why not.
 * Returns 0 when every kind is available, else 1. */
int session__check(const struct cprof_opts *o);

#endif
