/* `cprof-bpf top`: the live view of a run. With a terminal on stdin and stdout and no -d, a
 * screen refreshed every --interval from the run's own loop (its keys a descriptor in the
 * loop's epoll set, its refreshes the loop's timeout): per function, the share and time of
 * the last interval and since the start, of the CPU or the off-CPU (block) profile, built
 * mid-run with output__build and read with pmodel/ptext, so its figures are report --top's.
 * Otherwise the run goes on as usual and ends with one table on stdout. */
#ifndef CPROF_TOP_H
#define CPROF_TOP_H

#include <stdbool.h>

struct session;
struct top;

/* Starts the view of session s, whose kinds are attached and whose clock has started.
 * Returns 0 or -errno (reported). */
int top__new(struct session *s, struct top **out);

/* The descriptor with keys to read, -1 without a screen (and for NULL). */
int top__fd(const struct top *t);
/* Milliseconds the loop may wait before top__run is due, at most max_ms. */
int top__timeout_ms(const struct top *t, int max_ms);
/* Reads the keys waiting, refreshes when the interval is over. */
void top__run(struct top *t);
/* The monotonic start (seconds) of the interval being collected; 0 without a screen. */
double top__oldest_window(const struct top *t);
/* Whether q ended the view. */
bool top__quit(const struct top *t);

/* The run is over (BPF detached, the ring buffer drained): restores the terminal and says
 * in one line what was seen, or, without a screen, prints the table since the start on
 * stdout. Returns 0 or -errno (reported). */
int top__end(struct top *t);
/* Restores the terminal if top__end did not. Accepts NULL. */
void top__free(struct top *t);

#endif
