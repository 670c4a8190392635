/* DWARF symbolization checked against independent tools, address by address: function
 * names, files, lines and the whole chain of inlined calls, innermost first.
 *
 * The reference is `eu-addr2line -a -i -f -C` (elfutils). Where it disagrees, the address
 * passes only if `llvm-symbolizer --inlining` gives exactly our answer: eu-addr2line 0.188
 * drops a level of some inline chains (the DIE tree and llvm-symbolizer have it), and it
 * finds no line information at all in Go binaries (they have no .debug_aranges), so Go is
 * compared with llvm-symbolizer alone; a stripped Go binary, symbolized from .gopclntab,
 * is compared with what the tools say of the unstripped one. The outermost function may
 * carry another name of the same address (we show the symbol table's public alias:
 * malloc, not DWARF's __GI___libc_malloc) or a clone suffix (foo.constprop.0 for foo). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc/object.h"
#include "sym_util.h"
#include "symbols/symbolizer.h"

#define LIBC_PATH "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define N_ADDRS 1000

/* ---- a tool's answers, as lines ---- */

struct lines {
	char **v;
	size_t n, cap;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Runs cmd with the addresses (hex, one per line) on its stdin; keeps its stdout lines. */
static int run_tool(const char *cmd, const uint64_t *addrs, size_t n, struct lines *out)
{
	char path[] = "/tmp/test_dwarf_addrs.XXXXXX", full[8192], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int fd = mkstemp(path), rc;

	memset(out, 0, sizeof(*out));
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%" PRIx64 "\n", addrs[i]);
	fclose(f);
	snprintf(full, sizeof(full), "%s < %s 2>/dev/null", cmd, path);
	f = popen(full, "r");
	while (f && (len = getline(&line, &cap, f)) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 4096;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
			if (!out->v)
				abort();
		}
		out->v[out->n++] = strdup(line);
	}
	free(line);
	rc = f ? pclose(f) : -1;
	unlink(path);
	return rc == 0 ? 0 : -EIO;
}

/* ---- one address's frames ---- */

struct frame {
	const char *name;
	char file[1024];	/* normalized, "" if unknown */
	long line;
};

struct answer {
	uint64_t addr;
	size_t n;
	struct frame f[2 * SYM_MAX_FRAMES];
};

/* "a/./b" and "./a" name the same file as "a/b" and "a": tools differ in which they show. */
static void normalize_path(const char *in, char *out, size_t size)
{
	size_t o = 0;

	while (!strncmp(in, "./", 2))
		in += 2;
	for (; *in && o + 1 < size; in++) {
		if (in[0] == '/' && in[1] == '.' && in[2] == '/') {
			in++;
			continue;
		}
		out[o++] = *in;
	}
	out[o] = '\0';
}

/* "file:line[:column]" or "??:0[:0]". */
static void parse_location(const char *s, struct frame *f)
{
	char buf[1024], *colon;
	long a, b = -1;

	snprintf(buf, sizeof(buf), "%s", s);
	f->file[0] = '\0';
	f->line = 0;
	colon = strrchr(buf, ':');
	if (!colon)
		return;
	a = strtol(colon + 1, NULL, 10);
	*colon = '\0';
	colon = strrchr(buf, ':');
	if (colon && colon[1] >= '0' && colon[1] <= '9') { /* there was a column */
		b = a;
		a = strtol(colon + 1, NULL, 10);
		*colon = '\0';
	}
	(void)b;
	if (strcmp(buf, "??"))
		normalize_path(buf, f->file, sizeof(f->file));
	f->line = a;
}

static bool is_address_line(const char *s)
{
	return s[0] == '0' && s[1] == 'x' && strspn(s + 2, "0123456789abcdef") == strlen(s + 2);
}

/* The answer starting at line *i of a tool's output (address line, then name and location
 * pairs, then for llvm-symbolizer an empty line); advances *i past it. */
static bool parse_answer(const struct lines *l, size_t *i, struct answer *a)
{
	if (*i >= l->n || !is_address_line(l->v[*i]))
		return false;
	a->addr = strtoull(l->v[(*i)++], NULL, 16);
	a->n = 0;
	while (*i + 1 < l->n && l->v[*i][0] && !is_address_line(l->v[*i]) &&
	       a->n < sizeof(a->f) / sizeof(a->f[0])) {
		struct frame *f = &a->f[a->n++];
		char *inl = strstr(l->v[*i], " inlined at ");

		if (inl) /* eu-addr2line's first line: "inner inlined at FILE:LINE in outer" */
			*inl = '\0';
		f->name = l->v[*i];
		parse_location(l->v[*i + 1], f);
		*i += 2;
	}
	while (*i < l->n && !l->v[*i][0])
		(*i)++;
	return a->n > 0;
}

