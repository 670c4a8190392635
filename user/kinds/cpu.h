/* The CPU profile: perf_event cpu-clock sampling on every online CPU. */
#ifndef CPROF_CPU_H
#define CPROF_CPU_H

#include <stddef.h>

struct bpf_program;
struct bpf_link;
struct report_kind;

/* Opens a cpu-clock perf event at freq Hz on each CPU and attaches prog to it. links gets
 * one link per CPU (NULL where the CPU went offline). Returns 0 or -errno. */
int cpu__attach(struct bpf_program *prog, unsigned int freq, const int *cpus, size_t n_cpus,
		struct bpf_link **links);

/* Go's CPU profile conventions: samples/count, cpu/nanoseconds, period 1e9/freq. */
void cpu__report_kind(struct report_kind *k, unsigned int freq);

#endif
