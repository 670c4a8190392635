/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which futex calls are lock contention, for the mutex profile. Pure functions over the
 * syscall's number and arguments, compiled into the BPF program and into a unit test.
 *
 * A futex word says nothing of its type, so the rule looks at both ends of a wait:
 *  - the waiter must have waited for a lock: FUTEX_LOCK_PI/LOCK_PI2, or a FUTEX_WAIT-style
 *    wait whose expected value is not 0. glibc's mutexes wait for the value 2 ("locked,
 *    with waiters"), its rwlocks for 3 or readers|2; condition variables wait on
 *    __g_signals for 0 ("no signal yet"), semaphores on a value of 0 ("no token"), so
 *    those never count. FUTEX_WAIT_REQUEUE_PI is a condition-variable wait.
 *  - the waker must have released a lock: FUTEX_UNLOCK_PI, or a FUTEX_WAKE-style wake that
 *    finds the word at 0 or 1, or back at the value the waiter slept on (another thread took
 *    the lock and found it contended after the unlock; the word is read at the wake-up, not
 *    at the syscall's entry). Unlocking stores 0 before waking (glibc lll_unlock, the
 *    rwlock's writer and phase futexes store 0, its last reader 1); pthread_cond_signal/
 *    broadcast add signals in steps of 2 first, sem_post a token: a wake that is no unlock
 *    changes the word away from the value its waiters sleep on.
 *  - requeues (FUTEX_REQUEUE, CMP_REQUEUE, CMP_REQUEUE_PI, futex_requeue) and FUTEX_WAKE_OP
 *    move or wake condition-variable waiters: never lock contention.
 * Priority-inheritance mutexes (PTHREAD_PRIO_INHERIT) hold the owner's tid in the word, so
 * their values say nothing; their ops do: FUTEX_LOCK_PI/LOCK_PI2 is always a lock wait,
 * FUTEX_UNLOCK_PI always a release. In FUTEX_UNLOCK_PI the kernel makes the top waiter the
 * owner and wakes it from the unlocking thread's syscall (futex_unlock_pi → rt_mutex
 * wake_q), so sched_waking runs in the unlocker's context, as for FUTEX_WAKE: the unlocker
 * is charged. FUTEX_TRYLOCK_PI never sleeps. A PI waiter can spin in the kernel on a
 * running owner instead of sleeping; it is still in TASK_INTERRUPTIBLE, so the unlock's
 * wake-up reaches sched_waking all the same.
 * C++ std::mutex and std::shared_mutex are glibc's pthread mutex and rwlock underneath
 * (libstdc++'s __gthread_mutex_t and __shared_mutex_pthread): the rules above hold.
 * Tested with their ground truth in tests/e2e/mutex_{contend,rwlock,pi,cxx,member}.sh.
 * Limits: a lock whose free state is neither 0 nor 1, or whose waiters expect 0, is missed;
 * a non-lock word that waiters expect non-zero and wakers reset to 0/1 (e.g. some barriers)
 * is counted. 8/16/64-bit futex2 words are read as 32 bits.
 * futex_waitv waits on up to 128 futexes, each with its own expected value: the entries
 * that wait for a lock are kept, and a lock release on any of them charges its waker.
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
