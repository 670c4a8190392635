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
#include <capstone/capstone.h>
#include <gelf.h>

#include "cprof.h"
#include "heap.h"
#include "heap.skel.h"
#include "procmaps.h"
#include "report.h"
#include "stacks.h"

/* enum bpf_attach_type value newer than the installed UAPI headers (Linux 6.13). */
#define ATTACH_UPROBE_SESSION 57

/* The allocator entry points, each with the program that handles it. */
enum heap_fn {
	FN_MALLOC, FN_VALLOC, FN_PVALLOC, FN_CALLOC, FN_REALLOC, FN_REALLOCARRAY,
	FN_MEMALIGN, FN_ALIGNED_ALLOC, FN_POSIX_MEMALIGN, FN_FREE, FN_NR
};

static const char *const fn_names[FN_NR] = {
	"malloc", "valloc", "pvalloc", "calloc", "realloc", "reallocarray",
	"memalign", "aligned_alloc", "posix_memalign", "free",
};

/* What one ELF file provides: file offsets of its allocator functions (0 = absent). */
struct alloc_obj {
	uint64_t dev, ino;
	bool has;		/* defines malloc and free */
	uint64_t off[FN_NR];
	long free_shift;	/* free's probe: bytes past its entry (emulated instruction) */
};

/* Probes attached for one (process, object). */
struct probed {
	int pid;
	uint64_t dev, ino;
	char name[64];
	int fds[FN_NR];
	size_t n_fds;
	long free_shift;
};

struct live {
	uint32_t pid;
	uint64_t ptr;		/* 0 = empty slot */
	size_t index;		/* the allocation's stack */
};

struct heap {
	struct heap_bpf *skel;
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

static bool emulated(csh cs, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_PUSH:
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG;
	case X86_INS_NOP:
		return in->size == 1;
	case X86_INS_JCXZ: case X86_INS_JECXZ: case X86_INS_JRCXZ:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		return false;
	default:
		break;
	}
	/* arch/x86/kernel/uprobes.c emulates relative call, jmp and jcc. */
	if (!cs_insn_group(cs, in, CS_GRP_JUMP) && !cs_insn_group(cs, in, CS_GRP_CALL))
		return false;
	return x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
}

static bool writes_rdi(csh cs, const cs_insn *in)
{
	cs_regs rr, rw;
	uint8_t nr, nw;

	if (cs_regs_access(cs, in, rr, &nr, rw, &nw))
		return true;
	for (uint8_t i = 0; i < nw; i++)
		if (rw[i] == X86_REG_RDI || rw[i] == X86_REG_EDI || rw[i] == X86_REG_DI ||
		    rw[i] == X86_REG_DIL)
			return true;
	return false;
}

long heap__probe_offset(const uint8_t *code, size_t len, uint64_t addr)
{
	cs_insn *in = NULL;
	long off = 0;
	size_t n;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -ENOTSUP;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(cs, code, len, addr, 16, &in);
	for (size_t i = 0; i < n; i++) {
		if (emulated(cs, &in[i])) {
			off = (long)(in[i].address - addr);
			break;
		}
		/* Past a branch the instruction is not on every path; past a write of rdi the
		 * argument is gone. */
		if (cs_insn_group(cs, &in[i], CS_GRP_JUMP) || cs_insn_group(cs, &in[i], CS_GRP_CALL) ||
		    cs_insn_group(cs, &in[i], CS_GRP_RET) || cs_insn_group(cs, &in[i], CS_GRP_INT) ||
		    writes_rdi(cs, &in[i]))
			break;
	}
	cs_free(in, n);
	cs_close(&cs);
	return off;
}

static uint64_t vaddr_to_off(Elf *e, uint64_t va)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_filesz)
			return va - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void scan_symbols(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, uint64_t *va)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(d, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (int f = 0; f < FN_NR; f++) {
			size_t l = strlen(fn_names[f]);

			if (!va[f] && !strncmp(name, fn_names[f], l) && (!name[l] || name[l] == '@'))
				va[f] = sym.st_value;
		}
	}
}

