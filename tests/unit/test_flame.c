// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flame.html's writer: the JSON inside the page (unpacked here: base64, then gzip) is checked
 * byte for byte on a small profile, and for a base, escaping, clamping, the file's mode and
 * atomic replacement, and the time and size of a 100k-stack profile. The page's behaviour
 * in a browser is tests/e2e/flame_browser.sh's. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "flame.h"

static char tmpdir[] = "/tmp/test_flame-XXXXXX";

/* A struct pmodel built by hand, as pmodel__read_file would fill it. */
struct fake {
	struct pmodel pm;
	size_t cap_funcs, cap_frames, cap_sf, cap_samples, cap_values;
	char **names;	/* the functions' names, owned */
	size_t n_names, cap_names;
};

#define GROW(p, n, cap)                                                                   \
	do {                                                                              \
		if ((n) >= (cap)) {                                                       \
			(cap) = (cap) ? 2 * (cap) : 16;                                   \
			(p) = realloc((p), (cap) * sizeof(*(p)));                         \
			if (!(p))                                                         \
				abort();                                                  \
		}                                                                         \
	} while (0)

static const char *cpu_names[] = { "samples", "cpu" };
static const char *cpu_units[] = { "count", "nanoseconds" };
static const char *no_procs[] = { "" };

static void fake_init(struct fake *f, size_t n_types, const char **names, const char **units)
{
	*f = (struct fake){ .pm = { .n_types = n_types, .type_names = names, .type_units = units,
				    .default_type = n_types ? n_types - 1 : 0,
				    .procs = no_procs, .n_procs = 1,
				    .threads = no_procs, .n_threads = 1 } };
}

static void fake_free(struct fake *f)
{
	while (f->n_names)
		free(f->names[--f->n_names]);
	free(f->names);
	free(f->pm.funcs);
	free(f->pm.frames);
	free(f->pm.stack_frames);
	free(f->pm.samples);
	free(f->pm.values);
}

/* The frame of (name, module, kind), added when new. */
static uint32_t fake_frame(struct fake *f, const char *name, const char *module, uint8_t kind)
{
	struct pmodel *pm = &f->pm;
	size_t i;

	for (i = 0; i < pm->n_frames; i++)
		if (!strcmp(pm->funcs[pm->frames[i].func].name, name) && pm->frames[i].kind == kind)
			return i;
	for (i = 0; i < pm->n_funcs && strcmp(pm->funcs[i].name, name); i++)
		;
	if (i == pm->n_funcs) {
		GROW(f->names, f->n_names, f->cap_names);
		f->names[f->n_names] = strdup(name);
		GROW(pm->funcs, pm->n_funcs, f->cap_funcs);
		pm->funcs[pm->n_funcs++] = (struct pm_func){ f->names[f->n_names++], "", module };
	}
	GROW(pm->frames, pm->n_frames, f->cap_frames);
	pm->frames[pm->n_frames] = (struct pm_frame){ .func = i, .kind = kind };
	return pm->n_frames++;
}

/* Adds a sample of frame indices (root first) with values v[n_types]. */
static void fake_sample_frames(struct fake *f, const uint32_t *frames, size_t depth,
			       uint32_t proc, uint32_t thread, const int64_t *v)
{
	struct pmodel *pm = &f->pm;
	size_t i;

	GROW(pm->samples, pm->n_samples, f->cap_samples);
	pm->samples[pm->n_samples] = (struct pm_sample){ .first = pm->n_stack_frames,
							 .depth = depth, .proc = proc,
							 .thread = thread };
	for (i = 0; i < depth; i++) {
		GROW(pm->stack_frames, pm->n_stack_frames, f->cap_sf);
		pm->stack_frames[pm->n_stack_frames++] = frames[i];
	}
	for (i = 0; i < pm->n_types; i++) {
		GROW(pm->values, pm->n_samples * pm->n_types + i, f->cap_values);
		pm->values[pm->n_samples * pm->n_types + i] = v[i];
	}
	pm->n_samples++;
}

/* stack: "main;work;k:schedule", root first; a "k:" prefix makes a kernel frame, "s:" a
 * synthetic one. Functions are in module "app", kernel ones in "vmlinux". */
