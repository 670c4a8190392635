/* Turns aggregated stacks of one kind into a pprof profile: symbolizes each (mapping,
 * address) once, adds Go's sample types and labels, writes the file, and computes the
 * figures the end-of-run summary prints. */
#ifndef CPROF_REPORT_H
#define CPROF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pprof.h"
#include "report/topfns.h"

struct stack;
struct stacks;
struct stacks_snap;
struct symbolizer;

/* Labels of every sample: pid, comm, thread, cgroup, container_id. */
#define REPORT_PROC_LABELS 5
#define REPORT_EXTRA_LABELS 4
#define REPORT_LABEL_LEN 64
struct report;

struct report_kind {
	uint32_t kind;			/* enum cprof_kind */
	const char *name;		/* "cpu" */
	const char *file;		/* "cpu.pb.gz" */
	const struct pprof_value_type *types;
	size_t n_types;
	struct pprof_value_type period_type;
	int64_t period;
	/* Sample values from a stack's record count and summed record values. */
	void (*values)(const struct report_kind *k, uint64_t count, const uint64_t value[2],
		       int64_t *out);
	/* Optional: sample values from the whole stack (its key fields too), used for stacks
	 * instead of values (which still prices [lost samples]). */
	void (*stack_values)(const struct report_kind *k, const struct stack *s, int64_t *out);
	/* Optional: before a profile's stacks are written, called with NULL, then with each
	 * stack that will be written, in order, and with NULL again once they are: for values
	 * that depend on all of them (the threads profile's averages, apportioned). Returns 0
	 * or -ENOMEM. */
	int (*tally)(const struct report_kind *k, const struct stack *s);
	/* Labels beyond the process's (pid, comm, thread, cgroup, container_id; NULL: none).
	 * Writes at most REPORT_EXTRA_LABELS into out, their strings into buf; returns how
	 * many. */
	size_t (*labels)(const struct stack *s, struct pprof_label *out,
			 char buf[][REPORT_LABEL_LEN]);
	/* Instead of labels, for kinds whose labels need state: called with ctx. */
	size_t (*labels_ctx)(void *ctx, const struct stack *s, struct pprof_label *out,
			     char buf[][REPORT_LABEL_LEN]);
	void *ctx;
};

#define REPORT_TOP 10
#define REPORT_TRUNC 64
#define REPORT_PROCS 256

/* Where user stacks stopped short: reason and the object of the last frame unwound. */
struct report_trunc {
	uint32_t stop;		/* enum cprof_unwind_stop */
	char object[128];
	uint64_t count;
};

struct report_proc {
	uint32_t pid;
	char comm[16];
	uint64_t records, complete;
	uint64_t fp_fallback;	/* records with frame-pointer steps where tables were missing */
};

struct report_result {
	int64_t total;		/* sum of the last sample type over all samples */
	uint64_t records;	/* records aggregated, in the stacks still held */
	uint64_t evicted;	/* records aggregated in stacks released since ([evicted]) */
	uint64_t stacks;	/* distinct stacks */
	uint64_t truncated;	/* records whose user stack did not reach a root */
	uint64_t fp_fallback;	/* records with frame-pointer steps where tables were missing */
	uint64_t stops[32];	/* records per enum cprof_unwind_stop */
	size_t n_top;		/* flat and cum as go tool pprof -top has them, in the
				 * kind's last sample type */
	struct topfns_entry top[REPORT_TOP];
	size_t n_trunc;		/* sorted by count, largest first */
	struct report_trunc trunc[REPORT_TRUNC];
	size_t n_procs;		/* sorted by records, largest first */
	struct report_proc procs[REPORT_PROCS];
};

/* What a profile covers beyond the stacks, and which of them. */
struct report_extra {
	uint64_t lost;		/* records lost (ring buffer full), shown as [lost samples] */
	uint64_t lost_value;	/* their summed value[1] where known (block: delay ns) */
	int64_t time_nanos, duration_nanos;
	const char *comment;
	const char *default_sample_type;	/* NULL: pprof shows the last type */
	/* A delta: each stack's values less those in base (a snapshot taken earlier); samples
	 * left all zero are dropped, as pprof's merge of a profile with a negated one does.
	 * NULL: cumulative since the start. */
	const struct stacks_snap *base;
	const int64_t *evicted;	/* values (per sample type) of stacks evicted from the table,
				 * shown as [evicted]; NULL: none */
	uint64_t evicted_records;	/* the records those stacks aggregated */
	uint32_t pid;		/* only this process's stacks; 0: all */
	const char *comm;	/* only stacks of processes with this name; NULL: all */
	bool plain;		/* report__build: the bytes not gzipped (a reader in this process) */
};

/* Synthetic frames: distinct non-zero addresses outside any mapping, the same in every
 * profile, so a scraper that keys samples on location addresses (Grafana Alloy's deltas)
 * tells them apart. */
#define REPORT_ADDR_LOST	0x1
#define REPORT_ADDR_TRUNCATED	0x2
#define REPORT_ADDR_EVICTED	0x3
#define REPORT_ADDR_OVERFLOW	0x4

struct report *report__new(struct symbolizer *sym);
void report__free(struct report *r);

/* The sample values (n_types of them) stack s adds to kind k's profile. */
void report__stack_values(const struct report_kind *k, const struct stack *s, int64_t *out);

/* Builds and writes kind k's profile from st to path. Returns 0 or -errno. */
int report__write(struct report *r, const struct report_kind *k, const struct stacks *st,
		  const struct report_extra *extra, const char *path, struct report_result *res);

/* Builds kind k's profile from st into a malloc'ed buffer *buf of *len bytes, gzipped
 * unless extra->plain. Returns 0 or -errno. */
int report__build(struct report *r, const struct report_kind *k, const struct stacks *st,
		  const struct report_extra *extra, void **buf, size_t *len,
		  struct report_result *res);

#endif
