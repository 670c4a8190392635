/* object: ELF headers, PT_LOADs and build ids of fixture binaries cross-checked against
 * readelf/nm, the bounded memory parser on synthetic and truncated images, and the cache
 * (map_files for deleted files, the root fallback, dedup across pids, non-ELF, vDSO). */
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <errno.h>

#include <limits.h>

#include "check.h"
#include "maps_util.h"
#include "proc/object.h"
#include "proc/procmaps.h"

struct rl_load {
	uint64_t offset, vaddr, filesz, memsz;
	uint32_t flags;
};

/* The LOAD lines of `readelf -lW path`. */
static size_t readelf_loads(const char *path, struct rl_load *out, size_t max)
{
	char line[512], *p;
	unsigned long long o, v, pa, fs, ms;
	size_t n = 0;
	FILE *f;

	f = tool_open("readelf", "-lW", path);
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		int pos = 0;

		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx%n", &o, &v, &pa, &fs, &ms,
			   &pos) != 5)
			continue;
		p = line + pos;
		p[strcspn(p, "0")] = '\0';	/* the flags end where the alignment starts */
		out[n++] = (struct rl_load){ o, v, fs, ms,
			(strchr(p, 'R') ? PF_R : 0) | (strchr(p, 'W') ? PF_W : 0) |
			(strchr(p, 'E') ? PF_X : 0) };
	}
	pclose(f);
	return n;
}

static void check_against_readelf(const struct object *obj, const char *path)
{
	struct rl_load rl[OBJECT_MAX_LOADS];
	size_t i, n = readelf_loads(path, rl, OBJECT_MAX_LOADS);
	uint64_t va;
	char expect[41];

	CHECK(n > 0 && n == obj->n_loads, "%zu loads, readelf %zu", obj->n_loads, n);
	for (i = 0; i < n && i < obj->n_loads; i++) {
		const struct object_load *l = &obj->loads[i];

		CHECK(l->offset == rl[i].offset && l->vaddr == rl[i].vaddr &&
		      l->filesz == rl[i].filesz && l->memsz == rl[i].memsz &&
		      l->flags == rl[i].flags, "load %zu: %" PRIx64 "/%" PRIx64 " flags %u/%u", i,
		      l->offset, rl[i].offset, l->flags, rl[i].flags);
		CHECK(!object__file_offset_to_vaddr(obj, rl[i].offset + rl[i].filesz - 1, &va) &&
		      va == rl[i].vaddr + rl[i].filesz - 1, "last file byte of load %zu", i);
		if (rl[i].memsz > rl[i].filesz && i == n - 1)
			CHECK(!object__file_offset_to_vaddr(obj, rl[i].offset + rl[i].filesz, &va) &&
			      va == rl[i].vaddr + rl[i].filesz, "bss after the file bytes");
	}
	CHECK(!object__file_offset_to_vaddr(obj, rl[0].offset, &va) && va == rl[0].vaddr, "first");
	CHECK(object__file_offset_to_vaddr(obj, 1ull << 40, &va) == -ENOENT, "outside all");
	readelf_build_id(path, expect);
	CHECK(expect[0] && !strcmp(obj->build_id, expect), "build id %s, readelf %s",
	      obj->build_id, expect);
}

/* Runs the fixture, finds the object of the mapping of its marker function, lets the child
 * exit, and checks the object (still readable) against binutils. */
static void check_fixture(const char *name, uint16_t e_type)
{
	struct objcache *oc = objcache__new();
	const struct procmaps_entry *e;
	const char *path = fixture(name);
	struct procmaps *pm = NULL;
	struct maps_child c;
	uint64_t va, sym;
	char magic[4];
	int err;

	REQUIRE(oc, "new");
	err = maps_child_start(&c, path);
	REQUIRE(!err, "start %s: %s", path, strerror(-err));
	pm = procmaps__load(c.pid, oc);
	maps_child_stop(&c);
	REQUIRE(pm, "load");
	e = procmaps__find(pm, c.marker);
	REQUIRE(e && e->obj && e->obj->is_elf, "marker mapping with an ELF object");
	CHECK(pread(e->obj->fd, magic, 4, 0) == 4 && !memcmp(magic, ELFMAG, 4), "fd after exit");
	CHECK(e->obj->e_type == e_type, "e_type %u", e->obj->e_type);
	check_against_readelf(e->obj, path);
	sym = nm_symbol(path, "obj_fixture_marker");
	CHECK(sym != 0, "nm obj_fixture_marker");
	err = object__file_offset_to_vaddr(e->obj, e->offset + (c.marker - e->start), &va);
	CHECK(!err && va == sym, "marker vaddr %" PRIx64 ", nm %" PRIx64, va, sym);
	if (e_type == ET_EXEC)
		CHECK(va == c.marker, "non-PIE: vaddr is the run-time address");
	procmaps__free(pm);
	objcache__free(oc);
}