/* Reads path's allocator symbols (.dynsym first, then .symtab for static executables). */
static int elf_allocator(const char *path, struct alloc_obj *ao)
{
	uint64_t va[FN_NR] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	Elf_Scn *scn = NULL;
	uint8_t code[96];
	Elf *e;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e) {
		err = -EINVAL;
		goto out;
	}
	for (int pass = 0; pass < 2; pass++)
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    sh.sh_type == (pass ? SHT_SYMTAB : SHT_DYNSYM))
				scan_symbols(e, scn, &sh, va);
		}
	for (int f = 0; f < FN_NR; f++)
		ao->off[f] = va[f] ? vaddr_to_off(e, va[f]) : 0;
	ao->has = ao->off[FN_MALLOC] && ao->off[FN_FREE];
	ao->free_shift = 0;
	if (ao->has && pread(fd, code, sizeof(code), ao->off[FN_FREE]) == sizeof(code)) {
		long s = heap__probe_offset(code, sizeof(code), va[FN_FREE]);

		ao->free_shift = s > 0 ? s : 0;
	}
	elf_end(e);
out:
	close(fd);
	return err;
}

/* BPF_LINK_CREATE for a uprobe session, which this libbpf predates: the link_create member
 * of union bpf_attr as the kernel defines it (include/uapi/linux/bpf.h, Linux 6.13). */
static int link_session(int prog_fd, const char *path, const unsigned long *offs,
			const uint64_t *cookies, uint32_t cnt, int pid)
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
	a.l.attach_type = ATTACH_UPROBE_SESSION;
	a.l.path = (uint64_t)(uintptr_t)path;
	a.l.offsets = (uint64_t)(uintptr_t)offs;
	a.l.cookies = (uint64_t)(uintptr_t)cookies;
	a.l.cnt = cnt;
	a.l.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}

static uint64_t fn_cookie(int f)
{
	switch (f) {
	case FN_MALLOC: case FN_VALLOC: case FN_PVALLOC: return CPROF_HEAP_MALLOC;
	case FN_CALLOC: return CPROF_HEAP_CALLOC;
	case FN_REALLOC: return CPROF_HEAP_REALLOC;
	case FN_REALLOCARRAY: return CPROF_HEAP_REALLOCARRAY;
	case FN_MEMALIGN: case FN_ALIGNED_ALLOC: return CPROF_HEAP_MEMALIGN;
	case FN_POSIX_MEMALIGN: return CPROF_HEAP_POSIX_MEMALIGN;
	default: return CPROF_HEAP_FREE;
	}
}

/* One link for every function of the object (the cookie says which); an offset shared by
 * two names (aliases such as memalign and aligned_alloc) is probed once. */
static int attach_obj(struct heap *h, const struct alloc_obj *ao, const char *path, int pid,
		      struct probed *p)
{
	unsigned long offs[FN_NR];
	uint64_t cookies[FN_NR];
	uint32_t n = 0;
	int fd;

	for (int f = 0; f < FN_NR; f++) {
		unsigned long off = ao->off[f] + (f == FN_FREE ? ao->free_shift : 0);
		bool dup = false;

		for (uint32_t i = 0; i < n; i++)
			dup |= offs[i] == off;
		if (!ao->off[f] || dup)
			continue;
		offs[n] = off;
		cookies[n++] = CPROF_HEAP_COOKIE(fn_cookie(f), pid);
	}
	fd = link_session(bpf_program__fd(h->skel->progs.cprof_heap_probe), path, offs, cookies,
			  n, pid);
	if (fd < 0)
		return fd;
	p->fds[p->n_fds++] = fd;
	return 0;
}

