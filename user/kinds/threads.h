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

/* The threads profile's conventions, its values averaged over *snapshots (kept by the
 * caller for as long as rk is used). */
void threads__report_kind(struct report_kind *rk, const uint64_t *snapshots);

#endif
