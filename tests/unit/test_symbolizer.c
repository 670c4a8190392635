/* Symbolizer tests on the fixtures of tests/unit/fixtures-sym.mk, with `nm` as the
 * independent source of truth for addresses and sizes. Objects are filled by hand (the
 * objcache is not needed): fd, path, host_path and the build id from a small note reader. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proc/object.h"
#include "sym_util.h"
#include "symbols/demangle.h"
#include "symbols/symbolizer.h"
#include "util/arena.h"

#define LIBC_PATH "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX_PATH "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"

static const char *const prog_funcs[] = { "sym_alpha", "sym_beta", "sym_gamma", "sym_local",
					  "main" };

/* The line of the fixture's source that contains text, or 0. */
static int64_t source_line(const char *text)
{
	FILE *f = fopen("tests/unit/fixtures/sym_prog.c", "r");
	char line[512];
	int64_t n = 0, found = 0;

	while (f && !found && fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(line, text))
			found = n;
	}
	if (f)
		fclose(f);
	return found;
}

/* At the function's entry: file sym_prog.c, start line that of its definition, line one
 * of its first lines (at -O1 the entry is already in the body). */
static void expect_source(struct symbolizer *s, struct object *obj, const struct nm_tab *t,
			  const char *func, const char *def)
{
	const struct nm_sym *n = nm_find(t, func);
	int64_t want = source_line(def);
	const struct sym_frame *f;
	struct sym_result r;

	REQUIRE(n && want, "%s in nm and \"%s\" in sym_prog.c", func, def);
	REQUIRE(symbolizer__resolve(s, obj, n->addr, &r) == 0 && r.n == 1, "%s: one frame", func);
	f = &r.frames[0];
	CHECK(f->file && strstr(f->file, "tests/unit/fixtures/sym_prog.c"), "%s: file %s", func,
	      f->file ? f->file : "(none)");
	CHECK(f->start_line == want && f->line >= want && f->line < want + 8,
	      "%s: line %lld start %lld, want %lld and a line of its body", func,
	      (long long)f->line, (long long)f->start_line, (long long)want);
}

static void check_prog(const char *name)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	struct object obj;
	struct nm_tab t;
	struct sym_object_info info;
	size_t i;

	REQUIRE(s, "symbolizer__new: %s", strerror(errno));
	ok = obj_open(&obj, fixture(name)) == 0;
	REQUIRE(ok, "%s: run make first", fixture(name));
	ok = nm_load("-S", obj.path, &t) == 0;
	REQUIRE(ok, "nm %s", obj.path);
	for (i = 0; i < sizeof(prog_funcs) / sizeof(prog_funcs[0]); i++)
		expect_function(s, &obj, &t, prog_funcs[i], prog_funcs[i]);
	CHECK(symbolizer__object_info(s, &obj, &info) == 0, "object_info");
	CHECK(info.has_functions, "has_functions");
	CHECK(!info.debug_file, "unexpected debug file %s", info.debug_file);
	CHECK(info.has_line_numbers && info.has_filenames && info.has_inline_frames,
	      "built with -g: lines %d files %d inline %d", info.has_line_numbers,
	      info.has_filenames, info.has_inline_frames);
	expect_source(s, &obj, &t, "sym_alpha", "int sym_alpha(int x)");
	expect_source(s, &obj, &t, "sym_local", "static int sym_local(int v)");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

TEST(test_nopie)
{
	check_prog("sym_nopie");
}

TEST(test_pie)
{
	check_prog("sym_pie");
}

/* Several names at one address: the documented preference picks one (symbolizer.c,
 * sym_rank): non-LOCAL, then fewer leading underscores, then GLOBAL over WEAK. */
TEST(test_aliases)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	struct object obj;
	struct nm_tab t;

	ok = s && obj_open(&obj, fixture("sym_nopie")) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-S", obj.path, &t) == 0;
	REQUIRE(ok, "nm");
	/* GLOBAL sym_alpha beside WEAK sym_alpha_alias */
	expect_function(s, &obj, &t, "sym_alpha_alias", "sym_alpha");
	/* GLOBAL sym_beta beside GLOBAL __sym_beta_impl */
	expect_function(s, &obj, &t, "__sym_beta_impl", "sym_beta");
	/* WEAK sym_gamma beside GLOBAL __sym_gamma: the public name wins */
	expect_function(s, &obj, &t, "__sym_gamma", "sym_gamma");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

