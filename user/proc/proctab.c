// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The processes' maps over their lives: loaded at first sight, reloaded when they change,
 * kept after the exit for the stacks that point into them, and released when those stacks
 * are gone (a long run sees many processes come and go: memory must not grow with them). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/cgroup.h"
#include "proc/mapsfile.h"
#include "proc/proctab.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/log.h"
#include "util/readfile.h"
#include "util/vec.h"

/* At most one reload per pid per 20 ms: right after exec the dynamic loader maps libraries
 * within milliseconds, and samples there must not wait long for them. */
#define RELOAD_INTERVAL_NS 20000000ull
/* Records of a process's last moments arrive after its exit event: its maps stay current
 * this long after it. */
#define EXIT_GRACE_NS 1000000000ull
/* How often live processes are checked for an exit whose event was lost. */
#define SWEEP_INTERVAL_NS 10000000000ull
/* Distinct cgroup paths kept for labels, for the whole run: a host that churns through
 * containers must not grow memory without bound. Processes in further ones go unlabelled. */
#define CGROUP_PATHS_MAX 4096
/* /proc/PID/cgroup: a line per hierarchy (a dozen on a hybrid host), paths ≤ PATH_MAX. */
#define CGROUP_FILE_MAX (128u << 10)

struct proc {
	int pid;
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
	/* Of struct cgroup_label *, by path: one per distinct path, freed with the table, so
	 * the stacks of a process pointing at its label outlive the process. */
	struct hashmap cgroups;
	bool cgroups_full;	/* CGROUP_PATHS_MAX was reached (said once) */
};

struct proctab *proctab__new(struct objcache *oc)
{
	struct proctab *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->oc = oc;
	pt->procs = (struct hashmap)HASHMAP_INIT(struct proc);
	pt->cgroups = (struct hashmap)HASHMAP_INIT(struct cgroup_label *);
	pt->swept_ns = clock__ns(CLOCK_MONOTONIC);
	return pt;
}

static void free_snaps(struct procmaps **snaps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		procmaps__free(snaps[i]);
	free(snaps);
}

void proctab__free(struct proctab *pt)
{
	struct cgroup_label **l;
	struct proc *p;
	size_t it = 0;

	if (!pt)
		return;
	while ((p = hashmap__next(&pt->procs, &it)))
		free_snaps(p->snaps, p->n_snaps);
	proctab__reap(pt, pt->n_exited);
	free(pt->exited);
	hashmap__free(&pt->procs);
	it = 0;
	while ((l = hashmap__next(&pt->cgroups, &it)))
		free(*l);
	hashmap__free(&pt->cgroups);
	free(pt);
}

static bool proc_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return ((const struct proc *)entry)->pid == *(const int *)key;
}

static struct proc *proc_find(const struct proctab *pt, int pid)
{
	return hashmap__find(&pt->procs, hash__u64((uint32_t)pid), &pid, proc_eq, NULL);
}

/* The entry of pid, created stale on first sight. NULL on ENOMEM. */
static struct proc *proc_slot(struct proctab *pt, int pid)
{
	struct proc *p;
	bool added;

	p = hashmap__insert(&pt->procs, hash__u64((uint32_t)pid), &pid, proc_eq, NULL, &added);
	if (p && added)
		*p = (struct proc){ .pid = pid, .gen = ++pt->next_gen, .stale = true };
	return p;
}

/* Loads the maps of p again. The previous snapshot stays current when the load fails (the
 * process may be gone: its last maps are still the best answer) and when the text did not
 * change (no new snapshot for a pid that keeps missing on garbage addresses). */
static int proc_reload(struct proctab *pt, struct proc *p)
{
	struct procmaps *pm = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	p->loaded_ns = clock__ns(CLOCK_MONOTONIC);
	p->at_exec = p->exec;
	p->exec = false;
	p->stale = false;
	err = mapsfile__read(p->pid, &text, &len);
	if (err)
		goto out;
	/* An exiting process has released its address space and reads as empty; the records
	 * of its last moments still need the maps it had. */
	if (p->cur && (!len || procmaps__same_text(p->cur, text, len)))
		goto out;
	err = -ENOMEM;
	pm = procmaps__parse(text, len);
	if (!pm || VEC_PUSH(p->snaps, p->n_snaps, p->cap_snaps, pm))
		goto out;
	procmaps__attach_objects(pm, p->pid, pt->oc);
	p->cur = pm;
	pm = NULL;
	err = 0;
out:
	procmaps__free(pm);
	free(text);
	if (err)
		p->err = -err;
	return err;
}

