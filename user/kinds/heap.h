/* The heap profile: sampled allocator uprobes (bpf/heap.bpf.c) in each target's allocator
 * objects, allocations matched with their frees, Go's heap-profile conventions. Shared by
 * its three files: heap.c (the kind's operations, the BPF object and its probe modes),
 * heap_probe.c (finding allocators in processes and attaching to them), heap_live.c (the
 * sampled allocations still live). */
#ifndef CPROF_HEAP_H
#define CPROF_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds/allocobj.h"
#include "kinds/kind.h"
#include "util/hashmap.h"

struct cprof_sample;

/* enum bpf_attach_type values newer than the installed UAPI headers. */
#define ATTACH_UPROBE_MULTI 48		/* Linux 6.6 */
#define ATTACH_UPROBE_SESSION 57	/* Linux 6.13 */
#define UPROBE_MULTI_RETURN 1u		/* BPF_F_UPROBE_MULTI_RETURN */
#define ENOTSUPP_KERNEL 524		/* the kernel's ENOTSUPP, which leaks to user space */

/* How allocating calls get their return value. */
enum heap_mode {
	MODE_SESSION,		/* uprobe sessions: only sampled calls pay for the return */
	MODE_MULTI_RET,		/* uprobe_multi + uretprobe_multi links (Linux 6.6+) */
	MODE_PERF_RET,		/* one perf-event uprobe and uretprobe per function */
};

/* What one ELF file provides, by identity. */
struct alloc_obj {
	uint64_t dev, ino;
	int err;		/* reading it failed: not an allocator */
	struct allocobj plan;
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

/* A sampled allocation not freed yet, in heap.live. */
struct heap_live {
	uint32_t pid;
	uint64_t ptr;
	uint64_t serial;	/* the allocation's stack */
};

struct heap {
	struct kind k;
	struct heap_bpf *skel;
	const struct kind_env *env;	/* kept to reload in another mode */
	enum heap_mode mode;
	bool any_link;		/* a probe was attached: the mode is settled */
	bool after_dlopen;	/* the scan under way was asked for by the dlopen hook */
	uint64_t rate;
	struct alloc_obj *objs;
	size_t n_objs, cap_objs;
	struct probed *probed;
	size_t n_probed, cap_probed;
	int *pids;		/* watched processes, for re-scans */
	size_t n_pids, cap_pids;
	int pre_exec_pid;	/* COMMAND's process while it is our fork: not scanned */
	double last_scan;
	struct hashmap live;	/* struct heap_live: sampled allocations not freed yet */
	uint64_t allocs, frees, unmatched_frees;
	unsigned char *rec;	/* a record being rewritten for aggregation */
};

/* heap.c */

/* Before any probe is attached: reloads the object for mode, the kernel having refused
 * the current mode's programs or links. Returns 0 or -errno (reported). */
int heap__switch_mode(struct heap *h, enum heap_mode mode);

/* Sampling with countdown draws of mean rate keeps an allocation of size bytes with
 * probability 1 - exp(-size/rate); each kept one stands for 1/that many. */
double heap__weight(uint64_t size, uint64_t rate);

/* Fills draws[0..n) with exponential quantiles of mean rate, in random order. */
void heap__draws(uint64_t *draws, size_t n, uint64_t rate, uint64_t seed);

/* heap_probe.c */

/* Finds the allocator objects pid maps (libc, a static executable, jemalloc, ...) and
 * attaches probes to those not probed yet for it; exe: look at this executable and the
 * libraries it names instead (COMMAND before its exec; its maps are found at the exec).
 * Returns 0 or -errno. */
int heap__watch(struct heap *h, int pid, const char *exe);

/* Re-scans the watched processes' maps at most every interval_ms (dlopen of an allocator
 * the dlopen hook did not report). */
void heap__poll(struct heap *h, unsigned int interval_ms);

/* Re-scans pid's maps now: its dynamic linker reported a dlopen (CPROF_EV_DLOPEN). */
void heap__rescan(struct heap *h, int pid);

/* Detaches every probe. */
void heap__detach(struct heap *h);

/* Frees what heap__watch found and attached (after heap__detach). */
void heap__free_probes(struct heap *h);

/* heap_live.c */

/* Takes a heap record (alloc or free); others are ignored. Returns 0 or -ENOMEM. */
int heap__record(struct heap *h, const struct cprof_sample *r);

#endif
