// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A snapshot of threads: records read with bounds, threads grouped by identical stacks,
 * printed as text or JSON (threadsnap.h). Threads are grouped by their functions, not
 * their addresses: threads running the same loop are interrupted at different
 * instructions of it, and are one group all the same. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/threadsnap.h"
#include "util/util.h"
#include "util/vec.h"

/* The kernel's task states (include/linux/sched.h). */
#define TS_INTERRUPTIBLE 0x1
#define TS_UNINTERRUPTIBLE 0x2
#define TS_STOPPED 0x4
#define TS_TRACED 0x8
#define TS_NOLOAD 0x400

struct snap_thread {
	struct thread_info t;	/* its strings owned */
	struct thread_frame *f;	/* its strings owned */
	size_t n;
	char *key;		/* what threads of one group share */
};

struct threadsnap {
	struct snap_thread *th;
	size_t n, cap;
};

struct group {
	size_t first, n;	/* a run of the sorted order */
};

static const char *const state_names[THREAD_STATE_NR] = {
	[THREAD_RUNNING] = "running",
	[THREAD_RUNNABLE] = "runnable",
	[THREAD_SLEEPING] = "sleeping",
	[THREAD_UNINTERRUPTIBLE] = "uninterruptible",
	[THREAD_IDLE] = "idle",
	[THREAD_STOPPED] = "stopped",
	[THREAD_EXITING] = "exiting",
};

enum thread_state threadsnap__state(uint64_t task_state, uint64_t extra)
{
	if (extra >> 8)
		return THREAD_EXITING;
	if (task_state & (TS_STOPPED | TS_TRACED))
		return THREAD_STOPPED;
	if (task_state & TS_UNINTERRUPTIBLE)
		return task_state & TS_NOLOAD ? THREAD_IDLE : THREAD_UNINTERRUPTIBLE;
	if (task_state & TS_INTERRUPTIBLE)
		return THREAD_SLEEPING;
	if (task_state)
		return THREAD_EXITING;	/* TASK_DEAD, TASK_WAKEKILL alone... */
	return extra & CPROF_THREAD_ON_CPU ? THREAD_RUNNING : THREAD_RUNNABLE;
}

const char *threadsnap__state_name(enum thread_state s)
{
	return (unsigned int)s < THREAD_STATE_NR ? state_names[s] : "?";
}

int threadsnap__next(const void *buf, size_t len, size_t *off, union thread_rec *out)
{
	const uint8_t *p = (const uint8_t *)buf + *off;
	size_t left = len - *off, size;

	if (*off >= len)
		return 1;
	if (left < sizeof(out->r))
		return -EINVAL;
	memcpy(&out->r, p, sizeof(out->r));
	if (out->r.kind != CPROF_EV_THREAD || out->r.n_kernel > CPROF_MAX_KERNEL_FRAMES ||
	    out->r.n_user > CPROF_MAX_USER_FRAMES)
		return -EINVAL;
	size = sizeof(out->r) + ((size_t)out->r.n_kernel + out->r.n_user) * sizeof(uint64_t);
	if (left < size)
		return -EINVAL;
	memcpy(out->bytes, p, size);
	/* Names as C strings whatever the bytes. */
	out->r.comm[CPROF_COMM_LEN - 1] = '\0';
	out->r.pcomm[CPROF_COMM_LEN - 1] = '\0';
	out->r.aux_comm[CPROF_COMM_LEN - 1] = '\0';
	*off += size;
	return 0;
}

struct threadsnap *threadsnap__new(void)
{
	return calloc(1, sizeof(struct threadsnap));
}

static void thread_free(struct snap_thread *s)
{
	free((char *)s->t.comm);
	free((char *)s->t.pcomm);
	free((char *)s->t.stop);
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->f[i].name);
		free((char *)s->f[i].file);
		free((char *)s->f[i].object);
	}
	free(s->f);
	free(s->key);
}

void threadsnap__free(struct threadsnap *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n; i++)
		thread_free(&ts->th[i]);
	free(ts->th);
	free(ts);
}