/* Past a sized function's last byte: alignment padding belongs to no function; if there
 * is no padding the next function starts there. */
TEST(test_padding)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	struct sym_result r;
	struct object obj;
	struct nm_tab t;
	int padded = 0;
	size_t i;

	ok = s && obj_open(&obj, fixture("sym_nopie")) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-S", obj.path, &t) == 0;
	REQUIRE(ok, "nm");
	for (i = 0; i < sizeof(prog_funcs) / sizeof(prog_funcs[0]); i++) {
		const struct nm_sym *n = nm_find(&t, prog_funcs[i]);
		uint64_t end, next;
		int err;

		REQUIRE(n && n->size, "%s", prog_funcs[i]);
		end = n->addr + n->size;
		next = nm_next_start(&t, n->addr);
		err = symbolizer__resolve(s, &obj, end, &r);
		if (end < next) {
			padded++;
			CHECK(err == -ENOENT, "%s: padding at 0x%llx resolved to %s", prog_funcs[i],
			      (unsigned long long)end, err ? "?" : r.frames[0].name);
			if (next != UINT64_MAX)
				CHECK(symbolizer__resolve(s, &obj, next - 1, &r) == -ENOENT,
				      "%s: last padding byte", prog_funcs[i]);
		} else {
			CHECK(err == 0 && r.sym_start == next, "%s: end is the next function",
			      prog_funcs[i]);
		}
	}
	CHECK(padded > 0, "no function is followed by padding (-falign-functions?)");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

/* A function without size (assembly without .size) extends to the next symbol. */
TEST(test_nosize)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	const struct nm_sym *n;
	struct object obj;
	struct nm_tab t;
	uint64_t next;

	ok = s && obj_open(&obj, fixture("sym_nopie")) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-S", obj.path, &t) == 0;
	REQUIRE(ok, "nm");
	n = nm_find(&t, "sym_nosize");
	REQUIRE(n && n->size == 0, "sym_nosize should have no size");
	next = nm_next_start(&t, n->addr);
	REQUIRE(next != UINT64_MAX && next > n->addr + 5, "layout");
	expect_sym(s, &obj, n->addr, "sym_nosize", n->addr);
	expect_sym(s, &obj, n->addr + 4, "sym_nosize", n->addr);
	expect_sym(s, &obj, next - 1, "sym_nosize", n->addr);
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

static bool same_result(const struct sym_result *a, const struct sym_result *b)
{
	size_t i;

	if (a->n != b->n || a->sym_start != b->sym_start)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct sym_frame *x = &a->frames[i], *y = &b->frames[i];

		if (strcmp(x->name, y->name) || x->line != y->line ||
		    x->start_line != y->start_line || !x->file != !y->file ||
		    (x->file && strcmp(x->file, y->file)))
			return false;
	}
	return true;
}

/* Every text symbol of the unstripped original resolves to the same frames (names, files,
 * lines) through the stripped binary and its separate debuginfo. */
static void check_same_as_full(const char *name, const char *debug_file_part)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer(), *sf = fixture_symbolizer();
	struct object obj, full;
	struct sym_object_info info;
	struct sym_result r, rf;
	char full_name[256];
	struct nm_tab t;
	size_t i, n = 0;
	int err;

	snprintf(full_name, sizeof(full_name), "%s.full", name);
	ok = s && sf && obj_open(&obj, fixture(name)) == 0;
	REQUIRE(ok, "%s: run make first", name);
	ok = obj_open(&full, fixture(full_name)) == 0;
	REQUIRE(ok, "%s", full_name);
	ok = nm_load("-S", full.path, &t) == 0;
	REQUIRE(ok, "nm");
	for (i = 0; i < t.n; i++) {
		const struct nm_sym *ns = &t.v[i];

		if (!nm_is_text(ns) || !ns->size)
			continue;
		n++;
		CHECK(symbolizer__resolve(sf, &full, ns->addr + ns->size - 1, &rf) == 0, "%s",
		      ns->name);
		err = symbolizer__resolve(s, &obj, ns->addr + ns->size - 1, &r);
		CHECK(err == 0, "%s: %s not resolved", name, ns->name);
		if (err)
			continue;
		CHECK(same_result(&r, &rf), "%s: %s: got %s:%lld, want %s:%lld", name, ns->name,
		      r.frames[0].name, (long long)r.frames[0].line, rf.frames[0].name,
		      (long long)rf.frames[0].line);
	}
	CHECK(n >= 5, "only %zu sized text symbols", n);
	expect_function(s, &obj, &t, "sym_alpha", "sym_alpha");
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && info.has_functions, "info");
	CHECK(info.has_line_numbers && info.has_inline_frames, "DWARF of the debuginfo");
	CHECK(info.debug_file && strstr(info.debug_file, debug_file_part), "debug file %s, want *%s*",
	      info.debug_file ? info.debug_file : "(none)", debug_file_part);
	free(t.v);
	obj_close(&obj);
	obj_close(&full);
	symbolizer__free(s);
	symbolizer__free(sf);
}