/* Moves p's snapshots to the exited list and forgets the pid. Returns 0 or -ENOMEM (p then
 * stays as it is). */
static int retire(struct proctab *pt, struct proc *p)
{
	struct proctab_exited e = {
		.pid = p->pid,
		.gen = p->gen,
		.exit_ns = p->exit_ns,
		.snaps = p->snaps,
		.n_snaps = p->n_snaps,
	};

	if (VEC_PUSH(pt->exited, pt->n_exited, pt->cap_exited, e))
		return -ENOMEM;
	hashmap__remove(&pt->procs, p);
	return 0;
}

/* The slot of the process that has pid now, created on first sight. NULL on ENOMEM. */
static struct proc *proc_current(struct proctab *pt, int pid)
{
	struct proc *p = proc_find(pt, pid);

	/* A pid seen again well after its process exited is another process. */
	if (p && p->exit_ns && clock__ns(CLOCK_MONOTONIC) - p->exit_ns > EXIT_GRACE_NS &&
	    !retire(pt, p))
		p = NULL;
	return p ? p : proc_slot(pt, pid);
}

static bool label_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return !strcmp((*(struct cgroup_label *const *)entry)->path, key);
}

/* The label of path (len bytes), made on its first use. NULL on ENOMEM or once
 * CGROUP_PATHS_MAX paths are known. */
static const struct cgroup_label *intern(struct proctab *pt, const char *path, size_t len)
{
	uint64_t h = hash__bytes(path, len);
	struct cgroup_label **ent, *l;
	char id[CGROUP_ID_LEN + 1];
	char *text;
	bool has_id, added;

	ent = hashmap__find(&pt->cgroups, h, path, label_eq, NULL);
	if (ent)
		return *ent;
	if (hashmap__count(&pt->cgroups) >= CGROUP_PATHS_MAX) {
		if (!pt->cgroups_full)
			log_warn("more than %d distinct cgroups: samples of processes in "
				 "further ones have no cgroup label", CGROUP_PATHS_MAX);
		pt->cgroups_full = true;
		return NULL;
	}
	has_id = cgroup__container_id(path, id);
	/* One block: the label, then its path, then its id. */
	l = malloc(sizeof(*l) + len + 1 + (has_id ? sizeof(id) : 0));
	if (!l)
		return NULL;
	text = (char *)(l + 1);
	memcpy(text, path, len + 1);
	*l = (struct cgroup_label){ .path = text };
	if (has_id)
		l->container_id = memcpy(text + len + 1, id, sizeof(id));
	ent = hashmap__insert(&pt->cgroups, h, path, label_eq, NULL, &added);
	if (!ent) {
		free(l);
		return NULL;
	}
	*ent = l;
	return l;
}

/* Reads p's cgroup at its first sight. Once per process, while it lives: after its exit
 * the pid may soon name another process. A process moved to another cgroup later keeps
 * the first one: its stacks and their labels belong to the process, not to the cgroup
 * (and an exec leaves a process where it was). */
static void proc_cgroup(struct proctab *pt, struct proc *p)
{
	char path[CGROUP_PATH_MAX + 1], file[32], *text = NULL;
	size_t len = 0;
	int n;

	if (p->cgroup_read || p->exit_ns)
		return;
	p->cgroup_read = true;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", p->pid);
	n = readfile__all(file, 512, CGROUP_FILE_MAX, &text, &len);
	if (!n)
		n = cgroup__parse(text, len, path);
	if (n >= 0)
		p->cgroup = intern(pt, path, (size_t)n);
	else if (n != -ENOENT)
		log_debug("pid %d: no cgroup label from %s: %s", p->pid, file, strerror(-n));
	free(text);
}

/* The slot of pid with its maps loaded if they can be; NULL with errno set otherwise. */
static struct proc *proc_get(struct proctab *pt, int pid)
{
	struct proc *p;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	p = proc_current(pt, pid);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	proc_cgroup(pt, p);
	/* A pid whose maps could not be read is retried, but not at every sample. */
	if (p->stale || (!p->cur && clock__ns(CLOCK_MONOTONIC) - p->loaded_ns >= RELOAD_INTERVAL_NS))
		proc_reload(pt, p);
	if (!p->cur) {
		errno = p->err;
		return NULL;
	}
	return p;
}

const struct procmaps *proctab__get(struct proctab *pt, int pid)
{
	struct proc *p = proc_get(pt, pid);

	return p ? p->cur : NULL;
}

