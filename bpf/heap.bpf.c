// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Heap profile: uprobes on the allocator functions of each target, with Go's sampling: a
 * per-CPU countdown of allocated bytes, refilled from exponential draws with mean --heap-rate,
 * samples an allocation of size s with probability 1 - exp(-s/rate). A sampled call has its
 * user stack unwound at entry and sent with the pointer at return; the pointer is remembered
 * so that its free is reported. What runs on every call is kept to a few loads: the trap is
 * most of a probe's cost. docs/BPF.md (heap) has the probes by kernel and the details.
 */
#include "user_stack.bpf.h"
#include "random.bpf.h"

/* Weak: the object must load without it for the uretprobe fallback (kernels < 6.13), where
 * the session program is not loaded. */
extern bool bpf_session_is_return(void) __ksym __weak;

/* Per-CPU sampling state, read by every allocator call. */
struct heap_cpu {
	__s64 countdown;	/* bytes until the next sample; 0 = not drawn yet */
	__u64 skip_tid;		/* thread of an unsampled realloc(NULL, n), which may call */
	__u64 skip_sp, skip_size;	/* malloc for the same request: skipped */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct heap_cpu);
} heap_cpus SEC(".maps");

/* Per-thread state of a sampled call, from its entry to its return. */
struct heap_task {
	__u64 pending_sp;	/* sp at entry of a sampled call awaiting its return, 0 = none */
	__u64 size;		/* the pending sampled call: requested size */
	__u64 memptr;		/* posix_memalign: where the pointer will be stored */
	struct user_stack ustack;	/* unwound at entry */
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

/* Counting filter over heap_live's keys: a zero slot means no sampled pointer hashes there,
 * so the free is not of a sampled allocation. A power of two; raised before its matching
 * heap_live entry exists and lowered after it is gone, so it never says zero wrongly. */
#define HEAP_FILTER_SLOTS (1u << 16)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HEAP_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} heap_filter SEC(".maps");

/* Sampled allocations not freed yet → size. 256 Ki entries: at the default rate that is
 * about 128 GiB of live sampled heap; past it an allocation's free cannot be matched
 * (CPROF_CNT_HEAP_LIVE_FULL, shown in the summary). Not preallocated: only sampled
 * allocations insert (one per --heap-rate bytes), and preallocating 256 Ki elements cost
 * 12-120 ms of every start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct heap_ptr);
	__type(value, __u64);
} heap_live SEC(".maps");

static __always_inline __s64 draw(void)
{
	__u32 i = random32() & (CPROF_HEAP_DRAWS - 1);
	__u64 *v = bpf_map_lookup_elem(&heap_draws, &i);

	return v && *v ? *v : 1;
}

static __always_inline __u32 *filter_slot(__u32 pid, __u64 p)
{
	/* Allocator pointers are 16-byte aligned: their low bits carry nothing. */
	__u32 i = (__u32)(((p >> 4) ^ ((__u64)pid << 40)) * 0x9e3779b97f4a7c15ull >> 48);

	return bpf_map_lookup_elem(&heap_filter, &i);
}

/* Reports a free of p if p is a sampled allocation. */
static __always_inline void free_ptr(__u32 pid, __u64 p)
{
	struct heap_ptr key = { .pid = pid, .ptr = p };
	struct sample_buf *b;
	__u32 *slot;

	if (!p)
		return;
	slot = filter_slot(pid, p);
	if (!slot || !*slot)
		return;
	/* Lookup first: it takes no lock, and a filter hit may be another pointer's. */
	if (!bpf_map_lookup_elem(&heap_live, &key) || bpf_map_delete_elem(&heap_live, &key))
		return;
	__sync_fetch_and_add(slot, -1);
	b = sample_begin(CPROF_KIND_HEAP_FREE);
	if (!b)
		return;
	b->s.addr = p;
	b->s.flags = CPROF_STOP_NO_REGS;
	sample_submit(b);
}

/* The CPU's sampling state, or NULL if this call is the inner call of an unsampled
 * realloc(NULL, n) on this thread. */
static __always_inline struct heap_cpu *gate(struct pt_regs *ctx, __u64 size)
{
	__u32 zero = 0;
	struct heap_cpu *hc = bpf_map_lookup_elem(&heap_cpus, &zero);
	bool inner;

	if (!hc)
		return NULL;
	if (hc->skip_sp) {
		if (hc->skip_tid != bpf_get_current_pid_tgid())
			return hc;	/* another thread's; ours will come (or was migrated) */
		inner = PT_REGS_SP(ctx) <= hc->skip_sp && size == hc->skip_size;
		hc->skip_sp = 0;
		if (inner)
			return NULL;
	}
	return hc;
}

