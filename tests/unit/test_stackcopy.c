// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A sample cut at code mapped after its tables were published, finished with the frames a
 * replay over its stack copy found: which frames are kept, which are replaced, the ending
 * and flags, and replays that must leave the sample as it was (nothing found, counts out
 * of bounds: the replay's output is checked like any record). No kernel. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "cprof.h"
#include "kinds/stackcopy.h"

/* A CPU record with room for every frame. */
union rec {
	struct cprof_sample r;
	uint8_t bytes[CPROF_SAMPLE_MAX_SIZE];
};

static union rec in, out;
static struct cprof_stack_copy copy;
static struct cprof_replay io;

/* A sample with 2 kernel frames and 3 user frames, cut at its third (user frame 2), and a
 * replay of it that found 3 more: user frames 2..5. */
static void setup(void)
{
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	memset(&copy, 0, sizeof(copy));
	memset(&io, 0, sizeof(io));
	in.r.kind = CPROF_KIND_CPU;
	in.r.pid = 42;
	in.r.tid = 43;
	in.r.ts = 1000;
	in.r.n_kernel = 2;
	in.r.n_user = 3;
	in.r.flags = CPROF_STOP_NO_MAPPING | CPROF_SF_STACK_COPY | CPROF_SF_PC_EXACT;
	in.r.frames[0] = 0xffffffff81000000ull;
	in.r.frames[1] = 0xffffffff81000100ull;
	in.r.frames[2] = 0x400100;
	in.r.frames[3] = 0x400200;
	in.r.frames[4] = 0x7f0000001000ull;
	copy.kind = CPROF_EV_STACK_COPY;
	copy.pid = 42;
	copy.tid = 43;
	copy.ts = 1000;
	copy.frame = 2;
	io.n = 6;
	io.flags = CPROF_STOP_ROOT;
	io.frames[0] = 0xdead;	/* before the copy's frame: not the replay's, never used */
	io.frames[2] = 0x7f0000001000ull;
	io.frames[3] = 0x7f0000002000ull;
	io.frames[4] = 0x7f0000003000ull;
	io.frames[5] = 0x401000;
}

TEST(finished)
{
	setup();
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK(out.r.n_kernel == 2 && out.r.n_user == 6, "%u kernel, %u user frames",
	      out.r.n_kernel, out.r.n_user);
	CHECK(out.r.frames[0] == in.r.frames[0] && out.r.frames[1] == in.r.frames[1],
	      "kernel frames kept");
	CHECK(out.r.frames[2] == 0x400100 && out.r.frames[3] == 0x400200,
	      "user frames before the copy's kept");
	CHECK(out.r.frames[4] == 0x7f0000001000ull && out.r.frames[5] == 0x7f0000002000ull &&
	      out.r.frames[6] == 0x7f0000003000ull && out.r.frames[7] == 0x401000,
	      "the replay's frames from the copy's on");
	CHECK((out.r.flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT, "stop %u",
	      out.r.flags & CPROF_SF_STOP_MASK);
	CHECK((out.r.flags & CPROF_SF_PC_EXACT) && (out.r.flags & CPROF_SF_STACK_COPY),
	      "the sample's own flags kept: %#x", out.r.flags);
	CHECK(out.r.pid == 42 && out.r.tid == 43 && out.r.ts == 1000 &&
	      out.r.kind == CPROF_KIND_CPU, "header kept");
}

/* The replay took frame-pointer steps, or the sample did before the copy: said either way. */
TEST(fallback_flags_add_up)
{
	setup();
	io.flags = CPROF_STOP_FP_END | CPROF_SF_FP_FALLBACK;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK((out.r.flags & CPROF_SF_STOP_MASK) == CPROF_STOP_FP_END &&
	      (out.r.flags & CPROF_SF_FP_FALLBACK), "flags %#x", out.r.flags);
	setup();
	in.r.flags |= CPROF_SF_FP_FALLBACK;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK(out.r.flags & CPROF_SF_FP_FALLBACK, "flags %#x", out.r.flags);
}

/* A copy of the first frame (the sample had no view and took frame pointers all the way):
 * every user frame is the replay's, and so is the frame-pointer flag. */
TEST(replay_from_the_first_frame)
{
	setup();
	in.r.flags |= CPROF_SF_FP_FALLBACK;
	copy.frame = 0;
	io.frames[0] = 0x400110;
	io.frames[1] = 0x400300;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK(out.r.n_user == 6 && out.r.frames[2] == 0x400110 && out.r.frames[3] == 0x400300 &&
	      out.r.frames[7] == 0x401000, "%u user frames, the replay's", out.r.n_user);
	CHECK(!(out.r.flags & CPROF_SF_FP_FALLBACK) &&
	      (out.r.flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT, "flags %#x", out.r.flags);
	setup();
	in.r.flags |= CPROF_SF_FP_FALLBACK;
	copy.frame = 0;
	io.flags = CPROF_STOP_ROOT | CPROF_SF_FP_FALLBACK;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK(out.r.flags & CPROF_SF_FP_FALLBACK, "the replay's own: flags %#x", out.r.flags);
}

/* The copy's frame alone, with another ending (a root there): a change worth keeping. */
TEST(same_depth_other_ending)
{
	setup();
	io.n = 3;
	io.flags = CPROF_STOP_ROOT;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "merged");
	CHECK(out.r.n_user == 3 && (out.r.flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT,
	      "%u user frames, stop %u", out.r.n_user, out.r.flags & CPROF_SF_STOP_MASK);
}

TEST(nothing_found_leaves_the_sample)
{
	setup();
	io.n = 3;
	io.flags = CPROF_STOP_NO_MAPPING;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "the pc is still unknown");
	io.n = 0;
	io.flags = 0;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "the replay did not run");
	io.n = 2;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "fewer frames than the copy's");
	CHECK(out.r.n_user == 0 && out.r.kind == 0, "out untouched");
}

