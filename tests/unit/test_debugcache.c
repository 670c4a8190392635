// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Uncompressed copies of compressed debuginfo (user/elf/debugcache.c), over the fixtures of
 * tests/unit/fixtures-sym.mk (sym_pie's and sym_nopie's debuginfo compressed by objcopy):
 * a copy is made once and read after, holds exactly what the compressed sections inflate
 * to, and one that cannot be trusted (torn, another build id, writable by others, not ours,
 * a symlink) is made again or left alone, and counted; nothing compressed, nothing copied;
 * the least recently used copies go when the directory holds too much. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "elf/debugcache.h"
#include "elf/elffile.h"
#include "fixture_util.h"

static char dir[256];

/* A fresh cache directory (0700), empty. */
static void fresh_dir(void)
{
	char cmd[PATH_MAX + 16];

	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	snprintf(dir, sizeof(dir), "/tmp/cprof-debugcache.XXXXXX");
	if (!mkdtemp(dir))
		dir[0] = 0;
}

static int open_src(const char *name, struct elf_file *f, char bid[41])
{
	int fd = open(fixture(name), O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = elf_file__open(f, fd, true, NULL, 0);
	if (!err)
		elf_file__build_id(f, bid);
	return err;
}

static struct debugcache_stats delta(const struct debugcache_stats *before)
{
	struct debugcache_stats now;

	debugcache__stats(&now);
	now.read -= before->read;
	now.stored -= before->stored;
	now.rebuilt -= before->rebuilt;
	now.ignored -= before->ignored;
	now.evicted -= before->evicted;
	return now;
}

/* Section name's contents in path, inflated if compressed; malloc'd into *out. */
static int section_bytes(const char *path, const char *name, void **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	*out = NULL;
	if (!e || elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(e, shstrndx, sh.sh_name)) ||
		    strcmp(n, name))
			continue;
		if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
			break;
		d = elf_getdata(scn, NULL);
		if (d && d->d_buf && (*out = malloc(d->d_size))) {
			memcpy(*out, d->d_buf, d->d_size);
			*len = d->d_size;
			err = 0;
		}
		break;
	}
out:
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return err;
}

static void copy_path(char *buf, size_t len, const char *bid)
{
	snprintf(buf, len, "%s/%s.debug", dir, bid);
}

TEST(made_once_then_read)
{
	struct elf_file src, got = { .fd = -1 };
	struct debugcache_stats before, d;
	char bid[41], path[PATH_MAX];
	const char *names[] = { ".debug_info", ".debug_line", ".debug_abbrev", ".debug_str" };
	struct stat st;

	fresh_dir();
	REQUIRE(dir[0], "a temporary directory");
	REQUIRE(!open_src("sym_pie.zdebug", &src, bid), "opened %s", fixture("sym_pie.zdebug"));
	REQUIRE(bid[0], "the fixture has a build id");
	debugcache__stats(&before);
	REQUIRE(!debugcache__open(dir, bid, &src, &got), "a copy made");
	d = delta(&before);
	CHECK(d.stored == 1 && d.read == 0, "stored %lu, read %lu", d.stored, d.read);
	for (size_t i = 1; i < got.shnum; i++)
		CHECK(!(got.secs[i].flags & SHF_COMPRESSED), "section %zu still compressed", i);
	CHECK(elf_file__has_dwarf(&got), "the copy has DWARF");
	elf_file__close(&got);
	copy_path(path, sizeof(path), bid);
	REQUIRE(!lstat(path, &st), "%s exists", path);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid(),
	      "a regular file 0600 of ours: mode %04o", (unsigned int)(st.st_mode & 07777));
	/* What libdw reads from the copy is what the compressed sections inflate to. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *a, *b;
		size_t la = 0, lb = 0;

		REQUIRE(!section_bytes(fixture("sym_pie.zdebug"), names[i], &a, &la) &&
				!section_bytes(path, names[i], &b, &lb),
			"%s read from both", names[i]);
		CHECK(la == lb && la > 0 && !memcmp(a, b, la), "%s: %zu bytes inflated, %zu in the copy",
		      names[i], la, lb);
		free(a);
		free(b);
	}
	debugcache__stats(&before);
	REQUIRE(!debugcache__open(dir, bid, &src, &got), "the copy opened again");
	d = delta(&before);
	CHECK(d.read == 1 && d.stored == 0, "read %lu, stored %lu", d.read, d.stored);
	elf_file__close(&got);
	elf_file__close(&src);
}

/* path replaced by what corrupt writes; then the copy must be made again and be whole. */
static void expect_rebuilt(const char *what, void (*corrupt)(const char *path))
{
	struct elf_file src, got = { .fd = -1 };
	struct debugcache_stats before, d;
	char bid[41], path[PATH_MAX];

	fresh_dir();
	REQUIRE(!open_src("sym_pie.zdebug", &src, bid), "opened");
	REQUIRE(!debugcache__open(dir, bid, &src, &got), "a copy made");
	elf_file__close(&got);
	copy_path(path, sizeof(path), bid);
	corrupt(path);
	debugcache__stats(&before);
	REQUIRE(!debugcache__open(dir, bid, &src, &got), "%s: a copy made again", what);
	d = delta(&before);
	CHECK(d.rebuilt == 1 && d.stored == 1 && d.read == 0, "%s: rebuilt %lu, stored %lu",
	      what, d.rebuilt, d.stored);
	CHECK(elf_file__has_dwarf(&got), "%s: the new copy has DWARF", what);
	elf_file__close(&got);
	elf_file__close(&src);
}

