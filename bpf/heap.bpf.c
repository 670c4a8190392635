// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Heap profile: uprobes on the allocator functions of each target, with Go's sampling.
 *
 * Each thread counts down the bytes it allocates; when the countdown passes zero the
 * allocation is sampled and the countdown is refilled from an exponential draw with mean
 * --heap-rate (a table user space fills). An allocation of size s is thus sampled with
 * probability 1 - exp(-s/rate), which user space undoes.
 *
 * Allocating functions are attached as uprobe sessions (Linux 6.13+): the entry program
 * decides, and only a sampled call pays for the return probe that reads the pointer
 * (returning 1 from the entry skips it). The user stack is unwound at entry, kept in task
 * storage, and sent with the pointer at return; the pointer is remembered so that its free
 * is reported. free()'s probe is placed by user space on an instruction the kernel emulates
 * rather than single-steps (its entry often is not); it never asks for the return.
 */
#include "unwind.bpf.h"

extern bool bpf_session_is_return(void) __ksym;

struct heap_task {
	__s64 countdown;	/* bytes until the next sample; 0 = not drawn yet */
	__u64 pending_sp;	/* sp at entry of a sampled call awaiting its return, 0 = none */
	__u64 skip_sp, skip_size;	/* an unsampled call that may call another allocator
					 * function for the same request (realloc(NULL, n)) */
	__u64 size;		/* the pending sampled call: requested size */
	__u64 memptr;		/* posix_memalign: where the pointer will be stored */
	__u32 n_user, user_flags;
	__u64 ustack[CPROF_MAX_USER_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct heap_task);
} heap_tasks SEC(".maps");

/* Exponential draws (bytes), mean = rate; filled by user space before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CPROF_HEAP_DRAWS);
	__type(key, __u32);
	__type(value, __u64);
} heap_draws SEC(".maps");

struct heap_ptr {
	__u32 pid;
	__u32 pad;
	__u64 ptr;
};

/* Sampled allocations not freed yet → size. Sized by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct heap_ptr);
	__type(value, __u64);
} heap_live SEC(".maps");

static __always_inline __s64 draw(void)
{
	__u32 i = bpf_get_prandom_u32() & (CPROF_HEAP_DRAWS - 1);
	__u64 *v = bpf_map_lookup_elem(&heap_draws, &i);

	return v && *v ? *v : 1;
}

/* Reports a free of p if p is a sampled allocation. */
static __always_inline void free_ptr(__u32 pid, __u64 p)
{
	struct heap_ptr key = { .pid = pid, .ptr = p };
	struct sample_buf *b;

	/* Lookup first: it takes no lock, and most frees are of unsampled pointers. */
	if (!p || !bpf_map_lookup_elem(&heap_live, &key) || bpf_map_delete_elem(&heap_live, &key))
		return;
	b = sample_begin(CPROF_KIND_HEAP_FREE);
	if (!b)
		return;
	b->s.addr = p;
	b->s.flags = CPROF_STOP_NO_REGS;
	sample_submit(b);
}

/* The thread's state if this call is to be looked at: not nested inside a sampled call,
 * not the inner call of an unsampled realloc(NULL, n). */
static __always_inline struct heap_task *gate(struct pt_regs *ctx, __u64 size)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 sp = PT_REGS_SP(ctx);
	struct heap_task *ht;
	bool inner;

	/* No pid filter here: every link is attached for one process (uprobe_multi's pid). */
	ht = bpf_task_storage_get(&heap_tasks, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ht) {
		count(CPROF_CNT_HEAP_NO_STORAGE);
		return NULL;
	}
	if (ht->pending_sp) {
		if (sp < ht->pending_sp)
			return NULL;
		ht->pending_sp = 0;	/* its return never came (longjmp, cancellation) */
	}
	if (ht->skip_sp) {
		inner = sp <= ht->skip_sp && size == ht->skip_size;
		ht->skip_sp = 0;
		if (inner)
			return NULL;
	}
	return ht;
}

/* Unwinds from the allocator's caller, as Go's heap stacks start at the allocating function:
 * the probe is at the allocator's entry, where the return address is at sp. The caller's
 * state is handed over as an exact pc (ra - 1, inside the call) so the unwinder needs no CFI
 * row for the allocator itself, nor frame pointers there. */
static __always_inline void unwind_caller(struct pt_regs *ctx, struct sample_buf *b)
{
	struct pt_regs r;
	__u64 ra = 0;

	/* One call site, always with the stack copy: each inlined copy of the unwinder costs
	 * the verifier much time, and one instruction may not see two pointer types. */
	if (bpf_probe_read_kernel(&r, sizeof(r), ctx)) {
		unwind_user(NULL, b);
		return;
	}
	if (!bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx)) && ra >= 2) {
		r.ip = ra - 1;
		r.sp += 8;
	}
	unwind_user(&r, b);
}

/* Sampling decision for an allocation of size bytes; a sampled call has its user stack
 * unwound now and its return probe run (returns 0), others skip it (returns 1). */
