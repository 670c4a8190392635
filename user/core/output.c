// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The run's output: the directory, each collected kind's profile, and the end-of-run
 * summary on stderr. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "core/options.h"
#include "core/procobj.h"
#include "core/session_priv.h"
#include "cprof.h"
#include "atomicfile.h"
#include "elf/debuginfod.h"
#include "flame.h"
#include "pmodel.h"
#include "proc/object.h"
#include "report/report.h"
#include "report/stacks.h"
#include "report/summary.h"
#include "symbols/symbolizer.h"
#include "unwind/unwinder.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

/* Proves dir writable before profiling, so a bad -o fails in a second, not after the run. */
int output__prepare(const char *dir)
{
	char path[4096], *p;
	int fd;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/.cprof-write-test.XXXXXX", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

/* One kind's profile, built in memory before any file is written: a directory that fails
 * takes nothing collected with it. */
struct built {
	void *buf;
	size_t len;
	struct report_result res;
};

/* Builds one kind's profile into b. */
static int build_kind(struct session *s, struct report *rep, const struct kind_report *kr,
		      const uint64_t *cnt, double secs, unsigned int idx, struct built *b)
{
	const struct cprof_opts *o = s->o;
	const struct report_kind *k = &kr->rk;
	char comment[256];
	struct report_extra extra = {
		.lost = cnt[CPROF_CNT_LOST_KIND + k->kind],
		.lost_value = kr->lost_value,
		.time_nanos = (int64_t)(s->wall0 * 1e9),
		.duration_nanos = (int64_t)(secs * 1e9),
		.comment = comment,
		.evicted = s->evicted[idx].values,
		.evicted_records = s->evicted[idx].records,
	};
	int err;

	snprintf(comment, sizeof(comment), "cprof-bpf %s: %s", CPROF_VERSION,
		 o->n_pids ? "selected processes" : o->command ? "command" : "whole host");
	err = report__build(rep, k, s->env.st, &extra, &b->buf, &b->len, &b->res);
	if (err)
		log_error("cannot build the %s profile: %s", k->name, strerror(-err));
	return err;
}

static bool is_link(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISLNK(st.st_mode);
}

/* A file of ours was a symlink (planted, or made by hand): the rename of the new file
 * replaced the link itself, nothing was written through it. */
static void say_replaced(const char *path)
{
	log_warn("%s was a symlink: replaced by the file, its target left as it was", path);
}

/* Writes the built profiles into dir, in the kinds' order. Returns 0, or -errno with *bad
 * the index of the one that failed: those before it are written. */
static int write_built(const char *dir, const struct kind_report *kr, const struct built *b,
		       const bool *ok, unsigned int *bad)
{
	char path[4096];
	bool link;
	int err;

	for (unsigned int i = 0; i < n_kinds; i++) {
		if (!ok[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, kr[i].rk.file);
		link = is_link(path);
		if ((err = atomicfile__write(path, b[i].buf, b[i].len))) {
			*bad = i;
			return err;
		}
		if (link)
			say_replaced(path);
	}
	return 0;
}

/* A private directory (mkdtemp: new, 0700) where profiles go when -o's cannot take them:
 * under $TMPDIR, else /var/tmp (on disk, kept across reboots), else /tmp. Returns 0 with
 * the path in buf, or -errno of the last place tried. */
static int fallback_dir(char *buf, size_t size)
{
	const char *env = getenv("TMPDIR");
	const char *const dirs[] = { env && env[0] == '/' ? env : NULL, "/var/tmp", "/tmp" };
	int err = -ENOENT;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!dirs[i])
			continue;
		if (snprintf(buf, size, "%s/cprof-bpf-XXXXXX", dirs[i]) >= (int)size) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (mkdtemp(buf))
			return 0;
		err = -errno;
	}
	return err;
}

/* The profiles of this run that made it into dir before one failed: removed once they are
 * all in the fallback, so a run's files are in one place and the full disk gets its space
 * back. */
