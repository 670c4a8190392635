/* Snapshots of /proc/PID/maps (lines parsed by mapsfile) and the per-pid table of them. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cprof.h"

#include "proc/mapsfile.h"
#include "proc/object.h"
#include "proc/procmaps.h"
#include "util/clock.h"
#include "util/hashmap.h"
#include "util/search.h"
#include "util/util.h"
#include "util/vec.h"

struct procmaps {
	size_t n;
	struct procmaps_entry *entries;
	char *arena;		/* every path, NUL-terminated; arena[0] is "" */
	uint64_t text_hash;	/* of the maps text: a reload that changed nothing is dropped */
	size_t text_len;
	uint64_t image;		/* 0: not known */
	unsigned int refs;	/* procmaps__free releases one */
};

/* Parse state: entries keep arena offsets until the arena stops moving. */
struct parse_state {
	struct procmaps *pm;
	size_t *path_off;
	size_t arena_len, arena_cap;
	size_t prev_off, prev_len;	/* last path stored, reused by the next identical one */
};

static int store_path(struct parse_state *ps, const char *path, size_t len, size_t *off)
{
	if (len == 0) {
		*off = 0;
		return 0;
	}
	if (len == ps->prev_len && memcmp(ps->pm->arena + ps->prev_off, path, len) == 0) {
		*off = ps->prev_off;
		return 0;
	}
	if (VEC_GROW(ps->pm->arena, ps->arena_cap, ps->arena_len + len + 1))
		return -ENOMEM;
	*off = ps->arena_len;
	memcpy(ps->pm->arena + ps->arena_len, path, len);
	ps->pm->arena[ps->arena_len + len] = '\0';
	ps->arena_len += len + 1;
	ps->prev_off = *off;
	ps->prev_len = len;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct procmaps_entry *x = a, *y = b;

	return CMP3(x->start, y->start);
}

static int parse_lines(struct parse_state *ps, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	struct maps_line l;
	int err;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (!mapsfile__parse_line(p, nl, &l))
			continue;
		ps->pm->entries[ps->pm->n] = (struct procmaps_entry){
			.start = l.start, .end = l.end, .offset = l.offset, .dev = l.dev,
			.inode = l.inode, .prot = l.prot,
			.deleted = mapsfile__undeleted_len(l.path, l.path_len) != l.path_len,
		};
		err = store_path(ps, l.path, l.path_len, &ps->path_off[ps->pm->n]);
		if (err)
			return err;
		ps->pm->n++;
	}
	return 0;
}

/* Sorts by start and drops entries overlapping an earlier one (the kernel never emits
 * them; garbage input may), so that the binary search in find() is exact. */
static void sort_entries(struct procmaps *pm)
{
	size_t i, k = 0;

	qsort(pm->entries, pm->n, sizeof(*pm->entries), cmp_start);
	for (i = 0; i < pm->n; i++) {
		if (k && pm->entries[i].start < pm->entries[k - 1].end)
			continue;
		pm->entries[k++] = pm->entries[i];
	}
	pm->n = k;
}

struct procmaps *procmaps__parse(const char *text, size_t len)
{
	struct parse_state ps = { .arena_len = 1 };
	size_t i, lines = 1;
	const char *p;
	int err = -ENOMEM;

	for (p = text; len && (p = memchr(p, '\n', len - (size_t)(p - text))); p++)
		lines++;
	ps.pm = calloc(1, sizeof(*ps.pm));
	if (!ps.pm)
		goto out;
	ps.pm->refs = 1;
	ps.pm->entries = calloc(lines, sizeof(*ps.pm->entries));
	ps.path_off = calloc(lines, sizeof(*ps.path_off));
	if (!ps.pm->entries || !ps.path_off || VEC_GROW(ps.pm->arena, ps.arena_cap, 256))
		goto out;
	ps.pm->arena[0] = '\0';
	err = parse_lines(&ps, text, len);
	if (err)
		goto out;
	/* The arena is final now: paths become pointers. */
	for (i = 0; i < ps.pm->n; i++)
		ps.pm->entries[i].path = ps.pm->arena + ps.path_off[i];
	sort_entries(ps.pm);
	ps.pm->text_hash = hash__bytes(text, len);
	ps.pm->text_len = len;
out:
	free(ps.path_off);
	if (err) {
		procmaps__free(ps.pm);
		errno = -err;
		return NULL;
	}
	return ps.pm;
}

