// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What `cprof-bpf top` shows, without a terminal (user/core/top_rows.c): the last interval's
 * and the since-start tables merged into one row per function (or line), sorted as the keys
 * say; the rows' text at a given width (shares, durations, names cut to fit); the CPU-cost
 * figure of the header. */
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "core/top_rows.h"

/* A table row: name, file, line, module, flat, cum. */
#define ROW(n, f, l, m, fl, cu) \
	{ .name = (n), .file = (f), .line = (l), .module = (m), .flat = (fl), .cum = (cu) }

/* Interval: hot_a 60, hot_b 30, hot_c 10 (flat), level1 100 (cum only); total 100.
 * Since start: hot_a 500, hot_b 300, idle_fn 200, level1 800 (cum); total 1000. */
static struct ptext_row ival_rows[] = {
	ROW("hot_a", "/src/w.c", 0, "w", 60, 60),
	ROW("hot_b", "/src/w.c", 0, "w", 30, 30),
	ROW("hot_c", "/src/w.c", 0, "w", 10, 10),
	ROW("level1", "/src/w.c", 0, "w", 0, 100),
};
static struct ptext_row start_rows[] = {
	ROW("hot_a", "/src/w.c", 0, "w", 500, 500),
	ROW("hot_b", "/src/w.c", 0, "w", 300, 300),
	ROW("idle_fn", "/src/w.c", 0, "w", 200, 200),
	ROW("level1", "/src/w.c", 0, "w", 0, 800),
};
static const struct ptext_table ival = { ival_rows, 4, 100 };
static const struct ptext_table start = { start_rows, 4, 1000 };

static const struct top_row *row_named(const struct top_rows *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].name, name))
			return &r->rows[i];
	return NULL;
}

/* The rows' names in order, joined by spaces. */
static const char *order(const struct top_rows *r)
{
	static char buf[256];

	buf[0] = 0;
	for (size_t i = 0; i < r->n; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 r->rows[i].name);
	return buf;
}

TEST(merge_by_function)
{
	struct top_rows r;
	const struct top_row *a, *c, *idle;

	REQUIRE(top_rows__merge(&ival, &start, TOP_SORT_SELF, TOP_INTERVAL, &r) == 0, "merge");
	CHECK(r.n == 5, "%zu rows, want 5 (hot_a hot_b hot_c idle_fn level1)", r.n);
	CHECK(r.total[TOP_INTERVAL] == 100 && r.total[TOP_START] == 1000, "totals %lld %lld",
	      (long long)r.total[TOP_INTERVAL], (long long)r.total[TOP_START]);
	a = row_named(&r, "hot_a");
	c = row_named(&r, "hot_c");
	idle = row_named(&r, "idle_fn");
	REQUIRE(a && c && idle, "rows present: %s", order(&r));
	CHECK(a->self[TOP_INTERVAL] == 60 && a->self[TOP_START] == 500 &&
	      a->total[TOP_START] == 500, "hot_a both spans");
	CHECK(c->self[TOP_START] == 0 && c->self[TOP_INTERVAL] == 10, "hot_c: interval only");
	CHECK(idle->self[TOP_INTERVAL] == 0 && idle->self[TOP_START] == 200,
	      "idle_fn: since start only");
	/* By interval self: hot_a hot_b hot_c; then the zero-self rows by their interval total
	 * (level1 100), then since-start self (idle_fn 200 before nothing). */
	CHECK(!strcmp(order(&r), "hot_a hot_b hot_c level1 idle_fn"), "self/interval: %s",
	      order(&r));
	top_rows__free(&r);
}

TEST(sort_orders)
{
	struct top_rows r;

	REQUIRE(top_rows__merge(&ival, &start, TOP_SORT_TOTAL, TOP_INTERVAL, &r) == 0, "merge");
	CHECK(!strcmp(order(&r), "level1 hot_a hot_b hot_c idle_fn"), "total/interval: %s",
	      order(&r));
	top_rows__free(&r);
	REQUIRE(top_rows__merge(&ival, &start, TOP_SORT_SELF, TOP_START, &r) == 0, "merge");
	/* hot_c and level1 tie at 0 self since the start: level1's total goes first. */
	CHECK(!strcmp(order(&r), "hot_a hot_b idle_fn level1 hot_c"), "self/start: %s",
	      order(&r));
	top_rows__free(&r);
	REQUIRE(top_rows__merge(NULL, &start, TOP_SORT_TOTAL, TOP_START, &r) == 0, "merge");
	CHECK(!strcmp(order(&r), "level1 hot_a hot_b idle_fn"), "no interval table: %s",
	      order(&r));
	top_rows__free(&r);
}

TEST(by_line_rows_stay_apart)
{
	struct ptext_row lines[] = {
		ROW("f", "/src/a.c", 10, "m", 7, 7),
		ROW("f", "/src/a.c", 12, "m", 3, 3),
	};
	struct ptext_table t = { lines, 2, 10 };
	struct top_rows r;
	char buf[256];

	REQUIRE(top_rows__merge(&t, &t, TOP_SORT_SELF, TOP_INTERVAL, &r) == 0, "merge");
	REQUIRE(r.n == 2, "%zu rows, want 2", r.n);
	CHECK(r.rows[0].line == 10 && r.rows[0].self[TOP_START] == 7, "line 10 first, 7 in both");
	top_rows__format(&r, &r.rows[1], true, 120, buf, sizeof(buf));
	CHECK(strstr(buf, "f a.c:12"), "by line shows the file's base name and line: '%s'", buf);
	top_rows__format(&r, &r.rows[1], false, 120, buf, sizeof(buf));
	CHECK(!strstr(buf, "a.c:12"), "by function hides it: '%s'", buf);
	top_rows__free(&r);
}

