// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "unwind/cfi.h"
#include "cprof.h"
#include "util/clock.h"
#include "util/idmap.h"
#include "util/log.h"
#include "util/vec.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "elf/debuginfo.h"
#include "elf/elffile.h"
#include "unwind/unwinder.h"

/* Where an object's table sits in the shared arrays. */
struct obj_table {
	uint32_t row_start, n_rows;
	uint32_t page_start, n_pages;
	uint64_t base;
	bool usable;
};

struct unwinder {
	struct unwinder_opts o;
	struct obj_table *tabs;		/* by object number */
	size_t n_tabs, cap_tabs;
	struct idmap *objs;		/* (object pointer, 0) → object number */
	struct idmap *procs;		/* (pid, 0) → procmaps pointer published */
	struct cprof_proc_maps *view;	/* scratch for one process's view */
	uint32_t gen;			/* of the last view published */
	struct unwinder_stats st;
};

struct unwinder *unwinder__new(const struct unwinder_opts *o)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->o = *o;
	u->objs = idmap__new();
	u->procs = idmap__new();
	u->view = calloc(1, sizeof(*u->view));
	if (!u->objs || !u->procs || !u->view) {
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
	idmap__free(u->objs);
	idmap__free(u->procs);
	free(u->tabs);
	free(u->view);
	free(u);
}

/* Writes n values of size bytes (the arrays' element stride) to the BPF array fd from index
 * start, through a mapping of just the pages written: element-wise updates cost ~0.3 us per
 * row (13 ms for libstdc++, while that process's samples wait), and mapping the whole
 * arrays would charge all their pages to our RSS. */
static int write_array(int fd, uint32_t start, const void *values, size_t n, size_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), off = (uint64_t)start * size;
	uint64_t lo = off & ~(page - 1), len = off + n * size - lo;
	void *p;

	if (!n)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)lo);
	if (p == MAP_FAILED)
		return -errno;
	memcpy((char *)p + (off - lo), values, n * size);
	munmap(p, len);
	return 0;
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
static int open_debuginfo(const struct unwinder *u, const struct object *obj, int fd,
			  struct elf_file *dbg)
{
	static const char *const default_dirs[] = { "/usr/lib/debug", NULL };
	struct debuginfo_search ds = {
		.dirs = u->o.debug_dirs ? u->o.debug_dirs : default_dirs,
		.fetch = u->o.debuginfod,	/* the network is never waited for here */
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

/* Loads obj's table from the cache, else builds it. The separate debuginfo is looked for
 * only then: its .symtab names functions whose CFI has gaps (glibc's clone3, which only
 * the debuginfo names), and its .debug_frame describes an object without CFI of its own. */
static int build_table(struct unwinder *u, struct object *obj, struct cfi_table **t)
{
	char key[sizeof(obj->build_id) + 8];
	struct elf_file dbg = { 0 };
	const char *bid;
	bool owned, has_dbg;
	int fd = object_fd(obj, &owned), err = 0;

	if (fd < 0)
		return fd;
	bid = cache_key(obj, fd, key, sizeof(key));
	if (u->o.cache_dir && bid && !cfi_cache__load(u->o.cache_dir, bid, t))
		goto out;
	has_dbg = !open_debuginfo(u, obj, fd, &dbg);
	err = cfi_cache__get(u->o.cache_dir, bid, fd, -1, has_dbg ? dbg.fd : -1, t);
	if (err == -ENOENT && has_dbg)
		err = cfi_cache__get(u->o.cache_dir, bid, fd, dbg.fd, dbg.fd, t);
	elf_file__close(&dbg);
out:
	if (owned)
		close(fd);
	return err;
}

/* Copies t into the shared arrays. Returns 0 or -ENOSPC when they are full. */
static int publish_table(struct unwinder *u, const struct cfi_table *t, struct obj_table *ot)
{
	size_t n_rows, n_pages;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n_rows);
	const uint32_t *pages = cfi_table__pages(t, &n_pages);

	uint64_t *wide;
	int err;