TEST(out_of_bounds)
{
	setup();
	io.n = CPROF_MAX_USER_FRAMES + 1;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "more frames than a record holds");
	setup();
	copy.frame = 3;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "a copy past the sample's frames");
	copy.frame = UINT32_MAX;
	io.n = 5;
	CHECK(!stackcopy__merge(&in.r, &copy, &io, &out.r), "a copy's frame that wraps");
	setup();
	in.r.n_kernel = CPROF_MAX_KERNEL_FRAMES;
	io.n = CPROF_MAX_USER_FRAMES;
	REQUIRE(stackcopy__merge(&in.r, &copy, &io, &out.r), "the largest record");
	CHECK(out.r.n_user == CPROF_MAX_USER_FRAMES, "%u user frames", out.r.n_user);
}

/* stackcopy__finish over a replay that stops at a deeper frame until more() makes it ready:
 * the world of the fake replay below. */
static struct {
	int ready;		/* deeper frames made ready so far */
	int needed;		/* how many there are before the root */
	int more_calls, runs;
	bool more_answer;	/* what more() says */
	bool stuck;		/* more() changes nothing */
	bool worse;		/* after more(), the replay finds less (the view changed) */
	__u64 asked_pc;
} w;

/* The sample of setup() cut at its third frame; the replay finds 2 frames past it per
 * object made ready, and stops at the next one (NO_TABLES) until all are. */
static int fake_run(void *ctx, struct cprof_replay *r)
{
	(void)ctx;
	w.runs++;
	if (w.worse && w.more_calls) {
		r->n = 3;
		r->frames[2] = 0xbad;
		r->flags = CPROF_STOP_NO_MAPPING;
		return 0;
	}
	r->n = 3 + 2 * (__u32)w.ready;
	for (__u32 i = 0; i < r->n; i++)
		r->frames[i] = 0x7f0000001000ull + 0x1000 * i;
	r->flags = w.ready >= w.needed ? CPROF_STOP_ROOT : CPROF_STOP_NO_TABLES;
	return 0;
}

static bool fake_more(void *ctx, const struct cprof_sample *r, const struct cprof_stack_copy *c,
		      __u64 pc)
{
	(void)ctx;
	(void)r;
	(void)c;
	w.more_calls++;
	w.asked_pc = pc;
	if (w.more_answer && !w.stuck)
		w.ready++;
	return w.more_answer;
}

/* Runs stackcopy__finish over setup()'s sample with the fake replay; the result's stop. */
static const struct cprof_sample *finish_fake(struct stackcopy_stats *st, bool with_more)
{
	struct stackcopy *sc = stackcopy__new(-1, -1);
	const struct cprof_sample *got;
	static union rec res;

	setup();
	memset(&res, 0, sizeof(res));
	if (!sc)
		return NULL;
	stackcopy__set_run(sc, fake_run, NULL);
	stackcopy__keep(sc, &copy);
	got = stackcopy__finish(sc, &in.r, with_more ? fake_more : NULL, NULL);
	if (got)
		memcpy(&res, got, sizeof(*got) + (got->n_kernel + got->n_user) * sizeof(__u64));
	stackcopy__stats(sc, st);
	stackcopy__free(sc);
	return got ? &res.r : NULL;
}

