// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/loadlog.h"
#include "core/options.h"
#include "core/procobj.h"
#include "core/sysinfo.h"
#include "cprof.h"
#include "kinds/kind.h"
#include "proc.skel.h"
#include "unwind/unwinder.h"
#include "util/log.h"
#include "util/util.h"

/* Shared unwind arrays: 4M rows (32 MiB) hold the tables of ~150 typical libraries (libc is
 * ~25k rows, the largest C++ libraries ~900k); the page index is 1/4 of that in entries. */
#define UNWIND_ROWS (4u << 20)
#define UNWIND_PAGES (1u << 20)

struct procobj {
	struct proc_bpf *skel;
	struct bpf_map *shared[6];	/* the maps the kinds' objects adopt */
};

/* EPERM/EACCES mean missing privileges, unless we have them: then the verifier refused. */
static const char *perm_hint(int err)
{
	if ((err == -EPERM || err == -EACCES) && !sysinfo__has_bpf_caps())
		return ": run as root, or with CAP_BPF and CAP_PERFMON";
	return " (-v shows libbpf's and the verifier's log)";
}

/* Before load: the options' settings, and the shared maps' sizes (0: as declared). */
static void configure(struct procobj *po, const struct cprof_opts *o)
{
	struct proc_bpf *p = po->skel;
	bool filter = o->n_pids > 0 || o->command;
	struct { struct bpf_map *map; __u32 size; } shared[] = {
		{ p->maps.pids, 65536 },
		{ p->maps.rb, o->ring_mib << 20 },
		{ p->maps.counters, 0 },
		{ p->maps.unwind_rows, UNWIND_ROWS },
		{ p->maps.unwind_pages, UNWIND_PAGES },
		{ p->maps.proc_maps, filter ? 1024 : 8192 },
	};

	_Static_assert(ARRAY_SIZE(shared) == ARRAY_SIZE(po->shared), "shared maps");
	p->rodata->filter_pids = filter;
	p->rodata->wakeup_bytes = (__u64)o->ring_mib << 18;
	p->rodata->follow_children = o->command != NULL;
	/* Host-wide there is no filter to keep: nothing runs at each task's free. */
	bpf_program__set_autoload(p->progs.cprof_free, filter);
	for (size_t i = 0; i < ARRAY_SIZE(shared); i++) {
		if (shared[i].size)
			bpf_map__set_max_entries(shared[i].map, shared[i].size);
		po->shared[i] = shared[i].map;
	}
}

/* Creates the shared maps as libbpf would at this object's load, from their declarations
 * (maps.bpf.h) and the sizes configure() set, and makes this object use them like any other:
 * then every object, this one too, can load at once. Returns 0 or -errno (reported). */
static int create_shared(struct procobj *po)
{
	for (size_t i = 0; i < ARRAY_SIZE(po->shared); i++) {
		struct bpf_map *m = po->shared[i];
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = bpf_map__map_flags(m));
		int fd, err;

		fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
				    bpf_map__value_size(m), bpf_map__max_entries(m), &mo);
		if (fd < 0) {
			err = -errno;
			log_error("creating BPF map %s: %s%s", bpf_map__name(m), strerror(-err),
				  perm_hint(err));
			return err;
		}
		err = bpf_map__reuse_fd(m, fd);	/* a duplicate of fd */
		close(fd);
		if (err) {
			log_error("sharing BPF map %s: %s", bpf_map__name(m), strerror(-err));
			return err;
		}
	}
	return 0;
}

int procobj__open(const struct cprof_opts *o, struct procobj **out)
{
	struct procobj *po = calloc(1, sizeof(*po));
	int err;

	if (!po)
		return -ENOMEM;
	po->skel = proc_bpf__open();
	if (!po->skel) {
		err = -errno;
		log_error("cannot open BPF objects: %s", strerror(-err));
		goto fail;
	}
	configure(po, o);
	*out = po;
	return 0;
fail:
	procobj__free(po);
	return err;
}