/* s copied, or NULL for NULL; *bad set when memory ran out. */
static const char *dup_or_null(const char *s, bool *bad)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*bad = true;
	return d;
}

/* The group key: the process, how the stack ended, and each frame's function (its object
 * where it has no name: the address varies from thread to thread). */
static char *make_key(const struct snap_thread *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "%d|%d|%d|%s", s->t.pid, s->t.unreadable, s->t.complete,
		s->t.stop ? s->t.stop : "");
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "|%c%c%s", s->f[i].kernel ? 'k' : 'u', s->f[i].inlined ? 'i' : '-',
			s->f[i].name ? s->f[i].name : s->f[i].object ? s->f[i].object : "?");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int threadsnap__add(struct threadsnap *ts, const struct thread_info *t,
		    const struct thread_frame *f, size_t n)
{
	struct snap_thread s = { .t = *t, .n = n };
	bool bad = false;

	s.t.comm = dup_or_null(t->comm ? t->comm : "", &bad);
	s.t.pcomm = dup_or_null(t->pcomm ? t->pcomm : "", &bad);
	s.t.stop = dup_or_null(t->stop, &bad);
	s.f = n ? calloc(n, sizeof(*s.f)) : NULL;
	if (n && !s.f)
		bad = true;
	for (size_t i = 0; s.f && i < n; i++) {
		s.f[i] = f[i];
		s.f[i].name = dup_or_null(f[i].name, &bad);
		s.f[i].file = dup_or_null(f[i].file, &bad);
		s.f[i].object = dup_or_null(f[i].object, &bad);
	}
	if (!bad)
		s.key = make_key(&s);
	if (bad || !s.key || VEC_PUSH(ts->th, ts->n, ts->cap, s)) {
		thread_free(&s);
		return -ENOMEM;
	}
	return 0;
}

size_t threadsnap__count(const struct threadsnap *ts, int pid)
{
	size_t n = 0;

	for (size_t i = 0; i < ts->n; i++)
		n += !pid || ts->th[i].t.pid == pid;
	return n;
}

/* The order threads are grouped in: by key, then by tid. */
static int cmp_thread(const void *a, const void *b)
{
	const struct snap_thread *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : CMP3(x->t.tid, y->t.tid);
}

static const struct snap_thread *sorted;	/* for cmp_group: qsort takes no context */

/* Groups by process, then the largest first, then by their first thread. */
static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	const struct snap_thread *tx = &sorted[x->first], *ty = &sorted[y->first];

	if (tx->t.pid != ty->t.pid)
		return CMP3(tx->t.pid, ty->t.pid);
	if (x->n != y->n)
		return CMP3(y->n, x->n);
	return CMP3(tx->t.tid, ty->t.tid);
}

/* Sorts the threads and returns their groups in print order (*n of them); NULL on ENOMEM
 * (or for no threads). */
static struct group *make_groups(struct threadsnap *ts, size_t *n)
{
	struct group *g = NULL;
	size_t cap = 0;

	*n = 0;
	if (!ts->n)
		return NULL;
	qsort(ts->th, ts->n, sizeof(*ts->th), cmp_thread);
	for (size_t i = 0; i < ts->n; i++) {
		if (*n && !strcmp(ts->th[g[*n - 1].first].key, ts->th[i].key)) {
			g[*n - 1].n++;
			continue;
		}
		if (VEC_PUSH(g, *n, cap, ((struct group){ .first = i, .n = 1 }))) {
			free(g);
			*n = 0;
			return NULL;
		}
	}
	sorted = ts->th;
	qsort(g, *n, sizeof(*g), cmp_group);
	return g;
}

/* "sleeping 10" or "runnable 19, running 1": the states of a group's threads. */
static void print_states(FILE *out, const struct snap_thread *th, size_t n, bool json)
{
	size_t counts[THREAD_STATE_NR] = { 0 };
	bool first = true;

	for (size_t i = 0; i < n; i++)
		if ((unsigned int)th[i].t.state < THREAD_STATE_NR)
			counts[th[i].t.state]++;
	for (int s = 0; s < THREAD_STATE_NR; s++) {
		if (!counts[s])
			continue;
		fprintf(out, json ? "%s\"%s\": %zu" : "%s%s %zu", first ? "" : ", ", state_names[s],
			counts[s]);
		first = false;
	}
}

