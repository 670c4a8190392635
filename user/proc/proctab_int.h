/* Inside the process table: proctab.c (maps over a process's life) and proctab_exit.c (its
 * end: exit, a pid taken by another process, the exited list). */
#ifndef CPROF_PROCTAB_INT_H
#define CPROF_PROCTAB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/procmaps.h"
#include "util/hashmap.h"

struct cgroup_label;
struct cglabels;
struct objcache;

/* Records of a process's last moments arrive after its exit event: its maps stay current
 * this long after it. */
#define EXIT_GRACE_NS 1000000000ull
/* How often live processes are checked for an exit whose event was lost. */
#define SWEEP_INTERVAL_NS 10000000000ull

struct proc {
	int pid;
	int ppid;		/* its parent, whose image it shows until it execs; 0: unknown */
	uint32_t gen;
	bool stale;		/* exec'ed since the last load */
	bool exec;		/* exec'ed since the last load (the next one is "at exec") */
	bool at_exec;		/* the last load was the one right after exec */
	int err;		/* why the last load failed (cur == NULL) */
	uint64_t loaded_ns;	/* CLOCK_MONOTONIC of the last load attempt */
	uint64_t exit_ns;	/* when it exited; 0 while it lives */
	struct procmaps *cur;
	struct procmaps **snaps;	/* every snapshot of this process, cur among them */
	size_t n_snaps, cap_snaps;
	bool cgroup_read;	/* /proc/PID/cgroup was read (or tried) */
	const struct cgroup_label *cgroup;	/* in proctab's cgroups; NULL: none */
};

struct proctab {
	struct objcache *oc;
	struct hashmap procs;	/* of struct proc, by pid */
	uint32_t next_gen;
	uint64_t swept_ns;
	struct proctab_exited *exited;	/* oldest first */
	size_t n_exited, cap_exited;
	/* The processes' cgroup labels, freed with the table: the stacks of a process point
	 * at its label after it is gone. */
	struct cglabels *cgroups;
	uint64_t root_ino;	/* our root directory: a gone process's paths are ours */
	uint32_t root_dev;	/* when its root was this one (dev_t as the kernel's) */
	/* Of struct image_ent, by image: the process with a snapshot of each image (the last
	 * one read), for the records of a child taken before its exec, which show its
	 * parent's image, when the child is not known (gone before it could be read). */
	struct hashmap images;
};

struct image_ent {
	uint64_t image;
	int pid;
};

static inline bool proc_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return ((const struct proc *)entry)->pid == *(const int *)key;
}

static inline struct proc *proc_find(const struct proctab *pt, int pid)
{
	return hashmap__find(&pt->procs, hash__u64((uint32_t)pid), &pid, proc_eq, NULL);
}


/* Frees n snapshots and their array. */
void proctab_free_snaps(struct procmaps **snaps, size_t n);

/* Drops the image index's entries that name p: it is leaving the table. */
void proctab_unlabel(struct proctab *pt, const struct proc *p);

/* Moves p's snapshots to the exited list and forgets the pid. Returns 0 or -ENOMEM (p then
 * stays as it is). */
int proctab_retire_proc(struct proctab *pt, struct proc *p);

#endif