	if (u->st.rows + n_rows > u->o.max_rows || u->st.pages + n_pages > u->o.max_pages)
		return -ENOSPC;
	/* Page entries are __u64 in BPF: array elements are 8-byte aligned anyway. */
	wide = malloc(n_pages * sizeof(*wide));
	if (!wide)
		return -ENOMEM;
	for (size_t i = 0; i < n_pages; i++)
		wide[i] = pages[i];
	err = write_array(u->o.rows_fd, u->st.rows, rows, n_rows, sizeof(*rows));
	if (!err)
		err = write_array(u->o.pages_fd, u->st.pages, wide, n_pages, sizeof(*wide));
	free(wide);
	if (err)
		return err;
	*ot = (struct obj_table){
		.row_start = u->st.rows,
		.n_rows = n_rows,
		.page_start = u->st.pages,
		.n_pages = n_pages,
		.base = cfi_table__base(t),
		.usable = true,
	};
	u->st.rows += n_rows;
	u->st.pages += n_pages;
	return 0;
}

/* The count t falls in: objects with CFI, Go objects without (stripped of .debug_frame;
 * Go writes no .eh_frame) whose Go code has rows from .gopclntab's stack-pointer tables,
 * and objects whose table is frame-pointer rows only. */
static size_t *table_count(struct unwinder_stats *st, const struct cfi_table *t)
{
	uint32_t src = cfi_table__stats(t)->source;

	if (src & (CFI_SRC_EH_FRAME | CFI_SRC_DEBUG_FRAME | CFI_SRC_DEBUG_FILE))
		return &st->objects;
	return src & CFI_SRC_GO_PCSP ? &st->objects_go : &st->objects_without;
}

/* The object's number, building and publishing its table on first sight. */
static int object_table(struct unwinder *u, struct object *obj, uint64_t *num)
{
	struct obj_table ot = { .usable = false };
	struct cfi_table *t = NULL;
	double t0 = clock__secs(CLOCK_MONOTONIC);
	int err;

	if (idmap__get(u->objs, (uintptr_t)obj, 0, num))
		return 0;
	if (VEC_GROW(u->tabs, u->cap_tabs, u->n_tabs + 1))
		return -ENOMEM;
	err = obj->is_elf ? build_table(u, obj, &t) : -ENOEXEC;
	if (!err)
		err = publish_table(u, t, &ot);
	if (err == -ENOSPC)
		u->st.objects_full++;
	else if (err)
		u->st.objects_without++;
	else
		(*table_count(&u->st, t))++;
	if (err)
		log_debug("%s: no unwind tables (%s): frame pointers there", obj->path,
			  strerror(-err));
	cfi_table__free(t);
	u->st.build_seconds += clock__secs(CLOCK_MONOTONIC) - t0;
	*num = u->n_tabs;
	u->tabs[u->n_tabs++] = ot;
	return idmap__set(u->objs, (uintptr_t)obj, 0, *num);
}

/* Fills one view entry for mapping e; false if it cannot be described. */
static bool view_entry(struct unwinder *u, const struct procmaps_entry *e,
		       struct cprof_exec_map *m)
{
	const struct obj_table *ot;
	uint64_t num, vaddr;

	if (object_table(u, e->obj, &num))
		return false;
	ot = &u->tabs[num];
	*m = (struct cprof_exec_map){ .start = e->start, .end = e->end, .obj_id = num };
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

int unwinder__sync(struct unwinder *u, int pid, const struct procmaps *pm)
{
	struct cprof_proc_maps *v = u->view;
	uint64_t published;
	__u32 key = pid;

	if (!pm || (idmap__get(u->procs, pid, 0, &published) && published == (uintptr_t)pm))
		return 0;
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
		} else if (view_entry(u, e, &v->maps[v->n])) {
			v->n++;
		}
	}
	/* A new generation for every view: the BPF side caches rows per generation. */
	v->gen = ++u->gen ? u->gen : ++u->gen;
	if (bpf_map_update_elem(u->o.proc_maps_fd, &key, v, BPF_ANY))
		return -errno;
	if (!idmap__get(u->procs, pid, 0, &published))
		u->st.processes++;
	log_debug("pid %d: unwind view published at %.3f s (monotonic), %u mappings", pid, clock__secs(CLOCK_MONOTONIC),
		  v->n);
	return idmap__set(u->procs, pid, 0, (uintptr_t)pm);
}

void unwinder__forget(struct unwinder *u, int pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(u->o.proc_maps_fd, &key);
	idmap__set(u->procs, pid, 0, 0);
}

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *s)
{
	*s = u->st;
}
