// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The heap profile's probes: which objects of a process are allocators (or its dynamic
 * linker), and attaching to them in the probe mode the kernel accepted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cprof.h"
#include "elf/elfdeps.h"
#include "elf/elffile.h"
#include "heap.skel.h"
#include "kinds/allocobj.h"
#include "kinds/heap.h"
#include "proc/procmaps.h"
#include "util/log.h"
#include "util/clock.h"
#include "util/vec.h"

/* BPF_LINK_CREATE for uprobe_multi links (a session, or plain uprobes/uretprobes), which
 * this libbpf predates: the link_create member of union bpf_attr as the kernel defines it
 * (include/uapi/linux/bpf.h, Linux 6.6 and 6.13). */
static int link_multi(int prog_fd, uint32_t attach_type, uint32_t flags, const char *path,
		      const unsigned long *offs, const uint64_t *cookies, uint32_t cnt, int pid)
{
	union {
		struct {
			uint32_t prog_fd, target_fd, attach_type, flags;
			uint64_t path, offsets, ref_ctr_offsets, cookies;
			uint32_t cnt, flags2, pid;
		} l;
		char pad[128];
	} a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.l.prog_fd = prog_fd;
	a.l.attach_type = attach_type;
	a.l.path = (uint64_t)(uintptr_t)path;
	a.l.offsets = (uint64_t)(uintptr_t)offs;
	a.l.cookies = (uint64_t)(uintptr_t)cookies;
	a.l.cnt = cnt;
	a.l.flags2 = flags;
	a.l.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

/* The probe's attach cookie: its function, where its arguments are, the process. */
static uint64_t cookie_of(const struct allocobj_probe *pr, uint32_t pid)
{
	return CPROF_HEAP_COOKIE(pr->cookie | pr->args, pid);
}

/* MODE_PERF_RET: a perf-event uprobe per function, and a uretprobe per allocating one. */
static int attach_perf(struct heap *h, const struct allocobj *ao, const char *path,
		       struct probed *p)
{
	p->perf = calloc(2 * ao->n, sizeof(*p->perf));
	if (!p->perf)
		return -ENOMEM;
	for (size_t i = 0; i < ao->n; i++)
		for (int ret = 0; ret < 2; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret,
				    .bpf_cookie = cookie_of(&ao->probes[i], p->pid));
			struct bpf_link *l;

			if (ret && ao->probes[i].cookie == CPROF_HEAP_FREE)
				continue;
			l = bpf_program__attach_uprobe_opts(ret ? h->skel->progs.cprof_heap_return :
							    h->skel->progs.cprof_heap_entry,
							    p->pid, path, ao->probes[i].off, &uo);
			if (!l)
				return -errno;
			p->perf[p->n_perf++] = l;
		}
	return 0;
}

/* Attaches the object's probes in the current mode: one link for every function (the
 * cookie says which) where the kernel has uprobe_multi, so a process has one or two links
 * per allocator object: each link's release waits for an RCU grace period, and a run
 * should not end (or start) one of those per function. */
static int attach_obj(struct heap *h, const struct allocobj *ao, const char *path,
		      struct probed *p)
{
	unsigned long offs[ALLOCOBJ_MAX_PROBES];
	uint64_t cookies[ALLOCOBJ_MAX_PROBES];
	uint32_t n = 0, n_ret = 0;
	int fd;

