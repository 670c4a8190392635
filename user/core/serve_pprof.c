// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The paths of Go's net/http/pprof, answered from the run's aggregates: the index, the CPU
 * profile of the next N seconds, and heap, allocs, block and mutex, cumulative since the
 * start or, with ?seconds=N, the delta over the next N seconds; goroutine and threads, a
 * snapshot of every thread now (serve_threads.c). Replies, errors and their
 * texts follow Go's handlers, so `go tool pprof URL` and scrapers that speak to Go programs
 * (Grafana Alloy, Parca) work unchanged. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>

#include "core/options.h"
#include "core/serve_int.h"
#include "cprof.h"
#include "report/stacks.h"
#include "util/clock.h"
#include "util/util.h"
#include "util/vec.h"

#define PREFIX "/debug/pprof/"
#define DEFAULT_SECONDS 30	/* Go's, for a CPU profile without (or with <= 0) seconds */

struct route {
	const char *name;	/* the path after /debug/pprof/, and the reply's file name */
	unsigned int kind;	/* enum cprof_kind */
	const char *default_type;	/* the sample type pprof shows first; NULL: the last */
	bool window;		/* always a window (the CPU profile); else only with seconds */
	const char *what;	/* for the index page */
};

static const struct route routes[] = {
	{ "allocs", CPROF_KIND_HEAP_ALLOC, "alloc_space", false,
	  "sampled allocations since the start (alloc_space first)" },
	{ "block", CPROF_KIND_BLOCK, NULL, false,
	  "time waiting off-CPU since the start, by stack" },
	{ "heap", CPROF_KIND_HEAP_ALLOC, NULL, false,
	  "sampled allocations since the start; inuse_* as of now" },
	{ "mutex", CPROF_KIND_MUTEX, NULL, false,
	  "lock contention since the start, by the stack that released the lock" },
	{ "profile", CPROF_KIND_CPU, NULL, true,
	  "CPU profile of the next ?seconds=N (default 30)" },
};

/* Names Go serves that cprof-bpf has no counterpart for. */
static const char *const not_ours[] = { "threadcreate", "trace", "symbol" };

static const struct route *find_route(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (!strcmp(routes[i].name, name))
			return &routes[i];
	return NULL;
}

/* The kind's index in kinds[], and whether it is being collected. */
static int kind_index(const struct session *s, unsigned int id, bool *active)
{
	int i = kinds__index(id);

	*active = i >= 0 && s->active[i] != NULL;
	return i;
}

/* 404 for a kind that exists but is not collected in this run, saying how to get it. */
static int not_collected(struct req *r, const struct route *rt, int idx)
{
	const struct session *s = r->srv->s;
	const struct kind_ops *k = kinds[idx];

	if (s->why[idx][0])
		return serve__reply_error(r, MHD_HTTP_NOT_FOUND,
					  "the %s profile is not collected: %s", k->name,
					  s->why[idx]);
	if (k->needs_targets && !s->o->n_pids && !s->o->command)
		return serve__reply_error(r, MHD_HTTP_NOT_FOUND,
					  "the %s profile is not collected: it needs -p PID or a "
					  "COMMAND (cprof-bpf --http ADDR -t %s,... -p PID)", k->name,
					  k->name);
	return serve__reply_error(r, MHD_HTTP_NOT_FOUND,
				  "the %s profile is not collected: start cprof-bpf with it, "
				  "e.g. -t cpu,%s (for %s)", k->name, k->name, rt->name);
}

static int build_and_reply(struct req *r, const struct route *rt, const struct httpq *q,
			   const struct output_mark *base)
{
	struct output_req rq = {
		.base = base,
		.stamp_start = rt->window,
		.pid = q->has_pid ? q->pid : 0,
		.comm = q->has_comm ? q->comm : NULL,
		.default_type = rt->default_type,
	};
	char filename[64];
	void *buf = NULL;
	size_t len = 0;
	int err;

	err = output__build(r->srv->s, rt->kind, &rq, &buf, &len);
	if (err)
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "failed to build the %s profile: %s", rt->name,
					  strerror(-err));
	snprintf(filename, sizeof(filename), "%s%s", rt->name,
		 base && !rt->window ? "-delta" : "");
	return serve__reply_profile(r, buf, len, filename);
}

