// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view: every interval, per kind shown, the profile of the interval (a delta since
 * the last refresh's mark) and the one since the start, built by output__build unzipped,
 * read by pmodel and tabulated by ptext; keys change what the table shows from the kept
 * models without waiting for the next refresh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/options.h"
#include "core/procobj.h"
#include "core/session_priv.h"
#include "core/top.h"
#include "core/top_rows.h"
#include "core/top_screen.h"
#include "cprof.h"
#include "pmodel.h"
#include "ptext.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

/* The rows the non-terminal table prints. */
#define TOP_PRINT_ROWS 30

/* One profile the view can show, and what it keeps of it. */
struct top_view {
	unsigned int kind;	/* enum cprof_kind */
	const char *title;	/* for the header */
	const char *value;	/* the sample type of the table: time */
	const char *count;	/* the sample type counted in the header, and its word */
	const char *count_word;
	bool active;
	struct output_mark mark;	/* the interval's start */
	struct pmodel *pm[TOP_N_SPANS];	/* the last refresh's profiles */
	double span;		/* the interval's length, seconds */
	uint64_t lost[TOP_N_SPANS];
};

struct top {
	struct session *s;
	struct top_screen *sc;	/* NULL: no terminal, one table at the end */
	struct top_view views[2];
	unsigned int shown;	/* index into views */
	enum top_sort sort;
	enum top_span by;
	bool by_line, paused, quit;
	char filter[64];	/* a pid or a process name; "" shows all */
	bool prompting;
	char prompt[64];
	double next;		/* monotonic: the next refresh */
	struct rusage ru;	/* our CPU use at the last refresh */
	double ru_at;
	double cost;		/* our CPU in percent of one CPU, over the last interval */
	char status[160];	/* the last thing that went wrong, shown under the table */
};

static const struct top_view view_defs[] = {
	{ .kind = CPROF_KIND_CPU, .title = "CPU", .value = "cpu", .count = "samples",
	  .count_word = "samples" },
	{ .kind = CPROF_KIND_BLOCK, .title = "off-CPU (block)", .value = "delay",
	  .count = "contentions", .count_word = "waits" },
};

/* What the profile covers, for the header: the targets, the command, or the host. */
static void describe_targets(const struct session *s, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	if (s->o->command) {
		snprintf(buf, size, "%s (pid %d)", s->o->command[0], (int)s->cmd.pid);
		return;
	}
	if (!s->n_targets) {
		snprintf(buf, size, "the whole host");
		return;
	}
	for (size_t i = 0; i < s->n_targets && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%spid %d (%s)", i ? ", " : "",
				      s->targets[i].pid, s->targets[i].comm);
}

static void say(struct top *t, const char *what, int err)
{
	snprintf(t->status, sizeof(t->status), "%s: %s", what, strerror(-err));
}

/* Builds kind's profile (a delta since base, remarking into remark, or cumulative) and
 * reads it. */
static int build_model(struct top *t, const struct top_view *v, const struct output_mark *base,
		       struct output_mark *remark, struct pmodel **out)
{
	struct output_req rq = { .base = base, .stamp_start = true, .plain = true,
				 .remark = remark };
	void *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	err = output__build(t->s, v->kind, &rq, &buf, &len);
	if (!err)
		err = pmodel__read_buf(buf, len, out);
	free(buf);
	return err;
}

/* The interval since the view's mark, and everything since the start. */
static void refresh_view(struct top *t, struct top_view *v)
{
	struct output_mark next = { 0 };
	struct pmodel *pm[TOP_N_SPANS] = { 0 };
	int err;

	err = build_model(t, v, &v->mark, &next, &pm[TOP_INTERVAL]);
	if (!err)
		err = build_model(t, v, NULL, NULL, &pm[TOP_START]);
	if (err) {
		say(t, "cannot build the profile", err);
		output__mark_free(&next);
		pmodel__free(pm[TOP_INTERVAL]);
		pmodel__free(pm[TOP_START]);
		return;
	}
	v->span = next.mono - v->mark.mono;
	v->lost[TOP_INTERVAL] = next.lost - v->mark.lost;
	v->lost[TOP_START] = next.lost;
	output__mark_free(&v->mark);
	v->mark = next;
	for (int sp = 0; sp < TOP_N_SPANS; sp++) {
		pmodel__free(v->pm[sp]);
		v->pm[sp] = pm[sp];
	}
}

