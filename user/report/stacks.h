/* Aggregation of samples: identical (kind, process, thread name, per-kind key fields, stack,
 * stop reason) records are summed.
 * Each distinct stack's user frames are resolved to their mappings when first seen, so a
 * later exec, dlclose or exit of the process does not change what they mean. */
#ifndef CPROF_STACKS_H
#define CPROF_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cprof.h"

struct cgroup_label;
struct proctab;
struct procmaps_entry;

/* Flags of a stack that are not the record's (above every CPROF_SF_*). */
#define STACK_OVERFLOW	(1u << 31)	/* records of stacks past the table's limit, without
					 * their frames: one per kind */

struct stack {
	uint64_t serial;	/* 1, 2, ...: names it across evictions (a snapshot's key) */
	uint64_t hash;		/* of its key, for re-indexing after an eviction */
	uint32_t kind;
	uint32_t pid;
	uint32_t gen;		/* which process had pid (proctab__gen) */
	uint64_t image;		/* which of its images the user frames are of (the record's) */
	uint32_t flags;		/* CPROF_SF_* of the first record; the stop reason,
				 * CPROF_SF_PC_EXACT and CPROF_SF_FP_FALLBACK are the same in all */
	uint16_t n_user, n_kernel;
	char comm[CPROF_COMM_LEN];
	char thread[CPROF_COMM_LEN];
	uint64_t addr, aux;	/* the record's per-kind key fields (block: state, waker) */
	char aux_comm[CPROF_COMM_LEN];
	/* The process's cgroup (owned by the proctab, kept for the whole run); NULL: none.
	 * Not part of the key: it is read once per process, and the key has the process. */
	const struct cgroup_label *cgroup;
	uint64_t count;		/* records aggregated */
	uint64_t value[2];	/* summed record values */
	uint64_t *frames;	/* n_kernel kernel frames, then n_user user frames, leaf first */
	const struct procmaps_entry **maps;	/* per user frame; NULL if unmapped */
};

struct stacks;

struct stacks *stacks__new(struct proctab *pt);
void stacks__free(struct stacks *st);

/* Adds one record. Returns 0 or -ENOMEM. */
int stacks__add(struct stacks *st, const struct cprof_sample *rec);

/* Adds one record like stacks__add and returns its stack's serial in *serial. */
int stacks__add_index(struct stacks *st, const struct cprof_sample *rec, uint64_t *serial);

/* Adds to the values of the stack serial (not to its record count): later events about
 * records already aggregated, such as the free of a sampled allocation. Nothing if that
 * stack was evicted. */
void stacks__add_values(struct stacks *st, uint64_t serial, uint64_t v0, uint64_t v1);

/* At most max distinct stacks (0: no limit): past it, a record whose stack is new is added,
 * without its frames, to its kind's STACK_OVERFLOW stack. */
void stacks__set_limit(struct stacks *st, size_t max);

/* Records added to an overflow stack so far. */
uint64_t stacks__overflowed(const struct stacks *st);

/* Removes the stacks for which pick returns true (their values are the caller's to keep),
 * keeping the others in order. Returns how many were removed. */
size_t stacks__evict(struct stacks *st, bool (*pick)(void *ctx, const struct stack *s),
		     void *ctx);

/* Resolves user frames that had no mapping when their stack was first seen (a library the
 * loader mapped a moment later) against the maps as known now. Call before reporting. */
void stacks__resolve_unmapped(struct stacks *st);

size_t stacks__count(const struct stacks *st);

/* The record counts and values of every stack at one moment, to subtract from a later
 * moment's (a delta profile). Entries are in serial order, as the stacks are. */
struct stacks_snap {
	size_t n;
	struct stacks_snap_entry {
		uint64_t serial;
		uint64_t count;
		uint64_t value[2];
	} *v;
};

/* Fills snap (freed with stacks__snap_free). Returns 0 or -ENOMEM. */
int stacks__snapshot(const struct stacks *st, struct stacks_snap *snap);
void stacks__snap_free(struct stacks_snap *snap);
/* Distinct stacks in insertion (serial) order; valid until the next add or evict. */
const struct stack *stacks__get(const struct stacks *st, size_t i);

#endif
