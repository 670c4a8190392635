// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flat/cum table and pprof -top's text (report.go's printText and its labels), figure for
 * figure: the same rows, the same one unit for the whole table, the same percentages. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ptext.h"
#include "pview.h"

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* pprof's FlatNameOrder and CumNameOrder, then file and line so the order is total. */
static int cmp_rows(const struct ptext_row *a, const struct ptext_row *b, bool by_cum)
{
	int c = by_cum ? cmp_i64(pv_abs(b->cum), pv_abs(a->cum)) :
			 cmp_i64(pv_abs(b->flat), pv_abs(a->flat));

	c = c ?: strcmp(a->name, b->name);
	c = c ?: by_cum ? cmp_i64(pv_abs(b->flat), pv_abs(a->flat)) :
			  cmp_i64(pv_abs(b->cum), pv_abs(a->cum));
	c = c ?: strcmp(a->file, b->file);
	return c ?: cmp_i64(a->line, b->line);
}

static int cmp_flat(const void *a, const void *b) { return cmp_rows(a, b, false); }
static int cmp_cum(const void *a, const void *b) { return cmp_rows(a, b, true); }

int ptext__table(const struct pmodel *pm, const struct ptext_opts *o, struct ptext_table *t)
{
	struct pview v;
	size_t i, n = 0;
	int err;

	memset(t, 0, sizeof(*t));
	err = pview__build(pm, o, &v);
	if (err)
		return err;
	/* a row no sample of the chosen type reaches is no node in pprof */
	for (i = 0; i < v.n_rows; i++)
		if (v.rows[i].flat || v.rows[i].cum)
			v.rows[n++] = v.rows[i];
	if (n)
		qsort(v.rows, n, sizeof(*v.rows), o->sort == PTEXT_SORT_CUM ? cmp_cum : cmp_flat);
	t->rows = v.rows;
	t->n_rows = n;
	t->total = v.total;
	v.rows = NULL;
	pview__free(&v);
	return 0;
}

void ptext__table_free(struct ptext_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* measurement.Percentage: at least two digits, "100%" near 100. */
static const char *pct(char *buf, size_t size, int64_t v, int64_t total)
{
	double r = total ? fabs((double)v / (double)total) * 100 : 0;

	if (r >= 99.95 && r <= 100.05)
		snprintf(buf, size, "  100%%");
	else if (r >= 1.0)
		snprintf(buf, size, "%5.2f%%", r);
	else
		snprintf(buf, size, "%5.2g%%", r);
	return buf;
}

static const char *trim(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* Go's "Jan 2, 2006 at 3:04pm (MST)", in local time. */
static void print_time(FILE *f, int64_t nanos)
{
	time_t secs = nanos / 1000000000;
	char mon[16];
	struct tm tm;

	if (!localtime_r(&secs, &tm) || !strftime(mon, sizeof(mon), "%b", &tm))
		return;
	fprintf(f, "Time: %s %d, %d at %d:%02d%s (%s)\n", mon, tm.tm_mday, tm.tm_year + 1900,
		tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm",
		tm.tm_zone ? tm.tm_zone : "UTC");
}

struct top_fmt {
	const struct pmodel *pm, *base;
	int type, unit;
};

static const char *fmt(const struct top_fmt *tf, int64_t v, char *buf, size_t size)
{
	pmodel__format_in(tf->pm, tf->type, v, tf->unit, buf, size);
	return buf;
}

/* A duration as measurement.Label prints nanoseconds: "3s", "10.01s". */
static void fmt_nanos(int64_t ns, char *buf, size_t size)
{
	static const char *units[] = { "nanoseconds" };
	const struct pmodel ns_model = { .n_types = 1, .type_units = units };

	pmodel__format_value(&ns_model, 0, ns, buf, size);
}

/* ProfileLabels and reportLabels: type, time, duration, what the rows account for. */
static void print_header(FILE *f, const struct top_fmt *tf, const struct ptext_table *t,
			 size_t shown, int64_t flat_sum)
{
	const struct pmodel *pm = tf->pm;
	int64_t time = pm->time_nanos, duration = pm->duration_nanos;
	const char *unit = pm->type_units[tf->type];
	char a[64], b[64], c[64], d[16];

	fprintf(f, "Type: %s\n", pm->type_names[tf->type]);
	/* with a base, the headers of the two profiles merged as pprof's Merge does */
	if (tf->base && (!time || tf->base->time_nanos < time))
		time = tf->base->time_nanos;
	if (tf->base)
		duration = pv_add(duration, tf->base->duration_nanos);
	if (time)
		print_time(f, time);
	if (duration) {
		fmt_nanos(duration, a, sizeof(a));
		d[0] = '\0';
		if (!strcasecmp(unit, "nanoseconds") && t->total)
			snprintf(d, sizeof(d), "(%s)", pct(c, sizeof(c), t->total, duration));
		fprintf(f, "Duration: %s, Total samples = %s %s\n", a, fmt(tf, t->total, b, sizeof(b)),
			d);
	}
	fprintf(f, "Showing nodes accounting for %s, %s of %s total\n",
		fmt(tf, flat_sum, a, sizeof(a)), trim(pct(c, sizeof(c), flat_sum, t->total)),
		fmt(tf, t->total, b, sizeof(b)));
	if (t->total && shown < t->n_rows)
		fprintf(f, "Showing top %zu nodes out of %zu\n", shown, t->n_rows);
	fprintf(f, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
}

static const char *const inline_marks[] = { "\n", " (inline)\n", " (partial-inline)\n" };

int ptext__print_top(FILE *f, const struct pmodel *pm, const struct ptext_opts *o, size_t n)
{
	struct top_fmt tf = { pm, o->base, o->type, -1 };
	struct ptext_opts marked = *o;
	struct ptext_table t;
	int64_t min = 0, m, flat_sum = 0, sum = 0;
	char a[64], b[64], c[16], d[16], e[16];
	size_t i, shown;
	int err;

	marked.inline_marks = true;
	err = ptext__table(pm, &marked, &t);

	if (err)
		return err;
	shown = n && n < t.n_rows ? n : t.n_rows;
	/* pprof's selectOutputUnit: from the smallest shown figure and the total */
	for (i = 0; i < shown; i++) {
		m = pv_abs(t.rows[i].flat) ?: pv_abs(t.rows[i].cum);
		min = m && (!min || m < min) ? m : min;
		flat_sum = pv_add(flat_sum, t.rows[i].flat);
	}
	tf.unit = pmodel__table_unit(pm, o->type, min, t.total);
	print_header(f, &tf, &t, shown, flat_sum);
	for (i = 0; i < shown; i++) {
		sum = pv_add(sum, t.rows[i].flat);
		fprintf(f, "%10s %s %s %10s %s  ", fmt(&tf, t.rows[i].flat, a, sizeof(a)),
			pct(c, sizeof(c), t.rows[i].flat, t.total), pct(d, sizeof(d), sum, t.total),
			fmt(&tf, t.rows[i].cum, b, sizeof(b)),
			pct(e, sizeof(e), t.rows[i].cum, t.total));
		pview__print_name(f, &t.rows[i], o->by_line, false);
		fputs(inline_marks[t.rows[i].inlined % 3], f);
	}
	ptext__table_free(&t);
	return ferror(f) ? -EIO : 0;
}