static void our_answer(const struct sym_result *r, uint64_t addr, struct answer *a)
{
	a->addr = addr;
	a->n = r->n;
	for (size_t k = 0; k < r->n; k++) {
		a->f[k].name = r->frames[k].name ? r->frames[k].name : "??";
		a->f[k].file[0] = '\0';
		if (r->frames[k].file)
			normalize_path(r->frames[k].file, a->f[k].file, sizeof(a->f[k].file));
		a->f[k].line = r->frames[k].line;
	}
}

/* ---- comparing ---- */

/* Go's tables and its symbol table spell some names differently from DWARF: assembly
 * functions carry ".abi0" in the symbol table, and .gopclntab shortens array lengths in
 * generated names (type..eq.[...]T for type..eq.[5]T). */
static void go_name(const char *in, char *out, size_t size)
{
	size_t o = 0, len;

	for (; *in && o + 6 < size; in++) {
		if (in[0] == '[' && in[1] >= '0' && in[1] <= '9') {
			while (*in && *in != ']')
				in++;
			memcpy(out + o, "[...]", 5);
			o += 5;
			if (!*in)
				break;
			continue;
		}
		out[o++] = *in;
	}
	out[o] = '\0';
	len = strlen(out);
	if (len > 5 && !strcmp(out + len - 5, ".abi0"))
		out[len - 5] = '\0';
}

static bool go_mode;	/* compare with go_name() */

static bool same_name(const char *a, const char *b)
{
	char x[4096], y[4096];

	if (!go_mode)
		return !strcmp(a, b);
	go_name(a, x, sizeof(x));
	go_name(b, y, sizeof(y));
	return !strcmp(x, y);
}

/* name without GCC's clone suffixes, as the demanglers show them (" [clone .isra.0]",
 * " (.isra.0)") or not (".isra.0", ".constprop.0", ".part.0", ".cold"). */
static void clone_base(const char *name, char *out, size_t size)
{
	static const char *const kinds[] = { "cold", "part", "isra", "constprop", "lto_priv",
					     "localalias" };
	bool again = true;
	size_t len;
	char *p;

	snprintf(out, size, "%s", name);
	while (again) {
		again = false;
		len = strlen(out);
		if (len && (out[len - 1] == ']' || out[len - 1] == ')') &&
		    ((p = strstr(out, " [clone .")) || (p = strstr(out, " (.")))) {
			*p = '\0';
			again = true;
			continue;
		}
		while (len && out[len - 1] >= '0' && out[len - 1] <= '9')
			len--;
		if (len && out[len - 1] == '.')
			len--;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			size_t kl = strlen(kinds[k]);

			if (len > kl + 1 && out[len - kl - 1] == '.' && !strncmp(out + len - kl, kinds[k], kl)) {
				out[len - kl - 1] = '\0';
				again = true;
				break;
			}
		}
	}
}

/* name without a symbol version ("fdopen@@GLIBC_2.2.5"). */
static bool same_unversioned(const char *versioned, const char *name)
{
	size_t len = strcspn(versioned, "@");

	return strlen(name) == len && !strncmp(versioned, name, len);
}

/* Whether ours may stand for the reference's outermost name: the same function up to
 * clone suffixes, or another name of the symbol at sym_start. */
static bool same_function(const char *ours, const char *ref, const struct nm_tab *aliases,
			  uint64_t sym_start)
{
	bool ours_alias = false, ref_alias = false;
	char a[4096], b[4096];

	if (same_name(ours, ref))
		return true;
	clone_base(ours, a, sizeof(a));
	clone_base(ref, b, sizeof(b));
	if (!strcmp(a, b))
		return true;
	for (size_t i = 0; i < aliases->n; i++) {
		if (aliases->v[i].addr != sym_start)
			continue;
		ours_alias |= same_unversioned(aliases->v[i].name, ours);
		ref_alias |= same_unversioned(aliases->v[i].name, ref);
	}
	return ours_alias && ref_alias;
}

/* Compares frame by frame; a reference chain longer than ours is cut as the symbolizer
 * cuts it (innermost SYM_MAX_FRAMES - 1, then the outermost). */
