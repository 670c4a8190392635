// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pprof encoder, checked through our own reader and through `go tool pprof`, which is
 * the reader users have. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "pprof.h"
#include "pprof_read.h"

typedef Perftools__Profiles__Profile Profile;

static char tmpdir[] = "/tmp/test_pprof-XXXXXX";

static const struct pprof_value_type cpu_types[] = {
	{ "samples", "count" },
	{ "cpu", "nanoseconds" },
};

static const struct pprof_opts cpu_opts = {
	.sample_types = cpu_types,
	.n_sample_types = 2,
	.period_type = { "cpu", "nanoseconds" },
	.period = 10000000,
	.time_nanos = 1700000000000000000LL,
	.duration_nanos = 3000000000LL,
	.default_sample_type = "cpu",
};

static const struct pprof_mapping demo_map = {
	.memory_start = 0x400000,
	.memory_limit = 0x500000,
	.file_offset = 0x1000,
	.filename = "/usr/bin/demo",
	.build_id = "abcdef0123",
	.has_functions = true,
	.has_filenames = true,
	.has_line_numbers = true,
	.has_inline_frames = true,
};

/* Encodes b and decodes it with our reader. */
static Profile *roundtrip(struct pprof_builder *b)
{
	Profile *p = NULL;
	void *buf = NULL;
	size_t len = 0;
	int err;

	err = pprof_builder__encode(b, &buf, &len);
	CHECK(err == 0, "encode: %d", err);
	if (!err) {
		p = pprof_read__buf(buf, len);
		CHECK(p, "read back: %s", strerror(errno));
	}
	free(buf);
	return p;
}

static size_t count_str(const Profile *p, const char *s)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_string_table; i++)
		n += strcmp(p->string_table[i], s) == 0;
	return n;
}

static const Perftools__Profiles__Location *find_loc(const Profile *p, uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_location; i++) {
		if (p->location[i]->id == id)
			return p->location[i];
	}
	return NULL;
}

static const Perftools__Profiles__Function *find_fn(const Profile *p, uint64_t id)
{
	size_t i;

	for (i = 0; i < p->n_function; i++) {
		if (p->function[i]->id == id)
			return p->function[i];
	}
	return NULL;
}

static const char *fn_name(const Profile *p, const Perftools__Profiles__Line *l)
{
	const Perftools__Profiles__Function *f = find_fn(p, l->function_id);

	return f ? pprof_read__str(p, f->name) : "(no function)";
}

TEST(string_table_dedup)
{
	struct pprof_line lines[] = { { "f", NULL, "/src/x.c", 1, 2 } };
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	uint64_t m, loc;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	m = pprof_builder__mapping(b, &demo_map);
	/* "/src/x.c" and "f" come in twice each; "cpu" is both a type and the period type */
	loc = pprof_builder__location(b, m, 0x10, lines, 1);
	lines[0].line = 3;
	CHECK(pprof_builder__location(b, m, 0x20, lines, 1) != loc, "distinct addresses");
	CHECK(pprof_builder__add_comment(b, "f") == 0, "comment");
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	CHECK(p->n_string_table > 0 && strcmp(p->string_table[0], "") == 0, "[0] is \"\"");
	CHECK(count_str(p, "") == 1, "\"\" %zu times", count_str(p, ""));
	CHECK(count_str(p, "f") == 1, "f %zu times", count_str(p, "f"));
	CHECK(count_str(p, "/src/x.c") == 1, "file %zu times", count_str(p, "/src/x.c"));
	CHECK(count_str(p, "cpu") == 1, "cpu %zu times", count_str(p, "cpu"));
	CHECK(count_str(p, "nanoseconds") == 1, "ns %zu times", count_str(p, "nanoseconds"));
	CHECK(p->n_function == 1, "%zu functions", p->n_function);
	pprof_read__free(p);
}

TEST(mapping_dedup_and_flags)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	struct pprof_mapping other = demo_map;
	const Perftools__Profiles__Mapping *pm;
	uint64_t m1, m2, m3;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	m1 = pprof_builder__mapping(b, &demo_map);
	m2 = pprof_builder__mapping(b, &demo_map);
	other.has_inline_frames = false;	/* one field differs: a different mapping */
	other.build_id = NULL;
	m3 = pprof_builder__mapping(b, &other);
	CHECK(m1 > 0 && m1 == m2, "same mapping, same id: %lu %lu", m1, m2);
	CHECK(m3 > 0 && m3 != m1, "different mapping, new id: %lu", m3);
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	REQUIRE(p->n_mapping == 2, "%zu mappings", p->n_mapping);
	pm = p->mapping[0]->id == m1 ? p->mapping[0] : p->mapping[1];
	CHECK(pm->id == m1, "id %lu", pm->id);
	CHECK(pm->memory_start == 0x400000 && pm->memory_limit == 0x500000, "range");
	CHECK(pm->file_offset == 0x1000, "offset %#lx", pm->file_offset);
	CHECK(strcmp(pprof_read__str(p, pm->filename), "/usr/bin/demo") == 0, "filename");
	CHECK(strcmp(pprof_read__str(p, pm->build_id), "abcdef0123") == 0, "build id");
	CHECK(pm->has_functions && pm->has_filenames && pm->has_line_numbers &&
		      pm->has_inline_frames, "flags");
	pm = p->mapping[0]->id == m1 ? p->mapping[1] : p->mapping[0];
	CHECK(pm->id == m3 && !pm->has_inline_frames && pm->has_functions, "other's flags");
	CHECK(pm->build_id == 0, "no build id → \"\" (index 0), got %ld", pm->build_id);
	pprof_read__free(p);
}

