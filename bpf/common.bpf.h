/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every cprof BPF object uses: the shared maps (bpf/maps.bpf.h), the settings user space
 * gives before load, the counters, and the scratch records a sample is built in. */
#ifndef CPROF_COMMON_BPF_H
#define CPROF_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "cprof.h"
#include "maps.bpf.h"

/* Set by user space before load. */
const volatile bool filter_pids = false;	/* false: whole host */
const volatile bool follow_children = false;	/* add forked children of watched pids */
const volatile __u32 max_user_frames = CPROF_DEFAULT_USER_FRAMES;
/* Wake the consumer only once this much is waiting: it drains on a timer anyway, and a
 * wakeup per record costs more than the record (set to a quarter of the ring's size). */
const volatile __u64 wakeup_bytes = 1 << 20;

/* Per-CPU scratch records: too large for the 512-byte BPF stack. Their frame arrays are a
 * power of two so an index can be masked: the verifier loses range checks across bpf_loop.
 * A CPU has several, one per program running on it at once: a program in task context can be
 * interrupted (a perf_event over a tracepoint, with a shared map) or, where uprobe programs
 * run preemptible (migrate_disable() only, with preempt=full), another thread's program can
 * run on the same CPU before it ends. A record is claimed by an atomic exchange of its busy
 * word, so claims need not be released in order. */
#define SCRATCH_FRAMES 512
#define SCRATCH_MASK (SCRATCH_FRAMES - 1)
#define SCRATCH_SLOTS 4
_Static_assert(SCRATCH_FRAMES >= CPROF_SAMPLE_MAX_FRAMES, "scratch frames");

struct sample_buf {
	struct cprof_sample s;
	__u64 frames[SCRATCH_FRAMES];
	__u32 slot;	/* its key in scratch: the unwinder looks it up again per frame */
	__u32 pad;
	__u64 busy;	/* claimed by a program between sample_begin and submit/discard (64
			 * bits: clang's BPF target has no 32-bit cmpxchg before -mcpu=v3) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct sample_buf);
} scratch SEC(".maps");

/* 6.2+: a pointer of a kernel type from an address, with no call (the verifier inlines it). */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id) __ksym __weak;

/* t, for loading its pointer fields. From 6.3 the verifier checks each load of a pointer
 * field from a trusted pointer (a tp_btf argument, bpf_get_current_task_btf()) against its
 * lists of fields that stay trusted, by name: up to four linear searches of the kernel's BTF,
 * ~0.4 ms each here (6.18), on every path it verifies the load on — most of the verification
 * time of these programs, paid at every start. Loads through the untrusted alias
 * bpf_rdonly_cast() gives are the same plain loads (a fault reads 0) and are not checked.
 * new_kernel false (6.1: no such check, no bpf_rdonly_cast): t itself. The alias cannot be
 * passed to helpers: keep t for those. */
static __always_inline struct task_struct *task_fields(struct task_struct *t, bool new_kernel)
{
	if (new_kernel)
		return bpf_rdonly_cast(t, bpf_core_type_id_kernel(struct task_struct));
	return t;
}

/* How a program loads a pointer field of a trusted task (task_fields()): plainly where the
 * verifier does not check such loads (6.1), through the alias where the kernel has
 * bpf_rdonly_cast(), or by a probe read (a call, and 8 bytes of stack) in code that one
 * object loads on every kernel, or shares between programs for both. A constant at each
 * call, so that only one way is compiled in. */
enum task_load { TASK_PLAIN, TASK_CAST, TASK_PROBE };

/* t->mm, loaded as how says. */
static __always_inline struct mm_struct *task_mm(struct task_struct *t, enum task_load how)
{
	if (how == TASK_PROBE)
		return BPF_CORE_READ(t, mm);
	return task_fields(t, how == TASK_CAST)->mm;
}

static __always_inline void count_n(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += n;
}

static __always_inline void count(__u32 which)
{
	count_n(which, 1);
}

static __always_inline bool pid_watched(__u32 tgid)
{
	if (!filter_pids)
		return true;
	return bpf_map_lookup_elem(&pids, &tgid) != NULL;
}

/* Scratch record i of this CPU if it was free, now claimed; else NULL. */
static __always_inline struct sample_buf *scratch_try(__u32 i)
{
	struct sample_buf *b = bpf_map_lookup_elem(&scratch, &i);

	if (!b || b->busy || __sync_val_compare_and_swap(&b->busy, 0, 1))
		return NULL;
	b->slot = i;
	return b;
}