static void fake_sample(struct fake *f, const char *stack, uint32_t proc, uint32_t thread,
			int64_t v0, int64_t v1)
{
	char *copy = strdup(stack), *save = NULL, *name;
	uint32_t frames[64];
	int64_t v[2] = { v0, v1 };
	size_t depth = 0;
	uint8_t kind;

	for (name = strtok_r(copy, ";", &save); name && depth < 64;
	     name = strtok_r(NULL, ";", &save)) {
		kind = PM_NATIVE;
		if (name[0] && name[1] == ':') {
			kind = name[0] == 'k' ? PM_KERNEL : PM_SYNTHETIC;
			name += 2;
		}
		frames[depth++] = fake_frame(f, name, kind == PM_KERNEL ? "vmlinux" : "app", kind);
	}
	fake_sample_frames(f, frames, depth, proc, thread, v);
	free(copy);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = 0;
			*len = n;
		}
	}
	fclose(fp);
	return buf;
}

static int b64_val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;

	return p ? (int)(p - tab) : -1;
}

/* The JSON inside a page: the data element's base64, decoded and gunzipped. */
static char *page_json(const char *page)
{
	static const char open_tag[] = "<script id=\"cprof-data\" type=\"application/octet-stream\">";
	const char *p = strstr(page, open_tag), *end;
	unsigned char *bin;
	size_t n = 0, out_cap = 1 << 20;
	uint32_t acc = 0;
	int bits = 0, v;
	char *out;
	z_stream zs = { 0 };

	if (!p || !(end = strstr(p, "</script>")))
		return NULL;
	p += sizeof(open_tag) - 1;
	bin = malloc(end - p);
	for (; p < end && *p != '='; p++) {
		v = b64_val(*p);
		if (v < 0) {
			free(bin);
			return NULL;
		}
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bin[n++] = acc >> bits;
		}
	}
	out = malloc(out_cap);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		abort();
	zs.next_in = bin;
	zs.avail_in = n;
	for (;;) {
		zs.next_out = (unsigned char *)out + zs.total_out;
		zs.avail_out = out_cap - 1 - zs.total_out;
		v = inflate(&zs, Z_NO_FLUSH);
		if (v == Z_STREAM_END)
			break;
		if (v != Z_OK && v != Z_BUF_ERROR) {
			free(out);
			out = NULL;
			break;
		}
		out_cap *= 2;
		out = realloc(out, out_cap);
	}
	if (out)
		out[zs.total_out] = 0;
	inflateEnd(&zs);
	free(bin);
	return out;
}

/* Writes the page of in[n] to tmpdir/name and returns its JSON (NULL on failure). */
static char *write_and_read(const char *name, const struct flame_input *in, size_t n,
			    const char *title, char **page_out)
{
	struct flame_opts o = { .title = title };
	char path[256], *page, *json;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	err = flame__write(path, in, n, &o);
	if (err) {
		printf("    flame__write %s: %s\n", path, strerror(-err));
		return NULL;
	}
	page = read_all(path, &len);
	json = page ? page_json(page) : NULL;
	if (page_out)
		*page_out = page;
	else
		free(page);
	return json;
}

static const char *app_procs[] = { "", "app (7)" };
static const char *app_threads[] = { "", "worker" };

static void small_model(struct fake *f)
{
	fake_init(f, 2, cpu_names, cpu_units);
	f->pm.procs = app_procs;
	f->pm.n_procs = 2;
	f->pm.threads = app_threads;
	f->pm.n_threads = 2;
	fake_sample(f, "main;work;leaf", 1, 1, 1, 10);
	fake_sample(f, "main;work;leaf", 1, 1, 2, 20);
	fake_sample(f, "main;k:schedule", 1, 0, 1, 5);
	fake_sample(f, "main;work", 0, 0, 1, 7);
}

/* The whole document of a small profile: strings and functions named once, stacks merged
 * into a trie whose parents come first, equal (node, process, thread) samples summed. */