/* The sum of type name over the samples passing f. */
static int64_t model_sum(const struct pmodel *pm, const char *name, const struct pm_filter *f)
{
	int ti = pm ? pmodel__type_index(pm, name) : -1;
	int64_t sum = 0;

	if (ti < 0)
		return 0;
	for (size_t i = 0; i < pm->n_samples; i++)
		if (pmodel__sample_passes(pm, i, f))
			sum += pmodel__value(pm, i, (size_t)ti);
	return sum;
}

/* The filter as pmodel takes it: digits are a pid, anything else a process name. */
static void make_filter(const struct top *t, struct pm_filter *f, int64_t *pid)
{
	char *end;

	memset(f, 0, sizeof(*f));
	if (!t->filter[0])
		return;
	*pid = strtoll(t->filter, &end, 10);
	if (!*end && *pid > 0) {
		f->pids = pid;
		f->n_pids = 1;
	} else {
		f->comm = t->filter;
	}
}

/* The header's lines into buf (one per row, NUL-separated); returns how many. */
static size_t header(struct top *t, const struct pm_filter *f, char lines[][512])
{
	const struct top_view *v = &t->views[t->shown];
	double now = clock__secs(CLOCK_MONOTONIC);
	char what[256];

	describe_targets(t->s, what, sizeof(what));
	snprintf(lines[0], 512, "cprof-bpf top: %s, %.0f s | %s view, refreshed every %g s | "
		 "cprof-bpf %.1f%% CPU", what, now - t->s->t0, v->title, t->s->o->top_interval,
		 t->cost);
	snprintf(lines[1], 512, "last %.1f s: %lld %s, %llu lost | since the start: %lld %s, "
		 "%llu lost", v->span, (long long)model_sum(v->pm[TOP_INTERVAL], v->count, f),
		 v->count_word, (unsigned long long)v->lost[TOP_INTERVAL],
		 (long long)model_sum(v->pm[TOP_START], v->count, f), v->count_word,
		 (unsigned long long)v->lost[TOP_START]);
	snprintf(lines[2], 512, "sorted by %s %s | rows: %s | process: %s%s",
		 t->sort == TOP_SORT_SELF ? "self" : "total",
		 t->by == TOP_INTERVAL ? "in the last interval" : "since the start",
		 t->by_line ? "file:line" : "functions", t->filter[0] ? t->filter : "all",
		 t->paused ? " | PAUSED (space resumes)" : "");
	if (t->prompting)
		snprintf(lines[3], 512, "process to show (a pid or a name; empty: all): %s_",
			 t->prompt);
	else
		snprintf(lines[3], 512, "keys: s/t sort by self/total  i interval/since start  "
			 "l file:line  o CPU/off-CPU  p process  space pause  q quit");
	return 4;
}

/* The tables of the view shown, merged into rows. */
static int view_rows(struct top *t, const struct pm_filter *f, struct ptext_table tab[],
		     struct top_rows *rows)
{
	const struct top_view *v = &t->views[t->shown];
	int err = 0;

	for (int sp = 0; sp < TOP_N_SPANS && !err; sp++) {
		struct ptext_opts o = { .by_line = t->by_line, .filter = f,
					.sort = t->sort == TOP_SORT_SELF ? PTEXT_SORT_FLAT :
									   PTEXT_SORT_CUM };

		if (!v->pm[sp] || (o.type = pmodel__type_index(v->pm[sp], v->value)) < 0)
			continue;
		err = ptext__table(v->pm[sp], &o, &tab[sp]);
	}
	if (!err)
		err = top_rows__merge(v->pm[TOP_INTERVAL] ? &tab[TOP_INTERVAL] : NULL,
				      v->pm[TOP_START] ? &tab[TOP_START] : NULL, t->sort, t->by,
				      rows);
	return err;
}

/* The rows under the header that fit, and the status line, into lines from text. */
static size_t table_lines(struct top *t, const struct top_rows *rows, int height, int width,
			  char *text, struct top_line *lines, size_t n)
{
	const struct top_view *v = &t->views[t->shown];
	char ival[64], start[64];
	size_t stride = (size_t)width + 1;

	snprintf(ival, sizeof(ival), "last %.1f s", v->span);
	snprintf(start, sizeof(start), "since the start");
	top_rows__head(width, ival, start, text + n * stride, text + (n + 1) * stride, stride);
	lines[n] = (struct top_line){ text + n * stride, TOP_PLAIN };
	lines[n + 1] = (struct top_line){ text + (n + 1) * stride, TOP_TITLE };
	n += 2;
	for (size_t i = 0; i < rows->n && (int)n < height - (t->status[0] ? 1 : 0); i++, n++) {
		top_rows__format(rows, &rows->rows[i], t->by_line, width, text + n * stride,
				 stride);
		lines[n] = (struct top_line){ text + n * stride, TOP_PLAIN };
	}
	if (t->status[0] && (int)n < height)
		lines[n++] = (struct top_line){ t->status, TOP_BOLD };
	return n;
}

