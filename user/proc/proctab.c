// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The processes' maps over their lives: loaded at first sight, reloaded when they change
 * (an exec, a library mapped), kept after the exit for the stacks that point into them, and
 * released when those stacks are gone (a long run sees many processes come and go: memory
 * must not grow with them). Frames are placed in the snapshot of the image their record
 * names, which for a child before its exec is its parent's. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cprof.h"
#include "proc/cglabels.h"
#include "proc/mapsfile.h"
#include "proc/pidstat.h"
#include "proc/proctab.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/vec.h"

/* At most one reload per pid per 20 ms: right after exec the dynamic loader maps libraries
 * within milliseconds, and samples there must not wait long for them. */
#define RELOAD_INTERVAL_NS 20000000ull
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

struct proctab *proctab__new(struct objcache *oc)
{
	struct proctab *pt = calloc(1, sizeof(*pt));
	struct stat st;

	if (!pt)
		return NULL;
	pt->oc = oc;
	pt->procs = (struct hashmap)HASHMAP_INIT(struct proc);
	pt->images = (struct hashmap)HASHMAP_INIT(struct image_ent);
	pt->swept_ns = clock__ns(CLOCK_MONOTONIC);
	pt->cgroups = cglabels__new();
	if (!pt->cgroups) {
		free(pt);
		return NULL;
	}
	if (!stat("/", &st)) {
		pt->root_ino = st.st_ino;
		pt->root_dev = major(st.st_dev) << 20 | minor(st.st_dev);
	}
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
	struct proc *p;
	size_t it = 0;

	if (!pt)
		return;
	while ((p = hashmap__next(&pt->procs, &it)))
		free_snaps(p->snaps, p->n_snaps);
	proctab__reap(pt, pt->n_exited);
	free(pt->exited);
	hashmap__free(&pt->procs);
	hashmap__free(&pt->images);
	cglabels__free(pt->cgroups);
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

static bool image_eq(const void *ctx, const void *key, const void *entry)
{
	(void)ctx;
	return ((const struct image_ent *)entry)->image == *(const uint64_t *)key;
}

/* Labels pm, a snapshot of pid's, with the image it shows, and indexes it unless a process
 * still in the table has it indexed already: the first is most often the parent, which
 * outlives the children that show its image until they exec. */
static void label(struct proctab *pt, int pid, struct procmaps *pm, uint64_t image)
{
	struct image_ent *e;
	bool added;

	procmaps__set_image(pm, image);
	if (!image)
		return;
	e = hashmap__insert(&pt->images, hash__u64(image), &image, image_eq, NULL, &added);
	if (e && (added || e->pid == pid || !proc_find(pt, e->pid)))
		*e = (struct image_ent){ .image = image, .pid = pid };
}

/* Drops the index's entries that name p: it is leaving the table. */
static void unlabel(struct proctab *pt, const struct proc *p)
{
	for (size_t i = 0; i < p->n_snaps; i++) {
		uint64_t image = procmaps__image(p->snaps[i]);
		struct image_ent *e = hashmap__find(&pt->images, hash__u64(image), &image,
						    image_eq, NULL);

		if (e && e->pid == p->pid)
			hashmap__remove(&pt->images, e);
	}
}

/* The image p's process shows now (its start_stack), 0 if unknown; learns its parent. */
static uint64_t image_now(struct proc *p)
{
	struct pidstat ps;

	if (pidstat__read(p->pid, &ps))
		return 0;
	if (!p->ppid)
		p->ppid = ps.ppid;
	return ps.start_stack;
}

/* Whether the text just read adds nothing to p's current snapshot: the same text of the
 * same image needs no new snapshot (a pid that keeps missing on garbage addresses). */
static bool nothing_new(struct proctab *pt, struct proc *p, const char *text, size_t len,
			uint64_t image)
{
	if (!p->cur || !procmaps__same_text(p->cur, text, len))
		return false;
	if (!procmaps__image(p->cur))
		label(pt, p->pid, p->cur, image);
	return !image || procmaps__image(p->cur) == image;
}

/* Appends pm to p's snapshots; -ENOMEM (pm then still the caller's). */
static int add_snap(struct proc *p, struct procmaps *pm)
{
	return VEC_PUSH(p->snaps, p->n_snaps, p->cap_snaps, pm);
}

/* Reads p's maps into *text, and the image they show into *image: the one shown before
 * and after the read, if the same (an exec between the two would leave it in doubt: the
 * read is tried again once), else 0. Returns 0 or -errno. */
static int read_maps(struct proc *p, char **text, size_t *len, uint64_t *image)
{
	int err = 0;

	for (int tries = 0; tries < 2; tries++) {
		*image = image_now(p);
		free(*text);
		*text = NULL;
		err = mapsfile__read(p->pid, text, len);
		if (err || !*image || image_now(p) == *image)
			return err;
	}
	*image = 0;
	return err;
}

/* Loads the maps of p again, labelled with their image. The previous snapshot stays
 * current when the load fails (the process may be gone: its last maps are still the best
 * answer) and when there is nothing new (nothing_new). */
static int proc_reload(struct proctab *pt, struct proc *p)
{
	struct procmaps *pm = NULL;
	uint64_t image = 0;
	char *text = NULL;
	size_t len = 0;
	int err;

	p->loaded_ns = clock__ns(CLOCK_MONOTONIC);
	p->at_exec = p->exec;
	p->exec = false;
	p->stale = false;
	err = read_maps(p, &text, &len, &image);
	/* An exiting process has released its address space and reads as empty: the records
	 * of its last moments still need the maps it had. */
	if (!err && !len)
		err = -ESRCH;
	if (err)
		goto out;
	if (nothing_new(pt, p, text, len, image))
		goto out;
	err = -ENOMEM;
	pm = procmaps__parse(text, len);
	if (!pm || add_snap(p, pm))
		goto out;
	label(pt, p->pid, pm, image);
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
		.cur = p->cur,
		.snaps = p->snaps,
		.n_snaps = p->n_snaps,
	};

