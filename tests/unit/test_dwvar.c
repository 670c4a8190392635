// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lock names from DWARF (user/symbols/dwvar.c through user/symbols/datasym.c) on the fixtures of
 * tests/unit/fixtures-dwvar.mk: each address is a symbol's address (from binutils' nm)
 * plus an offset the compiler computed (offsetof over the fixture's own header), and its
 * name is what C would write: g_cache.mu, g_shards[3].mu, g_cache.grid[2][1]. Padding
 * keeps symbol+0xOFF; without DWARF every name is symbol+0xOFF; a stripped binary is
 * named from its separate debuginfo, found by build id as the symbolizer finds it. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stddef.h>

#include "check.h"
#include "symbols/datasym.h"
#include "symbols/dwvar.h"
#include "fixtures/dwvar_types.h"
#include "sym_util.h"

struct name_case {
	const char *sym;
	size_t off;
	const char *want;	/* NULL: symbol+0xOFF */
};

#define SHARD(i, m) ((i) * sizeof(shard_t) + offsetof(shard_t, m))

static const struct name_case cases[] = {
	{ "g_cache", offsetof(struct cache, mu), "g_cache.mu" },
	/* Inside pthread_mutex_t (a system header's type): the member is the lock. */
	{ "g_cache", offsetof(struct cache, mu) + 8, "g_cache.mu" },
	{ "g_cache", offsetof(struct cache, in.mu), "g_cache.in.mu" },
	{ "g_cache", offsetof(struct cache, in.x), "g_cache.in.x" },
	{ "g_cache", 0, "g_cache.hits" },
	{ "g_cache", offsetof(struct cache, tag) + 1, NULL },	/* padding */
	{ "g_cache", offsetof(struct cache, u), "g_cache.u.word" },
	{ "g_cache", offsetof(struct cache, u) + 2, "g_cache.u.half.hi" },
	{ "g_cache", offsetof(struct cache, anon_b), "g_cache.anon_b" },
	{ "g_cache", offsetof(struct cache, grid[2][1]), "g_cache.grid[2][1]" },
	{ "g_cache", offsetof(struct cache, grid[0][3]), "g_cache.grid[0][3]" },
	{ "g_cache", offsetof(struct cache, wide) + 4, "g_cache.wide+0x4" },
	{ "g_shards", SHARD(3, mu), "g_shards[3].mu" },
	{ "g_shards", SHARD(7, count), "g_shards[7].count" },
	{ "g_shards", SHARD(0, pad) + 5, "g_shards[0].pad[5]" },
	{ "g_shards", SHARD(2, count) + sizeof(int), NULL },	/* the struct's tail padding */
	{ "plain_lock", 0, "plain_lock" },
	{ "plain_lock", 16, "plain_lock" },
	{ "g_rw", 12, "g_rw" },
	{ "s_cache", offsetof(struct cache, in.mu), "s_cache.in.mu" },
};

/* The name of sym + off in obj, with nm's addresses from syms. */
static void expect_names(const char *fixname, struct symbolizer *s, const struct nm_tab *t,
			 bool dwarf)
{
	struct datasym *ds = datasym__new(s);
	struct object obj;
	char got[64], want[64];
	bool ok = ds && obj_open(&obj, fixture(fixname)) == 0;

	REQUIRE(ok, "%s: %s (run make test-build)", fixture(fixname), strerror(errno));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nm_sym *sym = nm_find(t, cases[i].sym);
		int err;

		if (!sym) {
			CHECK(sym, "%s: nm has no %s", fixname, cases[i].sym);
			continue;
		}
		if (cases[i].want && dwarf)
			snprintf(want, sizeof(want), "%s", cases[i].want);
		else if (cases[i].off)
			snprintf(want, sizeof(want), "%s+0x%zx", cases[i].sym, cases[i].off);
		else
			snprintf(want, sizeof(want), "%s", cases[i].sym);
		got[0] = '\0';
		err = datasym__name(ds, &obj, sym->addr + cases[i].off, got, sizeof(got));
		CHECK(!err && !strcmp(got, want), "%s: %s+0x%zx named '%s' (%d), want '%s'",
		      fixname, cases[i].sym, cases[i].off, got, err, want);
	}
	/* Past the last shard: another variable or nothing, never g_shards. */
	{
		const struct nm_sym *sh = nm_find(t, "g_shards");

		got[0] = '\0';
		if (sh && !datasym__name(ds, &obj, sh->addr + N_SHARDS * sizeof(shard_t), got,
					 sizeof(got)))
			CHECK(strncmp(got, "g_shards", 8), "%s: past the array: '%s'", fixname, got);
	}
	obj_close(&obj);
	datasym__free(ds);
}

