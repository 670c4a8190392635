/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which futex calls are lock contention, for the mutex profile. Pure functions over the
 * syscall's number and arguments, compiled into the BPF program and into a unit test.
 * A futex word says nothing of its type, so the rule looks at both ends of a wait:
 *  - the waiter must have waited for a lock: FUTEX_LOCK_PI/LOCK_PI2, or a FUTEX_WAIT-style
 *    wait whose expected value is not 0 (condition variables and semaphores wait for 0);
 *  - the waker must have released a lock: FUTEX_UNLOCK_PI, or a FUTEX_WAKE-style wake that
 *    finds the word at 0 or 1, or back at the value the waiter slept on;
 *  - requeues and FUTEX_WAKE_OP move or wake condition-variable waiters: never contention.
 * docs/BPF.md (mutex) has the reasons (glibc's and libstdc++'s locks, PI mutexes,
 * futex_waitv) and the limits.
 */
#ifndef CPROF_FUTEX_CLASS_H
#define CPROF_FUTEX_CLASS_H

/* x86-64 syscall numbers. */
#define CPROF_NR_FUTEX 202
#define CPROF_NR_FUTEX_WAITV 449
#define CPROF_NR_FUTEX_WAKE 454
#define CPROF_NR_FUTEX_WAIT 455
#define CPROF_NR_FUTEX_REQUEUE 456

/* futex_waitv takes at most this many futexes (FUTEX_WAITV_MAX, kernel/futex/syscalls.c). */
#define CPROF_FUTEX_WAITV_MAX 128

/* futex(2) commands (include/uapi/linux/futex.h); the flags above 0x7f are masked off. */
#define CPROF_FUTEX_CMD_MASK 0x7f

enum cprof_futex_class {
	CPROF_FX_OTHER = 0,	/* not a wait or a wake */
	CPROF_FX_WAIT,		/* FUTEX_WAIT, WAIT_BITSET, futex_wait, futex_waitv */
	CPROF_FX_WAIT_PI,	/* FUTEX_LOCK_PI, LOCK_PI2: always a lock */
	CPROF_FX_WAIT_CV,	/* FUTEX_WAIT_REQUEUE_PI: a condition variable */
	CPROF_FX_WAKE,		/* FUTEX_WAKE, WAKE_BITSET, futex_wake: look at the word */
	CPROF_FX_UNLOCK_PI,	/* FUTEX_UNLOCK_PI: always a lock release */
	CPROF_FX_REQUEUE,	/* requeues and WAKE_OP: never a lock release */
};

static inline int cprof_futex_classify(long nr, unsigned long op)
{
	switch (nr) {
	case CPROF_NR_FUTEX_WAIT:
	case CPROF_NR_FUTEX_WAITV:
		return CPROF_FX_WAIT;
	case CPROF_NR_FUTEX_WAKE:
		return CPROF_FX_WAKE;
	case CPROF_NR_FUTEX_REQUEUE:
		return CPROF_FX_REQUEUE;
	case CPROF_NR_FUTEX:
		break;
	default:
		return CPROF_FX_OTHER;
	}
	switch (op & CPROF_FUTEX_CMD_MASK) {
	case 0:		/* FUTEX_WAIT */
	case 9:		/* FUTEX_WAIT_BITSET */
		return CPROF_FX_WAIT;
	case 6:		/* FUTEX_LOCK_PI */
	case 13:	/* FUTEX_LOCK_PI2 */
		return CPROF_FX_WAIT_PI;
	case 11:	/* FUTEX_WAIT_REQUEUE_PI */
		return CPROF_FX_WAIT_CV;
	case 1:		/* FUTEX_WAKE */
	case 10:	/* FUTEX_WAKE_BITSET */
		return CPROF_FX_WAKE;
	case 7:		/* FUTEX_UNLOCK_PI */
		return CPROF_FX_UNLOCK_PI;
	case 3:		/* FUTEX_REQUEUE */
	case 4:		/* FUTEX_CMP_REQUEUE */
	case 5:		/* FUTEX_WAKE_OP */
	case 12:	/* FUTEX_CMP_REQUEUE_PI */
		return CPROF_FX_REQUEUE;
	default:
		return CPROF_FX_OTHER;
	}
}

/* Syscall nr can wait for a lock: futex, futex_wait, futex_waitv. */
static inline int cprof_futex_waits(long nr)
{
	return nr == CPROF_NR_FUTEX || nr == CPROF_NR_FUTEX_WAIT || nr == CPROF_NR_FUTEX_WAITV;
}

/* A wait of class cls expecting val is a wait for a lock. */
static inline int cprof_futex_lock_wait(int cls, unsigned long long val)
{
	return cls == CPROF_FX_WAIT_PI || (cls == CPROF_FX_WAIT && (unsigned int)val != 0);
}

/* A wake of class cls that found the word at word (ok: the read worked) releases a lock
 * that a waiter awaited with the value expected. The word is read when the wake reaches
 * the waiter, after the unlock's store: by then a third thread may have taken the lock
 * again, and marked it contended, which gives back the value the waiter slept on. */
static inline int cprof_futex_lock_release(int cls, int ok, unsigned int word,
					   unsigned int expected)
{
	return cls == CPROF_FX_UNLOCK_PI ||
	       (cls == CPROF_FX_WAKE && ok && (word <= 1 || word == expected));
}

#endif