TEST(location_and_function_dedup)
{
	struct pprof_line a = { "f", NULL, "/src/x.c", 10, 11 }, a2 = a, g = { "g", NULL, NULL, 0, 0 };
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	const Perftools__Profiles__Location *l;
	uint64_t m1, m2, l1, l2, l3, l4;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	m1 = pprof_builder__mapping(b, &demo_map);
	m2 = pprof_builder__mapping(b, &(struct pprof_mapping){ .filename = "/lib/other" });
	l1 = pprof_builder__location(b, m1, 0x1234, &a, 1);
	/* same key, other lines: the first call's lines win */
	l2 = pprof_builder__location(b, m1, 0x1234, &g, 1);
	l3 = pprof_builder__location(b, m2, 0x1234, &a, 1);
	a2.line = 99;		/* other line, same function */
	l4 = pprof_builder__location(b, m1, 0x1240, &a2, 1);
	CHECK(l1 > 0 && l1 == l2, "same (mapping, address): %lu %lu", l1, l2);
	CHECK(l3 != l1 && l4 != l1 && l3 != l4, "different keys: %lu %lu %lu", l1, l3, l4);
	a2.start_line = 9;	/* a different function with the same name */
	pprof_builder__location(b, m1, 0x1250, &a2, 1);
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	CHECK(p->n_location == 4, "%zu locations", p->n_location);
	/* f (start 10), f (start 9); g never made it: its location was a duplicate */
	CHECK(p->n_function == 2, "%zu functions", p->n_function);
	CHECK(count_str(p, "g") == 0, "the losing lines were not interned");
	l = find_loc(p, l1);
	REQUIRE(l && l->n_line == 1, "location %lu", l1);
	CHECK(strcmp(fn_name(p, l->line[0]), "f") == 0 && l->line[0]->line == 11, "first wins");
	CHECK(l->mapping_id == m1 && l->address == 0x1234, "key");
	l = find_loc(p, l4);
	REQUIRE(l && l->n_line == 1, "location %lu", l4);
	CHECK(l->line[0]->function_id == find_loc(p, l1)->line[0]->function_id, "one f");
	CHECK(l->line[0]->line == 99, "line %ld", l->line[0]->line);
	pprof_read__free(p);
}

/* Synthetic frames have neither mapping nor address: their lines tell them apart. */
TEST(synthetic_locations)
{
	struct pprof_line lost = { .name = "[lost samples]" }, trunc = { .name = "[truncated]" };
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	uint64_t l1, l2, l3;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	l1 = pprof_builder__location(b, 0, 0, &lost, 1);
	l2 = pprof_builder__location(b, 0, 0, &trunc, 1);
	l3 = pprof_builder__location(b, 0, 0, &lost, 1);
	CHECK(l1 > 0 && l2 > 0 && l1 != l2, "distinct frames: %lu %lu", l1, l2);
	CHECK(l3 == l1, "same frame, same id: %lu %lu", l1, l3);
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	CHECK(p->n_location == 2 && p->n_function == 2, "%zu locations, %zu functions",
	      p->n_location, p->n_function);
	pprof_read__free(p);
}

TEST(inline_lines_order)
{
	struct pprof_line lines[] = {
		{ "leaf_inlined", NULL, "/src/a.h", 5, 7 },
		{ "middle_inlined", NULL, "/src/a.h", 20, 22 },
		{ "Outer::run()", "_ZN5Outer3runEv", "/src/a.cc", 40, 44 },
	};
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	const Perftools__Profiles__Function *f;
	const Perftools__Profiles__Location *l;
	uint64_t id;
	Profile *p;
	size_t i;

	REQUIRE(b, "new: %s", strerror(errno));
	id = pprof_builder__location(b, pprof_builder__mapping(b, &demo_map), 0x401000, lines, 3);
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	l = find_loc(p, id);
	REQUIRE(l && l->n_line == 3, "location with 3 lines");
	for (i = 0; i < 3; i++) {
		f = find_fn(p, l->line[i]->function_id);
		REQUIRE(f, "function of line %zu", i);
		CHECK(strcmp(pprof_read__str(p, f->name), lines[i].name) == 0, "line %zu: %s", i,
		      pprof_read__str(p, f->name));
		CHECK(l->line[i]->line == lines[i].line, "line %zu: %ld", i, l->line[i]->line);
		CHECK(f->start_line == lines[i].start_line, "start %zu", i);
		CHECK(strcmp(pprof_read__str(p, f->filename), lines[i].filename) == 0, "file %zu", i);
	}
	f = find_fn(p, l->line[2]->function_id);
	CHECK(strcmp(pprof_read__str(p, f->system_name), "_ZN5Outer3runEv") == 0, "system name");
	f = find_fn(p, l->line[0]->function_id);
	CHECK(strcmp(pprof_read__str(p, f->system_name), "leaf_inlined") == 0,
	      "NULL system name = name");
	pprof_read__free(p);
}

