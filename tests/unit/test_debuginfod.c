// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fetching debuginfo by build id (user/elf/fetchq.c). The queue's logic with made-up
 * clocks: each build id once, in the order asked, budgets counted from the first ask,
 * capped and uncapped, bounds. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "elf/fetchq.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccc"

/* Asked twice, one fetch; fetched in the order asked; outcomes kept. */
TEST(test_dedup_order)
{
	struct fetchq q;
	struct fetch *a, *b, *f;

	fetchq__init(&q, 5, 8, 16);
	a = fetchq__ask(&q, ID_A, "/bin/a", 10);
	b = fetchq__ask(&q, ID_B, "/bin/b", 10.5);
	REQUIRE(a && b && a != b, "ask");
	CHECK(fetchq__ask(&q, ID_A, "/bin/a-again", 11) == a && q.n == 2 && q.queued == 2,
	      "a second ask is the same fetch: %zu fetches, %zu queued", q.n, q.queued);
	CHECK(!strcmp(a->what, "/bin/a"), "named by the first asker: %s", a->what);
	f = fetchq__next(&q, 11);
	CHECK(f == a && a->state == FETCH_RUNNING && a->begun && a->t_begun == 11, "a first");
	fetchq__done(&q, a, 0, false, strdup("/cache/a/debuginfo"), 11.2);
	CHECK(a->state == FETCH_FOUND && fetchq__final(a) && !strcmp(a->path, "/cache/a/debuginfo"),
	      "a found");
	f = fetchq__next(&q, 11.2);
	CHECK(f == b && b->state == FETCH_RUNNING, "then b");
	fetchq__done(&q, b, -ENOENT, false, NULL, 11.3);
	CHECK(b->state == FETCH_MISSING && b->err == -ENOENT, "b missing");
	CHECK(!fetchq__next(&q, 12), "nothing left");
	CHECK(fetchq__ask(&q, ID_B, "/bin/b", 100) == b && b->state == FETCH_MISSING &&
	      !fetchq__next(&q, 100), "a miss is remembered, not fetched again");
	CHECK(fetchq__find(&q, ID_A) == a && !fetchq__find(&q, ID_C), "find");
	fetchq__free(&q);
}

/* The budget runs from the first ask: one that waited in the queue past it is timed out
 * without being tried; a running one past it is timed out by the caller's cancel. */
TEST(test_budget)
{
	struct fetchq q;
	struct fetch *a, *b, *c, *f;

	fetchq__init(&q, 2, 8, 16);
	a = fetchq__ask(&q, ID_A, "a", 0);
	b = fetchq__ask(&q, ID_B, "b", 0.5);
	c = fetchq__ask(&q, ID_C, "c", 1.9);
	REQUIRE(a && b && c, "ask");
	CHECK(fetchq__deadline(&q, a) == 2 && fetchq__deadline(&q, c) == 3.9, "deadlines %g %g",
	      fetchq__deadline(&q, a), fetchq__deadline(&q, c));
	REQUIRE(fetchq__next(&q, 0) == a, "a runs");
	/* a hangs until its budget ends: the progress callback cancels it. */
	fetchq__done(&q, a, -ENOENT, true, NULL, 2.1);
	CHECK(a->state == FETCH_TIMED_OUT && a->begun, "a timed out while running");
	f = fetchq__next(&q, 2.6);
	CHECK(f == b && b->state == FETCH_TIMED_OUT && !b->begun,
	      "b's budget (to 2.5) ran out in the queue: timed out untried, state %d", b->state);
	f = fetchq__next(&q, 2.6);
	CHECK(f == c && c->state == FETCH_RUNNING, "c has 1.3 s left: it runs");
	fetchq__done(&q, c, 0, false, strdup("/cache/c"), 2.7);
	CHECK(q.timed_out == 2, "%zu timed out, want 2", q.timed_out);
	fetchq__free(&q);
}

/* A cap (the end of a run) bounds every deadline, the ones asked later too, so that the
 * whole end waits one budget at most; an earlier cap stays; uncap lifts it. */
TEST(test_cap)
{
	struct fetchq q;
	struct fetch *a, *b, *f;

	fetchq__init(&q, 5, 8, 16);
	a = fetchq__ask(&q, ID_A, "a", 100);
	fetchq__cap(&q, 102);
	fetchq__cap(&q, 104);
	CHECK(fetchq__deadline(&q, a) == 102, "capped at the first cap: %g", fetchq__deadline(&q, a));
	b = fetchq__ask(&q, ID_B, "b", 101);
	REQUIRE(b, "ask");
	CHECK(fetchq__deadline(&q, b) == 102, "asked after the cap, capped too: %g",
	      fetchq__deadline(&q, b));
	REQUIRE(fetchq__next(&q, 100) == a, "a runs");
	fetchq__done(&q, a, -ENOENT, true, NULL, 102.1);
	f = fetchq__next(&q, 102.1);
	CHECK(f == b && b->state == FETCH_TIMED_OUT && !b->begun, "b expired at the cap");
	fetchq__uncap(&q);
	CHECK(fetchq__deadline(&q, b) == 106 && isinf(q.cap_at), "uncapped: %g",
	      fetchq__deadline(&q, b));
	CHECK(b->state == FETCH_TIMED_OUT && !fetchq__next(&q, 103),
	      "a timeout is remembered after the cap is lifted");
	fetchq__free(&q);
}

/* The queue and the run hold a bounded number; a refused build id is not remembered. */
TEST(test_bounds)
{
	static const char *const ids[] = { ID_A, ID_B, ID_C };
	struct fetchq q;
	struct fetch *f;

	fetchq__init(&q, 5, 2, 3);
	CHECK(!fetchq__ask(&q, ID_A "00", "long", 0) && errno == ENOSPC && !q.n,
	      "an id longer than 40 digits is refused");
	CHECK(fetchq__ask(&q, ids[0], "a", 0) && fetchq__ask(&q, ids[1], "b", 0), "two fit");
	errno = 0;
	CHECK(!fetchq__ask(&q, ids[2], "c", 0) && errno == ENOSPC && !fetchq__find(&q, ids[2]),
	      "a third waits for room: errno %d", errno);
	f = fetchq__next(&q, 0);
	REQUIRE(f, "next");
	fetchq__done(&q, f, -ENOENT, false, NULL, 0.1);
	CHECK(fetchq__ask(&q, ids[2], "c", 0.2) != NULL, "room again once one ran");
	CHECK(!fetchq__ask(&q, "dddddddddddddddddddddddddddddddddddddddd", "d", 0.2) &&
	      errno == ENOSPC, "the run's bound");
	fetchq__free(&q);
}

int main(void)
{
	CHECK_SUITE("debuginfod");
	RUN(test_dedup_order);
	RUN(test_budget);
	RUN(test_cap);
	RUN(test_bounds);
	return CHECK_EXIT();
}
