/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The only header shared by BPF programs and user space: record formats, map values,
 * enums. Fixed-width types only, no pointers, no `long`; sizes are checked below so both
 * compilers agree on every layout.
 */
#ifndef CPROF_H
#define CPROF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CPROF_COMM_LEN 16
/* Hard ceiling of --max-depth: sizes the record buffer, not a run-time choice. */
#define CPROF_MAX_USER_FRAMES 256
#define CPROF_DEFAULT_USER_FRAMES 128
/* PERF_MAX_STACK_DEPTH is 127; deeper kernel stacks than 64 do not occur in practice. */
#define CPROF_MAX_KERNEL_FRAMES 64

enum cprof_kind {
	CPROF_KIND_CPU = 0,
	CPROF_KIND_BLOCK,
	CPROF_KIND_MUTEX,
	CPROF_KIND_HEAP_ALLOC,
	CPROF_KIND_HEAP_FREE,
	CPROF_KIND_THREADS,	/* not from BPF: CPROF_EV_THREAD records of the threads profile */
	CPROF_KIND_NR,
	/* Not samples: process lifecycle events so user space refreshes its maps. */
	CPROF_EV_EXEC = 32,
	CPROF_EV_EXIT,
	CPROF_EV_DLOPEN,	/* the dynamic linker mapped objects: look for allocators */
	CPROF_EV_STACK_COPY,	/* struct cprof_stack_copy: the rest of a cut user stack */
	/* `cprof-bpf stacks`: one thread of the snapshot (bpf/threads.bpf.c), a struct
	 * cprof_sample written to the task iterator's file, not the ring buffer: value[0] the
	 * task's __state, value[1] CPROF_THREAD_ON_CPU | exit_state << 8. */
	CPROF_EV_THREAD,
};

#define CPROF_THREAD_ON_CPU 0x1ull	/* on a CPU as the iterator saw it */

/*
 * Why a user stack ended. CPROF_STOP_ROOT means the unwinder reached a thread root (an
 * outermost frame); every other value is a truncation, counted in the summary.
 */
enum cprof_unwind_stop {
	CPROF_STOP_ROOT = 0,	/* reached the outermost frame */
	CPROF_STOP_DEPTH,	/* --max-depth frames collected */
	CPROF_STOP_NO_REGS,	/* no user registers (kernel thread, or a task inside exec
				 * whose registers are still those of the image it replaced) */
	CPROF_STOP_NO_MAPPING,	/* pc outside every known executable mapping */
	CPROF_STOP_NO_CFI,	/* pc in a mapping but no unwind row covers it */
	CPROF_STOP_UNSUPPORTED,	/* the CFI rule here cannot be expressed */
	CPROF_STOP_READ_FAULT,	/* reading the stack faulted (paged out or bad pointer) */
	CPROF_STOP_BAD_SP,	/* stack pointer did not increase */
	CPROF_STOP_BAD_RA,	/* zero or kernel return address */
	CPROF_STOP_FP_END,	/* frame-pointer chain ended (rbp == 0) where no row marks a root */
	CPROF_STOP_NO_TABLES,	/* tables for this process not built yet */
	CPROF_STOP_NOT_CAPTURED,	/* block: the task did not run in its own context after the
					 * wait was kept (still waiting at the end of the run) */
	CPROF_STOP_NR,
};

/* Sample flags (cprof_sample.flags); the low 8 bits hold enum cprof_unwind_stop. */
#define CPROF_SF_STOP_MASK	0xffu
#define CPROF_SF_KSTACK_ERR	(1u << 8)	/* bpf_get_stack failed for the kernel part */
#define CPROF_SF_USER_MODE	(1u << 9)	/* the sample interrupted user code */
#define CPROF_SF_FP_FALLBACK	(1u << 10)	/* some frames came from frame pointers */
#define CPROF_SF_PC_EXACT	(1u << 11)	/* the first user frame is the exact pc, not a
						 * return address (user mode, or a fault) */
#define CPROF_SF_STACK_COPY	(1u << 12)	/* stopped at a pc outside the mappings known,
						 * the stack there sent just before (struct
						 * cprof_stack_copy) */
#define CPROF_SF_STACK_UNREAD	(1u << 13)	/* CPROF_EV_THREAD: the thread's user stack
						 * could not be read (its pc alone, if any) */