static bool same_answer(const struct answer *ours, const struct answer *ref,
			const struct nm_tab *aliases, uint64_t sym_start)
{
	size_t n = ref->n > SYM_MAX_FRAMES ? SYM_MAX_FRAMES : ref->n;

	/* Go: .gopclntab shows what the compiler inlined into a generated wrapper, which
	 * DWARF folds into the wrapper itself: same place, same outer function. */
	if (go_mode && ours->n == n + 1 && n == 1 && strstr(ours->f[1].file, "<autogenerated>"))
		return !strcmp(ours->f[0].file, ref->f[0].file) &&
		       ours->f[0].line == ref->f[0].line &&
		       same_function(ours->f[1].name, ref->f[0].name, aliases, sym_start);
	if (ours->n != n)
		return false;
	for (size_t k = 0; k < n; k++) {
		const struct frame *o = &ours->f[k];
		const struct frame *r = &ref->f[k + 1 == n ? ref->n - 1 : k];
		bool names = k + 1 == n ? same_function(o->name, r->name, aliases, sym_start)
					: same_name(o->name, r->name);

		if (!names || strcmp(o->file, r->file) || o->line != r->line)
			return false;
	}
	return true;
}

static void show_answer(const char *who, const struct answer *a)
{
	printf("      %s:\n", who);
	for (size_t k = 0; k < a->n; k++)
		printf("        %.100s  %s:%ld\n", a->f[k].name, a->f[k].file[0] ? a->f[k].file : "??",
		       a->f[k].line);
}

struct tally {
	size_t eu, llvm, bad, shown;
};

/* Our answers for addrs, checked against the tools' outputs (eu may be NULL). */
static void compare(struct symbolizer *s, struct object *obj, const uint64_t *addrs, size_t n,
		    const struct lines *eu, const struct lines *llvm, const struct nm_tab *aliases,
		    struct tally *t)
{
	static struct answer ours, ref_eu, ref_llvm;
	size_t ie = 0, il = 0;
	struct sym_result r;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		bool have_eu = eu && parse_answer(eu, &ie, &ref_eu) && ref_eu.addr == addrs[i];
		bool have_llvm = parse_answer(llvm, &il, &ref_llvm) && ref_llvm.addr == addrs[i];

		if (symbolizer__resolve(s, obj, addrs[i], &r))
			r.n = 0;
		our_answer(&r, addrs[i], &ours);
		if (have_eu && same_answer(&ours, &ref_eu, aliases, r.sym_start)) {
			t->eu++;
		} else if (have_llvm && same_answer(&ours, &ref_llvm, aliases, r.sym_start)) {
			t->llvm++;
		} else {
			t->bad++;
			if (t->shown++ < 4) {
				printf("    0x%" PRIx64 " differs\n", addrs[i]);
				show_answer("ours", &ours);
				if (have_eu)
					show_answer("eu-addr2line", &ref_eu);
				if (have_llvm)
					show_answer("llvm-symbolizer", &ref_llvm);
			}
		}
	}
}

/* ---- addresses ---- */

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* n distinct addresses inside sized text symbols of t, sorted: a fixed pseudo-random
 * sample, the same on every run. Returns how many were found. */
static size_t sample_addrs(const struct nm_tab *t, uint64_t *out, size_t n)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;
	size_t got = 0, tries = 0, *text = malloc(t->n * sizeof(*text)), n_text = 0;

	for (size_t i = 0; text && i < t->n; i++)
		if (nm_is_text(&t->v[i]) && t->v[i].size)
			text[n_text++] = i;
	while (n_text && got < n && tries++ < 100 * n) {
		const struct nm_sym *s = &t->v[text[xorshift(&rng) % n_text]];
		uint64_t a = s->addr + xorshift(&rng) % s->size;
		bool dup = false;

		for (size_t k = 0; k < got && !dup; k++)
			dup = out[k] == a;
		if (!dup)
			out[got++] = a;
	}
	free(text);
	qsort(out, got, sizeof(*out), cmp_u64);
	return got;
}

/* ---- the tests ---- */

/* Symbolizes N_ADDRS addresses of ours and compares with what the tools say of path (the
 * same file, or its unstripped original), whose DWARF is in dwarf_file. with_eu: ask
 * eu-addr2line first. Returns the tally. */
