// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process lifecycle: exec and exit of watched processes tell user space to refresh or
 * capture their maps; forks of watched processes are followed when asked (COMMAND mode).
 * This object is loaded in every run, so it declares every shared map, including the unwind
 * tables its own programs never read: user space creates them from its declarations. */
#include "common.bpf.h"
#include "maps.bpf.h"

static __always_inline void notify(__u32 kind, __u32 tgid)
{
	struct cprof_sample *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e) {
		count(CPROF_CNT_EVENTS_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pid = tgid;
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* Exec must be seen soon (the new image's tables): wake the consumer. */
	bpf_ringbuf_submit(e, kind == CPROF_EV_EXEC ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(cprof_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (pid_watched(tgid))
		notify(CPROF_EV_EXEC, tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cprof_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	/* Only the last thread's exit ends the process; group_dead is not in the tracepoint. */
	if ((__u32)id != tgid || !pid_watched(tgid))
		return 0;
	notify(CPROF_EV_EXIT, tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cprof_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u8 one = 1;

	if (!follow_children || !filter_pids || ctgid == ptgid)
		return 0;
	if (bpf_map_lookup_elem(&pids, &ptgid))
		bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
