// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Sample types: the one pprof's -sample_index names, and its values for people in pprof's
 * units, picked its way (measurement.go in github.com/google/pprof): a sample unit is sniffed ("nanoseconds", "bytes"), scaled to the
 * largest unit that keeps it at least 1, printed with two decimals minus a trailing ".00". */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pmodel.h"

struct unit {
	const char *name;
	const char *aliases[4];
	double factor;
};

struct family {
	const struct unit *units;
	int n;
	int def;	/* the unit of a value too small for any (0) */
};

static const struct unit mem_units[] = {
	{ "B", { "b", "byte" }, 1 },
	{ "kB", { "kb", "kbyte", "kilobyte" }, 1024.0 },
	{ "MB", { "mb", "mbyte", "megabyte" }, 1024.0 * 1024 },
	{ "GB", { "gb", "gbyte", "gigabyte" }, 1024.0 * 1024 * 1024 },
	{ "TB", { "tb", "tbyte", "terabyte" }, 1024.0 * 1024 * 1024 * 1024 },
	{ "PB", { "pb", "pbyte", "petabyte" }, 1024.0 * 1024 * 1024 * 1024 * 1024 },
};

static const struct unit time_units[] = {
	{ "ns", { "ns", "nanosecond" }, 1 },
	{ "us", { "μs", "us", "microsecond" }, 1e3 },
	{ "ms", { "ms", "millisecond" }, 1e6 },
	{ "s", { "s", "sec", "second" }, 1e9 },
	{ "hrs", { "hour", "hr" }, 3600e9 },
};

static const struct family families[] = {
	{ mem_units, 6, 0 },
	{ time_units, 5, 3 },
};

/* A unit is family * 16 + index; -1 is "no known unit". */
#define UNIT(f, i) ((f) * 16 + (i))

/* pprof's sniffUnit: lower case, a plural "s" dropped, then an alias. */
static int sniff(const char *unit)
{
	char low[32];
	size_t n = strlen(unit), i, f, a;

	if (n >= sizeof(low))
		return -1;
	for (i = 0; i < n; i++)
		low[i] = unit[i] >= 'A' && unit[i] <= 'Z' ? unit[i] - 'A' + 'a' : unit[i];
	if (n > 2 && low[n - 1] == 's')
		n--;
	low[n] = '\0';
	for (f = 0; f < 2; f++)
		for (i = 0; i < (size_t)families[f].n; i++)
			for (a = 0; a < 4 && families[f].units[i].aliases[a]; a++)
				if (!strcmp(families[f].units[i].aliases[a], low))
					return UNIT(f, i);
	return -1;
}

static const struct unit *unit_of(int u)
{
	return &families[u / 16].units[u % 16];
}

/* The largest unit of from's family that shows v as at least 1 (pprof's autoScale). */
static int auto_unit(int from, double v)
{
	const struct family *fam = &families[from / 16];
	double x = fabs(v) * unit_of(from)->factor, f = 0;
	int i, best = -1;

	for (i = 0; i < fam->n; i++)
		if (fam->units[i].factor >= f && x / fam->units[i].factor >= 1.0)
			f = fam->units[i].factor, best = i;
	return UNIT(from / 16, best < 0 ? fam->def : best);
}

int pmodel__table_unit(const struct pmodel *pm, size_t t, int64_t min, int64_t total)
{
	int from = t < pm->n_types ? sniff(pm->type_units[t]) : -1;
	int lo, hi;

	if (from < 0)
		return -1;
	min = min ? min : total;
	lo = auto_unit(from, (double)min);
	hi = auto_unit(from, (double)total);
	/* two units apart: the smallest figure may go down to 0.01 of a larger unit */
	if (lo != hi && (double)min * 100 < (double)total)
		lo = auto_unit(from, 100.0 * (double)min);
	return lo;
}

/* ScaledLabel: "%.2f" without a trailing ".00"; a figure that rounds to 0 is "0". */
static void put(char *buf, size_t size, double x, const char *suffix)
{
	char num[64];
	size_t n;

	snprintf(num, sizeof(num), "%.2f", x);
	n = strlen(num);
	if (n > 3 && !strcmp(num + n - 3, ".00"))
		num[n - 3] = '\0';
	if (!strcmp(num, "0") || !strcmp(num, "-0"))
		snprintf(buf, size, "0");
	else
		snprintf(buf, size, "%s%s", num, suffix);
}

void pmodel__format_in(const struct pmodel *pm, size_t t, int64_t v, int unit, char *buf,
		       size_t size)
{
	int from = t < pm->n_types ? sniff(pm->type_units[t]) : -1;
	const char *u = t < pm->n_types ? pm->type_units[t] : "";

	if (from < 0 || unit < 0 || unit / 16 != from / 16) {
		/* pprof leaves counts bare and names any other unit it does not know */
		if (!strcasecmp(u, "count") || !strcasecmp(u, "sample") || !strcasecmp(u, "unit"))
			u = "";
		put(buf, size, (double)v, unit < 0 ? u : "");
		return;
	}
	put(buf, size, (double)v * unit_of(from)->factor / unit_of(unit)->factor,
	    unit_of(unit)->name);
}

void pmodel__format_value(const struct pmodel *pm, size_t t, int64_t v, char *buf, size_t size)
{
	int from = t < pm->n_types ? sniff(pm->type_units[t]) : -1;

	if (from < 0) {
		put(buf, size, (double)v, "");
		return;
	}
	pmodel__format_in(pm, t, v, auto_unit(from, (double)v), buf, size);
}

int pmodel__type_index(const struct pmodel *pm, const char *name)
{
	char *end;
	long v;
	size_t i;

	if (!name || !name[0])
		return pm->n_types ? (int)pm->default_type : -ENOENT;
	for (i = 0; i < pm->n_types; i++)
		if (!strcmp(pm->type_names[i], name))
			return i;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno || *end || end == name || v < 0 || (unsigned long)v >= pm->n_types)
		return -ENOENT;
	return v;
}
