/* A profile kind behind one interface: each kind (cpu.c, block.c, mutex.c, heap.c) fills one
 * struct kind_ops, and kinds.c lists them. The session walks that table through the run's
 * phases — open, load, watch, attach, poll, detach, report — and owns which kinds are
 * active; a kind knows only itself and the environment the session gives it. Each kind's
 * open and load run in a thread of their own, at the same time as the other kinds': they
 * touch only the kind's own state and read the environment. */
#ifndef CPROF_KIND_H
#define CPROF_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

struct bpf_map;
struct bpf_object;
struct btf;
struct cprof_sample;
struct objcache;
struct proctab;
struct stacks;
struct symbolizer;

#define KIND_BIT(k) (1u << (k))

/* The kinds' tuning options, as main.c parsed them. */
struct kind_opts {
	unsigned int freq;		/* -F: CPU samples per second */
	unsigned int max_depth;		/* --max-depth: user frames */
	unsigned long long block_rate_ns;	/* --block-rate */
	unsigned int mutex_rate;	/* --mutex-rate: keep 1 in mutex_rate contentions */
	unsigned long long heap_rate;	/* --heap-rate: mean bytes between samples */
	int heap_uretprobes;	/* CPROF_HEAP_URETPROBES (diagnostic): 0 = sessions where the
				 * kernel has them, 1 = uprobe_multi return probes, 2 = perf ones */
	double threads_interval;	/* --threads-interval: seconds between snapshots */
	bool block_sys_exit;	/* CPROF_BLOCK_SYS_EXIT=1 (tests): the block profile reads user
				 * stacks at syscall exit even where BPF task works exist */
};

/* What the session gives every kind. */
struct kind_env {
	const struct kind_opts *opts;
	bool filter_pids;	/* -p or COMMAND: only processes in the pid filter are seen */
	bool pids_given;	/* -p: the targets were running before the profile began */
	uint64_t wakeup_bytes;	/* wake the consumer once this much waits in the ring buffer */
	/* The maps every BPF object uses as one — pid filter, ring buffer, counters, unwind
	 * tables — created from the declarations of the object that owns them (the
	 * process-tracking one) before any object loads, while the kinds open: set by
	 * kind_env__share(), which kind__adopt_maps() waits for. */
	struct bpf_map *const *shared_maps;
	size_t n_shared_maps;
	int shared_err;		/* < 0: they could not be created (reported) */
	bool shared_set;
	struct stacks *st;	/* where records are aggregated */
	struct proctab *pt;	/* the processes' mappings */
	struct objcache *oc;	/* their files */
	struct symbolizer *sym;	/* NULL for --check */
	struct btf *vmlinux;	/* read by kind_env__vmlinux() on first use */
	bool vmlinux_read;
	/* For hints that name the run's files: the directory, and the flame graph written
	 * there (NULL until written, or if it could not be). */
	const char *output_dir;
	const char *flame_path;
	/* Set by the session: makes what pid's view lacks at pc (a return address a replay of
	 * a stack copy stopped at) ready at once, as for the pc a copy was taken at: the maps
	 * that hold it read, the tables of its object built if they are still being built, the
	 * view republished. Returns whether pc is in a mapping known now (a replay may get
	 * further). NULL: nothing is done. */
	bool (*tables_now)(struct kind_env *env, int pid, uint64_t image, uint64_t pc);
};

/* One kind's run-time state; each kind embeds it first in its own struct. */
struct kind {
	const struct kind_ops *ops;
	struct bpf_object *obj;	/* its loaded BPF object: --check counts its programs */
	const char *mechanism;	/* how it collects on this kernel, for --check */
};

/* The kind's own struct, whose member k (struct kind) ptr is. */
#define kind_container(ptr, type) ((type *)(void *)((char *)(ptr) - offsetof(type, k)))

/* A kind's profile conventions and what write_kind needs beyond them. */
struct kind_report {
	struct report_kind rk;
	uint64_t lost_value;	/* the summed values of its records lost to a full ring */
};