struct procmaps *procmaps__ref(const struct procmaps *pm)
{
	/* The count is no part of what a snapshot says. */
	struct procmaps *m = (struct procmaps *)pm;

	m->refs++;
	return m;
}

void procmaps__free(struct procmaps *pm)
{
	if (!pm || --pm->refs)
		return;
	for (size_t i = 0; i < pm->n; i++)
		if (pm->entries[i].obj)
			object__unhold(pm->entries[i].obj);
	free(pm->entries);
	free(pm->arena);
	free(pm);
}

#define ENTRY_START(e) ((e)->start)

const struct procmaps_entry *procmaps__find(const struct procmaps *pm, uint64_t addr)
{
	/* The last entry starting at or below addr is the only candidate. */
	size_t lo = UPPER_BOUND(pm->entries, pm->n, ENTRY_START, addr);

	if (lo == 0 || addr >= pm->entries[lo - 1].end)
		return NULL;
	return &pm->entries[lo - 1];
}

size_t procmaps__count(const struct procmaps *pm)
{
	return pm->n;
}

const struct procmaps_entry *procmaps__entry(const struct procmaps *pm, size_t i)
{
	return i < pm->n ? &pm->entries[i] : NULL;
}

static bool wants_object(const struct procmaps_entry *e)
{
	if (!(e->prot & PM_X))
		return false;
	return (e->inode && e->path[0] == '/') || strcmp(e->path, "[vdso]") == 0;
}

/* Sets e's object, which the snapshot then holds until it is freed (object.h). */
static void set_object(struct procmaps_entry *e, struct object *obj)
{
	if (e->obj)
		object__unhold(e->obj);
	e->obj = obj;
	if (obj)
		object__hold(obj);
}

/* Objects that cannot be opened stay NULL: their frames show as module+offset. */
void procmaps__attach_objects(struct procmaps *pm, int pid, struct objcache *oc)
{
	struct procmaps_entry *e;
	size_t i;

	for (i = 0; oc && i < pm->n; i++) {
		e = &pm->entries[i];
		if (wants_object(e))
			set_object(e, objcache__get(oc, pid, e->start, e->end, e->path, e->dev,
						    e->inode));
	}
}

struct procmaps *procmaps__load(int pid, struct objcache *oc)
{
	struct procmaps *pm;
	char *text;
	size_t len = 0;
	int err;

