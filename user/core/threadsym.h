/* The thread iterator's records (bpf/threads.bpf.c), their frames symbolized with the
 * run's symbolizer and maps, into a snapshot (report/threadsnap.h): `cprof-bpf stacks` and
 * the server's /debug/pprof/goroutine?debug=1. */
#ifndef CPROF_THREADSYM_H
#define CPROF_THREADSYM_H

#include <stddef.h>
#include <stdint.h>

struct kind_env;
struct threadsnap;

/* The records of buf[0..len) into ts, those of process pid only (0: all). Returns 0,
 * -ENOMEM, or -EINVAL for bytes that are no record at *off (the threads before it are
 * added). */
int threadsym__add(const struct kind_env *env, const void *buf, size_t len, uint32_t pid,
		   struct threadsnap *ts, size_t *off);

#endif