static void check_fixture(const char *name)
{
	struct symbolizer *s = fixture_symbolizer();
	struct nm_tab t;
	bool ok = s && nm_load("-S", fixture(name), &t) == 0;

	REQUIRE(ok, "nm %s", fixture(name));
	expect_names(name, s, &t, true);
	expect_names(name, NULL, &t, false);
	free(t.v);
	symbolizer__free(s);
}

TEST(names_nopie)
{
	check_fixture("dwvar_nopie");
}

TEST(names_pie)
{
	check_fixture("dwvar_pie");
}

/* No symbol table at all: the names come from the DWARF of the debuginfo file. */
TEST(names_stripped)
{
	struct symbolizer *s = fixture_symbolizer();
	struct nm_tab t;
	bool ok = s && nm_load("-S", fixture("dwvar_pie"), &t) == 0;

	REQUIRE(ok, "nm %s", fixture("dwvar_pie"));
	expect_names("dwvar_stripped", s, &t, true);
	free(t.v);
	symbolizer__free(s);
}

/* The walk itself: a buffer too small for the path, and offsets past the type. */
TEST(member_path_bounds)
{
	struct symbolizer *s = fixture_symbolizer();
	struct object obj;
	struct nm_tab t;
	struct dwvars *dv = NULL;
	const struct nm_sym *sym;
	const char *name;
	uint64_t start, rest;
	Dwarf_Die type;
	char buf[64];
	Dwarf *dw;
	bool ok = s && obj_open(&obj, fixture("dwvar_nopie")) == 0 &&
		  nm_load("-S", obj.path, &t) == 0;

	REQUIRE(ok, "setup");
	dw = symbolizer__dwarf(s, &obj);
	ok = dw && dwvars__open(dw, &dv) == 0 && (sym = nm_find(&t, "g_shards")) &&
	     dwvars__find(dv, sym->addr + SHARD(5, mu), &name, &start, &type) == 0;
	REQUIRE(ok, "g_shards in the DWARF of %s", obj.path);
	CHECK(!strcmp(name, "g_shards") && start == sym->addr, "found %s at 0x%llx", name,
	      (unsigned long long)start);
	CHECK(dwvar__member_path(&type, SHARD(5, mu), buf, sizeof(buf), &rest) == 0 &&
		      !strcmp(buf, "[5].mu") && rest == 0, "'%s'", buf);
	CHECK(dwvar__member_path(&type, SHARD(5, mu), buf, 6, &rest) == -ENAMETOOLONG &&
		      !buf[0], "6 bytes: '%s'", buf);
	CHECK(dwvar__member_path(&type, N_SHARDS * sizeof(shard_t), buf, sizeof(buf), &rest) ==
		      -ENOENT, "past the array");
	CHECK(dwvars__find(dv, sym->addr + N_SHARDS * sizeof(shard_t) + (1 << 20), &name,
			   &start, &type) != 0 || strcmp(name, "g_shards"), "far past the array");
	dwvars__free(dv);
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

int main(void)
{
	CHECK_SUITE("dwvar");
	RUN(names_nopie);
	RUN(names_pie);
	RUN(names_stripped);
	RUN(member_path_bounds);
	return CHECK_EXIT();
}
