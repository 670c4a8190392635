/* The unwinder's state, shared by unwinder.c (views, building) and unwinder_arrays.c (the
 * shared arrays: tables in, tables out). */
#ifndef CPROF_UNWINDER_INT_H
#define CPROF_UNWINDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cprof.h"
#include "unwind/unwinder_types.h"
#include "util/extents.h"

struct buildq;
struct cfi_table;
struct idmap;
struct object;
struct procmaps;

/* Where an object's table sits in the shared arrays. */
struct obj_table {
	uint32_t row_start, n_rows;
	uint32_t page_start, n_pages;
	uint64_t base;
	bool usable;
	bool pending;		/* being built on the queue's thread */
};

/* A process whose view has objects still being built: published again when they are. */
struct waiting {
	int pid;
	struct procmaps *pm;	/* a reference of our own (procmaps__ref) */
};

struct unwinder {
	struct unwinder_opts o;
	struct obj_table *tabs;		/* by object number */
	size_t n_tabs, cap_tabs;
	uint32_t *free_nums;		/* numbers of objects dropped, to be given out again */
	size_t n_free_nums, cap_free_nums;
	struct extents rows, pages;	/* of the shared arrays */
	struct idmap *objs;		/* (object pointer, 0) → object number */
	struct idmap *procs;		/* (pid, 0) → procmaps pointer published */
	struct cprof_proc_maps *view;	/* scratch for one process's view */
	uint32_t gen;			/* of the last view published */
	struct buildq *bq;
	struct waiting *waiting;
	size_t n_waiting, cap_waiting;
	struct unwinder_stats st;
	struct {			/* the disk cache's files (atomics: the build queue's
					 * thread counts too) */
		size_t loaded, rebuilt, ignored, stored;
	} cache;
};

/* Publishes the table built for object number num (t, or why there is none: err), counts
 * it, and registers it for the exec program. Takes t. */
void unwinder_table_done(struct unwinder *u, struct object *obj, uint32_t num,
			 struct cfi_table *t, int err, double secs);

#endif
