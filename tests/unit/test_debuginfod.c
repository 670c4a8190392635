// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fetching debuginfo by build id (user/elf/fetchq.c, user/elf/debuginfod.c). The queue's
 * logic with made-up clocks: each build id once, in the order asked, budgets counted from
 * the first ask, capped and uncapped, bounds. Then the thread with elfutils' real client
 * against a loopback socket that accepts and never answers: a wait ends at the budget, the
 * fetch is cancelled, and the client's cache is left without a remembered miss. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "elf/debuginfod.h"
#include "elf/fetchq.h"
#include "util/clock.h"

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

/* Without DEBUGINFOD_URLS, or with a budget of 0, there is nothing: no client, no thread. */
TEST(test_off)
{
	struct debuginfod *d = (struct debuginfod *)1;

	unsetenv("DEBUGINFOD_URLS");
	CHECK(!debuginfod__new(5, &d) && !d, "no URLs: off");
	setenv("DEBUGINFOD_URLS", "  ", 1);
	CHECK(!debuginfod__new(5, &d) && !d, "blank URLs: off");
	setenv("DEBUGINFOD_URLS", "http://127.0.0.1:9", 1);
	CHECK(!debuginfod__new(0, &d) && !d, "budget 0: off");
	unsetenv("DEBUGINFOD_URLS");
	debuginfod__stop(NULL);
	debuginfod__free(NULL);
}

/* A loopback socket that listens and never accepts: the kernel completes the connection,
 * the request is never answered. Returns its fd, the port in *port. */
static int silent_server(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The real client against a server that never answers, budget 1 s. */
TEST(test_silent_server)
{
	char cache[] = "/tmp/cprof-debuginfod.XXXXXX", url[64], path[PATH_MAX], miss[PATH_MAX + 64];
	struct debuginfod *d = NULL;
	struct debuginfod_stats st;
	int port, fd = silent_server(&port), err;
	double t0, waited;
	struct stat sb = { 0 };

	if (fd < 0)
		SKIP("cannot listen on a loopback socket: %s", strerror(errno));
	REQUIRE(mkdtemp(cache), "mkdtemp");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	REQUIRE(!debuginfod__new(1, &d) && d, "client");
	CHECK(debuginfod__get(d, ID_A, "a", false, path) == -EINPROGRESS,
	      "without waiting: asked, not there yet");
	t0 = clock__secs(CLOCK_MONOTONIC);
	err = debuginfod__get(d, ID_A, "a", true, path);
	waited = clock__secs(CLOCK_MONOTONIC) - t0;
	CHECK(err == -ETIMEDOUT, "waited: %d (%s), want -ETIMEDOUT", err, strerror(-err));
	CHECK(waited > 0.8 && waited < 1.5, "waited %.2f s of a 1 s budget", waited);
	/* The client notices the cancel at its next progress call, about a second apart. */
	t0 = clock__secs(CLOCK_MONOTONIC);
	debuginfod__stop(d);
	waited = clock__secs(CLOCK_MONOTONIC) - t0;
	CHECK(waited < 2, "stop took %.2f s", waited);
	CHECK(debuginfod__get(d, ID_A, "a", true, path) == -ETIMEDOUT, "the timeout is kept");
	debuginfod__stats(d, &st);
	CHECK(st.asked == 1 && st.timed_out == 1 && st.budget == 1 && !strcmp(st.urls, url),
	      "stats: %zu asked, %zu timed out", st.asked, st.timed_out);
	snprintf(miss, sizeof(miss), "%s/%s/debuginfo", cache, ID_A);
	CHECK(stat(miss, &sb) != 0, "no miss left in the client's cache (%s: %lld bytes)", miss,
	      (long long)sb.st_size);
	debuginfod__free(d);
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	close(fd);
	snprintf(miss, sizeof(miss), "rm -rf '%s'", cache);
	CHECK(system(miss) == 0, "cleanup");
}

int main(void)
{
	CHECK_SUITE("debuginfod");
	RUN(test_dedup_order);
	RUN(test_budget);
	RUN(test_cap);
	RUN(test_bounds);
	RUN(test_off);
	RUN(test_silent_server);
	return CHECK_EXIT();
}