TEST(labels)
{
	struct pprof_label labels[] = {
		{ .key = "comm", .str = "demo" },
		{ .key = "pid", .num = 4242 },
		{ .key = "bytes", .num = 4096, .num_unit = "bytes" },
		{ .key = "thread", .str = "worker-1", .num = 7 },	/* str wins: num ignored */
	};
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	const Perftools__Profiles__Sample *s;
	const Perftools__Profiles__Label *l;
	int64_t v[2] = { 1, 10 };
	uint64_t loc;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	loc = pprof_builder__location(b, 0, 0x10, NULL, 0);
	CHECK(pprof_builder__add_sample(b, &loc, 1, v, labels, 4) == 0, "add");
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	REQUIRE(p->n_sample == 1 && p->sample[0]->n_label == 4, "one sample, four labels");
	s = p->sample[0];
	l = s->label[0];
	CHECK(!strcmp(pprof_read__str(p, l->key), "comm") &&
		      !strcmp(pprof_read__str(p, l->str), "demo") && l->num == 0, "comm");
	l = s->label[1];
	CHECK(!strcmp(pprof_read__str(p, l->key), "pid") && l->str == 0 && l->num == 4242 &&
		      l->num_unit == 0, "pid");
	l = s->label[2];
	CHECK(!strcmp(pprof_read__str(p, l->key), "bytes") && l->num == 4096 &&
		      !strcmp(pprof_read__str(p, l->num_unit), "bytes"), "bytes");
	l = s->label[3];
	CHECK(!strcmp(pprof_read__str(p, l->str), "worker-1") && l->num == 0, "thread");
	pprof_read__free(p);
}

TEST(header_values_and_comments)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	int64_t v1[2] = { 3, 30000000 }, v2[2] = { -1, INT64_MAX };
	uint64_t loc;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	loc = pprof_builder__location(b, 0, 0x10, NULL, 0);
	CHECK(pprof_builder__add_sample(b, &loc, 1, v1, NULL, 0) == 0, "add 1");
	CHECK(pprof_builder__add_sample(b, &loc, 1, v2, NULL, 0) == 0, "add 2: not merged");
	CHECK(pprof_builder__add_comment(b, "first") == 0, "comment");
	CHECK(pprof_builder__add_comment(b, "second comment") == 0, "comment");
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p, "roundtrip");
	REQUIRE(p->n_sample_type == 2 && p->n_sample == 2, "types, samples");
	CHECK(!strcmp(pprof_read__str(p, p->sample_type[0]->type), "samples") &&
		      !strcmp(pprof_read__str(p, p->sample_type[0]->unit), "count"), "type 0");
	CHECK(!strcmp(pprof_read__str(p, p->sample_type[1]->type), "cpu") &&
		      !strcmp(pprof_read__str(p, p->sample_type[1]->unit), "nanoseconds"), "type 1");
	REQUIRE(p->period_type, "period_type");
	CHECK(!strcmp(pprof_read__str(p, p->period_type->type), "cpu") &&
		      !strcmp(pprof_read__str(p, p->period_type->unit), "nanoseconds"), "period type");
	CHECK(p->period == 10000000, "period %ld", p->period);
	CHECK(p->time_nanos == 1700000000000000000LL, "time %ld", p->time_nanos);
	CHECK(p->duration_nanos == 3000000000LL, "duration %ld", p->duration_nanos);
	CHECK(!strcmp(pprof_read__str(p, p->default_sample_type), "cpu"), "default type");
	REQUIRE(p->sample[0]->n_value == 2 && p->sample[1]->n_value == 2, "two values each");
	CHECK(p->sample[0]->value[0] == 3 && p->sample[0]->value[1] == 30000000, "values 1");
	CHECK(p->sample[1]->value[0] == -1 && p->sample[1]->value[1] == INT64_MAX, "values 2");
	REQUIRE(p->n_comment == 2, "%zu comments", p->n_comment);
	CHECK(!strcmp(pprof_read__str(p, p->comment[0]), "first"), "comment 0");
	CHECK(!strcmp(pprof_read__str(p, p->comment[1]), "second comment"), "comment 1");
	pprof_read__free(p);
}

