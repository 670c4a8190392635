/* Address → function names, files, lines. See symbolizer.h.
 *
 * The symbolizer owns what is built once and kept: each object's tables (symobj.h), keyed
 * by the struct object pointer, until the objcache releases the object
 * (symbolizer__drop); each process's JIT map; the kernel's symbols. */
#include <errno.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/debuginfo.h"
#include "proc/object.h"
#include "symbols/kallsyms.h"
#include "symbols/ksymbpf.h"
#include "symbols/perfmap.h"
#include "symbols/rescache.h"
#include "util/clock.h"
#include "symbols/symbolizer.h"
#include "symbols/symobj.h"
#include "util/hashmap.h"
#include "util/log.h"

static const char *const default_debug_dirs[] = { "/usr/lib/debug", NULL };

/* An object's tables. */
struct obj_ent {
	const struct object *obj;
	struct symobj *so;
	uint64_t used;		/* the symbolizer's clock at its last use */
};

/* A process's JIT map (pm NULL if it has none), read on first use and again, at most once a
 * second, when an address misses it: a JIT keeps appending, and a long run asks again. */
struct pid_map {
	int pid;
	struct perfmap *pm;
	uint64_t loaded_ns;
};

#define PERFMAP_RELOAD_NS 1000000000ull

struct symbolizer {
	char **debug_dirs;	/* NULL-terminated copy of the options' */
	struct debuginfod *debuginfod;	/* the options', not owned */
	char *kallsyms_path;
	char *cache_dir;	/* the options', copied; NULL: none */
	struct hashmap objs;	/* struct obj_ent */
	struct kallsyms *ks;
	bool ks_tried;
	struct ksymbpf *kb;	/* the kernel names addresses one by one until ks is read */
	bool kb_tried, kb_done;
	struct hashmap pms;	/* struct pid_map */
	uint64_t clock;		/* ticks once per object lookup */
	struct rescache *cache;	/* results kept across reports; NULL: none */
};

/* ---- per-object tables ---- */

static bool obj_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return ((const struct obj_ent *)ent)->obj == key;
}

/* The tables of obj, built on first use. A file without symbols still gets an (empty)
 * entry so it is not read again. */
static int symbolizer__get(struct symbolizer *s, const struct object *obj, struct symobj **sop)
{
	uint64_t hash = hash__u64((uintptr_t)obj);
	struct obj_ent *e = hashmap__find(&s->objs, hash, obj, obj_eq, NULL);
	struct debuginfo_search ds = {
		.dirs = (const char *const *)s->debug_dirs,
		.fetch = s->debuginfod,
		.fetch_wait = true,
		.cache_dir = s->cache_dir,
	};
	struct symobj *so;
	bool added;
	int err;

	if (e) {
		e->used = ++s->clock;
		*sop = e->so;
		return 0;
	}
	err = symobj__new(obj, &ds, &so);
	if (err)
		return err;
	e = hashmap__insert(&s->objs, hash, obj, obj_eq, NULL, &added);
	if (!e) {
		symobj__free(so);
		return -ENOMEM;
	}
	*e = (struct obj_ent){ obj, so, ++s->clock };
	*sop = so;
	return 0;
}

int symbolizer__resolve(struct symbolizer *s, struct object *obj, uint64_t vaddr,
			struct sym_result *res)
{
	struct symobj *so;
	int err;

	if (s->cache && rescache__get(s->cache, obj->serial, vaddr, res, &err))
		return err;
	memset(res, 0, sizeof(*res));
	err = symbolizer__get(s, obj, &so);
	if (!err)
		err = symobj__resolve(so, vaddr, res);
	if (s->cache && err != -ENOMEM)
		rescache__put(s->cache, obj->serial, vaddr, res, err);
	return err;
}

void symbolizer__drop(struct symbolizer *s, const struct object *obj)
{
	struct obj_ent *e = hashmap__find(&s->objs, hash__u64((uintptr_t)obj), obj, obj_eq, NULL);

	if (!e)
		return;
	symobj__free(e->so);
	hashmap__remove(&s->objs, e);
}

int symbolizer__keep_results(struct symbolizer *s, size_t max)
{
	if (s->cache)
		return 0;
	s->cache = rescache__new(max);
	return s->cache ? 0 : -ENOMEM;
}

