/* The heap profile: sampled allocator uprobes (bpf/heap.bpf.c) in each target's allocator
 * objects, allocations matched with their frees, Go's heap-profile conventions. */
#ifndef CPROF_HEAP_H
#define CPROF_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct kind_env;
struct cprof_sample;
struct report_kind;
struct stacks;

struct heap_opts {
	uint64_t rate;			/* --heap-rate: mean bytes between samples */
	unsigned int max_depth;		/* user frames */
	bool filter_pids;
	uint64_t wakeup_bytes;
	const struct kind_env *env;	/* the maps shared with the other objects */
	struct stacks *st;		/* where samples are aggregated */
	bool verbose;
	/* Diagnostic: return probes on every allocating call even where the kernel has uprobe
	 * sessions; 1 = uprobe_multi links, 2 = perf-event uprobes. */
	int force_uretprobes;
};

struct heap;

/* Opens and loads the BPF object, fills its table of exponential draws. NULL with errno
 * set; a message naming what failed is printed. */
struct heap *heap__open(const struct heap_opts *o);
void heap__free(struct heap *h);

/* The probe mechanism the kernel accepted: "uprobe sessions", ... */
const char *heap__mode_name(const struct heap *h);

/* The loaded BPF object (for its programs' statistics). */
struct bpf_object *heap__object(const struct heap *h);

/* Finds the allocator objects pid maps (libc, a static executable, jemalloc, ...) and
 * attaches probes to those not probed yet for it; exe: also look at this executable and
 * the libraries it names (COMMAND before its exec). Returns 0 or -errno. */
int heap__watch(struct heap *h, int pid, const char *exe);

/* Re-scans the watched processes' maps at most every interval_ms (dlopen of an allocator
 * the dlopen hook did not report). */
void heap__poll(struct heap *h, unsigned int interval_ms);

/* Re-scans pid's maps now: its dynamic linker reported a dlopen (CPROF_EV_DLOPEN). */
void heap__rescan(struct heap *h, int pid);

/* Detaches every probe. */
void heap__detach(struct heap *h);

/* Takes a heap record (alloc or free); others are ignored. Returns 0 or -ENOMEM. */
int heap__record(struct heap *h, const struct cprof_sample *r);

/* Prints what was probed where, and the caveats of the run; cnt: the BPF counters. */
void heap__summary(const struct heap *h, const uint64_t *cnt, bool attached_to_running);

/* Go's heap profile: alloc_objects, alloc_space, inuse_objects, inuse_space; period type
 * space/bytes, period = rate; label bytes. */
void heap__report_kind(struct report_kind *k, uint64_t rate);

/* Sampling with countdown draws of mean rate keeps an allocation of size bytes with
 * probability 1 - exp(-size/rate); each kept one stands for 1/that many. */
double heap__weight(uint64_t size, uint64_t rate);

/* Fills draws[0..n) with exponential quantiles of mean rate, in random order. */
void heap__draws(uint64_t *draws, size_t n, uint64_t rate, uint64_t seed);

#endif