	if (pid <= 0) {
		errno = EINVAL;
		return NULL;
	}
	err = mapsfile__read(pid, &text, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	pm = procmaps__parse(text, len);
	free(text);
	if (pm)
		procmaps__attach_objects(pm, pid, oc);
	return pm;
}

bool procmaps__same_text(const struct procmaps *pm, const char *text, size_t len)
{
	return pm->text_len == len && pm->text_hash == hash__bytes(text, len);
}

uint64_t procmaps__image(const struct procmaps *pm)
{
	return pm->image;
}

void procmaps__set_image(struct procmaps *pm, uint64_t image)
{
	pm->image = image;
}

/* The path of an exec record's mapping v, its length in *len: the executable's as exec
 * named it (the target's to choose: up to a newline only, so that it adds no line), the
 * vDSO's, or that of the object oc has open for its file; "" when none is known. */
static const char *exec_vma_path(const struct cprof_exec_info *xi,
				 const struct cprof_exec_vma *v, const struct objcache *oc,
				 size_t *len)
{
	const struct object *obj = NULL;
	const char *nl;

	if (!v->ino) {
		*len = strlen("[vdso]");
		return "[vdso]";
	}
	if (v->is_exe) {
		*len = strnlen(xi->path, sizeof(xi->path));
		nl = memchr(xi->path, '\n', *len);
		*len = nl ? (size_t)(nl - xi->path) : *len;
		return xi->path;
	}
	if (oc)
		obj = objcache__find(oc, makedev(v->dev >> 20, v->dev & 0xfffff), v->ino);
	*len = obj ? strlen(obj->path) : 0;
	return obj ? obj->path : "";
}

/* Opens the objects of a snapshot made from an exec record: no file can be opened through
 * the process any more (see procmaps__from_exec). */
static void attach_exec_objects(struct procmaps *pm, struct objcache *oc, bool host_root)
{
	for (size_t i = 0; oc && i < pm->n; i++) {
		struct procmaps_entry *e = &pm->entries[i];
		struct object *obj;

		if (!e->inode)
			obj = objcache__get(oc, 0, e->start, e->end, e->path, 0, 0);
		else if (!(obj = objcache__find(oc, e->dev, e->inode)) && host_root)
			obj = objcache__get_host(oc, e->path, e->dev, e->inode);
		set_object(e, obj);
	}
}

struct procmaps *procmaps__from_exec(const struct cprof_exec_info *xi, struct objcache *oc,
				     bool host_root)
{
	/* A line per mapping: its fields, and a path of at most PATH_MAX. */
	char *text = malloc(CPROF_EXEC_MAPS * (PATH_MAX + 128));
	size_t len = 0, cap = CPROF_EXEC_MAPS * (PATH_MAX + 128), plen;
	struct procmaps *pm = NULL;

	for (uint32_t i = 0; text && i < xi->n_vmas && i < CPROF_EXEC_MAPS; i++) {
		const struct cprof_exec_vma *v = &xi->vmas[i];
		const char *path = exec_vma_path(xi, v, oc, &plen);
		int n = snprintf(text + len, cap - len,
				 "%" PRIx64 "-%" PRIx64 " r-xp %08" PRIx64 " %02x:%02x %" PRIu64
				 " %.*s\n", (uint64_t)v->start, (uint64_t)v->end,
				 (uint64_t)v->offset, v->dev >> 20, v->dev & 0xfffff,
				 (uint64_t)v->ino, (int)(plen < PATH_MAX ? plen : PATH_MAX), path);

		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	if (text)
		pm = procmaps__parse(text, len);
	if (pm)
		attach_exec_objects(pm, oc, host_root);
	free(text);
	if (!text)
		errno = ENOMEM;
	return pm;
}

/* pm's entry e as a line of maps text into buf (cap bytes); its length, or -1 if it does not
 * fit. */
static int entry_line(char *buf, size_t cap, const struct procmaps_entry *e)
{
	int n = snprintf(buf, cap, "%" PRIx64 "-%" PRIx64 " %c%c%cp %08" PRIx64 " %02x:%02x %" PRIu64
			 " %s\n", e->start, e->end, e->prot & PM_R ? 'r' : '-',
			 e->prot & PM_W ? 'w' : '-', e->prot & PM_X ? 'x' : '-', e->offset,
			 major(e->dev), minor(e->dev), e->inode, e->path);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

struct procmaps *procmaps__with_vma(const struct procmaps *pm, const struct cprof_exec_vma *v,
				    const struct objcache *oc)
{
	uint64_t dev = makedev(v->dev >> 20, v->dev & 0xfffff);
	struct object *obj = v->ino && oc ? objcache__find(oc, dev, v->ino) : NULL;
	size_t cap = (pm->n + 1) * (PATH_MAX + 128), len = 0;
	struct procmaps_entry add;
	struct procmaps *out;
	char *text;
	int n = 0;

	if (!obj || v->end <= v->start) {
		errno = ENOENT;
		return NULL;
	}
	for (size_t i = 0; i < pm->n; i++) {
		if (pm->entries[i].start < v->end && v->start < pm->entries[i].end) {
			errno = EEXIST;
			return NULL;
		}
	}
	add = (struct procmaps_entry){ .start = v->start, .end = v->end, .offset = v->offset,
				       .dev = dev, .inode = v->ino, .prot = PM_R | PM_X,
				       .path = obj->path };
	text = malloc(cap);
	for (size_t i = 0; text && i <= pm->n && n >= 0; i++) {
		n = entry_line(text + len, cap - len, i < pm->n ? &pm->entries[i] : &add);
		len += n > 0 ? (size_t)n : 0;
	}
	out = text && n >= 0 ? procmaps__parse(text, len) : NULL;
	free(text);
	if (!out) {
		errno = text ? errno : ENOMEM;
		return NULL;
	}
	out->image = pm->image;
	/* The objects: pm's where its entries were kept, obj for the new one. */
	for (size_t i = 0; i < out->n; i++) {
		struct procmaps_entry *e = &out->entries[i];
		const struct procmaps_entry *old = procmaps__find(pm, e->start);

		if (e->start == add.start && e->end == add.end && e->inode == add.inode)
			set_object(e, obj);
		else if (old && old->start == e->start && old->end == e->end)
			set_object(e, old->obj);
	}
	return out;
}
