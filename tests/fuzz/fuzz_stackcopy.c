/* stackcopy__merge on arbitrary records: a sample as the loop lets it through (its frame
 * counts within bounds, its size exactly its frames), a stack copy's frame index and a
 * replay's result, all taken from the input. Every buffer is as large as the record it
 * holds, so ASan catches a frame read or written past it; aborts when a merge keeps frames it
 * should not or claims more frames than it wrote.
 *
 * Then the same bytes as a session of a struct stackcopy (session() below): copies kept,
 * samples finished, dropped and viewed in the order the input says, each replay run by a
 * fake unwinder (stackcopy__set_run) whose result (frame count, ending, failure) and
 * more()'s answers are the input's too. Aborts when a finished sample changes what it must
 * keep (header, kernel frames) or holds more frames than a record, when a sample not
 * flagged is not returned as is, when a replay is not handed its copy, or when the stats
 * do not add up. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cprof.h"
#include "kinds/stackcopy.h"

/* The input, in order: the sample's header (its frame counts reduced into bounds), the
 * copy's frame index, the replay's count and flags (three u32), then the sample's frames. */
#define FUZZ_HEAD (sizeof(struct cprof_sample) + 3 * sizeof(uint32_t))

/* The session's input and what it did. */
struct session {
	const uint8_t *p, *end;
	size_t keeps, finishes, drops;
	const struct cprof_sample *r;	/* being finished */
};

static uint32_t take(struct session *s, size_t n)
{
	uint32_t v = 0;

	for (; n && s->p < s->end; n--)
		v = v << 8 | *s->p++;
	return v;
}

/* A replay: the copy it is handed (taken out of its slot: kind 0) must be the sample's; its
 * result is the input's. */
static int fake_run(void *ctx, struct cprof_replay *io)
{
	struct session *s = ctx;
	uint32_t how = take(s, 1);

	if (io->n || io->copy.tid != s->r->tid || io->copy.pid != s->r->pid || io->copy.ts != s->r->ts)
		abort();
	if (how == 0xff)
		return -EIO;
	io->n = take(s, 2) % (CPROF_MAX_USER_FRAMES + 2);	/* one past the bound too */
	io->flags = (how & 0xf) | (how & 0x10 ? CPROF_SF_FP_FALLBACK : 0);
	for (uint32_t i = 0; i < io->n && i < CPROF_MAX_USER_FRAMES; i++)
		io->frames[i] = io->copy.ip + i;
	return 0;
}

static bool fake_more(void *ctx, const struct cprof_sample *r, const struct cprof_stack_copy *c,
		      __u64 pc)
{
	struct session *s = ctx;

	if (r != s->r || !c || pc - c->ip >= CPROF_MAX_USER_FRAMES)
		abort();
	return take(s, 1) & 1;
}

/* A sample of the input's: pid 7, its thread, time, flags and frame counts. NULL at ENOMEM. */
static struct cprof_sample *sample(struct session *s)
{
	struct cprof_sample h = { .kind = CPROF_KIND_CPU, .pid = 7 }, *r;
	uint32_t flags;

	h.tid = take(s, 1);
	h.ts = take(s, 1);
	flags = take(s, 1);
	h.flags = (flags & 0xf) | (flags & 0x10 ? CPROF_SF_STACK_COPY : 0) |
		  (flags & 0x20 ? CPROF_SF_FP_FALLBACK : 0);
	h.n_kernel = (__u16)(take(s, 1) % (CPROF_MAX_KERNEL_FRAMES + 1));
	h.n_user = (__u16)(take(s, 2) % (CPROF_MAX_USER_FRAMES + 1));
	r = malloc(sizeof(*r) + ((size_t)h.n_kernel + h.n_user) * sizeof(__u64));
	if (!r)
		return NULL;
	*r = h;
	for (size_t i = 0; i < (size_t)h.n_kernel + h.n_user; i++)
		r->frames[i] = i < h.n_kernel ? 0xffffffff81000000ull + i : 0x400000 + i;
	return r;
}

/* A copy of the input's for a sample of pid 7 (not a copy at all when kind says so). */
static void keep(struct stackcopy *sc, struct session *s, struct cprof_stack_copy *c,
		 uint32_t op)
{
	uint32_t frame;

	c->kind = op & 0x10 ? 0 : CPROF_EV_STACK_COPY;
	c->pid = 7;
	c->tid = take(s, 1);
	c->ts = take(s, 1);
	frame = take(s, 1);
	c->frame = frame == 0xff ? UINT32_MAX : frame;
	c->view_pid = take(s, 1);
	c->ip = (__u64)take(s, 2) << 4;
	stackcopy__keep(sc, c);
	s->keeps++;
}