/* MiniDebugInfo only: every function of the original resolves to the name (and start)
 * the original gives, from the compressed symbol table; no lines, no debuginfo file. */
TEST(test_minidebug)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer(), *sf = fixture_symbolizer();
	struct object obj, full;
	struct sym_object_info info;
	const struct nm_sym *want;
	struct sym_result r;
	struct nm_tab t;
	size_t i, n = 0;

	ok = s && sf && obj_open(&obj, fixture("sym_minidebug")) == 0 &&
	     obj_open(&full, fixture("sym_minidebug.full")) == 0;
	REQUIRE(ok, "sym_minidebug: run make first");
	ok = nm_load("-S", fixture("sym_minidebug.full"), &t) == 0;
	REQUIRE(ok, "nm");
	ok = nm_load("-S", obj.path, &(struct nm_tab){ 0 }) != 0;
	REQUIRE(ok, "sym_minidebug must have no .symtab");
	for (i = 0; i < t.n; i++) {
		const struct nm_sym *ns = &t.v[i];

		if (!nm_is_text(ns) || !ns->size || strchr("wW", ns->type))
			continue;
		if (symbolizer__resolve(sf, &full, ns->addr, &r))
			continue;
		/* GDB's recipe keeps T, t and D symbols: not a weak alias the original picks. */
		want = nm_find(&t, r.frames[r.n - 1].name);
		if (want && strchr("wW", want->type))
			continue;
		n++;
		expect_sym(s, &obj, ns->addr + ns->size - 1, r.frames[r.n - 1].name, ns->addr);
	}
	CHECK(n >= 5, "only %zu sized text symbols", n);
	CHECK(symbolizer__resolve(s, &obj, nm_find(&t, "sym_local")->addr, &r) == 0 && r.n == 1 &&
	      !r.frames[0].file && !r.frames[0].line, "a static function, without a line");
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && info.has_functions, "info");
	CHECK(!info.debug_file && !info.has_line_numbers && !info.has_inline_frames,
	      "no debuginfo: file %s lines %d", info.debug_file ? info.debug_file : "-",
	      info.has_line_numbers);
	free(t.v);
	obj_close(&obj);
	obj_close(&full);
	symbolizer__free(s);
	symbolizer__free(sf);
}

TEST(test_buildid)
{
	check_same_as_full("sym_buildid", "/sym_debugdir/.build-id/");
}

TEST(test_debuglink_next_to_binary)
{
	check_same_as_full("sym_debuglink", "/fixtures/sym_debuglink.debug");
}

TEST(test_debuglink_dot_debug)
{
	check_same_as_full("sym_dotdebug", "/fixtures/.debug/sym_dotdebug.debug");
}

TEST(test_debuglink_debug_dir)
{
	check_same_as_full("sym_dldir", "/sym_debugdir/");
}

/* Without symbols, code is named by the FDE around it: OBJ+0xSTART for every address of
 * the function n (its middle too), START the function's ELF address. */
static void check_fde_name(struct symbolizer *s, struct object *obj, const char *base,
			   const struct nm_sym *n)
{
	struct sym_result r;
	char want[128];

	snprintf(want, sizeof(want), "%s+0x%" PRIx64, base, n->addr);
	for (uint64_t a = n->addr; a < n->addr + n->size; a += n->size / 2 ? n->size / 2 : 1) {
		r.n = 0;
		CHECK(symbolizer__resolve(s, obj, a, &r) == 0 && r.n == 1 &&
		      !strcmp(r.frames[0].name, want),
		      "0x%" PRIx64 ": %s, want %s (the function's FDE)", a,
		      r.n ? r.frames[0].name : "unresolved", want);
	}
}

