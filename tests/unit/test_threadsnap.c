// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The thread snapshot's records, states, groups and printing (report/threadsnap.c): task
 * states named as ps names them, the iterator's output read with bounds (a record cut
 * short, of another kind, or with frame counts past their limits stops the reading),
 * threads grouped by their functions whatever their addresses, groups ordered and counted,
 * and the text and JSON that say so. No kernel. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "cprof.h"
#include "report/threadsnap.h"

TEST(states)
{
	CHECK(threadsnap__state(0, CPROF_THREAD_ON_CPU) == THREAD_RUNNING, "on a CPU");
	CHECK(threadsnap__state(0, 0) == THREAD_RUNNABLE, "ready, off CPU");
	CHECK(threadsnap__state(0x1, 0) == THREAD_SLEEPING, "TASK_INTERRUPTIBLE");
	CHECK(threadsnap__state(0x2, 0) == THREAD_UNINTERRUPTIBLE, "TASK_UNINTERRUPTIBLE");
	CHECK(threadsnap__state(0x402, 0) == THREAD_IDLE, "TASK_IDLE");
	CHECK(threadsnap__state(0x102, 0) == THREAD_UNINTERRUPTIBLE, "TASK_KILLABLE");
	CHECK(threadsnap__state(0x4, 0) == THREAD_STOPPED, "__TASK_STOPPED");
	CHECK(threadsnap__state(0x8, 0) == THREAD_STOPPED, "__TASK_TRACED");
	CHECK(threadsnap__state(0x1, 0x10 << 8) == THREAD_EXITING, "EXIT_ZOMBIE");
	CHECK(!strcmp(threadsnap__state_name(THREAD_UNINTERRUPTIBLE), "uninterruptible"), "name");
	CHECK(!strcmp(threadsnap__state_name(THREAD_STATE_NR), "?"), "out of range");
}

/* Appends a thread record with nk kernel and nu user frames to buf at *len. */
static void put_rec(uint8_t *buf, size_t *len, uint32_t tid, unsigned int nk, unsigned int nu)
{
	struct cprof_sample r = { .kind = CPROF_EV_THREAD, .pid = 7, .tid = tid,
				  .n_kernel = (uint16_t)nk, .n_user = (uint16_t)nu };

	memcpy(buf + *len, &r, sizeof(r));
	*len += sizeof(r);
	for (unsigned int i = 0; i < nk + nu; i++) {
		uint64_t a = 0x1000 + i;

		memcpy(buf + *len, &a, sizeof(a));
		*len += sizeof(a);
	}
}

static uint8_t recs[4 * CPROF_SAMPLE_MAX_SIZE];
static union thread_rec rec;

TEST(records_bounded)
{
	size_t len = 0, off = 0;

	put_rec(recs, &len, 11, 2, 3);
	put_rec(recs, &len, 12, CPROF_MAX_KERNEL_FRAMES, CPROF_MAX_USER_FRAMES);
	REQUIRE(!threadsnap__next(recs, len, &off, &rec), "first");
	CHECK(rec.r.tid == 11 && rec.r.frames[4] == 0x1004, "tid %u", rec.r.tid);
	REQUIRE(!threadsnap__next(recs, len, &off, &rec), "the largest record");
	CHECK(rec.r.tid == 12 && rec.r.frames[CPROF_SAMPLE_MAX_FRAMES - 1] ==
				     0x1000 + CPROF_SAMPLE_MAX_FRAMES - 1, "tid %u", rec.r.tid);
	CHECK(threadsnap__next(recs, len, &off, &rec) == 1 && off == len, "end at %zu", off);
	/* Cut inside the frames, inside the header. */
	off = 0;
	CHECK(threadsnap__next(recs, sizeof(struct cprof_sample) + 8, &off, &rec) == -EINVAL &&
	      off == 0, "cut in the frames");
	CHECK(threadsnap__next(recs, 20, &off, &rec) == -EINVAL, "cut in the header");
	/* Another kind; frame counts past their limits. */
	len = 0;
	put_rec(recs, &len, 13, 1, 1);
	((struct cprof_sample *)recs)->kind = CPROF_KIND_CPU;
	CHECK(threadsnap__next(recs, len, &off, &rec) == -EINVAL, "a CPU sample");
	len = 0;
	put_rec(recs, &len, 14, CPROF_MAX_KERNEL_FRAMES + 1, 0);
	CHECK(threadsnap__next(recs, sizeof(recs), &off, &rec) == -EINVAL, "kernel frames");
	len = 0;
	put_rec(recs, &len, 15, 0, CPROF_MAX_USER_FRAMES + 1);
	CHECK(threadsnap__next(recs, sizeof(recs), &off, &rec) == -EINVAL, "user frames");
}