/*
 * One record in the ring buffer. frames[] holds n_kernel kernel addresses, then n_user
 * user addresses, each leaf first. The first user frame is the interrupted pc; later
 * frames are return addresses (user space subtracts 1 when it looks them up), except that
 * an exact pc found later (the instruction a signal interrupted, a signal trampoline
 * entered by a return) is stored plus 1, so that the same subtraction finds it.
 */
struct cprof_sample {
	__u32 kind;		/* enum cprof_kind */
	__u32 pid;		/* thread group id */
	__u32 tid;
	__u32 cpu;
	__u16 n_user;
	__u16 n_kernel;
	__u32 flags;		/* CPROF_SF_* */
	__u64 value[2];		/* per kind: cpu {1, 0}; block/mutex {count, delay ns}; heap {size, 0} */
	__u64 addr;		/* per kind: block: task state; mutex: futex word; heap: pointer */
	__u64 aux;		/* block: waker tgid << 32 | tid (0 unknown, CPROF_WAKER_IRQ) */
	__u64 ts;		/* bpf_ktime_get_ns() */
	/* The image (what one exec loaded) the user frames belong to: its mm's start_stack,
	 * which ASLR draws anew at every exec and /proc/PID/stat shows as startstack. A
	 * child shares its parent's until it execs. 0: unknown (no address space). */
	__u64 image;
	char comm[CPROF_COMM_LEN];	/* thread name */
	char pcomm[CPROF_COMM_LEN];	/* process (group leader) name */
	char aux_comm[CPROF_COMM_LEN];	/* block: the waker's thread name */
	__u64 frames[];
};

/*
 * What an exec record (CPROF_EV_EXEC, after its struct cprof_sample) says of the new image,
 * read where the kernel has just built it: its executable mappings so far (the executable's
 * text, the dynamic loader's, the vDSO; the loader maps the libraries later), enough to
 * place its frames even when the process is gone before user space reads its maps.
 */
#define CPROF_EXEC_MAPS 3
#define CPROF_EXEC_PATH_LEN 256

struct cprof_exec_vma {
	__u64 start, end;	/* runtime addresses [start, end) */
	__u64 offset;		/* file offset of start */
	__u64 ino;		/* 0: no file (the vDSO) */
	__u32 dev;		/* the kernel's dev_t: major << 20 | minor */
	__u32 is_exe;		/* a mapping of the executable (path names it) */
};

struct cprof_exec_info {
	__u32 ppid;		/* the parent's tgid */
	__u32 n_vmas;
	__u64 root_ino;		/* the process's root directory, to tell whether its paths */
	__u32 root_dev;		/* are ours (dev as in cprof_exec_vma) */
	__u32 pad;
	struct cprof_exec_vma vmas[CPROF_EXEC_MAPS];	/* the executable's text first */
	/* The executable as exec named it (maybe relative); a script's: its interpreter. */
	char path[CPROF_EXEC_PATH_LEN];
};

/* Block samples: the wait was ended from interrupt context (timer, I/O completion), not
 * by another task. */
#define CPROF_WAKER_IRQ (~0ULL)
/* Task states as the sched_switch tracepoint reports them (include/linux/sched.h). */
#define CPROF_TASK_INTERRUPTIBLE 0x1
#define CPROF_TASK_UNINTERRUPTIBLE 0x2

/* Heap samples (kind CPROF_KIND_HEAP_ALLOC): value[0] = requested size, addr = the pointer.
 * CPROF_KIND_HEAP_FREE: addr = a sampled pointer that was freed (no stack). The exponential
 * draws of the byte countdown come from a table user space fills (BPF has no floats). */
#define CPROF_HEAP_DRAWS 4096

/* The allocator functions heap.bpf.c handles: the attach cookie of each probe. */
enum cprof_heap_fn {
	CPROF_HEAP_MALLOC = 0,	/* malloc(size), valloc(size), pvalloc(size) */
	CPROF_HEAP_CALLOC,	/* calloc(n, size) */
	CPROF_HEAP_REALLOC,	/* realloc(p, size) */
	CPROF_HEAP_REALLOCARRAY,	/* reallocarray(p, n, size) */
	CPROF_HEAP_MEMALIGN,	/* memalign(align, size), aligned_alloc(align, size) */
	CPROF_HEAP_POSIX_MEMALIGN,	/* posix_memalign(&p, align, size) */
	CPROF_HEAP_FREE,	/* free(p), past its entry: no return probe */
};

/* Where a heap probe reads an argument when the allocator has moved it out of its usual
 * register (rdi, rsi, rdx) before the probe's instruction: the pt_regs field. */