TEST(pie_fixture)
{
	check_fixture("obj_pie", ET_DYN);
}

TEST(nopie_fixture)
{
	check_fixture("obj_nopie", ET_EXEC);
}

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !(*buf = malloc((size_t)st.st_size + 1)))
		err = -EIO;
	else if (pread(fd, *buf, (size_t)st.st_size, 0) != st.st_size)
		err = -EIO;
	*len = (size_t)st.st_size;
	close(fd);
	return err;
}

/* The memory parser gives the same answers as readelf; every truncation is rejected or
 * parsed without reading past the end (ASan in the fuzzer checks the latter in depth). */
TEST(parse_memory_and_truncations)
{
	const char *path = fixture("obj_pie");
	struct object obj;
	unsigned char *buf = NULL;
	size_t len, i;
	int err;

	err = read_file(path, &buf, &len);
	REQUIRE(!err, "read %s", path);
	memset(&obj, 0, sizeof(obj));
	CHECK(object__parse_elf(&obj, buf, len) == 0 && obj.is_elf, "parse");
	check_against_readelf(&obj, path);
	for (i = 0; i < sizeof(Elf64_Ehdr); i++)
		CHECK(object__parse_elf(&obj, buf, i) == -EINVAL && !obj.is_elf, "prefix %zu", i);
	for (i = sizeof(Elf64_Ehdr); i < 4096 && i < len; i++)
		object__parse_elf(&obj, buf, i);
	buf[EI_CLASS] = 7;
	CHECK(object__parse_elf(&obj, buf, len) == -EINVAL && !obj.is_elf && !obj.n_loads &&
	      !obj.build_id[0], "bad class clears the ELF fields");
	CHECK(object__parse_elf(&obj, NULL, 0) == -EINVAL, "empty");
	free(buf);
}

/* A synthetic image: one PT_LOAD, then optionally a PT_NOTE and/or a SHT_NOTE section over
 * the same notes: a foreign note first, then a 24-byte GNU build id (kept: 20 bytes). */
static size_t synth_elf(unsigned char *img, bool is64, bool pt_note, bool sh_note)
{
	static const unsigned char notes[] = {
		4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'X', 'Y', 'Z', 0, 1, 2, 3, 4,
		4, 0, 0, 0, 24, 0, 0, 0, NT_GNU_BUILD_ID, 0, 0, 0, 'G', 'N', 'U', 0,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
		0xcc, 0xdd, 0xee, 0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	size_t notes_off = 0x100, sh_off = 0x200;

	memset(img, 0, 0x400);
	memcpy(img + notes_off, notes, sizeof(notes));
	if (is64) {
		Elf64_Ehdr eh = { .e_type = ET_DYN, .e_phoff = 64, .e_phentsize = sizeof(Elf64_Phdr),
				  .e_phnum = pt_note ? 2 : 1, .e_shentsize = sizeof(Elf64_Shdr),
				  .e_shoff = sh_note ? sh_off : 0, .e_shnum = sh_note ? 2 : 0 };
		Elf64_Phdr ph[2] = { { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x1000,
				       .p_filesz = 0x400, .p_memsz = 0x500 },
				     { .p_type = PT_NOTE, .p_offset = notes_off,
				       .p_filesz = sizeof(notes), .p_align = 4 } };
		Elf64_Shdr sh[2] = { { 0 }, { .sh_type = SHT_NOTE, .sh_offset = notes_off,
					      .sh_size = sizeof(notes), .sh_addralign = 4 } };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		memcpy(img + 64, ph, sizeof(ph));
		memcpy(img + sh_off, sh, sizeof(sh));
	} else {
		Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_phoff = 52, .e_phentsize = sizeof(Elf32_Phdr),
				  .e_phnum = pt_note ? 2 : 1, .e_shentsize = sizeof(Elf32_Shdr),
				  .e_shoff = sh_note ? sh_off : 0, .e_shnum = sh_note ? 2 : 0 };
		Elf32_Phdr ph[2] = { { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x1000,
				       .p_filesz = 0x400, .p_memsz = 0x500 },
				     { .p_type = PT_NOTE, .p_offset = notes_off,
				       .p_filesz = sizeof(notes), .p_align = 4 } };
		Elf32_Shdr sh[2] = { { 0 }, { .sh_type = SHT_NOTE, .sh_offset = notes_off,
					      .sh_size = sizeof(notes), .sh_addralign = 4 } };

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(img, &eh, sizeof(eh));
		memcpy(img + 52, ph, sizeof(ph));
		memcpy(img + sh_off, sh, sizeof(sh));
	}
	return 0x400;
}

