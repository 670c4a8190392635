/* Unwind tables built on a thread of their own, so that the event loop never waits for a
 * large one (libLLVM's takes 40 ms from the cache on an idle machine, ten times that on a
 * busy one, while every other process's exec waits behind it). Jobs go in, tables come
 * out in the order they are done; publishing them stays with the caller's thread. */
#ifndef CPROF_BUILDQ_H
#define CPROF_BUILDQ_H

#include <stdbool.h>
#include <stddef.h>

struct cfi_table;
struct buildq;

/* Builds the table of job, on the queue's thread: what it reads must not change meanwhile.
 * Returns 0 with *t set, or -errno. */
typedef int (*buildq_fn)(void *ctx, void *job, struct cfi_table **t);

struct buildq *buildq__new(buildq_fn fn, void *ctx);
/* Waits for the job in progress (there is no cancelling a table build), drops the others
 * and frees q; NULL is fine. */
void buildq__free(struct buildq *q);

/* Queues job; the thread starts with the first. Returns 0 or -errno. */
int buildq__push(struct buildq *q, void *job);

/* A job done: true and its outcome (the table, or err) and the seconds it took; false when
 * none is done yet. The table is the caller's. */
bool buildq__pop(struct buildq *q, void **job, struct cfi_table **t, int *err, double *secs);

/* job is needed now: if the thread has not started it, it is taken out of the queue and
 * true returned (the caller builds it itself); otherwise false, once the thread is done
 * with it (buildq__pop has its outcome, or had it). Either way it is built once. */
bool buildq__take(struct buildq *q, void *job);

/* Jobs queued or in progress, or done and not popped. */
size_t buildq__count(struct buildq *q);

#endif
