// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gelf.h>

#include "cprof.h"
#include "kinds/allocobj.h"
#include "elf/elffile.h"
#include "kinds/heap.h"
#include "heap.skel.h"
#include "kinds/kind.h"
#include "proc/procmaps.h"
#include "report/report.h"
#include "report/stacks.h"

/* enum bpf_attach_type values newer than the installed UAPI headers. */
#define ATTACH_UPROBE_MULTI 48		/* Linux 6.6 */
#define ATTACH_UPROBE_SESSION 57	/* Linux 6.13 */
#define UPROBE_MULTI_RETURN 1u		/* BPF_F_UPROBE_MULTI_RETURN */
#define ENOTSUPP_KERNEL 524		/* the kernel's ENOTSUPP, which leaks to user space */

/* What one ELF file provides, by identity. */
struct alloc_obj {
	uint64_t dev, ino;
	int err;		/* reading it failed: not an allocator */
	struct allocobj plan;
};

/* How allocating calls get their return value. */
enum heap_mode {
	MODE_SESSION,		/* uprobe sessions: only sampled calls pay for the return */
	MODE_MULTI_RET,		/* uprobe_multi + uretprobe_multi links (Linux 6.6+) */
	MODE_PERF_RET,		/* one perf-event uprobe and uretprobe per function */
};

/* Probes attached for one (process, object). */
struct probed {
	int pid;
	uint64_t dev, ino;
	size_t obj;		/* index into heap.objs */
	char name[64];
	bool alloc;		/* allocator probes (else only the dlopen hook) */
	int fds[2];		/* session or entry link, return link */
	size_t n_fds;
	struct bpf_link **perf;	/* MODE_PERF_RET: a link per probe and return probe */
	size_t n_perf;
	struct bpf_link *dl;	/* the dlopen hook, if the object is the dynamic linker */
};

struct live {
	uint32_t pid;
	uint64_t ptr;		/* 0 = empty slot */
	size_t index;		/* the allocation's stack */
};

struct heap {
	struct heap_bpf *skel;
	struct heap_opts opts;	/* kept to reload in another mode */
	enum heap_mode mode;
	bool any_link;		/* a probe was attached: the mode is settled */
	bool after_dlopen;	/* the scan under way was asked for by the dlopen hook */
	struct stacks *st;
	uint64_t rate;
	bool verbose;
	struct alloc_obj *objs;
	size_t n_objs;
	struct probed *probed;
	size_t n_probed;
	int *pids;		/* watched processes, for re-scans */
	size_t n_pids;
	double last_scan;
	struct live *live;	/* open addressing, linear probing */
	size_t n_live, cap_live;
	uint64_t allocs, frees, unmatched_frees;
	unsigned char *rec;	/* a record being rewritten for aggregation */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double heap__weight(uint64_t size, uint64_t rate)
{
	if (!size || !rate)
		return 1.0;
	return 1.0 / -expm1(-(double)size / (double)rate);
}

void heap__draws(uint64_t *draws, size_t n, uint64_t rate, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		double v = -(double)rate * log1p(-((double)i + 0.5) / (double)n);

		draws[i] = v < 1 ? 1 : (uint64_t)llround(v);
	}
	for (size_t i = n; i > 1; i--) {	/* Fisher-Yates with xorshift64 */
		size_t j;
		uint64_t t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % i;
		t = draws[i - 1];
		draws[i - 1] = draws[j];
		draws[j] = t;
	}
}

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
	struct alloc_obj ao = { 0 }, *v;
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
	v = realloc(h->objs, (h->n_objs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->objs = v;
	v[h->n_objs] = ao;
	return (long)h->n_objs++;
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

	allocobj__describe(ao, buf, sizeof(buf));
	fprintf(stderr, "cprof-bpf: heap probes in %s (pid %d%s): %s", p->name, p->pid,
		h->after_dlopen ? ", mapped by dlopen" : "", buf);
	if (ao->n_delegating)
		fprintf(stderr, "; %zu more functions only call these", ao->n_delegating);
	fputc('\n', stderr);
}

/* Kernels without uprobe sessions refuse the link (unknown attach type, or a program they
 * cannot attach that way). */
static bool no_sessions(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP_KERNEL;
}

static int switch_mode(struct heap *h, enum heap_mode mode);

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
			fprintf(stderr, "cprof-bpf: heap profile: cannot hook dlopen in %s (pid %d): "
				"%s; allocators it loads are found by a rescan every 250 ms\n",
				path, p->pid, strerror(errno));
		else if (h->verbose)
			fprintf(stderr, "cprof-bpf: heap profile: dlopen hook in %s (pid %d)\n",
				p->name, p->pid);
	}
	if (!p->alloc)
		return 0;
	err = attach_obj(h, ao, path, p);
	while (err && !h->any_link && h->mode < MODE_PERF_RET && no_sessions(err)) {
		for (size_t i = 0; i < p->n_fds; i++)
			close(p->fds[i]);
		p->n_fds = 0;
		if (switch_mode(h, h->mode + 1))
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
	struct probed p = { .pid = pid }, *v;
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
		fprintf(stderr, "cprof-bpf: heap profile: cannot attach uprobes to %s in pid %d: "
			"%s\n", path, pid, strerror(-err));
		probed_close(&p);
		return err;
	}
	v = realloc(h->probed, (h->n_probed + 1) * sizeof(*v));
	if (!v) {
		probed_close(&p);
		return -ENOMEM;
	}
	h->probed = v;
	v[h->n_probed++] = p;
	if (h->verbose && p.alloc)
		print_placement(h, &p);
	return 0;
}

