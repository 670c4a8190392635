/* Facts the kinds read from the kernel's BTF before loading their programs: which kfuncs
 * exist, and offsets the scheduler programs need. Shared by the kinds that use them. */
#ifndef CPROF_KERNEL_BTF_H
#define CPROF_KERNEL_BTF_H

#include <stdbool.h>

struct btf;

/* Whether the kernel defines the function (a kfunc the programs may call); false without
 * BTF. */
bool kernel_btf__has_func(const struct btf *vmlinux, const char *name);

/* From a CPU's runqueue to its preempt_count in the per-CPU area (bpf/sched.bpf.h's
 * rq_to_preempt_count); 0 when not found. */
long long kernel_btf__rq_to_preempt_count(const struct btf *vmlinux);

#endif
