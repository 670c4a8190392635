/* CPU samples whose user stack was cut at code the process mapped after its unwind tables
 * were published (the libraries the dynamic loader maps right after exec, a dlopen): BPF
 * sends a copy of the stack where the unwind stopped (struct cprof_stack_copy) just before
 * such a sample (flagged CPROF_SF_STACK_COPY). Once the loop has published the new tables,
 * the same BPF unwinder runs again over the copy (the CPU object's cprof_cpu_replay, through
 * its map unwind_replay_io) and the sample gets the frames it found. */
#ifndef CPROF_STACKCOPY_H
#define CPROF_STACKCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct cprof_replay;
struct cprof_sample;
struct cprof_stack_copy;
struct stackcopy;

struct stackcopy_stats {
	size_t copies;		/* stack copies received, less those dropped */
	size_t dropped;		/* copies of samples whose process exec'ed since */
	size_t finished;	/* samples that got frames from a replay */
	size_t unmatched;	/* flagged samples whose copy was not there, or replays that
				 * failed: they stay cut short */
	size_t again;		/* of those finished: replayed again after more() made a
				 * deeper frame's object ready */
};

/* prog_fd: the replay program; io_fd: its array map of one struct cprof_replay. NULL on
 * ENOMEM. */
struct stackcopy *stackcopy__new(int prog_fd, int io_fd);
void stackcopy__free(struct stackcopy *sc);

/* Keeps a copy (whole: its size was checked) until its sample comes. */
void stackcopy__keep(struct stackcopy *sc, const struct cprof_stack_copy *c);

/* How many more replays one sample gets (see stackcopy__finish). */
#define STACKCOPY_MORE_TRIES 4

/* Makes ready what the view of r's copy c lacks at pc, the return address a replay stopped
 * at: returns whether a replay may now get further. */
typedef bool (*stackcopy_more_fn)(void *ctx, const struct cprof_sample *r,
				  const struct cprof_stack_copy *c, __u64 pc);

/* r itself, or, for a sample flagged CPROF_SF_STACK_COPY whose copy was kept, r with the
 * frames a replay over the copy found through the tables published now (valid until the
 * next call). A replay that stops at a deeper frame for want of a mapping or tables calls
 * more (if not NULL) for that frame's pc and runs again, while it gets further, up to
 * STACKCOPY_MORE_TRIES times. r's sizes were checked. */
const struct cprof_sample *stackcopy__finish(struct stackcopy *sc, const struct cprof_sample *r,
					     stackcopy_more_fn more, void *ctx);

/* Into out (CPROF_SAMPLE_MAX_SIZE bytes): r with its user frames from the copy's frame on
 * replaced by the replay's (io, over c), and the replay's ending (and, from frame 0, its
 * frame-pointer flag alone). false, out untouched, when
 * the replay found nothing more than r has or its counts are out of bounds. */
bool stackcopy__merge(const struct cprof_sample *r, const struct cprof_stack_copy *c,
		      const struct cprof_replay *io, struct cprof_sample *out);

/* The process whose view a replay of r's copy goes through (its cprof_stack_copy.view_pid);
 * 0 when no copy is kept for r. */
unsigned int stackcopy__view(const struct stackcopy *sc, const struct cprof_sample *r);

/* Drops r's copy (r flagged CPROF_SF_STACK_COPY): the process whose view a replay goes
 * through shows another image than r now (it exec'ed since r was taken). r keeps the
 * frames it has. */
void stackcopy__drop(struct stackcopy *sc, const struct cprof_sample *r);

void stackcopy__stats(const struct stackcopy *sc, struct stackcopy_stats *out);

/* For tests: replays are run by run (io->copy set, io->n 0; it fills io and returns 0 or
 * -errno) instead of the BPF program. */
typedef int (*stackcopy_run_fn)(void *ctx, struct cprof_replay *io);
void stackcopy__set_run(struct stackcopy *sc, stackcopy_run_fn run, void *ctx);

#endif