static void truncate_half(const char *path)
{
	struct stat st;

	if (stat(path, &st) || truncate(path, st.st_size / 2))
		fprintf(stderr, "cannot truncate %s\n", path);
}

static void other_build_id(const char *path)
{
	char cmd[3 * PATH_MAX];

	/* sym_nopie's debuginfo, uncompressed: a good ELF file of another build id. */
	snprintf(cmd, sizeof(cmd), "objcopy --decompress-debug-sections '%s' '%s'",
		 fixture("sym_nopie.zdebug"), path);
	if (system(cmd))
		fprintf(stderr, "cannot write %s\n", path);
}

static void still_compressed(const char *path)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", fixture("sym_pie.zdebug"), path);
	if (system(cmd))
		fprintf(stderr, "cannot write %s\n", path);
}

static void random_bytes(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	char buf[4096];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7919 + 13);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		fprintf(stderr, "cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

TEST(untrusted_copies_rebuilt)
{
	expect_rebuilt("truncated", truncate_half);
	expect_rebuilt("another build id", other_build_id);
	expect_rebuilt("still compressed", still_compressed);
	expect_rebuilt("random bytes", random_bytes);
}

/* A copy writable by others, owned by another user, or a symlink is not used nor touched. */
static void expect_ignored(const char *what, int (*plant)(const char *path))
{
	struct elf_file src, got = { .fd = -1 };
	struct debugcache_stats before, d;
	char bid[41], path[PATH_MAX];
	struct stat st0, st1;

	fresh_dir();
	REQUIRE(!open_src("sym_pie.zdebug", &src, bid), "opened");
	REQUIRE(!debugcache__open(dir, bid, &src, &got), "a copy made");
	elf_file__close(&got);
	copy_path(path, sizeof(path), bid);
	if (plant(path)) {
		SKIP("%s: cannot plant it here (%s)", what, strerror(errno));
		elf_file__close(&src);
		return;
	}
	REQUIRE(!lstat(path, &st0), "planted");
	debugcache__stats(&before);
	CHECK(debugcache__open(dir, bid, &src, &got) == -ENOENT, "%s: not used", what);
	d = delta(&before);
	CHECK(d.ignored == 1 && d.stored == 0 && d.read == 0, "%s: ignored %lu, stored %lu",
	      what, d.ignored, d.stored);
	CHECK(!lstat(path, &st1) && st1.st_ino == st0.st_ino, "%s: left where it was", what);
	elf_file__close(&got);
	elf_file__close(&src);
}

static int group_writable(const char *path)
{
	return chmod(path, 0660);
}

static int not_ours(const char *path)
{
	if (geteuid()) {
		errno = EPERM;
		return -1;
	}
	return chown(path, 65534, 65534);
}

static int symlinked(const char *path)
{
	char target[PATH_MAX + 8];

	snprintf(target, sizeof(target), "%s.real", path);
	return rename(path, target) || symlink(target, path);
}

TEST(foreign_copies_ignored)
{
	expect_ignored("group-writable", group_writable);
	expect_ignored("owned by uid 65534", not_ours);
	expect_ignored("a symlink", symlinked);
}

TEST(nothing_to_gain)
{
	struct elf_file src, got = { .fd = -1 };
	struct debugcache_stats before, d;
	char bid[41], path[PATH_MAX];

	fresh_dir();
	REQUIRE(!open_src("sym_pie.plaindebug", &src, bid), "opened");
	debugcache__stats(&before);
	CHECK(debugcache__open(dir, bid, &src, &got) == -ENOENT, "uncompressed: no copy");
	CHECK(debugcache__open(NULL, bid, &src, &got) == -ENOENT, "no directory: no copy");
	CHECK(debugcache__open(dir, "../x", &src, &got) == -ENOENT, "a build id with a path");
	d = delta(&before);
	CHECK(d.stored == 0 && d.read == 0, "stored %lu", d.stored);
	copy_path(path, sizeof(path), bid);
	CHECK(access(path, F_OK) && errno == ENOENT, "no file made");
	elf_file__close(&src);
}

/* Over the room, making a copy removes the least recently used copies until they fit: two
 * planted copies of 600 KB (sparse) with old times, in 1 MiB, lose the older one; the copies
 * used since stay. A temporary file of a run that died long ago goes too, a recent one
 * stays. */
static int plant(const char *path, off_t size, time_t when)
{
	struct timespec times[2] = { { .tv_sec = when }, { .tv_sec = when } };
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (size && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	close(fd);
	return utimensat(AT_FDCWD, path, times, 0);
}

TEST(least_recently_used_evicted)
{
	struct elf_file a, b, got = { .fd = -1 };
	struct debugcache_stats before, d;
	char bid_a[41], bid_b[41], path_a[PATH_MAX], path_b[PATH_MAX], old1[PATH_MAX],
		old2[PATH_MAX], old_tmp[PATH_MAX], new_tmp[PATH_MAX];
	time_t now = time(NULL);

	fresh_dir();
	REQUIRE(!open_src("sym_pie.zdebug", &a, bid_a) && !open_src("sym_nopie.zdebug", &b, bid_b),
		"opened");
	REQUIRE(strcmp(bid_a, bid_b), "two build ids");
	debugcache__set_max_bytes(1 << 20);
	REQUIRE(!debugcache__open(dir, bid_a, &a, &got), "the first copy made");
	elf_file__close(&got);
	copy_path(path_a, sizeof(path_a), bid_a);
	copy_path(path_b, sizeof(path_b), bid_b);
	snprintf(old1, sizeof(old1), "%s/%040d.debug", dir, 1);
	snprintf(old2, sizeof(old2), "%s/%040d.debug", dir, 2);
	snprintf(old_tmp, sizeof(old_tmp), "%s/.%s.debug.AAAAAA", dir, bid_a);
	snprintf(new_tmp, sizeof(new_tmp), "%s/.%s.debug.BBBBBB", dir, bid_b);
	REQUIRE(!plant(old1, 600 << 10, now - 2000) && !plant(old2, 600 << 10, now - 1000) &&
			!plant(old_tmp, 0, now - 100000) && !plant(new_tmp, 0, now),
		"planted");
	debugcache__stats(&before);
	REQUIRE(!debugcache__open(dir, bid_b, &b, &got), "the second copy made");
	elf_file__close(&got);
	d = delta(&before);
	CHECK(d.evicted == 1, "evicted %lu", d.evicted);
	CHECK(access(old1, F_OK), "the least recently used copy is gone");
	CHECK(!access(old2, F_OK), "the next one stays (the copies fit now)");
	CHECK(!access(path_a, F_OK) && !access(path_b, F_OK), "the copies used since stay");
	CHECK(access(old_tmp, F_OK), "an old temporary file removed");
	CHECK(!access(new_tmp, F_OK), "a recent one kept (a run may be writing it)");
	/* A file whose copy would take over a quarter of the room gets none. */
	debugcache__set_max_bytes(4096);
	CHECK(debugcache__open(dir, bid_b, &b, &got) == -ENOENT, "too large for the room");
	debugcache__set_max_bytes(DEBUGCACHE_MAX_BYTES);
	elf_file__close(&a);
	elf_file__close(&b);
}

int main(void)
{
	check__suite = "debugcache";
	if (elf_version(EV_CURRENT) == EV_NONE)
		return 1;
	check__run("made_once_then_read", made_once_then_read);
	check__run("untrusted_copies_rebuilt", untrusted_copies_rebuilt);
	check__run("foreign_copies_ignored", foreign_copies_ignored);
	check__run("nothing_to_gain", nothing_to_gain);
	check__run("least_recently_used_evicted", least_recently_used_evicted);
	if (dir[0]) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return check__any_failed;
}