enum cprof_heap_reg {
	CPROF_HEAP_REG_USUAL = 0,
	CPROF_HEAP_REG_AX, CPROF_HEAP_REG_BX, CPROF_HEAP_REG_CX, CPROF_HEAP_REG_DX,
	CPROF_HEAP_REG_SI, CPROF_HEAP_REG_DI, CPROF_HEAP_REG_BP,
	CPROF_HEAP_REG_R8, CPROF_HEAP_REG_R9, CPROF_HEAP_REG_R10, CPROF_HEAP_REG_R11,
	CPROF_HEAP_REG_R12, CPROF_HEAP_REG_R13, CPROF_HEAP_REG_R14, CPROF_HEAP_REG_R15,
	CPROF_HEAP_REG_N
};

/* A heap probe's attach cookie: the function and the process the link is for, so the
 * program needs no helper call to learn the pid. fn is an enum cprof_heap_fn in its low
 * 8 bits, and above them 4 bits per argument (up to 3) naming its register, 0 for the
 * usual one: a probe with its arguments in place, the common case, has none set. */
#define CPROF_HEAP_COOKIE(fn, pid) ((__u64)(fn) | (__u64)(pid) << 32)
#define CPROF_HEAP_FN_MASK 0xffu
#define CPROF_HEAP_ARG_SHIFT(i) (8 + 4 * (i))	/* i = 0, 1, 2 */
#define CPROF_HEAP_ARGS_MASK 0xfff00u
_Static_assert(CPROF_HEAP_REG_N <= 16, "a register in 4 bits");

#define CPROF_SAMPLE_MAX_FRAMES (CPROF_MAX_KERNEL_FRAMES + CPROF_MAX_USER_FRAMES)
#define CPROF_SAMPLE_MAX_SIZE \
	(sizeof(struct cprof_sample) + CPROF_SAMPLE_MAX_FRAMES * sizeof(__u64))

/* Per-CPU counters (an array map indexed by this enum); user space sums the CPUs. */
enum cprof_counter {
	CPROF_CNT_CPU_SAMPLES = 0,	/* perf events that passed the pid filter */
	CPROF_CNT_RINGBUF_FULL,		/* records lost: ring buffer had no room (all kinds) */
	CPROF_CNT_KSTACK_ERR,		/* kernel stack could not be read */
	CPROF_CNT_IDLE,			/* samples of the idle task (host-wide), not recorded */
	CPROF_CNT_EVENTS_LOST,		/* exec/exit notifications lost to a full ring buffer */
	CPROF_CNT_BLOCK_WAITS,		/* waits that ended (watched tasks) */
	CPROF_CNT_BLOCK_KEPT,		/* waits kept by --block-rate sampling */
	CPROF_CNT_BLOCK_NO_STORAGE,	/* waits lost: no task storage could be allocated */
	CPROF_CNT_MUTEX_WAKES,		/* lock waiters woken by a lock release */
	CPROF_CNT_MUTEX_KEPT,		/* of those, kept by --mutex-rate sampling */
	CPROF_CNT_MUTEX_NOT_LOCK,	/* waiters woken by a wake that is no lock release */
	CPROF_CNT_MUTEX_NO_STORAGE,	/* lock waits lost: no task storage */
	CPROF_CNT_HEAP_SAMPLED,		/* allocations sampled by --heap-rate */
	CPROF_CNT_HEAP_NO_STORAGE,	/* allocator calls lost: no task storage */
	CPROF_CNT_HEAP_LIVE_FULL,	/* sampled allocations whose free cannot be matched */
	CPROF_CNT_BLOCK_STACK_LATE,	/* kept waits sent without a user stack: the task entered
					 * the kernel again before it could be read */
	CPROF_CNT_BLOCK_LOST_DELAY,	/* nanoseconds of delay in block records lost (ring full) */
	CPROF_CNT_BLOCK_UNSEEN_END,	/* waits whose ending sched_switch never reached the
					 * program: length from the task's run time since */
	CPROF_CNT_SCRATCH_BUSY,		/* samples dropped: every scratch record of the CPU was
					 * in use by programs running there at once */
	CPROF_CNT_LOST_KIND,		/* + enum cprof_kind: records lost, per kind */
	CPROF_CNT_NR = CPROF_CNT_LOST_KIND + CPROF_KIND_NR,
};