static int remember_pid(struct heap *h, int pid)
{
	int *v;

	for (size_t i = 0; i < h->n_pids; i++)
		if (h->pids[i] == pid)
			return 0;
	v = realloc(h->pids, (h->n_pids + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->pids = v;
	v[h->n_pids++] = pid;
	return 0;
}

/* Allocator objects among pid's executable mappings, opened through its root (so a
 * process in another mount namespace works too). */
static int scan_pid(struct heap *h, int pid)
{
	struct procmaps *pm = procmaps__load(pid, NULL);
	char path[4096];
	int err = 0;

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

/* exe's dynamic linker (PT_INTERP): its dlopen hook is in place before the program runs. */
static void probe_interp(struct heap *h, int pid, Elf *e, int fd)
{
	char path[4096];
	size_t n;

	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_INTERP || !ph.p_filesz ||
		    ph.p_filesz >= sizeof(path) ||
		    pread(fd, path, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			continue;
		path[ph.p_filesz] = 0;
		if (path[0] == '/' && strlen(path) == ph.p_filesz - 1)
			probe_path(h, pid, path);
		return;
	}
}

/* The libraries exe names (DT_NEEDED), found the way the loader mostly does: its RUNPATH,
 * then the system directories. An allocator among them (jemalloc, tcmalloc) is probed
 * before the loader maps it, so the first allocations are seen; so is the dynamic
 * linker's dlopen hook. */
static void probe_needed(struct heap *h, int pid, const char *exe)
{
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib", "/usr/local/lib" };
	int fd = open(exe, O_RDONLY | O_CLOEXEC);
	const char *runpath = NULL;
	Elf_Scn *scn = NULL;
	char path[4096];
	Elf *e;

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e)
		probe_interp(h, pid, e, fd);
	while (e && (scn = elf_nextscn(e, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !d || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && gelf_getdyn(d, i, &dyn); i++)
			if (dyn.d_tag == DT_RUNPATH || dyn.d_tag == DT_RPATH)
				runpath = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && gelf_getdyn(d, i, &dyn); i++) {
			const char *lib = dyn.d_tag == DT_NEEDED ?
					  elf_strptr(e, sh.sh_link, dyn.d_un.d_val) : NULL;
			bool found = false;

			if (!lib || strchr(lib, '/'))
				continue;
			if (runpath && !strchr(runpath, ':') && !strchr(runpath, '$')) {
				snprintf(path, sizeof(path), "%s/%s", runpath, lib);
				found = !access(path, R_OK);
			}
			for (size_t j = 0; !found && j < sizeof(dirs) / sizeof(dirs[0]); j++) {
				snprintf(path, sizeof(path), "%s/%s", dirs[j], lib);
				found = !access(path, R_OK);
			}
			if (found)
				probe_path(h, pid, path);
		}
	}
	elf_end(e);
	close(fd);
}

int heap__watch(struct heap *h, int pid, const char *exe)
{
	int err = remember_pid(h, pid);
	char path[4096];

	if (!err && exe && resolve_exe(exe, path, sizeof(path))) {
		err = probe_path(h, pid, path);
		probe_needed(h, pid, path);
	}
	if (!err)
		err = scan_pid(h, pid);
	return err;
}

void heap__poll(struct heap *h, unsigned int interval_ms)
{
	double t = mono();

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

static int fill_draws(struct heap *h)
{
	uint64_t draws[CPROF_HEAP_DRAWS];
	int fd = bpf_map__fd(h->skel->maps.heap_draws);

	heap__draws(draws, CPROF_HEAP_DRAWS, h->rate, (uint64_t)time(NULL) ^ getpid());
	for (uint32_t i = 0; i < CPROF_HEAP_DRAWS; i++)
		if (bpf_map_update_elem(fd, &i, &draws[i], BPF_ANY))
			return -errno;
	return 0;
}

static const char *const mode_names[] = {
	[MODE_SESSION] = "uprobe sessions",
	[MODE_MULTI_RET] = "uprobe_multi and uretprobe_multi links",
	[MODE_PERF_RET] = "perf-event uprobes and uretprobes",
};

/* Opens and loads the object with the programs of mode. */
static int load(struct heap *h, enum heap_mode mode)
{
	const struct heap_opts *o = &h->opts;
	enum bpf_attach_type ret_type = (enum bpf_attach_type)(mode == MODE_MULTI_RET ?
							       ATTACH_UPROBE_MULTI : 0);
	struct heap_bpf *s;
	int err;

	heap_bpf__destroy(h->skel);
	h->skel = s = heap_bpf__open();
	if (!s) {
		err = -errno;
		fprintf(stderr, "cprof-bpf: cannot open the heap profile object: %s\n",
			strerror(-err));
		return err;
	}
	h->mode = mode;
	s->rodata->filter_pids = o->filter_pids;
	s->rodata->max_user_frames = o->max_depth;
	s->rodata->wakeup_bytes = o->wakeup_bytes;
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_probe,
					      (enum bpf_attach_type)ATTACH_UPROBE_SESSION);
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_entry, ret_type);
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_return, ret_type);
	bpf_program__set_autoload(s->progs.cprof_heap_probe, mode == MODE_SESSION);
	bpf_program__set_autoload(s->progs.cprof_heap_entry, mode != MODE_SESSION);
	bpf_program__set_autoload(s->progs.cprof_heap_return, mode != MODE_SESSION);
	if ((err = kind__adopt_maps(s->obj, o->env))) {
		fprintf(stderr, "cprof-bpf: heap profile: sharing BPF maps: %s\n", strerror(-err));
		return err;
	}
	if ((err = heap_bpf__load(s)))
		return err;
	if ((err = fill_draws(h)))
		fprintf(stderr, "cprof-bpf: heap profile: cannot fill heap_draws: %s\n",
			strerror(-err));
	return err;
}