static const struct alloc_obj *object_info(struct heap *h, const char *path)
{
	struct alloc_obj ao = { 0 }, *v;
	struct stat sb;

	if (stat(path, &sb))
		return NULL;
	for (size_t i = 0; i < h->n_objs; i++)
		if (h->objs[i].dev == sb.st_dev && h->objs[i].ino == sb.st_ino)
			return &h->objs[i];
	ao.dev = sb.st_dev;
	ao.ino = sb.st_ino;
	if (elf_allocator(path, &ao))
		ao.has = false;
	v = realloc(h->objs, (h->n_objs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	h->objs = v;
	v[h->n_objs] = ao;
	return &v[h->n_objs++];
}

/* Probes path in pid if it is an allocator object not probed there yet. */
static int probe_path(struct heap *h, int pid, const char *path)
{
	const struct alloc_obj *ao = object_info(h, path);
	const char *base = strrchr(path, '/');
	struct probed p = { .pid = pid }, *v;
	int err;

	if (!ao || !ao->has)
		return 0;
	for (size_t i = 0; i < h->n_probed; i++)
		if (h->probed[i].pid == pid && h->probed[i].dev == ao->dev &&
		    h->probed[i].ino == ao->ino)
			return 0;
	p.dev = ao->dev;
	p.ino = ao->ino;
	p.free_shift = ao->free_shift;
	snprintf(p.name, sizeof(p.name), "%s", base ? base + 1 : path);
	err = attach_obj(h, ao, path, pid, &p);
	if (err) {
		fprintf(stderr, "cprof-bpf: heap profile: cannot attach uprobes to %s in pid %d: "
			"%s%s\n", path, pid, strerror(-err),
			err == -EINVAL ? " (uprobe sessions need Linux 6.13 or later)" : "");
		for (size_t i = 0; i < p.n_fds; i++)
			close(p.fds[i]);
		return err;
	}
	v = realloc(h->probed, (h->n_probed + 1) * sizeof(*v));
	if (!v) {
		for (size_t i = 0; i < p.n_fds; i++)
			close(p.fds[i]);
		return -ENOMEM;
	}
	h->probed = v;
	v[h->n_probed++] = p;
	if (h->verbose)
		fprintf(stderr, "cprof-bpf: heap probes in %s (pid %d)\n", path, pid);
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

/* The libraries exe names (DT_NEEDED), found the way the loader mostly does: its RUNPATH,
 * then the system directories. An allocator among them (jemalloc, tcmalloc) is probed
 * before the loader maps it, so the first allocations are seen. */
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

void heap__detach(struct heap *h)
{
	for (size_t i = 0; h && i < h->n_probed; i++) {
		for (size_t j = 0; j < h->probed[i].n_fds; j++)
			close(h->probed[i].fds[j]);
		h->probed[i].n_fds = 0;
	}
}

static int share_maps(struct heap_bpf *s, const struct heap_opts *o)
{
	struct { struct bpf_map *map; int fd; } m[] = {
		{ s->maps.pids, o->pids_fd },
		{ s->maps.rb, o->rb_fd },
		{ s->maps.counters, o->counters_fd },
		{ s->maps.unwind_rows, o->rows_fd },
		{ s->maps.unwind_pages, o->pages_fd },
		{ s->maps.proc_maps, o->proc_maps_fd },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		int err = bpf_map__reuse_fd(m[i].map, m[i].fd);

		if (err)
			return err;
	}
	return 0;
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

static int load(struct heap *h, const struct heap_opts *o)
{
	struct heap_bpf *s = h->skel;
	int err;

	s->rodata->filter_pids = o->filter_pids;
	s->rodata->max_user_frames = o->max_depth;
	s->rodata->wakeup_bytes = o->wakeup_bytes;
	bpf_program__set_expected_attach_type(s->progs.cprof_heap_probe,
					      (enum bpf_attach_type)ATTACH_UPROBE_SESSION);
	if ((err = share_maps(s, o))) {
		fprintf(stderr, "cprof-bpf: heap profile: sharing BPF maps: %s\n", strerror(-err));
		return err;
	}
	if ((err = heap_bpf__load(s))) {
		fprintf(stderr, "cprof-bpf: loading the heap profile programs: %s%s\n",
			strerror(-err), err == -EINVAL ? " (uprobe sessions need Linux 6.13 or "
			"later; -v shows the verifier's log)" : "");
		return err;
	}
	if ((err = fill_draws(h)))
		fprintf(stderr, "cprof-bpf: heap profile: cannot fill heap_draws: %s\n",
			strerror(-err));
	return err;
}

struct heap *heap__open(const struct heap_opts *o)
{
	struct heap *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return NULL;
	h->st = o->st;
	h->rate = o->rate ? o->rate : 1;
	h->verbose = o->verbose;
	h->rec = malloc(CPROF_SAMPLE_MAX_SIZE);
	h->skel = heap_bpf__open();
	if (!h->rec || !h->skel) {
		err = -errno;
		fprintf(stderr, "cprof-bpf: cannot open the heap profile object: %s\n",
			strerror(-err));
		goto fail;
	}
	if ((err = load(h, o)))
		goto fail;
	return h;
fail:
	heap__free(h);
	errno = -err;
	return NULL;
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
	for (size_t i = 0; i < h->n_probed; i++)
		fprintf(stderr, "%s %s (pid %d%s)", i ? "," : "", h->probed[i].name,
			h->probed[i].pid, h->probed[i].free_shift ? "" : ", free probe single-steps");
	if (!h->n_probed)
		fprintf(stderr, " none: no process mapped malloc and free");
	fputc('\n', stderr);
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