TEST(synthetic_notes)
{
	static const char id[] = "00112233445566778899aabbccddeeff01234567";
	unsigned char img[0x400];
	struct object obj;
	uint64_t va;
	int cls;

	for (cls = 0; cls < 2; cls++) {
		bool is64 = cls == 1;
		size_t len;

		memset(&obj, 0, sizeof(obj));
		len = synth_elf(img, is64, true, false);
		CHECK(!object__parse_elf(&obj, img, len) && !strcmp(obj.build_id, id),
		      "class %d, PT_NOTE: '%s'", cls, obj.build_id);
		CHECK(obj.n_loads == 1 && obj.loads[0].vaddr == 0x1000 &&
		      obj.loads[0].memsz == 0x500 && obj.loads[0].flags == (PF_R | PF_X) &&
		      obj.e_type == (is64 ? ET_DYN : ET_EXEC), "class %d load", cls);
		CHECK(!object__file_offset_to_vaddr(&obj, 0x3ff, &va) && va == 0x13ff, "va");
		CHECK(!object__file_offset_to_vaddr(&obj, 0x400, &va) && va == 0x1400, "bss");
		CHECK(object__file_offset_to_vaddr(&obj, 0x500, &va) == -ENOENT, "past memsz");
		len = synth_elf(img, is64, false, true);
		CHECK(!object__parse_elf(&obj, img, len) && !strcmp(obj.build_id, id),
		      "class %d, section only: '%s'", cls, obj.build_id);
		len = synth_elf(img, is64, false, false);
		CHECK(!object__parse_elf(&obj, img, len) && obj.is_elf && !obj.build_id[0],
		      "class %d, no note", cls);
		/* The note segment runs past the end of the image: the build id is cut off. */
		len = synth_elf(img, is64, true, false);
		CHECK(!object__parse_elf(&obj, img, 0x100 + 40) && obj.is_elf && !obj.build_id[0],
		      "class %d, truncated note", cls);
	}
}