/* A spinner at address pc (threads of one loop differ only there) or a sleeper. */
static int add(struct threadsnap *ts, int pid, int tid, enum thread_state st, uint64_t pc,
	       bool sleeper)
{
	struct thread_frame f[] = {
		{ .addr = 0xffff1, .name = "do_nanosleep", .object = "kernel", .kernel = true },
		{ .addr = pc, .name = sleeper ? "f_sleep" : "f_spin", .file = "w.c", .line = 9,
		  .object = "w" },
		{ .addr = 0x7f01, .name = "start_thread", .object = "libc.so.6" },
		{ .addr = 0x7f02, .name = "clone3", .object = "libc.so.6" },
	};
	struct thread_info t = { .pid = pid, .tid = tid, .comm = "w\"k", .pcomm = "w",
				 .state = st, .complete = true };

	return sleeper ? threadsnap__add(ts, &t, f, 4) : threadsnap__add(ts, &t, f + 1, 3);
}

/* out's text, NUL-terminated, in a buffer the caller frees. */
static char *print(struct threadsnap *ts, enum threadsnap_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (threadsnap__print(ts, f, fmt)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

TEST(groups)
{
	struct threadsnap *ts = threadsnap__new();
	char *text = NULL, *json = NULL, *a, *b;
	int err = 0;

	REQUIRE(ts, "new");
	for (int i = 0; i < 3; i++)	/* one loop, three addresses */
		err |= add(ts, 100, 110 + i, i ? THREAD_RUNNABLE : THREAD_RUNNING, 0x500 + i, false);
	for (int i = 0; i < 2; i++)
		err |= add(ts, 100, 120 + i, THREAD_SLEEPING, 0x600, true);
	err |= add(ts, 50, 51, THREAD_SLEEPING, 0x600, true);	/* another process */
	CHECK(!err, "add");
	CHECK(threadsnap__count(ts, 100) == 5 && threadsnap__count(ts, 0) == 6, "counts");
	text = print(ts, THREADSNAP_GROUPS);
	json = print(ts, THREADSNAP_JSON);
	REQUIRE(text && json, "printed");
	/* Processes in pid order; the larger group first; one header per process. */
	a = strstr(text, "pid 50 (w): 1 thread\n");
	b = strstr(text, "pid 100 (w): 5 threads\n");
	CHECK(a && b && a < b, "process headers:\n%s", text);
	a = strstr(text, "3 threads: running 1, runnable 2\n    110 w\"k (running), 111 w\"k (runnable)");
	b = strstr(text, "2 threads: sleeping 2\n    120 w\"k, 121 w\"k\n  do_nanosleep [kernel]\n"
			 "  f_sleep at w.c:9 [w]\n");
	CHECK(a && b && a < b, "groups:\n%s", text);
	CHECK(!strstr(text, "cut short"), "complete stacks:\n%s", text);
	/* JSON: the same groups, strings escaped. */
	CHECK(strstr(json, "\"count\": 3, \"states\": {\"running\": 1, \"runnable\": 2}"),
	      "json:\n%s", json);
	CHECK(strstr(json, "{\"tid\": 110, \"name\": \"w\\\"k\", \"state\": \"running\"}"),
	      "escaped:\n%s", json);
	CHECK(strstr(json, "\"function\": \"do_nanosleep\", \"file\": null, \"line\": 0, "
			   "\"inlined\": false, \"object\": \"kernel\"}"), "frame:\n%s", json);
	CHECK(strstr(json, "{\"threads\": 6, \"processes\": [{\"pid\": 50, \"name\": \"w\", "
			   "\"threads\": 1, \"unreadable\": 0}, {\"pid\": 100, \"name\": \"w\", "
			   "\"threads\": 5, \"unreadable\": 0}],\n \"groups\": [\n") == json,
	      "head:\n%s", json);
	free(text);
	free(json);
	threadsnap__free(ts);
}

/* One entry per thread, by process then tid, whatever order they were added in. */
TEST(each)
{
	struct threadsnap *ts = threadsnap__new();
	char *text, *a, *b, *c, *d;
	int err = 0;

	REQUIRE(ts, "new");
	err |= add(ts, 100, 121, THREAD_SLEEPING, 0x600, true);
	err |= add(ts, 100, 110, THREAD_RUNNING, 0x500, false);
	err |= add(ts, 50, 51, THREAD_SLEEPING, 0x600, true);
	err |= add(ts, 100, 120, THREAD_SLEEPING, 0x600, true);
	CHECK(!err, "add");
	text = print(ts, THREADSNAP_EACH);
	REQUIRE(text, "printed");
	a = strstr(text, "pid 50 (w): 1 thread\n\nthread 51 w\"k [sleeping]:\n  do_nanosleep [kernel]\n");
	b = strstr(text, "pid 100 (w): 3 threads\n\nthread 110 w\"k [running]:\n  f_spin");
	c = strstr(text, "\n\nthread 120 w\"k [sleeping]:\n  do_nanosleep [kernel]\n"
			 "  f_sleep at w.c:9 [w]\n");
	d = strstr(text, "\n\nthread 121 w\"k [sleeping]:\n");
	CHECK(a && b && c && d && a < b && b < c && c < d, "entries:\n%s", text);
	CHECK(!strstr(text, "threads: "), "no groups:\n%s", text);
	free(text);
	threadsnap__free(ts);
}

TEST(cut_and_unreadable)
{
	struct threadsnap *ts = threadsnap__new();
	struct thread_frame f = { .addr = 0x4000, .object = NULL };
	struct thread_info cut = { .pid = 1, .tid = 2, .comm = "c", .pcomm = "p",
				   .state = THREAD_SLEEPING, .stop = "stack read faulted" };
	struct thread_info unread = { .pid = 1, .tid = 3, .comm = "u", .pcomm = "p",
				      .state = THREAD_STOPPED, .unreadable = true, .stop = "x" };
	char *text;

	REQUIRE(ts, "new");
	CHECK(!threadsnap__add(ts, &cut, &f, 1) && !threadsnap__add(ts, &unread, NULL, 0), "add");
	text = print(ts, THREADSNAP_GROUPS);
	REQUIRE(text, "printed");
	CHECK(strstr(text, "pid 1 (p): 2 threads, 1 whose user stack could not be read\n"),
	      "header:\n%s", text);
	CHECK(strstr(text, "  0x4000 [unmapped]\n  [stack cut short: stack read faulted]\n"),
	      "cut:\n%s", text);
	CHECK(strstr(text, "1 thread: stopped 1\n    3 u\n  [user stack unreadable]\n"),
	      "unreadable:\n%s", text);
	free(text);
	text = print(ts, THREADSNAP_EACH);
	REQUIRE(text, "printed per thread");
	CHECK(strstr(text, "thread 2 c [sleeping]:\n  0x4000 [unmapped]\n"
			   "  [stack cut short: stack read faulted]\n\nthread 3 u [stopped]:\n"
			   "  [user stack unreadable]\n"), "each:\n%s", text);
	free(text);
	text = print(ts, THREADSNAP_JSON);
	REQUIRE(text, "printed as JSON");
	CHECK(strstr(text, "\"processes\": [{\"pid\": 1, \"name\": \"p\", \"threads\": 2, "
			   "\"unreadable\": 1}]"), "json:\n%s", text);
	CHECK(strstr(text, "\"complete\": false, \"unreadable\": false, "
			   "\"stop\": \"stack read faulted\""), "json:\n%s", text);
	free(text);
	threadsnap__free(ts);
}

int main(void)
{
	check__suite = "threadsnap";
	RUN(states);
	RUN(records_bounded);
	RUN(groups);
	RUN(each);
	RUN(cut_and_unreadable);
	return CHECK_EXIT();
}
