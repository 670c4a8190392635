// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The text views (encoder/ptext.c, ptext_tree.c) on the demo profile of pmodel_util.h, whose
 * figures are known, and against `go tool pprof -top` line for line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pmodel_util.h"
#include "ptext.h"

static char tmpdir[] = "/tmp/test_ptext-XXXXXX";

/* What a view prints, as one malloc'ed string. */
#define CAPTURE(out, call)                                                                 \
	({                                                                                 \
		size_t len_ = 0;                                                           \
		FILE *f_ = open_memstream(&(out), &len_);                                  \
		int e_ = f_ ? (call) : -ENOMEM;                                            \
		if (f_)                                                                    \
			fclose(f_);                                                        \
		e_;                                                                        \
	})

static const struct ptext_row *row(const struct ptext_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n_rows; i++)
		if (!strcmp(t->rows[i].name, name))
			return &t->rows[i];
	return NULL;
}

#define CHECK_ROW(t, name, fl, cu)                                                         \
	do {                                                                               \
		const struct ptext_row *r_ = row(t, name);                                 \
		CHECK(r_ && r_->flat == (fl) && r_->cum == (cu), "%s: flat %lld cum %lld", \
		      name, r_ ? (long long)r_->flat : -1LL, r_ ? (long long)r_->cum : -1LL); \
	} while (0)

TEST(table_flat_cum)
{
	struct pmodel *pm = NULL;
	struct ptext_opts o = { .type = 1 };
	struct ptext_table t;
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table");
	CHECK(t.total == 35000000 && t.n_rows == 4, "total %lld rows %zu", (long long)t.total,
	      t.n_rows);
	/* rec recurses: its cum counts sample A once */
	CHECK_ROW(&t, "rec", 20000000, 30000000);
	CHECK_ROW(&t, "main", 5000000, 35000000);
	CHECK_ROW(&t, "inl_leaf", 10000000, 10000000);
	CHECK_ROW(&t, "outer_fn", 0, 10000000);
	CHECK(!strcmp(t.rows[0].name, "rec") && !strcmp(t.rows[3].name, "outer_fn"),
	      "sorted by flat: %s ... %s", t.rows[0].name, t.rows[3].name);
	CHECK(row(&t, "inl_leaf")->kind == PM_INLINED, "kind");
	ptext__table_free(&t);
	o.sort = PTEXT_SORT_CUM, o.type = 0;
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table by samples");
	CHECK(t.total == 4 && !strcmp(t.rows[0].name, "main"), "total %lld first %s",
	      (long long)t.total, t.rows[0].name);
	CHECK_ROW(&t, "rec", 2, 3);
	ptext__table_free(&t);
	o.type = 2;
	CHECK(ptext__table(pm, &o, &t) == -EINVAL, "no such type");
	pmodel__free(pm);
}

TEST(filter_and_lines)
{
	struct pmodel *pm = NULL;
	int64_t pid = 43;
	struct pm_filter filt = { &pid, 1, NULL };
	struct ptext_opts o = { .type = 1, .filter = &filt };
	struct ptext_table t;
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table");
	CHECK(t.total == 20000000 && t.n_rows == 2, "pid 43: total %lld rows %zu",
	      (long long)t.total, t.n_rows);
	CHECK_ROW(&t, "rec", 20000000, 20000000);
	ptext__table_free(&t);
	o.filter = NULL, o.by_line = true;
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table by line");
	CHECK(row(&t, "rec") && row(&t, "rec")->line == 40 && !strcmp(row(&t, "rec")->file,
								      "demo.c"), "rec:40");
	ptext__table_free(&t);
	pmodel__free(pm);
}

TEST(folded)
{
	struct pmodel *pm = NULL, *base = NULL;
	struct ptext_opts o = { .type = 1 };
	char *out = NULL;
	int err = pmu_demo_model(2, &pm);

	err = err ?: pmu_demo_model(1, &base);
	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(CAPTURE(out, ptext__print_folded(f_, pm, &o)) == 0, "folded");
	CHECK(!strcmp(out, "main 10000000\nmain;rec 40000000\n"
			   "main;rec;rec;outer_fn;inl_leaf 20000000\n"), "%s", out);
	free(out);
	o.base = base, o.base_type = 1;
	REQUIRE(CAPTURE(out, ptext__print_folded(f_, pm, &o)) == 0, "folded diff");
	CHECK(!strcmp(out, "main 5000000 10000000\nmain;rec 20000000 40000000\n"
			   "main;rec;rec;outer_fn;inl_leaf 10000000 20000000\n"), "%s", out);
	free(out);
	o.by_line = true, o.base = NULL;
	REQUIRE(CAPTURE(out, ptext__print_folded(f_, base, &o)) == 0, "folded by line");
	CHECK(strstr(out, "main demo.c:30;rec demo.c:40 20000000\n"), "%s", out);
	free(out);
	pmodel__free(pm);
	pmodel__free(base);
}