static void unlink_written(const char *dir, const struct kind_report *kr, const bool *ok,
			   unsigned int bad)
{
	char path[4096];

	for (unsigned int i = 0; i < bad; i++) {
		if (!ok[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, kr[i].rk.file);
		unlink(path);
	}
}

/* Writes the built profiles into -o's directory, else (a full disk, a directory removed
 * during the run) into a fallback that one line names. Returns 0 with *dir the directory
 * they are in (fallback's storage: size bytes), or -errno with *dir NULL. */
static int write_profiles(const struct session *s, const struct kind_report *kr,
			  const struct built *b, const bool *ok, char *fallback, size_t size,
			  const char **dir)
{
	const char *out = s->o->output_dir;
	unsigned int bad = 0, fbad = 0;
	int err, ferr;

	*dir = out;
	if (!(err = write_built(out, kr, b, ok, &bad)))
		return 0;
	*dir = NULL;
	ferr = fallback_dir(fallback, size);
	if (ferr) {
		log_error("cannot write %s/%s: %s; no directory for the profiles instead (%s)",
			  out, kr[bad].rk.file, strerror(-err), strerror(-ferr));
		return err;
	}
	ferr = write_built(fallback, kr, b, ok, &fbad);
	if (ferr) {
		log_error("cannot write %s/%s: %s; nor %s/%s: %s", out, kr[bad].rk.file,
			  strerror(-err), fallback, kr[fbad].rk.file, strerror(-ferr));
		rmdir(fallback);	/* empty: atomicfile leaves nothing on failure */
		return err;
	}
	unlink_written(out, kr, ok, bad);
	log_error("cannot write %s/%s: %s; the profiles are in %s instead", out,
		  kr[bad].rk.file, strerror(-err), fallback);
	*dir = fallback;
	return err;
}

/* The page's header: what was profiled, as the command line said it. */
static void flame_title(const struct cprof_opts *o, char *buf, size_t size)
{
	const char *cmd = o->command ? strrchr(o->command[0], '/') : NULL;
	size_t n;

	if (o->command) {
		snprintf(buf, size, "cprof-bpf -- %s", cmd ? cmd + 1 : o->command[0]);
		return;
	}
	if (!o->n_pids) {
		snprintf(buf, size, "cprof-bpf: the whole host");
		return;
	}
	n = (size_t)snprintf(buf, size, "cprof-bpf -p %d", o->pids[0]);
	for (size_t i = 1; i < o->n_pids && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, ",%d", o->pids[i]);
}

/* DIR/flame.html from the profiles just written, read back from their files: the page shows
 * what a user would open, and building it needs nothing of the run's own state. Returns 0
 * with path set, or -errno after one warning: a failure costs the page, never a profile. */
static int write_flame(const struct session *s, const char *dir, const struct kind_report *kr,
		       const bool *written, char *path, size_t size)
{
	struct pmodel *pm[KINDS_MAX] = { 0 };
	struct flame_input in[KINDS_MAX];
	struct flame_opts fo;
	char title[256];
	size_t n = 0;
	bool link;
	int err = 0;

	for (unsigned int i = 0; i < n_kinds && !err; i++) {
		if (!written[i])
			continue;
		snprintf(path, size, "%s/%s", dir, kr[i].rk.file);
		if ((err = pmodel__read_file(path, &pm[n])))
			log_warn("flame.html not written: cannot read back %s: %s", path,
				 strerror(-err));
		in[n] = (struct flame_input){ .label = kinds[i]->name, .pm = pm[n] };
		n += !err;
	}
	if (err || !n)
		goto out;
	snprintf(path, size, "%s/flame.html", dir);
	flame_title(s->o, title, sizeof(title));
	fo = (struct flame_opts){ .title = title };
	link = is_link(path);
	if ((err = flame__write(path, in, n, &fo)))
		log_warn("cannot write %s: %s", path, strerror(-err));
	else if (link)
		say_replaced(path);
out:
	for (size_t i = 0; i < KINDS_MAX; i++)
		pmodel__free(pm[i]);
	return n || err ? err : -ENODATA;
}

/* The summary's last lines: kinds not collected, records dropped on the way. */
static void summary_tail(const struct session *s, const uint64_t *cnt)
{
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->why[i][0])
			fprintf(stderr, "  not collected: the %s profile (%s)\n", kinds[i]->name,
				s->why[i]);
	if (s->o->verbose && s->pre_exec_records)
		fprintf(stderr, "  %llu samples of the command's process before its exec (our fork) "
			"left out\n", (unsigned long long)s->pre_exec_records);
	if (s->evicted_procs)
		fprintf(stderr, "  %llu exited processes released past --max-exited %u (or near "
			"--max-stacks): their stacks, and the waits they ended in other "
			"processes, are counted in [evicted]; %zu files only they "
			"mapped closed\n", (unsigned long long)s->evicted_procs,
			s->o->retain.max_exited, objcache__released(s->env.oc));
	if (stacks__overflowed(s->env.st))
		fprintf(stderr, "  %llu samples in [stack table full]: more distinct stacks than "
			"--max-stacks %u\n", (unsigned long long)stacks__overflowed(s->env.st),
			s->o->retain.max_stacks);
	if (s->orphan_records)
		fprintf(stderr, "  %llu samples dropped: their profile stopped being collected "
			"during the run\n", (unsigned long long)s->orphan_records);
	if (cnt[CPROF_CNT_SCRATCH_BUSY])
		fprintf(stderr, "  %llu samples dropped: every scratch record of their CPU was in "
			"use by programs running there at once\n",
			(unsigned long long)cnt[CPROF_CNT_SCRATCH_BUSY]);
	if (s->bad_records || s->agg_errors || cnt[CPROF_CNT_EVENTS_LOST])
		fprintf(stderr, "  %llu malformed records, %llu aggregation failures, "
			"%llu process events lost\n", (unsigned long long)s->bad_records,
			(unsigned long long)s->agg_errors,
			(unsigned long long)cnt[CPROF_CNT_EVENTS_LOST]);
}

