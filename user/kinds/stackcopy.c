// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cprof.h"
#include "kinds/stackcopy.h"
#include "util/log.h"

/* Copies kept for samples still to come. A sample follows its copy from the same CPU, so
 * only the records of other CPUs come between: a few slots are plenty. */
#define COPY_SLOTS 8

struct stackcopy {
	int prog_fd, io_fd;
	struct cprof_stack_copy *copies;	/* COPY_SLOTS of them; kind 0: free */
	size_t next;
	struct cprof_replay *io;
	__u64 prev[CPROF_MAX_USER_FRAMES];	/* io's frames before a replay run again */
	struct cprof_sample *rec;	/* the finished sample: CPROF_SAMPLE_MAX_SIZE bytes */
	struct stackcopy_stats st;
	bool said;	/* a failed replay was logged */
	stackcopy_run_fn run;	/* NULL: the BPF program */
	void *run_ctx;
};

struct stackcopy *stackcopy__new(int prog_fd, int io_fd)
{
	struct stackcopy *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->prog_fd = prog_fd;
	sc->io_fd = io_fd;
	sc->copies = calloc(COPY_SLOTS, sizeof(*sc->copies));
	sc->io = calloc(1, sizeof(*sc->io));
	/* u64-aligned: frames[] is read in place. */
	sc->rec = calloc(1, CPROF_SAMPLE_MAX_SIZE);
	if (!sc->copies || !sc->io || !sc->rec) {
		stackcopy__free(sc);
		return NULL;
	}
	return sc;
}

void stackcopy__free(struct stackcopy *sc)
{
	if (!sc)
		return;
	free(sc->copies);
	free(sc->io);
	free(sc->rec);
	free(sc);
}

void stackcopy__keep(struct stackcopy *sc, const struct cprof_stack_copy *c)
{
	/* The oldest slot: a copy whose sample never came (lost to a full ring) ages out. */
	sc->copies[sc->next] = *c;
	sc->next = (sc->next + 1) % COPY_SLOTS;
	sc->st.copies++;
}

/* The copy kept for r; NULL if there is none. */
static struct cprof_stack_copy *find(const struct stackcopy *sc, const struct cprof_sample *r)
{
	for (size_t i = 0; i < COPY_SLOTS; i++) {
		struct cprof_stack_copy *c = &sc->copies[i];

		if (c->kind == CPROF_EV_STACK_COPY && c->tid == r->tid && c->pid == r->pid &&
		    c->ts == r->ts)
			return c;
	}
	return NULL;
}

/* The copy kept for r, taken out of its slot; NULL if there is none. */
static struct cprof_stack_copy *take(struct stackcopy *sc, const struct cprof_sample *r)
{
	struct cprof_stack_copy *c = find(sc, r);

	if (c)
		c->kind = 0;
	return c;
}

unsigned int stackcopy__view(const struct stackcopy *sc, const struct cprof_sample *r)
{
	const struct cprof_stack_copy *c = (r->flags & CPROF_SF_STACK_COPY) ? find(sc, r) : NULL;

	return c ? (c->view_pid ? c->view_pid : c->pid) : 0;
}

void stackcopy__set_run(struct stackcopy *sc, stackcopy_run_fn run, void *ctx)
{
	sc->run = run;
	sc->run_ctx = ctx;
}

/* Runs the BPF unwinder over c; its result in sc->io. Returns 0 or -errno. */
static int replay(struct stackcopy *sc, const struct cprof_stack_copy *c)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 zero = 0;

	memcpy(&sc->io->copy, c, sizeof(*c));
	sc->io->n = 0;
	if (sc->run)
		return sc->run(sc->run_ctx, sc->io);
	if (bpf_map_update_elem(sc->io_fd, &zero, sc->io, BPF_ANY) ||
	    bpf_prog_test_run_opts(sc->prog_fd, &opts) ||
	    bpf_map_lookup_elem(sc->io_fd, &zero, sc->io))
		return -errno;
	return 0;
}