static __always_inline int alloc_entry(struct pt_regs *ctx, struct heap_task *ht, __u64 size,
				       __u64 memptr)
{
	struct sample_buf *b;
	__u32 n;

	if (!ht->countdown)
		ht->countdown = draw();
	if ((__s64)size < ht->countdown) {
		ht->countdown -= size;
		return 1;
	}
	ht->countdown = draw();
	count(CPROF_CNT_HEAP_SAMPLED);
	b = sample_begin(CPROF_KIND_HEAP_ALLOC);
	if (!b)
		return 1;
	unwind_caller(ctx, b);
	n = b->s.n_user;
	if (n > CPROF_MAX_USER_FRAMES)
		n = CPROF_MAX_USER_FRAMES;
	if (n && bpf_probe_read_kernel(ht->ustack, (n & (SCRATCH_FRAMES - 1)) * sizeof(__u64),
				       b->frames))
		n = 0;
	ht->n_user = n;
	ht->user_flags = b->s.flags;
	sample_discard(b);
	ht->size = size;
	ht->memptr = memptr;
	ht->pending_sp = PT_REGS_SP(ctx);
	return 0;
}

/* Return of a sampled call: the pointer, the record, and the pointer remembered. */
static __always_inline int alloc_return(struct pt_regs *ctx)
{
	struct heap_task *ht = bpf_task_storage_get(&heap_tasks, bpf_get_current_task_btf(),
						    NULL, 0);
	struct heap_ptr key = {};
	struct sample_buf *b;
	__u64 p = PT_REGS_RC(ctx), nu;

	if (!ht || !ht->pending_sp)
		return 0;
	ht->pending_sp = 0;
	ht->skip_sp = 0;
	if (ht->memptr)	/* posix_memalign: 0 on success, the pointer is in *memptr */
		p = p || bpf_probe_read_user(&p, sizeof(p), (void *)ht->memptr) ? 0 : p;
	if (!p)
		return 0;
	b = sample_begin(CPROF_KIND_HEAP_ALLOC);
	if (!b)
		return 0;
	b->s.addr = p;
	b->s.value[0] = ht->size;
	b->s.flags = ht->user_flags;
	nu = ht->n_user;
	asm volatile("" : "+r"(nu));
	if (nu > CPROF_MAX_USER_FRAMES)
		nu = CPROF_MAX_USER_FRAMES;
	if (nu && !bpf_probe_read_kernel(b->frames, nu * sizeof(__u64), ht->ustack))
		b->s.n_user = nu;
	key.pid = b->s.pid;
	key.ptr = p;
	sample_submit(b);	/* b is released: no use of it after this */
	/* After the record: a free of p (only possible once we return) must follow it. */
	if (bpf_map_update_elem(&heap_live, &key, &ht->size, BPF_ANY))
		count(CPROF_CNT_HEAP_LIVE_FULL);
	return 0;
}

/* One allocator call; realloc (is_realloc) = free of old + allocation, and realloc(NULL, n)
 * may call malloc for the same request, which is then skipped. */
static __always_inline int alloc(struct pt_regs *ctx, __u64 size, __u64 memptr, __u64 old,
				 bool is_realloc)
{
	struct heap_task *ht = gate(ctx, size);

	if (!ht)
		return 1;
	if (is_realloc) {
		if (old)
			free_ptr(bpf_get_current_pid_tgid() >> 32, old);
		if (!size)
			return 1;
		if (!old) {
			ht->skip_sp = PT_REGS_SP(ctx);
			ht->skip_size = size;
		}
	}
	return alloc_entry(ctx, ht, size, memptr);
}

/* n * size does not overflow (written so clang does not widen it to 128 bits). */
static __always_inline bool mul_ok(__u64 n, __u64 size)
{
	__u64 prod = n * size;

	asm volatile("" : "+r"(prod));
	return !size || prod / size == n;
}

/* One program for every probe of an object, told apart by the attach cookie, so a process
 * has one uprobe_multi link per allocator object: each link's release waits for an RCU
 * grace period, and a run should not end (or start) one of those per function. */
SEC("kprobe")
int cprof_heap_probe(struct pt_regs *ctx)
{
	__u64 fn = bpf_get_attach_cookie(ctx), n = 1, size, memptr = 0, old = 0;
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);
	bool is_realloc = false;

	/* Loaded up front: clang would otherwise compute one ctx offset per case and the
	 * verifier refuses loads through a modified ctx pointer. */
	asm volatile("" : "+r"(a1), "+r"(a2), "+r"(a3));
	if (bpf_session_is_return())
		return alloc_return(ctx);
	switch (fn) {
	case CPROF_HEAP_MALLOC:
		size = a1;
		break;
	case CPROF_HEAP_CALLOC:
		n = a1;
		size = a2;
		break;
	case CPROF_HEAP_REALLOC:
		old = a1;
		size = a2;
		is_realloc = true;
		break;
	case CPROF_HEAP_REALLOCARRAY:
		old = a1;
		n = a2;
		size = a3;
		is_realloc = true;
		break;
	case CPROF_HEAP_MEMALIGN:
		size = a2;
		break;
	case CPROF_HEAP_POSIX_MEMALIGN:
		memptr = a1;
		size = a3;
		break;
	default:
		/* free: placed past the entry, where rdi still holds the pointer; returning 1
		 * means no return probe. */
		free_ptr(bpf_get_current_pid_tgid() >> 32, a1);
		return 1;
	}
	if (!mul_ok(n, size))
		return 1;	/* calloc/reallocarray overflow: the call fails */
	return alloc(ctx, n * size, memptr, old, is_realloc);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