/* Without a debug dir holding it, the build-id fixture has no function symbols. */
TEST(test_stripped_without_debuginfo)
{
	bool ok;
	const char *const dirs[] = { "/nonexistent", NULL };
	struct symbolizer_opts opts = { .debug_dirs = dirs };
	struct symbolizer *s = symbolizer__new(&opts);
	struct sym_object_info info;
	struct object obj;
	struct nm_tab t;
	const struct nm_sym *n;

	ok = s && obj_open(&obj, fixture("sym_buildid")) == 0;
	REQUIRE(ok, "setup");
	REQUIRE(obj.build_id[0], "fixture has no build id");
	ok = nm_load("-S", fixture("sym_buildid.full"), &t) == 0;
	REQUIRE(ok, "nm");
	n = nm_find(&t, "sym_alpha");
	REQUIRE(n, "sym_alpha");
	check_fde_name(s, &obj, "sym_buildid", n);
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && !info.debug_file, "debug file");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

TEST(test_debuglink_bad_crc)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	struct sym_object_info info;
	struct object obj;
	struct nm_tab t;
	const struct nm_sym *n;

	ok = s && obj_open(&obj, fixture("sym_badcrc")) == 0;
	REQUIRE(ok, "setup");
	ok = access(fixture("sym_badcrc.debug"), R_OK) == 0;
	REQUIRE(ok, "the .debug file must exist");
	ok = nm_load("-S", fixture("sym_badcrc.full"), &t) == 0;
	REQUIRE(ok, "nm");
	n = nm_find(&t, "sym_alpha");
	REQUIRE(n, "sym_alpha");
	/* The FDE's name, not the debuginfo's. */
	check_fde_name(s, &obj, "sym_badcrc", n);
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && !info.debug_file, "debug file %s",
	      info.debug_file);
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

static const char *const cxx_funcs[] = { "ns::Klass<int>::method(int)",
					 "ns::Klass<double>::method(double)",
					 "ns::free_fn(char const*)", "ns::free_fn(int)" };

/* The demangler on names from a hostile binary: one on which GCC 12's __cxa_demangle spent
 * minutes is refused at once (well under a second of CPU even under sanitizers), and a PLT
 * stub's name keeps its suffix. */
TEST(test_demangle_hostile)
{
	static const char slow[] =
		"_ZSt4swapIPFvvEENSt9enable_ifIXsr6__and_ISt6__not_ISt15__EEE5valueEvE4typeURS6_SG_";
	struct arena a = { 0 };
	clock_t t0 = clock();
	const char *out = demangle__cxx(&a, slow);
	double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;

	CHECK(!out, "the hostile name demangled to %s", out);
	CHECK(cpu < 1.0, "the hostile name took %.3f s of CPU", cpu);
	out = demangle__cxx(&a, "_ZN2ns7free_fnEPKc@plt");
	CHECK(out && !strcmp(out, "ns::free_fn(char const*)@plt"), "PLT name: %s",
	      out ? out : "(null)");
	arena__free(&a);
}

