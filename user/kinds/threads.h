/* The thread iterator (bpf/threads.bpf.c) read whole: shared by `cprof-bpf stacks` and the
 * threads profile (threads.c). */
#ifndef CPROF_THREADS_ITER_H
#define CPROF_THREADS_ITER_H

#include <stddef.h>
#include <stdint.h>

struct bpf_program;
struct kind_env;
struct report_kind;
struct stacks;
union thread_rec;

/* One pass of the iterator prog over every thread of the watched processes, appended to
 * *buf (*len bytes of *cap used). Returns 0 or -errno, with *what naming the step that
 * failed ("attach", "create", "read"). */
int threads_iter__read(struct bpf_program *prog, uint8_t **buf, size_t *len, size_t *cap,
		       const char **what);

/* The iterator's records in buf[0..len) added to st as the threads profile's: kind
 * CPROF_KIND_THREADS, value 1 per thread, the state as key, a user-mode leaf moved to its
 * function's entry. rec: room for one record. *n: threads added. Returns 0, -ENOMEM, or
 * -EINVAL for bytes that are no record (the threads before them are added). */
int threads__add(const struct kind_env *env, struct stacks *st, const void *buf, size_t len,
		 union thread_rec *rec, size_t *n);

/* What the threads profile's averages need: the number of snapshots (kept by the caller for
 * as long as the profile is written), and the profile's stacks whose average is rounded up.
 * Zeroed but for snapshots to begin; threads_avg__free after. */
struct threads_avg {
	const uint64_t *snapshots;
	struct threads_rem *rem;	/* the stacks with a fraction: serial, remainder */
	size_t n_rem, cap_rem;
	uint64_t *up;			/* serials rounded up, sorted */
	size_t n_up;
	uint64_t sum, sum_floor;	/* of the written stacks' thread counts, and averages */
};
void threads_avg__free(struct threads_avg *avg);

/* The threads profile's conventions. threads/count, the average threads per stack over the
 * snapshots, is an integer (pprof's values are): the fractions are apportioned by largest
 * remainder, so that the profile's total is its average thread count, rounded, and a stack
 * seen in a third of the snapshots is not 0 when its share of the total says 1. */
void threads__report_kind(struct report_kind *rk, struct threads_avg *avg);

#endif