static void finish(struct stackcopy *sc, struct session *s, const struct cprof_sample *r,
		   bool more)
{
	const struct cprof_sample *got;

	s->r = r;
	got = stackcopy__finish(sc, r, more ? fake_more : NULL, s);
	s->finishes += !!(r->flags & CPROF_SF_STACK_COPY);
	if (!(r->flags & CPROF_SF_STACK_COPY) ? got != r :
	    got != r && (got->pid != r->pid || got->tid != r->tid || got->ts != r->ts ||
			 got->n_kernel != r->n_kernel || got->n_user > CPROF_MAX_USER_FRAMES ||
			 !(got->flags & CPROF_SF_STACK_COPY) ||
			 memcmp(got->frames, r->frames, r->n_kernel * sizeof(__u64))))
		abort();
}

/* The input as operations on one stackcopy, until it runs out: keep a copy, finish a
 * sample (with or without more()), drop a sample's copy, view it. */
static void session(const uint8_t *data, size_t size)
{
	struct session s = { .p = data, .end = data + size };
	struct cprof_stack_copy *c = calloc(1, sizeof(*c));
	struct stackcopy *sc = stackcopy__new(-1, -1);
	struct stackcopy_stats st;

	if (!c || !sc)
		goto out;
	stackcopy__set_run(sc, fake_run, &s);
	while (s.p < s.end) {
		uint32_t op = take(&s, 1);
		struct cprof_sample *r;

		if (op % 4 == 0) {
			keep(sc, &s, c, op);
			continue;
		}
		r = sample(&s);
		if (!r)
			break;
		if (op % 4 == 1) {
			finish(sc, &s, r, op & 0x10);
		} else if (op % 4 == 2) {
			stackcopy__drop(sc, r);
			s.drops++;
		} else if (stackcopy__view(sc, r) && !(r->flags & CPROF_SF_STACK_COPY)) {
			abort();
		}
		free(r);
	}
	stackcopy__stats(sc, &st);
	if (st.finished + st.unmatched != s.finishes || st.copies + st.dropped != s.keeps ||
	    st.dropped > s.drops || st.again > st.finished)
		abort();
out:
	stackcopy__free(sc);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cprof_stack_copy *copy = calloc(1, sizeof(*copy));
	struct cprof_replay *io = calloc(1, sizeof(*io));
	struct cprof_sample *r = NULL, *out = malloc(CPROF_SAMPLE_MAX_SIZE);
	struct cprof_sample h;
	uint32_t tail[3];
	size_t frames, rest;

	session(data, size);
	if (!copy || !io || !out || size < FUZZ_HEAD)
		goto out;
	memcpy(&h, data, sizeof(h));
	memcpy(tail, data + sizeof(h), sizeof(tail));
	data += FUZZ_HEAD;
	rest = size - FUZZ_HEAD;
	h.n_kernel %= CPROF_MAX_KERNEL_FRAMES + 1;
	h.n_user %= CPROF_MAX_USER_FRAMES + 1;
	frames = (size_t)h.n_kernel + h.n_user;
	r = malloc(sizeof(*r) + frames * sizeof(__u64));
	if (!r)
		goto out;
	*r = h;
	memset(r->frames, 0xab, frames * sizeof(__u64));
	memcpy(r->frames, data, rest < frames * sizeof(__u64) ? rest : frames * sizeof(__u64));
	copy->frame = tail[0];
	io->n = tail[1];
	io->flags = tail[2];
	for (size_t i = 0; i < CPROF_MAX_USER_FRAMES; i++)
		io->frames[i] = 0x1000 + i;
	memset(out, 0, CPROF_SAMPLE_MAX_SIZE);
	if (stackcopy__merge(r, copy, io, out)) {
		size_t head = (size_t)r->n_kernel + copy->frame;

		if (out->n_user != io->n || out->n_kernel != r->n_kernel ||
		    copy->frame >= r->n_user || head + out->n_user - copy->frame >
						       CPROF_SAMPLE_MAX_FRAMES)
			abort();
		if (memcmp(out->frames, r->frames, head * sizeof(__u64)) ||
		    out->frames[head] != io->frames[copy->frame])
			abort();
	} else if (out->n_user || out->kind) {
		abort();	/* out must be untouched */
	}
out:
	free(r);
	free(out);
	free(io);
	free(copy);
	return 0;
}