int symbolizer__object_info(struct symbolizer *s, struct object *obj, struct sym_object_info *info)
{
	struct symobj *so;
	int err;

	memset(info, 0, sizeof(*info));
	err = symbolizer__get(s, obj, &so);
	if (!err)
		symobj__info(so, info);
	return err;
}

struct Dwarf *symbolizer__dwarf(struct symbolizer *s, const struct object *obj)
{
	struct symobj *so;

	return symbolizer__get(s, obj, &so) ? NULL : symobj__dwarf(so);
}

static int cmp_used(const void *a, const void *b)
{
	const struct obj_ent *x = *(const struct obj_ent *const *)a;
	const struct obj_ent *y = *(const struct obj_ent *const *)b;

	return x->used < y->used ? -1 : x->used > y->used;
}

void symbolizer__trim(struct symbolizer *s, uint64_t budget)
{
	struct obj_ent **open = NULL, *e;
	size_t n = 0, it = 0;
	uint64_t total = 0;

	while ((e = hashmap__next(&s->objs, &it)))
		total += symobj__dwarf_bytes(e->so);
	if (total <= budget || !(open = calloc(hashmap__count(&s->objs), sizeof(*open))))
		return;
	it = 0;
	while ((e = hashmap__next(&s->objs, &it)))
		if (symobj__dwarf_bytes(e->so))
			open[n++] = e;
	/* Least recently used first. */
	qsort(open, n, sizeof(*open), cmp_used);
	for (size_t i = 0; i < n && total > budget; i++) {
		total -= symobj__dwarf_bytes(open[i]->so);
		symobj__drop_dwarf(open[i]->so);
	}
	free(open);
}

/* ---- JIT maps ---- */

static bool pid_eq(const void *ctx, const void *key, const void *ent)
{
	(void)ctx;
	return ((const struct pid_map *)ent)->pid == *(const int *)key;
}

/* pid's map entry, its map read on first use. NULL on ENOMEM. */
static struct pid_map *symbolizer__perfmap(struct symbolizer *s, int pid, bool reload)
{
	struct pid_map *e;
	struct perfmap *pm;
	uint64_t now = clock__ns(CLOCK_MONOTONIC);
	bool added;

	e = hashmap__insert(&s->pms, hash__u64((uint32_t)pid), &pid, pid_eq, NULL, &added);
	if (!e || (!added && (!reload || now - e->loaded_ns < PERFMAP_RELOAD_NS)))
		return e;
	e->pid = pid;
	e->loaded_ns = now;
	pm = perfmap__load(pid);
	if (!pm && errno == EPERM && added)
		log_debug("symbolizer: pid %d: /tmp/perf-PID.map ignored: owned by neither the "
			  "process's user nor root (anyone could have written it), JIT frames stay "
			  "unnamed", pid);
	else if (!pm && errno == ELOOP && added)
		log_debug("symbolizer: pid %d: /tmp/perf-PID.map ignored: a symlink, JIT frames "
			  "stay unnamed", pid);
	else if (!pm && errno != ENOENT && added)
		log_debug("symbolizer: pid %d: /tmp/perf-PID.map: %s, JIT frames stay unnamed", pid,
			  strerror(errno));
	/* A map that went away (the process exited and removed it) keeps what it named. */
	if (pm) {
		perfmap__free(e->pm);
		e->pm = pm;
	}
	return e;
}

void symbolizer__forget(struct symbolizer *s, int pid)
{
	struct pid_map *e = hashmap__find(&s->pms, hash__u64((uint32_t)pid), &pid, pid_eq, NULL);

	if (!e)
		return;
	perfmap__free(e->pm);
	hashmap__remove(&s->pms, e);
}

int symbolizer__resolve_perfmap(struct symbolizer *s, int pid, uint64_t addr,
				struct sym_result *res)
{
	struct pid_map *e;
	const char *name;
	uint64_t start;

	memset(res, 0, sizeof(*res));
	if (pid <= 0 || !(e = symbolizer__perfmap(s, pid, false)))
		return -ENOENT;
	if (!e->pm || perfmap__find(e->pm, addr, &name, &start)) {
		e = symbolizer__perfmap(s, pid, true);
		if (!e || !e->pm || perfmap__find(e->pm, addr, &name, &start))
			return -ENOENT;
	}
	res->n = 1;
	res->frames[0].name = res->frames[0].system_name = name;
	res->sym_start = start;
	return 0;
}

