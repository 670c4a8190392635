// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /debug/pprof/goroutine and /debug/pprof/threads: a snapshot of every thread of the
 * watched processes (host-wide, of every program of the host) taken when asked (the thread
 * iterator of `cprof-bpf stacks`, loaded on the first request), not the run's aggregate. As Go's goroutine endpoint: a pprof
 * profile of one snapshot (threads/count), or with ?debug=1 the text of `cprof-bpf stacks`
 * (threads grouped by stack) and with ?debug=2 that of `cprof-bpf stacks --each` (each
 * thread and its stack). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include <bpf/libbpf.h>

#include "core/options.h"
#include "core/serve_int.h"
#include "core/threadsym.h"
#include "cprof.h"
#include "kinds/kind.h"
#include "kinds/threads.h"
#include "proc/proctab.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/threadsnap.h"
#include "threads.skel.h"
#include "unwind/unwinder.h"
#include "util/clock.h"
#include "util/log.h"

struct serve_threads {
	struct threads_bpf *skel;
	int load_err;		/* < 0: the kernel refused it (said in every reply) */
	char why[256];
	uint8_t *buf;
	size_t cap;
	union thread_rec rec;
};

/* The iterator, loaded once. Returns 0 or -errno (why in t->why). */
static int load(struct serve_threads *t, struct session *s)
{
	int err;

	if (t->skel || t->load_err)
		return t->load_err;
	t->skel = threads_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto fail;
	}
	t->skel->rodata->filter_pids = s->env.filter_pids;
	t->skel->rodata->max_user_frames = s->o->k.max_depth;
	if ((err = kind__adopt_maps(t->skel->obj, &s->env)) || (err = threads_bpf__load(t->skel)))
		goto fail;
	return 0;
fail:
	snprintf(t->why, sizeof(t->why), "this kernel refused the thread iterator (a sleepable "
		 "task iterator with bpf_copy_from_user_task, Linux 5.18+): %s", strerror(-err));
	log_warn("/debug/pprof/goroutine: %s", t->why);
	threads_bpf__destroy(t->skel);
	t->skel = NULL;
	t->load_err = err;
	return err;
}

/* Host-wide: every program of the host gets its unwind view before its threads are read
 * (one started since the run began and not sampled yet has none). */
static void publish_host(struct session *s)
{
	int *pids = NULL;
	size_t n = 0, cap = 0;

	if (!hostscan__pids(&pids, &n, &cap))
		for (size_t i = 0; i < n; i++)
			unwinder__sync(s->uw, pids[i], proctab__get(s->env.pt, pids[i]));
	unwinder__poll(s->uw);
	free(pids);
}

/* The text of `cprof-bpf stacks` for buf's threads. */
static int reply_text(struct req *r, const uint8_t *buf, size_t len, const struct httpq *q)
{
	struct threadsnap *ts = threadsnap__new();
	char *text = NULL;
	size_t text_len = 0, off;
	FILE *f = NULL;
	int err = ts ? 0 : -ENOMEM, ret;

	if (!err)
		err = threadsym__add(&r->srv->s->env, buf, len, q->has_pid ? q->pid : 0, ts, &off);
	if (!err || err == -EINVAL) {
		f = open_memstream(&text, &text_len);
		err = f ? threadsnap__print(ts, f, q->debug == 2 ? THREADSNAP_EACH :
					    THREADSNAP_GROUPS) : -errno;
		if (f && fclose(f) && !err)
			err = -EIO;
	}
	threadsnap__free(ts);
	if (err)
		ret = serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					 "failed to print the threads: %s", strerror(-err));
	else
		ret = serve__reply_text(r, "text/plain; charset=utf-8", text, text_len);
	free(text);
	return ret;
}

/* buf's threads as a profile of one snapshot. */
static int reply_profile(struct req *r, const char *name, const uint8_t *buf, size_t len,
			 const struct httpq *q)
{
	struct serve_threads *t = r->srv->threads;
	struct session *s = r->srv->s;
	struct stacks *st = stacks__new(s->env.pt);
	struct report *rep = report__new(s->env.sym);
	static const uint64_t one = 1;
	struct threads_avg avg = { .snapshots = &one };
	struct report_kind rk;
	struct report_result res;
	struct report_extra extra = {
		.time_nanos = (int64_t)clock__ns(CLOCK_REALTIME),
		.comment = "cprof-bpf " CPROF_VERSION ": one snapshot of every thread",
		.pid = q->has_pid ? q->pid : 0,
		.comm = q->has_comm ? q->comm : NULL,
	};
	void *out = NULL;
	size_t out_len = 0, n;
	int err = st && rep ? 0 : -ENOMEM;

	if (!err)
		err = threads__add(&s->env, st, buf, len, &t->rec, &n);
	if (err == -EINVAL)
		err = 0;	/* the threads before the bad bytes */
	threads__report_kind(&rk, &avg);
	if (!err)
		err = report__build(rep, &rk, st, &extra, &out, &out_len, &res);
	threads_avg__free(&avg);
	report__free(rep);
	stacks__free(st);
	if (err)
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "failed to build the %s profile: %s", name,
					  strerror(-err));
	return serve__reply_profile(r, out, out_len, name);
}

int serve_threads__reply(struct req *r, const char *name, const struct httpq *q)
{
	struct serve *srv = r->srv;
	struct session *s = srv->s;
	struct serve_threads *t;
	const char *what;
	size_t len = 0;
	int err;

	if (q->has_seconds)
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "seconds=%lld: %s is a snapshot of now, not a window "
					  "(leave out seconds)", q->seconds, name);
	if (q->has_debug && (q->debug < 0 || q->debug > 2))
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "debug=%lld: 0 (a pprof profile), 1 or 2 (text)", q->debug);
	if (!s->o->n_pids && !s->o->command)
		publish_host(s);
	if (!srv->threads && !(srv->threads = calloc(1, sizeof(*srv->threads))))
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	t = srv->threads;
	if (load(t, s))
		return serve__reply_error(r, MHD_HTTP_NOT_FOUND, "%s: %s", name, t->why);
	err = threads_iter__read(t->skel->progs.cprof_threads_iter, &t->buf, &len, &t->cap,
				 &what);
	if (err)
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "%s: the thread iterator (%s): %s", name, what,
					  strerror(-err));
	if (q->has_debug && q->debug)
		return reply_text(r, t->buf, len, q);
	return reply_profile(r, name, t->buf, len, q);
}

void serve_threads__free(struct serve_threads *t)
{
	if (!t)
		return;
	threads_bpf__destroy(t->skel);
	free(t->buf);
	free(t);
}
