/* A snapshot of a process's threads (`cprof-bpf stacks`): the records the thread iterator
 * writes (bpf/threads.bpf.c), read with bounds; the threads grouped by identical stacks
 * (function names, leaf first, kernel then user) and printed as text (grouped, as Go's
 * goroutine?debug=1 groups goroutines, or one entry per thread, as debug=2 lists them), or as
 * JSON. Knows nothing of BPF or symbols: the
 * caller symbolizes each thread's frames and adds them. */
#ifndef CPROF_THREADSNAP_H
#define CPROF_THREADSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cprof.h"

enum thread_state {
	THREAD_RUNNING,		/* on a CPU when the iterator saw it */
	THREAD_RUNNABLE,	/* ready, waiting for a CPU (preempted) */
	THREAD_SLEEPING,	/* interruptible wait (S) */
	THREAD_UNINTERRUPTIBLE,	/* D */
	THREAD_IDLE,		/* an uninterruptible wait that does not count as load (I) */
	THREAD_STOPPED,		/* stopped by a signal or traced (T, t) */
	THREAD_EXITING,		/* zombie or dead */
	THREAD_STATE_NR,
};

/* The state of a record's task: value[0] its __state, value[1] as CPROF_EV_THREAD says. */
enum thread_state threadsnap__state(uint64_t task_state, uint64_t extra);
const char *threadsnap__state_name(enum thread_state s);

/* A record with room for every frame, for threadsnap__next. */
union thread_rec {
	struct cprof_sample r;
	uint8_t bytes[CPROF_SAMPLE_MAX_SIZE];
};

/* The next record of the iterator's output buf[*off .. len), copied into *out, and *off
 * moved past it. Returns 0, 1 at the end of buf, or -EINVAL for bytes that are not a whole
 * thread record (another kind, frame counts past their limits, cut short): the rest of
 * buf is then unread. The names in *out are NUL-terminated. */
int threadsnap__next(const void *buf, size_t len, size_t *off, union thread_rec *out);

struct thread_frame {
	uint64_t addr;		/* as recorded: the pc, or a return address */
	const char *name;	/* function; NULL: unknown */
	const char *file;	/* NULL: unknown */
	int64_t line;		/* 0: unknown */
	const char *object;	/* "kernel", a module, a file's base name; NULL: unmapped */
	bool kernel;
	bool inlined;		/* inlined into the frame after it */
};

struct thread_info {
	int pid, tid;
	const char *comm;	/* thread name */
	const char *pcomm;	/* process name */
	enum thread_state state;
	bool unreadable;	/* its user stack could not be read */
	bool complete;		/* the user stack reached a thread root */
	const char *stop;	/* why it stopped short, when not complete */
};

struct threadsnap;

struct threadsnap *threadsnap__new(void);
void threadsnap__free(struct threadsnap *ts);

/* Adds a thread and its n frames, leaf first (strings are copied). Returns 0 or -ENOMEM. */
int threadsnap__add(struct threadsnap *ts, const struct thread_info *t,
		    const struct thread_frame *f, size_t n);

/* Threads added, of process pid (0: all). */
size_t threadsnap__count(const struct threadsnap *ts, int pid);

enum threadsnap_format {
	THREADSNAP_GROUPS,	/* text: by process, then identical stacks, the largest group first */
	THREADSNAP_EACH,	/* text: by process, then each thread by tid, with its stack */
	THREADSNAP_JSON,	/* one JSON document of the groups */
};

/* Prints the threads as fmt says. Returns 0, -ENOMEM, or -EIO (a write failed). */
int threadsnap__print(struct threadsnap *ts, FILE *out, enum threadsnap_format fmt);

#endif
