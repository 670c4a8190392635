// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process lifecycle: exec and exit of watched processes tell user space to refresh or
 * capture their maps; forks of watched processes are followed when asked (COMMAND mode).
 * This object is loaded in every run, so it declares every shared map, including the unwind
 * tables its own programs never read: it can be the one object that creates them. */
#include "common.bpf.h"
#include "maps.bpf.h"

#define VM_EXEC 0x4
#define PAGE_SHIFT 12

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
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* bpf_find_vma's callback: the executable mapping found, described in ctx. */
static long describe_vma(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct cprof_exec_vma *v = ctx;
	struct file *f = vma->vm_file;

	if (!(vma->vm_flags & VM_EXEC))
		return 0;
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->offset = (__u64)vma->vm_pgoff << PAGE_SHIFT;
	if (f) {
		v->ino = f->f_inode->i_ino;
		v->dev = f->f_inode->i_sb->s_dev;
	}
	return 0;
}

/* Adds to xi the executable mapping holding addr, unless it has it already. Here, in the
 * task's own context with no lock held, bpf_find_vma works (a perf_event's may not). */
static __always_inline void add_vma(struct task_struct *task, struct cprof_exec_info *xi,
				    __u64 addr, __u64 exe_ino)
{
	struct cprof_exec_vma v = {};
	__u32 n = xi->n_vmas;

	if (!addr || n >= CPROF_EXEC_MAPS)
		return;
#pragma unroll
	for (__u32 i = 0; i < CPROF_EXEC_MAPS; i++)
		if (i < n && addr - xi->vmas[i].start < xi->vmas[i].end - xi->vmas[i].start)
			return;
	if (bpf_find_vma(task, addr, describe_vma, &v, 0) || !v.end)
		return;
	v.is_exe = v.ino && v.ino == exe_ino;
	xi->vmas[n] = v;
	xi->n_vmas = n + 1;
}

/* The new image as far as the kernel has built it: its executable's text (start_code), the
 * code it starts in (the dynamic loader's entry, or the executable's own), the vDSO. */
static __always_inline void describe_image(struct task_struct *task, struct linux_binprm *bprm,
					   struct cprof_exec_info *xi)
{
	struct mm_struct *mm = task->mm;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct dentry *root = task->fs->root.dentry;
	__u64 exe = bprm->file->f_inode->i_ino;

	xi->ppid = task->real_parent->tgid;
	xi->root_ino = root->d_inode->i_ino;
	xi->root_dev = root->d_sb->s_dev;
	add_vma(task, xi, mm->start_code, exe);
	add_vma(task, xi, regs->ip, exe);
	add_vma(task, xi, (__u64)mm->context.vdso, exe);
	/* interp: the file exec loaded, where filename is a script's (binfmt_script). */
	bpf_probe_read_kernel_str(xi->path, sizeof(xi->path), bprm->interp);
}

/* Exec: the record that tells user space, with what the kernel knows of the new image (its
 * mappings so far: user space may find the process gone before it can read its maps). The
 * view published for the process described the image exec discarded: it goes, so that no
 * sample of the new image is unwound with it. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(cprof_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cprof_exec_info *xi;
	struct cprof_sample *e;

	if (!pid_watched(tgid))
		return 0;
	bpf_map_delete_elem(&proc_maps, &tgid);
	e = bpf_ringbuf_reserve(&rb, sizeof(*e) + sizeof(*xi), 0);
	if (!e) {
		count(CPROF_CNT_EVENTS_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e) + sizeof(*xi));
	xi = (struct cprof_exec_info *)(e + 1);
	e->kind = CPROF_EV_EXEC;
	e->pid = tgid;
	e->tid = tgid;
	e->ts = bpf_ktime_get_ns();
	e->image = task->mm->start_stack;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->pcomm, e->comm, sizeof(e->pcomm));
	describe_image(task, bprm, xi);
	/* Seen soon, its image's tables are built and published at once. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
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