bool stackcopy__merge(const struct cprof_sample *r, const struct cprof_stack_copy *c,
		      const struct cprof_replay *io, struct cprof_sample *out)
{
	size_t head;

	/* No frame after the copy's and no other ending: the tables still lack its pc (or
	 * its table is still being built). */
	if (c->frame >= r->n_user || io->n <= c->frame || io->n > CPROF_MAX_USER_FRAMES ||
	    (io->n == c->frame + 1u &&
	     ((io->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_MAPPING ||
	      (io->flags & CPROF_SF_STOP_MASK) == CPROF_STOP_NO_TABLES)))
		return false;
	/* The sample's kernel frames and its user frames before the copy's, then the replay's. */
	head = (size_t)r->n_kernel + c->frame;
	memcpy(out, r, sizeof(*r) + head * sizeof(__u64));
	memcpy(&out->frames[head], &io->frames[c->frame], (io->n - c->frame) * sizeof(__u64));
	out->n_user = (__u16)io->n;
	/* A replay from the first frame (the sample had no view: frame pointers all the way)
	 * leaves none of the sample's frame-pointer steps. */
	out->flags = (r->flags & ~(CPROF_SF_STOP_MASK | (c->frame ? 0 : CPROF_SF_FP_FALLBACK))) |
		     io->flags;
	return true;
}

/* Whether the replay in io stopped for want of a view or of tables (at its last frame). */
static bool stopped_short(const struct cprof_replay *io)
{
	__u32 stop = io->flags & CPROF_SF_STOP_MASK;

	return io->n && io->n <= CPROF_MAX_USER_FRAMES &&
	       (stop == CPROF_STOP_NO_MAPPING || stop == CPROF_STOP_NO_TABLES);
}

const struct cprof_sample *stackcopy__finish(struct stackcopy *sc, const struct cprof_sample *r,
					     stackcopy_more_fn more, void *ctx)
{
	struct cprof_stack_copy *c;
	bool again = false;
	int err;

	if (!(r->flags & CPROF_SF_STACK_COPY))
		return r;
	c = take(sc, r);
	err = c ? replay(sc, c) : -ENOENT;
	/* Stopped again, at a frame of another object that the process mapped since, or
	 * whose tables are still being built (the deadline of the view's publication passed
	 * while the machine was busy): made ready, and replayed, while that gets further. */
	for (int tries = 0; !err && more && tries < STACKCOPY_MORE_TRIES && stopped_short(sc->io);
	     tries++) {
		__u32 n = sc->io->n, flags = sc->io->flags;

		if (!more(ctx, r, c, sc->io->frames[n - 1]))
			break;
		memcpy(sc->prev, sc->io->frames, n * sizeof(__u64));
		if ((err = replay(sc, c)) || sc->io->n < n ||
		    (sc->io->n == n && sc->io->flags == flags)) {
			/* No further (or worse: the view changed meanwhile): the last result. */
			sc->io->n = n;
			sc->io->flags = flags;
			memcpy(sc->io->frames, sc->prev, n * sizeof(__u64));
			err = 0;
			break;
		}
		again = true;
	}
	if (err && err != -ENOENT && !sc->said) {
		log_debug("replaying a cut user stack over its copy: %s", strerror(-err));
		sc->said = true;
	}
	if (err || !stackcopy__merge(r, c, sc->io, sc->rec)) {
		sc->st.unmatched++;
		return r;
	}
	sc->st.finished++;
	sc->st.again += again;
	return sc->rec;
}

void stackcopy__drop(struct stackcopy *sc, const struct cprof_sample *r)
{
	if (!(r->flags & CPROF_SF_STACK_COPY) || !take(sc, r))
		return;
	sc->st.copies--;
	sc->st.dropped++;
}

void stackcopy__stats(const struct stackcopy *sc, struct stackcopy_stats *out)
{
	*out = sc->st;
}
