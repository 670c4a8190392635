// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process lifecycle: exec and exit of watched processes tell user space to refresh or
 * capture their maps; forks of watched processes are followed when asked (COMMAND mode).
 * At exec the new image's first unwind view is published here, from the tables of objects
 * already known, before user space has even heard of the exec. This object is loaded in
 * every run, so it declares every shared map, including the unwind tables its own programs
 * never read: user space creates them from its declarations. */
#include "common.bpf.h"
#include "maps.bpf.h"

#define VM_EXEC 0x4
#define PAGE_SHIFT 12

/* The objects whose tables user space has published, by file: what the exec program
 * builds a view from. Objects past the first 4096 are left to user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cprof_obj_key);
	__type(value, struct cprof_obj_table);
} obj_tables SEC(".maps");

/* Where the exec program builds a view before it replaces the process's: 24 KiB. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cprof_proc_maps);
} exec_view SEC(".maps");

/* Views published here so far: their generations (64 bits: clang's BPF target has no
 * 32-bit cmpxchg before -mcpu=v3, nor a fetch-and-add whose result is used). */
__u64 exec_views;

/* A generation for a view published here, unique among them; 0 when other CPUs kept
 * taking them first (the view is then not published). */
static __always_inline __u32 exec_gen(void)
{
	for (int i = 0; i < 4; i++) {
		__u64 n = exec_views, g = (n + 1) & ~CPROF_GEN_AT_EXEC & 0xffffffffull;

		if (__sync_val_compare_and_swap(&exec_views, n, n + 1) == n)
			return CPROF_GEN_AT_EXEC | (g ? g : 1);
	}
	return 0;
}

/* Sends an event without a stack; false if the ring buffer had no room (counted). */
static __always_inline bool notify(__u32 kind, __u32 tgid)
{
	struct cprof_sample *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e) {
		count(CPROF_CNT_EVENTS_LOST);
		return false;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->pid = tgid;
	e->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return true;
}

/* bpf_find_vma's callback: the executable mapping found, described in ctx. Pointer fields
 * by probe reads here and below (task_fields() in common.bpf.h says why). */
