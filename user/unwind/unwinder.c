// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "unwind/buildq.h"
#include "unwind/cfi.h"
#include "cprof.h"
#include "util/clock.h"
#include "util/extents.h"
#include "util/idmap.h"
#include "util/log.h"
#include "util/vec.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "elf/debuginfo.h"
#include "elf/elffile.h"
#include "unwind/unwinder.h"
#include "unwind/unwinder_int.h"

/* Objects with this much executable code or more have their tables built on the build
 * queue's thread (buildq.h): the largest take long enough for every other process's exec
 * to be seen late. Smaller ones are built at once while the view that needs them has
 * taken less than INLINE_SECS (on a busy machine a dozen small libraries take 200 ms);
 * the first ones, the executable among them, usually are. */
#define BACKGROUND_TEXT (2u << 20)
#define INLINE_SECS 0.005

static int build_job(void *ctx, void *job, struct cfi_table **t);

struct unwinder *unwinder__new(const struct unwinder_opts *o)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->o = *o;
	extents__init(&u->rows, o->max_rows > UINT32_MAX ? UINT32_MAX : (uint32_t)o->max_rows);
	extents__init(&u->pages, o->max_pages > UINT32_MAX ? UINT32_MAX : (uint32_t)o->max_pages);
	u->objs = idmap__new();
	u->procs = idmap__new();
	u->view = calloc(1, sizeof(*u->view));
	u->bq = buildq__new(build_job, u);
	if (!u->objs || !u->procs || !u->view || !u->bq) {
		unwinder__free(u);
		errno = ENOMEM;
		return NULL;
	}
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	buildq__free(u->bq);
	for (size_t i = 0; i < u->n_waiting; i++)
		procmaps__free(u->waiting[i].pm);
	free(u->waiting);
	idmap__free(u->objs);
	idmap__free(u->procs);
	free(u->tabs);
	free(u->free_nums);
	extents__fini(&u->rows);
	extents__fini(&u->pages);
	free(u->view);
	free(u);
}

/* The vDSO has no file: its image is handed to the compiler through a memfd. */
static int object_fd(const struct object *obj, bool *owned)
{
	int fd;

	*owned = false;
	if (!obj->is_vdso)
		return obj->fd;
	fd = memfd_create("cprof-vdso", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, obj->vdso_image, obj->vdso_size) != (ssize_t)obj->vdso_size) {
		close(fd);
		return -EIO;
	}
	*owned = true;
	return fd;
}

/* The cache key of the object open on fd: its build id and its size. Stripping a file keeps
 * its build id but may take CFI with it (a Go binary's .debug_frame): the two files must not
 * share a table. NULL without a build id. */
static const char *cache_key(const struct object *obj, int fd, char *key, size_t len)
{
	struct stat st;

	if (!obj->build_id[0] || fstat(fd, &st))
		return NULL;
	/* 40 + 8 hex digits: what the cache accepts as a build id. */
	snprintf(key, len, "%s%08llx", obj->build_id, (unsigned long long)st.st_size & 0xffffffffu);
	return key;
}

/* obj's separate debuginfo, opened into dbg. Returns 0 or -errno. */
static int open_debuginfo(const struct unwinder_opts *o, const struct object *obj, int fd,
			  struct elf_file *dbg)
{
	static const char *const default_dirs[] = { "/usr/lib/debug", NULL };
	struct debuginfo_search ds = {
		.dirs = o->debug_dirs ? o->debug_dirs : default_dirs,
		.fetch = o->debuginfod,	/* the network is never waited for here */
	};
	struct elf_file own = { 0 };
	char *path = malloc(PATH_MAX);
	int err = path ? elf_file__open(&own, fd, false, NULL, 0) : -ENOMEM;

	if (!err)
		err = debuginfo__find(&ds, obj, &own, dbg, path);
	elf_file__close(&own);
	free(path);
	return err;
}