static void check_against_tools(const char *ours, const char *path, const char *dwarf_file,
				bool with_eu, struct tally *t)
{
	struct symbolizer *s = symbolizer__new(NULL);
	struct lines eu = { 0 }, llvm = { 0 };
	static uint64_t addrs[N_ADDRS];
	char cmd[PATH_MAX * 2];
	struct nm_tab syms = { 0 }, aliases = { 0 };
	char real[PATH_MAX];
	struct object obj;
	size_t n;
	bool ok;

	memset(t, 0, sizeof(*t));
	ok = s && obj_open(&obj, ours) == 0 && realpath(path, real);
	REQUIRE(ok, "%s, %s: run make first", ours, path);
	ok = nm_load("-S --defined-only", dwarf_file, &syms) == 0 &&
	     nm_load("-C --defined-only", dwarf_file, &aliases) == 0;
	REQUIRE(ok, "nm %s", dwarf_file);
	n = sample_addrs(&syms, addrs, N_ADDRS);
	REQUIRE(n == N_ADDRS, "only %zu addresses sampled", n);
	if (with_eu) {
		snprintf(cmd, sizeof(cmd), "eu-addr2line -a -i -f -C -e '%s'", real);
		ok = run_tool(cmd, addrs, n, &eu) == 0;
		REQUIRE(ok, "%s failed", cmd);
	}
	snprintf(cmd, sizeof(cmd),
		 "llvm-symbolizer --obj='%s' -a --inlining --functions=linkage --demangle", real);
	ok = run_tool(cmd, addrs, n, &llvm) == 0;
	REQUIRE(ok, "%s failed", cmd);
	compare(s, &obj, addrs, n, with_eu ? &eu : NULL, &llvm, &aliases, t);
	printf("    %s: %zu addresses: %zu as eu-addr2line, %zu as llvm-symbolizer, %zu differ\n",
	       ours, n, t->eu, t->llvm, t->bad);
	CHECK(t->bad == 0, "%zu of %zu addresses differ from both tools", t->bad, n);
	lines_free(&eu);
	lines_free(&llvm);
	free(syms.v);
	free(aliases.v);
	obj_close(&obj);
	symbolizer__free(s);
}

static bool have_tools(void)
{
	return !system("command -v eu-addr2line llvm-symbolizer >/dev/null 2>&1");
}

TEST(test_libc)
{
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_object_info info;
	char dbg[PATH_MAX] = "";
	struct object obj;
	struct tally t;

	if (!have_tools())
		SKIP("eu-addr2line or llvm-symbolizer missing (elfutils, llvm)");
	if (s && obj_open(&obj, LIBC_PATH) == 0) {
		if (!symbolizer__object_info(s, &obj, &info) && info.debug_file)
			snprintf(dbg, sizeof(dbg), "%s", info.debug_file);
		obj_close(&obj);
	}
	symbolizer__free(s);
	if (!dbg[0])
		SKIP("no debuginfo for %s (apt-get install libc6-dbg)", LIBC_PATH);
	check_against_tools(LIBC_PATH, LIBC_PATH, dbg, true, &t);
	CHECK(t.eu >= N_ADDRS / 2, "only %zu answers as eu-addr2line's", t.eu);
}

TEST(test_cxx)
{
	struct tally t;

	if (!have_tools())
		SKIP("eu-addr2line or llvm-symbolizer missing (elfutils, llvm)");
	check_against_tools(fixture("sym_cxxbig"), fixture("sym_cxxbig"), fixture("sym_cxxbig"),
			    true, &t);
	CHECK(t.eu >= N_ADDRS / 2, "only %zu answers as eu-addr2line's", t.eu);
}

/* Go with DWARF: as llvm-symbolizer (eu-addr2line finds no lines in Go binaries). */
TEST(test_go)
{
	struct tally t;

	if (!have_tools())
		SKIP("eu-addr2line or llvm-symbolizer missing (elfutils, llvm)");
	go_mode = true;
	check_against_tools(fixture("sym_go"), fixture("sym_go"), fixture("sym_go"), false, &t);
	go_mode = false;
}

/* Stripped Go (-s -w: no symbols, no DWARF): .gopclntab alone gives the same functions,
 * files, lines and inline chains as the unstripped binary's DWARF. */
TEST(test_go_stripped)
{
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_object_info info;
	struct object obj;
	struct tally t;
	bool ok;

	if (!have_tools())
		SKIP("eu-addr2line or llvm-symbolizer missing (elfutils, llvm)");
	ok = s && obj_open(&obj, fixture("sym_go_stripped")) == 0;
	REQUIRE(ok, "sym_go_stripped: run make first");
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && info.has_functions &&
	      info.has_line_numbers && info.has_inline_frames, "functions %d lines %d inline %d",
	      info.has_functions, info.has_line_numbers, info.has_inline_frames);
	obj_close(&obj);
	symbolizer__free(s);
	go_mode = true;
	check_against_tools(fixture("sym_go_stripped"), fixture("sym_go"), fixture("sym_go"),
			    false, &t);
	go_mode = false;
}

int main(void)
{
	CHECK_SUITE("dwarf");
	elf_version(EV_CURRENT);
	RUN(test_libc);
	RUN(test_cxx);
	RUN(test_go);
	RUN(test_go_stripped);
	return CHECK_EXIT();
}