/* Starts a window of secs seconds: the aggregates now, the reply when it ends. */
static int open_window(struct req *r, const struct route *rt, const struct httpq *q,
		       long long secs)
{
	int err = output__mark(r->srv->s, rt->kind, &r->mark);

	if (err) {
		output__mark_free(&r->mark);
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "failed to collect profile: %s", strerror(-err));
	}
	r->marked = true;
	r->route = rt;
	r->q = *q;
	serve__suspend(r, r->mark.mono + (double)secs);
	return MHD_YES;
}

static int serve_profile(struct req *r, const struct route *rt, const struct httpq *q)
{
	unsigned int max = r->srv->max_seconds;
	long long secs = q->has_seconds ? q->seconds : 0;
	bool active;
	int idx = kind_index(r->srv->s, rt->kind, &active);

	if (q->has_debug && q->debug && !rt->window)
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "debug=%lld: cprof-bpf serves only the protobuf format "
					  "(debug=0)", q->debug);
	if (!rt->window && q->has_seconds && secs <= 0)
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "invalid value for \"seconds\" - must be a positive integer");
	if (rt->window && secs <= 0)
		secs = DEFAULT_SECONDS;
	if ((rt->window || q->has_seconds) && secs > max)
		return serve__reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "profile duration %llds exceeds --http-max-seconds (%u)",
					  secs, max);
	if (idx < 0 || !active)
		return not_collected(r, rt, idx);
	if (rt->window || q->has_seconds)
		return open_window(r, rt, q, secs);
	return build_and_reply(r, rt, q, NULL);
}

int serve_pprof__window_done(struct req *r)
{
	return build_and_reply(r, r->route, &r->q, &r->mark);
}

/* A growing HTML page. */
struct page {
	char *buf;
	size_t len, cap;
	bool failed;
};

static void page_add(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void page_add(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || p->failed || VEC_GROW(p->buf, p->cap, p->len + (size_t)n + 1)) {
		p->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(p->buf + p->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->len += (size_t)n;
}

/* Text from a process (its name) or the command line, escaped for HTML. */
static void page_text(struct page *p, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': page_add(p, "&lt;"); break;
		case '>': page_add(p, "&gt;"); break;
		case '&': page_add(p, "&amp;"); break;
		case '"': page_add(p, "&#34;"); break;
		case '\'': page_add(p, "&#39;"); break;
		default: page_add(p, "%c", *s);
		}
	}
}

/* What this run watches, in words. */
static void page_watched(struct page *p, const struct session *s)
{
	if (s->o->command) {
		page_add(p, "the command <code>");
		for (char **a = s->o->command; *a; a++) {
			page_text(p, *a);
			page_add(p, a[1] ? " " : "");
		}
		page_add(p, "</code>");
	} else if (s->n_targets) {
		for (size_t i = 0; i < s->n_targets; i++) {
			page_add(p, "%s%d (", i ? ", " : "processes ", s->targets[i].pid);
			page_text(p, s->targets[i].comm);
			page_add(p, ")%s", s->targets[i].gone ? " exited" : "");
		}
	} else {
		page_add(p, "the whole host");
	}
}

/* The profiles collected, linked; the CPU profile's link asks for Go's 30 s, or for the
 * longest window served when that is shorter (a link that gets a 400 helps nobody). */
static void page_kinds(struct page *p, const struct session *s, unsigned int max_seconds)
{
	unsigned int secs = max_seconds < DEFAULT_SECONDS ? max_seconds : DEFAULT_SECONDS;

	page_add(p, "<table>\n<tr><th>Profile</th><th>Distinct stacks</th><th>What</th></tr>\n");
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		const struct route *rt = &routes[i];
		size_t stacks = 0;
		bool active;

		if (kind_index(s, rt->kind, &active) < 0 || !active)
			continue;
		for (size_t j = 0; j < stacks__count(s->env.st); j++)
			stacks += stacks__get(s->env.st, j)->kind == rt->kind;
		if (rt->window)
			page_add(p, "<tr><td><a href=\"%s?seconds=%u\">%s</a>", rt->name, secs,
				 rt->name);
		else
			page_add(p, "<tr><td><a href=\"%s\">%s</a>", rt->name, rt->name);
		page_add(p, "</td><td>%zu</td><td>%s</td></tr>\n", stacks, rt->what);
	}
	page_add(p, "</table>\n");
	for (unsigned int i = 0; i < n_kinds; i++) {
		if (s->active[i])
			continue;
		page_add(p, "<p>Not collected: the %s profile", kinds[i]->name);
		if (s->why[i][0]) {
			page_add(p, " (");
			page_text(p, s->why[i]);
			page_add(p, ")");
		}
		page_add(p, ".</p>\n");
	}
}

