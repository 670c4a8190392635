/* The processes being profiled, by pid: each one's maps (struct procmaps), loaded at first
 * sight and reloaded on exec or on an address outside every executable mapping (at most once
 * per 20 ms per pid), each snapshot labelled with the image it shows (what one exec loaded,
 * named as records name it: cprof_sample.image). A process's snapshots stay valid while it
 * lives and after it exits, until proctab__reap releases them: stacks point into them. */
#ifndef CPROF_PROCTAB_H
#define CPROF_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc/procmaps.h"

struct cgroup_label;
struct cprof_exec_info;
struct cprof_exec_vma;
struct objcache;
struct proctab;

/* A process that exited, with the maps it had, oldest exit first. */
struct proctab_exited {
	int pid;
	uint32_t gen;
	uint64_t exit_ns;	/* CLOCK_MONOTONIC */
	const struct procmaps *cur;	/* its last maps */
	struct procmaps **snaps;	/* those its stacks point into (some shared) */
	size_t n_snaps;
};

struct proctab *proctab__new(struct objcache *oc);
void proctab__free(struct proctab *pt);

/* The maps of pid, loading them on first sight. NULL if they cannot be read (process gone
 * before we saw it): errno set. */
const struct procmaps *proctab__get(struct proctab *pt, int pid);

/* The last maps of process (pid, gen) — alive, or exited and not yet reaped — without
 * loading anything: for what is resolved after the process is gone (a lock's data symbol
 * in the final profile). NULL if there are none. */
const struct procmaps *proctab__maps_of(const struct proctab *pt, int pid, uint32_t gen);

/* The executable mapping containing addr of pid's process as it was in image (the
 * record's; 0: whatever it is now), from the snapshot of that image (see the .c file for
 * where one is found); reloads the maps (rate-limited) when addr is outside every mapping
 * known of the current image. NULL if none. */
const struct procmaps_entry *proctab__find(struct proctab *pt, int pid, uint64_t image,
					   uint64_t addr);

/* The same for an address the kernel saw mapped in pid (BPF found its area): reloads the
 * maps at once when they lack it, however recent they are. */
const struct procmaps_entry *proctab__find_mapped(struct proctab *pt, int pid, uint64_t image,
						  uint64_t addr);

/* A record of pid's showing image came: when pid's process has exited and never showed
 * that image while it showed others, the record is another process's that took the pid
 * (at once, within the second an exited process's maps stay current) and the one gone is
 * retired now, so that the new one gets its own maps, cgroup and generation. */
void proctab__record(struct proctab *pt, int pid, uint64_t image);

/* The process exec'ed to image (xi: what the exec record says of it; NULL if nothing): its
 * maps are read again at once, and the first address missing from those (a library the
 * loader mapped since) reloads them again without waiting. If they cannot be read (the
 * process is gone already), the mappings xi describes stand for the image's. */
void proctab__exec(struct proctab *pt, int pid, uint64_t image,
		   const struct cprof_exec_info *xi);

/* The kernel saw addr of pid's process in the executable area v (untrusted: a BPF program's
 * reading, sent with a stack copy) while the maps known lack it: when they cannot be read
 * again (the process is gone, within milliseconds of its exec), v joins the current
 * snapshot if an object already open maps that file (the libraries the dynamic loader
 * mapped after the exec record). */
void proctab__mapped(struct proctab *pt, int pid, uint64_t addr, const struct cprof_exec_vma *v);

/* The process's maps may have changed: its next lookup reloads them (and a miss after that,
 * as after an exec, reloads them at once). */
void proctab__invalidate(struct proctab *pt, int pid);

/* The image pid's process showed when its maps were last read (cprof_sample.image); 0 if
 * not known. Loads nothing. */
uint64_t proctab__image(const struct proctab *pt, int pid);

/* Which process pid is now: unique per process over the whole run, so a process that reuses
 * an exited one's pid is told apart from it. 0 when out of memory. */
uint32_t proctab__gen(struct proctab *pt, int pid);

/* The cgroup of pid's process, read at its first sight (here, or when its maps are first
 * loaded) and kept for its life; NULL if it has none (no cgroup v2 path, or the process was
 * gone first). Valid until proctab__free, after the process's exit and reaping too. */
const struct cgroup_label *proctab__cgroup(struct proctab *pt, int pid);

/* pid's process exited. Its maps stay current for a second (the records of its last moments
 * are still on their way), then move to the exited list; before that if another process
 * takes the pid (proctab__record, proctab__exec). */
void proctab__exit(struct proctab *pt, int pid);

/* Whether pid's process has exited (its exit was read, or a sweep found it gone) within the
 * second its maps stay current; past that second a process with this pid is a new one. */
bool proctab__exited_recently(const struct proctab *pt, int pid);

/* Moves processes that exited over a second ago to the exited list; every few seconds also
 * finds those whose exit event was lost. Returns the list's length. */
size_t proctab__retire(struct proctab *pt);

/* The exited list, oldest first; valid until the next retire or reap. */
const struct proctab_exited *proctab__exited(const struct proctab *pt, size_t *n);

/* Frees the maps of the n oldest exited processes: nothing may point into them any more. */
void proctab__reap(struct proctab *pt, size_t n);

#endif