/* A free scratch record of this CPU, claimed; NULL (counted) when all are in use. Most
 * programs run alone on their CPU and take the first at the first try. */
static __always_inline struct sample_buf *scratch_claim(void)
{
	struct sample_buf *b;

	_Static_assert(SCRATCH_SLOTS == 4, "scratch_claim tries each slot");
	if ((b = scratch_try(0)) || (b = scratch_try(1)) || (b = scratch_try(2)) ||
	    (b = scratch_try(3)))
		return b;
	count(CPROF_CNT_SCRATCH_BUSY);
	return NULL;
}

/* Ends the use of b without sending it; sample_submit does this too. Every path out of a
 * program after sample_begin returned a record passes here. */
static __always_inline void sample_discard(struct sample_buf *b)
{
	b->busy = 0;
}

/* Starts a record about task (usually current): NULL when no scratch record is free, else
 * one to end with sample_submit or sample_discard. */
static __always_inline struct sample_buf *sample_begin_task(__u32 kind, struct task_struct *task)
{
	struct sample_buf *b = scratch_claim();

	if (!b)
		return NULL;
	b->s.kind = kind;
	b->s.pid = BPF_CORE_READ(task, tgid);
	b->s.tid = BPF_CORE_READ(task, pid);
	b->s.cpu = bpf_get_smp_processor_id();
	b->s.n_user = 0;
	b->s.n_kernel = 0;
	b->s.flags = 0;
	b->s.value[0] = 0;
	b->s.value[1] = 0;
	b->s.addr = 0;
	b->s.aux = 0;
	__builtin_memset(b->s.aux_comm, 0, sizeof(b->s.aux_comm));
	b->s.ts = bpf_ktime_get_ns();
	BPF_CORE_READ_STR_INTO(&b->s.comm, task, comm);
	BPF_CORE_READ_STR_INTO(&b->s.pcomm, task, group_leader, comm);
	return b;
}

static __always_inline struct sample_buf *sample_begin(__u32 kind)
{
	return sample_begin_task(kind, bpf_get_current_task_btf());
}

/* Kernel stack of the current context into b->frames[0..]; skip = frames to drop at the top
 * (the BPF program's own callers when not in a perf_event). */
static __always_inline void sample_kernel_stack(void *ctx, struct sample_buf *b, __u32 skip)
{
	long n = bpf_get_stack(ctx, b->frames, sizeof(__u64) * CPROF_MAX_KERNEL_FRAMES,
			       skip & BPF_F_SKIP_FIELD_MASK);

	if (n < 0) {
		b->s.flags |= CPROF_SF_KSTACK_ERR;
		count(CPROF_CNT_KSTACK_ERR);
		return;
	}
	b->s.n_kernel = n / sizeof(__u64);
}

/* Sends the record and releases it; its size follows the frame counts. User space is woken up only when
 * it has something to do at once: tables to publish (a process without them, a pc outside
 * the mappings it published) or a ring buffer a quarter full; otherwise it reads the
 * records on its poll timeout. A wake-up is an interrupt sent to this CPU, which in a VM
 * costs more than all the rest of a sample (measured: 5 of 6.5 us). Returns 0, or -1 when
 * the ring buffer had no room (counted). */
static __always_inline int sample_submit(struct sample_buf *b)
{
	__u64 n = (__u64)b->s.n_kernel + b->s.n_user;
	__u32 stop = b->s.flags & CPROF_SF_STOP_MASK;
	__u64 size, wake = BPF_RB_NO_WAKEUP;

	if (n > CPROF_SAMPLE_MAX_FRAMES)
		n = CPROF_SAMPLE_MAX_FRAMES;
	size = sizeof(struct cprof_sample) + n * sizeof(__u64);
	if (stop == CPROF_STOP_NO_TABLES || stop == CPROF_STOP_NO_MAPPING ||
	    bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		wake = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&rb, b, size, wake)) {
		count(CPROF_CNT_RINGBUF_FULL);
		if (b->s.kind < CPROF_KIND_NR)
			count(CPROF_CNT_LOST_KIND + b->s.kind);
		sample_discard(b);
		return -1;
	}
	sample_discard(b);
	return 0;
}

#endif
