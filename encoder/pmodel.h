/* A pprof profile read for showing it: every frame named once, stacks root first, values per
 * sample type, and the process and thread of each sample. It reads our profiles and any other
 * pprof file (Go's runtime/pprof, perf converted by pprof) through pprof_read; the flame graph
 * (flame.c), the text reports (ptext.c) and the live view (core/top.c) all read this model, so
 * one profile shows the same figures in all of them. */
#ifndef CPROF_PMODEL_H
#define CPROF_PMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a frame is, for colouring and for saying where a stack was cut. */
enum pm_kind {
	PM_NATIVE,	/* user code from a file mapping (C, C++, Rust, ...) */
	PM_KERNEL,	/* mapping [kernel.kallsyms] or [vmlinux], or a name "[kernel]+0x..." */
	PM_GO,		/* a Go function: its source file ends in ".go" */
	PM_JIT,		/* code in an anonymous or memfd mapping named by a perf map */
	PM_INLINED,	/* a Line of a Location other than its outermost one */
	PM_SYNTHETIC,	/* no mapping and a name in brackets: [truncated], [lost samples], ... */
	PM_N_KINDS
};

/* One function, deduplicated on (name, file, module). */
struct pm_func {
	const char *name;	/* as shown (pprof's Function.name) */
	const char *file;	/* source file, "" if unknown */
	const char *module;	/* base name of the mapping's file, "" if none */
};

/* One frame as it appears in stacks: a function at a line, of a kind. Deduplicated on all
 * three fields; `line` is 0 when unknown. */
struct pm_frame {
	uint32_t func;		/* index into pmodel.funcs */
	uint32_t line;
	uint8_t kind;		/* enum pm_kind */
};

/* One sample as the profile has it (samples are not merged): a stack, root first, as a slice
 * of pmodel.stack_frames; one value per sample type in pmodel.values. */
struct pm_sample {
	uint32_t first;		/* index of the root frame in pmodel.stack_frames */
	uint32_t depth;		/* number of frames, root to leaf */
	uint32_t proc;		/* index into pmodel.procs, 0 = none ("") */
	uint32_t thread;	/* index into pmodel.threads, 0 = none ("") */
	int64_t pid;		/* the "pid" label, 0 if none */
};

struct pmodel {
	size_t n_types;
	const char **type_names;	/* sample_type[i].type, e.g. "cpu", "inuse_space" */
	const char **type_units;	/* sample_type[i].unit, e.g. "nanoseconds", "bytes" */
	size_t default_type;		/* default_sample_type, else the last one (pprof's rule) */
	int64_t period;
	const char *period_type, *period_unit;
	int64_t duration_nanos, time_nanos;

	struct pm_func *funcs;
	size_t n_funcs;
	struct pm_frame *frames;
	size_t n_frames;
	uint32_t *stack_frames;		/* frame indices; each sample's slice is root first */
	size_t n_stack_frames;
	struct pm_sample *samples;
	size_t n_samples;
	int64_t *values;		/* n_samples * n_types, sample-major */

	/* Distinct process and thread names; index 0 is "" (no label). A process is shown as
	 * "comm (pid)" when the profile has both labels, else whichever it has. */
	const char **procs;
	size_t n_procs;
	const char **threads;
	size_t n_threads;

	void *priv;			/* owns every string and array above */
};

/* Reads a pprof file (gzipped or not). Returns 0 or -errno: -ENOENT/-EACCES from the file,
 * -EINVAL for bytes that are not a valid profile (a sample naming a location that does not
 * exist, a string index out of range, ...), -EFBIG past pprof_read's cap, -ENOMEM. */
int pmodel__read_file(const char *path, struct pmodel **out);
/* Same, from bytes in memory (the live view's mid-run profiles, fuzzing). */
int pmodel__read_buf(const void *buf, size_t len, struct pmodel **out);
void pmodel__free(struct pmodel *pm);

/* The index of a sample type named as pprof's -sample_index takes it: a type name
 * ("inuse_space", "delay") or a number; NULL or "" gives default_type. -ENOENT if none. */
int pmodel__type_index(const struct pmodel *pm, const char *name);

/* The sample's value of type t. */
static inline int64_t pmodel__value(const struct pmodel *pm, size_t sample, size_t t)
{
	return pm->values[sample * pm->n_types + t];
}

/* Formats a value of type t for people: "1.23s", "45.6ms", "12.3MB", "1234" (pprof's units). */
void pmodel__format_value(const struct pmodel *pm, size_t t, int64_t v, char *buf, size_t size);
/* The one unit pprof -top prints a whole table in, from the table's smallest non-zero figure
 * and its total (pprof's selectOutputUnit); -1 when type t's unit is no time or memory unit. */
int pmodel__table_unit(const struct pmodel *pm, size_t t, int64_t min, int64_t total);
/* Formats v of type t in unit (from pmodel__table_unit): "0.50s", "1.20s", "0". */
void pmodel__format_in(const struct pmodel *pm, size_t t, int64_t v, int unit, char *buf,
		       size_t size);

/* A filter on processes: a sample passes when its pid is one of pids[] (if any) and its process
 * name contains comm (if set). Without either, every sample passes. */
struct pm_filter {
	const int64_t *pids;
	size_t n_pids;
	const char *comm;
};
bool pmodel__sample_passes(const struct pmodel *pm, size_t sample, const struct pm_filter *f);

#endif
