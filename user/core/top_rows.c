// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view's rows and their text: two ptext tables merged by key, sorted, formatted to
 * the terminal's width. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/top_rows.h"
#include "util/util.h"
#include "util/vec.h"

/* Terminals narrower than this show shares and self time only, per span. */
#define TOP_WIDE 100

static int cmp_key(const struct top_row *a, const struct top_row *b)
{
	int c = strcmp(a->name, b->name);

	if (!c)
		c = strcmp(a->file, b->file);
	if (!c)
		c = CMP3(a->line, b->line);
	if (!c)
		c = strcmp(a->module, b->module);
	return c;
}

static int by_key(const void *pa, const void *pb)
{
	return cmp_key(pa, pb);
}

/* The order the view asks for, set before sorting (qsort has no context argument). */
static enum top_sort g_sort;
static enum top_span g_by;

static int by_view(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	enum top_span other = g_by == TOP_INTERVAL ? TOP_START : TOP_INTERVAL;
	const int64_t *ka = g_sort == TOP_SORT_SELF ? a->self : a->total;
	const int64_t *kb = g_sort == TOP_SORT_SELF ? b->self : b->total;
	const int64_t *oa = g_sort == TOP_SORT_SELF ? a->total : a->self;
	const int64_t *ob = g_sort == TOP_SORT_SELF ? b->total : b->self;
	int c = CMP3(kb[g_by], ka[g_by]);

	if (!c)
		c = CMP3(ob[g_by], oa[g_by]);
	if (!c)
		c = CMP3(kb[other], ka[other]);
	return c ? c : cmp_key(a, b);
}

/* Appends t's rows to r as span sp's values. */
static int add_table(struct top_rows *r, size_t *cap, const struct ptext_table *t,
		     enum top_span sp)
{
	if (!t)
		return 0;
	r->total[sp] = t->total;
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct ptext_row *p = &t->rows[i];
		struct top_row row = { .name = p->name ? p->name : "",
				       .file = p->file ? p->file : "",
				       .module = p->module ? p->module : "",
				       .line = p->line };

		row.self[sp] = p->flat;
		row.total[sp] = p->cum;
		if (VEC_PUSH(r->rows, r->n, *cap, row))
			return -ENOMEM;
	}
	return 0;
}

int top_rows__merge(const struct ptext_table *interval, const struct ptext_table *start,
		    enum top_sort sort, enum top_span by, struct top_rows *out)
{
	size_t cap = 0, n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = add_table(out, &cap, interval, TOP_INTERVAL);
	if (!err)
		err = add_table(out, &cap, start, TOP_START);
	if (err || !out->n)	/* no rows: rows is NULL, which qsort must not be given */
		return err;
	/* One row per key: a function seen in both tables adds up its two halves. */
	qsort(out->rows, out->n, sizeof(*out->rows), by_key);
	for (size_t i = 0; i < out->n; i++) {
		struct top_row *last = n ? &out->rows[n - 1] : NULL;

		if (last && !cmp_key(last, &out->rows[i])) {
			for (int sp = 0; sp < TOP_N_SPANS; sp++) {
				last->self[sp] += out->rows[i].self[sp];
				last->total[sp] += out->rows[i].total[sp];
			}
			continue;
		}
		out->rows[n++] = out->rows[i];
	}
	out->n = n;
	g_sort = sort;
	g_by = by;
	qsort(out->rows, out->n, sizeof(*out->rows), by_view);
	return 0;
}