/*
 * Unwind table rows, compiled by user space from .eh_frame/.debug_frame, one per change of
 * rule, sorted by pc. A row covers [pc, next row's pc). pc is the ELF virtual address minus
 * the object's table base (usually 0), so a process's mapping supplies the load bias.
 * On x86-64 the return address is always at CFA - 8 and the caller's rsp is the CFA.
 */
enum cprof_row_kind {
	CPROF_ROW_CFA_RSP = 0,	/* CFA = rsp + 8 * cfa_off */
	CPROF_ROW_CFA_RBP,	/* CFA = rbp + 8 * cfa_off */
	CPROF_ROW_PLT,		/* CFA = rsp + 8 * cfa_off + ((rip & 15) >= rbp_slot ? 8 : 0) */
	CPROF_ROW_SIGNAL,	/* signal trampoline: registers come from the ucontext at rsp */
	CPROF_ROW_STOP,		/* outermost frame (return address undefined): a thread root */
	CPROF_ROW_FP,		/* no usable CFI here: follow the frame pointer */
	CPROF_ROW_DEREF,	/* CFA = *(rbp - 8 * cfa_off) (stack realignment, e.g. main) */
	CPROF_ROW_END,		/* no CFI covers [pc, next row): a gap between FDEs */
	CPROF_ROW_UNSUPPORTED,	/* a rule the unwinder cannot follow: stop and count */
	CPROF_ROW_FP_SWITCH,	/* frameless code that switched stacks (Go's asmcgocall,
				 * systemstack): rbp leads back to its caller's stack; cfa_off, if
				 * not 0, is that caller's CFA offset at the call, else the
				 * unwinder searches for it */
	CPROF_ROW_CLONE,	/* a system call that starts a thread, where its CFI leaves a gap
				 * (glibc's clone, clone3; see user/unwind/cfi_clone.h): at the
				 * first frame, rax == 0 is the new thread, a root; else as
				 * CFA_RSP (the parent, or a later frame) */
	CPROF_ROW_NR,
};

/* Not in any table (cfi_table refuses kinds from CPROF_ROW_NR on): the row the BPF unwinder
 * makes up for a pc in a mapping whose table is still being built (CPROF_MAP_PENDING); the
 * stack stops there, as CPROF_STOP_NO_TABLES. */
#define CPROF_ROW_PENDING 0xffu

/* rbp_slot: 0 = rbp unchanged; n = caller's rbp saved at CFA - 8 * n; this value = at *rbp. */
#define CPROF_RBP_AT_RBP 0xff

struct cprof_unwind_row {
	__u32 pc;
	__u8 kind;		/* enum cprof_row_kind */
	__u8 rbp_slot;
	__u16 cfa_off;		/* in units of 8 bytes */
};

/* Rows are indexed by 64 KiB pages of pc space: pages[p] is the row covering the page's first
 * pc, so a lookup binary-searches rows[pages[p] .. pages[p + 1]], at most 16 steps. */
#define CPROF_PAGE_SHIFT 16
#define CPROF_ROW_SEARCH_STEPS 17

/* One executable mapping of a process, as the unwinder sees it. */
struct cprof_exec_map {
	__u64 start, end;	/* runtime addresses [start, end) */
	__u64 bias;		/* row pc = runtime address - bias */
	__u32 row_start;	/* the object's first row in the shared row array */
	__u32 n_rows;
	__u32 page_start;	/* the object's first entry in the shared page index */
	__u32 n_pages;		/* entries in its page index */
	__u32 flags;		/* CPROF_MAP_* */
	__u32 obj_id;		/* user space's object number, for per-object counters */
};

#define CPROF_MAP_NO_TABLES (1u << 0)	/* no CFI (or tables failed): frame pointers only */
#define CPROF_MAP_PENDING (1u << 1)	/* its object's table is being built */

/* Per-process unwind view: executable mappings sorted by start. A process with more
 * executable mappings than this keeps the ones that hold code seen in samples first. */
#define CPROF_MAX_EXEC_MAPS 512
#define CPROF_MAP_SEARCH_STEPS 10	/* log2(CPROF_MAX_EXEC_MAPS) + 1 */

struct cprof_proc_maps {
	__u32 n;
	__u32 gen;		/* unique per publication (never 0): keys the unwinder's caches */
	struct cprof_exec_map maps[CPROF_MAX_EXEC_MAPS];
};

/* Views published by the exec program itself (from the tables of objects known already,
 * until user space publishes the process's own) have this bit in their generation, those
 * of user space never: the two count apart. A pc outside such a view is one whose object
 * has no tables yet, not one outside the process's mappings. */