/* C++: name demangled, system_name as in the table (matched to nm's by address). */
TEST(test_cxx_demangle)
{
	bool ok;
	struct symbolizer *s = fixture_symbolizer();
	struct nm_tab dem, raw;
	struct sym_result r;
	struct object obj;
	const char *first;
	size_t i, j;

	ok = s && obj_open(&obj, fixture("sym_cxx")) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-S -C", obj.path, &dem) == 0 && nm_load("-S", obj.path, &raw) == 0;
	REQUIRE(ok, "nm");
	for (i = 0; i < sizeof(cxx_funcs) / sizeof(cxx_funcs[0]); i++) {
		const struct nm_sym *d = nm_find(&dem, cxx_funcs[i]), *m = NULL;

		CHECK(d, "%s not in nm -C output", cxx_funcs[i]);
		if (!d)
			continue;
		for (j = 0; j < raw.n && !m; j++)
			if (raw.v[j].addr == d->addr && !strncmp(raw.v[j].name, "_ZN2ns", 6))
				m = &raw.v[j];
		CHECK(m, "no mangled name at 0x%llx", (unsigned long long)d->addr);
		expect_function(s, &obj, &dem, cxx_funcs[i], cxx_funcs[i]);
		if (m && symbolizer__resolve(s, &obj, d->addr + 1, &r) == 0)
			CHECK(!strcmp(r.frames[0].system_name, m->name), "system_name %s, want %s",
			      r.frames[0].system_name, m->name);
	}
	/* Demangled once, then the same interned string. */
	if (nm_find(&dem, cxx_funcs[0])) {
		uint64_t a = nm_find(&dem, cxx_funcs[0])->addr;

		ok = symbolizer__resolve(s, &obj, a, &r) == 0;
		REQUIRE(ok, "resolve");
		first = r.frames[0].name;
		ok = symbolizer__resolve(s, &obj, a + 1, &r) == 0;
		REQUIRE(ok, "resolve");
		CHECK(r.frames[0].name == first, "demangled name not cached");
	}
	free(dem.v);
	free(raw.v);
	obj_close(&obj);
	symbolizer__free(s);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The real libc, stripped: .dynsym only (unless its debuginfo is installed). */
TEST(test_libc_malloc)
{
	bool ok;
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_object_info info;
	struct timespec t0;
	struct object obj;
	struct nm_tab t;
	size_t i;
	double ms;

	if (access(LIBC_PATH, R_OK))
		SKIP("%s not present", LIBC_PATH);
	ok = s && obj_open(&obj, LIBC_PATH) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-D -S --defined-only", obj.path, &t) == 0;
	REQUIRE(ok, "nm -D");
	for (i = 0; i < t.n; i++) /* nm -D shows versions: malloc@@GLIBC_2.2.5 */
		t.v[i].name[strcspn(t.v[i].name, "@")] = '\0';
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && info.has_functions, "libc info");
	ms = ms_since(&t0);
	printf("    libc table built in %.2f ms\n", ms);
	CHECK(ms < 1000, "building libc's table took %.1f ms of CPU", ms);
	expect_function(s, &obj, &t, "malloc", "malloc");
	expect_function(s, &obj, &t, "free", "free");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

/* A big C++ library: fast to build, and its mangled exports demangle. */
TEST(test_libstdcxx)
{
	bool ok;
	struct symbolizer *s = symbolizer__new(NULL);
	const struct nm_sym *n;
	struct timespec t0;
	struct sym_result r;
	struct object obj;
	struct nm_tab t;
	size_t i;
	double ms;

	if (access(LIBSTDCXX_PATH, R_OK))
		SKIP("%s not present", LIBSTDCXX_PATH);
	ok = s && obj_open(&obj, LIBSTDCXX_PATH) == 0;
	REQUIRE(ok, "setup");
	ok = nm_load("-D -S --defined-only", obj.path, &t) == 0;
	REQUIRE(ok, "nm -D");
	for (i = 0; i < t.n; i++)
		t.v[i].name[strcspn(t.v[i].name, "@")] = '\0';
	n = nm_find(&t, "_ZNSt6thread4joinEv");
	REQUIRE(n, "std::thread::join not exported");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	CHECK(symbolizer__resolve(s, &obj, n->addr, &r) == 0, "resolve");
	ms = ms_since(&t0);
	printf("    libstdc++ table built in %.2f ms\n", ms);
	CHECK(ms < 1000, "building libstdc++'s table took %.1f ms of CPU", ms);
	CHECK(r.n == 1 && !strcmp(r.frames[0].name, "std::thread::join()"), "got %s",
	      r.n ? r.frames[0].name : "");
	CHECK(r.n == 1 && !strcmp(r.frames[0].system_name, "_ZNSt6thread4joinEv"), "system %s",
	      r.n ? r.frames[0].system_name : "");
	free(t.v);
	obj_close(&obj);
	symbolizer__free(s);
}

/* The vDSO is symbolized from an in-memory copy of its image. */
TEST(test_vdso)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	struct symbolizer *s = symbolizer__new(NULL);
	bool clock = false, tod = false;
	struct sym_result r;
	struct object obj;
	size_t size, i;
	uint64_t a;

	if (!eh)
		SKIP("no vDSO");
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && ph->p_offset + ph->p_filesz > size)
			size = ph->p_offset + ph->p_filesz;
	}
	obj_set(&obj, -1, "[vdso]");
	obj.is_vdso = true;
	obj.vdso_image = malloc(size);
	REQUIRE(s && obj.vdso_image, "setup");
	memcpy(obj.vdso_image, eh, size);
	obj.vdso_size = size;
	for (a = 0; a < size; a += 4) {
		if (symbolizer__resolve(s, &obj, a, &r))
			continue;
		clock |= !strcmp(r.frames[0].name, "clock_gettime");
		tod |= !strcmp(r.frames[0].name, "gettimeofday");
		CHECK(strncmp(r.frames[0].name, "__vdso_", 7), "0x%llx: %s over its public alias",
		      (unsigned long long)a, r.frames[0].name);
	}
	CHECK(clock && tod, "clock_gettime %d gettimeofday %d", clock, tod);
	obj_close(&obj);
	symbolizer__free(s);
}

