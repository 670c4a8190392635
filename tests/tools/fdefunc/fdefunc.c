// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fdefunc: names code of a stripped file the way cprof-bpf's symbolizer does where no
 * symbol covers it, by the .eh_frame_hdr function (user/elf/fderange.c) around it, so that
 * a test can put another tool's addresses under the same names.
 *
 *   fdefunc FILE < OFFSETS          for each line "HEX" (a file offset, as perf script
 *                                   prints the frames of a DSO), prints "HEX 0xSTART": START
 *                                   the ELF virtual address where the function covering it
 *                                   starts, or "HEX -"
 *   fdefunc --vaddr FILE < VADDRS   the same for ELF virtual addresses
 *   fdefunc --entry FILE            prints "0xSTART" of the function covering e_entry
 *
 * Exit status: 0; 1 when FILE cannot be read or has no usable table; 2 on a usage error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elffile.h"
#include "elf/fderange.h"

struct fdefile {
	struct elf_file f;
	struct fde_range *r;
	size_t n;
};

/* Opens path and reads its function table. Returns 0 or -errno (-ENODATA: not an ELF file,
 * or no usable table). */
static int fdefile__open(struct fdefile *ff, const char *path)
{
	int fd, err = elf_file__open_regular(path, &fd);

	if (err)
		return err;
	err = elf_file__open(&ff->f, fd, true, NULL, 0);
	if (!err)
		err = fde_range__read(&ff->f, &ff->r, &ff->n);
	return err == -ENOENT ? -ENODATA : err;
}

static void fdefile__close(struct fdefile *ff)
{
	free(ff->r);
	elf_file__close(&ff->f);
}

/* The ELF virtual address that file offset off is loaded at, by the PT_LOAD segment that
 * holds it. Returns 0 or -ENOENT (no segment holds it). */
static int offset_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr)
{
	size_t n;

	if (elf_getphdrnum(f->elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off - ph.p_offset < ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

/* "HEX START" for each address on stdin: file offsets, or ELF virtual addresses when
 * vaddrs. Returns 0, or 2 on a line that is no number. */
static int name_addrs(const struct fdefile *ff, int vaddrs)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		const struct fde_range *r = NULL;
		uint64_t addr, vaddr;
		char *end;

		line[strcspn(line, "\n")] = '\0';
		errno = 0;
		addr = strtoull(line, &end, 16);
		if (errno || end == line || *end) {
			fprintf(stderr, "fdefunc: not a hex address: '%s'\n", line);
			return 2;
		}
		vaddr = addr;
		if (vaddrs || !offset_vaddr(&ff->f, addr, &vaddr))
			r = fde_range__find(ff->r, ff->n, vaddr);
		if (r)
			printf("%s 0x%" PRIx64 "\n", line, r->start);
		else
			printf("%s -\n", line);
	}
	return 0;
}

/* "0xSTART" of the function around the entry point. Returns 0 or 1 (none covers it). */
static int name_entry(const struct fdefile *ff, const char *path)
{
	const struct fde_range *r;
	GElf_Ehdr eh;

	if (!gelf_getehdr(ff->f.elf, &eh) ||
	    !(r = fde_range__find(ff->r, ff->n, eh.e_entry))) {
		fprintf(stderr, "fdefunc: %s: no function covers the entry point\n", path);
		return 1;
	}
	printf("0x%" PRIx64 "\n", r->start);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 3 ? argv[1] : "", *path = argv[argc - 1];
	struct fdefile ff = { .f = { .fd = -1 } };
	int err, rc;

	if (argc < 2 || argc > 3 || path[0] == '-' ||
	    (argc == 3 && strcmp(mode, "--vaddr") && strcmp(mode, "--entry"))) {
		fprintf(stderr, "usage: fdefunc [--vaddr] FILE < ADDRESSES | fdefunc --entry FILE\n");
		return 2;
	}
	elf_version(EV_CURRENT);
	err = fdefile__open(&ff, path);
	if (err) {
		fprintf(stderr, "fdefunc: %s: %s\n", path,
			err == -ENODATA ? "not an ELF file with an .eh_frame_hdr function table"
				      : strerror(-err));
		rc = 1;
		goto out;
	}
	if (!strcmp(mode, "--entry"))
		rc = name_entry(&ff, path);
	else
		rc = name_addrs(&ff, !strcmp(mode, "--vaddr"));
out:
	fdefile__close(&ff);
	return rc;
}