static int copy_file(const char *from, const char *to)
{
	unsigned char *buf = NULL;
	size_t len;
	int fd, err;

	err = read_file(from, &buf, &len);
	fd = err ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (!err && (fd < 0 || write(fd, buf, len) != (ssize_t)len))
		err = -EIO;
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

/* An unlinked binary is only reachable through map_files: proof that it is used. */
TEST(deleted_binary_via_map_files)
{
	struct objcache *oc = objcache__new();
	const struct procmaps_entry *e;
	struct procmaps *pm = NULL;
	struct maps_child c = { 0 };
	char copy[512], expect[41], host[600];
	int err;

	REQUIRE(oc, "new");
	snprintf(copy, sizeof(copy), "%s.deleted-%d", fixture("obj_pie"), getpid());
	err = copy_file(fixture("obj_pie"), copy);
	REQUIRE(!err, "copy");
	err = maps_child_start(&c, copy);
	unlink(copy);
	REQUIRE(!err, "start: %s", strerror(-err));
	pm = procmaps__load(c.pid, oc);
	e = pm ? procmaps__find(pm, c.marker) : NULL;
	CHECK(e && e->deleted && strstr(e->path, " (deleted)"), "deleted entry");
	CHECK(e && e->obj && e->obj->is_elf && e->obj->fd >= 0, "object of an unlinked file");
	readelf_build_id(fixture("obj_pie"), expect);
	if (e && e->obj) {
		snprintf(host, sizeof(host), "/proc/%d/root%s", c.pid, copy);
		CHECK(!strcmp(e->obj->path, copy), "path without (deleted): %s", e->obj->path);
		CHECK(!strcmp(e->obj->host_path, host), "host path %s", e->obj->host_path);
		CHECK(!strcmp(e->obj->build_id, expect), "build id %s", e->obj->build_id);
	}
	maps_child_stop(&c);
	procmaps__free(pm);
	objcache__free(oc);
}

/* Without the mapping (wrong range) the file is opened by path, but only if it is still
 * the inode the process mapped. */
TEST(root_fallback_checks_inode)
{
	struct objcache *oc = objcache__new();
	const struct procmaps_entry *e;
	struct procmaps *pm = procmaps__load(getpid(), NULL);
	struct object *obj;

	REQUIRE(oc && pm, "load");
	e = maps_find_exec(pm, "/libc.so.6");
	REQUIRE(e, "libc");
	obj = objcache__get(oc, getpid(), 0x1000, 0x2000, e->path, e->dev, e->inode);
	CHECK(obj && obj->is_elf && obj->build_id[0], "fallback by path: %s", strerror(errno));
	errno = 0;
	obj = objcache__get(oc, getpid(), 0x1000, 0x2000, e->path, e->dev + 1, e->inode + 1);
	CHECK(!obj && errno == ESTALE, "another inode at that path: errno %d", errno);
	obj = objcache__get(oc, getpid(), 0x1000, 0x2000, "/no/such/file", 1, 2);
	CHECK(!obj && errno == ENOENT, "missing file: errno %d", errno);
	obj = objcache__get(oc, getpid(), 0x1000, 0x2000, "[heap]", 0, 0);
	CHECK(!obj && errno == ENOENT, "pseudo path");
	CHECK(objcache__count(oc) == 1, "count %zu", objcache__count(oc));
	procmaps__free(pm);
	objcache__free(oc);
}

/* The fallback resolves paths in the target's root: an absolute symlink inside a chroot
 * leads to the chroot's file, not ours; a FIFO there is not opened (it would block). */
TEST(root_fallback_in_target_root)
{
	struct objcache *oc = objcache__new();
	char dir[PATH_MAX], file[PATH_MAX + 16], link[PATH_MAX + 16], fifo[PATH_MAX + 16];
	struct stat st, fst;
	struct object *obj;
	pid_t child = -1;
	int err, ready[2];
	char c;

	REQUIRE(oc, "new");
	snprintf(dir, sizeof(dir), "%s.root-%d", fixture("obj"), getpid());
	snprintf(file, sizeof(file), "%s/obj-real.so", dir);
	snprintf(link, sizeof(link), "%s/obj-link.so", dir);
	snprintf(fifo, sizeof(fifo), "%s/obj-fifo.so", dir);
	err = mkdir(dir, 0700) ? -errno : 0;
	REQUIRE(!err, "mkdir %s: %s", dir, strerror(-err));
	CHECK(!copy_file(fixture("obj_tiny"), file) && !symlink("/obj-real.so", link) &&
	      !mkfifo(fifo, 0600) && !stat(file, &st) && !stat(fifo, &fst), "setup");
	err = pipe2(ready, O_CLOEXEC) ? -errno : 0;
	REQUIRE(!err, "pipe");
	child = fork();
	if (child == 0) {
		if (chroot(dir) == 0 && write(ready[1], "", 1) == 1)
			for (;;)
				pause();
		_exit(1);
	}
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1, "child in its chroot");
	close(ready[0]);
	obj = objcache__get(oc, child, 0x1000, 0x2000, "/obj-link.so", st.st_dev, st.st_ino);
	CHECK(obj && obj->is_elf && obj->build_id[0], "symlink resolved in the target's root");
	obj = objcache__get(oc, child, 0x1000, 0x2000, "/obj-fifo.so", fst.st_dev, fst.st_ino);
	CHECK(obj && !obj->is_elf && obj->fd == -1, "FIFO kept as a non-ELF object, not opened");
	maps_kill(child);
	unlink(fifo);
	unlink(link);
	unlink(file);
	rmdir(dir);
	objcache__free(oc);
}

/* A forked child maps the same files: same objects, nothing opened twice. */
TEST(dedup_across_pids)
{
	struct objcache *oc = objcache__new();
	struct procmaps *mine = NULL, *theirs = NULL;
	const struct procmaps_entry *a, *b;
	pid_t child;
	size_t n;

	REQUIRE(oc, "new");
	child = maps_fork_sleeper();
	REQUIRE(child > 0, "fork");
	mine = procmaps__load(getpid(), oc);
	n = objcache__count(oc);
	theirs = procmaps__load(child, oc);
	maps_kill(child);
	REQUIRE(mine && theirs, "load");
	CHECK(n >= 3 && objcache__count(oc) == n, "count %zu then %zu", n, objcache__count(oc));
	a = maps_find_exec(mine, "/libc.so.6");
	b = maps_find_exec(theirs, "/libc.so.6");
	CHECK(a && b && a->obj && a->obj == b->obj, "same libc object");
	a = maps_find_exec(mine, "[vdso]");
	b = maps_find_exec(theirs, "[vdso]");
	CHECK(a && b && a->obj && a->obj == b->obj, "same vdso object");
	procmaps__free(mine);
	procmaps__free(theirs);
	objcache__free(oc);
}