static void draw(struct top *t)
{
	struct ptext_table tab[TOP_N_SPANS] = { 0 };
	struct top_rows rows = { 0 };
	struct top_line *lines = NULL;
	char head[4][512], *text = NULL;
	struct pm_filter f;
	int64_t pid = 0;
	int height, width, err;
	size_t n;

	top_screen__size(t->sc, &height, &width);
	if (height < 1 || width < 1)
		return;
	make_filter(t, &f, &pid);
	n = header(t, &f, head);
	err = view_rows(t, &f, tab, &rows);
	if (err)
		say(t, "cannot tabulate the profile", err);
	lines = calloc((size_t)height + n + 3, sizeof(*lines));
	text = calloc((size_t)height + n + 3, (size_t)width + 1);
	if (!lines || !text)
		goto out;
	for (size_t i = 0; i < n; i++)
		lines[i] = (struct top_line){ head[i], i ? TOP_PLAIN : TOP_BOLD };
	n = table_lines(t, &rows, height, width, text, lines, n);
	top_screen__draw(t->sc, lines, n);
out:
	free(lines);
	free(text);
	top_rows__free(&rows);
	for (int sp = 0; sp < TOP_N_SPANS; sp++)
		ptext__table_free(&tab[sp]);
}

/* The interval is over: our own cost, then (unless paused) the profiles again. */
static void refresh(struct top *t)
{
	struct rusage ru;
	double now = clock__secs(CLOCK_MONOTONIC);

	getrusage(RUSAGE_SELF, &ru);
	t->cost = top_rows__cpu_cost(&t->ru, &ru, now - t->ru_at);
	t->ru = ru;
	t->ru_at = now;
	t->next = MAX(t->next + t->s->o->top_interval, now + 0.1);
	/* Paused: nothing is built; the next interval resumes from the last mark, and says how
	 * long it was. */
	if (t->paused)
		return;
	t->status[0] = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(t->views); i++)
		if (t->views[i].active)
			refresh_view(t, &t->views[i]);
	draw(t);
}

/* A key typed into the process prompt. */
static void prompt_key(struct top *t, int c)
{
	size_t n = strlen(t->prompt);

	if (c == TOP_KEY_ENTER) {
		snprintf(t->filter, sizeof(t->filter), "%s", t->prompt);
		t->prompting = false;
	} else if (c == TOP_KEY_ESCAPE) {
		t->prompting = false;
	} else if (c == TOP_KEY_BACKSPACE) {
		if (n)
			t->prompt[n - 1] = 0;
	} else if (c > ' ' && c < 127 && n + 1 < sizeof(t->prompt)) {
		t->prompt[n] = (char)c;
		t->prompt[n + 1] = 0;
	}
}

/* The other view, if it is collected. */
static void switch_view(struct top *t)
{
	unsigned int other = !t->shown;

	if (t->views[other].active)
		t->shown = other;
	else
		snprintf(t->status, sizeof(t->status), "the %s profile is not collected (see -t)",
			 other ? "block" : "cpu");
}

/* One key; returns whether the screen needs drawing. */
static bool key(struct top *t, int c)
{
	if (t->prompting) {
		prompt_key(t, c);
		return true;
	}
	switch (c) {
	case 'q':
	case 'Q':
		t->quit = true;
		return false;
	case 's':
	case '<':
		t->sort = TOP_SORT_SELF;
		break;
	case 't':
	case '>':
		t->sort = TOP_SORT_TOTAL;
		break;
	case 'i':
		t->by = t->by == TOP_INTERVAL ? TOP_START : TOP_INTERVAL;
		break;
	case 'l':
		t->by_line = !t->by_line;
		break;
	case 'o':
		switch_view(t);
		break;
	case 'p':
		t->prompting = true;
		t->prompt[0] = 0;
		break;
	case ' ':
		t->paused = !t->paused;
		break;
	case TOP_KEY_RESIZE:
		break;
	default:
		return false;
	}
	return true;
}

int top__fd(const struct top *t)
{
	return t && t->sc ? top_screen__fd(t->sc) : -1;
}

