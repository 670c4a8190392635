/* The cgroup labels of a run's processes: each process's cgroup v2 path, read from
 * /proc/PID/cgroup, and each distinct path made into one label kept for the whole run
 * (stacks point at the labels of processes long gone), up to a bound on distinct paths. */
#ifndef CPROF_CGLABELS_H
#define CPROF_CGLABELS_H

#include "proc/cgroup.h"

struct cglabels;

struct cglabels *cglabels__new(void);
void cglabels__free(struct cglabels *cl);

/* The label of pid's cgroup as it is now, valid until cglabels__free; NULL when it has
 * none (no cgroup v2 path, the process is gone, too many distinct paths, ENOMEM). */
const struct cgroup_label *cglabels__read(struct cglabels *cl, int pid);

#endif