static void print_frame_text(FILE *out, const struct thread_frame *f)
{
	if (f->name)
		fprintf(out, "  %s", f->name);
	else
		fprintf(out, "  0x%" PRIx64, f->addr);
	if (f->inlined)
		fputs(" (inlined)", out);
	if (f->file && f->line)
		fprintf(out, " at %s:%" PRId64, f->file, f->line);
	fprintf(out, " [%s]\n", f->object ? f->object : "unmapped");
}

/* A group's threads, several to a line: "tid name", and the state of each where the
 * group's threads are not all in one. */
static void print_tids(FILE *out, const struct snap_thread *th, size_t n)
{
	bool mixed = false;

	for (size_t i = 1; i < n; i++)
		mixed |= th[i].t.state != th[0].t.state;
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s%d %s", !i ? "    " : i % 8 ? ", " : ",\n    ", th[i].t.tid,
			th[i].t.comm);
		if (mixed)
			fprintf(out, " (%s)", state_names[th[i].t.state]);
	}
	fputc('\n', out);
}

/* A thread's frames, and why its stack ends where it does when that is not a root. */
static void print_stack_text(FILE *out, const struct snap_thread *s)
{
	for (size_t i = 0; i < s->n; i++)
		print_frame_text(out, &s->f[i]);
	if (s->t.unreadable)
		fputs("  [user stack unreadable]\n", out);
	else if (!s->t.complete)
		fprintf(out, "  [stack cut short: %s]\n", s->t.stop ? s->t.stop : "?");
	fputc('\n', out);
}

static void print_group_text(FILE *out, const struct snap_thread *th, size_t n)
{
	fprintf(out, "%zu thread%s: ", n, n == 1 ? "" : "s");
	print_states(out, th, n, false);
	fputc('\n', out);
	print_tids(out, th, n);
	print_stack_text(out, &th[0]);
}

/* s as a JSON string (quotes, backslashes and control characters escaped), null for NULL. */
static void json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void print_frame_json(FILE *out, const struct thread_frame *f)
{
	fprintf(out, "{\"addr\": \"0x%" PRIx64 "\", \"kernel\": %s, \"function\": ", f->addr,
		f->kernel ? "true" : "false");
	json_str(out, f->name);
	fputs(", \"file\": ", out);
	json_str(out, f->file);
	fprintf(out, ", \"line\": %" PRId64 ", \"inlined\": %s, \"object\": ", f->line,
		f->inlined ? "true" : "false");
	json_str(out, f->object);
	fputc('}', out);
}

static void print_group_json(FILE *out, const struct snap_thread *th, size_t n, bool last)
{
	const struct snap_thread *s = &th[0];

	fprintf(out, "    {\"pid\": %d, \"process\": ", s->t.pid);
	json_str(out, s->t.pcomm);
	fprintf(out, ", \"count\": %zu, \"states\": {", n);
	print_states(out, th, n, true);
	fprintf(out, "}, \"complete\": %s, \"unreadable\": %s, \"stop\": ",
		s->t.complete ? "true" : "false", s->t.unreadable ? "true" : "false");
	json_str(out, s->t.complete ? NULL : s->t.stop);
	fputs(",\n     \"threads\": [", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s{\"tid\": %d, \"name\": ", i ? ", " : "", th[i].t.tid);
		json_str(out, th[i].t.comm);
		fprintf(out, ", \"state\": \"%s\"}", state_names[th[i].t.state]);
	}
	fputs("],\n     \"frames\": [", out);
	for (size_t i = 0; i < s->n; i++) {
		fputs(i ? ",\n       " : "\n       ", out);
		print_frame_json(out, &s->f[i]);
	}
	fprintf(out, "]}%s\n", last ? "" : ",");
}