const struct procmaps *proctab__maps_of(const struct proctab *pt, int pid, uint32_t gen)
{
	const struct proc *p = proc_find(pt, pid);
	size_t i;

	if (p && p->gen == gen)
		return p->cur;
	for (i = pt->n_exited; i-- > 0;) {
		const struct proctab_exited *e = &pt->exited[i];

		if (e->pid == pid && e->gen == gen)
			return e->n_snaps ? e->snaps[e->n_snaps - 1] : NULL;
	}
	return NULL;
}

/* proctab__find, and proctab__find_mapped when mapped. */
static const struct procmaps_entry *find(struct proctab *pt, int pid, uint64_t addr, bool mapped)
{
	const struct procmaps_entry *e;
	struct proc *p = proc_get(pt, pid);

	if (!p)
		return NULL;
	e = procmaps__find(p->cur, addr);
	if (e && (e->prot & PM_X))
		return e;
	/* The maps loaded at exec lack the libraries the loader maps a moment later: the first
	 * miss after them reloads at once, later ones at most every RELOAD_INTERVAL_NS. */
	if ((!mapped && !p->at_exec &&
	     clock__ns(CLOCK_MONOTONIC) - p->loaded_ns < RELOAD_INTERVAL_NS) ||
	    p->exit_ns || proc_reload(pt, p)) {
		errno = ENOENT;
		return NULL;
	}
	e = procmaps__find(p->cur, addr);
	if (e && (e->prot & PM_X))
		return e;
	errno = ENOENT;
	return NULL;
}

const struct procmaps_entry *proctab__find(struct proctab *pt, int pid, uint64_t addr)
{
	return find(pt, pid, addr, false);
}

const struct procmaps_entry *proctab__find_mapped(struct proctab *pt, int pid, uint64_t addr)
{
	return find(pt, pid, addr, true);
}

void proctab__invalidate(struct proctab *pt, int pid)
{
	struct proc *p;

	if (pid <= 0)
		return;
	/* Known or not (a child that forked and exec'ed), its next load is the one at exec. */
	p = proc_slot(pt, pid);
	if (!p)
		return;
	p->stale = true;
	p->exec = true;
}

uint32_t proctab__gen(struct proctab *pt, int pid)
{
	struct proc *p = proc_current(pt, pid);

	return p ? p->gen : 0;
}

const struct cgroup_label *proctab__cgroup(struct proctab *pt, int pid)
{
	struct proc *p = pid > 0 ? proc_current(pt, pid) : NULL;

	if (!p)
		return NULL;
	proc_cgroup(pt, p);
	return p->cgroup;
}

void proctab__exit(struct proctab *pt, int pid)
{
	struct proc *p = proc_find(pt, pid);

	if (p && !p->exit_ns)
		p->exit_ns = clock__ns(CLOCK_MONOTONIC);
}

/* Marks processes that are gone without an exit event (it was lost, or the pid was never
 * in the filter's view of exits). */
static void sweep(struct proctab *pt, uint64_t now)
{
	struct proc *p;
	size_t it = 0;

	pt->swept_ns = now;
	while ((p = hashmap__next(&pt->procs, &it)))
		if (!p->exit_ns && kill(p->pid, 0) && errno == ESRCH)
			p->exit_ns = now;
}

size_t proctab__retire(struct proctab *pt)
{
	uint64_t now = clock__ns(CLOCK_MONOTONIC);
	int *pids = NULL;
	size_t n = 0, cap = 0, it = 0;
	struct proc *p;

	if (now - pt->swept_ns >= SWEEP_INTERVAL_NS)
		sweep(pt, now);
	/* Removal shifts entries: collect first, then retire one by one. */
	while ((p = hashmap__next(&pt->procs, &it)))
		if (p->exit_ns && now - p->exit_ns > EXIT_GRACE_NS &&
		    VEC_PUSH(pids, n, cap, p->pid))
			break;
	for (size_t i = 0; i < n; i++)
		if ((p = proc_find(pt, pids[i])))
			retire(pt, p);
	free(pids);
	return pt->n_exited;
}

const struct proctab_exited *proctab__exited(const struct proctab *pt, size_t *n)
{
	*n = pt->n_exited;
	return pt->exited;
}

void proctab__reap(struct proctab *pt, size_t n)
{
	if (n > pt->n_exited)
		n = pt->n_exited;
	if (!n)		/* exited may be NULL: no offset or memmove on it */
		return;
	for (size_t i = 0; i < n; i++)
		free_snaps(pt->exited[i].snaps, pt->exited[i].n_snaps);
	memmove(pt->exited, pt->exited + n, (pt->n_exited - n) * sizeof(*pt->exited));
	pt->n_exited -= n;
}