/* Counts what the disk cache gave for one object (err from cfi_cache__load), from the loop
 * or the build queue's thread. A file that cannot be used is said with -v, by name. */
static void count_cache(struct unwinder *u, const char *bid, const char *path, int err)
{
	size_t *n = !err ? &u->cache.loaded : err == -EINVAL ? &u->cache.rebuilt :
		    err == -EPERM ? &u->cache.ignored : NULL;

	if (n)
		__atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
	if (err == -EINVAL)
		log_debug("unwind table cache: %s/%s.cfi (%s) is corrupt, truncated or of another "
			  "version: rebuilt", u->o.cache_dir, bid, path);
	else if (err == -EPERM)
		log_debug("unwind table cache: %s/%s.cfi (%s) is not a regular file of ours: "
			  "ignored, rebuilt", u->o.cache_dir, bid, path);
}

/* Loads obj's table from the cache, else builds it (and stores it there). The separate
 * debuginfo is looked for only then: its .symtab names functions whose CFI has gaps
 * (glibc's clone3, which only the debuginfo names), and its .debug_frame describes an
 * object without CFI of its own. */
static int build_table(struct unwinder *u, struct object *obj, struct cfi_table **t)
{
	char key[sizeof(obj->build_id) + 8];
	struct elf_file dbg = { 0 };
	const char *bid;
	bool owned, has_dbg, cached;
	int fd = object_fd(obj, &owned), err = 0;

	if (fd < 0)
		return fd;
	bid = cache_key(obj, fd, key, sizeof(key));
	cached = u->o.cache_dir && bid;
	if (cached) {
		err = cfi_cache__load(u->o.cache_dir, bid, t);
		count_cache(u, bid, obj->path, err);
		if (!err)
			goto out;
	}
	has_dbg = !open_debuginfo(&u->o, obj, fd, &dbg);
	err = cfi_table__build(fd, -1, has_dbg ? dbg.fd : -1, t);
	if (err == -ENOENT && has_dbg)
		err = cfi_table__build(fd, dbg.fd, dbg.fd, t);
	elf_file__close(&dbg);
	if (!err && cached && !cfi_cache__store(u->o.cache_dir, bid, *t))
		__atomic_fetch_add(&u->cache.stored, 1, __ATOMIC_RELAXED);
out:
	if (owned)
		close(fd);
	return err;
}

/* The build queue's work: the table of object job (its fields do not change once it is
 * open; the options are read only, the cache counters atomically). */
static int build_job(void *ctx, void *job, struct cfi_table **t)
{
	return build_table(ctx, job, t);
}

/* The size of obj's executable segments. */
static uint64_t text_size(const struct object *obj)
{
	uint64_t n = 0;

	for (size_t i = 0; i < obj->n_loads; i++)
		if (obj->loads[i].flags & PF_X)
			n += obj->loads[i].memsz;
	return n;
}

/* The object's number, building and publishing its table on first sight, or having it
 * built on the queue's thread (pending until unwinder__poll publishes it) if it is large
 * or the clock is past deadline. */
static int object_table(struct unwinder *u, struct object *obj, double deadline, uint64_t *num)
{
	struct cfi_table *t = NULL;
	double t0 = clock__secs(CLOCK_MONOTONIC);
	int err;

	if (idmap__get(u->objs, (uintptr_t)obj, 0, num))
		return 0;
	if (u->n_free_nums) {
		*num = u->free_nums[--u->n_free_nums];
	} else {
		if (VEC_GROW(u->tabs, u->cap_tabs, u->n_tabs + 1))
			return -ENOMEM;
		*num = u->n_tabs++;
	}
	if (obj->is_elf && !obj->is_vdso &&
	    (text_size(obj) >= BACKGROUND_TEXT || t0 >= deadline) && !buildq__push(u->bq, obj)) {
		u->tabs[*num] = (struct obj_table){ .pending = true };
		return idmap__set(u->objs, (uintptr_t)obj, 0, *num);
	}
	err = obj->is_elf ? build_table(u, obj, &t) : -ENOEXEC;
	unwinder_table_done(u, obj, (uint32_t)*num, t, err, clock__secs(CLOCK_MONOTONIC) - t0);
	return idmap__set(u->objs, (uintptr_t)obj, 0, *num);
}

