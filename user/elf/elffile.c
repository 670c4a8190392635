/* See elffile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/elffile.h"

void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->own_fd && f->fd >= 0)
		close(f->fd);
	free(f->secs);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

int elf_file__read(const struct elf_file *f, uint64_t off, void *buf, size_t len)
{
	if (off > f->size || len > f->size - off)
		return -EINVAL;
	if (f->image) {
		memcpy(buf, f->image + off, len);
		return 0;
	}
	if (pread(f->fd, buf, len, (off_t)off) != (ssize_t)len)
		return -EIO;
	return 0;
}

/* libelf, reading a file it has not mmapped, allocates the section header table from
 * e_shnum (or section 0's sh_size) before comparing it with the file size: check here
 * that the table lies inside the file so a forged count cannot make it allocate GiBs. */
static int elf_file__check_header(const struct elf_file *f)
{
	unsigned char id[EI_NIDENT];
	uint64_t shoff, shnum;
	size_t shentsize, want;

	if (elf_file__read(f, 0, id, sizeof(id)) || memcmp(id, ELFMAG, SELFMAG) ||
	    id[EI_DATA] != ELFDATA2LSB) /* we only profile native (x86-64) processes */
		return -ENOENT;
	if (id[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;
		Elf64_Shdr sh0;

		if (elf_file__read(f, 0, &eh, sizeof(eh)))
			return -ENOENT;
		shoff = eh.e_shoff, shnum = eh.e_shnum, shentsize = eh.e_shentsize;
		want = sizeof(sh0);
		if (shoff && !shnum && !elf_file__read(f, shoff, &sh0, sizeof(sh0)))
			shnum = sh0.sh_size;
	} else if (id[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;
		Elf32_Shdr sh0;

		if (elf_file__read(f, 0, &eh, sizeof(eh)))
			return -ENOENT;
		shoff = eh.e_shoff, shnum = eh.e_shnum, shentsize = eh.e_shentsize;
		want = sizeof(sh0);
		if (shoff && !shnum && !elf_file__read(f, shoff, &sh0, sizeof(sh0)))
			shnum = sh0.sh_size;
	} else {
		return -ENOENT;
	}
	if (!shoff || !shnum || shnum > ELF_FILE_MAX_SECTIONS || shentsize != want ||
	    shoff > f->size || shnum * want > f->size - shoff)
		return -ENOENT;
	return 0;
}

static int elf_file__load_sections(struct elf_file *f)
{
	size_t i;

	if (elf_getshdrnum(f->elf, &f->shnum) || !f->shnum || f->shnum > ELF_FILE_MAX_SECTIONS ||
	    elf_getshdrstrndx(f->elf, &f->shstrndx))
		return -ENOENT;
	f->secs = calloc(f->shnum, sizeof(*f->secs));
	if (!f->secs)
		return -ENOMEM;
	for (i = 0; i < f->shnum; i++) {
		Elf_Scn *scn = elf_getscn(f->elf, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			return -ENOENT;
		f->secs[i].addr = sh.sh_addr;
		f->secs[i].end = sh.sh_addr + sh.sh_size < sh.sh_addr ? UINT64_MAX
								      : sh.sh_addr + sh.sh_size;
		f->secs[i].flags = sh.sh_flags;
		f->secs[i].type = sh.sh_type;
		f->secs[i].link = sh.sh_link;
	}
	return 0;
}

/* Opens fd (taking ownership when own_fd) or an in-memory image. -ENOENT when it is not a
 * well-formed native ELF file with section headers. */
static int open_as(struct elf_file *f, int fd, bool own_fd, const void *image,
		   size_t image_size, Elf_Cmd cmd)
{
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->own_fd = own_fd;
	f->image = image;
	if (image) {
		f->size = image_size;
	} else {
		if (fstat(fd, &st)) {
			err = -errno;
			goto out;
		}
		f->size = (uint64_t)st.st_size;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	err = elf_file__check_header(f);
	if (err)
		goto out;
	f->elf = image ? elf_memory((char *)image, image_size) : elf_begin(fd, cmd, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		err = -ENOENT;
		goto out;
	}
	err = elf_file__load_sections(f);
out:
	return err;
}

int elf_file__open(struct elf_file *f, int fd, bool own_fd, const void *image,
		   size_t image_size)
{
	return open_as(f, fd, own_fd, image, image_size, ELF_C_READ);
}

int elf_file__open_mapped(struct elf_file *f, int fd)
{
	return open_as(f, fd, true, NULL, 0, ELF_C_READ_MMAP);
}

/* Section contents, or NULL. libelf does not bound sh_offset/sh_size by the file size
 * when reading with pread, so do it here before it mallocs sh_size bytes. */
Elf_Data *elf_file__data(const struct elf_file *f, size_t idx)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (idx >= f->shnum || !(scn = elf_getscn(f->elf, idx)) || !gelf_getshdr(scn, &sh) ||
	    sh.sh_type == SHT_NOBITS || sh.sh_offset > f->size ||
	    sh.sh_size > f->size - sh.sh_offset)
		return NULL;
	return elf_getdata(scn, NULL);
}

/* A string of a string table section, validated (in bounds, terminated) by elf_strptr
 * once the section itself has been bounded. */
const char *elf_file__str(const struct elf_file *f, size_t strndx, size_t off)
{
	if (strndx >= f->shnum || f->secs[strndx].type != SHT_STRTAB ||
	    !elf_file__data(f, strndx))
		return NULL;
	return elf_strptr(f->elf, strndx, off);
}

const char *elf_file__section_name(const struct elf_file *f, size_t idx)
{
	GElf_Shdr sh;

	if (idx >= f->shnum || !gelf_getshdr(elf_getscn(f->elf, idx), &sh))
		return NULL;
	return elf_file__str(f, f->shstrndx, sh.sh_name);
}

size_t elf_file__find_section(const struct elf_file *f, uint32_t type, const char *name)
{
	size_t i;

	for (i = 1; i < f->shnum; i++) {
		const char *sname;

		if (f->secs[i].type != type)
			continue;
		if (!name)
			return i;
		sname = elf_file__section_name(f, i);
		if (sname && !strcmp(sname, name))
			return i;
	}
	return 0;
}

/* Opens path read-only as a regular file. O_NONBLOCK and the S_ISREG check matter: the
 * candidate paths are partly chosen by the target (its directory, its debuglink name),
 * and a FIFO there must not block us. */
int elf_file__open_regular(const char *path, int *fdp)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		err = -EINVAL;
out:
	if (err && fd >= 0)
		close(fd);
	*fdp = err ? -1 : fd;
	return err;
}

/* Lowercase hex of f's NT_GNU_BUILD_ID note into out[41]; "" if none. */
void elf_file__build_id(const struct elf_file *f, char out[41])
{
	size_t i, off, name_off, desc_off, k;
	GElf_Nhdr nh;

	out[0] = '\0';
	for (i = 1; i < f->shnum; i++) {
		Elf_Data *d;

		if (f->secs[i].type != SHT_NOTE || !(d = elf_file__data(f, i)) || !d->d_buf)
			continue;
		for (off = 0; (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0;) {
			const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)d->d_buf + name_off, "GNU", 4) ||
			    !nh.n_descsz || nh.n_descsz > 20)
				continue;
			for (k = 0; k < nh.n_descsz; k++)
				snprintf(out + 2 * k, 3, "%02x", desc[k]);
			return;
		}
	}
}