/* Objects whose debuginfo did not come within the budget: one line, -v said which. */
static void summary_debuginfod(const struct session *s)
{
	struct debuginfod_stats st;

	debuginfod__stats(s->dfd, &st);
	if (st.timed_out && !s->o->verbose)
		fprintf(stderr, "debuginfod: %zu object%s not fetched within %g s "
			"(DEBUGINFOD_URLS=%.200s)\n", st.timed_out, st.timed_out == 1 ? "" : "s",
			st.budget, st.urls);
}

/* The kinds' own summaries, the unwinder's, the kinds' hints comparing profiles. */
static void summaries(struct session *s, const uint64_t *cnt,
		      const struct report_kind *const *profiles)
{
	struct unwinder_stats us;

	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i] && kinds[i]->summary)
			kinds[i]->summary(s->active[i], &s->env, cnt);
	unwinder__stats(s->uw, &us);
	summary__unwind(&us);
	for (unsigned int i = 0; i < n_kinds; i++)
		if (s->active[i] && kinds[i]->hints)
			kinds[i]->hints(s->active[i], &s->env, profiles);
	summary_tail(s, cnt);
	summary_debuginfod(s);
	if (s->env.flame_path)
		fprintf(stderr, "flame graph: %s — open in a browser\n", s->env.flame_path);
}

/* Every collected kind's profile built; ok[i] says which. Returns 0 or the last error:
 * a kind that fails to build costs only its own profile. */
static int build_all(struct session *s, struct report *rep, const struct kind_report *kr,
		     const uint64_t *cnt, struct built *b, bool *ok)
{
	int err = 0, e;

	for (unsigned int i = 0; i < n_kinds; i++) {
		if (!s->active[i])
			continue;
		e = build_kind(s, rep, &kr[i], cnt, s->t1 - s->t0, i, &b[i]);
		ok[i] = !e;
		if (e)
			err = e;
	}
	return err;
}