/* What the bounds of a long run released, so a total that stops adding up is explained. */
static void page_bounds(struct page *p, const struct session *s)
{
	uint64_t overflowed = stacks__overflowed(s->env.st);

	page_add(p, "<p>%zu distinct stacks held (at most %u, --max-stacks).", 
		 stacks__count(s->env.st), s->o->retain.max_stacks);
	if (s->evicted_procs) {
		page_add(p, " %llu exited processes released (past --max-exited %u):",
			 (unsigned long long)s->evicted_procs, s->o->retain.max_exited);
		for (unsigned int i = 0; i < n_kinds; i++)
			if (s->evicted[i].stacks)
				page_add(p, " %s: %llu stacks, %llu records;", kinds[i]->name,
					 (unsigned long long)s->evicted[i].stacks,
					 (unsigned long long)s->evicted[i].records);
		page_add(p, " their values are in each profile's [evicted] sample.");
	}
	if (overflowed)
		page_add(p, " %llu records came with stacks past the limit: [stack table full].",
			 (unsigned long long)overflowed);
	page_add(p, "</p>\n");
}

static int serve_index(struct req *r)
{
	const struct serve *srv = r->srv;
	const struct session *s = srv->s;
	struct page p = { 0 };
	time_t since = (time_t)(srv->start_wall_ns / 1000000000);
	char when[64];
	int ret;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&since));
	page_add(&p, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		 "<title>/debug/pprof/</title></head><body>\n<h1>/debug/pprof/</h1>\n"
		 "<p>cprof-bpf %s watching ", CPROF_VERSION);
	page_watched(&p, s);
	page_add(&p, " since %s (%.0f s); %llu samples aggregated.</p>\n", when,
		 clock__secs(CLOCK_MONOTONIC) - s->t0, (unsigned long long)s->records);
	page_kinds(&p, s, srv->max_seconds);
	page_bounds(&p, s);
	page_add(&p, "<p>Profiles are gzipped protobuf for <code>go tool pprof %s/debug/pprof/"
		 "NAME</code>. <code>?seconds=N</code> gives the delta over the next N seconds "
		 "(at most %u); <code>?pid=N</code> and <code>?comm=NAME</code> keep one "
		 "process.</p>\n</body></html>\n", srv->url, srv->max_seconds);
	if (p.failed) {
		free(p.buf);
		return serve__reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	ret = serve__reply_text(r, "text/html; charset=utf-8", p.buf, p.len);
	free(p.buf);
	return ret;
}

/* /debug/pprof/cmdline: our own command line, NUL-separated, as Go's. */
static int serve_cmdline(struct req *r)
{
	char buf[4096];
	size_t len = 0;
	FILE *f = fopen("/proc/self/cmdline", "re");

	if (f) {
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	return serve__reply_text(r, "text/plain; charset=utf-8", buf, len);
}

int serve_pprof__route(struct req *r, const char *path, const struct httpq *q)
{
	const char *name;
	const struct route *rt;

	if (!strcmp(path, "/debug/pprof"))
		return serve__reply_redirect(r, PREFIX);
	if (strncmp(path, PREFIX, strlen(PREFIX)))
		return serve__reply_error(r, MHD_HTTP_NOT_FOUND, "404 page not found");
	name = path + strlen(PREFIX);
	if (!*name)
		return serve_index(r);
	if (!strcmp(name, "cmdline"))
		return serve_cmdline(r);
	if ((rt = find_route(name)))
		return serve_profile(r, rt, q);
	if (!strcmp(name, "goroutine") || !strcmp(name, "threads"))
		return serve_threads__reply(r, name, q);
	for (size_t i = 0; i < ARRAY_SIZE(not_ours); i++)
		if (!strcmp(name, not_ours[i]))
			return serve__reply_error(r, MHD_HTTP_NOT_FOUND,
						  "%s: not served by cprof-bpf; profiles here: "
						  "profile, heap, allocs, block, mutex, goroutine, threads",
						  name);
	return serve__reply_error(r, MHD_HTTP_NOT_FOUND, "Unknown profile");
}