void top_rows__free(struct top_rows *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

/* v in unit with as many decimals as fit three significant digits. */
static void three_digits(double v, const char *unit, char *buf, size_t size)
{
	double a = v < 0 ? -v : v;

	snprintf(buf, size, a < 9.995 ? "%.2f%s" : a < 99.95 ? "%.1f%s" : "%.0f%s", v, unit);
}

void top_rows__duration(int64_t ns, char *buf, size_t size)
{
	/* A unit from 0.9995 of it up, so rounding never shows "1000us". Hours only past
	 * 10000 s: minutes of samples read in seconds. */
	double a = ns < 0 ? -(double)ns : (double)ns, v = (double)ns;

	if (!ns)
		snprintf(buf, size, "0");
	else if (a < 1e3)
		snprintf(buf, size, "%lldns", (long long)ns);
	else if (a < 0.9995e6)
		three_digits(v / 1e3, "us", buf, size);
	else if (a < 0.9995e9)
		three_digits(v / 1e6, "ms", buf, size);
	else if (a < 1e13)
		three_digits(v / 1e9, "s", buf, size);
	else
		three_digits(v / 3600e9, "h", buf, size);
}

static void share(int64_t part, int64_t whole, char *buf, size_t size)
{
	if (!whole)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* One span's columns, into buf (the widths of the titles in top_rows__head). */
static void span_cols(const struct top_rows *t, const struct top_row *r, enum top_span sp,
		      bool wide, char *buf, size_t size)
{
	char s[16], c[16], st[16], ct[16];

	share(r->self[sp], t->total[sp], s, sizeof(s));
	share(r->total[sp], t->total[sp], c, sizeof(c));
	top_rows__duration(r->self[sp], st, sizeof(st));
	top_rows__duration(r->total[sp], ct, sizeof(ct));
	if (wide)
		snprintf(buf, size, "%6s %6s %7s %7s", s, c, st, ct);
	else
		snprintf(buf, size, "%6s %6s %7s", s, c, st);
}

/* Copies s into exactly w characters of dst: padded, or cut with ".." at its end. */
static size_t fit(char *dst, const char *s, int w)
{
	size_t n = strlen(s);

	if (w <= 0)
		return 0;
	if (n <= (size_t)w) {
		memcpy(dst, s, n);
		memset(dst + n, ' ', (size_t)w - n);
	} else {
		memcpy(dst, s, (size_t)w);
		if (w > 3)
			memcpy(dst + w - 2, "..", 2);
	}
	return (size_t)w;
}

/* The spans' columns, then the name column and the module column filling the width. */
static void layout(const char *spans, const char *name, const char *module, int width,
		   char *buf, size_t size)
{
	int modw = width >= 140 ? 24 : width >= TOP_WIDE ? 16 : 10;
	int namew = width - (int)strlen(spans) - 2 - 1 - modw;
	char line[1024];
	size_t n;

	if (width <= 0 || size == 0) {
		if (size)
			buf[0] = 0;
		return;
	}
	if (width > (int)sizeof(line) - 1)
		width = sizeof(line) - 1;
	n = fit(line, spans, MIN((int)strlen(spans), width));
	n += fit(line + n, "  ", MIN(2, width - (int)n));
	if (namew > 0) {
		n += fit(line + n, name, namew);
		n += fit(line + n, " ", 1);
	}
	n += fit(line + n, module, width - (int)n);
	line[n] = 0;
	snprintf(buf, size, "%s", line);
}

void top_rows__head(int width, const char *interval, const char *start, char *groups,
		    char *titles, size_t size)
{
	static const char wide_titles[] = " self% total%    self   total";
	static const char narrow_titles[] = " self% total%    self";
	bool wide = width >= TOP_WIDE;
	int w = wide ? (int)strlen(wide_titles) : (int)strlen(narrow_titles);
	char spans[128];

	snprintf(spans, sizeof(spans), "%-*.*s | %-*.*s", w, w, interval, w, w, start);
	layout(spans, "", "", width, groups, size);
	snprintf(spans, sizeof(spans), "%s | %s", wide ? wide_titles : narrow_titles,
		 wide ? wide_titles : narrow_titles);
	layout(spans, "function", "module", width, titles, size);
}

void top_rows__format(const struct top_rows *t, const struct top_row *r, bool by_line,
		      int width, char *buf, size_t size)
{
	bool wide = width >= TOP_WIDE;
	char a[64], b[64], spans[160], name[512];
	const char *base = strrchr(r->file, '/');

	span_cols(t, r, TOP_INTERVAL, wide, a, sizeof(a));
	span_cols(t, r, TOP_START, wide, b, sizeof(b));
	snprintf(spans, sizeof(spans), "%s | %s", a, b);
	if (by_line && r->file[0] && r->line)
		snprintf(name, sizeof(name), "%s %s:%u", r->name, base ? base + 1 : r->file,
			 r->line);
	else if (by_line && r->file[0])
		snprintf(name, sizeof(name), "%s %s", r->name, base ? base + 1 : r->file);
	else
		snprintf(name, sizeof(name), "%s", r->name);
	layout(spans, name, r->module, width, buf, size);
}

double top_rows__cpu_cost(const struct rusage *before, const struct rusage *after,
			  double wall_secs)
{
	double used = 0;

	if (wall_secs <= 0)
		return 0;
	used += (double)(after->ru_utime.tv_sec - before->ru_utime.tv_sec) +
		(double)(after->ru_utime.tv_usec - before->ru_utime.tv_usec) / 1e6;
	used += (double)(after->ru_stime.tv_sec - before->ru_stime.tv_sec) +
		(double)(after->ru_stime.tv_usec - before->ru_stime.tv_usec) / 1e6;
	return used > 0 ? 100.0 * used / wall_secs : 0;
}