TEST(bad_arguments)
{
	struct pprof_opts opts = cpu_opts;
	struct pprof_builder *b;
	int64_t v[2] = { 1, 1 };
	uint64_t loc, bad = 2;

	opts.default_sample_type = "wall";
	errno = 0;
	CHECK(!pprof_builder__new(&opts) && errno == EINVAL, "unknown default type: %d", errno);
	opts.default_sample_type = NULL;
	b = pprof_builder__new(&opts);
	REQUIRE(b, "new: %s", strerror(errno));
	errno = 0;
	CHECK(pprof_builder__location(b, 7, 0x10, NULL, 0) == 0 && errno == EINVAL,
	      "unknown mapping id");
	loc = pprof_builder__location(b, 0, 0x10, NULL, 0);
	CHECK(pprof_builder__add_sample(b, &bad, 1, v, NULL, 0) == -EINVAL, "dangling id");
	bad = 0;
	CHECK(pprof_builder__add_sample(b, &bad, 1, v, NULL, 0) == -EINVAL, "id 0");
	CHECK(pprof_builder__add_sample(b, &loc, 1, v, &(struct pprof_label){ .num = 1 }, 1) ==
		      -EINVAL, "label without key");
	CHECK(pprof_builder__add_sample(b, &loc, 1, v, NULL, 0) == 0, "still usable");
	pprof_builder__free(b);
	pprof_builder__free(NULL);
}

/* Adds the small profile the go-tool and file tests look at; returns its sample count. */
static int add_demo_profile(struct pprof_builder *b)
{
	struct pprof_line l1[] = { { "inlined_leaf", NULL, "/src/a.c", 10, 12 },
				   { "caller_fn", "_Z9caller_fnv", "/src/a.c", 20, 25 } };
	struct pprof_line l2[] = { { "main", NULL, "/src/main.c", 1, 5 } };
	struct pprof_line l3[] = { { .name = "[lost samples]" } };
	struct pprof_label lab1[] = { { "pid", NULL, 42, NULL }, { "comm", "demo", 0, NULL },
				      { "bytes", NULL, 4096, "bytes" } };
	struct pprof_label lab2[] = { { "pid", NULL, 43, NULL }, { "comm", "other", 0, NULL } };
	int64_t v1[] = { 3, 30000000 }, v2[] = { 2, 20000000 }, v3[] = { 1, 10000000 };
	uint64_t m = pprof_builder__mapping(b, &demo_map), s1[2], s2, s3;
	int err;

	s1[0] = pprof_builder__location(b, m, 0x401000, l1, 2);
	s1[1] = s2 = pprof_builder__location(b, m, 0x402000, l2, 1);
	s3 = pprof_builder__location(b, 0, 0, l3, 1);
	err = pprof_builder__add_sample(b, s1, 2, v1, lab1, 3);
	err = err ?: pprof_builder__add_sample(b, &s2, 1, v2, lab2, 2);
	err = err ?: pprof_builder__add_sample(b, &s3, 1, v3, NULL, 0);
	err = err ?: pprof_builder__add_comment(b, "hello comment");
	return err ? err : 3;
}

static int count_dir(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int write_demo(const char *path, int n_extra)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	int64_t v[2] = { 1, 1 };
	uint64_t loc;
	int i, err;

	if (!b)
		return -errno;
	err = add_demo_profile(b) < 0 ? -ENOMEM : 0;
	for (i = 0; i < n_extra && !err; i++) {
		loc = pprof_builder__location(b, 0, 0x1000 + i, &(struct pprof_line){ .name = "x" }, 1);
		err = pprof_builder__add_sample(b, &loc, 1, v, NULL, 0);
	}
	err = err ?: pprof_builder__write(b, path);
	pprof_builder__free(b);
	return err;
}

/* Returns what write_demo returned in a child running as nobody, -EPERM if it cannot. */
static int write_as_nobody(const char *path)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -EPERM;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(EPERM);
		_exit(-write_demo(path, 0));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -EPERM;
	return -WEXITSTATUS(status);
}

TEST(write_mode_and_replace)
{
	char dir[512], path[600];
	struct stat st;
	mode_t old;
	Profile *p;
	int err, fd;

	snprintf(dir, sizeof(dir), "%s/write", tmpdir);
	snprintf(path, sizeof(path), "%s/cpu.pb.gz", dir);
	err = mkdir(dir, 0700) ? -errno : 0;
	REQUIRE(err == 0, "mkdir %s: %s", dir, strerror(-err));
	/* an old, world-readable file in the way */
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	err = fd >= 0 && write(fd, "old", 3) == 3 ? 0 : -1;
	close(fd);
	REQUIRE(err == 0, "old file");
	chmod(path, 0644);
	old = umask(0);	/* a mode derived from the umask would show up as 0666 */
	err = write_demo(path, 20000);
	umask(old);
	REQUIRE(err == 0, "write: %s", strerror(-err));
	err = stat(path, &st) ? -errno : 0;
	REQUIRE(err == 0, "stat: %s", strerror(-err));
	CHECK((st.st_mode & 07777) == 0600, "mode %o", st.st_mode & 07777);
	CHECK(count_dir(dir) == 1, "%d entries: a temp file was left", count_dir(dir));
	/* a smaller profile replaces the larger one whole */
	err = write_demo(path, 0);
	REQUIRE(err == 0, "second write: %s", strerror(-err));
	p = pprof_read__file(path);
	REQUIRE(p, "read %s: %s", path, strerror(errno));
	CHECK(p->n_sample == 3, "%zu samples: not the second profile", p->n_sample);
	pprof_read__free(p);
	CHECK(count_dir(dir) == 1, "%d entries after replace", count_dir(dir));
}