TEST(not_elf_still_cached)
{
	struct objcache *oc = objcache__new();
	char path[512];
	struct object *obj;
	struct stat st;
	void *map;
	int fd;

	REQUIRE(oc, "new");
	snprintf(path, sizeof(path), "%s.text-%d", fixture("obj"), getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0, "create %s", path);
	CHECK(write(fd, "#!/bin/sh\necho not an ELF file\n", 31) == 31, "write");
	fstat(fd, &st);
	map = mmap(NULL, 31, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	REQUIRE(map != MAP_FAILED, "mmap");
	obj = objcache__get(oc, getpid(), (uintptr_t)map, (uintptr_t)map + 4096, path,
			    st.st_dev, st.st_ino);
	CHECK(obj && !obj->is_elf && obj->fd >= 0 && !obj->n_loads && !obj->build_id[0],
	      "non-ELF entry");
	CHECK(obj && objcache__get(oc, getpid(), 1, 2, path, st.st_dev, st.st_ino) == obj,
	      "cached by dev/inode");
	munmap(map, 31);
	unlink(path);
	objcache__free(oc);
}

TEST(vdso_copied_from_ourselves)
{
	struct objcache *oc = objcache__new();
	struct procmaps *pm = procmaps__load(getpid(), oc);
	const struct procmaps_entry *e;
	const struct object *obj;

	REQUIRE(oc && pm, "load");
	if (!getauxval(AT_SYSINFO_EHDR))
		SKIP("no vDSO in this process");
	e = maps_find_exec(pm, "[vdso]");
	REQUIRE(e && e->obj, "vdso entry and object");
	obj = e->obj;
	CHECK(obj->is_vdso && obj->is_elf && obj->fd == -1 && obj->e_type == ET_DYN, "flags");
	CHECK(obj->n_loads >= 1 && (obj->loads[0].flags & PF_X), "loads %zu", obj->n_loads);
	CHECK(obj->vdso_size == e->end - e->start && e->start == getauxval(AT_SYSINFO_EHDR) &&
	      !memcmp(obj->vdso_image, (void *)(uintptr_t)e->start, obj->vdso_size), "image");
	CHECK(!strcmp(obj->path, "[vdso]") && obj->host_path && !obj->host_path[0], "paths");
	CHECK(objcache__get(oc, 1, 0x1000, 0x1000 + obj->vdso_size + 4096, "[vdso]", 0, 0) ==
	      NULL, "a vDSO of another size is another ABI's");
	procmaps__free(pm);
	objcache__free(oc);
}

/* A snapshot of this process mapping fixtures a and b (executable, by their real dev and
 * inode: opened through our root). */
static struct procmaps *fixture_maps(struct objcache *oc, const char *a, const char *b)
{
	char text[2 * PATH_MAX + 256];
	struct stat sa, sb;
	struct procmaps *pm;
	int n;

	if (stat(a, &sa) || (b && stat(b, &sb)))
		return NULL;
	n = snprintf(text, sizeof(text), "10000-20000 r-xp 00000000 %02x:%02x %lu %s\n",
		     major(sa.st_dev), minor(sa.st_dev), (unsigned long)sa.st_ino, a);
	if (b)
		snprintf(text + n, sizeof(text) - n, "30000-40000 r-xp 00000000 %02x:%02x %lu %s\n",
			 major(sb.st_dev), minor(sb.st_dev), (unsigned long)sb.st_ino, b);
	pm = procmaps__parse(text, strlen(text));
	if (pm)
		procmaps__attach_objects(pm, getpid(), oc);
	return pm;
}

struct forget_log {
	int refuse;		/* refuse this many calls first */
	size_t calls;
	const struct object *last;
};

static int forget_logged(void *ctx, struct object *obj)
{
	struct forget_log *l = ctx;

	l->calls++;
	l->last = obj;
	if (l->refuse > 0) {
		l->refuse--;
		return -EBUSY;
	}
	return 0;
}

static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* An object is released (its file closed) once no snapshot shows it, not before, and not
 * while the caller's forget refuses; one never shown by a snapshot stays; opening the file
 * again gives a new object with a new serial. */
TEST(released_when_no_snapshot_shows_it)
{
	struct objcache *oc = objcache__new();
	struct forget_log log = { 0 };
	const char *a = fixture("obj_pie"), *b = fixture("obj_nopie");
	struct procmaps *ab, *bonly, *pa;
	const struct procmaps_entry *ea;
	struct object *lone, *again;
	uint64_t serial_a;
	size_t fds;
	struct stat st;

	REQUIRE(oc, "new");
	ab = fixture_maps(oc, a, b);
	bonly = fixture_maps(oc, b, NULL);
	REQUIRE(ab && bonly, "snapshots");
	ea = procmaps__find(ab, 0x10000);
	REQUIRE(ea && ea->obj && procmaps__find(ab, 0x30000)->obj ==
		procmaps__find(bonly, 0x10000)->obj, "objects attached, b shared");
	serial_a = ea->obj->serial;
	REQUIRE(!stat(fixture("obj_tiny"), &st), "stat obj_tiny");
	lone = objcache__get(oc, getpid(), 1, 2, fixture("obj_tiny"), st.st_dev, st.st_ino);
	REQUIRE(lone, "a lookup that keeps no snapshot");
	CHECK(objcache__count(oc) == 3, "count %zu, want 3", objcache__count(oc));

	CHECK(objcache__sweep(oc, 0, 0, forget_logged, &log) == 0 && log.calls == 0,
	      "released %zu (forget called %zu times) while every object is shown",
	      objcache__released(oc), log.calls);
	fds = open_fds();
	procmaps__free(ab);
	CHECK(objcache__sweep(oc, 3600, 1, forget_logged, &log) == 0 && log.calls == 0,
	      "released while idle for less than idle_secs and within idle_max (%zu calls)",
	      log.calls);
	log.refuse = 1;
	CHECK(objcache__sweep(oc, 0, 0, forget_logged, &log) == 0 && log.calls == 1,
	      "a refused forget released it (%zu calls)", log.calls);
	CHECK(objcache__sweep(oc, 0, 0, forget_logged, &log) == 1 && log.calls == 2,
	      "a once shown, now shown by none: not released (%zu calls)", log.calls);
	CHECK(objcache__count(oc) == 2 && objcache__released(oc) == 1,
	      "count %zu released %zu, want 2 and 1", objcache__count(oc),
	      objcache__released(oc));
	CHECK(open_fds() == fds - 1, "%zu descriptors open, want %zu: its file stays open",
	      open_fds(), fds - 1);
	CHECK(procmaps__find(bonly, 0x10000)->obj->holds == 1, "b's holds %u, want 1",
	      procmaps__find(bonly, 0x10000)->obj->holds);

	pa = fixture_maps(oc, a, NULL);
	ea = pa ? procmaps__find(pa, 0x10000) : NULL;
	again = ea ? ea->obj : NULL;
	CHECK(again && again->serial > serial_a, "a opened again: serial %llu after %llu",
	      again ? (unsigned long long)again->serial : 0ull, (unsigned long long)serial_a);
	procmaps__free(pa);
	log.calls = 0;
	CHECK(objcache__sweep(oc, 3600, 8, forget_logged, &log) == 0 && log.calls == 0,
	      "released within idle_secs and idle_max (%zu calls)", log.calls);
	procmaps__free(bonly);
	/* Two idle, one kept: the longest idle (a, seen idle by the sweep before) goes. */
	CHECK(objcache__sweep(oc, 3600, 1, forget_logged, &log) == 1 && log.calls == 1 &&
	      log.last == again, "beyond idle_max: %zu released, want 1 (a)", log.calls);
	CHECK(objcache__sweep(oc, 0, 0, forget_logged, &log) == 1 && log.calls == 2,
	      "released %zu of a (again) and b, want 2", log.calls);
	CHECK(objcache__count(oc) == 1 && objcache__find(oc, st.st_dev, st.st_ino) == lone,
	      "the object no snapshot ever showed stays: count %zu", objcache__count(oc));
	objcache__free(oc);
}

int main(void)
{
	CHECK_SUITE("object");
	RUN(pie_fixture);
	RUN(nopie_fixture);
	RUN(parse_memory_and_truncations);
	RUN(synthetic_notes);
	RUN(deleted_binary_via_map_files);
	RUN(root_fallback_checks_inode);
	RUN(root_fallback_in_target_root);
	RUN(dedup_across_pids);
	RUN(not_elf_still_cached);
	RUN(vdso_copied_from_ourselves);
	RUN(released_when_no_snapshot_shows_it);
	return CHECK_EXIT();
}
