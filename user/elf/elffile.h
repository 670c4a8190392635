/* ELF files read through libelf after their headers were checked against the file size:
 * the symbolizer's way to open objects, separate debuginfo and in-memory images (the vDSO,
 * MiniDebugInfo). Everything in them is untrusted. */
#ifndef CPROF_ELFFILE_H
#define CPROF_ELFFILE_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Bound on hostile section counts (real objects have < 100). */
#define ELF_FILE_MAX_SECTIONS (1u << 20)

struct sec_info {
	uint64_t addr, end, flags;
	uint32_t type, link;
};

struct elf_file {
	Elf *elf;
	int fd;			/* owned when own_fd; -1 for an in-memory image */
	bool own_fd;
	const unsigned char *image;
	uint64_t size;		/* bound for every offset read from the file */
	size_t shnum, shstrndx;
	struct sec_info *secs;
	dev_t dev;
	ino_t ino;
};

/* Opens fd (taking ownership when own_fd) or an in-memory image (which must outlive f).
 * -ENOENT when it is not a well-formed native ELF file with section headers. */
int elf_file__open(struct elf_file *f, int fd, bool own_fd, const void *image, size_t image_size);
/* The same for a file of ours that nobody else can change (a copy in the cache
 * directory, replaced only by rename): read through a mapping of it, not copied into
 * memory section by section. Takes fd. A file that can be truncated under the mapping
 * would cost a SIGBUS: every other file is opened with elf_file__open. */
int elf_file__open_mapped(struct elf_file *f, int fd);
/* Closes f (a zeroed or already closed f is fine). */
void elf_file__close(struct elf_file *f);

/* Copies [off, off+len) of the file; -EINVAL if it lies outside, -EIO on a short read. */
int elf_file__read(const struct elf_file *f, uint64_t off, void *buf, size_t len);
/* Section idx's contents, or NULL (out of bounds, SHT_NOBITS, unreadable). */
Elf_Data *elf_file__data(const struct elf_file *f, size_t idx);
/* String off of string table section strndx, or NULL. */
const char *elf_file__str(const struct elf_file *f, size_t strndx, size_t off);
/* Name of section idx, or NULL. */
const char *elf_file__section_name(const struct elf_file *f, size_t idx);
/* Index of the first section of type (and name, unless NULL); 0 if none. */
size_t elf_file__find_section(const struct elf_file *f, uint32_t type, const char *name);
/* Whether f has DWARF: a .debug_info (or .zdebug_info) with contents. */
bool elf_file__has_dwarf(const struct elf_file *f);
/* Checks every debug section before libdw reads them whole: contents inside the file,
 * and compressed ones (SHF_COMPRESSED, .zdebug_*) no larger than max_size nor than zlib's
 * ratio allows once decompressed. *total (if not NULL): their sizes once decompressed, what
 * libdw will hold. Returns 0 or -EINVAL. */
int elf_file__check_debug(const struct elf_file *f, uint64_t max_size, uint64_t *total);
/* Lowercase hex of f's NT_GNU_BUILD_ID note into out[41]; "" if none. */
void elf_file__build_id(const struct elf_file *f, char out[41]);

/* Opens path read-only as a regular file into *fdp. Returns 0 or -errno (-EINVAL: not a
 * regular file). */
int elf_file__open_regular(const char *path, int *fdp);

#endif
