/* See debuginfo.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "elf/debuginfo.h"
#include "elf/debuginfod.h"
#include "elf/elffile.h"
#include "proc/object.h"
#include "util/log.h"

/* The file's CRC-32 as .gnu_debuglink computes it (zlib's polynomial). */
static int file_crc32(int fd, uint32_t *crc)
{
	unsigned char buf[64 * 1024];
	uLong c = crc32(0L, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	if (n < 0)
		return -errno;
	*crc = (uint32_t)c;
	return 0;
}

/* Takes fd (opened as path) as the debuginfo of own: a different file, an ELF file with a
 * .symtab or DWARF, whose build id matches (when own has one) or whose CRC matches crc
 * (when want_crc). Closes fd on failure. */
static int debuginfo__try_fd(const struct elf_file *own, const char *want_bid, const char *path,
			     int fd, bool want_crc, uint32_t crc, struct elf_file *dbg)
{
	char bid[41];
	uint32_t got;
	int err;

	err = elf_file__open(dbg, fd, true, NULL, 0);
	if (err)
		goto out;
	if (dbg->dev == own->dev && dbg->ino == own->ino && !own->image) {
		err = -ENOENT;
		goto out;
	}
	if (!elf_file__find_section(dbg, SHT_SYMTAB, NULL) && !elf_file__has_dwarf(dbg)) {
		err = -ENOENT;
		goto out;
	}
	elf_file__build_id(dbg, bid);
	if (want_bid[0] && strcmp(bid, want_bid)) {
		err = -ESTALE;
		goto out;
	}
	if (want_crc && (file_crc32(dbg->fd, &got) || got != crc))
		err = -ESTALE;
out:
	if (err == -ESTALE)
		log_debug("symbolizer: %s: %s, ignored", path,
			  want_crc ? "CRC differs from .gnu_debuglink" : "build id differs");
	if (err)
		elf_file__close(dbg); /* closes fd: elf_file__open took it even on failure */
	return err;
}

static int debuginfo__try(const struct elf_file *own, const char *want_bid, const char *path,
			  bool want_crc, uint32_t crc, struct elf_file *dbg)
{
	int fd, err = elf_file__open_regular(path, &fd);

	return err ? err : debuginfo__try_fd(own, want_bid, path, fd, want_crc, crc, dbg);
}

static bool is_hex_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i >= 4 && i % 2 == 0;
}

/* For each debug dir: DIR/.build-id/xx/rest.debug (gdb, Debian -dbg packages), then
 * pprof's DIR/BUILDID/BASENAME and perf's DIR/PATH/BUILDID. */
static int debuginfo__by_build_id(const struct debuginfo_search *ds, const struct object *obj,
				  const struct elf_file *own, struct elf_file *dbg, char *path)
{
	const char *id = obj->build_id, *base = obj->path ? strrchr(obj->path, '/') : NULL;
	const char *const *dir;

	if (!is_hex_id(id))
		return -ENOENT;
	for (dir = ds->dirs; *dir; dir++) {
		if (snprintf(path, PATH_MAX, "%s/.build-id/%.2s/%s.debug", *dir, id, id + 2) <
			    PATH_MAX && !debuginfo__try(own, id, path, false, 0, dbg))
			return 0;
		if (base && snprintf(path, PATH_MAX, "%s/%s%s", *dir, id, base) < PATH_MAX &&
		    !debuginfo__try(own, id, path, false, 0, dbg))
			return 0;
		if (base && snprintf(path, PATH_MAX, "%s%s/%s", *dir, obj->path, id) < PATH_MAX &&
		    !debuginfo__try(own, id, path, false, 0, dbg))
			return 0;
	}
	return -ENOENT;
}

/* Reads .gnu_debuglink: a file name, NUL, padding to 4, then the CRC-32 of the file.
 * The name comes from the target: no directories, so it cannot point elsewhere. */