/* Fills one view entry for mapping e (its table built at once before deadline); false if
 * it cannot be described. */
static bool view_entry(struct unwinder *u, const struct procmaps_entry *e, double deadline,
		       struct cprof_exec_map *m)
{
	const struct obj_table *ot;
	uint64_t num, vaddr;

	if (object_table(u, e->obj, deadline, &num))
		return false;
	ot = &u->tabs[num];
	*m = (struct cprof_exec_map){ .start = e->start, .end = e->end, .obj_id = num };
	if (ot->pending) {
		m->flags = CPROF_MAP_PENDING;
		return true;
	}
	if (!ot->usable || object__file_offset_to_vaddr(e->obj, e->offset, &vaddr)) {
		m->flags = CPROF_MAP_NO_TABLES;
		return true;
	}
	m->bias = e->start - vaddr + ot->base;
	m->row_start = ot->row_start;
	m->n_rows = ot->n_rows;
	m->page_start = ot->page_start;
	m->n_pages = ot->n_pages;
	return true;
}

/* Removes pid's entry from the processes waiting for tables, if it has one. */
static void unwait(struct unwinder *u, int pid)
{
	for (size_t i = 0; i < u->n_waiting; i++) {
		if (u->waiting[i].pid != pid)
			continue;
		procmaps__free(u->waiting[i].pm);
		u->waiting[i] = u->waiting[--u->n_waiting];
		return;
	}
}

/* Makes pm the view of pid. A view with objects still being built waits to be published
 * again (without them, their frames stop as "not ready"). */
static int publish_view(struct unwinder *u, int pid, const struct procmaps *pm)
{
	double deadline = clock__secs(CLOCK_MONOTONIC) + INLINE_SECS;
	struct cprof_proc_maps *v = u->view;
	struct waiting w = { .pid = pid };
	uint64_t published;
	bool pending = false;
	__u32 key = pid;

	v->n = 0;
	/* Entries come sorted by start; the view keeps the executable ones. */
	for (size_t i = 0; i < procmaps__count(pm) && v->n < CPROF_MAX_EXEC_MAPS; i++) {
		const struct procmaps_entry *e = procmaps__entry(pm, i);

		if (!(e->prot & PM_X))
			continue;
		if (!e->obj) {
			/* JIT code and other anonymous text: frame pointers, if any. */
			v->maps[v->n++] = (struct cprof_exec_map){
				.start = e->start, .end = e->end, .flags = CPROF_MAP_NO_TABLES,
			};
		} else if (view_entry(u, e, deadline, &v->maps[v->n])) {
			pending |= v->maps[v->n++].flags & CPROF_MAP_PENDING;
		}
	}
	/* A new generation for every view: the BPF side caches rows per generation. Those
	 * with CPROF_GEN_AT_EXEC are the exec program's. */
	u->gen = (u->gen + 1) & ~CPROF_GEN_AT_EXEC;
	v->gen = u->gen ? u->gen : ++u->gen;
	if (bpf_map_update_elem(u->o.proc_maps_fd, &key, v, BPF_ANY))
		return -errno;
	if (!idmap__get(u->procs, pid, 0, &published))
		u->st.processes++;
	log_debug("pid %d: unwind view published at %.3f s (monotonic), %u mappings%s", pid,
		  clock__secs(CLOCK_MONOTONIC), v->n, pending ? ", some tables pending" : "");
	unwait(u, pid);
	if (pending && !VEC_PUSH(u->waiting, u->n_waiting, u->cap_waiting, w))
		u->waiting[u->n_waiting - 1].pm = procmaps__ref(pm);
	return idmap__set(u->procs, pid, 0, (uintptr_t)pm);
}