/* Threads of process pid whose user stack could not be read. */
static size_t count_unread(const struct threadsnap *ts, int pid)
{
	size_t n = 0;

	for (size_t j = 0; j < ts->n; j++)
		n += ts->th[j].t.pid == pid && ts->th[j].t.unreadable;
	return n;
}

/* Whether group i is its process's first (groups come by process). */
static bool first_of_process(const struct threadsnap *ts, const struct group *g, size_t i)
{
	return !i || ts->th[g[i - 1].first].t.pid != ts->th[g[i].first].t.pid;
}

/* "pid 7 (name): 12 threads", and how many of them could not be read. */
static void print_process_text(FILE *out, const struct threadsnap *ts, const struct snap_thread *th)
{
	size_t total = threadsnap__count(ts, th->t.pid), unread = count_unread(ts, th->t.pid);

	fprintf(out, "pid %d (%s): %zu thread%s", th->t.pid, th->t.pcomm, total,
		total == 1 ? "" : "s");
	if (unread)
		fprintf(out, ", %zu whose user stack could not be read", unread);
	fputs("\n\n", out);
}

/* Text: a line per process, then its groups. */
static void print_text(FILE *out, const struct threadsnap *ts, const struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (first_of_process(ts, g, i))
			print_process_text(out, ts, &ts->th[g[i].first]);
		print_group_text(out, &ts->th[g[i].first], g[i].n);
	}
}

static int cmp_tid(const void *a, const void *b)
{
	const struct snap_thread *x = a, *y = b;

	return x->t.pid != y->t.pid ? CMP3(x->t.pid, y->t.pid) : CMP3(x->t.tid, y->t.tid);
}

/* Text, one entry per thread: a line per process, then its threads by tid, each headed
 * "thread TID NAME [STATE]:" as Go heads a goroutine "goroutine N [STATE]:". Sorts the
 * threads, as grouping does. */
static void print_each(FILE *out, struct threadsnap *ts)
{
	const struct snap_thread *th = ts->th;

	if (ts->n)
		qsort(ts->th, ts->n, sizeof(*ts->th), cmp_tid);
	for (size_t i = 0; i < ts->n; i++) {
		if (!i || th[i - 1].t.pid != th[i].t.pid)
			print_process_text(out, ts, &th[i]);
		fprintf(out, "thread %d %s [%s]:\n", th[i].t.tid, th[i].t.comm,
			threadsnap__state_name(th[i].t.state));
		print_stack_text(out, &th[i]);
	}
}

/* JSON: the totals, a summary per process, then the groups. */
static void print_json(FILE *out, const struct threadsnap *ts, const struct group *g, size_t n)
{
	bool first = true;

	fprintf(out, "{\"threads\": %zu, \"processes\": [", ts->n);
	for (size_t i = 0; i < n; i++) {
		const struct snap_thread *th = &ts->th[g[i].first];

		if (!first_of_process(ts, g, i))
			continue;
		fprintf(out, "%s{\"pid\": %d, \"name\": ", first ? "" : ", ", th->t.pid);
		json_str(out, th->t.pcomm);
		fprintf(out, ", \"threads\": %zu, \"unreadable\": %zu}",
			threadsnap__count(ts, th->t.pid), count_unread(ts, th->t.pid));
		first = false;
	}
	fputs("],\n \"groups\": [\n", out);
	for (size_t i = 0; i < n; i++)
		print_group_json(out, &ts->th[g[i].first], g[i].n, i + 1 == n);
	fputs("]}\n", out);
}

int threadsnap__print(struct threadsnap *ts, FILE *out, enum threadsnap_format fmt)
{
	size_t n = 0;
	struct group *g;

	if (fmt == THREADSNAP_EACH) {
		print_each(out, ts);
		return fflush(out) || ferror(out) ? -EIO : 0;
	}
	g = make_groups(ts, &n);
	if (!g && ts->n)
		return -ENOMEM;
	if (fmt == THREADSNAP_JSON)
		print_json(out, ts, g, n);
	else
		print_text(out, ts, g, n);
	free(g);
	return fflush(out) || ferror(out) ? -EIO : 0;
}