TEST(write_failures)
{
	char dir[512], path[600];
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/no-such-dir/cpu.pb.gz", tmpdir);
	err = write_demo(path, 0);
	CHECK(err == -ENOENT, "missing dir: %d", err);

	/* rename onto a directory fails after the temp file exists: it must be removed */
	snprintf(dir, sizeof(dir), "%s/fail", tmpdir);
	snprintf(path, sizeof(path), "%s/cpu.pb.gz", dir);
	err = mkdir(dir, 0700) || mkdir(path, 0700) ? -errno : 0;
	REQUIRE(err == 0, "mkdir: %s", strerror(-err));
	err = write_demo(path, 0);
	CHECK(err == -EISDIR, "target is a directory: %d", err);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "target untouched");
	CHECK(count_dir(dir) == 1, "%d entries: a temp file was left", count_dir(dir));
	rmdir(path);

	/* root ignores directory permissions: the write is tried by nobody instead */
	chmod(tmpdir, 0755);
	chmod(dir, 0555);
	err = geteuid() == 0 ? write_as_nobody(path) : write_demo(path, 0);
	chmod(tmpdir, 0700);
	if (err == -EPERM)
		printf("    (cannot drop to nobody: EACCES not checked)\n");
	else
		CHECK(err == -EACCES, "unwritable dir: %d", err);
	CHECK(count_dir(dir) == 0, "%d entries in unwritable dir", count_dir(dir));
	chmod(dir, 0700);
}

/* NULL when `go tool pprof` can be run; otherwise the reason it cannot. */
static const char *go_missing(void)
{
	static int ok = -1;
	char cache[600], cwd[512];

	if (ok < 0) {
		if (!getenv("GOCACHE") && getcwd(cwd, sizeof(cwd))) {
			snprintf(cache, sizeof(cache), "%s/build/go-cache", cwd);
			setenv("GOCACHE", cache, 0);
		}
		ok = system("go version >/dev/null 2>&1") == 0;
	}
	return ok ? NULL : "go is not installed: `go tool pprof` is the reader under test";
}

/* Returns the stdout of `go tool pprof ARGS FILE` (malloc'ed), or NULL after printing its
 * stderr when it fails. */
static char *go_pprof(const char *args, const char *file)
{
	char cmd[2048], errpath[600], line[512];
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	FILE *f;
	size_t n;

	snprintf(errpath, sizeof(errpath), "%s/go.stderr", tmpdir);
	snprintf(cmd, sizeof(cmd), "go tool pprof %s '%s' 2>'%s'", args, file, errpath);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!out || !f) {
		free(out);
		return NULL;
	}
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	if (pclose(f) != 0) {
		printf("    `%s` failed:\n", cmd);
		f = fopen(errpath, "r");
		while (f && fgets(line, sizeof(line), f))
			printf("      %s", line);
		if (f)
			fclose(f);
		free(out);
		return NULL;
	}
	return out;
}

struct raw_sample {
	long long v[2];
	char locs[64];
};

/* Parses the "Samples:" section of `pprof -raw`: "  3   30000000: 1 2 " per sample. */
static int raw_samples(const char *out, struct raw_sample *s, int max)
{
	const char *p = strstr(out, "\nSamples:\n"), *eol;
	int n = 0, at, len;

	if (!p || !(p = strchr(p + 10, '\n')))
		return -1;
	for (p++; *p && strncmp(p, "Locations", 9); p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		if (n == max || sscanf(p, " %lld %lld: %n", &s[n].v[0], &s[n].v[1], &at) != 2 ||
		    p + at > eol)
			continue;
		len = eol - (p + at);
		while (len > 0 && p[at + len - 1] == ' ')
			len--;
		snprintf(s[n].locs, sizeof(s[n].locs), "%.*s", len, p + at);
		n++;
	}
	return n;
}

static bool has_sample(const struct raw_sample *s, int n, long long v0, long long v1,
		       const char *locs)
{
	int i;

	for (i = 0; i < n; i++) {
		if (s[i].v[0] == v0 && s[i].v[1] == v1 && !strcmp(s[i].locs, locs))
			return true;
	}
	return false;
}

TEST(go_pprof_raw)
{
	static const char *const want[] = {
		"PeriodType: cpu nanoseconds\n", "Period: 10000000\n", "Duration: 3s\n",
		"Comment: hello comment\n", "samples/count cpu/nanoseconds[dflt]\n",
		"comm:[demo]", "comm:[other]", "pid:[42]", "pid:[43]", "bytes:[4096 bytes]",
		"1: 0x401000 M=1 inlined_leaf /src/a.c:12 s=10\n",
		"      caller_fn /src/a.c:25 s=20(_Z9caller_fnv)\n",
		"2: 0x402000 M=1 main /src/main.c:5 s=1\n",
		"3: 0x0 [lost samples] :0 s=0\n",
		"1: 0x400000/0x500000/0x1000 /usr/bin/demo abcdef0123 [FN][FL][LN][IN]\n",
	};
	struct raw_sample s[8];
	char path[600], *out;
	size_t i;
	int n;

	if (go_missing())
		SKIP("%s", go_missing());
	snprintf(path, sizeof(path), "%s/raw.pb.gz", tmpdir);
	n = write_demo(path, 0);
	REQUIRE(n == 0, "write: %d", n);
	out = go_pprof("-raw", path);
	REQUIRE(out, "go tool pprof -raw");
	n = raw_samples(out, s, 8);
	CHECK(n == 3, "%d samples in:\n%s", n, out);
	CHECK(has_sample(s, n, 3, 30000000, "1 2"), "sample 1 (leaf first)");
	CHECK(has_sample(s, n, 2, 20000000, "2"), "sample 2");
	CHECK(has_sample(s, n, 1, 10000000, "3"), "sample 3");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(strstr(out, want[i]), "`%s` not in -raw output", want[i]);
	free(out);
}