TEST(json_document)
{
	static const char want[] =
		"{\"v\":1,\"title\":\"t\",\"profiles\":[{\"label\":\"cpu\","
		"\"types\":[[9,10],[11,12]],\"default\":1,\"procs\":[0,7],\"threads\":[0,8],"
		"\"nodes\":[0,0,0,1,1,0,1,2,0,1,3,0,3,4,1],"
		"\"samples\":[2,0,0,1,7,3,1,1,3,30,4,1,0,1,5],\"base\":null}],"
		"\"strings\":[\"\",\"main\",\"app\",\"work\",\"leaf\",\"schedule\",\"vmlinux\","
		"\"app (7)\",\"worker\",\"samples\",\"count\",\"cpu\",\"nanoseconds\"],"
		"\"funcs\":[0,0,0,1,0,2,3,0,2,4,0,2,5,0,6]}";
	struct fake f;
	struct flame_input in;
	char *json;

	small_model(&f);
	in = (struct flame_input){ .label = "cpu", .pm = &f.pm };
	json = write_and_read("small.html", &in, 1, "t", NULL);
	REQUIRE(json, "no JSON in the page");
	CHECK(!strcmp(json, want), "got\n%s\nwant\n%s", json, want);
	free(json);
	fake_free(&f);
}

static const char *base_names[] = { "cpu", "alloc" };
static const char *base_units[] = { "nanoseconds", "bytes" };
static const char *base_procs[] = { "", "db (9)" };

/* A base shares the profile's trie and lines its types up by name and unit: "samples" is
 * missing from it (0), its "alloc" is dropped; its processes join the profile's. */
TEST(base_aligned)
{
	struct fake f, b;
	struct flame_input in;
	char *json;

	small_model(&f);
	fake_init(&b, 2, base_names, base_units);
	b.pm.procs = base_procs;
	b.pm.n_procs = 2;
	fake_sample(&b, "main;work;leaf", 1, 0, 40, 999);
	fake_sample(&b, "main;gone", 0, 0, 3, 999);
	in = (struct flame_input){ .label = "cpu", .pm = &f.pm, .base = &b.pm };
	json = write_and_read("base.html", &in, 1, "t", NULL);
	REQUIRE(json, "no JSON in the page");
	/* "gone" is string 9 and function 5, node 5 under main (node 1); "db (9)" string 10. */
	CHECK(strstr(json, "\"nodes\":[0,0,0,1,1,0,1,2,0,1,3,0,3,4,1,4,5,0]"), "%s", json);
	CHECK(strstr(json, "\"procs\":[0,7,10]"), "%s", json);
	CHECK(strstr(json, "\"base\":[3,2,0,0,40,5,0,0,0,3]"), "%s", json);
	free(json);
	fake_free(&f);
	fake_free(&b);
}

/* Names come from any profile: JSON escapes, U+FFFD for bytes that are not UTF-8 (a lone
 * continuation byte, an overlong form, a surrogate), UTF-8 kept; the title HTML-escaped in
 * <title>; values past 2^53 clamped where JavaScript's numbers stop being exact. */
TEST(escaping_and_clamping)
{
	static const char *odd = "q\"b\\s\x01\x7f|\xff|\xc0\xaf|\xed\xa0\x80|na\xc3\xafve\xe2\x9c\x93";
	const char *types[] = { "samples" }, *units[] = { "count" };
	struct fake f;
	struct flame_input in;
	char *json, *page = NULL;
	uint32_t fr;
	int64_t big = INT64_C(1) << 60, neg = -(INT64_C(1) << 60);

	fake_init(&f, 1, types, units);
	fr = fake_frame(&f, odd, "app", PM_NATIVE);
	fake_sample_frames(&f, &fr, 1, 0, 0, &big);
	fr = fake_frame(&f, "neg", "app", PM_NATIVE);
	fake_sample_frames(&f, &fr, 1, 0, 0, &neg);
	in = (struct flame_input){ .label = "x</script>", .pm = &f.pm };
	json = write_and_read("odd.html", &in, 1, "<b>&'\"</title>", &page);
	REQUIRE(json && page, "no page");
	CHECK(strstr(json, "\"q\\\"b\\\\s\\u0001\x7f|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
			   "na\xc3\xafve\xe2\x9c\x93\""), "%s", json);
	CHECK(strstr(json, "\"samples\":[1,0,0,9007199254740992,2,0,0,-9007199254740992]"),
	      "%s", json);
	CHECK(strstr(json, "\"label\":\"x</script>\""), "%s", json);
	CHECK(strstr(page, "<title>&lt;b&gt;&amp;&#39;&quot;&lt;/title&gt;</title>"),
	      "the title is not escaped");
	CHECK(strstr(json, "\"title\":\"<b>&'\\\"</title>\""), "%s", json);
	free(json);
	free(page);
	fake_free(&f);
}