	if (h->mode == MODE_PERF_RET)
		return attach_perf(h, ao, path, p);
	/* Allocating functions first: the return link takes the first n_ret. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ao->n; i++)
			if ((ao->probes[i].cookie == CPROF_HEAP_FREE) == pass) {
				offs[n] = ao->probes[i].off;
				cookies[n++] = cookie_of(&ao->probes[i], p->pid);
				n_ret += !pass;
			}
	if (h->mode == MODE_SESSION) {
		fd = link_multi(bpf_program__fd(h->skel->progs.cprof_heap_probe),
				ATTACH_UPROBE_SESSION, 0, path, offs, cookies, n, p->pid);
		if (fd < 0)
			return fd;
		p->fds[p->n_fds++] = fd;
		return 0;
	}
	fd = link_multi(bpf_program__fd(h->skel->progs.cprof_heap_entry), ATTACH_UPROBE_MULTI, 0,
			path, offs, cookies, n, p->pid);
	if (fd < 0)
		return fd;
	p->fds[p->n_fds++] = fd;
	fd = n_ret ? link_multi(bpf_program__fd(h->skel->progs.cprof_heap_return),
				ATTACH_UPROBE_MULTI, UPROBE_MULTI_RETURN, path, offs, cookies, n_ret,
				p->pid) : -1;
	if (fd < -1)
		return fd;
	if (fd >= 0)
		p->fds[p->n_fds++] = fd;
	return 0;
}

/* The object at path, read once per file: an index into h->objs, or -errno. */
static long object_info(struct heap *h, const char *path)
{
	struct alloc_obj ao = { 0 };
	int fd, err = elf_file__open_regular(path, &fd);
	struct stat sb;

	if (err)
		return err;
	if (fstat(fd, &sb)) {
		err = -errno;
		close(fd);
		return err;
	}
	for (size_t i = 0; i < h->n_objs; i++)
		if (h->objs[i].dev == sb.st_dev && h->objs[i].ino == sb.st_ino) {
			close(fd);
			return (long)i;
		}
	ao.dev = sb.st_dev;
	ao.ino = sb.st_ino;
	ao.err = allocobj__read(fd, &ao.plan);
	close(fd);
	if (VEC_PUSH(h->objs, h->n_objs, h->cap_objs, ao))
		return -ENOMEM;
	return (long)h->n_objs - 1;
}

static void probed_close(struct probed *p)
{
	for (size_t i = 0; i < p->n_fds; i++)
		close(p->fds[i]);
	p->n_fds = 0;
	for (size_t i = 0; i < p->n_perf; i++)
		bpf_link__destroy(p->perf[i]);
	free(p->perf);
	p->perf = NULL;
	p->n_perf = 0;
	bpf_link__destroy(p->dl);
	p->dl = NULL;
}

static void print_placement(const struct heap *h, const struct probed *p)
{
	const struct allocobj *ao = &h->objs[p->obj].plan;
	char buf[1024];

	char more[64] = "";

	allocobj__describe(ao, buf, sizeof(buf));
	if (ao->n_delegating)
		snprintf(more, sizeof(more), "; %zu more functions only call these",
			 ao->n_delegating);
	log_debug("heap probes in %s (pid %d%s): %s%s", p->name, p->pid,
		  h->after_dlopen ? ", mapped by dlopen" : "", buf, more);
}

/* Kernels without uprobe sessions refuse the link (unknown attach type, or a program they
 * cannot attach that way). */
static bool no_sessions(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP_KERNEL;
}

/* Probes the allocator of object obj (path) in pid, and hooks its dlopen if it is the
 * dynamic linker. */
static int attach_probed(struct heap *h, const char *path, struct probed *p)
{
	const struct allocobj *ao = &h->objs[p->obj].plan;
	int err = 0;

	if (ao->dl_hook) {
		p->dl = bpf_program__attach_uprobe(h->skel->progs.cprof_heap_dlopen, false, p->pid,
						   path, ao->dl_hook);
		if (!p->dl)	/* the periodic rescan still finds what dlopen maps */
			log_error("heap profile: cannot hook dlopen in %s (pid %d): %s; allocators "
				  "it loads are found by a rescan every 250 ms", path, p->pid,
				  strerror(errno));
		else
			log_debug("heap profile: dlopen hook in %s (pid %d)", p->name, p->pid);
	}
	if (!p->alloc)
		return 0;
	err = attach_obj(h, ao, path, p);
	while (err && !h->any_link && h->mode < MODE_PERF_RET && no_sessions(err)) {
		for (size_t i = 0; i < p->n_fds; i++)
			close(p->fds[i]);
		p->n_fds = 0;
		if (heap__switch_mode(h, h->mode + 1))
			break;
		err = attach_obj(h, ao, path, p);
	}
	if (!err)
		h->any_link = true;
	return err;
}

/* Probes path in pid if it is an allocator object (or the dynamic linker) not probed there
 * yet. */
static int probe_path(struct heap *h, int pid, const char *path)
{
	long obj = object_info(h, path);
	const char *base = strrchr(path, '/');
	const struct alloc_obj *ao;
	struct probed p = { .pid = pid };
	int err;

	if (obj < 0)
		return 0;
	ao = &h->objs[obj];
	if (ao->err || (!ao->plan.has && !ao->plan.dl_hook))
		return 0;
	for (size_t i = 0; i < h->n_probed; i++)
		if (h->probed[i].pid == pid && h->probed[i].dev == ao->dev &&
		    h->probed[i].ino == ao->ino)
			return 0;
	p.dev = ao->dev;
	p.ino = ao->ino;
	p.obj = (size_t)obj;
	p.alloc = ao->plan.has;
	snprintf(p.name, sizeof(p.name), "%s", base ? base + 1 : path);
	err = attach_probed(h, path, &p);
	if (err) {
		log_error("heap profile: cannot attach uprobes to %s in pid %d: %s", path, pid,
			  strerror(-err));
		probed_close(&p);
		return err;
	}
	if (VEC_PUSH(h->probed, h->n_probed, h->cap_probed, p)) {
		probed_close(&p);
		return -ENOMEM;
	}
	if (p.alloc && log__verbose())
		print_placement(h, &p);
	return 0;
}

static int remember_pid(struct heap *h, int pid)
{
	for (size_t i = 0; i < h->n_pids; i++)
		if (h->pids[i] == pid)
			return 0;
	return VEC_PUSH(h->pids, h->n_pids, h->cap_pids, pid);
}

/* pid is COMMAND's process still running our own image (forked, not exec'ed yet). */
static bool our_fork(struct heap *h, int pid)
{
	struct stat a, b;
	char exe[64];

	if (!pid || pid != h->pre_exec_pid)
		return false;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (!stat(exe, &a) && !stat("/proc/self/exe", &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return true;
	h->pre_exec_pid = 0;
	return false;
}

/* Allocator objects among pid's executable mappings, opened through its root (so a
 * process in another mount namespace works too). */
static int scan_pid(struct heap *h, int pid)
{
	struct procmaps *pm;
	char path[4096];
	int err = 0;

	if (our_fork(h, pid))	/* its maps are the profiler's, not the command's */
		return 0;
	pm = procmaps__load(pid, NULL);
	if (!pm)	/* gone: its exit is noticed and reported elsewhere */
		return errno == ESRCH || errno == ENOENT ? 0 : -errno;
	for (size_t i = 0; i < procmaps__count(pm); i++) {
		const struct procmaps_entry *e = procmaps__entry(pm, i);
		int r;

		if (!(e->prot & PM_X) || e->path[0] != '/' || e->deleted)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/root%s", pid, e->path);
		r = probe_path(h, pid, path);
		if (r && !err)
			err = r;
	}
	procmaps__free(pm);
	return err;
}

/* execvp's search: a name without '/' is looked up in PATH. */
static bool resolve_exe(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return !access(out, X_OK);
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(out, len, "%.*s/%s", (int)(end - p), end == p ? "." : p, name);
		if (!access(out, X_OK))
			return true;
	}
	return false;
}

struct needed_ctx {
	struct heap *h;
	int pid;
};

static void probe_dep(const char *path, void *ctx)
{
	struct needed_ctx *c = ctx;

	probe_path(c->h, c->pid, path);
}

/* The dynamic linker and the libraries exe names (elf/elfdeps.h): an allocator among them
 * (jemalloc, tcmalloc) is probed before the loader maps it, so the first allocations are
 * seen; so is the dynamic linker's dlopen hook. */
static void probe_needed(struct heap *h, int pid, const char *exe)
{
	struct needed_ctx c = { h, pid };
	int fd = open(exe, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	elfdeps__each(fd, probe_dep, &c);
	close(fd);
}

int heap__watch(struct heap *h, int pid, const char *exe)
{
	int err = remember_pid(h, pid);
	char path[4096];

	if (pid == h->pre_exec_pid)	/* its exec: its maps are its own from now on */
		h->pre_exec_pid = 0;
	/* Before its exec COMMAND maps our own objects: its executable and what it names are
	 * what it will map, and its exec event brings the full scan (the periodic rescan
	 * leaves it alone until then, see our_fork). Reading our forty-odd libraries here
	 * cost the command's start ~10 ms, and took the profiler's own allocator (the
	 * sanitizer build's malloc) for the command's. */
	if (!err && exe && resolve_exe(exe, path, sizeof(path))) {
		err = probe_path(h, pid, path);
		probe_needed(h, pid, path);
		h->pre_exec_pid = pid;
		return err;
	}
	if (!err)
		err = scan_pid(h, pid);
	return err;
}

void heap__poll(struct heap *h, unsigned int interval_ms)
{
	double t = clock__secs(CLOCK_MONOTONIC);

	if (!h || t - h->last_scan < interval_ms / 1e3)
		return;
	h->last_scan = t;
	for (size_t i = 0; i < h->n_pids; i++)
		scan_pid(h, h->pids[i]);
}

void heap__rescan(struct heap *h, int pid)
{
	if (!h)
		return;
	h->after_dlopen = true;
	scan_pid(h, pid);
	h->after_dlopen = false;
}

void heap__detach(struct heap *h)
{
	for (size_t i = 0; h && i < h->n_probed; i++)
		probed_close(&h->probed[i]);
}

void heap__free_probes(struct heap *h)
{
	free(h->objs);
	free(h->probed);
	free(h->pids);
}