/* Before any probe is attached: the kernel refused this mode's programs or links. */
static int switch_mode(struct heap *h, enum heap_mode mode)
{
	int err = load(h, mode);

	if (err)
		fprintf(stderr, "cprof-bpf: loading the heap profile programs for %s: %s\n",
			mode_names[mode], strerror(-err));
	else if (h->verbose)
		fprintf(stderr, "cprof-bpf: heap profile: using %s\n", mode_names[mode]);
	return err;
}

struct heap *heap__open(const struct heap_opts *o)
{
	struct heap *h = calloc(1, sizeof(*h));
	enum heap_mode mode;
	int err;

	if (!h)
		return NULL;
	h->opts = *o;
	h->st = o->st;
	h->rate = o->rate ? o->rate : 1;
	h->verbose = o->verbose;
	h->rec = malloc(CPROF_SAMPLE_MAX_SIZE);
	if (!h->rec) {
		err = -ENOMEM;
		goto fail;
	}
	/* Feature detection by trying: a kernel without uprobe sessions refuses the session
	 * program (its kfunc, its attach type); then the return-probe programs. */
	mode = o->force_uretprobes == 2 ? MODE_PERF_RET :
	       o->force_uretprobes ? MODE_MULTI_RET : MODE_SESSION;
	err = load(h, mode);
	while (err && err != -EPERM && mode < MODE_PERF_RET)
		err = load(h, ++mode);
	if (err)
		goto fail;	/* the caller says why: the last mode, every kernel's, failed */
	if (h->verbose)
		fprintf(stderr, "cprof-bpf: heap profile: using %s\n", mode_names[h->mode]);
	return h;
fail:
	heap__free(h);
	errno = -err;
	return NULL;
}

