/* The mutex (lock contention) profile: futex lock waits and their wakes, the delay charged to the
 * stack that released the lock (Go's semantics); bpf/futex_class.h says what counts. */
#ifndef CPROF_MUTEX_H
#define CPROF_MUTEX_H

struct mutex_bpf;
struct report_kind;
struct btf;
struct mutex_names;
struct objcache;
struct proctab;
struct symbolizer;

/* Before load: picks the sched_switch/sched_waking programs this kernel can load and
 * gives them the runqueue-to-preempt_count offset (interrupt-context wakers). vmlinux: the
 * kernel's BTF, NULL if it could not be read. */
void mutex__prepare(struct mutex_bpf *skel, const struct btf *vmlinux);

/* Attaches the programs left to load. Returns 0 or -errno. */
int mutex__attach(struct mutex_bpf *skel);

/* Lock names for the `lock` label (data symbols of the processes' files, member paths from
 * the DWARF sym finds). NULL on ENOMEM. */
struct mutex_names *mutex_names__new(struct proctab *pt, struct objcache *oc,
				     struct symbolizer *sym);
void mutex_names__free(struct mutex_names *mn);

/* Go's mutex profile conventions: contentions/count, delay/nanoseconds, period 1 (values
 * are already scaled by --mutex-rate); label lock: the data symbol or address of the futex
 * word, named through mn. */
void mutex__report_kind(struct report_kind *k, struct mutex_names *mn);

#endif
