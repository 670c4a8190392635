// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CPU profile: a perf_event (cpu-clock) program on every CPU records the kernel and user
 * stacks of the interrupted task. */
#include "unwind.bpf.h"

SEC("perf_event")
int cprof_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sample_buf *b;

	if (id == 0) {	/* the idle task */
		count(CPROF_CNT_IDLE);
		return 0;
	}
	if (!pid_watched(id >> 32))
		return 0;
	count(CPROF_CNT_CPU_SAMPLES);
	b = sample_begin(CPROF_KIND_CPU);
	if (!b)
		return 0;
	b->s.value[0] = 1;
	/* In a perf_event program the stack starts at the interrupted context: no BPF frames;
	 * and a sample of user mode has no kernel stack to ask for. */
	if ((*(__u64 *)((void *)&ctx->regs + UAPI_PT_REGS_CS) & 3) != 3)
		sample_kernel_stack(ctx, b, 0);
	/* One program for every kernel. */
	unwind_user((struct pt_regs *)&ctx->regs, b, TASK_PROBE);
	sample_submit(b);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
