/* The thread iterator (bpf/threads.bpf.c) read whole: shared by `cprof-bpf stacks` and the
 * threads profile (threads.c). */
#ifndef CPROF_THREADS_ITER_H
#define CPROF_THREADS_ITER_H

#include <stddef.h>
#include <stdint.h>

struct bpf_program;

/* One pass of the iterator prog over every thread of the watched processes, appended to
 * *buf (*len bytes of *cap used). Returns 0 or -errno, with *what naming the step that
 * failed ("attach", "create", "read"). */
int threads_iter__read(struct bpf_program *prog, uint8_t **buf, size_t *len, size_t *cap,
		       const char **what);

#endif
