/* Helpers shared by the symbolizer tests: objects filled by hand (the objcache is not
 * needed), the fixtures of tests/unit/fixtures-sym.mk (paths and nm in fixture_util.h). */
#ifndef SYM_UTIL_H
#define SYM_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture_util.h"
#include "proc/object.h"
#include "symbols/symbolizer.h"

/* ---- objects filled by hand ---- */

/* A tiny NT_GNU_BUILD_ID reader, independent of the symbolizer's. */
static inline void read_build_id(int fd, char out[41])
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	Elf_Scn *scn = NULL;

	out[0] = '\0';
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *d;
		size_t off = 0, noff, doff, k;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_descsz > 20)
				continue;
			for (k = 0; k < nh.n_descsz; k++)
				sprintf(out + 2 * k, "%02x", ((unsigned char *)d->d_buf)[doff + k]);
		}
	}
	elf_end(elf);
}

static inline void obj_set(struct object *obj, int fd, const char *path)
{
	memset(obj, 0, sizeof(*obj));
	obj->fd = fd;
	obj->path = strdup(path);
	obj->host_path = strdup(path);
	obj->is_elf = true;
	if (fd >= 0)
		read_build_id(fd, obj->build_id);
}

static inline int obj_open(struct object *obj, const char *path)
{
	char real[PATH_MAX];
	int fd;

	if (!realpath(path, real))
		return -errno;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	obj_set(obj, fd, real);
	return 0;
}

static inline void obj_close(struct object *obj)
{
	if (obj->fd >= 0)
		close(obj->fd);
	free(obj->path);
	free(obj->host_path);
	free(obj->vdso_image);
	obj->fd = -1;
	obj->path = obj->host_path = NULL;
	obj->vdso_image = NULL;
}

/* Symbolizer whose only debug dir is the fixtures' fake one. */
static inline struct symbolizer *fixture_symbolizer(void)
{
	static char dir[PATH_MAX];
	static const char *dirs[2];
	struct symbolizer_opts opts = { 0 };

	if (!realpath(fixture("sym_debugdir"), dir))
		snprintf(dir, sizeof(dir), "/nonexistent");
	dirs[0] = dir;
	dirs[1] = NULL;
	opts.debug_dirs = dirs;
	return symbolizer__new(&opts);
}

/* ---- helpers ---- */

/* addr resolves, and its outermost frame (the function holding the code, after any
 * inlined ones) is name, starting at start. */
static inline bool expect_sym(struct symbolizer *s, struct object *obj, uint64_t addr,
			      const char *name, uint64_t start)
{
	struct sym_result r;
	const char *got;
	int err = symbolizer__resolve(s, obj, addr, &r);

	CHECK(err == 0, "%s: 0x%llx (%s): %s", obj->path, (unsigned long long)addr, name,
	      strerror(-err));
	if (err)
		return false;
	CHECK(r.n >= 1 && r.n <= SYM_MAX_FRAMES, "n=%zu", r.n);
	got = r.n ? r.frames[r.n - 1].name : "";
	CHECK(!strcmp(got, name), "%s: 0x%llx: got %s, want %s", obj->path,
	      (unsigned long long)addr, got, name);
	CHECK(r.sym_start == start, "0x%llx: start 0x%llx, want 0x%llx",
	      (unsigned long long)addr, (unsigned long long)r.sym_start,
	      (unsigned long long)start);
	return !strcmp(got, name) && r.sym_start == start;
}

/* First, middle and last byte of a sized function. */
static inline void expect_function(struct symbolizer *s, struct object *obj,
				   const struct nm_tab *t, const char *lookup, const char *want)
{
	const struct nm_sym *n = nm_find(t, lookup);

	CHECK(n, "%s not in nm output", lookup);
	if (!n)
		return;
	CHECK(n->size > 0, "%s has no size", lookup);
	expect_sym(s, obj, n->addr, want, n->addr);
	expect_sym(s, obj, n->addr + n->size / 2, want, n->addr);
	expect_sym(s, obj, n->addr + n->size - 1, want, n->addr);
}

#endif