static long describe_vma(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct cprof_exec_vma *v = ctx;
	struct inode *inode = BPF_CORE_READ(vma, vm_file, f_inode);

	if (!(vma->vm_flags & VM_EXEC))
		return 0;
	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->offset = (__u64)vma->vm_pgoff << PAGE_SHIFT;
	if (inode) {
		v->ino = BPF_CORE_READ(inode, i_ino);
		v->dev = BPF_CORE_READ(inode, i_sb, s_dev);
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
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct dentry *root = BPF_CORE_READ(task, fs, root.dentry);
	__u64 exe = BPF_CORE_READ(bprm, file, f_inode, i_ino);

	xi->ppid = BPF_CORE_READ(task, real_parent, tgid);
	xi->root_ino = BPF_CORE_READ(root, d_inode, i_ino);
	xi->root_dev = BPF_CORE_READ(root, d_sb, s_dev);
	add_vma(task, xi, BPF_CORE_READ(mm, start_code), exe);
	add_vma(task, xi, regs->ip, exe);
	add_vma(task, xi, (__u64)BPF_CORE_READ(mm, context.vdso), exe);
	/* interp: the file exec loaded, where filename is a script's (binfmt_script). */
	bpf_probe_read_kernel_str(xi->path, sizeof(xi->path), bprm->interp);
}

/* Fills m for v from the table user space registered for v's object; false if none. */
static __always_inline bool known_map(const struct cprof_exec_vma *v, struct cprof_exec_map *m)
{
	struct cprof_obj_key key = { .ino = v->ino, .dev = v->dev };
	struct cprof_obj_table *t = bpf_map_lookup_elem(&obj_tables, &key);

	if (!t)
		return false;
	m->start = v->start;
	m->end = v->end;
	m->bias = v->start - (v->offset + t->delta) + t->base;
	m->row_start = t->row_start;
	m->n_rows = t->n_rows;
	m->page_start = t->page_start;
	m->n_pages = t->n_pages;
	m->flags = t->flags;
	m->obj_id = t->obj_id;
	return true;
}

/* Replaces tgid's unwind view, which describes the image exec just discarded, with one of
 * the new image's mappings whose objects have tables already (sorted by start), or drops
 * it when there are none: until user space publishes the process's own view, samples are
 * unwound from what is known, never from the old image's. */
static __always_inline void publish_view(__u32 tgid, const struct cprof_exec_info *xi)
{
	__u32 zero = 0, n = 0;
	struct cprof_proc_maps *v = bpf_map_lookup_elem(&exec_view, &zero);

	if (!v)
		goto drop;
#pragma unroll
	for (__u32 i = 0; i < CPROF_EXEC_MAPS; i++) {
		struct cprof_exec_map m = {};
		__u32 j = n;

		if (i >= xi->n_vmas || !known_map(&xi->vmas[i], &m))
			continue;
		/* Sorted by start, by insertion: at most three entries. */
		for (__u32 k = 0; k < CPROF_EXEC_MAPS && j > 0; k++, j--) {
			struct cprof_exec_map *prev = &v->maps[(j - 1) & (CPROF_MAX_EXEC_MAPS - 1)];

			if (prev->start < m.start)
				break;
			v->maps[j & (CPROF_MAX_EXEC_MAPS - 1)] = *prev;
		}
		v->maps[j & (CPROF_MAX_EXEC_MAPS - 1)] = m;
		n++;
	}
	v->n = n;
	v->gen = n ? exec_gen() : 0;
	if (v->gen && !bpf_map_update_elem(&proc_maps, &tgid, v, BPF_ANY))
		return;
drop:
	bpf_map_delete_elem(&proc_maps, &tgid);
}

/* Exec: the new image's first view, then the record that tells user space, with what the
 * kernel knows of the image (its mappings so far: user space may find the process gone
 * before it can read its maps). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(cprof_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cprof_exec_info *xi;
	struct cprof_sample *e;

	if (!pid_watched(tgid))
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e) + sizeof(*xi), 0);
	if (!e) {
		count(CPROF_CNT_EVENTS_LOST);
		bpf_map_delete_elem(&proc_maps, &tgid);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e) + sizeof(*xi));
	xi = (struct cprof_exec_info *)(e + 1);
	e->kind = CPROF_EV_EXEC;
	e->pid = tgid;
	e->tid = tgid;
	e->ts = bpf_ktime_get_ns();
	e->image = BPF_CORE_READ(task, mm, start_stack);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->pcomm, e->comm, sizeof(e->pcomm));
	describe_image(task, bprm, xi);
	publish_view(tgid, xi);
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
	/* User space drops the view when it reads the event: the tracepoint can come before
	 * the task's last user-mode samples (on 6.18 perf's exit work comes later, with the
	 * address space still there), which still need it. An event lost to a full ring
	 * buffer must not leave a view behind (the map is bounded): it goes here then. */
	if (!notify(CPROF_EV_EXIT, tgid))
		bpf_map_delete_elem(&proc_maps, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cprof_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u64 born = child->start_time;

	if (!follow_children || !filter_pids || ctgid == ptgid)
		return 0;
	if (bpf_map_lookup_elem(&pids, &ptgid))
		bpf_map_update_elem(&pids, &ctgid, &born, BPF_ANY);
	return 0;
}

/* A watched process's pid leaves the filter when its last task is freed: its parent has
 * reaped it, and the kernel may give the pid to an unrelated process next. Not at
 * sched_process_exit: the exit's own work (unmapping its memory) still runs, and is sampled,
 * after that. Without this a followed child's pid stayed watched after it exited, and the
 * map (64 Ki pids) filled in a long build. Loaded only with a pid filter.
 * The free comes an RCU grace period after the reap, and a followed process may have forked
 * a child that got the pid meanwhile: the entry goes only if it is this process's (its
 * start_time) or a target user space gave (0). */
SEC("tp_btf/sched_process_free")
int BPF_PROG(cprof_free, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	__u64 *born;

	/* The group leader is freed last: after every other thread of its process. */
	if (p->pid != p->tgid)
		return 0;
	born = bpf_map_lookup_elem(&pids, &tgid);
	if (born && (!*born || *born == p->start_time))
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