/* The thread's state for a call about to be sampled, or NULL when the call is nested inside
 * a sampled call still awaiting its return. */
static __always_inline struct heap_task *sampled_task(struct pt_regs *ctx)
{
	struct heap_task *ht;

	/* No pid filter here: every link is attached for one process (uprobe_multi's pid). */
	ht = bpf_task_storage_get(&heap_tasks, bpf_get_current_task_btf(), NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ht) {
		count(CPROF_CNT_HEAP_NO_STORAGE);
		return NULL;
	}
	if (ht->pending_sp) {
		if (PT_REGS_SP(ctx) < ht->pending_sp)
			return NULL;
		ht->pending_sp = 0;	/* its return never came (longjmp, cancellation) */
	}
	return ht;
}

/* Sampling decision for an allocation of size bytes; a sampled call has its user stack
 * unwound now and its return probe run (returns 0), others skip it (returns 1). */
static __always_inline int alloc_entry(struct pt_regs *ctx, struct heap_cpu *hc, __u64 size,
				       __u64 memptr)
{
	struct heap_task *ht;

	if (!hc->countdown)
		hc->countdown = draw();
	if ((__s64)size < hc->countdown) {
		hc->countdown -= size;
		return 1;
	}
	ht = sampled_task(ctx);
	if (!ht)
		return 1;	/* nested: the countdown stays spent for the next call */
	hc->countdown = draw();
	count(CPROF_CNT_HEAP_SAMPLED);
	if (user_stack_keep(&ht->ustack, CPROF_KIND_HEAP_ALLOC, ctx, true, TASK_PROBE) == -1)
		return 1;
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
	__u64 p = PT_REGS_RC(ctx);

	__u32 *slot;
	bool known;

	if (!ht || !ht->pending_sp)
		return 0;
	ht->pending_sp = 0;
	if (ht->memptr)	/* posix_memalign: 0 on success, the pointer is in *memptr */
		p = p || bpf_probe_read_user(&p, sizeof(p), (void *)ht->memptr) ? 0 : p;
	if (!p)
		return 0;
	b = sample_begin(CPROF_KIND_HEAP_ALLOC);
	if (!b)
		return 0;
	b->s.addr = p;
	b->s.value[0] = ht->size;
	user_stack_put(b, 0, &ht->ustack);
	key.pid = b->s.pid;
	key.ptr = p;
	sample_submit(b);	/* b is released: no use of it after this */
	/* After the record: a free of p (only possible once we return) must follow it. */
	slot = filter_slot(key.pid, p);
	if (!slot)
		return 0;
	/* Already there if an earlier sampled allocation at p was freed unseen: one entry, one
	 * count in the filter. */
	known = bpf_map_lookup_elem(&heap_live, &key);
	if (!known)
		__sync_fetch_and_add(slot, 1);
	if (bpf_map_update_elem(&heap_live, &key, &ht->size, BPF_ANY)) {
		if (!known)
			__sync_fetch_and_add(slot, -1);
		count(CPROF_CNT_HEAP_LIVE_FULL);
	}
	return 0;
}

/* One allocator call; realloc (is_realloc) = free of old + allocation, and realloc(NULL, n)
 * may call malloc for the same request, which is then skipped. */
static __always_inline int alloc(struct pt_regs *ctx, __u32 pid, __u64 size, __u64 memptr,
				 __u64 old, bool is_realloc)
{
	struct heap_cpu *hc = gate(ctx, size);

	if (!hc)
		return 1;
	if (is_realloc) {
		if (old)
			free_ptr(pid, old);
		if (!size)
			return 1;
		if (!old) {
			hc->skip_tid = bpf_get_current_pid_tgid();
			hc->skip_sp = PT_REGS_SP(ctx);
			hc->skip_size = size;
		}
	}
	return alloc_entry(ctx, hc, size, memptr);
}

/* n * size does not overflow (written so clang does not widen it to 128 bits). */
static __always_inline bool mul_ok(__u64 n, __u64 size)
{
	__u64 prod = n * size;

	asm volatile("" : "+r"(prod));
	return !size || prod / size == n;
}

/* The value of the register r (enum cprof_heap_reg, not 0). In asm: the verifier refuses
 * ctx loads at a variable offset, and clang merges plain loads of the cases into one from
 * a computed address. */