TEST(durations)
{
	static const struct {
		int64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "0" },		{ 999, "999ns" },	{ 1000, "1.00us" },
		{ 12345, "12.3us" },	{ 999499, "999us" },	{ 999500, "1.00ms" },
		{ 10101010, "10.1ms" }, { 456000000, "456ms" }, { 1000000000, "1.00s" },
		{ 61500000000, "61.5s" }, { 9999000000000, "9999s" }, { 36000000000000, "10.0h" },
		{ -1500000000, "-1.50s" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		top_rows__duration(cases[i].ns, buf, sizeof(buf));
		CHECK(!strcmp(buf, cases[i].want) && strlen(buf) <= 7, "%lld ns: '%s', want '%s'",
		      (long long)cases[i].ns, buf, cases[i].want);
	}
}

TEST(row_text)
{
	struct top_rows r;
	const struct top_row *a;
	char buf[512], head[512], groups[512];

	REQUIRE(top_rows__merge(&ival, &start, TOP_SORT_SELF, TOP_INTERVAL, &r) == 0, "merge");
	a = row_named(&r, "hot_a");
	REQUIRE(a, "hot_a");
	/* 60 of 100 in the interval, 500 of 1000 since the start; values are nanoseconds. */
	top_rows__format(&r, a, false, 160, buf, sizeof(buf));
	CHECK(strlen(buf) == 160, "row is %zu characters, want 160", strlen(buf));
	CHECK(!strncmp(buf, " 60.0%  60.0%    60ns    60ns |  50.0%  50.0%   500ns   500ns  hot_a ",
		       68), "wide row: '%s'", buf);
	CHECK(buf[159] == ' ' && strstr(buf, " w "), "module column: '%s'", buf);
	top_rows__head(160, "last 1.0 s", "since the start", groups, head, sizeof(head));
	CHECK(strlen(head) == 160 && strstr(head, "self%") && strstr(head, "function") &&
	      strstr(head, "module"), "head: '%s'", head);
	CHECK(strlen(groups) == 160 && !strncmp(groups, "last 1.0 s", 10) &&
	      strstr(groups, "| since the start") - groups == strstr(buf, "|  50.0%") - buf,
	      "the spans' names over their columns:\n'%s'\n'%s'", groups, buf);
	/* The titles stand over their columns: "total" ends where the interval's total does. */
	CHECK(strstr(head, "total |") - head + 1 == strstr(buf, "60ns |") - buf,
	      "titles over columns:\n'%s'\n'%s'", head, buf);
	/* Narrow: shares and self time only, the name cut with "..". */
	r.rows[0].name = "a_very_long_function_name_that_cannot_fit_in_an_eighty_column_terminal";
	top_rows__format(&r, &r.rows[0], false, 80, buf, sizeof(buf));
	CHECK(strlen(buf) == 80 && strstr(buf, "..") && !strstr(buf, "terminal"),
	      "narrow row cut to 80: '%s'", buf);
	top_rows__format(&r, &r.rows[0], false, 10, buf, sizeof(buf));
	CHECK(strlen(buf) == 10, "a 10-column row is 10 characters: '%s'", buf);
	top_rows__free(&r);
}

TEST(shares_of_an_empty_table)
{
	struct ptext_table empty = { NULL, 0, 0 };
	struct top_rows r;
	char buf[256];

	REQUIRE(top_rows__merge(&empty, &start, TOP_SORT_SELF, TOP_INTERVAL, &r) == 0, "merge");
	REQUIRE(r.n == 4, "%zu rows", r.n);
	top_rows__format(&r, &r.rows[0], false, 120, buf, sizeof(buf));
	CHECK(!strncmp(buf, "     -      -       0       0 |", 31),
	      "no interval samples: '-' shares, not NaN: '%s'", buf);
	top_rows__free(&r);
}

TEST(cpu_cost)
{
	struct rusage a = { 0 }, b = { 0 };
	double pct;

	a.ru_utime.tv_sec = 10;
	a.ru_utime.tv_usec = 900000;
	a.ru_stime.tv_sec = 2;
	b.ru_utime.tv_sec = 10;		/* +4 ms user */
	b.ru_utime.tv_usec = 904000;
	b.ru_stime.tv_sec = 2;
	b.ru_stime.tv_usec = 4000;	/* +4 ms system */
	pct = top_rows__cpu_cost(&a, &b, 1.0);
	CHECK(pct > 0.799 && pct < 0.801, "8 ms in 1 s: %.3f%%, want 0.8%%", pct);
	b.ru_utime.tv_sec = 11;
	b.ru_utime.tv_usec = 100000;	/* +200 ms user across a second boundary */
	b.ru_stime = a.ru_stime;
	pct = top_rows__cpu_cost(&a, &b, 2.0);
	CHECK(pct > 9.99 && pct < 10.01, "200 ms in 2 s: %.3f%%, want 10%%", pct);
	CHECK(top_rows__cpu_cost(&a, &b, 0) == 0, "no time passed: 0");
}

int main(void)
{
	CHECK_SUITE("top");
	RUN(merge_by_function);
	RUN(sort_orders);
	RUN(by_line_rows_stay_apart);
	RUN(durations);
	RUN(row_text);
	RUN(shares_of_an_empty_table);
	RUN(cpu_cost);
	return CHECK_EXIT();
}
