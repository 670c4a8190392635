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
	if ((b->s.flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_MAPPING)
		cprof_copy_stack(b);
	sample_submit(b);
	return 0;
}

/* Not attached: user space runs it (BPF_PROG_TEST_RUN) over a stack copy it put in
 * unwind_replay_io, once it has published the tables the sample's unwind lacked, and
 * reads the frames found there. A raw tracepoint program because those can be run so on
 * every kernel we support, with the helpers the unwinder calls. */
SEC("raw_tp")
int cprof_cpu_replay(void *ctx)
{
	struct cprof_replay *r;
	struct sample_buf *b;
	__u32 zero = 0;
	__u64 n;

	r = bpf_map_lookup_elem(&unwind_replay_io, &zero);
	if (!r)
		return 0;
	r->n = 0;
	r->flags = 0;
	b = scratch_claim();
	if (!b)
		return 0;
	b->s.n_kernel = 0;
	b->s.n_user = 0;
	b->s.flags = 0;
	unwind_replay(b, &r->copy);
	n = b->s.n_user;
	/* An explicit bound the verifier can follow. */
	asm volatile("" : "+r"(n));
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	if (n && !bpf_probe_read_kernel(r->frames, n * sizeof(__u64), b->frames)) {
		r->n = n;
		r->flags = b->s.flags;
	}
	sample_discard(b);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