#define CPROF_GEN_AT_EXEC 0x80000000u

/* An object whose table is in the shared arrays, by file: the exec program describes the
 * new image's mappings of it without user space. Registered only for objects with one
 * executable segment: file offset + delta = ELF virtual address there. */
struct cprof_obj_key {
	__u64 ino;
	__u32 dev;		/* as in cprof_exec_vma; 0 with ino 0: the vDSO */
	__u32 pad;
};

struct cprof_obj_table {
	__u64 delta;		/* p_vaddr - p_offset of the executable PT_LOAD */
	__u64 base;		/* the table's base: row pc = vaddr - base */
	__u32 row_start, n_rows;
	__u32 page_start, n_pages;
	__u32 flags;		/* CPROF_MAP_* */
	__u32 obj_id;
};

/*
 * The user stack of a CPU sample whose unwind stopped at a pc outside the executable
 * mappings it knew, in code the process did map (a library the dynamic loader mapped after
 * the view was published): the registers of that frame and the stack above its sp, sent
 * just before the sample (flagged CPROF_SF_STACK_COPY), so that user space finishes the
 * unwind once it has published the library's tables. kind and pid sit where a
 * cprof_sample has them. The stack is copied by pages: from sp to the end of its page, and
 * up to seven more pages while they can be read (28 to 32 KiB, less at the top of a stack):
 * as `perf record --call-graph dwarf,32768` keeps. With 12 KiB, 1-10 of the ~900 stacks of
 * sqlite3's shell run from its start stopped again at the copy's end, short of main.
 */
#define CPROF_STACK_COPY_PAGES 8
#define CPROF_STACK_COPY_BYTES (CPROF_STACK_COPY_PAGES * 4096)
#define CPROF_COPY_EXACT	(1u << 0)	/* ip is an exact pc, not a return address */
#define CPROF_COPY_NEW_THREAD	(1u << 1)	/* the task's saved rax was 0 (a thread's
						 * first frame in a clone: CPROF_ROW_CLONE) */

struct cprof_stack_copy {
	__u32 kind;		/* CPROF_EV_STACK_COPY */
	__u32 pid;
	__u32 tid;
	__u32 len;		/* bytes copied, from sp */
	__u64 ts;		/* the sample's: (tid, ts) names it */
	__u64 ip, sp, bp;	/* the frame the unwind stopped at (the first frame, where the
				 * process had no view and frame pointers found the rest) */
	__u32 frame;		/* its index among the sample's user frames */
	__u32 flags;		/* CPROF_COPY_* */
	__u32 view_pid;		/* whose unwind view the unwind went by: pid's own, or its
				 * parent's (a child that has not exec'ed shows its image) */
	__u32 pad;
	/* The area ip is in, as the kernel had it (end 0: not read): a process gone before
	 * user space could read its maps is still placed there. */
	struct cprof_exec_vma vma;
	__u8 bytes[CPROF_STACK_COPY_BYTES];
};

/* The input and output of the unwind replayed over a stack copy (the CPU object's
 * cprof_cpu_replay, run by user space): frames[copy.frame .. n) are the frames from the
 * copy's on, n counts the frames before them too. */
struct cprof_replay {
	struct cprof_stack_copy copy;
	__u32 n;
	__u32 flags;		/* the replayed unwind's CPROF_SF_* (why it stopped) */
	__u64 frames[CPROF_MAX_USER_FRAMES];
};

/* Kernel addresses named per run of the ksym object (bpf/ksym.bpf.c), and the room for each
 * name: "function+0xoff/0xsize [module]"; a longer one is cut and named from kallsyms. */
#define CPROF_KSYM_BATCH 64
#define CPROF_KSYM_NAME 256

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct cprof_stack_copy) == 104 + CPROF_STACK_COPY_BYTES,
	       "cprof_stack_copy layout");
_Static_assert(sizeof(struct cprof_exec_map) == 48, "cprof_exec_map layout");
_Static_assert(sizeof(struct cprof_sample) == 120, "cprof_sample layout");
_Static_assert(sizeof(struct cprof_exec_info) == 24 + 40 * CPROF_EXEC_MAPS + CPROF_EXEC_PATH_LEN,
	       "cprof_exec_info layout");
_Static_assert(sizeof(struct cprof_obj_table) == 40, "cprof_obj_table layout");
_Static_assert(sizeof(struct cprof_unwind_row) == 8, "cprof_unwind_row layout");
#endif

#endif /* CPROF_H */