/* -base: the profile minus its base; a profile against itself is zero everywhere. */
TEST(base_diff)
{
	struct pmodel *pm = NULL, *same = NULL, *big = NULL;
	struct ptext_opts o = { .type = 1, .base_type = 1 };
	struct ptext_table t;
	char *out = NULL;
	int err = pmu_demo_model(1, &pm);

	err = err ?: pmu_demo_model(1, &same);
	err = err ?: pmu_demo_model(3, &big);
	REQUIRE(err == 0, "read: %s", strerror(-err));
	o.base = same;
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table");
	CHECK(t.total == 0, "total %lld", (long long)t.total);
	CHECK(t.n_rows == 0, "%zu rows with a figure", t.n_rows);
	ptext__table_free(&t);
	REQUIRE(CAPTURE(out, ptext__print_folded(f_, pm, &o)) == 0, "folded");
	CHECK(strstr(out, "main 5000000 5000000\n"), "%s", out);
	free(out);
	o.base = big;	/* 1x minus 3x: every figure -2x */
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table");
	CHECK(t.total == 70000000, "total %lld", (long long)t.total);
	CHECK_ROW(&t, "rec", -40000000, -60000000);
	ptext__table_free(&t);
	pmodel__free(pm);
	pmodel__free(same);
	pmodel__free(big);
}

TEST(tree)
{
	struct pmodel *pm = NULL;
	struct ptext_opts o = { .type = 1 };
	char *out = NULL;
	int err = pmu_demo_model(1, &pm);

	REQUIRE(err == 0, "read: %s", strerror(-err));
	REQUIRE(CAPTURE(out, ptext__print_tree(f_, pm, &o, 0)) == 0, "tree");
	CHECK(strstr(out, "      35ms 100.00%        5ms  main\n"), "%s", out);
	CHECK(strstr(out, "      30ms  85.71%       20ms    rec\n"), "%s", out);
	CHECK(strstr(out, "      10ms  28.57%          0      rec\n"), "%s", out);
	CHECK(strstr(out, "      10ms  28.57%       10ms          inl_leaf\n"), "%s", out);
	free(out);
	/* below 50%: rec's child (10ms of 35) folds into one line */
	REQUIRE(CAPTURE(out, ptext__print_tree(f_, pm, &o, 0.5)) == 0, "tree");
	CHECK(strstr(out, "      10ms  28.57%          0      \xe2\x80\xa6 1 more\n"), "%s", out);
	CHECK(!strstr(out, "outer_fn"), "%s", out);
	free(out);
	pmodel__free(pm);
}

/* A function seen at two lines is one row, or two with by_line. */
TEST(rows_by_function)
{
	struct pprof_builder *b = pprof_builder__new(&pmu_cpu_opts);
	struct pprof_line l1[] = { { "burn", NULL, "x.go", 1, 5 } }, l2[] = { { "burn", NULL,
									     "x.go", 1, 6 } };
	struct ptext_opts o = { .type = 1 };
	struct ptext_table t;
	struct pmodel *pm = NULL;
	int64_t v[] = { 1, 100 };
	uint64_t m, a, c;
	void *buf = NULL;
	size_t len = 0;
	int err;

	REQUIRE(b, "new");
	m = pprof_builder__mapping(b, &pmu_demo_map);
	a = pprof_builder__location(b, m, 0x401000, l1, 1);
	c = pprof_builder__location(b, m, 0x401010, l2, 1);
	err = pprof_builder__add_sample(b, &a, 1, v, NULL, 0);
	err = err ?: pprof_builder__add_sample(b, &c, 1, v, NULL, 0);
	err = err ?: pprof_builder__encode(b, &buf, &len);
	pprof_builder__free(b);
	err = err ?: pmodel__read_buf(buf, len, &pm);
	free(buf);
	REQUIRE(err == 0, "profile: %d", err);
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table");
	CHECK(t.n_rows == 1 && t.rows[0].flat == 200, "%zu rows", t.n_rows);
	ptext__table_free(&t);
	o.by_line = true;
	REQUIRE(ptext__table(pm, &o, &t) == 0, "table by line");
	CHECK(t.n_rows == 2 && t.rows[0].flat == 100, "%zu rows by line", t.n_rows);
	ptext__table_free(&t);
	pmodel__free(pm);
}