static bool is_debug_name(const char *name)
{
	return name && (!strncmp(name, ".debug_", 7) || !strncmp(name, ".zdebug_", 8));
}

bool elf_file__has_dwarf(const struct elf_file *f)
{
	size_t i;

	for (i = 1; i < f->shnum; i++) {
		const char *name;

		if (f->secs[i].type != SHT_PROGBITS)
			continue;
		name = elf_file__section_name(f, i);
		if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			return true;
	}
	return false;
}

/* zlib's deflate cannot compress better than about 1032:1. */
static bool plausible_size(uint64_t size, uint64_t compressed, uint64_t max_size)
{
	return size <= max_size && size / 1032 <= compressed;
}

/* *out: the section's size once decompressed (sh_size when it is not compressed). */
static int check_compressed(const struct elf_file *f, const GElf_Shdr *sh, const char *name,
			    uint64_t max_size, uint64_t *out)
{
	unsigned char z[12];
	uint64_t size = 0;
	int i;

	if (sh->sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;

		if (gelf_getclass(f->elf) == ELFCLASS64) {
			Elf64_Chdr c;

			if (elf_file__read(f, sh->sh_offset, &c, sizeof(c)))
				return -EINVAL;
			ch.ch_type = c.ch_type, ch.ch_size = c.ch_size;
		} else {
			Elf32_Chdr c;

			if (elf_file__read(f, sh->sh_offset, &c, sizeof(c)))
				return -EINVAL;
			ch.ch_type = c.ch_type, ch.ch_size = c.ch_size;
		}
		size = ch.ch_size;
	} else if (!strncmp(name, ".zdebug_", 8)) {
		if (elf_file__read(f, sh->sh_offset, z, sizeof(z)) || memcmp(z, "ZLIB", 4))
			return -EINVAL;
		for (i = 4; i < 12; i++) /* big-endian, whatever the file's byte order */
			size = size << 8 | z[i];
	} else {
		*out = sh->sh_size;
		return 0;
	}
	*out = size;
	return plausible_size(size, sh->sh_size, max_size) ? 0 : -EINVAL;
}

int elf_file__check_debug(const struct elf_file *f, uint64_t max_size, uint64_t *total)
{
	uint64_t size;
	size_t i;

	if (total)
		*total = 0;
	for (i = 1; i < f->shnum; i++) {
		const char *name = elf_file__section_name(f, i);
		GElf_Shdr sh;

		if (!is_debug_name(name) || f->secs[i].type == SHT_NOBITS)
			continue;
		if (!gelf_getshdr(elf_getscn(f->elf, i), &sh) || sh.sh_offset > f->size ||
		    sh.sh_size > f->size - sh.sh_offset || sh.sh_size > max_size ||
		    check_compressed(f, &sh, name, max_size, &size))
			return -EINVAL;
		if (total)
			*total += size;
	}
	return 0;
}
