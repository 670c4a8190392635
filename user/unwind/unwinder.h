/* Publishes unwind tables to the BPF unwinder: each object's CFI rows (built once per
 * build-id, cached on disk) go into shared BPF arrays, and each process's
 * executable mappings into its entry of the proc_maps hash. */
#ifndef CPROF_UNWINDER_H
#define CPROF_UNWINDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/unwinder_types.h"

struct debuginfod;
struct object;
struct procmaps;
struct unwinder;

struct unwinder *unwinder__new(const struct unwinder_opts *o);
void unwinder__free(struct unwinder *u);

/* Makes pm the unwind view of pid, building tables for objects seen the first time (the
 * largest on a thread of their own: their mappings' frames stop as "not ready" until
 * unwinder__poll publishes them). Cheap when pm is the view already published. Returns 0
 * or -errno. */
int unwinder__sync(struct unwinder *u, int pid, const struct procmaps *pm);

/* Publishes the tables built since the last call and the views that waited for them.
 * Returns how many tables. */
int unwinder__poll(struct unwinder *u);

/* A sample needs the table of the object mapped at pc in pm (its stack was copied where it
 * stopped, for the kind to finish it): if that table went to the build queue only for
 * want of time (not for its size), it is built now, and the views waiting for it are
 * published again. Returns 1 if it was, else 0. */
int unwinder__urgent(struct unwinder *u, const struct procmaps *pm, uint64_t pc);

/* How many tables are queued, being built, or built and not yet published. */
size_t unwinder__pending(struct unwinder *u);
/* ms, or less while tables are being built: how long the loop may wait before it polls. */
int unwinder__timeout_ms(struct unwinder *u, int ms);

/* The process exec'ed: the view published for it described the image it replaced (the
 * exec program has put its own there since); the next sync publishes anew. */
void unwinder__exec(struct unwinder *u, int pid);

/* The process exited: drop its view. */
void unwinder__forget(struct unwinder *u, int pid);

/* The objcache is releasing obj (objcache__sweep): no view shows it any more. Its table's
 * rows and pages go back to the shared arrays, the exec program forgets it, and its number
 * may be given to another object. Returns 0, or -EBUSY while its table is being built
 * (ask again later). */
int unwinder__drop(struct unwinder *u, const struct object *obj);

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *s);

#endif