struct kind_ops {
	const char *name;	/* -t's name; "the NAME profile" in messages */
	unsigned int id;	/* enum cprof_kind: KIND_BIT(id) in option sets, counters */
	unsigned int records;	/* KIND_BIT set of the record kinds it takes */
	bool host_default;	/* in the default set when profiling the whole host */
	bool needs_targets;	/* only with -p or COMMAND (its probes go into processes) */
	bool opt_in;		/* never in the default set: only when -t names it */
	const char *load_fails;		/* why it is not collected when load fails */
	const char *attach_fails;	/* ... when attach or watch fails */
	/* Opens the BPF object and configures it for the options and this kernel (rodata,
	 * programs, shared maps): *out. An error (reported) ends the run. */
	int (*open)(struct kind_env *env, struct kind **out);
	/* Loads it, setting obj and mechanism. An error makes the kind unavailable. */
	int (*load)(struct kind *k, struct kind_env *env);
	/* Optional: starts collecting. An error makes the kind unavailable, or with *fatal
	 * set (reported) ends the run. */
	int (*attach)(struct kind *k, struct kind_env *env, bool *fatal);
	/* Optional: collects in process pid too; exe: the executable COMMAND is about to run,
	 * else NULL. An error makes the kind unavailable. */
	int (*watch)(struct kind *k, int pid, const char *exe);
	/* Optional: a watched process exec'ed (CPROF_EV_EXEC) or dlopen'ed (CPROF_EV_DLOPEN),
	 * or a stack was copied for the sample that follows (CPROF_EV_STACK_COPY, its whole
	 * struct cprof_stack_copy there). */
	void (*on_event)(struct kind *k, const struct cprof_sample *ev);
	/* Optional: takes one of its records (sizes checked); else stacks__add. Returns 0 or
	 * -errno (counted as an aggregation failure). */
	int (*on_record)(struct kind *k, struct kind_env *env, const struct cprof_sample *r);
	/* Optional: called on each round of the poll loop. */
	void (*poll)(struct kind *k);
	/* Stops collecting; what is still in progress becomes records. Again at free: a
	 * second call does nothing. */
	void (*detach)(struct kind *k);
	/* Its profile's conventions, after the run. Returns 0 or -ENOMEM. */
	int (*report)(struct kind *k, struct kind_env *env, const uint64_t *cnt,
		      struct kind_report *out);
	/* Optional: its lines of the end-of-run summary, once every profile is written; cnt:
	 * the BPF counters. */
	void (*summary)(struct kind *k, struct kind_env *env, const uint64_t *cnt);
	/* Optional: hints that compare profiles, after the unwinder's summary; profiles[id]:
	 * every collected kind's conventions by enum cprof_kind, NULL where not collected. */
	void (*hints)(struct kind *k, struct kind_env *env,
		      const struct report_kind *const *profiles);
	/* Frees k (NULL accepted). */
	void (*free)(struct kind *k);
};

/* Every profile kind, in the order they load, attach and are written (kinds.c). */
extern const struct kind_ops *const kinds[];
extern const unsigned int n_kinds;
#define KINDS_MAX 8

/* The index into kinds[] of the kind whose id (enum cprof_kind) is id; -1 if none. */
int kinds__index(unsigned int id);

/* The kernel's BTF, read once (~11 ms) for every kind that configures itself by it; NULL
 * if it cannot be read (kinds then keep their defaults). Kinds may call it from their own
 * threads. */
const struct btf *kind_env__vmlinux(struct kind_env *env);

/* Frees the BTF (megabytes) once every kind is loaded (and no thread reads it). */
void kind_env__drop_vmlinux(struct kind_env *env);

/* The shared maps exist (maps[0..n)), or could not be created (err < 0, reported): the
 * kinds waiting in kind__adopt_maps() go on. Called once per run, by the session. */
void kind_env__share(struct kind_env *env, struct bpf_map *const *maps, size_t n, int err);

/* Before obj's load: each of its maps named like a shared map becomes that map
 * (bpf_map__reuse_fd), so obj is sized and filled by the owner. Waits for
 * kind_env__share(). Returns 0 or -errno, said in one line (-ECANCELED, unsaid: the shared
 * maps could not be created). */
int kind__adopt_maps(struct bpf_object *obj, const struct kind_env *env);

#endif