/* ---- PLT stubs ---- */

struct label {
	uint64_t addr;
	int section;	/* ordinal of objdump's "Disassembly of section" header */
	char name[256];
};

/* The "ADDR <NAME>:" labels of objdump -d [-C], in address order. */
static size_t objdump_labels(const char *path, bool demangle, struct label *v, size_t cap)
{
	char cmd[PATH_MAX + 64], line[1024];
	size_t n = 0;
	int section = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "objdump -d %s '%s' 2>/dev/null", demangle ? "-C" : "", path);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < cap) {
		unsigned long long a;
		char *lt = strchr(line, '<'), *gt = strrchr(line, '>');

		section += !strncmp(line, "Disassembly of section", 22);
		if (sscanf(line, "%llx <", &a) != 1 || !lt || !gt || gt < lt || strncmp(gt, ">:", 2))
			continue;
		v[n].addr = a;
		v[n].section = section;
		snprintf(v[n].name, sizeof(v[n].name), "%.*s", (int)(gt - lt - 1), lt + 1);
		n++;
	}
	pclose(f);
	return n;
}

/* Every NAME@plt label of objdump resolves to NAME@plt over its whole entry; the PLT0
 * label ("x@plt-0x10" or ".plt") to "[plt]". Returns the number of stubs checked. */
static size_t check_plt(const char *path, bool demangle)
{
	struct symbolizer *s = fixture_symbolizer();
	struct label labels[512];
	struct object obj;
	size_t n, i, stubs = 0;
	bool ok;

	ok = s && obj_open(&obj, path) == 0;
	CHECK(ok, "%s: run make first", path);
	if (!ok)
		return 0;
	n = objdump_labels(obj.path, demangle, labels, 512);
	for (i = 0; i < n; i++) {
		const struct label *l = &labels[i];
		/* An entry is 16 bytes, or 8 in a non-IBT .plt.got: up to the next label of
		 * its section, at most 16 bytes; 8 if it is the last. */
		uint64_t end = i + 1 < n && labels[i + 1].section == l->section &&
			       labels[i + 1].addr - l->addr <= 16 ? labels[i + 1].addr : l->addr + 8;
		const char *want = l->name;
		size_t len = strlen(l->name);

		if (!strcmp(l->name, ".plt") || strstr(l->name, "@plt-0x"))
			want = "[plt]";
		else if (len < 4 || strcmp(l->name + len - 4, "@plt"))
			continue;
		stubs += want == l->name;
		expect_sym(s, &obj, l->addr, want, l->addr);
		expect_sym(s, &obj, end - 1, want, l->addr);
	}
	obj_close(&obj);
	symbolizer__free(s);
	return stubs;
}

TEST(test_plt)
{
	static const char *const names[] = { "sym_plt_lazy", "sym_plt_ibt", "sym_plt_now",
					     "sym_plt_nopie" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = check_plt(fixture(names[i]), false);
		CHECK(n >= 8, "%s: only %zu PLT stubs named", names[i], n);
	}
	n = check_plt(fixture("sym_cxx"), true);
	CHECK(n >= 4, "sym_cxx: only %zu PLT stubs named", n);
}

/* ---- hostile files ---- */

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n);
	*len = *buf ? fread(*buf, 1, (size_t)n, f) : 0;
	fclose(f);
	return *buf && *len == (size_t)n ? 0 : -EIO;
}

/* Symbolizes buf (as a file) at addrs with a fresh symbolizer; must not crash, and every
 * answer is a name or -ENOENT. Returns how many addresses resolved. */
static int resolve_image(const unsigned char *buf, size_t len, const uint64_t *addrs, size_t n)
{
	struct symbolizer *s = fixture_symbolizer();
	struct sym_object_info info;
	struct sym_result r;
	struct object obj;
	int fd = memfd_create("sym_image", MFD_CLOEXEC), hits = 0, err;
	size_t i;

	if (fd < 0 || !s || write(fd, buf, len) != (ssize_t)len) {
		CHECK(0, "memfd: %s", strerror(errno));
		goto out;
	}
	obj_set(&obj, fd, "/nonexistent/sym_image");
	for (i = 0; i < n; i++) {
		err = symbolizer__resolve(s, &obj, addrs[i], &r);
		CHECK(err == 0 || err == -ENOENT, "resolve: %s", strerror(-err));
		if (!err) {
			CHECK(r.n == 1 && r.frames[0].name && r.frames[0].system_name, "frame");
			hits += strlen(r.frames[0].name) > 0;
		}
	}
	CHECK(symbolizer__object_info(s, &obj, &info) == 0, "object_info");
	free(obj.path);
	free(obj.host_path);
out:
	if (fd >= 0)
		close(fd);
	symbolizer__free(s);
	return hits;
}