int top__timeout_ms(const struct top *t, int max_ms)
{
	double left;

	if (!t || !t->sc)
		return max_ms;
	left = t->next - clock__secs(CLOCK_MONOTONIC);
	return left <= 0 ? 0 : MIN(max_ms, (int)(left * 1000) + 1);
}

void top__run(struct top *t)
{
	bool redraw = false;
	int c;

	if (!t || !t->sc)
		return;
	while (!t->quit && (c = top_screen__key(t->sc)) != TOP_KEY_NONE)
		redraw |= key(t, c);
	if (t->quit)
		return;
	if (clock__secs(CLOCK_MONOTONIC) >= t->next)
		refresh(t);
	else if (redraw)
		draw(t);
}

double top__oldest_window(const struct top *t)
{
	double oldest = 0;

	for (unsigned int i = 0; t && t->sc && i < ARRAY_SIZE(t->views); i++)
		if (t->views[i].active && (!oldest || t->views[i].mark.mono < oldest))
			oldest = t->views[i].mark.mono;
	return oldest;
}

bool top__quit(const struct top *t)
{
	return t && t->quit;
}

/* Our CPU use from now on, and the first refresh an interval away. */
static void start_clock(struct top *t)
{
	getrusage(RUSAGE_SELF, &t->ru);
	t->ru_at = clock__secs(CLOCK_MONOTONIC);
	t->next = t->ru_at + t->s->o->top_interval;
}

int top__new(struct session *s, struct top **out)
{
	struct top *t = calloc(1, sizeof(*t));
	int err = 0;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->s = s;
	for (unsigned int i = 0; i < ARRAY_SIZE(t->views); i++) {
		struct top_view *v = &t->views[i];

		*v = view_defs[i];
		v->active = s->kinds & KIND_BIT(v->kind);
		/* The first interval starts now. */
		if (v->active && (err = output__mark(s, v->kind, &v->mark))) {
			log_error("top: cannot mark the %s profile: %s", v->title, strerror(-err));
			goto out;
		}
	}
	t->shown = t->views[0].active ? 0 : 1;
	start_clock(t);
	/* A screen only where someone watches it; -d asks for one table at the end. */
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && s->o->duration <= 0) {
		err = top_screen__open(&t->sc);
		if (err) {
			log_error("top: cannot use the terminal (TERM=%s): %s",
				  getenv("TERM") ? getenv("TERM") : "", strerror(-err));
			goto out;
		}
		draw(t);
	}
out:
	if (err)
		top__free(t);
	else
		*out = t;
	return err;
}

/* Without a screen: the profile since the start, report --top's table of it. */
static int print_table(struct top *t)
{
	const struct top_view *v = &t->views[t->shown];
	struct ptext_opts o = { .sort = PTEXT_SORT_FLAT };
	struct pmodel *pm = NULL;
	uint64_t cnt[CPROF_CNT_NR];
	char what[256];
	int err;

	err = build_model(t, v, NULL, NULL, &pm);
	if (!err && (o.type = pmodel__type_index(pm, v->value)) < 0)
		err = -ENOENT;
	if (err) {
		log_error("top: cannot build the %s profile: %s", v->title, strerror(-err));
		goto out;
	}
	describe_targets(t->s, what, sizeof(what));
	procobj__read_counters(t->s->po, cnt);
	printf("cprof-bpf top: %s, %.1f s, %s since the start: %lld %s, %llu lost\n", what,
	       t->s->t1 - t->s->t0, v->title, (long long)model_sum(pm, v->count, NULL),
	       v->count_word, (unsigned long long)cnt[CPROF_CNT_LOST_KIND + v->kind]);
	err = ptext__print_top(stdout, pm, &o, TOP_PRINT_ROWS);
	if (!err && fflush(stdout))
		err = -errno;
	if (err)
		log_error("top: cannot print the table: %s", strerror(-err));
out:
	pmodel__free(pm);
	return err;
}

int top__end(struct top *t)
{
	if (!t->sc)
		return print_table(t);
	top_screen__close(t->sc);
	t->sc = NULL;
	log_info("top: %.0f s%s", t->s->t1 - t->s->t0,
		 t->s->o->output_dir ? "" : "; no profile written (-o DIR keeps them)");
	return 0;
}

void top__free(struct top *t)
{
	if (!t)
		return;
	top_screen__close(t->sc);
	for (unsigned int i = 0; i < ARRAY_SIZE(t->views); i++) {
		output__mark_free(&t->views[i].mark);
		for (int sp = 0; sp < TOP_N_SPANS; sp++)
			pmodel__free(t->views[i].pm[sp]);
	}
	free(t);
}