/* Two deeper objects not ready: each made ready in turn, and the stack reaches its root. */
TEST(deeper_frames_made_ready)
{
	const struct cprof_sample *got;
	struct stackcopy_stats st;

	memset(&w, 0, sizeof(w));
	w.needed = 2;
	w.more_answer = true;
	got = finish_fake(&st, true);
	REQUIRE(got, "finished");
	CHECK(w.more_calls == 2 && w.runs == 3, "%d calls of more, %d replays", w.more_calls,
	      w.runs);
	CHECK(w.asked_pc == 0x7f0000001000ull + 0x1000 * 4, "asked for the last frame: %#llx",
	      (unsigned long long)w.asked_pc);
	CHECK(got->n_user == 7 && (got->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_ROOT,
	      "%u user frames, stop %u", got->n_user, got->flags & CPROF_SF_STOP_MASK);
	CHECK(st.finished == 1 && st.again == 1 && st.unmatched == 0,
	      "finished %zu, again %zu, unmatched %zu", st.finished, st.again, st.unmatched);
}

/* more() says it made the frame ready, but the replay gets no further: one more replay,
 * then the sample keeps what it got (it still went past its copy's frame). */
TEST(no_progress_stops)
{
	const struct cprof_sample *got;
	struct stackcopy_stats st;

	memset(&w, 0, sizeof(w));
	w.ready = 1;
	w.needed = 2;
	w.more_answer = true;
	w.stuck = true;
	got = finish_fake(&st, true);
	REQUIRE(got, "finished");
	CHECK(w.more_calls == 1 && w.runs == 2, "%d calls of more, %d replays", w.more_calls,
	      w.runs);
	CHECK(got->n_user == 5 && (got->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_TABLES,
	      "%u user frames, stop %u", got->n_user, got->flags & CPROF_SF_STOP_MASK);
	CHECK(st.again == 0 && st.finished == 1, "again %zu, finished %zu", st.again, st.finished);
}

/* The replay after more() finds less than the one before (the process's view changed in
 * between): the sample gets the frames found before. */
TEST(worse_replay_keeps_the_last)
{
	const struct cprof_sample *got;
	struct stackcopy_stats st;

	memset(&w, 0, sizeof(w));
	w.ready = 1;
	w.needed = 3;
	w.more_answer = true;
	w.worse = true;
	got = finish_fake(&st, true);
	REQUIRE(got, "finished");
	CHECK(w.runs == 2, "%d replays", w.runs);
	CHECK(got->n_user == 5 && (got->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_TABLES &&
	      got->frames[got->n_kernel + 4] == 0x7f0000001000ull + 0x4000,
	      "%u user frames, stop %u", got->n_user, got->flags & CPROF_SF_STOP_MASK);
	CHECK(st.finished == 1 && st.again == 0, "finished %zu, again %zu", st.finished, st.again);
}

/* Nothing to make ready (more() says no), or no more() at all: one replay. */
TEST(more_declines)
{
	struct stackcopy_stats st;

	memset(&w, 0, sizeof(w));
	w.needed = 1;
	REQUIRE(finish_fake(&st, true), "finished");
	CHECK(w.more_calls == 1 && w.runs == 1, "%d calls of more, %d replays", w.more_calls,
	      w.runs);
	memset(&w, 0, sizeof(w));
	w.needed = 1;
	w.more_answer = true;
	REQUIRE(finish_fake(&st, false), "finished");
	CHECK(w.more_calls == 0 && w.runs == 1, "%d calls of more, %d replays", w.more_calls,
	      w.runs);
}

/* A stack with more objects to make ready than tries: bounded. */
TEST(tries_bounded)
{
	const struct cprof_sample *got;
	struct stackcopy_stats st;

	memset(&w, 0, sizeof(w));
	w.needed = 100;
	w.more_answer = true;
	got = finish_fake(&st, true);
	REQUIRE(got, "finished");
	CHECK(w.more_calls == STACKCOPY_MORE_TRIES && w.runs == STACKCOPY_MORE_TRIES + 1,
	      "%d calls of more, %d replays", w.more_calls, w.runs);
	CHECK((got->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_TABLES, "still cut: stop %u",
	      got->flags & CPROF_SF_STOP_MASK);
}

int main(void)
{
	check__suite = "stackcopy";
	check__run("finished", finished);
	check__run("fallback_flags_add_up", fallback_flags_add_up);
	check__run("replay_from_the_first_frame", replay_from_the_first_frame);
	check__run("same_depth_other_ending", same_depth_other_ending);
	check__run("nothing_found_leaves_the_sample", nothing_found_leaves_the_sample);
	check__run("out_of_bounds", out_of_bounds);
	check__run("deeper_frames_made_ready", deeper_frames_made_ready);
	check__run("no_progress_stops", no_progress_stops);
	check__run("worse_replay_keeps_the_last", worse_replay_keeps_the_last);
	check__run("more_declines", more_declines);
	check__run("tries_bounded", tries_bounded);
	return check__any_failed;
}
