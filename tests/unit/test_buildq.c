/* The build queue: jobs run on its thread one at a time, in order, and come out in that
 * order with their tables or errors; freeing it waits for the job in progress and drops
 * the rest. */
#include <errno.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "unwind/buildq.h"
#include "unwind/cfi.h"

static atomic_int g_running, g_most, g_built, g_hold;

/* Job n: builds a one-row table based at n after ~5 ms (job 2 not before g_hold is 0), or
 * fails with -n when n is odd. */
static int fake_build(void *ctx, void *job, struct cfi_table **t)
{
	struct cprof_unwind_row row = { .kind = CPROF_ROW_END };
	intptr_t n = (intptr_t)job;
	int now = ++g_running;

	(void)ctx;
	if (now > g_most)
		g_most = now;
	while (n == 2 && g_hold)
		usleep(100);
	usleep(5000);
	g_running--;
	g_built++;
	if (n & 1)
		return -(int)n;
	return cfi_table__new(&row, 1, (uint64_t)n, NULL, t);
}

static bool pop_wait(struct buildq *q, void **job, struct cfi_table **t, int *err)
{
	double secs;

	for (int i = 0; i < 2000; i++) {
		if (buildq__pop(q, job, t, err, &secs))
			return true;
		usleep(1000);
	}
	return false;
}

TEST(in_order)
{
	struct buildq *q = buildq__new(fake_build, NULL);
	struct cfi_table *t;
	void *job;
	int err;

	REQUIRE(q, "new");
	CHECK(!buildq__pop(q, &job, &t, &err, &(double){ 0 }), "nothing done before a push");
	for (intptr_t n = 2; n <= 5; n++)
		REQUIRE(!buildq__push(q, (void *)n), "push %ld", (long)n);
	CHECK(buildq__count(q) == 4, "4 jobs counted, got %zu", buildq__count(q));
	for (intptr_t n = 2; n <= 5; n++) {
		REQUIRE(pop_wait(q, &job, &t, &err), "job %ld done", (long)n);
		CHECK(job == (void *)n, "job %ld in order, got %ld", (long)n, (long)(intptr_t)job);
		if (n & 1)
			CHECK(err == -n && !t, "job %ld failed with %d", (long)n, err);
		else
			CHECK(!err && t && cfi_table__base(t) == (uint64_t)n, "job %ld's table", (long)n);
		cfi_table__free(t);
	}
	CHECK(g_most == 1, "one build at a time, saw %d", (int)g_most);
	CHECK(buildq__count(q) == 0, "nothing left, got %zu", buildq__count(q));
	buildq__free(q);
}

TEST(free_while_busy)
{
	struct buildq *q = buildq__new(fake_build, NULL);

	REQUIRE(q, "new");
	g_built = 0;
	for (intptr_t n = 2; n < 40; n += 2)
		REQUIRE(!buildq__push(q, (void *)n), "push");
	usleep(2000);
	buildq__free(q);	/* waits for the build in progress, frees what is done */
	CHECK(g_running == 0 && g_built < 19, "stopped after %d of 19 builds", (int)g_built);
}

/* A job needed at once: taken back while queued (never built by the thread), waited for
 * while in progress (built once, its outcome popped as usual). */
TEST(take)
{
	struct buildq *q = buildq__new(fake_build, NULL);
	struct cfi_table *t;
	void *job;
	int err;

	REQUIRE(q, "new");
	g_built = 0;
	g_hold = 1;
	for (intptr_t n = 2; n <= 8; n += 2)
		REQUIRE(!buildq__push(q, (void *)n), "push");
	while (g_running == 0)
		usleep(100);	/* job 2 in progress, held */
	CHECK(buildq__take(q, (void *)6), "queued job 6 not taken");
	g_hold = 0;
	CHECK(!buildq__take(q, (void *)2), "job 2, in progress, taken");
	CHECK(g_built >= 1, "take returned before job 2 was built");
	CHECK(!buildq__take(q, (void *)42), "a job never pushed taken");
	for (intptr_t n = 2; n <= 8; n += 2) {
		if (n == 6)
			continue;
		REQUIRE(pop_wait(q, &job, &t, &err), "job %ld done", (long)n);
		CHECK(job == (void *)n, "job %ld, got %ld", (long)n, (long)(intptr_t)job);
		cfi_table__free(t);
	}
	CHECK(g_built == 3, "%d builds, want 3 (job 6 taken back)", (int)g_built);
	CHECK(buildq__count(q) == 0, "nothing left, got %zu", buildq__count(q));
	buildq__free(q);
}

int main(void)
{
	CHECK_SUITE("buildq");
	RUN(in_order);
	RUN(free_while_busy);
	RUN(take);
	return CHECK_EXIT();
}