static __always_inline __u64 reg_value(struct pt_regs *ctx, __u32 r)
{
	switch (r) {
	case CPROF_HEAP_REG_AX: return CTX_LOAD(ctx, ax);
	case CPROF_HEAP_REG_BX: return CTX_LOAD(ctx, bx);
	case CPROF_HEAP_REG_CX: return CTX_LOAD(ctx, cx);
	case CPROF_HEAP_REG_DX: return CTX_LOAD(ctx, dx);
	case CPROF_HEAP_REG_SI: return CTX_LOAD(ctx, si);
	case CPROF_HEAP_REG_DI: return CTX_LOAD(ctx, di);
	case CPROF_HEAP_REG_BP: return CTX_LOAD(ctx, bp);
	case CPROF_HEAP_REG_R8: return CTX_LOAD(ctx, r8);
	case CPROF_HEAP_REG_R9: return CTX_LOAD(ctx, r9);
	case CPROF_HEAP_REG_R10: return CTX_LOAD(ctx, r10);
	case CPROF_HEAP_REG_R11: return CTX_LOAD(ctx, r11);
	case CPROF_HEAP_REG_R12: return CTX_LOAD(ctx, r12);
	case CPROF_HEAP_REG_R13: return CTX_LOAD(ctx, r13);
	case CPROF_HEAP_REG_R14: return CTX_LOAD(ctx, r14);
	default: return CTX_LOAD(ctx, r15);
	}
}

/* One program for every probe of an object, told apart by the attach cookie, so a process
 * has one uprobe_multi link per allocator object: each link's release waits for an RCU
 * grace period, and a run should not end (or start) one of those per function. */
static __always_inline int heap_call(struct pt_regs *ctx, bool session)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), n = 1, size, memptr = 0, old = 0;
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);
	__u32 fn = (__u32)cookie & CPROF_HEAP_FN_MASK, pid = cookie >> 32;
	bool is_realloc = false;

	/* Loaded up front: clang would otherwise compute one ctx offset per case and the
	 * verifier refuses loads through a modified ctx pointer. */
	asm volatile("" : "+r"(a1), "+r"(a2), "+r"(a3));
	/* The allocator moved arguments before the probe's instruction (mimalloc's malloc
	 * loads its heap into rdi): one test on the common path. */
	if (cookie & CPROF_HEAP_ARGS_MASK) {
		__u32 r1 = cookie >> CPROF_HEAP_ARG_SHIFT(0) & 15;
		__u32 r2 = cookie >> CPROF_HEAP_ARG_SHIFT(1) & 15;
		__u32 r3 = cookie >> CPROF_HEAP_ARG_SHIFT(2) & 15;

		if (r1)
			a1 = reg_value(ctx, r1);
		if (r2)
			a2 = reg_value(ctx, r2);
		if (r3)
			a3 = reg_value(ctx, r3);
	}
	if (fn == CPROF_HEAP_FREE) {
		/* Placed past the entry, where rdi still holds the pointer; returning 1 means
		 * no return probe. */
		free_ptr(pid, a1);
		return 1;
	}
	if (session && bpf_session_is_return())
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
		return 1;
	}
	if (!mul_ok(n, size))
		return 1;	/* calloc/reallocarray overflow: the call fails */
	return alloc(ctx, pid, n * size, memptr, old, is_realloc);
}

SEC("kprobe")
int cprof_heap_probe(struct pt_regs *ctx)
{
	return heap_call(ctx, true);
}

/* Kernels without uprobe sessions: the same entry as a plain uprobe (its return value is
 * ignored), and a return probe on every allocating call that does nothing unless its entry
 * sampled this very call. */
SEC("kprobe")
int cprof_heap_entry(struct pt_regs *ctx)
{
	heap_call(ctx, false);
	return 0;
}

SEC("kprobe")
int cprof_heap_return(struct pt_regs *ctx)
{
	struct heap_task *ht = bpf_task_storage_get(&heap_tasks, bpf_get_current_task_btf(),
						    NULL, 0);

	/* A return at or below the sampled call's entry sp is of a call nested in it (the
	 * sampled one returns with its return address popped: sp = entry sp + 8). */
	if (!ht || !ht->pending_sp || PT_REGS_SP(ctx) <= ht->pending_sp)
		return 0;
	return alloc_return(ctx);
}

/* The dynamic linker's debugger hook (_dl_debug_state, r_brk of struct r_debug): called
 * when a dlopen has mapped its objects, before their constructors run and dlopen returns.
 * User space rescans the process's maps at once, so an allocator loaded this way is probed
 * before much of it runs. */
SEC("uprobe")
int cprof_heap_dlopen(struct pt_regs *ctx)
{
	struct cprof_sample *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e) {
		count(CPROF_CNT_EVENTS_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = CPROF_EV_DLOPEN;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