/* Several profiles share one string and function table; an empty profile and one without
 * sample types are written as such. */
TEST(several_profiles)
{
	struct fake a, empty, untyped;
	struct flame_input in[3];
	char *json;

	small_model(&a);
	fake_init(&empty, 2, cpu_names, cpu_units);
	fake_init(&untyped, 0, NULL, NULL);
	in[0] = (struct flame_input){ .label = "cpu", .pm = &a.pm };
	in[1] = (struct flame_input){ .label = "block", .pm = &empty.pm };
	in[2] = (struct flame_input){ .label = NULL, .pm = &untyped.pm };
	json = write_and_read("several.html", in, 3, NULL, NULL);
	REQUIRE(json, "no JSON in the page");
	CHECK(strstr(json, "{\"label\":\"block\",\"types\":[[9,10],[11,12]],\"default\":1,"
			   "\"procs\":[0],\"threads\":[0],\"nodes\":[0,0,0],\"samples\":[],"
			   "\"base\":null}"), "%s", json);
	CHECK(strstr(json, "{\"label\":\"profile\",\"types\":[],\"default\":0,"), "%s", json);
	CHECK(strstr(json, "\"title\":\"cprof-bpf\""), "%s", json);
	CHECK(strstr(json, "\"funcs\":[0,0,0,1,0,2,3,0,2,4,0,2,5,0,6]}"), "%s", json);
	free(json);
	fake_free(&a);
	fake_free(&empty);
	fake_free(&untyped);
}

/* The page names nothing to fetch: no URL, no import, no external script or style. */
TEST(self_contained)
{
	static const char *const banned[] = { "http:", "https:", "//cdn", "@import", "src=",
					      "href=", "url(", "fetch(", "XMLHttpRequest" };
	struct fake f;
	struct flame_input in;
	char *json, *page = NULL;
	size_t i;

	small_model(&f);
	in = (struct flame_input){ .label = "cpu", .pm = &f.pm };
	json = write_and_read("plain.html", &in, 1, "t", &page);
	REQUIRE(json && page, "no page");
	for (i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		CHECK(!strstr(page, banned[i]), "the page holds \"%s\"", banned[i]);
	CHECK(!strstr(page, "@TITLE@") && !strstr(page, "@DATA@") && !strstr(page, "@JS@") &&
	      !strstr(page, "@CSS@"), "a template mark is left in the page");
	CHECK(strstr(page, "window.cprofFlame") && strstr(page, "#flame"), "no script or style");
	free(json);
	free(page);
	fake_free(&f);
}

/* Mode 0600, an existing file replaced whole, a symlink at the path replaced and not
 * followed, and the errno of a folder that does not exist. */
TEST(file_mode_and_replace)
{
	struct fake f;
	struct flame_input in;
	char path[256], victim[256], dir[256];
	struct stat sb;
	size_t len = 0;
	char *data;
	FILE *fp;

	small_model(&f);
	in = (struct flame_input){ .label = "cpu", .pm = &f.pm };
	snprintf(path, sizeof(path), "%s/mode.html", tmpdir);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	fp = fopen(victim, "w");
	REQUIRE(fp, "cannot create %s", victim);
	fputs("keep", fp);
	fclose(fp);
	REQUIRE(symlink(victim, path) == 0, "symlink: %s", strerror(errno));
	CHECK(flame__write(path, &in, 1, NULL) == 0, "write over a symlink");
	CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600,
	      "mode %o", (unsigned)sb.st_mode);
	data = read_all(victim, &len);
	CHECK(data && !strcmp(data, "keep"), "the symlink's target was written");
	free(data);
	CHECK(flame__write(path, &in, 1, NULL) == 0, "write over a page");
	snprintf(dir, sizeof(dir), "%s/none/x.html", tmpdir);
	CHECK(flame__write(dir, &in, 1, NULL) == -ENOENT, "a missing folder");
	CHECK(flame__write(path, &in, 0, NULL) == -EINVAL, "no profile");
	fake_free(&f);
}

