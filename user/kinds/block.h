/* The block (off-CPU) profile: sched_switch waits with Go's block-profile sampling. */
#ifndef CPROF_BLOCK_H
#define CPROF_BLOCK_H

#include <stdint.h>

struct block_bpf;
struct btf;
struct report_kind;

/* Before load: chooses how user stacks of kept waits are read (a task work at the return
 * to user space where the kernel has them, else the sys_exit tracepoint), and says so when
 * it is the costly one. vmlinux: the kernel's BTF, NULL if it could not be read. */
void block__prepare(struct block_bpf *skel, const struct btf *vmlinux);

/* Attaches the switch, waking (and syscall-exit) programs. Returns 0 or -errno. */
int block__attach(struct block_bpf *skel);

/* Runs the task iterator: at the start (mode 1) it stamps waits already in progress, at
 * the end (mode 2) it reports the waits still in progress. Returns 0 or -errno. */
int block__sweep(struct block_bpf *skel, int mode);

/* Go's block profile conventions: contentions/count, delay/nanoseconds, period 1; labels
 * state (interruptible/uninterruptible) and waker (thread name) with waker_pid. */
void block__report_kind(struct report_kind *k);

#endif