TEST(go_pprof_tagfocus)
{
	static const struct {
		const char *args;
		long long v0;
	} cases[] = {
		{ "-raw -tagfocus=pid=42", 3 },		/* numeric label */
		{ "-raw -tagfocus=bytes=1kb:8kb", 3 },	/* numeric label with a unit */
		{ "-raw -tagfocus=comm=other", 2 },	/* string label */
	};
	struct raw_sample s[8];
	char path[600], *out;
	size_t i;
	int n;

	if (go_missing())
		SKIP("%s", go_missing());
	snprintf(path, sizeof(path), "%s/tags.pb.gz", tmpdir);
	n = write_demo(path, 0);
	REQUIRE(n == 0, "write: %d", n);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = go_pprof(cases[i].args, path);
		REQUIRE(out, "go tool pprof %s", cases[i].args);
		n = raw_samples(out, s, 8);
		CHECK(n == 1 && s[0].v[0] == cases[i].v0, "%s: %d samples, first %lld",
		      cases[i].args, n, n > 0 ? s[0].v[0] : -1);
		free(out);
	}
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* "Showing nodes accounting for X, 100% of TOTAL total": returns TOTAL. */
static long long top_total(const char *out)
{
	const char *p = strstr(out, "Showing nodes accounting for");
	long long total = -1;

	p = p ? strstr(p, "% of ") : NULL;
	if (p)
		sscanf(p + 5, "%lld", &total);
	return total;
}

TEST(go_pprof_top_totals)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	long long sum[2] = { 0, 0 };
	char path[600], name[32], *out;
	struct pprof_line line = { .name = name };
	uint64_t locs[100], stack[4];
	int64_t v[2];
	int i, j, err = 0;

	if (go_missing()) {
		pprof_builder__free(b);
		SKIP("%s", go_missing());
	}
	REQUIRE(b, "new");
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "fn_%d", i);
		locs[i] = pprof_builder__location(b, 0, 0x1000 + i, &line, 1);
	}
	for (i = 0; i < 500; i++) {
		for (j = 0; j < 4; j++)
			stack[j] = locs[rnd() % 100];
		v[0] = 1 + rnd() % 5;
		v[1] = v[0] * 10000000 + rnd() % 1000;
		sum[0] += v[0];
		sum[1] += v[1];
		err = err ?: pprof_builder__add_sample(b, stack, 1 + i % 4, v, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/top.pb.gz", tmpdir);
	err = err ?: pprof_builder__write(b, path);
	pprof_builder__free(b);
	REQUIRE(err == 0, "add, write: %d", err);
	out = go_pprof("-top -nodecount=1 -sample_index=samples", path);
	REQUIRE(out, "-top samples");
	CHECK(top_total(out) == sum[0], "samples total %lld, want %lld", top_total(out), sum[0]);
	free(out);
	out = go_pprof("-top -nodecount=1 -sample_index=cpu -unit=ns", path);
	REQUIRE(out, "-top cpu");
	CHECK(top_total(out) == sum[1], "cpu total %lld, want %lld", top_total(out), sum[1]);
	free(out);
}

static int gzip_buf(const void *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	z_stream zs = { .next_in = (Bytef *)in, .avail_in = len, .next_out = out,
			.avail_out = cap };
	int ret;

	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	ret = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return ret == Z_STREAM_END ? 0 : -1;
}

static int gunzip_buf(const void *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	z_stream zs = { .next_in = (Bytef *)in, .avail_in = len, .next_out = out,
			.avail_out = cap };
	int ret;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return -1;
	ret = inflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return ret == Z_STREAM_END ? 0 : -1;
}

/* Expects pprof_read__buf to refuse buf with errno want (0: any errno). */
static void check_refused(const void *buf, size_t len, int want, const char *what)
{
	Profile *p;

	errno = 0;
	p = pprof_read__buf(buf, len);
	CHECK(!p, "%s: accepted", what);
	CHECK(want ? errno == want : errno != 0, "%s: errno %d (%s)", what, errno,
	      strerror(errno));
	pprof_read__free(p);
}

TEST(read_rejects_garbage)
{
	static uint8_t junk[4096], gz[8192];
	size_t i, gz_len;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rnd();
	check_refused(junk, sizeof(junk), EINVAL, "random bytes");
	check_refused("hello, world\n", 13, EINVAL, "text");
	check_refused("", 0, EINVAL, "empty input");
	check_refused(NULL, 5, EINVAL, "NULL with a length");
	check_refused("\x1f\x8b", 2, EINVAL, "bare gzip magic");
	i = gzip_buf(junk, sizeof(junk), gz, sizeof(gz), &gz_len);
	REQUIRE(i == 0, "gzip");
	check_refused(gz, gz_len, EINVAL, "gzipped random bytes");
	/* a valid protobuf (field 6 = "x") that breaks pprof's rule string_table[0] == "" */
	check_refused("\x32\x01x", 3, EINVAL, "string_table[0] not empty");
	CHECK(!strcmp(pprof_read__str(NULL, 0), ""), "str of NULL");
	errno = 0;
	CHECK(!pprof_read__file("/nonexistent/x.pb.gz") && errno == ENOENT, "missing file");
}

/* The demo profile, encoded (gzipped) and plain. */
struct demo_bytes {
	void *gz;
	size_t gz_len;
	uint8_t plain[4096];
	size_t plain_len;
};

static int demo_bytes(struct demo_bytes *d)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	int err = b ? 0 : -errno;

	err = err ?: (add_demo_profile(b) < 0 ? -ENOMEM : 0);
	err = err ?: pprof_builder__encode(b, &d->gz, &d->gz_len);
	pprof_builder__free(b);
	if (!err && gunzip_buf(d->gz, d->gz_len, d->plain, sizeof(d->plain), &d->plain_len))
		err = -EINVAL;
	return err;
}

