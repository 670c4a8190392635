// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The shared arrays of the unwinder (unwinder.h): an object's table copied in, registered
 * for the exec program, and given back when the object is released. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "proc/object.h"
#include "unwind/cfi.h"
#include "unwind/unwinder_int.h"
#include "util/extents.h"
#include "util/idmap.h"
#include "util/log.h"
#include "util/vec.h"

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

/* Copies t into the shared arrays. Returns 0 or -ENOSPC when they are full. */
static int publish_table(struct unwinder *u, const struct cfi_table *t, struct obj_table *ot)
{
	size_t n_rows, n_pages;
	const struct cprof_unwind_row *rows = cfi_table__rows(t, &n_rows);
	const uint32_t *pages = cfi_table__pages(t, &n_pages);

	uint32_t row_start, page_start;
	uint64_t *wide;
	int err;

	if (n_rows > UINT32_MAX || n_pages > UINT32_MAX)
		return -ENOSPC;
	err = extents__alloc(&u->rows, (uint32_t)n_rows, &row_start);
	if (err)
		return err;
	err = extents__alloc(&u->pages, (uint32_t)n_pages, &page_start);
	if (err) {
		extents__free(&u->rows, row_start, (uint32_t)n_rows);
		return err;
	}
	/* Page entries are __u64 in BPF: array elements are 8-byte aligned anyway. */
	wide = malloc(n_pages * sizeof(*wide));
	err = wide ? 0 : -ENOMEM;
	for (size_t i = 0; wide && i < n_pages; i++)
		wide[i] = pages[i];
	if (!err)
		err = write_array(u->o.rows_fd, row_start, rows, n_rows, sizeof(*rows));
	if (!err)
		err = write_array(u->o.pages_fd, page_start, wide, n_pages, sizeof(*wide));
	free(wide);
	if (err) {
		extents__free(&u->rows, row_start, (uint32_t)n_rows);
		extents__free(&u->pages, page_start, (uint32_t)n_pages);
		return err;
	}
	*ot = (struct obj_table){
		.row_start = row_start,
		.n_rows = (uint32_t)n_rows,
		.page_start = page_start,
		.n_pages = (uint32_t)n_pages,
		.base = cfi_table__base(t),
		.usable = true,
	};
	u->st.rows = u->rows.used;
	u->st.pages = u->pages.used;
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

/* Registers obj's table for the exec program, which builds the first view of a new image
 * from it (bpf/proc.bpf.c): by the file's kernel dev_t and inode, with the one delta
 * between file offsets and addresses of its executable segment (objects with more than
 * one are left to user space). A failure only leaves that to user space too. */
static bool table_key(const struct unwinder *u, const struct object *obj,
		      struct cprof_obj_key *key, uint64_t *delta)
{
	size_t n_exec = 0;

	*key = (struct cprof_obj_key){ 0 };
	if (u->o.obj_tables_fd < 0 || !obj->is_elf)
		return false;
	for (size_t i = 0; i < obj->n_loads; i++) {
		if (!(obj->loads[i].flags & PF_X))
			continue;
		*delta = obj->loads[i].vaddr - obj->loads[i].offset;
		n_exec++;
	}
	if (n_exec != 1)
		return false;
	if (!obj->is_vdso) {
		key->ino = obj->inode;
		key->dev = major(obj->dev) << 20 | minor(obj->dev);
	}
	return true;
}

static void register_table(const struct unwinder *u, const struct object *obj,
			   const struct obj_table *ot, uint32_t num)
{
	struct cprof_obj_key key;
	struct cprof_obj_table t = { .obj_id = num };
	uint64_t delta;

	if (!table_key(u, obj, &key, &delta))
		return;
	t.delta = delta;
	if (ot->usable) {
		t.base = ot->base;
		t.row_start = ot->row_start;
		t.n_rows = ot->n_rows;
		t.page_start = ot->page_start;
		t.n_pages = ot->n_pages;
	} else {
		t.flags = CPROF_MAP_NO_TABLES;
	}
	bpf_map_update_elem(u->o.obj_tables_fd, &key, &t, BPF_ANY);
}

/* Publishes the table built for object number num (t, or why there is none: err), counts
 * it, and registers it for the exec program. Takes t. */
void unwinder_table_done(struct unwinder *u, struct object *obj, uint32_t num,
			 struct cfi_table *t, int err, double secs)
{
	struct obj_table ot = { .usable = false };

	if (!err)
		err = publish_table(u, t, &ot);
	if (err == -ENOSPC)
		u->st.objects_full++;
	else if (err)
		u->st.objects_without++;
	else
		(*table_count(&u->st, t))++;
	if (!err && (cfi_table__stats(t)->source & CFI_SRC_CACHE))
		u->st.from_cache++;
	if (err)
		log_debug("%s: no unwind tables (%s): frame pointers there", obj->path,
			  strerror(-err));
	cfi_table__free(t);
	u->st.build_seconds += secs;
	u->tabs[num] = ot;
	if (err != -ENOSPC)
		register_table(u, obj, &ot, num);
}

int unwinder__drop(struct unwinder *u, const struct object *obj)
{
	struct cprof_obj_key key;
	struct cprof_obj_table t;
	struct obj_table *ot;
	uint64_t num, delta;

	if (!idmap__get(u->objs, (uintptr_t)obj, 0, &num))
		return 0;
	ot = &u->tabs[num];
	if (ot->pending)
		return -EBUSY;
	/* The exec program's entry, unless another object's replaced it. */
	if (table_key(u, obj, &key, &delta) &&
	    !bpf_map_lookup_elem(u->o.obj_tables_fd, &key, &t) && t.obj_id == num)
		bpf_map_delete_elem(u->o.obj_tables_fd, &key);
	if (ot->usable) {
		extents__free(&u->rows, ot->row_start, ot->n_rows);
		extents__free(&u->pages, ot->page_start, ot->n_pages);
		u->st.rows = u->rows.used;
		u->st.pages = u->pages.used;
	}
	*ot = (struct obj_table){ .usable = false };
	idmap__remove(u->objs, (uintptr_t)obj, 0);
	/* Out of memory, the number is not given out again: only that is lost. */
	VEC_PUSH(u->free_nums, u->n_free_nums, u->cap_free_nums, (uint32_t)num);
	u->st.dropped++;
	return 0;
}
