/* The rows of `cprof-bpf top`: a table of the last interval and one since the start (both
 * ptext tables, the figures of `report --top`) merged by function (or function and line),
 * in the order the view sorts them, and their text. Pure: no terminal, no session, so a unit
 * test checks what the screen shows. */
#ifndef CPROF_TOP_ROWS_H
#define CPROF_TOP_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "ptext.h"

enum top_span { TOP_INTERVAL, TOP_START, TOP_N_SPANS };
enum top_sort { TOP_SORT_SELF, TOP_SORT_TOTAL };

struct top_row {
	const char *name, *file, *module;	/* point into the tables' models */
	uint32_t line;				/* by line, else 0 */
	int64_t self[TOP_N_SPANS], total[TOP_N_SPANS];	/* flat and cum, per span */
};

struct top_rows {
	struct top_row *rows;
	size_t n;
	int64_t total[TOP_N_SPANS];	/* each table's total: what the shares are of */
};

/* Merges the two tables (either may be NULL: no rows) into rows ordered by sort's value in
 * span `by`, largest first; ties by the other value, then by the other span, then by name.
 * Returns 0 or -ENOMEM; *out is valid (maybe empty) either way and freed with
 * top_rows__free. */
int top_rows__merge(const struct ptext_table *interval, const struct ptext_table *start,
		    enum top_sort sort, enum top_span by, struct top_rows *out);
void top_rows__free(struct top_rows *r);

/* A duration in at most 7 characters: "12.3s", "456ms", "7.89ms", "12us", "0", "-1.5s". */
void top_rows__duration(int64_t ns, char *buf, size_t size);

/* The columns' titles and one row, each exactly `width` characters (at least 40 make sense):
 * per span self% total% self total, then the function (with its file:line when by_line) and
 * the module. Times are nanoseconds. The head is two lines: the spans' names (interval,
 * start) over their columns into groups, the columns' titles into titles. */
void top_rows__head(int width, const char *interval, const char *start, char *groups,
		    char *titles, size_t size);
void top_rows__format(const struct top_rows *t, const struct top_row *r, bool by_line,
		      int width, char *buf, size_t size);

/* This process's CPU use between two getrusage(RUSAGE_SELF) readings wall_secs apart, in
 * percent of one CPU; 0 when wall_secs is not positive. */
double top_rows__cpu_cost(const struct rusage *before, const struct rusage *after,
			  double wall_secs);

#endif