/* Writes the demo profile at scale to tmpdir/NAME. */
static int write_demo(int64_t scale, const char *name, char *path, size_t size)
{
	void *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err = pmu_demo_encode(scale, &buf, &len);

	snprintf(path, size, "%s/%s", tmpdir, name);
	f = err ? NULL : fopen(path, "w");
	if (!err && (!f || fwrite(buf, 1, len, f) != len))
		err = -EIO;
	if (f)
		fclose(f);
	free(buf);
	return err;
}

/* `go tool pprof -top ARGS` without its "File:" line (the model keeps no mapping), or NULL. */
static char *go_top(const char *args)
{
	char cmd[1600], outp[600], *out = NULL, *nl;
	size_t len = 0;
	FILE *f;

	snprintf(outp, sizeof(outp), "%s/go.out", tmpdir);
	snprintf(cmd, sizeof(cmd), "go tool pprof -top -nodefraction=0 %s >'%s' 2>&1", args, outp);
	if (system(cmd) != 0) {
		printf("    `%s` failed\n", cmd);
		return NULL;
	}
	f = fopen(outp, "r");
	if (!f || getdelim(&out, &len, '\0', f) < 0) {
		free(out);
		out = NULL;
	}
	if (f)
		fclose(f);
	if (out && !strncmp(out, "File: ", 6) && (nl = strchr(out, '\n')))
		memmove(out, nl + 1, strlen(nl + 1) + 1);
	return out;
}

/* Our -top against pprof's, character for character, in several shapes. */
TEST(top_equals_go_pprof)
{
	char one[300], three[300], args[700];
	struct pmodel *pm = NULL, *base = NULL;
	struct ptext_opts o = { .base_type = 1 };
	struct {
		const char *flags;
		int type;
		bool by_line, base;
		size_t n;
	} cases[] = {
		{ "", 1, false, false, 0 },
		{ "-sample_index=samples", 0, false, false, 0 },
		{ "-lines", 1, true, false, 0 },
		{ "-base", 1, false, true, 0 },
		{ "-nodecount=2", 1, false, false, 2 },
	};
	char *ours = NULL, *theirs;
	size_t i;
	int err;

	if (system("go version >/dev/null 2>&1") != 0)
		SKIP("go is not installed: `go tool pprof` is the reference");
	err = write_demo(1, "one.pb.gz", one, sizeof(one));
	err = err ?: write_demo(3, "three.pb.gz", three, sizeof(three));
	err = err ?: pmodel__read_file(one, &pm);
	err = err ?: pmodel__read_file(three, &base);
	REQUIRE(err == 0, "demo profiles: %s", strerror(-err));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.type = cases[i].type, o.by_line = cases[i].by_line;
		o.base = cases[i].base ? base : NULL;
		snprintf(args, sizeof(args), "%s '%s' '%s'", cases[i].flags,
			 cases[i].base ? three : "", one);
		if (!cases[i].base)
			snprintf(args, sizeof(args), "%s '%s'", cases[i].flags, one);
		theirs = go_top(args);
		CHECK(theirs, "go tool pprof %s", args);
		CHECK(CAPTURE(ours, ptext__print_top(f_, pm, &o, cases[i].n)) == 0, "top");
		CHECK(theirs && ours && !strcmp(ours, theirs), "%s:\n--- ours\n%s--- pprof\n%s",
		      cases[i].flags, ours, theirs);
		free(ours);
		free(theirs);
	}
	pmodel__free(pm);
	pmodel__free(base);
}

int main(void)
{
	int fails;

	CHECK_SUITE("ptext");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: ptext/setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	if (!getenv("GOCACHE"))
		setenv("GOCACHE", "/tmp/go-cache-ptext", 0);
	RUN(table_flat_cum);
	RUN(filter_and_lines);
	RUN(folded);
	RUN(base_diff);
	RUN(tree);
	RUN(rows_by_function);
	RUN(top_equals_go_pprof);
	fails = CHECK_EXIT();
	if (!getenv("KEEP_TMP")) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("    could not remove %s\n", tmpdir);
	}
	return fails;
}