const char *heap__mode_name(const struct heap *h)
{
	return mode_names[h->mode];
}

struct bpf_object *heap__object(const struct heap *h)
{
	return h->skel->obj;
}

void heap__free(struct heap *h)
{
	if (!h)
		return;
	heap__detach(h);
	heap_bpf__destroy(h->skel);
	free(h->objs);
	free(h->probed);
	free(h->pids);
	free(h->live);
	free(h->rec);
	free(h);
}

static size_t live_slot(const struct heap *h, uint32_t pid, uint64_t ptr)
{
	uint64_t k = (ptr ^ ((uint64_t)pid << 47)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(k >> 20) & (h->cap_live - 1);
}

static int live_grow(struct heap *h)
{
	size_t old = h->cap_live, cap = old ? old * 2 : 4096;
	struct live *o = h->live, *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	h->live = v;
	h->cap_live = cap;
	for (size_t i = 0; i < old; i++) {
		size_t j;

		if (!o[i].ptr)
			continue;
		for (j = live_slot(h, o[i].pid, o[i].ptr); v[j].ptr; j = (j + 1) & (cap - 1))
			;
		v[j] = o[i];
	}
	free(o);
	return 0;
}

static int live_put(struct heap *h, uint32_t pid, uint64_t ptr, size_t index)
{
	size_t j;

	if ((h->n_live + 1) * 2 > h->cap_live && live_grow(h))
		return -ENOMEM;
	for (j = live_slot(h, pid, ptr); h->live[j].ptr; j = (j + 1) & (h->cap_live - 1))
		if (h->live[j].ptr == ptr && h->live[j].pid == pid)
			break;
	if (!h->live[j].ptr)
		h->n_live++;
	h->live[j] = (struct live){ .pid = pid, .ptr = ptr, .index = index };
	return 0;
}

/* Removes (pid, ptr); backward-shift deletion keeps probe chains intact. */
static bool live_take(struct heap *h, uint32_t pid, uint64_t ptr, size_t *index)
{
	size_t mask = h->cap_live - 1, i, j, k;

	if (!h->cap_live)
		return false;
	for (i = live_slot(h, pid, ptr); h->live[i].ptr; i = (i + 1) & mask)
		if (h->live[i].ptr == ptr && h->live[i].pid == pid)
			break;
	if (!h->live[i].ptr)
		return false;
	*index = h->live[i].index;
	for (j = (i + 1) & mask; h->live[j].ptr; j = (j + 1) & mask) {
		k = live_slot(h, h->live[j].pid, h->live[j].ptr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			h->live[i] = h->live[j];
			i = j;
		}
	}
	h->live[i].ptr = 0;
	h->n_live--;
	return true;
}

int heap__record(struct heap *h, const struct cprof_sample *r)
{
	struct cprof_sample *c = (struct cprof_sample *)h->rec;
	size_t n = sizeof(*r) + ((size_t)r->n_kernel + r->n_user) * sizeof(__u64), index;
	int err;

	if (r->kind == CPROF_KIND_HEAP_FREE) {
		if (live_take(h, r->pid, r->addr, &index)) {
			stacks__add_values(h->st, index, 0, 1);
			h->frees++;
		} else {
			h->unmatched_frees++;
		}
		return 0;
	}
	if (r->kind != CPROF_KIND_HEAP_ALLOC || n > CPROF_SAMPLE_MAX_SIZE)
		return 0;
	/* Aggregated per (stack, size), as Go's buckets: the pointer is not part of the key. */
	memcpy(c, r, n);
	c->aux = r->value[0];
	c->addr = 0;
	c->value[0] = 1;
	c->value[1] = 0;
	err = stacks__add_index(h->st, c, &index);
	if (!err)
		err = live_put(h, r->pid, r->addr, index);
	h->allocs++;
	return err;
}

void heap__summary(const struct heap *h, const uint64_t *cnt, bool attached_to_running)
{
	if (!h)
		return;
	fprintf(stderr, "  heap: %llu allocations sampled (%llu recorded), %llu of them freed "
		"during the run", (unsigned long long)cnt[CPROF_CNT_HEAP_SAMPLED],
		(unsigned long long)h->allocs, (unsigned long long)h->frees);
	if (cnt[CPROF_CNT_HEAP_NO_STORAGE] || cnt[CPROF_CNT_HEAP_LIVE_FULL])
		fprintf(stderr, "; %llu calls missed (no task storage), %llu frees unmatchable "
			"(live-pointer map full)", (unsigned long long)cnt[CPROF_CNT_HEAP_NO_STORAGE],
			(unsigned long long)cnt[CPROF_CNT_HEAP_LIVE_FULL]);
	fprintf(stderr, "; allocator probes in");
	for (size_t i = 0, n = 0; i < h->n_probed; i++) {
		const struct allocobj *ao = &h->objs[h->probed[i].obj].plan;
		const char *sep = "; single-stepped:";

		if (!h->probed[i].alloc)
			continue;
		fprintf(stderr, "%s %s (pid %d", n++ ? "," : "", h->probed[i].name,
			h->probed[i].pid);
		for (size_t j = 0; j < ao->n; j++)
			if (!ao->probes[j].emulated) {
				fprintf(stderr, "%s %s", sep, ao->probes[j].name);
				sep = ",";
			}
		fputc(')', stderr);
	}
	if (!h->n_probed)
		fprintf(stderr, " none: no process mapped malloc and free");
	fputc('\n', stderr);
	if (h->mode != MODE_SESSION)
		fprintf(stderr, "  heap: uretprobes (%s; %s): each allocation pays a return probe\n",
			h->opts.force_uretprobes ? "CPROF_HEAP_URETPROBES is set" :
			"no uprobe sessions on this kernel", mode_names[h->mode]);
	if (attached_to_running)
		fprintf(stderr, "  heap: allocations made before cprof-bpf attached are not seen; "
			"inuse_* covers what was allocated during the run and is still held\n");
}

static void heap_values(const struct report_kind *k, uint64_t count, const uint64_t value[2],
			int64_t *out)
{
	(void)k;
	(void)value;
	/* [lost samples]: allocations of unknown size. */
	out[0] = (int64_t)count;
	out[1] = out[2] = out[3] = 0;
}

static void heap_stack_values(const struct report_kind *k, const struct stack *s,
			      int64_t *out)
{
	uint64_t size = s->aux, allocs = s->value[0];
	uint64_t inuse = allocs > s->value[1] ? allocs - s->value[1] : 0;
	double w = heap__weight(size, (uint64_t)k->period);

	out[0] = llround(allocs * w);
	out[1] = llround(allocs * w * size);
	out[2] = llround(inuse * w);
	out[3] = llround(inuse * w * size);
}

static size_t heap_labels(const struct stack *s, struct pprof_label *out,
			  char buf[][REPORT_LABEL_LEN])
{
	(void)buf;
	out[0] = (struct pprof_label){ .key = "bytes", .num = (int64_t)s->aux, .num_unit = "bytes" };
	return 1;
}

void heap__report_kind(struct report_kind *k, uint64_t rate)
{
	static const struct pprof_value_type types[] = {
		{ "alloc_objects", "count" },
		{ "alloc_space", "bytes" },
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};

	*k = (struct report_kind){
		.kind = CPROF_KIND_HEAP_ALLOC,
		.name = "heap",
		.file = "heap.pb.gz",
		.types = types,
		.n_types = 4,
		.period_type = { "space", "bytes" },
		.period = (int64_t)rate,
		.values = heap_values,
		.stack_values = heap_stack_values,
		.labels = heap_labels,
	};
}