/* CPU time: the machine may be shared, and the goal is the writer's own cost. */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Builds a profile of n distinct stacks of depth 24 over 2000 functions: shared prefixes
 * near the root, fanning out deeper, distinct leaves (the last two frames spell the
 * stack's number): about 12 nodes of its own per stack, more than real profiles have. */
static void big_model(struct fake *f, size_t n)
{
	static const char *procs[] = { "", "a (1)", "b (2)", "c (3)", "d (4)" };
	uint32_t frames[24], fr[2000];
	uint64_t h;
	int64_t v[2];
	char name[32];
	size_t i, j;

	fake_init(f, 2, cpu_names, cpu_units);
	f->pm.procs = procs;
	f->pm.n_procs = 5;
	/* fake_frame searches linearly: fill the tables directly instead. */
	f->cap_funcs = f->cap_frames = 2000;
	f->pm.funcs = calloc(2000, sizeof(*f->pm.funcs));
	f->pm.frames = calloc(2000, sizeof(*f->pm.frames));
	f->names = calloc(2000, sizeof(*f->names));
	f->cap_names = 2000;
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "function_number_%zu", i);
		f->names[f->n_names++] = strdup(name);
		f->pm.funcs[i] = (struct pm_func){ f->names[i], "src/file.c", "libbig.so" };
		f->pm.frames[i] = (struct pm_frame){ .func = i, .kind = i % PM_N_KINDS };
		fr[i] = i;
	}
	f->pm.n_funcs = f->pm.n_frames = 2000;
	for (i = 0; i < n; i++) {
		h = i * 0x9e3779b97f4a7c15ULL;
		for (j = 0; j < 22; j++) {
			/* Near the root few choices, deeper more: a realistic fan-out. */
			h = h * 6364136223846793005ULL + 1442695040888963407ULL;
			frames[j] = fr[(h >> 33) % (j < 4 ? 3 : j < 12 ? 12 : 2000)];
		}
		frames[22] = fr[(i / 1000) % 1000 + 1000];
		frames[23] = fr[i % 1000];
		v[0] = 1 + i % 7;
		v[1] = v[0] * 10101010;
		fake_sample_frames(f, frames, 24, i % 5, 0, v);
	}
}

/* 100k distinct stacks: written in well under a second, a page under 10 MB. */
TEST(large_profile_speed)
{
	struct fake f;
	struct flame_input in;
	char path[256];
	struct stat sb;
	double t0, dt;
	int err;

	big_model(&f, 100000);
	in = (struct flame_input){ .label = "cpu", .pm = &f.pm };
	snprintf(path, sizeof(path), "%s/big.html", tmpdir);
	t0 = cpu_now();
	err = flame__write(path, &in, 1, NULL);
	dt = cpu_now() - t0;
	CHECK(err == 0, "flame__write: %s", strerror(-err));
	CHECK(stat(path, &sb) == 0, "stat %s", path);
	printf("    100000 stacks of 24 frames: %.3f s of CPU, %.2f MB\n", dt, sb.st_size / 1e6);
	CHECK(dt < 1.0, "took %.3f s", dt);
	CHECK(sb.st_size < 10 * 1000 * 1000, "%lld bytes", (long long)sb.st_size);
	fake_free(&f);
}

int main(void)
{
	CHECK_SUITE("flame");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: flame/setup: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	RUN(json_document);
	RUN(base_aligned);
	RUN(escaping_and_clamping);
	RUN(several_profiles);
	RUN(self_contained);
	RUN(file_mode_and_replace);
	RUN(large_profile_speed);
	if (!getenv("KEEP_TMP")) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("    could not remove %s\n", tmpdir);
	}
	return check__any_failed;
}
