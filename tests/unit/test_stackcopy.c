// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A sample cut at code mapped after its tables were published, finished with the frames a
 * replay over its stack copy found: which frames are kept, which are replaced, the ending
 * and flags, and replays that must leave the sample as it was (nothing found, counts out
 * of bounds: the replay's output is checked like any record). No kernel. */
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

int main(void)
{
	check__suite = "stackcopy";
	check__run("finished", finished);
	check__run("fallback_flags_add_up", fallback_flags_add_up);
	check__run("replay_from_the_first_frame", replay_from_the_first_frame);
	check__run("same_depth_other_ending", same_depth_other_ending);
	check__run("nothing_found_leaves_the_sample", nothing_found_leaves_the_sample);
	check__run("out_of_bounds", out_of_bounds);
	return check__any_failed;
}