static int debuglink__parse(const struct elf_file *own, char name[NAME_MAX + 1], uint32_t *crc)
{
	size_t idx = elf_file__find_section(own, SHT_PROGBITS, ".gnu_debuglink"), len, crc_off;
	Elf_Data *d = idx ? elf_file__data(own, idx) : NULL;

	if (!d || !d->d_buf)
		return -ENOENT;
	len = strnlen(d->d_buf, d->d_size);
	crc_off = (len + 4) & ~(size_t)3;
	if (!len || len > NAME_MAX || crc_off > d->d_size || d->d_size - crc_off < 4)
		return -ENOENT;
	memcpy(name, d->d_buf, len);
	name[len] = '\0';
	memcpy(crc, (const char *)d->d_buf + crc_off, 4);
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -ENOENT;
	return 0;
}

/* Where gdb looks: next to the object, in its .debug/ subdirectory (opened at first sight
 * when the object came from the objcache), and under each debug dir followed by the
 * object's directory as the target sees it. */
static int debuginfo__by_debuglink(const struct debuginfo_search *ds, const struct object *obj,
				   const struct elf_file *own, struct elf_file *dbg, char *path)
{
	const char *host = obj->host_path ? obj->host_path : obj->path;
	const char *hslash = host ? strrchr(host, '/') : NULL;
	const char *pslash = obj->path ? strrchr(obj->path, '/') : NULL;
	char name[NAME_MAX + 1];
	const char *const *dir;
	uint32_t crc;
	int hlen = hslash ? (int)(hslash - host) : 0, plen = pslash ? (int)(pslash - obj->path) : 0;

	if (debuglink__parse(own, name, &crc))
		return -ENOENT;
	/* Opened at first sight, in the process's root (object.h). */
	if (obj->debuglink_path && !strcmp(obj->debuglink, name)) {
		int fd = fcntl(obj->debuglink_fd, F_DUPFD_CLOEXEC, 0);

		snprintf(path, PATH_MAX, "%s", obj->debuglink_path);
		if (fd >= 0 && !debuginfo__try_fd(own, "", path, fd, true, crc, dbg))
			return 0;
	}
	if (hslash && snprintf(path, PATH_MAX, "%.*s/%s", hlen, host, name) < PATH_MAX &&
	    !debuginfo__try(own, "", path, true, crc, dbg))
		return 0;
	if (hslash && snprintf(path, PATH_MAX, "%.*s/.debug/%s", hlen, host, name) < PATH_MAX &&
	    !debuginfo__try(own, "", path, true, crc, dbg))
		return 0;
	if (!pslash || obj->path[0] != '/')
		return -ENOENT;
	for (dir = ds->dirs; *dir; dir++)
		if (snprintf(path, PATH_MAX, "%s%.*s/%s", *dir, plen, obj->path, name) < PATH_MAX &&
		    !debuginfo__try(own, "", path, true, crc, dbg))
			return 0;
	return -ENOENT;
}

/* Last: what debuginfod servers have for the build id, checked as a local file is. */
static int debuginfo__by_fetch(const struct debuginfo_search *ds, const struct object *obj,
			       const struct elf_file *own, struct elf_file *dbg, char *path)
{
	const char *id = obj->build_id;

	if (!ds->fetch || !is_hex_id(id) ||
	    debuginfod__get(ds->fetch, id, obj->path ? obj->path : id, ds->fetch_wait, path))
		return -ENOENT;
	return debuginfo__try(own, id, path, false, 0, dbg);
}

int debuginfo__find(const struct debuginfo_search *ds, const struct object *obj,
		    const struct elf_file *own, struct elf_file *dbg, char *path)
{
	if (!debuginfo__by_build_id(ds, obj, own, dbg, path) ||
	    !debuginfo__by_debuglink(ds, obj, own, dbg, path) ||
	    !debuginfo__by_fetch(ds, obj, own, dbg, path))
		return 0;
	return -ENOENT;
}