int output__write(struct session *s)
{
	struct report *rep = report__new(s->env.sym);
	uint64_t cnt[CPROF_CNT_NR];
	struct kind_report kr[KINDS_MAX];
	const struct report_kind *profiles[CPROF_KIND_NR] = { 0 };
	struct built *b = calloc(KINDS_MAX, sizeof(*b));
	bool ok[KINDS_MAX] = { 0 };
	char flame[4096], fallback[1024], path[4096];
	const char *dir;
	double t;
	int err = 0, e;

	if (!rep || !b) {
		err = -ENOMEM;
		goto out;
	}
	/* Symbols may wait for debuginfod: one budget in all, for every object left. */
	debuginfod__limit(s->dfd);
	procobj__read_counters(s->po, cnt);
	stacks__resolve_unmapped(s->env.st);
	for (unsigned int i = 0; i < n_kinds; i++) {
		if (!s->active[i])
			continue;
		if ((err = kinds[i]->report(s->active[i], &s->env, cnt, &kr[i])))
			goto out;
		profiles[kinds[i]->id] = &kr[i].rk;
	}
	err = build_all(s, rep, kr, cnt, b, ok);
	debuginfod__stop(s->dfd);
	if ((e = write_profiles(s, kr, b, ok, fallback, sizeof(fallback), &dir)))
		err = e;
	if (!dir)
		goto out;
	for (unsigned int i = 0; i < n_kinds; i++) {
		if (!ok[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, kr[i].rk.file);
		summary__kind(&kr[i].rk, &b[i].res, cnt, path, s->t1 - s->t0);
	}
	t = clock__secs(CLOCK_MONOTONIC);
	e = write_flame(s, dir, kr, ok, flame, sizeof(flame));
	if (!e)
		log_debug("%s written in %.0f ms", flame,
			  (clock__secs(CLOCK_MONOTONIC) - t) * 1e3);
	s->env.flame_path = e ? NULL : flame;
	s->env.output_dir = dir;
	summaries(s, cnt, profiles);
	s->env.flame_path = NULL;
	s->env.output_dir = s->o->output_dir;
out:
	for (unsigned int i = 0; b && i < KINDS_MAX; i++)
		free(b[i].buf);
	free(b);
	report__free(rep);
	return err;
}

/* The decompressed debug sections a server keeps open between replies. */
#define OUTPUT_DWARF_BUDGET (16ull << 20)

/* The active kind whose id is kind_id, its ops and index; NULL if not collected. */
static struct kind *active_kind(const struct session *s, unsigned int kind_id,
				const struct kind_ops **ops, unsigned int *idx)
{
	int i = kinds__index(kind_id);

	if (i < 0 || !s->active[i])
		return NULL;
	*ops = kinds[i];
	*idx = (unsigned int)i;
	return s->active[i];
}

/* Everything the BPF side has handed over so far, aggregated. */
static void catch_up(struct session *s)
{
	if (s->rb)
		ring_buffer__consume(s->rb);
}

/* Fills m from the aggregates as of now (the ring buffer already drained): the snapshot,
 * and the counters cnt and the kind's report kr read with it. */
static int mark_now(struct session *s, unsigned int kind_id, const uint64_t *cnt,
		    const struct kind_report *kr, struct output_mark *m)
{
	memset(m, 0, sizeof(*m));
	m->lost = cnt[CPROF_CNT_LOST_KIND + kind_id];
	m->lost_value = kr->lost_value;
	m->mono = clock__secs(CLOCK_MONOTONIC);
	m->wall_ns = (int64_t)clock__ns(CLOCK_REALTIME);
	return stacks__snapshot(s->env.st, &m->snap);
}

int output__mark(struct session *s, unsigned int kind_id, struct output_mark *m)
{
	const struct kind_ops *ops;
	unsigned int idx;
	struct kind *k = active_kind(s, kind_id, &ops, &idx);
	uint64_t cnt[CPROF_CNT_NR];
	struct kind_report kr;
	int err;

	memset(m, 0, sizeof(*m));
	if (!k)
		return -ENOENT;
	catch_up(s);
	procobj__read_counters(s->po, cnt);
	err = ops->report(k, &s->env, cnt, &kr);
	return err ? err : mark_now(s, kind_id, cnt, &kr, m);
}

void output__mark_free(struct output_mark *m)
{
	stacks__snap_free(&m->snap);
}

int output__build(struct session *s, unsigned int kind_id, const struct output_req *rq,
		  void **buf, size_t *len)
{
	const struct kind_ops *ops;
	unsigned int idx;
	struct kind *k = active_kind(s, kind_id, &ops, &idx);
	const struct output_mark *b = rq->base;
	uint64_t cnt[CPROF_CNT_NR];
	struct kind_report kr;
	struct report_result res;
	struct report_extra extra;
	struct report *rep;
	char comment[256];
	int64_t now = (int64_t)clock__ns(CLOCK_REALTIME);
	int err;

	if (!k)
		return -ENOENT;
	rep = report__new(s->env.sym);
	if (!rep)
		return -ENOMEM;
	catch_up(s);
	procobj__read_counters(s->po, cnt);
	stacks__resolve_unmapped(s->env.st);
	err = ops->report(k, &s->env, cnt, &kr);
	if (!err && rq->remark)
		err = mark_now(s, kind_id, cnt, &kr, rq->remark);
	if (err)
		goto out;
	snprintf(comment, sizeof(comment), "cprof-bpf %s: %s, %s", CPROF_VERSION,
		 s->o->n_pids ? "selected processes" : s->o->command ? "command" : "whole host",
		 b ? "delta" : "cumulative since the start");
	extra = (struct report_extra){
		.lost = cnt[CPROF_CNT_LOST_KIND + kind_id] - (b ? b->lost : 0),
		.lost_value = kr.lost_value - (b ? b->lost_value : 0),
		/* Go: a CPU profile is stamped with its start, a named delta with its end,
		 * a cumulative profile with now and no duration. */
		.time_nanos = b && rq->stamp_start ? b->wall_ns : now,
		.duration_nanos = b ? now - b->wall_ns : 0,
		.comment = comment,
		.default_sample_type = rq->default_type,
		.base = b ? &b->snap : NULL,
		.evicted = rq->pid || rq->comm ? NULL : s->evicted[idx].values,
		.evicted_records = s->evicted[idx].records,
		.pid = rq->pid,
		.comm = rq->comm,
		.plain = rq->plain,
	};
	/* A request waits one debuginfod budget at most, whatever the objects it names. */
	debuginfod__limit(s->dfd);
	err = report__build(rep, &kr.rk, s->env.st, &extra, buf, len, &res);
	debuginfod__unlimit(s->dfd);
out:
	report__free(rep);
	/* A server builds again and again: debug information beyond a budget is closed (and
	 * read again when a new address needs it), and the builder's pages go back, or its
	 * RSS would keep the peak of every reply it ever built. */
	symbolizer__trim(s->env.sym, OUTPUT_DWARF_BUDGET);
	malloc_trim(0);
	return err;
}
