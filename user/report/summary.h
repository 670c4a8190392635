/* The end-of-run summary on stderr: per kind, samples, drops, user-stack completeness,
 * top functions and the file written; the unwinder's tables; hints such as "this process
 * was mostly off-CPU". */
#ifndef CPROF_SUMMARY_H
#define CPROF_SUMMARY_H

#include <stdint.h>

struct report_kind;
struct report_result;
struct stacks;
struct unwinder_stats;

/* Why a user stack ended (enum cprof_unwind_stop), in a few words. */
const char *summary__stop_name(unsigned int stop);

/* cnt: the BPF counters (enum cprof_counter), summed over CPUs. */
void summary__kind(const struct report_kind *k, const struct report_result *res,
		   const uint64_t *cnt, const char *path, double secs);
void summary__unwind(const struct unwinder_stats *us);
/* The uncompressed debuginfo copies this process used or made (elf/debugcache.h): a line
 * when some could not be used, the rest with -v. Part of summary__unwind. */
void summary__debugcache(void);

/* For each process with both CPU samples and waits: on-CPU time (samples × cpu_period) vs
 * off-CPU time (block delay), and a hint when it mostly waited, pointing at dir's block
 * profile and at flame (the flame graph's path, NULL when none was written). */
void summary__offcpu(const struct stacks *st, int64_t cpu_period, const char *dir,
		     const char *flame);

#endif