static size_t prog_addrs(const struct nm_tab *t, uint64_t *addrs, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < t->n && n + 2 <= cap; i++) {
		if (!nm_is_text(&t->v[i]))
			continue;
		addrs[n++] = t->v[i].addr;
		addrs[n++] = t->v[i].addr + t->v[i].size;
	}
	return n;
}

TEST(test_truncated)
{
	bool ok;
	unsigned char *buf = NULL;
	uint64_t addrs[128];
	struct nm_tab t;
	size_t len, cut, n;

	ok = read_file(fixture("sym_nopie"), &buf, &len) == 0;
	REQUIRE(ok, "read fixture");
	ok = nm_load("-S", fixture("sym_nopie"), &t) == 0;
	REQUIRE(ok, "nm");
	n = prog_addrs(&t, addrs, 128);
	CHECK(resolve_image(buf, 1024, addrs, n) == 0, "first KiB resolved something");
	/* Every cut point, including inside the symbol and string tables. */
	for (cut = 0; cut < len; cut += 97)
		resolve_image(buf, cut, addrs, n);
	CHECK(resolve_image(buf, len, addrs, n) > 0, "the whole file resolves");
	free(t.v);
	free(buf);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random bytes of the section header table, then anywhere, are overwritten. */
TEST(test_corrupted)
{
	bool ok;
	unsigned char *buf = NULL, *copy;
	uint64_t addrs[128], rng = 0x9e3779b97f4a7c15ull;
	const Elf64_Ehdr *eh;
	struct nm_tab t;
	size_t len, n, shlen, iter, k;
	int hits = 0;

	ok = read_file(fixture("sym_nopie"), &buf, &len) == 0;
	REQUIRE(ok, "read fixture");
	ok = nm_load("-S", fixture("sym_nopie"), &t) == 0;
	REQUIRE(ok, "nm");
	n = prog_addrs(&t, addrs, 128);
	eh = (const Elf64_Ehdr *)buf;
	shlen = (size_t)eh->e_shnum * eh->e_shentsize;
	REQUIRE(eh->e_shoff + shlen <= len && shlen, "section headers");
	copy = malloc(len);
	REQUIRE(copy, "malloc");
	for (iter = 0; iter < 600; iter++) {
		size_t nbytes = 1 + xorshift(&rng) % 8;

		memcpy(copy, buf, len);
		for (k = 0; k < nbytes; k++) {
			size_t at = iter < 300 ? eh->e_shoff + xorshift(&rng) % shlen
					       : xorshift(&rng) % len;

			copy[at] = (unsigned char)xorshift(&rng);
		}
		hits += resolve_image(copy, len, addrs, n);
	}
	printf("    %d addresses still resolved in 600 corrupted copies\n", hits);
	free(copy);
	free(t.v);
	free(buf);
}

TEST(test_no_file)
{
	struct symbolizer *s = symbolizer__new(NULL);
	struct sym_object_info info;
	struct sym_result r;
	struct object obj;

	REQUIRE(s, "new");
	obj_set(&obj, -1, "[anon]");
	CHECK(symbolizer__resolve(s, &obj, 0x1000, &r) == -ENOENT && r.n == 0, "pseudo object");
	CHECK(symbolizer__object_info(s, &obj, &info) == 0 && !info.has_functions, "info");
	obj_close(&obj);
	symbolizer__free(s);
	symbolizer__free(NULL);
}

/* ---- kernel ---- */

TEST(test_kernel_schedule)
{
	struct symbolizer *s = symbolizer__new(NULL);
	unsigned long long addr = 0;
	char line[512], type, name[256];
	const char *module = NULL;
	struct sym_result r;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		SKIP("/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    !strcmp(name, "schedule") && !strchr(line, '[') && (type == 'T' || type == 't'))
			break;
	fclose(f);
	if (!addr)
		SKIP("kallsyms addresses are hidden (kptr_restrict) or schedule is missing");
	REQUIRE(s, "new");
	CHECK(symbolizer__resolve_kernel(s, addr, &r, &module) == 0, "resolve schedule");
	CHECK(r.n == 1 && !strcmp(r.frames[0].name, "schedule") && r.sym_start == addr,
	      "got %s", r.n ? r.frames[0].name : "");
	CHECK(module && !strcmp(module, ""), "module %s", module);
	CHECK(symbolizer__resolve_kernel(s, addr + 1, &r, &module) == 0 &&
	      !strcmp(r.frames[0].name, "schedule"), "schedule+1");
	CHECK(symbolizer__resolve_kernel(s, 0, &r, &module) == -ENOENT, "address 0");
	symbolizer__free(s);
}

TEST(test_kernel_module)
{
	bool ok;
	static const char text[] = "ffffffffa0000000 t mod_first\t[fake_mod]\n"
				   "ffffffffa0000100 T mod_second\t[fake_mod]\n"
				   "ffffffffa0000200 t mod_third\t[fake_mod]\n";
	char path[] = "/tmp/test_symbolizer_kallsyms.XXXXXX";
	struct symbolizer_opts opts = { .kallsyms_path = path };
	struct symbolizer *s;
	const char *module = NULL;
	struct sym_result r;
	int fd = mkstemp(path);

	ok = fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1;
	REQUIRE(ok, "tmp");
	close(fd);
	s = symbolizer__new(&opts);
	REQUIRE(s, "new");
	CHECK(symbolizer__resolve_kernel(s, 0xffffffffa0000110ull, &r, &module) == 0, "resolve");
	CHECK(r.n == 1 && !strcmp(r.frames[0].name, "mod_second") &&
	      r.sym_start == 0xffffffffa0000100ull, "got %s", r.n ? r.frames[0].name : "");
	CHECK(module && !strcmp(module, "fake_mod"), "module %s", module ? module : "(null)");
	symbolizer__free(s);
	unlink(path);
}

/* A real module symbol of this kernel's kallsyms (a loadable module's, or a BPF program's,
 * which kallsyms lists as module "bpf"), resolved with its module. */
TEST(test_kernel_real_module)
{
	struct symbolizer *s = symbolizer__new(NULL);
	char line[512], type, name[256], mod[64] = "", want[256] = "", want_mod[64] = "";
	unsigned long long addr, want_addr = 0;
	const char *module = NULL;
	struct sym_result r;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		SKIP("/proc/kallsyms: %s", strerror(errno));
	while (!want_addr && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s [%63[^]]]", &addr, &type, name, mod) == 4 &&
		    addr && (type == 't' || type == 'T')) {
			want_addr = addr;
			snprintf(want, sizeof(want), "%s", name);
			snprintf(want_mod, sizeof(want_mod), "%s", mod);
		}
	fclose(f);
	if (!want_addr)
		SKIP("no module (or BPF program) symbols in /proc/kallsyms, or addresses hidden");
	REQUIRE(s, "new");
	CHECK(symbolizer__resolve_kernel(s, want_addr, &r, &module) == 0 && r.n == 1 &&
	      !strcmp(r.frames[0].name, want) && r.sym_start == want_addr, "%s: got %s", want,
	      r.n ? r.frames[0].name : "nothing");
	CHECK(module && !strcmp(module, want_mod), "module %s, want %s", module ? module : "-",
	      want_mod);
	symbolizer__free(s);
}

int main(void)
{
	CHECK_SUITE("symbolizer");
	elf_version(EV_CURRENT);
	RUN(test_nopie);
	RUN(test_pie);
	RUN(test_aliases);
	RUN(test_padding);
	RUN(test_nosize);
	RUN(test_buildid);
	RUN(test_minidebug);
	RUN(test_debuglink_next_to_binary);
	RUN(test_debuglink_dot_debug);
	RUN(test_debuglink_debug_dir);
	RUN(test_stripped_without_debuginfo);
	RUN(test_debuglink_bad_crc);
	RUN(test_demangle_hostile);
	RUN(test_cxx_demangle);
	RUN(test_libc_malloc);
	RUN(test_libstdcxx);
	RUN(test_vdso);
	RUN(test_plt);
	RUN(test_truncated);
	RUN(test_corrupted);
	RUN(test_no_file);
	RUN(test_kernel_schedule);
	RUN(test_kernel_module);
	RUN(test_kernel_real_module);
	return CHECK_EXIT();
}
