// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The mutex profile's futex classification (bpf/futex_class.h), with the arguments glibc
 * 2.36 passes for its mutexes, rwlocks, condition variables and semaphores. */
#include <limits.h>
#include <linux/futex.h>

#include "check.h"
#include "futex_class.h"

#define PRIV FUTEX_PRIVATE_FLAG

TEST(classify_ops)
{
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAIT | PRIV) == CPROF_FX_WAIT, "wait");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAIT_BITSET | PRIV | FUTEX_CLOCK_REALTIME) ==
		      CPROF_FX_WAIT, "wait_bitset with clock flag");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_LOCK_PI) == CPROF_FX_WAIT_PI, "lock_pi");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_LOCK_PI2 | PRIV) == CPROF_FX_WAIT_PI,
	      "lock_pi2");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAIT_REQUEUE_PI) == CPROF_FX_WAIT_CV,
	      "wait_requeue_pi");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAKE | PRIV) == CPROF_FX_WAKE, "wake");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAKE_BITSET) == CPROF_FX_WAKE, "wake_bitset");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_UNLOCK_PI | PRIV) == CPROF_FX_UNLOCK_PI,
	      "unlock_pi");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_CMP_REQUEUE | PRIV) == CPROF_FX_REQUEUE,
	      "cmp_requeue");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_WAKE_OP) == CPROF_FX_REQUEUE, "wake_op");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_CMP_REQUEUE_PI) == CPROF_FX_REQUEUE,
	      "cmp_requeue_pi");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX, FUTEX_TRYLOCK_PI) == CPROF_FX_OTHER, "trylock_pi");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX_WAIT, 0) == CPROF_FX_WAIT, "futex_wait");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX_WAITV, 0) == CPROF_FX_WAIT, "futex_waitv");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX_WAKE, 0) == CPROF_FX_WAKE, "futex_wake");
	CHECK(cprof_futex_classify(CPROF_NR_FUTEX_REQUEUE, 0) == CPROF_FX_REQUEUE, "futex_requeue");
	CHECK(cprof_futex_classify(0, FUTEX_WAIT) == CPROF_FX_OTHER, "read(2)");
}

TEST(lock_waits)
{
	/* __lll_lock_wait: FUTEX_WAIT for 2; rwlock: 3 on __writers_futex/__wrphase_futex. */
	CHECK(cprof_futex_lock_wait(CPROF_FX_WAIT, 2), "mutex wait");
	CHECK(cprof_futex_lock_wait(CPROF_FX_WAIT, 3), "rwlock wait");
	CHECK(cprof_futex_lock_wait(CPROF_FX_WAIT_PI, 0), "pi lock: the value is the owner");
	/* pthread_cond_wait waits on __g_signals for 0; sem_wait on a count of 0. */
	CHECK(!cprof_futex_lock_wait(CPROF_FX_WAIT, 0), "condvar wait");
	CHECK(!cprof_futex_lock_wait(CPROF_FX_WAIT_CV, 2), "wait_requeue_pi");
	CHECK(!cprof_futex_lock_wait(CPROF_FX_WAKE, 2), "a wake is no wait");
	/* The value is 32-bit: a sign-extended argument still reads as the word. */
	CHECK(!cprof_futex_lock_wait(CPROF_FX_WAIT, 0x100000000ull), "high bits ignored");
}

TEST(lock_releases)
{
	/* lll_unlock stores 0, the rwlock's last reader 1, then they wake. */
	CHECK(cprof_futex_lock_release(CPROF_FX_WAKE, 1, 0, 2), "mutex unlock");
	CHECK(cprof_futex_lock_release(CPROF_FX_WAKE, 1, 1, 3), "last reader");
	CHECK(cprof_futex_lock_release(CPROF_FX_UNLOCK_PI, 0, 0x80001234, 0x80001234), "unlock_pi");
	/* Read at the wake-up: a third thread took the lock and found it contended meanwhile. */
	CHECK(cprof_futex_lock_release(CPROF_FX_WAKE, 1, 2, 2), "mutex taken again, contended");
	/* pthread_cond_signal adds 2 to __g_signals; sem_post a token. */
	CHECK(!cprof_futex_lock_release(CPROF_FX_WAKE, 1, 2, 0), "cond signal");
	CHECK(!cprof_futex_lock_release(CPROF_FX_WAKE, 1, INT_MAX, 0), "broadcast with many signals");
	/* A word moved on from what its waiters sleep on (a round counter, an event). */
	CHECK(!cprof_futex_lock_release(CPROF_FX_WAKE, 1, 6, 5), "next round");
	CHECK(!cprof_futex_lock_release(CPROF_FX_WAKE, 0, 0, 2), "unreadable word");
	CHECK(!cprof_futex_lock_release(CPROF_FX_REQUEUE, 1, 0, 2), "requeue");
}

int main(void)
{
	CHECK_SUITE("futex_class");
	RUN(classify_ops);
	RUN(lock_waits);
	RUN(lock_releases);
	return CHECK_EXIT();
}