	if (VEC_PUSH(pt->exited, pt->n_exited, pt->cap_exited, e))
		return -ENOMEM;
	unlabel(pt, p);
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

/* Reads p's cgroup at its first sight. Once per process, while it lives: after its exit
 * the pid may soon name another process. A process moved to another cgroup later keeps
 * the first one: its stacks and their labels belong to the process, not to the cgroup
 * (and an exec leaves a process where it was). */
static void proc_cgroup(struct proctab *pt, struct proc *p)
{
	if (p->cgroup_read || p->exit_ns)
		return;
	p->cgroup_read = true;
	p->cgroup = cglabels__read(pt->cgroups, p->pid);
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
			return e->cur;
	}
	return NULL;
}

/* The executable mapping of pm holding addr; NULL (errno ENOENT) if none. */
static const struct procmaps_entry *exec_entry(const struct procmaps *pm, uint64_t addr)
{
	const struct procmaps_entry *e = pm ? procmaps__find(pm, addr) : NULL;

	if (e && (e->prot & PM_X))
		return e;
	errno = ENOENT;
	return NULL;
}

/* The latest snapshot of p that shows image; NULL if none. */
static struct procmaps *snapshot_of(const struct proc *p, uint64_t image)
{
	for (size_t i = p->n_snaps; i-- > 0;)
		if (procmaps__image(p->snaps[i]) == image)
			return p->snaps[i];
	return NULL;
}

/* Whether p's maps may be read again now: the first miss after the load at exec (which
 * lacks the libraries the loader maps a moment later) at once, later ones at most every
 * RELOAD_INTERVAL_NS; never after the exit. */
static bool may_reload(const struct proc *p)
{
	return !p->exit_ns && (p->at_exec ||
			       clock__ns(CLOCK_MONOTONIC) - p->loaded_ns >= RELOAD_INTERVAL_NS);
}

/* The maps of image for pid's process, whose current snapshot shows another: a snapshot of
 * its own (an image it exec'ed from, or to since), its parent's (a child shows its
 * parent's image until it execs: records taken before the exec, read after it), or its
 * maps read again (an image newer than the last read). NULL if none. */