/* ---- kernel ---- */

/* Distinct kernel addresses named one by one (~2 us each) before the whole of kallsyms is
 * read instead (~60 ms). */
#define KSYM_BPF_MAX 16384

/* addr named by the kernel itself (ksymbpf.h): 0 when it was, nonzero when kallsyms must
 * answer (for a file given in the options, for what the kernel does not name, for a report
 * past KSYM_BPF_MAX addresses, or when the resolver cannot load). */
static int kernel_by_bpf(struct symbolizer *s, uint64_t addr, const char **name,
			 uint64_t *start, const char **mod)
{
	int err;

	if (s->kallsyms_path || s->ks || s->kb_done)
		return -ENOENT;
	if (!s->kb_tried) {
		s->kb_tried = true;
		s->kb = ksymbpf__open();
		s->kb_done = !s->kb;
		if (!s->kb) {
			log_debug("symbolizer: kernel symbol lookup: %s; reading /proc/kallsyms",
				  strerror(errno));
			return -ENOENT;
		}
	}
	err = ksymbpf__find(s->kb, addr, KSYM_BPF_MAX, name, start, mod);
	if (err && err != -ENOENT) {
		log_debug("symbolizer: kernel symbol lookup: %s; reading /proc/kallsyms",
			  err == -E2BIG ? "many addresses" : strerror(-err));
		s->kb_done = true;	/* kb stays: the names it gave are still in use */
	}
	return err;
}

int symbolizer__resolve_kernel(struct symbolizer *s, uint64_t addr, struct sym_result *res,
			       const char **module)
{
	const char *name, *mod;
	uint64_t start;

	memset(res, 0, sizeof(*res));
	*module = "";
	if (!kernel_by_bpf(s, addr, &name, &start, &mod))
		goto found;
	if (!s->ks_tried) {
		const char *path = s->kallsyms_path ? s->kallsyms_path : "/proc/kallsyms";

		s->ks_tried = true;
		s->ks = kallsyms__load(path);
		if (!s->ks)
			log_debug("symbolizer: %s: %s, kernel frames stay unsymbolized", path,
				  strerror(errno));
	}
	if (!s->ks || kallsyms__find(s->ks, addr, &name, &start, &mod))
		return -ENOENT;
found:
	res->n = 1;
	res->frames[0].name = name;
	res->frames[0].system_name = name;
	res->sym_start = start;
	*module = mod ? mod : "";
	return 0;
}

/* ---- lifetime ---- */

static void free_strv(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

static char **dup_strv(const char *const *v)
{
	size_t n = 0, i;
	char **out;

	while (v[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (i = 0; out && i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			free_strv(out);
			return NULL;
		}
	}
	return out;
}

struct symbolizer *symbolizer__new(const struct symbolizer_opts *opts)
{
	const struct symbolizer_opts none = { 0 };
	struct symbolizer *s;

	if (!opts)
		opts = &none;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->objs = (struct hashmap)HASHMAP_INIT(struct obj_ent);
	s->pms = (struct hashmap)HASHMAP_INIT(struct pid_map);
	s->debuginfod = opts->debuginfod;
	s->debug_dirs = dup_strv(opts->debug_dirs ? opts->debug_dirs : default_debug_dirs);
	if (opts->kallsyms_path)
		s->kallsyms_path = strdup(opts->kallsyms_path);
	if (opts->cache_dir)
		s->cache_dir = strdup(opts->cache_dir);
	if (!s->debug_dirs || (opts->kallsyms_path && !s->kallsyms_path) ||
	    (opts->cache_dir && !s->cache_dir)) {
		symbolizer__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	struct obj_ent *o;
	struct pid_map *p;
	size_t it;

	if (!s)
		return;
	for (it = 0; (o = hashmap__next(&s->objs, &it));)
		symobj__free(o->so);
	hashmap__free(&s->objs);
	for (it = 0; (p = hashmap__next(&s->pms, &it));)
		perfmap__free(p->pm);
	hashmap__free(&s->pms);
	kallsyms__free(s->ks);
	ksymbpf__free(s->kb);
	rescache__free(s->cache);
	free_strv(s->debug_dirs);
	free(s->kallsyms_path);
	free(s->cache_dir);
	free(s);
}
