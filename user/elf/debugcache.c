// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Uncompressed copies of compressed separate debuginfo (see debugcache.h). libelf writes
 * them: the source is copied whole to a temporary file, which libelf opens for update,
 * decompresses section by section (elf_compress) and lays out again (elf_update). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "elf/debugcache.h"
#include "elf/elffile.h"
#include "util/cachefile.h"
#include "util/log.h"

#define SUFFIX ".debug"
/* A temporary file this old was left by a run that died while writing it. */
#define STALE_TMP_SECS 3600

static struct debugcache_stats stats;
static uint64_t max_bytes = DEBUGCACHE_MAX_BYTES;

void debugcache__set_max_bytes(uint64_t bytes)
{
	max_bytes = bytes;
}

static bool has_compressed(const struct elf_file *f)
{
	for (size_t i = 1; i < f->shnum; i++)
		if (f->secs[i].flags & SHF_COMPRESSED)
			return true;
	return false;
}

/* Opens path as the copy for bid into out. 0; -ENOENT: there is none; -EPERM: not ours or
 * writable by others (not used, left alone); -EINVAL: ours but unusable (made again). */
static int open_copy(const char *path, const char *bid, struct elf_file *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char got[41];
	struct stat st;
	int err;

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : errno == ELOOP ? -EPERM : -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	if ((uint64_t)st.st_size > DEBUGCACHE_MAX_BYTES) {
		close(fd);
		return -EINVAL;
	}
	err = elf_file__open_mapped(out, fd);
	if (!err) {
		elf_file__build_id(out, got);
		if (strcmp(got, bid) || has_compressed(out) || !elf_file__has_dwarf(out))
			err = -EINVAL;
	}
	if (err) {
		elf_file__close(out);	/* closes fd: elf_file__open took it even on failure */
		return -EINVAL;
	}
	/* Its times say when it was last used: the eviction's order. */
	futimens(out->fd, NULL);
	return 0;
}

/* Copies the whole of src's file into fd. */
static int copy_file(const struct elf_file *src, int fd)
{
	enum { BUF = 1 << 16 };
	char *buf = malloc(BUF);
	uint64_t off = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!err && off < src->size) {
		size_t want = src->size - off < BUF ? (size_t)(src->size - off) : BUF;
		ssize_t n = pread(src->fd, buf, want, (off_t)off);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		for (ssize_t done = 0; !err && done < n;) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0)
				err = -errno;
			else
				done += w;
		}
		off += (uint64_t)n;
	}
	free(buf);
	return err;
}

/* Decompresses every compressed section of the ELF file in fd, in place. */
static int decompress_fd(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_RDWR, NULL);
	Elf_Scn *scn = NULL;
	int err = 0;

	if (!e || elf_kind(e) != ELF_K_ELF) {
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh)) {
			err = -EINVAL;
			goto out;
		}
		if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0) {
			err = -EINVAL;
			goto out;
		}
	}
	if (elf_update(e, ELF_C_WRITE) < 0)
		err = -EINVAL;
out:
	if (e)
		elf_end(e);
	return err;
}

struct cached {
	char name[NAME_MAX + 1];
	uint64_t size;
	struct timespec used;
};

static int by_use(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Removes the least recently used copies until they total at most max_bytes
 * (keep, just made, is the last to go), and temporary files left by runs that died. */
static void evict(const char *dir, const char *keep)
{
	struct cached *v = NULL, *nv;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	time_t now = time(NULL);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;

		if (len <= strlen(SUFFIX) && de->d_name[0] != '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if (de->d_name[0] == '.') {
			if (strstr(de->d_name, SUFFIX ".") && now - st.st_mtime > STALE_TMP_SECS)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (strcmp(de->d_name + len - strlen(SUFFIX), SUFFIX))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto out;
			v = nv;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n].size = (uint64_t)st.st_size;
		v[n].used = st.st_mtim;
		if (!strcmp(de->d_name, keep))
			v[n].used.tv_sec = (time_t)1 << 62;
		total += v[n].size;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_use);
	for (size_t i = 0; i < n && total > max_bytes; i++) {
		if (unlinkat(dirfd(d), v[i].name, 0))
			continue;
		total -= v[i].size;
		__atomic_add_fetch(&stats.evicted, 1, __ATOMIC_RELAXED);
		log_debug("debuginfo cache: %s/%s removed (least recently used)", dir, v[i].name);
	}
out:
	free(v);
	closedir(d);
}

/* Makes path, the copy of src for bid, through a temporary file in dir. */
static int make_copy(const char *dir, const char *path, const char *bid,
		     const struct elf_file *src)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s%s.XXXXXX", dir, bid, SUFFIX) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = copy_file(src, fd);
	if (!err)
		err = decompress_fd(fd);
	if (!err && fchmod(fd, 0600))
		err = -errno;
	return cachefile__commit(fd, tmp, path, err);
}

int debugcache__open(const char *dir, const char *bid, const struct elf_file *src,
		     struct elf_file *out)
{
	char path[PATH_MAX], name[64];
	uint64_t inflated = 0;
	int err;

	out->fd = -1;
	if (!dir || !cachefile__valid_id(bid, 40) || !src || src->image || src->fd < 0 ||
	    !has_compressed(src))
		return -ENOENT;
	/* A copy that would take more than a quarter of the directory's room is not made:
	 * it would be made again and again as others push it out. */
	if (elf_file__check_debug(src, max_bytes / 4, &inflated) ||
	    src->size + inflated > max_bytes / 4)
		return -ENOENT;
	snprintf(name, sizeof(name), "%s%s", bid, SUFFIX);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENOENT;
	err = open_copy(path, bid, out);
	if (!err) {
		__atomic_add_fetch(&stats.read, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (err == -EPERM) {
		__atomic_add_fetch(&stats.ignored, 1, __ATOMIC_RELAXED);
		log_debug("debuginfo cache: %s is not a file of uid %u that only it can write: "
			  "ignored", path, (unsigned int)geteuid());
		return -ENOENT;
	}
	if (err == -EINVAL) {
		__atomic_add_fetch(&stats.rebuilt, 1, __ATOMIC_RELAXED);
		log_debug("debuginfo cache: %s is not an uncompressed copy of build id %s: made "
			  "again", path, bid);
	}
	err = make_copy(dir, path, bid, src);
	if (!err)
		err = open_copy(path, bid, out);
	if (err) {
		log_debug("debuginfo cache: cannot keep an uncompressed copy of build id %s in %s: "
			  "%s", bid, dir, strerror(err == -EPERM ? EPERM : -err));
		return err == -ENOMEM ? err : -ENOENT;
	}
	__atomic_add_fetch(&stats.stored, 1, __ATOMIC_RELAXED);
	evict(dir, name);
	return 0;
}

void debugcache__stats(struct debugcache_stats *out)
{
	out->read = __atomic_load_n(&stats.read, __ATOMIC_RELAXED);
	out->stored = __atomic_load_n(&stats.stored, __ATOMIC_RELAXED);
	out->rebuilt = __atomic_load_n(&stats.rebuilt, __ATOMIC_RELAXED);
	out->ignored = __atomic_load_n(&stats.ignored, __ATOMIC_RELAXED);
	out->evicted = __atomic_load_n(&stats.evicted, __ATOMIC_RELAXED);
}