static const struct procmaps *maps_of_image(struct proctab *pt, int pid, uint64_t image)
{
	struct proc *p = proc_find(pt, pid), *q;
	struct procmaps *pm = p ? snapshot_of(p, image) : NULL;
	const struct image_ent *e;
	int ppid = p ? p->ppid : 0;

	if (pm)
		return pm;
	/* Another process's slot may move the table's entries: p is looked up again. */
	if (ppid > 0 && ppid != pid && (q = proc_get(pt, ppid)))
		pm = snapshot_of(q, image);
	e = pm ? NULL : hashmap__find(&pt->images, hash__u64(image), &image, image_eq, NULL);
	if (e && (q = proc_find(pt, e->pid)))
		pm = snapshot_of(q, image);
	p = proc_find(pt, pid);
	/* Stacks point into the snapshot: pid's process holds it as long as the other. */
	if (pm) {
		if (!p || add_snap(p, pm))
			return NULL;
		return procmaps__ref(pm);
	}
	if (p && p->cur && may_reload(p) && !proc_reload(pt, p) &&
	    procmaps__image(p->cur) == image)
		return p->cur;
	return NULL;
}

/* proctab__find, and proctab__find_mapped when mapped. */
static const struct procmaps_entry *find(struct proctab *pt, int pid, uint64_t image,
					 uint64_t addr, bool mapped)
{
	const struct procmaps_entry *e;
	struct proc *p = proc_get(pt, pid);
	uint64_t cur = p ? procmaps__image(p->cur) : 0;

	/* Not the image the process shows, or a process that could not be read. */
	if (image && (!p || (cur && image != cur)))
		return exec_entry(maps_of_image(pt, pid, image), addr);
	if (!p)
		return NULL;
	e = exec_entry(p->cur, addr);
	if (e || !(mapped ? !p->exit_ns : may_reload(p)) || proc_reload(pt, p)) {
		errno = e ? errno : ENOENT;
		return e;
	}
	return exec_entry(p->cur, addr);
}

const struct procmaps_entry *proctab__find(struct proctab *pt, int pid, uint64_t image,
					   uint64_t addr)
{
	return find(pt, pid, image, addr, false);
}

const struct procmaps_entry *proctab__find_mapped(struct proctab *pt, int pid, uint64_t image,
						  uint64_t addr)
{
	return find(pt, pid, image, addr, true);
}

/* After exec: the snapshot made of xi for image, when p has none of it (gone before its
 * maps could be read, or exec'ed again since). It becomes the current one unless the read
 * at exec (before: the current snapshot until then) found anything. */
static void exec_snapshot(struct proctab *pt, struct proc *p, uint64_t image,
			  const struct cprof_exec_info *xi, const struct procmaps *before)
{
	bool host_root = xi->root_ino == pt->root_ino && xi->root_dev == pt->root_dev;
	struct procmaps *pm;

	if (!image || snapshot_of(p, image))
		return;
	pm = procmaps__from_exec(xi, pt->oc, host_root);
	if (!pm || add_snap(p, pm)) {
		procmaps__free(pm);
		return;
	}
	label(pt, p->pid, pm, image);
	if (p->cur == before)
		p->cur = pm;
}

void proctab__exec(struct proctab *pt, int pid, uint64_t image,
		   const struct cprof_exec_info *xi)
{
	const struct procmaps *before;
	struct proc *p;

	if (pid <= 0 || !(p = proc_current(pt, pid)))
		return;
	if (xi && xi->ppid)
		p->ppid = (int)xi->ppid;
	p->exec = true;
	before = p->cur;
	proc_reload(pt, p);
	if (xi)
		exec_snapshot(pt, p, image, xi, before);
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

uint64_t proctab__image(const struct proctab *pt, int pid)
{
	const struct proc *p = proc_find(pt, pid);

	return p && p->cur ? procmaps__image(p->cur) : 0;
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

bool proctab__exited_recently(const struct proctab *pt, int pid)
{
	const struct proc *p = proc_find(pt, pid);

	return p && p->exit_ns && clock__ns(CLOCK_MONOTONIC) - p->exit_ns <= EXIT_GRACE_NS;
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