int procobj__share(struct procobj *po, struct kind_env *env)
{
	int err = create_shared(po);

	kind_env__share(env, po->shared, ARRAY_SIZE(po->shared), err);
	return err;
}

int procobj__load(struct procobj *po)
{
	int err;

	loadlog__begin();
	err = proc_bpf__load(po->skel);
	loadlog__end();
	if (err)
		log_error("loading the process-tracking BPF programs: %s%s", strerror(-err),
			  perm_hint(err));
	return err;
}

void procobj__free(struct procobj *po)
{
	if (!po)
		return;
	proc_bpf__destroy(po->skel);
	free(po);
}

int procobj__attach(struct procobj *po)
{
	int err;

	loadlog__begin();
	err = proc_bpf__attach(po->skel);
	loadlog__end();
	if (err)
		log_error("attaching process lifecycle tracepoints: %s%s", strerror(-err),
			  perm_hint(err));
	return err;
}

void procobj__detach(struct procobj *po)
{
	if (po)
		proc_bpf__detach(po->skel);
}

int procobj__watch_pid(struct procobj *po, int pid)
{
	__u32 key = pid;
	__u64 any = 0;	/* a target: its entry goes at the free of any process with its pid */

	if (bpf_map_update_elem(bpf_map__fd(po->skel->maps.pids), &key, &any, BPF_ANY))
		return -errno;
	return 0;
}

/* Tables are cached by build-id in CPROF_CACHE_DIR, else /var/cache/cprof-bpf, created
 * 0700. Their rows steer the BPF unwinder, so a directory someone else could write into
 * (not ours, or group- or world-writable) is not used; neither costs more than rebuilding
 * every table, and -v says why. */
static const char *cache_dir_check(const struct cprof_opts *o)
{
	const char *dir = o->cache_dir ? o->cache_dir : "/var/cache/cprof-bpf";
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_debug("cache disabled (unwind tables, debuginfo): cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &st)) {
		log_debug("cache disabled (unwind tables, debuginfo): %s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		log_debug("cache disabled (unwind tables, debuginfo): %s is %s (owner uid %u, mode "
			  "%04o); it must be a directory of uid %u that only its owner can write", dir,
			  S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			  (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			  (unsigned int)geteuid());
		return NULL;
	}
	return dir;
}

const char *procobj__cache_dir(const struct cprof_opts *o)
{
	static const struct cprof_opts *checked;
	static const char *dir;

	if (checked != o) {
		dir = cache_dir_check(o);
		checked = o;
	}
	return dir;
}

int procobj__unwinder(const struct procobj *po, const struct cprof_opts *o,
		      struct debuginfod *dfd, struct unwinder **out)
{
	struct unwinder_opts uo = {
		.rows_fd = bpf_map__fd(po->skel->maps.unwind_rows),
		.pages_fd = bpf_map__fd(po->skel->maps.unwind_pages),
		.proc_maps_fd = bpf_map__fd(po->skel->maps.proc_maps),
		.obj_tables_fd = bpf_map__fd(po->skel->maps.obj_tables),
		.max_rows = UNWIND_ROWS,
		.max_pages = UNWIND_PAGES,
		.cache_dir = procobj__cache_dir(o),
		.debug_dirs = (const char *const *)o->debug_dirs,
		.debuginfod = dfd,
	};
	int err;

	*out = unwinder__new(&uo);
	if (!*out) {
		err = -errno;
		log_error("cannot map the unwind table arrays: %s", strerror(-err));
		return err;
	}
	return 0;
}

struct ring_buffer *procobj__ring_buffer(struct procobj *po, ring_buffer_sample_fn fn,
					 void *ctx)
{
	return ring_buffer__new(bpf_map__fd(po->skel->maps.rb), fn, ctx, NULL);
}

void procobj__read_counters(const struct procobj *po, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(po->skel->maps.counters);
	uint64_t *vals;

	memset(out, 0, CPROF_CNT_NR * sizeof(*out));
	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return;
	for (uint32_t k = 0; k < CPROF_CNT_NR; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
}