TEST(read_gzip_variants)
{
	struct demo_bytes d = { 0 };
	uint8_t cat[8192], *bad;
	size_t n1, n2;
	Profile *p;
	int err;

	err = demo_bytes(&d);
	REQUIRE(err == 0, "demo profile: %d", err);
	p = pprof_read__buf(d.plain, d.plain_len);
	CHECK(p && p->n_sample == 3, "plain protobuf accepted");
	pprof_read__free(p);
	check_refused(d.gz, d.gz_len / 2, EINVAL, "gzip cut in half");
	check_refused(d.gz, d.gz_len - 1, EINVAL, "gzip missing its last byte");
	check_refused(d.gz, 10, EINVAL, "gzip header only");
	bad = malloc(d.gz_len + 4);
	REQUIRE(bad, "malloc");
	memcpy(bad, d.gz, d.gz_len);
	bad[d.gz_len - 6] ^= 0xff;	/* the CRC-32 in the trailer */
	check_refused(bad, d.gz_len, EINVAL, "bad CRC");
	bad[d.gz_len - 6] ^= 0xff;
	memcpy(bad + d.gz_len, "junk", 4);
	check_refused(bad, d.gz_len + 4, EINVAL, "trailing garbage");
	free(bad);
	/* two gzip members whose contents concatenate to the profile, as `cat a.gz b.gz` */
	err = gzip_buf(d.plain, d.plain_len / 2, cat, sizeof(cat), &n1) ||
	      gzip_buf(d.plain + d.plain_len / 2, d.plain_len - d.plain_len / 2, cat + n1,
		       sizeof(cat) - n1, &n2);
	REQUIRE(err == 0, "gzip halves");
	p = pprof_read__buf(cat, n1 + n2);
	CHECK(p && p->n_sample == 3 && p->n_location == 3, "concatenated members");
	pprof_read__free(p);
	free(d.gz);
}