int unwinder__sync(struct unwinder *u, int pid, const struct procmaps *pm)
{
	uint64_t published;

	if (!pm || (idmap__get(u->procs, pid, 0, &published) && published == (uintptr_t)pm))
		return 0;
	return publish_view(u, pid, pm);
}

/* Publishes every waiting view again: each waits anew if it still has tables to come. */
static void republish_waiting(struct unwinder *u)
{
	struct waiting *w = u->waiting;
	size_t n = u->n_waiting;

	u->waiting = NULL;
	u->n_waiting = u->cap_waiting = 0;
	for (size_t i = 0; i < n; i++) {
		publish_view(u, w[i].pid, w[i].pm);
		procmaps__free(w[i].pm);
	}
	free(w);
}

int unwinder__poll(struct unwinder *u)
{
	struct cfi_table *t;
	size_t done = 0;
	uint64_t num;
	double secs;
	void *job;
	int err;

	while (buildq__pop(u->bq, &job, &t, &err, &secs)) {
		/* Not pending any more: built at once meanwhile (unwinder__urgent). */
		if (idmap__get(u->objs, (uintptr_t)job, 0, &num) && u->tabs[num].pending) {
			unwinder_table_done(u, job, (uint32_t)num, t, err, secs);
			done++;
		} else {
			cfi_table__free(t);
		}
	}
	if (done)
		republish_waiting(u);
	return (int)done;
}

int unwinder__urgent(struct unwinder *u, const struct procmaps *pm, uint64_t pc)
{
	const struct procmaps_entry *e = pm ? procmaps__find(pm, pc) : NULL;
	double t0 = clock__secs(CLOCK_MONOTONIC);
	struct cfi_table *t = NULL;
	uint64_t num;
	int err;

	if (!e || !e->obj || !idmap__get(u->objs, (uintptr_t)e->obj, 0, &num) ||
	    !u->tabs[num].pending || text_size(e->obj) >= BACKGROUND_TEXT)
		return 0;
	/* Built on the queue's thread meanwhile (or being built: waited for): published from
	 * there, not built twice (two builds of one file would both read and write its cache
	 * file, and be counted twice). */
	if (!buildq__take(u->bq, e->obj))
		return unwinder__poll(u) > 0;
	err = build_table(u, e->obj, &t);
	unwinder_table_done(u, e->obj, (uint32_t)num, t, err, clock__secs(CLOCK_MONOTONIC) - t0);
	republish_waiting(u);
	return 1;
}

size_t unwinder__pending(struct unwinder *u)
{
	return buildq__count(u->bq);
}

int unwinder__timeout_ms(struct unwinder *u, int ms)
{
	/* Tables being built are published at most this late. */
	return buildq__count(u->bq) && ms > 10 ? 10 : ms;
}

void unwinder__exec(struct unwinder *u, int pid)
{
	uint64_t published;

	unwait(u, pid);
	if (idmap__get(u->procs, pid, 0, &published))
		idmap__set(u->procs, pid, 0, 0);
}

void unwinder__forget(struct unwinder *u, int pid)
{
	__u32 key = pid;

	unwait(u, pid);

	bpf_map_delete_elem(u->o.proc_maps_fd, &key);
	/* Removed, not set to 0: a host's pids come and go by the million. */
	idmap__remove(u->procs, pid, 0);
}

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *s)
{
	*s = u->st;
	s->cache_loaded = __atomic_load_n(&u->cache.loaded, __ATOMIC_RELAXED);
	s->cache_rebuilt = __atomic_load_n(&u->cache.rebuilt, __ATOMIC_RELAXED);
	s->cache_ignored = __atomic_load_n(&u->cache.ignored, __ATOMIC_RELAXED);
	s->cache_stored = __atomic_load_n(&u->cache.stored, __ATOMIC_RELAXED);
}