TEST(read_size_cap)
{
	struct demo_bytes d = { 0 };
	Profile *p;
	int err;

	err = demo_bytes(&d);
	REQUIRE(err == 0, "demo profile: %d", err);
	p = pprof_read__buf_limit(d.gz, d.gz_len, d.plain_len);
	CHECK(p, "exactly at the cap: %s", strerror(errno));
	pprof_read__free(p);
	errno = 0;
	p = pprof_read__buf_limit(d.gz, d.gz_len, d.plain_len - 1);
	CHECK(!p && errno == EFBIG, "one byte over the cap: errno %d", errno);
	pprof_read__free(p);
	errno = 0;
	p = pprof_read__buf_limit(d.plain, d.plain_len, d.plain_len - 1);
	CHECK(!p && errno == EFBIG, "plain input over the cap: errno %d", errno);
	pprof_read__free(p);
	free(d.gz);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Adds 50k locations (10k functions, some inlined) and 200k samples of depth 1..16. */
static int add_big_profile(struct pprof_builder *b)
{
	struct pprof_line lines[2] = { { .filename = "/src/big.c" }, { .filename = "/src/big.c" } };
	struct pprof_label label = { .key = "pid" };
	char n0[32], n1[32];
	static uint64_t locs[50000];
	uint64_t stack[16], m;
	int64_t v[2];
	int i, j, err = 0;

	m = pprof_builder__mapping(b, &demo_map);
	lines[0].name = n0;
	lines[1].name = n1;
	for (i = 0; i < 50000; i++) {
		snprintf(n0, sizeof(n0), "fn_%d", i % 10000);
		snprintf(n1, sizeof(n1), "outer_%d", i % 7000);
		lines[0].line = lines[1].line = i;
		locs[i] = pprof_builder__location(b, m, 0x400000 + 16 * i, lines, 1 + i % 2);
		if (!locs[i])
			return -ENOMEM;
	}
	for (i = 0; i < 200000 && !err; i++) {
		for (j = 0; j < 16; j++)
			stack[j] = locs[rnd() % 50000];
		v[0] = 1;
		v[1] = 10000000;
		label.num = 1000 + i % 50;
		err = pprof_builder__add_sample(b, stack, 1 + i % 16, v, &label, 1);
	}
	return err;
}

/* The plain encoding is the gzipped one's content: not gzipped (pprof_read takes it as is),
 * and the same protobuf bytes as the decoded gzip encodes to. */
static void check_same_bytes(const Profile *gz, const void *plain, size_t plain_len)
{
	size_t n = perftools__profiles__profile__get_packed_size(gz);
	uint8_t *again = malloc(n ? n : 1);

	CHECK(plain_len >= 2 && ((const uint8_t *)plain)[0] != 0x1f, "plain bytes look gzipped");
	if (!again)
		return;
	perftools__profiles__profile__pack(gz, again);
	CHECK(n == plain_len && !memcmp(again, plain, n), "plain (%zu bytes) differs from the "
	      "gzipped encoding's content (%zu bytes)", plain_len, n);
	free(again);
}

TEST(plain_encoding)
{
	struct pprof_line lines[] = { { "f", NULL, "/src/x.c", 1, 2 } };
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	int64_t v[2] = { 3, 30000000 };
	void *plain = NULL;
	size_t len = 0;
	uint64_t loc;
	Profile *p;

	REQUIRE(b, "new: %s", strerror(errno));
	loc = pprof_builder__location(b, pprof_builder__mapping(b, &demo_map), 0x10, lines, 1);
	CHECK(pprof_builder__add_sample(b, &loc, 1, v, NULL, 0) == 0, "sample");
	CHECK(pprof_builder__encode_plain(b, &plain, &len) == 0, "encode_plain");
	p = roundtrip(b);
	pprof_builder__free(b);
	REQUIRE(p && plain, "encoded");
	check_same_bytes(p, plain, len);
	pprof_read__free(p);
	p = pprof_read__buf(plain, len);
	REQUIRE(p, "read plain: %s", strerror(errno));
	CHECK(p->n_sample == 1 && p->sample[0]->n_value == 2 && p->sample[0]->value[1] == 30000000,
	      "the sample read back from the plain bytes");
	pprof_read__free(p);
	free(plain);
}

TEST(large_profile_speed)
{
	struct pprof_builder *b = pprof_builder__new(&cpu_opts);
	double t0, t1, t2, t3, t4;
	void *buf = NULL, *plain = NULL;
	size_t len = 0, plain_len = 0;
	Profile *p;
	int err;

	REQUIRE(b, "new");
	t0 = now();
	err = add_big_profile(b);
	t1 = now();
	err = err ?: pprof_builder__encode(b, &buf, &len);
	t2 = now();
	err = err ?: pprof_builder__encode_plain(b, &plain, &plain_len);
	t3 = now();
	pprof_builder__free(b);
	REQUIRE(err == 0, "build/encode: %d", err);
	p = pprof_read__buf(buf, len);
	t4 = now();
	printf("    200k samples, 50k locations, CPU time: add %.3fs, encode %.3fs (%zu KiB gz), "
	       "plain %.3fs (%zu KiB), read %.3fs\n", t1 - t0, t2 - t1, len / 1024, t3 - t2,
	       plain_len / 1024, t4 - t3);
	CHECK(t2 - t0 < 10.0, "build and encode took %.1f s of CPU", t2 - t0);
	REQUIRE(p, "read back: %s", strerror(errno));
	CHECK(p->n_sample == 200000, "%zu samples", p->n_sample);
	CHECK(p->n_location == 50000, "%zu locations", p->n_location);
	/* fn_0..9999, and outer_N on odd i only: 3500 odd residues mod 7000 */
	CHECK(p->n_function == 13500, "%zu functions", p->n_function);
	check_same_bytes(p, plain, plain_len);
	pprof_read__free(p);
	free(plain);
	free(buf);
}

int main(void)
{
	CHECK_SUITE("pprof");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: pprof/setup: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	RUN(string_table_dedup);
	RUN(mapping_dedup_and_flags);
	RUN(location_and_function_dedup);
	RUN(synthetic_locations);
	RUN(inline_lines_order);
	RUN(labels);
	RUN(header_values_and_comments);
	RUN(bad_arguments);
	RUN(write_mode_and_replace);
	RUN(write_failures);
	RUN(go_pprof_raw);
	RUN(go_pprof_tagfocus);
	RUN(go_pprof_top_totals);
	RUN(read_rejects_garbage);
	RUN(read_gzip_variants);
	RUN(read_size_cap);
	RUN(plain_encoding);
	RUN(large_profile_speed);
	if (!getenv("KEEP_TMP")) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmpdir, tmpdir);
		if (system(cmd) != 0)
			printf("    could not remove %s\n", tmpdir);
	}
	return CHECK_EXIT();
}
